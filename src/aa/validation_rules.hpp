// ERC-7562 validation rules applied to the erc7562Tracer trace of one simulateValidation call of
// EntryPoint v0.7/v0.8 (EntryPointSimulations at the EntryPoint's address), plus the staking
// rules, the paymaster context rules, COD-010 (code hashes between the first and second
// validation) and the bundle-level STO-040/STO-041.
//
// Each entity's part of the trace is found the way reference bundlers find it: the frames the
// EntryPoint (or its SenderCreator) calls directly are the factory (SenderCreator -> factory), the
// account (EntryPoint -> sender.validateUserOp, or SenderCreator -> sender for v0.8's EIP-7702
// initialization) and the paymaster (EntryPoint -> validatePaymasterUserOp); everything those
// frames call belongs to the same entity. Frames of the EntryPoint itself (its self-calls, the
// depositTo an entity may make) are not subject to the rules. Storage is judged by the account
// that owns it (a DELEGATECALL's caller), not by the code's address.
//
// Enforced: OP-011 (incl. CREATE, INVALID, SELFDESTRUCT), OP-012, OP-013, OP-020, OP-031, OP-032,
// OP-041, OP-042, OP-051..OP-055, OP-061, OP-062 (0x01..0x11 and P256VERIFY 0x100), OP-070,
// OP-080, STO-010, STO-021, STO-022, STO-031..STO-033, EREP-040, EREP-050, EREP-060, EREP-061,
// LIM-020, AUTH-030; COD-010, STO-040 and STO-041 by the functions below. Messages read
// "<rule>: <entity> uses banned opcode: <NAME> ..." as reference bundlers word them.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aa/entry_point.hpp"
#include "common/bytes.hpp"
#include "common/uint256.hpp"
#include "rpc/erc7562_tracer.hpp"

namespace krnl::aa {

inline constexpr int kOpcodeValidationError = -32502;  // banned opcode or storage access
inline constexpr int kInsufficientStakeError = -32505;

struct RuleConfig {
    uint256 min_stake_value;                 // MIN_STAKE_VALUE: chain-specific
    uint64_t min_unstake_delay_sec = 86400;  // MIN_UNSTAKE_DELAY
    size_t max_context_size = 2048;          // MAX_CONTEXT_SIZE (LIM-020)
    bool allow_p256_precompile = true;       // OP-062: EIP-7951 P256VERIFY at 0x100
};

struct ValidationEntities {
    address entry_point;
    // The EntryPoint's SenderCreator; nullopt: the first contract the EntryPoint created
    // (create_address(entry_point, 1)), as for the canonical v0.7 and v0.8 deployments.
    std::optional<address> sender_creator;
    address sender;
    std::optional<address> factory;  // nullopt also for v0.8's EIP-7702 marker (0x7702)
    std::optional<address> paymaster;
    std::optional<address> aggregator;
    StakeInfo sender_stake, factory_stake, paymaster_stake, aggregator_stake;
    // The op deploys its sender (initCode with a factory). False for v0.8's EIP-7702 marker: that
    // account already exists, so storage associated with it is allowed (STO-021).
    bool sender_created = false;
    size_t paymaster_context_size = 0;  // of the context validatePaymasterUserOp returned
};

struct RuleViolation {
    // -32502: an opcode/storage rule; also a rule that needs stake when the entity has none.
    // -32505: a rule needs stake and the entity has some, below MIN_STAKE_VALUE/MIN_UNSTAKE_DELAY.
    int code = kOpcodeValidationError;
    std::string rule;    // "OP-011", "STO-021", ...
    std::string entity;  // "account" "factory" "paymaster" "aggregator"
    address entity_address;
    // Names the rule, the entity and the opcode/slot/address; for -32505 also the minimum stake
    // and unstake delay.
    std::string message;
};

// Every violation of the ERC-7562 rules in the trace of one simulateValidation call, with the
// staking rules (an entity that needs stake and lacks it: -32505; an aggregator always needs it,
// EREP-040) and the paymaster context rules (EREP-050, LIM-020). Empty: the op is valid.
std::vector<RuleViolation> check_validation_rules(const rpc::Erc7562Frame& root,
                                                  const ValidationEntities& e, const RuleConfig& c);

// An entity counts as staked with at least the minimum stake and unstake delay (SREP-010).
bool is_staked(const StakeInfo& s, const RuleConfig& c);

// What one op's validation touched: for re-validation when a block changes it, for COD-010 and
// for STO-041 across a bundle.
struct ValidationAccesses {
    // Storage (persistent and transient) by the address that owns it: slots read, slots written.
    std::map<address, std::set<bytes32>> reads;
    std::map<address, std::set<bytes32>> writes;
    // Every address whose code was looked at (*CALL, EXTCODE*), with its code hash as last seen.
    std::map<address, hash256> code_hashes;
};

// What the entities' frames touched (the EntryPoint's own frames excluded).
ValidationAccesses collect_accesses(const rpc::Erc7562Frame& root, const ValidationEntities& e);

// COD-010: addresses whose code hash differs between the first and second validation (an address
// the second validation no longer looks at is not a change).
std::vector<RuleViolation> check_code_hashes(const std::map<address, hash256>& first,
                                             const std::map<address, hash256>& second);
std::vector<RuleViolation> check_code_hashes(const rpc::Erc7562Frame& first_root,
                                             const rpc::Erc7562Frame& second_root,
                                             const ValidationEntities& e);

// STO-040: the op's factory, paymaster or aggregator is the sender of another op in the pool
// (`other_senders`), or its sender is an entity of another op (`other_entities`).
std::optional<RuleViolation> check_entity_roles(const ValidationEntities& op,
                                                const std::set<address>& other_senders,
                                                const std::set<address>& other_entities);

// STO-041: the op's validation used storage of a contract that is the sender of another op in
// the pool or bundle (`other_senders`; the op's own sender is ignored).
std::optional<RuleViolation> check_storage_of_other_senders(const ValidationAccesses& accesses,
                                                            const ValidationEntities& op,
                                                            const std::set<address>& other_senders);

}  // namespace krnl::aa
