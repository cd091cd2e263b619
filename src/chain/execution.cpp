#include "chain/execution.hpp"

#include "chain/receipt.hpp"
#include "evm/precompiles.hpp"

namespace krnl::chain {

using evm::Revision;
using evm::StatusCode;

uint64_t blob_base_fee_update_fraction(Revision rev) {
    return rev >= Revision::Prague ? 5007716 : 3338477;  // EIP-7691, EIP-4844
}

uint256 blob_base_fee(uint64_t excess_blob_gas, Revision rev) {
    return blob_base_fee(excess_blob_gas, blob_base_fee_update_fraction(rev));
}

uint256 blob_base_fee(uint64_t excess_blob_gas, uint64_t update_fraction) {
    // fake_exponential(MIN_BLOB_BASE_FEE = 1, excess, BLOB_BASE_FEE_UPDATE_FRACTION) of EIP-4844.
    const uint256 denominator = update_fraction;
    const uint256 numerator = excess_blob_gas;
    uint256 output = 0;
    uint256 accum = denominator;
    for (uint64_t i = 1; !!accum; ++i) {
        output += accum;
        accum = accum * numerator / (denominator * uint256(i));
    }
    return output / denominator;
}

evm::TxContext block_context(const BlockInfo& block, const address& origin,
                             const uint256& blob_price) {
    evm::TxContext ctx;
    ctx.origin = origin;
    ctx.coinbase = block.coinbase;
    ctx.number = block.number;
    ctx.timestamp = block.timestamp;
    ctx.gas_limit = block.gas_limit;
    ctx.prev_randao = block.prev_randao;
    ctx.chain_id = block.chain_id;
    ctx.base_fee = block.base_fee;
    ctx.blob_base_fee = blob_price;
    return ctx;
}

int64_t apply_authorizations(state::State& state, const std::vector<Authorization>& list,
                             uint64_t chain_id) {
    int64_t refund = 0;
    for (const Authorization& auth : list) {
        // Any failed check skips this tuple and moves on to the next.
        if (!!auth.chain_id && auth.chain_id != uint256(chain_id)) continue;
        if (auth.nonce == UINT64_MAX) continue;
        const std::optional<address> authority = recover_authority(auth);  // enforces s <= n/2
        if (!authority) continue;
        state.warm_account(*authority);
        const state::Account* acc = state.find(*authority);
        if (acc != nullptr && !acc->code.empty() && !delegation_target(acc->code)) continue;
        if ((acc != nullptr ? acc->nonce : 0) != auth.nonce) continue;
        if (acc != nullptr) refund += kPerEmptyAccountCost - kPerAuthBaseCost;
        state.set_code(*authority,
                       auth.addr.is_zero() ? bytes{} : delegation_designator(auth.addr));
        state.bump_nonce(*authority);
    }
    return refund;
}

std::expected<Receipt, TxError> apply_transaction(state::State& state, Revision rev,
                                                  const BlockInfo& block, const Transaction& tx,
                                                  const address& sender, evm::AnalysisCache& cache,
                                                  const BlockHashFn& block_hash,
                                                  evm::Tracer* tracer, bool skip_account_checks) {
    // --- Validation: nothing in the state changes until every check has passed.
    if (auto error = validate_transaction(tx, rev, block.chain_id)) return std::unexpected(*error);
    const int64_t intrinsic = intrinsic_gas(tx, rev);
    const int64_t floor = calldata_floor_gas(tx, rev);
    if (tx.gas_limit > uint64_t(block.gas_limit))
        return std::unexpected(TxError::GasLimitExceedsBlock);
    if (rev >= Revision::London && tx.max_fee_per_gas < block.base_fee)
        return std::unexpected(TxError::FeeCapBelowBaseFee);

    uint256 blob_fee_cap_total;  // max_fee_per_blob_gas * blob gas, reserved up front
    uint64_t blob_gas = 0;
    // The block's blob gas price, needed by validation and by BLOBBASEFEE alike.
    const uint256 blob_price =
        rev >= Revision::Cancun
            ? blob_base_fee(block.excess_blob_gas, block.blob_base_fee_update_fraction.value_or(
                                                       blob_base_fee_update_fraction(rev)))
            : uint256{};
    if (tx.type == TxType::Blob) {
        if (tx.max_fee_per_blob_gas < blob_price) return std::unexpected(TxError::BlobFeeCapTooLow);
        blob_gas = kBlobGasPerBlob * tx.blob_versioned_hashes.size();
        auto total = checked_mul(tx.max_fee_per_blob_gas, blob_gas);
        if (!total) return std::unexpected(TxError::InsufficientFunds);
        blob_fee_cap_total = *total;
    }

    const state::Account* sender_acc = state.find(sender);
    const uint64_t sender_nonce = sender_acc != nullptr ? sender_acc->nonce : 0;
    // EIP-3607, relaxed by EIP-7702 for accounts whose code is a delegation designator.
    if (!skip_account_checks) {
        if (sender_acc != nullptr && !sender_acc->code.empty() &&
            !(rev >= Revision::Prague && delegation_target(sender_acc->code)))
            return std::unexpected(TxError::SenderNotEoa);
        if (sender_nonce == UINT64_MAX) return std::unexpected(TxError::NonceMax);  // EIP-2681
        if (tx.nonce < sender_nonce) return std::unexpected(TxError::NonceTooLow);
        if (tx.nonce > sender_nonce) return std::unexpected(TxError::NonceTooHigh);
    }

    // The sender must afford the whole gas limit at the fee cap, the value and the blob fee cap.
    const uint256 balance = sender_acc != nullptr ? sender_acc->balance : uint256{};
    auto max_gas_cost = checked_mul(tx.max_fee_per_gas, tx.gas_limit);
    if (!max_gas_cost) return std::unexpected(TxError::InsufficientFunds);
    auto required = checked_add(*max_gas_cost, tx.value);
    if (required) required = checked_add(*required, blob_fee_cap_total);
    if (!required || balance < *required) return std::unexpected(TxError::InsufficientFunds);

    // --- Execution.
    const uint256 effective_gas_price =
        rev >= Revision::London
            ? std::min(tx.max_fee_per_gas, block.base_fee + tx.max_priority_fee_per_gas)
            : tx.max_fee_per_gas;
    const uint256 gas_cost = effective_gas_price * uint256(tx.gas_limit);
    state.sub_balance(sender, gas_cost + blob_price * uint256(blob_gas));
    if (tx.to) state.bump_nonce(sender);  // a creation bumps it when it derives the address

    // EIP-2929 / EIP-2930 / EIP-3651: what the transaction starts with warm.
    if (rev >= Revision::Berlin) {
        state.warm_account(sender);
        if (tx.to) state.warm_account(*tx.to);
        for (uint8_t i = 1; i <= 0x11; ++i) {
            address p;
            p.bytes[19] = i;
            if (evm::is_precompile(p, rev)) state.warm_account(p);
        }
        if (evm::is_precompile(evm::kP256VerifyAddress, rev))
            state.warm_account(evm::kP256VerifyAddress);
        for (const AccessListEntry& entry : tx.access_list) {
            state.warm_account(entry.addr);
            for (const bytes32& key : entry.storage_keys)
                state.warm_slot(entry.addr, uint256::load_be(key.bytes));
        }
        if (rev >= Revision::Shanghai) state.warm_account(block.coinbase);
    }

    // EIP-7702: authorizations are applied after the sender's nonce bump and stay applied even if
    // the execution below fails.
    int64_t authorization_refund = 0;
    if (tx.type == TxType::SetCode)
        authorization_refund = apply_authorizations(state, tx.authorization_list, block.chain_id);

    evm::TxContext ctx = block_context(block, sender, blob_price);
    ctx.gas_price = effective_gas_price;
    ctx.blob_hashes = tx.blob_versioned_hashes.data();
    ctx.num_blob_hashes = tx.blob_versioned_hashes.size();

    Host host(state, rev, ctx, cache, block_hash, tracer);
    evm::Message msg;
    msg.kind = tx.to ? evm::CallKind::Call : evm::CallKind::Create;
    msg.gas = static_cast<int64_t>(tx.gas_limit) - intrinsic;
    msg.sender = sender;
    msg.recipient = tx.to.value_or(address{});
    msg.code_address = msg.recipient;
    msg.value = tx.value;
    msg.input = tx.data;
    evm::Result result = host.call(msg);

    // --- Refunds and fees.
    int64_t gas_used = static_cast<int64_t>(tx.gas_limit) - result.gas_left;
    const int64_t refund_quotient = rev >= Revision::London ? 5 : 2;
    const int64_t refund =
        std::min(result.gas_refund + authorization_refund, gas_used / refund_quotient);
    gas_used -= std::max<int64_t>(refund, 0);
    gas_used = std::max(gas_used, floor);  // EIP-7623

    state.add_balance(sender, effective_gas_price * uint256(tx.gas_limit - uint64_t(gas_used)));
    const uint256 priority_fee =
        rev >= Revision::London ? effective_gas_price - block.base_fee : effective_gas_price;
    state.add_balance(block.coinbase, priority_fee * uint256(uint64_t(gas_used)));

    Receipt receipt;
    receipt.type = tx.type;
    receipt.status = result.status;
    receipt.gas_used = gas_used;
    receipt.blob_gas_used = blob_gas;
    if (result.status == StatusCode::Success) {
        receipt.logs = std::move(host.logs());
        if (!tx.to) receipt.contract_address = result.create_address;
    }
    receipt.logs_bloom = logs_bloom(receipt.logs);
    receipt.output = std::move(result.output);
    // A creation's output is the code it deployed (what eth_call answers for one, as geth does:
    // counterfactual address lookups such as getSenderAddress read it); the host clears it
    // because a nested CREATE leaves no return data.
    if (!tx.to && result.status == StatusCode::Success)
        if (const state::Account* created = state.find(result.create_address))
            receipt.output = created->code;
    state.finalize_transaction(rev >= Revision::SpuriousDragon);
    return receipt;
}

}  // namespace krnl::chain
