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

    // Asks the upstream for its chain id and the fork block's header; an error names the URL
    // and what failed.
    static std::expected<std::unique_ptr<ForkSource>, std::string> open(Options options);

    uint64_t chain_id() const { return chain_id_; }
    const chain::BlockHeader& header() const { return header_; }
    // The upstream's hash of the fork block (kept as this chain's hash of it).
    const hash256& hash() const { return hash_; }
    const std::string& url() const { return options_.url; }

    std::optional<state::AccountInfo> account(const address& addr) const override;
    uint256 storage(const address& addr, const uint256& key) const override;
    bytes code(const hash256& code_hash) const override;
    std::optional<hash256> block_hash(uint64_t number) const override;
    void prefetch(std::span<const address> addrs) const override;
    uint64_t fork_block() const override { return header_.number; }

    // HTTP round trips to the upstream so far (a batch is one).
    uint64_t round_trips() const { return round_trips_.load(std::memory_order_relaxed); }

    ForkSource(Options options, std::unique_ptr<rpc::Client> client);

private:
    using Calls = std::vector<std::pair<std::string, rpc::json>>;
    // The results of `calls` in one round trip, retried with backoff; throws RemoteStateError
    // (or returns the upstream's own error for one call, which `what` names).
    std::vector<rpc::Result<rpc::json>> request(const Calls& calls, const std::string& what) const;
    void fetch_accounts(std::span<const address> addrs) const;
    void make_room_locked() const;
    std::string block_tag() const;

    Options options_;
    std::unique_ptr<rpc::Client> client_;
    uint64_t chain_id_ = 0;
    chain::BlockHeader header_;
    hash256 hash_;

    mutable std::mutex mutex_;
    mutable std::unordered_map<address, std::optional<state::AccountInfo>> accounts_;
    struct SlotKey {
        address addr;
        uint256 key;
        bool operator==(const SlotKey&) const = default;
    };
    struct SlotHash {
        size_t operator()(const SlotKey& k) const {
            return std::hash<address>{}(k.addr) ^ (std::hash<uint256>{}(k.key) * 31);
        }
    };
    mutable std::unordered_map<SlotKey, uint256, SlotHash> slots_;
    // Not evicted with the accounts: State reads an account's code by hash right after the
    // account, and the upstream serves code by address only.
    mutable std::unordered_map<hash256, bytes> codes_;
    mutable std::unordered_map<uint64_t, hash256> block_hashes_;
    mutable std::atomic<bool> proof_supported_{true};
    mutable std::atomic<uint64_t> round_trips_{0};
};

// The fork block's header from an eth_getBlockByNumber result (exported for tests).
std::expected<chain::BlockHeader, std::string> header_from_json(const rpc::json& block);

}  // namespace krnl::node
