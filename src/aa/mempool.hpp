// The user-operation mempool: validated ops of both EntryPoints, per sender in nonce order (2D
// nonces: each 192-bit key is its own queue), replacement by a fee bump, ERC-7562's mempool and
// reputation rules on admission (UREP, GREP, STO-040, EREP-010), bounds in count and bytes, the
// choice of ops for a bundle, and the ops a block's state changes may have invalidated. It holds
// no chain state: the caller validates, reads stakes and deposits, and says what changed. Not
// thread-safe: the caller holds one lock over the pool and its Reputation.
#pragma once

#include <compare>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "aa/reputation.hpp"
#include "aa/user_operation.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::aa {

struct StorageSlot {
    address account;
    bytes32 key;
    friend bool operator==(const StorageSlot&, const StorageSlot&) = default;
    friend auto operator<=>(const StorageSlot&, const StorageSlot&) = default;
};

// What validation read, so that a block that changes any of it triggers a re-validation.
struct ValidationReads {
    std::vector<address> accounts;   // accounts whose code, balance or existence was read
    std::vector<StorageSlot> slots;  // storage slots read or written
};

struct PooledUserOp {
    UserOperation op;
    hash256 hash;
    address entry_point;
    EntryPointVersion version = EntryPointVersion::V07;
    size_t encoded_size = 0;   // aa::encoded_size(op): what the op counts against the pool's bytes
    uint256 max_gas;           // aa::max_gas(op): what it counts against a bundle's gas
    OpEntities entities;       // entities_of(op, aggregator), `staked` from validation
    uint64_t valid_after = 0;  // the time range validation returned; 0 = unbounded
    uint64_t valid_until = 0;
    ValidationReads reads;
    // COD-010: the code hash of each address validation looked at (the sender it creates left
    // out); a bundle drops the op if one changed since.
    std::vector<std::pair<address, hash256>> code_hashes;
    uint64_t block_number = 0;  // the block validation ran on (GREP-020's live blocks)
    uint64_t arrival = 0;       // set by the pool: dump order and the tie-break of equal tips
    bool unchecked = false;     // set by the pool: added by debug_bundler_addUserOps
};

// Whether the EntryPoint accepts the op in a block at `timestamp`: v0.7 validAfter <= t <=
// validUntil, v0.8 validAfter < t <= validUntil (validUntil 0 meaning no expiry).
bool in_time_range(const PooledUserOp& entry, uint64_t timestamp);

// What a block changed: accounts whose code, balance or nonce changed, and storage slots written.
struct StateChanges {
    std::unordered_set<address> accounts;
    std::set<StorageSlot> slots;
};

struct BundleRequest {
    address entry_point;
    uint256 base_fee;        // of the block the bundle goes into
    uint64_t timestamp = 0;  // of that block: ops outside their time range wait
    uint256 max_gas;         // sum of the chosen ops' max_gas
    size_t max_ops = 0;      // 0: no bound
    // The spec allows more than one op of a sender only if the bundler validates them together
    // ("MUST first validate them together"); with more than 1 the caller must.
    size_t max_ops_per_sender = 1;
};

class Mempool {
public:
    struct Limits {
        size_t max_ops = 4096;
        size_t max_bytes = size_t{16} << 20;
        size_t same_sender = kSameSenderMempoolCount;                        // UREP-010
        size_t same_unstaked_entity = kSameUnstakedEntityMempoolCount;       // UREP-020's base
        size_t throttled_entity = kThrottledEntityMempoolCount;              // GREP-020
        size_t throttled_entity_bundle = kThrottledEntityBundleCount;        // GREP-020
        uint64_t throttled_entity_live_blocks = kThrottledEntityLiveBlocks;  // GREP-020
        unsigned replacement_bump_percent = 10;
        // Quoted in the -32505 error, so that it says what stake lifts the limit.
        uint256 min_stake;
        uint64_t min_unstake_delay = kMinUnstakeDelay;
    };

    struct AddOptions {
        // EREP-010: the paymaster's deposit at the op's EntryPoint. When set, the op is refused
        // if it and the paymaster's other pooled ops could cost more (max gas at maxFeePerGas).
        std::optional<uint256> paymaster_deposit;
        // debug_bundler_addUserOps: no reputation, per-entity or multi-role rules; replacement
        // and the pool's bounds still apply.
        bool unchecked = false;
    };

    explicit Mempool(Limits limits) : limits_(std::move(limits)) {}
    Mempool() : Mempool(Limits{}) {}
    const Limits& limits() const { return limits_; }

    // Adds a validated op, or replaces the pooled op of the same EntryPoint, sender and nonce.
    // Counts the op's entities as seen in `reputation` (and un-counts the replaced op's).
    // Returns the hash of the op it replaced, if any. Errors are ERC-7769's: -32602 (already
    // known, replacement underpriced), -32504 (banned, throttled), -32505 (unstaked past its
    // count), -32502 (STO-040), -32508 (EREP-010), -32005 (the pool is full).
    std::expected<std::optional<hash256>, rpc::RpcError> add(PooledUserOp entry,
                                                             Reputation& reputation,
                                                             const AddOptions& options);
    std::expected<std::optional<hash256>, rpc::RpcError> add(PooledUserOp entry,
                                                             Reputation& reputation) {
        return add(std::move(entry), reputation, AddOptions{});
    }

