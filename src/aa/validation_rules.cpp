#include "aa/validation_rules.hpp"

#include <algorithm>
#include <functional>

#include "chain/host.hpp"
#include "common/keccak.hpp"
#include "evm/instructions.hpp"

namespace krnl::aa {

namespace {

using rpc::Erc7562Frame;

constexpr uint8_t OP_BALANCE = 0x31, OP_SELFBALANCE = 0x47, OP_GAS = 0x5a, OP_CREATE = 0xf0,
                  OP_CALL = 0xf1, OP_CALLCODE = 0xf2, OP_CREATE2 = 0xf5;

// [OP-011] Environment opcodes banned for every entity (CREATE is judged by its frames, below).
constexpr uint8_t kBannedOpcodes[] = {0x32, 0x3a, 0x40, 0x41, 0x42, 0x43, 0x44,
                                      0x45, 0x48, 0x49, 0x4a, 0xfe, 0xff};

// Associated slots reach this far past keccak(A ‖ x) (a struct or fixed array at that base).
constexpr uint64_t kAssociatedSpan = 128;

enum class Role { Account, Factory, Paymaster, Aggregator };

std::string role_name(Role r) {
    switch (r) {
        case Role::Account:
            return "account";
        case Role::Factory:
            return "factory";
        case Role::Paymaster:
            return "paymaster";
        case Role::Aggregator:
            return "aggregator";
    }
    return "";
}

std::string stake_text(const StakeInfo& s) {
    return "stake " + to_string(s.stake) + " wei, unstake delay " +
           std::to_string(s.unstake_delay_sec) + " s";
}

// A rule needs stake the entity lacks: with no stake at all the op broke a validation rule
// (-32502, as reference bundlers answer); with some stake below the minimums, -32505.
int stake_error_code(const StakeInfo& s) {
    return s.stake == 0 || s.unstake_delay_sec == 0 ? kOpcodeValidationError
                                                    : kInsufficientStakeError;
}

std::array<uint8_t, 4> selector_of(std::string_view signature) {
    const hash256 h = keccak256(as_bytes(signature));
    return {h[0], h[1], h[2], h[3]};
}

bool has_selector(const bytes& input, const std::array<uint8_t, 4>& sel) {
    return input.size() >= 4 && std::equal(sel.begin(), sel.end(), input.begin());
}

// The numeric value of an address that fits 16 bits (a precompile's), or nullopt.
std::optional<uint32_t> small_address(const address& a) {
    for (size_t i = 0; i < 18; ++i)
        if (a[i] != 0) return std::nullopt;
    return (uint32_t{a[18]} << 8) | a[19];
}

uint256 padded(const address& a) {
    return uint256::from_bytes32(bytes32::from_view(a.view()));
}

class Checker {
public:
    Checker(const Erc7562Frame& root, const ValidationEntities& e, const RuleConfig& c)
        : e_(e),
          c_(c),
          sender_creator_(e.sender_creator.value_or(chain::create_address(e.entry_point, 1))) {
        // keccak(A ‖ x) for each entity A: bases of A's associated slots.
        for (const bytes& preimage : root.keccak) {
            if (preimage.size() < 32) continue;
            const address owner = address::from_view(bytes_view(preimage).substr(0, 32));
            bool padding_zero = std::all_of(preimage.begin(), preimage.begin() + 12,
                                            [](uint8_t b) { return b == 0; });
            if (!padding_zero || !is_entity_or_sender(owner)) continue;
            bases_[owner].push_back(uint256::from_bytes32(keccak256(preimage)));
        }
    }

    void run(const Erc7562Frame& root) { walk_system(root); }

    std::vector<RuleViolation> take() { return std::move(out_); }

    // Calls `visit(frame, role)` for every frame of an entity, EntryPoint frames excluded.
    template <typename Visit>
    void for_each_entity_frame(const Erc7562Frame& root, Visit&& visit) {
        visit_ = [&](const Erc7562Frame& f, Role r) { visit(f, r); };
        collecting_ = true;
        walk_system(root);
        collecting_ = false;
    }

private:
    const ValidationEntities& e_;
    const RuleConfig& c_;
    address sender_creator_;
    std::map<address, std::vector<uint256>> bases_;
    std::vector<RuleViolation> out_;
    std::set<std::string> seen_;
    size_t sender_create2_count_ = 0;
    bool collecting_ = false;
    std::function<void(const Erc7562Frame&, Role)> visit_;

