// The world state of one chain as the EVM sees it during a block: accounts, storage, transient
// storage and EIP-2929 access sets, with a journal so any call frame can be rolled back.
#pragma once

#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <tsl/robin_map.h>

#include "common/bytes.hpp"
#include "common/keccak.hpp"
#include "common/uint256.hpp"

namespace krnl::state {

struct StorageSlot {
    uint256 current;
    uint256 original;    // value at the start of the transaction (EIP-2200)
    bool warm = false;   // accessed in this transaction (EIP-2929)
    bool dirty = false;  // written since the state was loaded from its base
};

// Open addressing: SLOAD and SSTORE look a slot up several times per access, and a node-based map
// pays a division and a pointer chase each time. Elements move on insertion, so no reference into
// it is held across an insertion; a mutable element is reached with `it.value()`.
using StorageMap = tsl::robin_map<uint256, StorageSlot>;

struct Account {
    uint64_t nonce = 0;
    uint256 balance;
    bytes code;
    hash256 code_hash = kEmptyKeccak;
    StorageMap storage;
    std::unordered_map<uint256, uint256> transient_storage;

    // Over a base: the account holds storage in the base (EIP-7610 collisions), and whether its
    // storage may be looked up there at all (not for accounts created here).
    bool base_has_storage = false;
    bool storage_in_base = false;
    bool dirty = false;  // changed since loaded from the base

    // Transaction-scoped flags, cleared by State::finalize_transaction.
    bool destructed = false;
    bool just_created = false;  // created in this transaction (EIP-6780)
    bool touched = false;       // a candidate for EIP-158 empty-account removal

    bool is_empty() const { return nonce == 0 && !balance && code.empty(); }
    void set_code(bytes new_code) {
        code_hash = keccak256(new_code);
        code = std::move(new_code);
    }
};

// An account as a committed store keeps it (storage and code apart).
struct AccountInfo {
    uint64_t nonce = 0;
    uint256 balance;
    hash256 code_hash = kEmptyKeccak;
    bool has_storage = false;
};

// Committed state that a State reads through on a miss: a block of the node's store, a remote
// node. Implementations must be safe to call from the thread that owns the State.
class StateReader {
public:
    virtual ~StateReader() = default;
    virtual std::optional<AccountInfo> read_account(const address& addr) const = 0;
    virtual uint256 read_storage(const address& addr, const uint256& key) const = 0;
    virtual bytes read_code(const hash256& code_hash) const = 0;
};

// What a State changed over its base, for the store to commit.
struct AccountChange {
    address addr;
    std::optional<AccountInfo> info;  // nullopt: the account was removed
    const bytes* code = nullptr;      // set when the account has code (the store keys it by hash)
    bool storage_cleared = false;     // the base's storage of this address is gone
    std::vector<std::pair<uint256, uint256>> storage;  // written slots, zero = deleted
};

class State {
public:
    using Checkpoint = size_t;

    State() = default;
    // A state that loads accounts, storage and code from `base` when first touched. `base` must
    // outlive the state.
    explicit State(const StateReader& base) : base_(&base) {}
    State(const State&) = default;
    State& operator=(const State&) = default;

    // Everything changed since construction (over a base), in no particular order; call between
    // transactions.
    std::vector<AccountChange> changes() const;

    // Reads. `find` returns null for an account absent from the state.
    Account* find(const address& addr);
    const Account* find(const address& addr) const;
    const std::unordered_map<address, Account>& accounts() const { return accounts_; }

    // Pre-state setup, not journaled (genesis, fixtures).
    Account& put(const address& addr, Account account);

    // Journaled changes.
    Account& get_or_create(const address& addr);
    // Marks `addr` as created by this transaction (CREATE), keeping any balance sent to it earlier;
    // the caller has checked there is no collision (no nonce, code or storage).
    Account& create_contract(const address& addr);
    void add_balance(const address& addr, const uint256& amount);
    // Precondition: the balance covers `amount`.
    void sub_balance(const address& addr, const uint256& amount);
    void bump_nonce(const address& addr);
    void set_code(const address& addr, bytes code);
    void touch(const address& addr);
    void mark_destructed(const address& addr);
    // Make an account or slot warm (EIP-2929); true when it was cold.
    bool warm_slot(const address& addr, const uint256& key);
    bool warm_account(const address& addr);
    uint256 get_storage(const address& addr, const uint256& key) const;
    StorageSlot& slot(const address& addr, const uint256& key);
    void set_storage(const address& addr, const uint256& key, const uint256& value);
    uint256 get_transient(const address& addr, const uint256& key) const;
    void set_transient(const address& addr, const uint256& key, const uint256& value);

    Checkpoint checkpoint() const { return journal_.size(); }
    void rollback(Checkpoint to);

    // Ends a transaction: removes destructed accounts and, from Spurious Dragon, touched empty
    // ones; resets originals, access sets and transient storage; clears the journal.
    void finalize_transaction(bool remove_empty_accounts);

private:
    enum class Change : uint8_t {
        Created,      // account did not exist: erase on rollback
        Balance,      // previous balance in `value`
        Nonce,        // undo a bump
        Code,         // previous code in `code`
        Storage,      // previous current value of `key` in `value`
        Transient,    // previous transient value of `key` in `value`
        WarmAccount,  // was cold
        WarmSlot,     // `key` was cold
        Touched,      // was untouched
        Destructed,   // was not destructed
        JustCreated,  // was not flagged as created in this transaction
    };
    struct JournalEntry {
        Change change;
        address addr;
        uint256 key;
        uint256 value;
        bytes code;
    };

    Account& existing(const address& addr) { return accounts_.find(addr)->second; }
    // Loads `addr` from the base into the cache; null when the base has no such account.
    Account* load(const address& addr) const;
    // The slot of `key`, loaded from the base on first access.
    StorageSlot& loaded_slot(Account& acc, const address& addr, const uint256& key) const;
    void forget(const address& addr);
    void record(Change change, const address& addr, const uint256& key = {},
                const uint256& value = {}) {
        journal_.push_back({change, addr, key, value, {}});
    }

    const StateReader* base_ = nullptr;
    mutable std::unordered_map<address, Account> accounts_;
    // Over a base: addresses known to be absent (looked up, or removed here), and removed ones.
    mutable std::unordered_set<address> absent_;
    std::unordered_set<address> removed_;
    // The account found last: execution touches the same one (the running contract) again and
    // again. Node pointers of the map are stable; every erase clears this, and copies start empty.
    struct LastFound {
        address addr;
        Account* account = nullptr;
        LastFound() = default;
        LastFound(const LastFound&) {}
        LastFound& operator=(const LastFound&) {
            account = nullptr;
            return *this;
        }
    };
    mutable LastFound last_found_;
    // Kept apart from the accounts so that touching a missing address (BALANCE of nothing) does
    // not bring an account into existence.
    std::unordered_set<address> warm_accounts_;
    // Warm slots of accounts that do not exist (an access list may name any address); slots of
    // existing accounts carry their own flag. Almost always empty.
    struct SlotHash {
        size_t operator()(const std::pair<address, uint256>& k) const {
            return std::hash<address>{}(k.first) ^ std::hash<uint256>{}(k.second);
        }
    };
    std::unordered_set<std::pair<address, uint256>, SlotHash> warm_absent_slots_;
    std::vector<JournalEntry> journal_;
};

// keccak-keyed Merkle-Patricia roots of the state and of one account's storage.
hash256 storage_root(const Account& account);
hash256 state_root(const State& state);

}  // namespace krnl::state
