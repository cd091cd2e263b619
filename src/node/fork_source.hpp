// Fork mode's upstream: the state::RemoteSource a forked chain reads what it lacks from, over
// JSON-RPC at the fork block. Each key is fetched once and cached in memory (up to a cap); an
// account is one round trip (eth_getProof and eth_getCode in a batch), a storage slot one
// eth_getStorageAt. Every request has a timeout and a few retries with backoff; past them the
// read throws state::RemoteStateError, which callers see as the upstream-unavailable error.
#pragma once

#include <atomic>
#include <chrono>
#include <expected>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "chain/block.hpp"
#include "node/fork_disk_cache.hpp"
#include "rpc/client.hpp"
#include "state/remote_source.hpp"

namespace krnl::node {

class ForkSource final : public state::RemoteSource {
public:
    struct Options {
        std::string url;
        std::optional<uint64_t> block;              // nullopt: the upstream's latest at start
        std::chrono::milliseconds timeout{10'000};  // per request
        int retries = 2;                            // after the first attempt
        std::chrono::milliseconds backoff{200};     // before the first retry, doubling
        size_t max_cached_keys = 1'000'000;         // accounts and slots
    };

    // One upstream at one block, connected: what a chain forks from. Immutable once made; a
    // reset (anvil_reset) installs another one, anvil_setRpcUrl the same point at another URL.
    struct Upstream {
        std::string url;
        std::shared_ptr<rpc::Client> client;
        uint64_t chain_id = 0;
        chain::BlockHeader header;
        hash256 hash;  // the upstream's hash of the fork block (kept as this chain's hash of it)
    };

    // Why connect() or set_url() failed: `unreachable` when the upstream did not answer (after
    // the retries), otherwise it answered something unusable (no such block, another chain).
    struct ConnectError {
        bool unreachable = false;
        std::string message;
    };

    // Asks the upstream at `url` for its chain id and the header of `block` (its latest when
    // nullopt) with `options`' timeout and retries; an error names the URL and what failed.
    // Touches no ForkSource: the caller installs the result when it is ready to switch.
    static std::expected<std::shared_ptr<const Upstream>, ConnectError> connect(
        const Options& options, const std::string& url, std::optional<uint64_t> block);

    // connect() and install() in one (krnld --fork-url).
    static std::expected<std::unique_ptr<ForkSource>, std::string> open(Options options);

    // A source with no upstream yet (a chain of its own that anvil_reset may fork later): every
    // read throws RemoteStateError until install().
    explicit ForkSource(Options options);

    // What install() replaced: the upstream (null if none) with what was cached from it.
    struct Installed {
        std::shared_ptr<const Upstream> upstream;
        std::shared_ptr<void> cache;
    };
    // Reads from `upstream` (null: none) from now on, with an empty cache (another fork point);
    // returns what it replaces, which restore() puts back when the switch fails.
    Installed install(std::shared_ptr<const Upstream> upstream);
    void restore(Installed previous);
    // anvil_setRpcUrl: the same fork point read through another URL. Refused (nothing changes)
    // unless that upstream answers with the same chain id and the same hash for the fork block;
    // the cache is kept, since the state at that block is the same.
    std::expected<void, ConnectError> set_url(const std::string& url);

    // Keeps what the upstream answers in `cache` too, and reads it from there before asking
    // (a forked chain with --data-dir: a restart does not fetch again). Call before reads start.
    void attach_disk_cache(std::unique_ptr<ForkDiskCache> cache);

    // The upstream read now, or null.
    std::shared_ptr<const Upstream> upstream() const;
    const Options& options() const { return options_; }

    // Of the installed upstream (which must exist).
    uint64_t chain_id() const { return upstream()->chain_id; }
    chain::BlockHeader header() const { return upstream()->header; }
    hash256 hash() const { return upstream()->hash; }
    std::string url() const { return upstream()->url; }

    std::optional<state::AccountInfo> account(const address& addr) const override;
    uint256 storage(const address& addr, const uint256& key) const override;
    bytes code(const hash256& code_hash) const override;
    std::optional<hash256> block_hash(uint64_t number) const override;
    void prefetch(std::span<const address> addrs) const override;
    uint64_t fork_block() const override { return fork_block_.load(std::memory_order_relaxed); }

    // The upstream's EIP-1186 proof of `addr` and `keys` (the request's list, as given) at the
    // fork block, as it answers it: exact against the fork block's state root. Not cached.
    // Throws RemoteStateError when the upstream cannot answer or refuses.
    rpc::json proof(const address& addr, const rpc::json& keys) const;

    // A historic read (`method` with `params`: a block, a transaction, a receipt) answered by the
    // upstream as it answers it, and cached: below the fork block they never change. The cache
    // holds up to kMaxHistoricBytes of replies (past it, it starts over); a larger reply is not
    // kept. Throws RemoteStateError when the upstream cannot answer or refuses.
    rpc::json historic(const std::string& method, const rpc::json& params) const;
    static constexpr size_t kMaxHistoricBytes = size_t{32} << 20;

    // HTTP round trips to the upstream so far (a batch is one).
    uint64_t round_trips() const { return round_trips_.load(std::memory_order_relaxed); }

private:
    using Calls = std::vector<std::pair<std::string, rpc::json>>;
    // The results of `calls` in one round trip to `up`, retried with backoff; throws
    // RemoteStateError (or returns the upstream's own error for one call, which `what` names).
    std::vector<rpc::Result<rpc::json>> request(const Upstream* up, rpc::Client& client,
                                                const Calls& calls, const std::string& what) const;
    // What one fork point has fetched (guarded by mutex_); replaced whole by install().
    struct Cache;
    // The installed upstream and the cache its replies go to; throws RemoteStateError when none
    // is installed.
    std::pair<std::shared_ptr<const Upstream>, std::shared_ptr<Cache>> current() const;
    void fetch_accounts(std::span<const address> addrs) const;
    void make_room_locked(Cache& cache) const;
    // Whether `cache` is still the installed fork point's (what may be written to disk).
    bool current_cache_is(const std::shared_ptr<Cache>& cache) const;

    Options options_;

    mutable std::mutex mutex_;
    std::shared_ptr<const Upstream> upstream_;
    std::shared_ptr<Cache> cache_;
    std::atomic<uint64_t> fork_block_{0};
    // Keyed by the fork point it was set to (install() sets it); thread-safe on its own.
    std::unique_ptr<ForkDiskCache> disk_;
    mutable std::atomic<bool> proof_supported_{true};
    mutable std::atomic<uint64_t> round_trips_{0};
};

// The fork block's header from an eth_getBlockByNumber result (exported for tests).
std::expected<chain::BlockHeader, std::string> header_from_json(const rpc::json& block);

}  // namespace krnl::node