    bool is_entity_or_sender(const address& a) const {
        return a == e_.sender || a == e_.factory || a == e_.paymaster || a == e_.aggregator;
    }
    bool is_entity(const address& a) const {
        return a == e_.factory || a == e_.paymaster || a == e_.aggregator;
    }

    const StakeInfo& stake_of(Role r) const {
        switch (r) {
            case Role::Account:
                return e_.sender_stake;
            case Role::Factory:
                return e_.factory_stake;
            case Role::Paymaster:
                return e_.paymaster_stake;
            case Role::Aggregator:
                return e_.aggregator_stake;
        }
        return e_.sender_stake;
    }
    address address_of(Role r) const {
        switch (r) {
            case Role::Account:
                return e_.sender;
            case Role::Factory:
                return e_.factory.value_or(address{});
            case Role::Paymaster:
                return e_.paymaster.value_or(address{});
            case Role::Aggregator:
                return e_.aggregator.value_or(address{});
        }
        return {};
    }
    bool staked(Role r) const { return is_staked(stake_of(r), c_); }

    void violation(Role r, std::string rule, std::string what) {
        std::string message = rule + ": " + role_name(r) + " " + what + " [" + role_name(r) + " " +
                              to_hex(address_of(r)) + "]";
        if (!seen_.insert(message).second) return;
        out_.push_back({kOpcodeValidationError, std::move(rule), role_name(r), address_of(r),
                        std::move(message)});
    }

    // A rule that `needer` (whose stake is missing) would satisfy if staked.
    void stake_needed(Role r, Role needer, std::string rule, std::string what) {
        std::string message = rule + ": " + role_name(r) + " " + what + " [" + role_name(r) + " " +
                              to_hex(address_of(r)) + "], which requires the " + role_name(needer) +
                              " " + to_hex(address_of(needer)) + " to be staked (minimum stake " +
                              to_string(c_.min_stake_value) + " wei and unstake delay " +
                              std::to_string(c_.min_unstake_delay_sec) + " s; it has " +
                              stake_text(stake_of(needer)) + ")";
        if (!seen_.insert(message).second) return;
        out_.push_back({stake_error_code(stake_of(needer)), std::move(rule), role_name(needer),
                        address_of(needer), std::move(message)});
    }

    // Frames of the EntryPoint (and its SenderCreator): not judged; their callees start entities.
    void walk_system(const Erc7562Frame& f) {
        const bool from_creator = f.to == sender_creator_;
        for (const Erc7562Frame& child : f.calls) {
            if (!child.to) continue;
            const address& to = *child.to;
            if (to == e_.entry_point || to == sender_creator_) {
                walk_system(child);
            } else if (from_creator && to == e_.factory) {
                walk_entity(child, Role::Factory);
            } else if (to == e_.sender) {
                walk_entity(child, Role::Account);
            } else if (to == e_.paymaster) {
                walk_entity(child, Role::Paymaster);
            } else if (to == e_.aggregator) {
                walk_entity(child, Role::Aggregator);
            } else if (from_creator) {
                // Whatever else SenderCreator calls runs the op's initCode.
                walk_entity(child, e_.factory ? Role::Factory : Role::Account);
            }
            // Else the EntryPoint's own helpers (precompiles): not an entity's.
        }
    }

    void walk_entity(const Erc7562Frame& f, Role r) {
        if (f.to == e_.entry_point && f.from != e_.entry_point) {
            if (!collecting_) check_entry_point_call(f, r);
            return;  // the EntryPoint's code (depositTo) is not the entity's
        }
        if (collecting_)
            visit_(f, r);
        else
            check_frame(f, r);
        for (const Erc7562Frame& child : f.calls)
            walk_entity(child, r);
    }

    // [OP-052] depositTo from the account or factory, [OP-053] the fallback from the account,
    // [OP-055] incrementNonce from the account; [OP-054] nothing else.
    void check_entry_point_call(const Erc7562Frame& f, Role r) {
        static const auto kDepositTo = selector_of("depositTo(address)");
        static const auto kIncrementNonce = selector_of("incrementNonce(uint192)");
        const bool is_call = f.type == OP_CALL;
        if (is_call && has_selector(f.input, kDepositTo) &&
            (r == Role::Account || r == Role::Factory))
            return;
        if (is_call && f.input.empty() && r == Role::Account) return;
        if (is_call && has_selector(f.input, kIncrementNonce) && r == Role::Account) return;
        const std::string what = f.input.size() >= 4
                                     ? "selector " + to_hex(bytes_view(f.input).substr(0, 4))
                                     : std::string("the fallback");
        violation(r, "OP-054",
                  "calls the EntryPoint (" + rpc::opcode_name(f.type) + " of " + what +
                      "); validation may only call depositTo (account, factory), the fallback "
                      "and incrementNonce (account)");
    }