    const PooledUserOp* find(const hash256& hash) const;
    const PooledUserOp* find(const address& entry_point, const address& sender,
                             const uint256& nonce) const;

    // Removes without touching reputation (dropped by the caller, e.g. failed re-validation with
    // nobody to blame).
    std::optional<PooledUserOp> remove(const hash256& hash);
    // The op was included on chain (its UserOperationEvent): removes it and counts its entities
    // as included.
    std::optional<PooledUserOp> remove_included(const hash256& hash, Reputation& reputation);
    // GREP-010: removes every op naming `entity` in any role.
    std::vector<hash256> remove_entity(const address& entity);
    // GREP-010 after a status change (setReputation, opsSeen growing): every op naming a
    // banned entity.
    std::vector<hash256> remove_banned(const Reputation& reputation);
    // Ops that expired before `timestamp` (validUntil < timestamp): they can never be included.
    std::vector<hash256> remove_expired(uint64_t timestamp);
    // GREP-020: ops naming a throttled entity that have waited THROTTLED_ENTITY_LIVE_BLOCKS.
    std::vector<hash256> remove_stale_throttled(uint64_t block_number,
                                                const Reputation& reputation);

    // The op failed its second validation (before a bundle): it is removed, its entities'
    // opsSeen counts are undone, and the entity to blame (entity_to_blame) gets one opsSeen
    // back (EREP-015: a paymaster is not charged for its account's failure).
    std::optional<PooledUserOp> drop_failed_validation(const hash256& hash,
                                                       const std::optional<address>& blamed,
                                                       Reputation& reputation);
    // The op reverted in handleOps after passing second validation: it is removed, its counts
    // undone, the entity to blame is banned (GREP-040) and its other ops removed (GREP-010).
    // Returns the hashes removed, the failed op's first.
    std::vector<hash256> drop_failed_in_bundle(const hash256& hash,
                                               const std::optional<address>& blamed,
                                               Reputation& reputation);

    // Replaces what the op's validation read (after a second validation).
    bool update_reads(const hash256& hash, ValidationReads reads);
    // The op with a renewed signature (its hash does not cover the signature) and what its new
    // validation returned; false when it is no longer pooled.
    bool renew(const hash256& hash, const UserOperation& op, uint64_t valid_after,
               uint64_t valid_until, ValidationReads reads);
    // Ops whose validation read something `changes` holds, in arrival order.
    std::vector<hash256> touched(const StateChanges& changes) const;

    // Ops for one bundle, in the order handleOps should take them: the highest effective tip
    // (min(maxPriorityFeePerGas, maxFeePerGas - base fee)) first, arrival breaking ties; each
    // sender's ops of a nonce key in sequence without gaps; at most max_ops_per_sender per
    // sender; ops with a fee cap below the base fee, outside their time range, naming a banned
    // entity, naming a throttled entity past THROTTLED_ENTITY_BUNDLE_COUNT, or reading the
    // storage of another pooled op's sender (STO-041) wait, and so do the later nonces of their
    // key; an op that does not fit the gas left is passed over for smaller ones.
    std::vector<const PooledUserOp*> select_for_bundle(const BundleRequest& request,
                                                       const Reputation& reputation) const;

    // In arrival order (debug_bundler_dumpMempool).
    std::vector<const PooledUserOp*> dump() const;
    void clear();
    size_t size() const { return by_arrival_.size(); }
    size_t bytes() const { return bytes_; }
    // Ops naming `entity` in any role.
    size_t entity_count(const address& entity) const;
    // What the paymaster's ops pooled for `entry_point` may cost at most (EREP-010).
    uint256 paymaster_pending_cost(const address& entry_point, const address& paymaster) const;

private:
    struct NonceKey {
        address entry_point;
        address sender;
        uint256 nonce;
        friend auto operator<=>(const NonceKey&, const NonceKey&) = default;
        friend bool operator==(const NonceKey&, const NonceKey&) = default;
    };
    // How often an address appears in pooled ops: in any role (once per op), as a sender, and
    // as a factory, paymaster or aggregator (STO-040).
    struct EntityUse {
        size_t ops = 0;
        size_t as_sender = 0;
        size_t as_other = 0;
    };

    std::expected<void, rpc::RpcError> check_entities(const PooledUserOp& entry,
                                                      const PooledUserOp* replaced,
                                                      const Reputation& reputation) const;
    std::expected<void, rpc::RpcError> check_paymaster_deposit(const PooledUserOp& entry,
                                                               const PooledUserOp* replaced,
                                                               const uint256& deposit) const;
    void insert(PooledUserOp entry);
    PooledUserOp erase(uint64_t arrival);
    void count_uses(const PooledUserOp& entry, int direction);
    const EntityUse* uses(const address& entity) const;

    Limits limits_;
    uint64_t arrivals_ = 0;
    size_t bytes_ = 0;
    std::map<uint64_t, PooledUserOp> by_arrival_;
    std::unordered_map<hash256, uint64_t> by_hash_;
    std::map<NonceKey, uint64_t> by_nonce_;  // a sender's ops of one key are adjacent, in order
    std::unordered_map<address, EntityUse> uses_;
};

}  // namespace krnl::aa
