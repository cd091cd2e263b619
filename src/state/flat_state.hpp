// The committed world state of one chain in its database: the latest accounts, storage and code
// as flat tables, and per block the values each key had before that block, so that the state of
// any past block can be read without replaying anything.
//
// Tables:
//   accounts          address -> RLP [nonce, balance, storageRoot, codeHash] (the trie leaf)
//   storage           address ‖ slot -> RLP of the value (the trie leaf); zero values are absent
//   code              code hash -> code
//   account_history   address ‖ be64(block) -> the account before `block` (empty: absent)
//   storage_history   address ‖ slot ‖ be64(block) -> the value before `block` (empty: zero)
//   block_changes     be64(block) -> the keys `block` recorded history for (to undo it)
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <span>
#include <unordered_map>

#include "state/database.hpp"
#include "state/merkle_trie.hpp"
#include "state/remote_source.hpp"
#include "state/state.hpp"

namespace krnl::state {

class FlatState {
public:
    static constexpr std::array<std::string_view, 6> kTables = {
        "accounts", "storage", "code", "account_history", "storage_history", "block_changes"};

    explicit FlatState(const Database& db);

    // Writes what version `number` changed, records the previous values under `number` (a second
    // commit of the same version keeps the first record), and returns the new state root.
    //
    // Roots come from tries kept in memory and updated along the changed paths only, loaded from
    // the tables on first use. They describe the last commit, so a caller whose write transaction
    // is aborted after a commit must call invalidate_tries(). One writer at a time.
    hash256 commit(Database::Txn& txn, uint64_t number,
                   std::span<const AccountChange> changes) const;
    void invalidate_tries() const;

    // The state root computed from the tables alone (a check of the cached tries).
    hash256 root(const Database::Txn& txn) const;

    // Undoes every block above `target` up to `head`, restoring the state of block `target`
    // (dev snapshots). Code stays: it is keyed by hash and shared.
    void revert_to(Database::Txn& txn, uint64_t target, uint64_t head) const;

    Table accounts() const { return accounts_; }
    Table storage() const { return storage_; }
    Table code() const { return code_; }
    Table account_history() const { return account_history_; }
    Table storage_history() const { return storage_history_; }
    const Database& database() const { return db_; }

    // Fork mode: keys never written locally are read from `remote` (which must outlive this);
    // a key written locally, even deleted since, is the local value from the version it was
    // written at. Null (the default) for a chain of its own. Set by the writer (a chain's reset
    // may fork it or end its fork) while readers read.
    void set_remote(const RemoteSource* remote) {
        remote_.store(remote, std::memory_order_release);
    }
    const RemoteSource* remote() const { return remote_.load(std::memory_order_acquire); }

private:
    MerkleTrie& storage_trie(const Database::Txn& txn, const address& addr) const;
    MerkleTrie& account_trie(const Database::Txn& txn) const;
    // Records the value `key` had before `block`, once per block, and notes the key.
    void record_history(Database::Txn& txn, Table history, bytes_view key, uint64_t block,
                        bytes_view previous) const;

    const Database& db_;
    Table accounts_, storage_, code_, account_history_, storage_history_, block_changes_;
    mutable std::unique_ptr<MerkleTrie> account_trie_;
    mutable std::unordered_map<address, MerkleTrie> storage_tries_;
    std::atomic<const RemoteSource*> remote_{nullptr};
};

// The state as of a block, read through an open transaction (which must outlive the view).
// `historical_block` is nullopt for the latest state, which is the common and cheapest case.
class StateView final : public StateReader {
public:
    StateView(const FlatState& flat, const Database::Txn& txn,
              std::optional<uint64_t> historical_block = std::nullopt)
        : flat_(flat), txn_(txn), block_(historical_block) {}

    std::optional<AccountInfo> read_account(const address& addr) const override;
    uint256 read_storage(const address& addr, const uint256& key) const override;
    bytes read_code(const hash256& code_hash) const override;

    // The account with its storage root, as the trie holds it.
    struct AccountRecord {
        AccountInfo info;
        hash256 storage_root;
    };
    std::optional<AccountRecord> read_record(const address& addr) const;

    // The leaves of the state trie and of one account's storage trie at this block, keyed by the
    // hashed key as the tries hold them (eth_getProof builds its proofs from them).
    std::vector<std::pair<bytes, bytes>> account_leaves() const;
    std::vector<std::pair<bytes, bytes>> storage_leaves(const address& addr) const;

    // Every non-zero slot of an account at this block, in key order (proofs, tracers, dumps).
    void for_each_slot(
        const address& addr,
        const std::function<void(const uint256& key, const uint256& value)>& fn) const;

private:
    // Whether `key` of a history table was written locally at or before this view's version:
    // then the local tables hold its value, and an absent key is deleted, not remote.
    bool written_locally(Table history, bytes_view key) const;

    const FlatState& flat_;
    const Database::Txn& txn_;
    std::optional<uint64_t> block_;
};

}  // namespace krnl::state