    void check_frame(const Erc7562Frame& f, Role r) {
        const std::string where = " (in " + rpc::opcode_name(f.type) + " frame of " +
                                  (f.to ? to_hex(*f.to) : std::string("a creation")) + ")";
        for (const auto& [op, count] : f.used_opcodes) {
            if (std::find(std::begin(kBannedOpcodes), std::end(kBannedOpcodes), op) !=
                std::end(kBannedOpcodes)) {
                violation(r, "OP-011", "uses banned opcode: " + rpc::opcode_name(op) + where);
            } else if (op == OP_GAS) {
                violation(r, "OP-012",
                          "uses banned opcode: GAS (allowed only right before a *CALL)" + where);
            } else if (evm::kInstructionTraits[op].name.empty()) {
                violation(r, "OP-013",
                          "uses banned opcode: " + rpc::opcode_name(op) + " (unassigned)" + where);
            } else if ((op == OP_BALANCE || op == OP_SELFBALANCE) && !staked(r)) {
                stake_needed(r, r, "OP-080", "uses banned opcode: " + rpc::opcode_name(op) + where);
            }
        }
        if (f.out_of_gas) violation(r, "OP-020", "reverted on out of gas" + where);
        if (f.type == OP_CREATE || f.type == OP_CREATE2) check_create(f, r);
        check_code_access(f, r, where);
        for (const address& a : f.ext_code_access)
            if (a == e_.entry_point)
                violation(r, "OP-054",
                          "accesses the EntryPoint's code with EXTCODE* (only EXTCODESIZE "
                          "followed by ISZERO is allowed, OP-051)" +
                              where);
        for (const auto& [to, value] : f.value_calls)
            if (to != e_.entry_point)
                violation(r, "OP-061",
                          "calls " + to_hex(to) + " with value " + to_string(value) +
                              " (only the EntryPoint may receive value)" + where);
        check_storage(f, r, where);
    }

    // [OP-031] CREATE2 once, by the factory, of the sender; [OP-032] CREATE by the sender of an op
    // with a factory; [EREP-060/061] any creation by a staked factory (or the sender it creates).
    void check_create(const Erc7562Frame& f, Role r) {
        const bool create2 = f.type == OP_CREATE2;
        const bool by_sender = f.from == e_.sender;
        const bool by_factory = e_.factory && f.from == *e_.factory;
        if (create2 && r == Role::Factory && f.to == e_.sender) {
            if (++sender_create2_count_ == 1) return;
            violation(r, "OP-031", "uses banned opcode: CREATE2 (to deploy the sender again)");
            return;
        }
        if (!create2 && e_.factory && by_sender && (r == Role::Account || r == Role::Factory))
            return;
        const bool allowed_if_staked =
            e_.factory && (by_sender || by_factory || r == Role::Factory);
        const std::string what = "uses banned opcode: " + rpc::opcode_name(f.type) + " (from " +
                                 to_hex(f.from) +
                                 (f.to ? ", creating " + to_hex(*f.to) : std::string()) + ")";
        if (allowed_if_staked && staked(Role::Factory)) return;
        if (allowed_if_staked) {
            stake_needed(r, Role::Factory, create2 ? "OP-031" : "OP-011", what);
            return;
        }
        violation(r, create2 ? "OP-031" : "OP-011",
                  what + " (only the factory may CREATE2 the sender, once)");
    }

    // [OP-041] no code access to addresses without code, except [OP-042] the sender;
    // [OP-062] only the known stateless precompiles; [AUTH-030] EIP-7702 accounts only if sender.
    void check_code_access(const Erc7562Frame& f, Role r, const std::string& where) {
        for (const auto& [a, access] : f.contract_size) {
            if (a == e_.entry_point || a == e_.sender) continue;
            const std::string via = " with " + rpc::opcode_name(access.opcode) + where;
            if (auto n = small_address(a); n && *n != 0 && *n < 0x400) {
                const bool allowed = *n <= 0x11 || (*n == 0x100 && c_.allow_p256_precompile);
                if (!allowed && access.contract_size == 0)
                    violation(r, "OP-062",
                              "calls precompile " + to_hex(a) +
                                  ", which is not allowed in validation" + via);
                if (access.contract_size == 0) continue;
            }
            if (access.contract_size == 0)
                violation(r, "OP-041", "accesses address " + to_hex(a) + " that has no code" + via);
            else if (access.delegated)
                violation(r, "AUTH-030",
                          "accesses EIP-7702 account " + to_hex(a) +
                              ", which only the op's own sender may be" + via);
        }
    }

