// Fork mode's cache on disk (a forked chain with --data-dir): what the upstream answered for one
// fork point (accounts, slots, code, block hashes), so that a restart does not ask again. Its
// own small LMDB database beside the chain's. A cache only: a failing disk makes a miss, never
// an error. Bounded: it takes no new entry once its file is 7/8 of `max_bytes` (a caller of a
// forked node chooses which keys are fetched, so the disk is theirs to fill otherwise; the rest
// is room to empty it for another fork point); past that, new answers are kept in memory only.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>

#include "state/database.hpp"
#include "state/state.hpp"

namespace krnl::node {

class ForkDiskCache {
public:
    static constexpr uint64_t kDefaultMaxBytes = uint64_t{1} << 30;
    static std::expected<std::unique_ptr<ForkDiskCache>, std::string> open(
        const std::filesystem::path& dir, uint64_t max_bytes = kDefaultMaxBytes);

    // Entries belong to one fork point (the fork block's hash): making another one current
    // forgets everything stored for the others. If that cannot be done (a full or failing
    // disk), the cache answers nothing from then on rather than another point's values.
    void set_point(const hash256& point);
    bool usable() const { return usable_; }

    // nullopt: not stored; a stored absent account is an engaged empty optional.
    std::optional<std::optional<state::AccountInfo>> account(const address& addr) const;
    void put_accounts(
        std::span<const std::pair<address, std::optional<state::AccountInfo>>> accounts);
    std::optional<uint256> slot(const address& addr, const uint256& key) const;
    void put_slot(const address& addr, const uint256& key, const uint256& value);
    std::optional<bytes> code(const hash256& code_hash) const;
    void put_code(const hash256& code_hash, bytes_view code);
    std::optional<hash256> block_hash(uint64_t number) const;
    void put_block_hash(uint64_t number, const hash256& hash);

private:
    ForkDiskCache(std::unique_ptr<state::Database> db, uint64_t max_bytes);
    bool has_room() const;
    std::optional<bytes> get(state::Table table, bytes_view key) const;
    void put(state::Table table, bytes_view key, bytes_view value);

    std::unique_ptr<state::Database> db_;
    uint64_t max_bytes_;
    std::atomic<bool> usable_{true};
    state::Table meta_, accounts_, slots_, codes_, block_hashes_;
};

}  // namespace krnl::node
