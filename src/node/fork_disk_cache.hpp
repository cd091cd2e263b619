// Fork mode's cache on disk (a forked chain with --data-dir): what the upstream answered for one
// fork point (accounts, slots, code, block hashes), so that a restart does not ask again. Its
// own small LMDB database beside the chain's. A cache only: a failing disk makes a miss, never
// an error.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>

#include "state/database.hpp"
#include "state/state.hpp"

namespace krnl::node {

class ForkDiskCache {
public:
    static std::expected<std::unique_ptr<ForkDiskCache>, std::string> open(
        const std::filesystem::path& dir);

    // Entries belong to one fork point (the fork block's hash): making another one current
    // forgets everything stored for the others.
    void set_point(const hash256& point);

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
    explicit ForkDiskCache(std::unique_ptr<state::Database> db);
    std::optional<bytes> get(state::Table table, bytes_view key) const;
    void put(state::Table table, bytes_view key, bytes_view value);

    std::unique_ptr<state::Database> db_;
    state::Table meta_, accounts_, slots_, codes_, block_hashes_;
};

}  // namespace krnl::node