    bool associated(const uint256& slot, const address& a) const {
        if (slot == padded(a)) return true;
        auto it = bases_.find(a);
        if (it == bases_.end()) return false;
        for (const uint256& base : it->second)
            if (slot >= base && slot - base < kAssociatedSpan) return true;
        return false;
    }

    void check_storage(const Erc7562Frame& f, Role r, const std::string& where) {
        const address& owner = f.storage_address;
        if (owner == e_.sender || owner == e_.entry_point) return;  // [STO-010]
        auto judge = [&](const bytes32& slot_bytes, bool write, bool transient) {
            const uint256 slot = uint256::from_bytes32(slot_bytes);
            // Storage associated with the sender is the sender's wherever it lives, an entity's
            // own contract included (a token paymaster's balance of the sender): the reference
            // bundler and its spec tests read STO-021 so, where the ERC's wording says
            // "non-entity contract".
            const bool sender_assoc = associated(slot, e_.sender);
            if (sender_assoc && !e_.sender_created) return;                   // [STO-021]
            if (sender_assoc && e_.factory && staked(Role::Factory)) return;  // [STO-022]
            const bool own = owner == address_of(r);                          // [STO-031]
            const bool entity_assoc = associated(slot, address_of(r)) && !is_entity(owner);
            const bool read_only = !write && !is_entity(owner);  // [STO-033]
            if ((own || entity_assoc || read_only) && staked(r)) return;
            const std::string what = std::string(write ? "writes" : "reads") +
                                     (transient ? " transient" : "") + " slot " +
                                     to_hex(slot_bytes) + " of " + to_hex(owner) + where;
            if (own)
                stake_needed(r, r, "STO-031", what + " (its own storage)");
            else if (entity_assoc)
                stake_needed(r, r, "STO-032", what + " (storage associated with it)");
            else if (sender_assoc && e_.factory)
                stake_needed(r, Role::Factory, "STO-022",
                             what + " (storage associated with the sender it deploys)");
            else if (read_only)
                stake_needed(r, r, "STO-033", what + " (storage not associated with the sender)");
            else
                violation(r, sender_assoc ? "STO-021" : "STO-010",
                          what + ": neither the sender's storage nor associated with the sender" +
                              (is_entity(owner) ? " (in another entity's storage)" : ""));
        };
        for (const auto& [slot, value] : f.reads)
            judge(slot, f.writes.contains(slot), false);
        for (const auto& [slot, n] : f.writes)
            judge(slot, true, false);
        for (const auto& [slot, n] : f.transient_reads)  // [OP-070] as persistent storage
            judge(slot, f.transient_writes.contains(slot), true);
        for (const auto& [slot, n] : f.transient_writes)
            judge(slot, true, true);
    }
};

void merge_code_hashes(const Erc7562Frame& f, std::map<address, hash256>& out) {
    for (const auto& [a, access] : f.contract_size) {
        auto [it, inserted] = out.emplace(a, access.code_hash);
        // An address first seen empty (the sender before its factory ran) keeps its later code.
        if (!inserted && access.code_hash != kEmptyKeccak) it->second = access.code_hash;
    }
    for (const Erc7562Frame& child : f.calls)
        merge_code_hashes(child, out);
}

}  // namespace

bool is_staked(const StakeInfo& s, const RuleConfig& c) {
    return s.stake >= c.min_stake_value && s.stake != 0 &&
           s.unstake_delay_sec >= c.min_unstake_delay_sec && s.unstake_delay_sec != 0;
}

std::vector<RuleViolation> check_validation_rules(const rpc::Erc7562Frame& root,
                                                  const ValidationEntities& e,
                                                  const RuleConfig& c) {
    Checker checker(root, e, c);
    checker.run(root);
    std::vector<RuleViolation> out = checker.take();
    auto stake_rule = [&](std::string rule, std::string entity, const address& a,
                          const StakeInfo& s, std::string why) {
        out.push_back({stake_error_code(s), rule, entity, a,
                       rule + ": " + entity + " " + to_hex(a) + " " + why +
                           " must be staked (minimum stake " + to_string(c.min_stake_value) +
                           " wei and unstake delay " + std::to_string(c.min_unstake_delay_sec) +
                           " s; it has " + stake_text(s) + ")"});
    };
    if (e.aggregator && !is_staked(e.aggregator_stake, c))  // [EREP-040]
        stake_rule("EREP-040", "aggregator", *e.aggregator, e.aggregator_stake, "(an aggregator)");
    if (e.paymaster && e.paymaster_context_size > 0 && !is_staked(e.paymaster_stake, c))
        stake_rule("EREP-050", "paymaster", *e.paymaster, e.paymaster_stake,
                   "returned a context of " + std::to_string(e.paymaster_context_size) +
                       " bytes; a paymaster that returns a context");
    if (e.paymaster && e.paymaster_context_size > c.max_context_size)  // [LIM-020]
        out.push_back({kOpcodeValidationError, "LIM-020", "paymaster", *e.paymaster,
                       "LIM-020: paymaster " + to_hex(*e.paymaster) + " returned a context of " +
                           std::to_string(e.paymaster_context_size) + " bytes, above the " +
                           std::to_string(c.max_context_size) + "-byte maximum"});
    return out;
}

ValidationAccesses collect_accesses(const rpc::Erc7562Frame& root, const ValidationEntities& e) {
    ValidationAccesses acc;
    Checker walker(root, e, RuleConfig{});
    walker.for_each_entity_frame(root, [&](const Erc7562Frame& f, Role) {
        auto add = [&](auto& target, const auto& slots) {
            for (const auto& [slot, _] : slots)
                target[f.storage_address].insert(slot);
        };
        add(acc.reads, f.reads);
        add(acc.reads, f.transient_reads);
        add(acc.writes, f.writes);
        add(acc.writes, f.transient_writes);
    });
    merge_code_hashes(root, acc.code_hashes);
    return acc;
}

std::vector<RuleViolation> check_code_hashes(const std::map<address, hash256>& first,
                                             const std::map<address, hash256>& second) {
    std::vector<RuleViolation> out;
    for (const auto& [a, hash] : first) {
        auto it = second.find(a);
        if (it == second.end() || it->second == hash) continue;
        out.push_back({kOpcodeValidationError, "COD-010", "", a,
                       "COD-010: the code of " + to_hex(a) +
                           " changed between the first and the second validation (code hash " +
                           to_hex(hash) + " became " + to_hex(it->second) + ")"});
    }
    return out;
}

std::vector<RuleViolation> check_code_hashes(const rpc::Erc7562Frame& first_root,
                                             const rpc::Erc7562Frame& second_root,
                                             const ValidationEntities& e) {
    return check_code_hashes(collect_accesses(first_root, e).code_hashes,
                             collect_accesses(second_root, e).code_hashes);
}

std::optional<RuleViolation> check_entity_roles(const ValidationEntities& op,
                                                const std::set<address>& other_senders,
                                                const std::set<address>& other_entities) {
    auto as_sender = [&](const std::optional<address>& a,
                         const char* role) -> std::optional<RuleViolation> {
        if (!a || !other_senders.contains(*a)) return std::nullopt;
        return RuleViolation{kOpcodeValidationError, "STO-040", role, *a,
                             std::string("STO-040: the ") + role + " " + to_hex(*a) +
                                 " is used as a sender entity in another UserOperation "
                                 "currently in mempool"};
    };
    if (auto v = as_sender(op.factory, "factory")) return v;
    if (auto v = as_sender(op.paymaster, "paymaster")) return v;
    if (auto v = as_sender(op.aggregator, "aggregator")) return v;
    if (other_entities.contains(op.sender))
        return RuleViolation{kOpcodeValidationError, "STO-040", "account", op.sender,
                             "STO-040: the sender " + to_hex(op.sender) +
                                 " is used as a different entity (factory, paymaster or "
                                 "aggregator) in another UserOperation currently in mempool"};
    return std::nullopt;
}

std::optional<RuleViolation> check_storage_of_other_senders(
    const ValidationAccesses& accesses, const ValidationEntities& op,
    const std::set<address>& other_senders) {
    for (const auto* map : {&accesses.reads, &accesses.writes}) {
        for (const auto& [owner, slots] : *map) {
            if (owner == op.sender || !other_senders.contains(owner)) continue;
            return RuleViolation{kOpcodeValidationError, "STO-041", "account", op.sender,
                                 "STO-041: validation of the UserOperation of " +
                                     to_hex(op.sender) + " uses storage of " + to_hex(owner) +
                                     ", the sender of another UserOperation"};
        }
    }
    return std::nullopt;
}

}  // namespace krnl::aa
