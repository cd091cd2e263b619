// Admission of a user operation: the checks of its fields, the EntryPoint's validation on a
// snapshot of the head traced for ERC-7562, the checks of its result, and the rules on the trace.
#include <algorithm>

#include "aa/bundler.hpp"
#include "chain/header_validation.hpp"
#include "chain/transaction.hpp"

namespace krnl::aa {
namespace {

using rpc::code::kInvalidParams;

std::unexpected<rpc::RpcError> invalid(std::string message) {
    return rpc::error(kInvalidParams, std::move(message));
}

std::string dec(const uint256& v) {
    return to_string(v);
}

// What the op's share of a bundle costs outside its gas limits: calldata, the transaction's base
// cost (a bundle of one pays it all), and the EntryPoint's bookkeeping per op.
uint64_t calldata_gas(const UserOperation& op) {
    const bytes encoded = encode_packed_tuple(*pack(op));
    uint64_t zero = 0;
    for (uint8_t b : encoded)
        zero += b == 0;
    const uint64_t nonzero = encoded.size() - zero;
    return 4 * zero + 16 * nonzero;
}

}  // namespace

uint64_t required_pre_verification_gas(const UserOperation& op) {
    constexpr uint64_t kTransactionBase = 21'000;
    // Measured on the EntryPoints: an op's bundle used 270 gas more than 18,300 per op and 4 per
    // word paid for, and 5 more per word of the op (its copies into memory).
    constexpr uint64_t kPerOpOverhead = 18'600;
    constexpr uint64_t kPerOpWord = 9;
    const uint64_t words = (encoded_size(op) + 31) / 32;
    return kTransactionBase + kPerOpOverhead + kPerOpWord * words + calldata_gas(op);
}

Result<void> Bundler::check_fields(const UserOperation& op, EntryPointVersion version) const {
    const size_t size = encoded_size(op);
    if (size > options_.max_op_bytes)
        return invalid("user operation is " + std::to_string(size) +
                       " bytes, over MAX_USEROP_SIZE " + std::to_string(options_.max_op_bytes));
    const uint256 verification = op.verification_gas_limit + op.paymaster_verification_gas_limit;
    if (verification > uint256(options_.max_verification_gas))
        return invalid(
            "verificationGasLimit + paymasterVerificationGasLimit = " + dec(verification) +
            " is over MAX_VERIFICATION_GAS " + std::to_string(options_.max_verification_gas));
    if (op.max_priority_fee_per_gas > op.max_fee_per_gas)
        return invalid("maxPriorityFeePerGas " + dec(op.max_priority_fee_per_gas) +
                       " is above maxFeePerGas " + dec(op.max_fee_per_gas));
    auto reader = chain_.reader();
    const auto head = reader.header(reader.head());
    if (head->base_fee_per_gas) {
        const uint256 base_fee = chain::next_base_fee(*head);
        if (op.max_fee_per_gas < base_fee)
            return invalid("maxFeePerGas " + dec(op.max_fee_per_gas) +
                           " is below the next block's base fee " + dec(base_fee));
    }
    const uint64_t pvg = required_pre_verification_gas(op);
    if (op.pre_verification_gas < uint256(pvg))
        return invalid("preVerificationGas " + dec(op.pre_verification_gas) + " is below the " +
                       std::to_string(pvg) + " the op needs");
    if (op.eip7702_auth) {
        if (version != EntryPointVersion::V08 || op.factory != kEip7702FactoryMarker)
            return invalid("eip7702Auth needs EntryPoint v0.8 and factory 0x7702");
        chain::Authorization auth{op.eip7702_auth->chain_id, op.eip7702_auth->delegate,
                                  op.eip7702_auth->nonce,    op.eip7702_auth->y_parity,
                                  op.eip7702_auth->r,        op.eip7702_auth->s};
        const auto authority = chain::recover_authority(auth);
        if (!authority || *authority != op.sender)
            return invalid("eip7702Auth: the authorization is not signed by the sender " +
                           to_hex(op.sender));
        if (auth.chain_id && auth.chain_id != uint256(chain_.config().chain_id))
            return invalid("eip7702Auth: the authorization is for chain " +
                           to_string(auth.chain_id) + ", not " +
                           std::to_string(chain_.config().chain_id));
        // The bundle applies it before the sender's nonce moves: it must be the current one.
        auto view = reader.state_at(reader.head());
        const auto account = view->read_account(op.sender);
        const uint64_t nonce = account ? account->nonce : 0;
        if (auth.nonce != nonce)
            return invalid("eip7702Auth: the authorization's nonce " + std::to_string(auth.nonce) +
                           " is not the sender's nonce " + std::to_string(nonce));
    }
    return {};
}

Result<void> Bundler::check_result(const ValidationResult& result, const UserOperation& op) const {
    if (result.account.signature_failed)
        return rpc::error(code::kInvalidSignature, "invalid UserOperation signature");
    if (result.paymaster.signature_failed)
        return rpc::error(code::kInvalidSignature, "invalid paymaster signature");
    if (!result.account.aggregator.is_zero())
        return rpc::error(code::kUnsupportedAggregator,
                          "aggregator " + to_hex(result.account.aggregator) + " is not supported");
    auto reader = chain_.reader();
    const uint64_t now = reader.header(reader.head())->timestamp + 1;
    for (const auto& [who, data] :
         {std::pair{"account", result.account}, std::pair{"paymaster", result.paymaster}}) {
        const bool not_yet = data.valid_after > now;
        const bool expiring =
            data.valid_until != 0 && data.valid_until < now + options_.valid_until_margin_s;
        if (not_yet || expiring) {
            json info = {{"validAfter", data.valid_after}, {"validUntil", data.valid_until}};
            if (std::string_view(who) == "paymaster" && op.paymaster)
                info["paymaster"] = to_hex(*op.paymaster);
            return rpc::error(code::kShortDeadline,
                              std::string(who) +
                                  (not_yet ? " signature is not valid yet (validAfter "
                                           : " signature expires too soon (validUntil ") +
                                  std::to_string(not_yet ? data.valid_after : data.valid_until) +
                                  ", next block at " + std::to_string(now) + ")",
                              info);
        }
    }
    return {};
}

ValidationEntities Bundler::entities_for(const ValidationResult& result, const UserOperation& op,
                                         EntryPointVersion version) const {
    ValidationEntities entities;
    entities.entry_point = entry_point_address(version);
    entities.sender = op.sender;
    const bool eip7702 = op.factory == kEip7702FactoryMarker;
    if (op.factory && !eip7702) entities.factory = op.factory;
    entities.paymaster = op.paymaster;
    if (!result.aggregator.is_zero()) entities.aggregator = result.aggregator;
    entities.sender_stake = result.sender_info;
    entities.factory_stake = result.factory_info;
    entities.paymaster_stake = result.paymaster_info;
    entities.aggregator_stake = result.aggregator_info;
    entities.sender_created = entities.factory.has_value();
    entities.paymaster_context_size = result.paymaster_context.size();
    return entities;
}

Result<void> Bundler::check_rules(const rpc::Erc7562Frame& trace,
                                  const ValidationEntities& entities) const {
    RuleConfig config;
    config.min_stake_value = options_.min_stake_value;
    config.min_unstake_delay_sec = options_.min_unstake_delay_s;
    const auto violations = check_validation_rules(trace, entities, config);
    if (violations.empty()) return {};
    const RuleViolation& first = violations.front();
    json all = json::array();
    for (const RuleViolation& v : violations)
        all.push_back({{"rule", v.rule},
                       {"entity", v.entity},
                       {"address", to_hex(v.entity_address)},
                       {"message", v.message}});
    return rpc::error(first.code, first.message, json{{"violations", std::move(all)}});
}

Result<Bundler::Validated> Bundler::validate(const UserOperation& op,
                                             EntryPointVersion version) const {
    if (auto r = check_fields(op, version); !r) return std::unexpected(r.error());
    auto reader = chain_.reader();
    const SimulationEnv env = head_env(reader);
    auto view = reader.state_at(reader.head());
    state::State st(*view);
    // The ERC-7562 rules are judged on a trace of the EntryPoint's own simulation.
    rpc::Erc7562Tracer tracer(st);
    KRNL_RPC_TRY(result, timed([&] { return simulator_.validate(st, env, op, version, &tracer); }));
    if (auto r = check_result(result, op); !r) return std::unexpected(r.error());
    tracer.finish({evm::StatusCode::Success, {}, 0});
    const ValidationEntities entities = entities_for(result, op, version);
    if (auto r = check_rules(tracer.root(), entities); !r) return std::unexpected(r.error());
    // What validation read decides when the op must be validated again, and which ops may share
    // a bundle (STO-041).
    const ValidationAccesses accesses = collect_accesses(tracer.root(), entities);
    ValidationReads reads;
    for (const auto& [account, code_hash] : accesses.code_hashes)
        reads.accounts.push_back(account);
    for (const auto* slots : {&accesses.reads, &accesses.writes})
        for (const auto& [account, keys] : *slots)
            for (const bytes32& key : keys)
                reads.slots.push_back({account, key});
    std::vector<std::pair<address, hash256>> code_hashes;
    // Left out: the EntryPoint (its simulation code stood in for its own) and a sender the op
    // creates (it has no code before its bundle).
    for (const auto& [account, code_hash] : accesses.code_hashes)
        if (account != entities.entry_point && !(account == op.sender && op.factory))
            code_hashes.emplace_back(account, code_hash);
    return Validated{std::move(result), std::move(reads), std::move(code_hashes)};
}

}  // namespace krnl::aa
