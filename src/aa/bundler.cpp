#include "aa/bundler.hpp"

#include <algorithm>

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
    constexpr uint64_t kPerOpOverhead = 18'300;
    constexpr uint64_t kPerOpWord = 4;
    const uint64_t words = (encoded_size(op) + 31) / 32;
    return kTransactionBase + kPerOpOverhead + kPerOpWord * words + calldata_gas(op);
}

template <typename F>
auto Bundler::timed(F&& work) const -> decltype(work()) {
    rpc::EvmRun run(timer_, options_.evm_timeout);
    auto result = work();
    if (run.cancellation().cancelled())
        return rpc::error(
            rpc::code::kServerError,
            "execution aborted (timeout = " + rpc::go_duration(options_.evm_timeout) + ")");
    return result;
}

Bundler::Bundler(chain::Chain& chain, EntryPointSimulator simulator, BundlerOptions options)
    : chain_(chain),
      simulator_(std::move(simulator)),
      options_(std::move(options)),
      lookup_(chain, options_.receipt_lookback_blocks) {
    chain_.on_block([this](const chain::BlockEvent& event) { lookup_.on_block(event); });
}

SimulationEnv Bundler::head_env(chain::ChainReader& reader) const {
    const auto head = reader.header(reader.head());
    SimulationEnv env;
    env.rev = chain_.config().revision;
    env.block.number = static_cast<int64_t>(head->number + 1);
    env.block.timestamp = static_cast<int64_t>(head->timestamp + 1);
    env.block.gas_limit = static_cast<int64_t>(head->gas_limit);
    env.block.coinbase = head->coinbase;
    env.block.prev_randao = uint256::from_bytes32(head->mix_hash);
    env.block.base_fee = head->base_fee_per_gas ? chain::next_base_fee(*head) : uint256{};
    env.block.chain_id = chain_.config().chain_id;
    env.gas_cap = std::min<uint64_t>(chain_.config().call_gas_cap, head->gas_limit);
    env.cache = &chain_.analysis_cache();
    env.block_hash = reader.block_hashes();
    return env;
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
            return rpc::error(code::kInvalidSignature,
                              "eip7702Auth is not signed by the sender " + to_hex(op.sender));
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

Result<ValidationResult> Bundler::validate(const UserOperation& op,
                                           EntryPointVersion version) const {
    if (auto r = check_fields(op, version); !r) return std::unexpected(r.error());
    auto reader = chain_.reader();
    const SimulationEnv env = head_env(reader);
    auto view = reader.state_at(reader.head());
    state::State st(*view);
    KRNL_RPC_TRY(result, timed([&] { return simulator_.validate(st, env, op, version); }));
    if (auto r = check_result(result, op); !r) return std::unexpected(r.error());
    return result;
}

Result<GasEstimate> Bundler::estimate(
    const UserOperation& op, const address& entry_point,
    const std::vector<std::pair<address, chain::AccountOverride>>& overrides) const {
    const auto version = entry_point_version(entry_point);
    if (!version) return invalid("unsupported EntryPoint " + to_hex(entry_point));
    if (auto r = rpc::check_override_code(overrides, options_.max_override_code_bytes); !r)
        return std::unexpected(r.error());
    auto reader = chain_.reader();
    const SimulationEnv env = head_env(reader);
    auto view = reader.state_at(reader.head());
    const auto fresh = [&] {
        state::State st(*view);
        chain::apply_overrides(st, overrides);
        return st;
    };
    EstimationLimits limits;
    limits.max_verification_gas = options_.max_verification_gas;
    return timed(
        [&] { return estimate_user_operation_gas(simulator_, fresh, env, op, *version, limits); });
}

Result<hash256> Bundler::send(const UserOperation& op, const address& entry_point) {
    const auto version = entry_point_version(entry_point);
    if (!version) return invalid("unsupported EntryPoint " + to_hex(entry_point));
    KRNL_RPC_TRY(result, validate(op, *version));
    (void)result;
    const std::optional<address> delegate =
        op.eip7702_auth ? std::optional(op.eip7702_auth->delegate) : std::nullopt;
    const hash256 hash = user_operation_hash(op, *version, chain_.config().chain_id, delegate);
    if (auto r = add_unchecked(op, entry_point); !r) return std::unexpected(r.error());
    if (mode() == BundlingMode::Auto) {
        KRNL_RPC_TRY(sent, bundle_now());
        (void)sent;
    }
    return hash;
}

Result<void> Bundler::add_unchecked(const UserOperation& op, const address& entry_point) {
    const auto version = entry_point_version(entry_point);
    if (!version) return invalid("unsupported EntryPoint " + to_hex(entry_point));
    const std::optional<address> delegate =
        op.eip7702_auth ? std::optional(op.eip7702_auth->delegate) : std::nullopt;
    const hash256 hash = user_operation_hash(op, *version, chain_.config().chain_id, delegate);
    std::lock_guard lock(mutex_);
    for (const PendingOp& p : pending_) {
        if (p.hash == hash) return invalid("user operation " + to_hex(hash) + " is already known");
        if (p.op.sender == op.sender && p.op.nonce == op.nonce && p.version == *version)
            return invalid("an op of sender " + to_hex(op.sender) + " with nonce " +
                           rpc::to_quantity(op.nonce) + " is already pending");
    }
    if (pending_.size() >= options_.max_pending_ops)
        return rpc::error(rpc::code::kLimitExceeded, "the user operation pool is full (" +
                                                         std::to_string(options_.max_pending_ops) +
                                                         " ops)");
    pending_.push_back({op, hash, *version});
    return {};
}

Result<std::vector<hash256>> Bundler::bundle_now() {
    std::lock_guard bundling(bundling_);
    std::vector<PendingOp> taken;
    {
        std::lock_guard lock(mutex_);
        taken.assign(std::make_move_iterator(pending_.begin()),
                     std::make_move_iterator(pending_.end()));
        pending_.clear();
    }
    std::vector<hash256> sent;
    for (EntryPointVersion version : {EntryPointVersion::V07, EntryPointVersion::V08}) {
        std::vector<PendingOp> ops;
        for (PendingOp& p : taken)
            if (p.version == version) ops.push_back(std::move(p));
        if (ops.empty()) continue;
        KRNL_RPC_TRY(tx, bundle_entry_point(version, std::move(ops)));
        if (tx) sent.push_back(*tx);
    }
    return sent;
}

Result<std::optional<hash256>> Bundler::bundle_entry_point(EntryPointVersion version,
                                                           std::vector<PendingOp> ops) {
    const address entry_point = entry_point_address(version);
    const address beneficiary = options_.beneficiary.value_or(options_.key_address);
    while (!ops.empty()) {
        std::vector<PackedUserOperation> packed;
        uint256 gas = 60'000;  // handleOps' own work around the ops
        chain::Transaction tx;
        tx.type = chain::TxType::DynamicFee;
        for (const PendingOp& p : ops) {
            packed.push_back(*pack(p.op));
            gas += max_gas(p.op);
            if (p.op.eip7702_auth) {
                const Eip7702Auth& a = *p.op.eip7702_auth;
                tx.authorization_list.push_back(
                    {a.chain_id, a.delegate, a.nonce, a.y_parity, a.r, a.s});
                tx.type = chain::TxType::SetCode;
            }
        }
        auto reader = chain_.reader();
        const SimulationEnv env = head_env(reader);
        tx.chain_id = chain_.config().chain_id;
        tx.nonce = chain_.pending_nonce(options_.key_address);
        tx.to = entry_point;
        tx.data = encode_handle_ops(packed, beneficiary);
        tx.gas_limit = gas > uint256(static_cast<uint64_t>(env.block.gas_limit))
                           ? static_cast<uint64_t>(env.block.gas_limit)
                           : gas.w[0];
        tx.max_priority_fee_per_gas = options_.bundle_priority_fee;
        tx.max_fee_per_gas = env.block.base_fee * uint256(2) + options_.bundle_priority_fee;

        // The second validation: the bundle as a call on the head. An op the EntryPoint refuses
        // (FailedOp names its index) is dropped and the rest tried again.
        chain::CallRequest call;
        call.from = options_.key_address;
        call.to = entry_point;
        call.gas = tx.gas_limit;
        call.data = tx.data;
        call.authorization_list = tx.authorization_list;
        auto view = reader.state_at(reader.head());
        state::State st(*view);
        auto outcome = chain::simulate_call(st, env.rev, env.block, call, tx.gas_limit, *env.cache,
                                            env.block_hash);
        if (!outcome) return rpc::error(rpc::code::kInternalError, "bundle: " + outcome.error());
        if (outcome->status != evm::StatusCode::Success) {
            const auto failed = decode_failed_op(outcome->output);
            if (!failed || failed->op_index >= uint256(ops.size())) {
                const rpc::RpcError e = rejection_from_revert(outcome->output);
                return rpc::error(e.code, "the bundle reverted: " + e.message, e.data);
            }
            ops.erase(ops.begin() + static_cast<ptrdiff_t>(failed->op_index.w[0]));
            continue;
        }
        if (!chain::sign_transaction(tx, options_.key_secret))
            return rpc::error(rpc::code::kInternalError, "bundle: signing failed");
        auto hash = chain_.submit(tx);
        if (!hash) return rpc::error(rpc::code::kServerError, "bundle: " + hash.error().message);
        return *hash;
    }
    return std::optional<hash256>{};
}

void Bundler::set_mode(BundlingMode mode) {
    std::lock_guard lock(mutex_);
    mode_ = mode;
}

BundlingMode Bundler::mode() const {
    std::lock_guard lock(mutex_);
    return mode_;
}

std::vector<PendingOp> Bundler::pending(const address& entry_point) const {
    std::lock_guard lock(mutex_);
    std::vector<PendingOp> out;
    for (const PendingOp& p : pending_)
        if (entry_point_address(p.version) == entry_point) out.push_back(p);
    return out;
}

void Bundler::clear_pending() {
    std::lock_guard lock(mutex_);
    pending_.clear();
}

}  // namespace krnl::aa
