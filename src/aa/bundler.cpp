// The bundler's pool and bundles: admitted ops enter the ERC-7562 mempool (and, while they wait,
// the chain's store), bundles take them in fee order, a last simulation of the whole handleOps
// drops and blames any op the EntryPoint refuses, and included ops count for their entities.
#include "aa/bundler.hpp"

#include <algorithm>

#include "chain/header_validation.hpp"
#include "chain/transaction.hpp"

namespace krnl::aa {
namespace {

std::unexpected<rpc::RpcError> invalid(std::string message) {
    return rpc::error(rpc::code::kInvalidParams, std::move(message));
}

std::optional<address> delegate_of(const UserOperation& op) {
    return op.eip7702_auth ? std::optional(op.eip7702_auth->delegate) : std::nullopt;
}

// A pool entry for `op` with what the op alone says; validation adds the rest.
PooledUserOp pool_entry(const UserOperation& op, const address& entry_point,
                        EntryPointVersion version, uint64_t chain_id, uint64_t head) {
    PooledUserOp entry;
    entry.op = op;
    entry.hash = user_operation_hash(op, version, chain_id, delegate_of(op));
    entry.entry_point = entry_point;
    entry.version = version;
    entry.encoded_size = encoded_size(op);
    entry.max_gas = max_gas(op);
    entry.entities = entities_of(op, std::nullopt);
    entry.block_number = head;
    return entry;
}

// The most gas one handleOps may ask for: the block's, and from Osaka the transaction cap
// (EIP-7825), which would refuse a bigger bundle.
uint64_t bundle_gas_cap(const SimulationEnv& env) {
    const auto block = static_cast<uint64_t>(std::max<int64_t>(env.block.gas_limit, 0));
    return env.rev >= evm::Revision::Osaka ? std::min(block, chain::kMaxTxGasLimitOsaka) : block;
}

// The op's time range (validAfter, validUntil): both validations' ranges intersected.
std::pair<uint64_t, uint64_t> time_range(const ValidationResult& result) {
    const uint64_t a = result.account.valid_until, p = result.paymaster.valid_until;
    return {std::max(result.account.valid_after, result.paymaster.valid_after),
            a == 0 ? p : (p == 0 ? a : std::min(a, p))};
}

Mempool::Limits pool_limits(const BundlerOptions& o) {
    Mempool::Limits limits;
    limits.max_ops = o.max_pending_ops;
    limits.max_bytes = o.max_pool_bytes;
    limits.min_stake = o.min_stake_value;
    limits.min_unstake_delay = o.min_unstake_delay_s;
    return limits;
}

}  // namespace

Bundler::Bundler(chain::Chain& chain, EntryPointSimulator simulator, BundlerOptions options)
    : chain_(chain),
      simulator_(std::move(simulator)),
      options_(std::move(options)),
      lookup_(chain, options_.receipt_lookback_blocks),
      pool_(pool_limits(options_)) {
    chain_.on_block([this](const chain::BlockEvent& event) {
        lookup_.on_block(event);
        on_block(event);
    });
    // A reset chain (anvil_reset) has none of the old chain's ops or entities: the persisted
    // ops went with its tables, and what is in memory goes here.
    chain_.on_reset([this] {
        lookup_.clear();
        std::lock_guard lock(mutex_);
        pool_.clear();
        reputation_.clear();
    });
    // Ops of removed blocks (a revert, rollback or reorg) are no longer included; blocks that
    // take those numbers again may hold other transactions at the same places.
    chain_.on_rewound(
        [this](const chain::HeadRewound& event) { lookup_.forget_from(event.first_removed); });
    restore_persisted();
    // Ops that waited across a restart wait for an explicit bundle, as before it.
    if (pool_.size() != 0) mode_ = BundlingMode::Manual;
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

Result<UserOperation> Bundler::complete_signature(const UserOperation& op) const {
    if (!completer_) return op;
    KRNL_RPC_TRY(signature, completer_(op, /*renewal=*/false));
    if (!signature) return op;
    UserOperation completed = op;
    completed.signature = std::move(*signature);
    return completed;
}

Result<GasEstimate> Bundler::estimate(
    const UserOperation& original, const address& entry_point,
    const std::vector<std::pair<address, chain::AccountOverride>>& overrides) const {
    const auto version = entry_point_version(entry_point);
    if (!version) return invalid("unsupported EntryPoint " + to_hex(entry_point));
    // Estimated with the attestation it will carry, so verification gas covers checking it.
    KRNL_RPC_TRY(op, complete_signature(original));
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

Result<DepositInfo> Bundler::deposit_info(const address& entity, const address& entry_point) const {
    auto reader = chain_.reader();
    const SimulationEnv env = head_env(reader);
    auto view = reader.state_at(reader.head());
    state::State st(*view);
    chain::CallRequest call;
    call.to = entry_point;
    call.data = encode_get_deposit_info(entity);
    auto out =
        chain::simulate_call(st, env.rev, env.block, call, 1'000'000, *env.cache, env.block_hash);
    if (!out || out->status != evm::StatusCode::Success)
        return rpc::error(rpc::code::kServerError, "getDepositInfo failed");
    auto info = decode_deposit_info(out->output);
    if (!info) return rpc::error(rpc::code::kServerError, info.error());
    return *info;
}

bool Bundler::is_staked(const StakeInfo& stake) const {
    RuleConfig config;
    config.min_stake_value = options_.min_stake_value;
    config.min_unstake_delay_sec = options_.min_unstake_delay_s;
    return aa::is_staked(stake, config);
}

Result<hash256> Bundler::send(const UserOperation& original, const address& entry_point) {
    const auto version = entry_point_version(entry_point);
    if (!version) return invalid("unsupported EntryPoint " + to_hex(entry_point));
    KRNL_RPC_TRY(op, complete_signature(original));
    KRNL_RPC_TRY(validated, validate(op, *version));
    const ValidationResult& result = validated.result;
    PooledUserOp entry =
        pool_entry(op, entry_point, *version, chain_.config().chain_id, chain_.reader().head());
    if (!result.aggregator.is_zero()) entry.entities = entities_of(op, result.aggregator);
    entry.entities.sender.staked = is_staked(result.sender_info);
    if (entry.entities.factory) entry.entities.factory->staked = is_staked(result.factory_info);
    if (entry.entities.paymaster)
        entry.entities.paymaster->staked = is_staked(result.paymaster_info);
    if (entry.entities.aggregator)
        entry.entities.aggregator->staked = is_staked(result.aggregator_info);
    std::tie(entry.valid_after, entry.valid_until) = time_range(result);
    entry.reads = std::move(validated.reads);
    entry.code_hashes = std::move(validated.code_hashes);
    std::optional<uint256> deposit;
    if (op.paymaster) {
        KRNL_RPC_TRY(info, deposit_info(*op.paymaster, entry_point));
        deposit = info.deposit;
    }
    const hash256 hash = entry.hash;
    if (auto r = admit(std::move(entry), false, deposit); !r) return std::unexpected(r.error());
    if (mode() == BundlingMode::Auto) {
        KRNL_RPC_TRY(outcome, bundle_now());
        // The bundle's own simulation refused the op (its state changed since validation, or
        // another op of the bundle changed it): the caller hears why, as from validation.
        for (const auto& [dropped, why] : outcome.dropped)
            if (dropped == hash) return std::unexpected(why);
    }
    return hash;
}

Result<void> Bundler::add_unchecked(const UserOperation& op, const address& entry_point) {
    const auto version = entry_point_version(entry_point);
    if (!version) return invalid("unsupported EntryPoint " + to_hex(entry_point));
    PooledUserOp entry =
        pool_entry(op, entry_point, *version, chain_.config().chain_id, chain_.reader().head());
    return admit(std::move(entry), true, std::nullopt);
}

Result<void> Bundler::admit(PooledUserOp entry, bool unchecked,
                            const std::optional<uint256>& deposit) {
    bool waits = false;
    std::vector<hash256> replaced;
    {
        std::lock_guard lock(mutex_);
        auto added = pool_.add(entry, reputation_, {deposit, unchecked});
        if (!added) return std::unexpected(added.error());
        if (*added) replaced.push_back(**added);
        waits = mode_ == BundlingMode::Manual;
    }
    forget(replaced);
    // In auto mode the op is bundled before it is acknowledged; one that waits is stored first
    // (outside the pool's lock: the chain calls back into on_block under its own).
    if (waits) {
        if (auto r = persist(entry); !r) {
            std::lock_guard lock(mutex_);
            pool_.remove(entry.hash);
            return std::unexpected(r.error());
        }
    }
    return {};
}

void Bundler::renew_expiring(const address& entry_point, uint64_t timestamp, BundleOutcome& outcome,
                             std::vector<hash256>& finished) {
    if (!completer_) return;
    for (PooledUserOp& p : pending(entry_point)) {
        if (p.valid_until == 0 || p.valid_until >= timestamp + options_.valid_until_margin_s)
            continue;
        auto signature = completer_(p.op, /*renewal=*/true);
        if (signature && !*signature) continue;  // not the completer's: it expires as it is
        UserOperation renewed_op = p.op;
        Result<Validated> again = std::unexpected(rpc::RpcError{});
        if (signature) {
            renewed_op.signature = std::move(**signature);
            again = validate(renewed_op, p.version);
        }
        if (signature && again) {
            const auto [valid_after, valid_until] = time_range(again->result);
            std::lock_guard lock(mutex_);
            pool_.renew(p.hash, renewed_op, valid_after, valid_until, again->reads);
            if (const PooledUserOp* renewed = pool_.find(p.hash);
                renewed && mode_ == BundlingMode::Manual)
                (void)persist(*renewed);
            continue;
        }
        // The engine refuses now (a policy, a deposit, a kernel changed): dropped, with its reason.
        rpc::RpcError why = signature ? again.error() : signature.error();
        why.message = "its attestation expires at " + std::to_string(p.valid_until) +
                      " and could not be renewed: " + why.message;
        outcome.dropped.emplace_back(p.hash, std::move(why));
        std::lock_guard lock(mutex_);
        pool_.remove(p.hash);
        finished.push_back(p.hash);
    }
}

void Bundler::on_block(const chain::BlockEvent& event) {
    std::lock_guard lock(mutex_);
    for (const chain::StoredReceipt& receipt : event.receipts)
        for (const chain::Log& log : receipt.logs) {
            if (!entry_point_version(log.addr)) continue;
            // Ops of this pool that another bundler included count as included too.
            if (auto e = decode_user_operation_event(log.topics, log.data))
                pool_.remove_included(e->user_op_hash, reputation_);
        }
    const uint64_t timestamp = event.block.header.timestamp;
    pool_.remove_expired(timestamp);
    pool_.remove_stale_throttled(event.block.header.number, reputation_);
    reputation_.advance_clock(timestamp);
}

Result<BundleOutcome> Bundler::bundle_now() {
    std::lock_guard bundling(bundling_);
    BundleOutcome outcome;
    for (EntryPointVersion version : {EntryPointVersion::V07, EntryPointVersion::V08}) {
        KRNL_RPC_TRY(tx, bundle_entry_point(version, outcome));
        if (tx) outcome.transactions.push_back(*tx);
    }
    return outcome;
}

Result<std::optional<hash256>> Bundler::bundle_entry_point(EntryPointVersion version,
                                                           BundleOutcome& outcome) {
    const address entry_point = entry_point_address(version);
    const address beneficiary = options_.beneficiary.value_or(options_.key_address);
    auto reader = chain_.reader();
    SimulationEnv env = head_env(reader);
    std::vector<hash256> finished;
    renew_expiring(entry_point, static_cast<uint64_t>(env.block.timestamp), outcome, finished);
    std::vector<PooledUserOp> ops;
    {
        BundleRequest request;
        request.entry_point = entry_point;
        request.base_fee = env.block.base_fee;
        request.timestamp = static_cast<uint64_t>(env.block.timestamp);
        request.max_gas = uint256(bundle_gas_cap(env)) - 100'000;
        // The bundle is simulated as a whole before it is sent (below), which is the validation
        // together ERC-7562 asks of several ops of one sender.
        request.max_ops_per_sender = kSameSenderMempoolCount;
        std::lock_guard lock(mutex_);
        for (const PooledUserOp* p : pool_.select_for_bundle(request, reputation_))
            ops.push_back(*p);
    }
    // Ops validated on an older head are validated again, with every rule, before they are
    // bundled: a block may have changed what their validation read.
    const uint64_t head = reader.head();
    std::erase_if(ops, [&](PooledUserOp& p) {
        if (p.block_number == head) return false;
        auto again = validate(p.op, p.version);
        if (again) {
            std::lock_guard lock(mutex_);
            pool_.update_reads(p.hash, again->reads);
            p.block_number = head;
            return false;
        }
        const std::string& why = again.error().message;
        const std::optional<address> blamed =
            why.starts_with("AA") ? entity_to_blame(why, p.entities) : std::nullopt;
        outcome.dropped.emplace_back(p.hash, again.error());
        std::lock_guard lock(mutex_);
        pool_.drop_failed_validation(p.hash, blamed, reputation_);
        finished.push_back(p.hash);
        return true;
    });
    // COD-010: an op whose validation saw code that has changed since is dropped.
    {
        auto view = reader.state_at(reader.head());
        std::erase_if(ops, [&](const PooledUserOp& p) {
            for (const auto& [account, code_hash] : p.code_hashes) {
                const auto info = view->read_account(account);
                const hash256 now = info ? info->code_hash : kEmptyKeccak;
                if (now == code_hash) continue;
                outcome.dropped.emplace_back(
                    p.hash,
                    rpc::RpcError{code::kBannedOpcode, "COD-010: the code of " + to_hex(account) +
                                                           " changed since the op was validated"});
                std::lock_guard lock(mutex_);
                pool_.drop_failed_validation(p.hash, std::nullopt, reputation_);
                finished.push_back(p.hash);
                return true;
            }
            return false;
        });
    }
    std::optional<hash256> sent;
    while (!ops.empty()) {
        std::vector<PackedUserOperation> packed;
        uint256 gas = 60'000;  // handleOps' own work around the ops
        chain::Transaction tx;
        tx.type = chain::TxType::DynamicFee;
        for (const PooledUserOp& p : ops) {
            packed.push_back(*pack(p.op));
            gas += p.max_gas;
            if (p.op.eip7702_auth) {
                const Eip7702Auth& a = *p.op.eip7702_auth;
                tx.authorization_list.push_back(
                    {a.chain_id, a.delegate, a.nonce, a.y_parity, a.r, a.s});
                tx.type = chain::TxType::SetCode;
            }
        }
        tx.chain_id = chain_.config().chain_id;
        tx.nonce = chain_.pending_nonce(options_.key_address);
        tx.to = entry_point;
        tx.data = encode_handle_ops(packed, beneficiary);
        tx.gas_limit = gas > uint256(bundle_gas_cap(env)) ? bundle_gas_cap(env) : gas.w[0];
        tx.max_priority_fee_per_gas = options_.bundle_priority_fee;
        tx.max_fee_per_gas = env.block.base_fee * uint256(2) + options_.bundle_priority_fee;

        // The second validation: the bundle as a call on the head. An op the EntryPoint refuses
        // (FailedOp names its index) is dropped, its entity blamed, and the rest tried again.
        chain::CallRequest call;
        call.from = options_.key_address;
        call.to = entry_point;
        call.gas = tx.gas_limit;
        call.data = tx.data;
        call.authorization_list = tx.authorization_list;
        auto view = reader.state_at(reader.head());
        state::State st(*view);
        auto simulated = chain::simulate_call(st, env.rev, env.block, call, tx.gas_limit,
                                              *env.cache, env.block_hash);
        if (!simulated)
            return rpc::error(rpc::code::kInternalError, "bundle: " + simulated.error());
        if (simulated->status != evm::StatusCode::Success) {
            const auto failed = decode_failed_op(simulated->output);
            if (!failed || failed->op_index >= uint256(ops.size())) {
                const rpc::RpcError e = rejection_from_revert(simulated->output);
                return rpc::error(e.code, "the bundle reverted: " + e.message, e.data);
            }
            const auto at = ops.begin() + static_cast<ptrdiff_t>(failed->op_index.w[0]);
            outcome.dropped.emplace_back(at->hash, rejection_from_revert(simulated->output));
            {
                std::lock_guard lock(mutex_);
                pool_.drop_failed_validation(
                    at->hash, entity_to_blame(failed->reason, at->entities), reputation_);
            }
            finished.push_back(at->hash);
            ops.erase(at);
            continue;
        }
        if (!chain::sign_transaction(tx, options_.key_secret))
            return rpc::error(rpc::code::kInternalError, "bundle: signing failed");
        // Taken out of the pool first: in automine the block (and its on_block) comes before
        // submit returns.
        {
            std::lock_guard lock(mutex_);
            for (const PooledUserOp& p : ops)
                pool_.remove_included(p.hash, reputation_);
        }
        auto hash = chain_.submit(tx);
        if (!hash) {
            std::lock_guard lock(mutex_);
            for (PooledUserOp& p : ops)
                (void)pool_.add(std::move(p), reputation_, {std::nullopt, true});
            return rpc::error(rpc::code::kServerError, "bundle: " + hash.error().message);
        }
        for (const PooledUserOp& p : ops) {
            outcome.included.push_back(p.hash);
            finished.push_back(p.hash);
        }
        sent = *hash;
        break;
    }
    // Bundled ops are durable in the chain now (in a block, or in its persisted pool).
    forget(finished);
    return sent;
}

Result<void> Bundler::persist(const PooledUserOp& p) {
    const std::string text = rpc::to_text(user_operation_json(p.op));
    bytes record(p.entry_point.view());
    record.append(as_bytes(text));
    if (auto r = chain_.put_user_op(p.hash, record); !r)
        return rpc::error(rpc::code::kServerError, "the op could not be stored: " + r.error());
    return {};
}

void Bundler::forget(const std::vector<hash256>& hashes) {
    // A failure leaves records that the next start pools again (unchecked, so the bundle's own
    // simulation judges them).
    (void)chain_.remove_user_ops(hashes);
}

void Bundler::restore_persisted() {
    for (const bytes& record : chain_.user_ops()) {
        if (record.size() <= 20) continue;
        const address entry_point = address::from_view(record.substr(0, 20));
        const json parsed = json::parse(record.begin() + 20, record.end(), nullptr, false);
        if (parsed.is_discarded()) continue;
        auto op = parse_user_operation(parsed, GasFields::Required);
        const auto version = entry_point_version(entry_point);
        if (!op || !version) continue;
        PooledUserOp entry = pool_entry(*op, entry_point, *version, chain_.config().chain_id, 0);
        (void)pool_.add(std::move(entry), reputation_, {std::nullopt, true});
    }
}

void Bundler::set_mode(BundlingMode mode) {
    std::lock_guard lock(mutex_);
    mode_ = mode;
}

BundlingMode Bundler::mode() const {
    std::lock_guard lock(mutex_);
    return mode_;
}

std::vector<PooledUserOp> Bundler::pending(const address& entry_point) const {
    std::lock_guard lock(mutex_);
    std::vector<PooledUserOp> out;
    for (const PooledUserOp* p : pool_.dump())
        if (p->entry_point == entry_point) out.push_back(*p);
    return out;
}

void Bundler::clear_pending() {
    std::vector<hash256> hashes;
    {
        std::lock_guard lock(mutex_);
        for (const PooledUserOp* p : pool_.dump())
            hashes.push_back(p->hash);
        pool_.clear();
    }
    forget(hashes);
}

void Bundler::set_reputation(std::span<const ReputationEntry> entries) {
    std::vector<hash256> removed;
    {
        std::lock_guard lock(mutex_);
        reputation_.set(entries);
        removed = pool_.remove_banned(reputation_);
    }
    forget(removed);
}

std::vector<ReputationEntry> Bundler::dump_reputation() const {
    std::lock_guard lock(mutex_);
    return reputation_.dump();
}

void Bundler::clear_reputation() {
    std::lock_guard lock(mutex_);
    reputation_.clear();
}

}  // namespace krnl::aa
