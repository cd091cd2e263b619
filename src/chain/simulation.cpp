#include "chain/simulation.hpp"

#include "evm/cancellation.hpp"

namespace krnl::chain {
namespace {

// From Osaka no transaction may ask for more than 2^24 gas (EIP-7825), so calls are capped there
// too, rather than failing for a default gas the caller never chose.
uint64_t call_gas_cap(evm::Revision rev, uint64_t gas_cap) {
    return rev >= evm::Revision::Osaka ? std::min(gas_cap, kMaxTxGasLimitOsaka) : gas_cap;
}

// The transaction a call request runs as: its type follows the fields it gives.
Transaction to_transaction(const CallRequest& r, uint64_t chain_id, uint64_t nonce, uint64_t gas) {
    Transaction tx;
    if (!r.authorization_list.empty())
        tx.type = TxType::SetCode;
    else if (r.max_fee_per_gas || r.max_priority_fee_per_gas)
        tx.type = TxType::DynamicFee;
    else if (r.access_list)
        tx.type = TxType::AccessList;
    tx.chain_id = chain_id;
    tx.nonce = nonce;
    if (tx.type == TxType::DynamicFee || tx.type == TxType::SetCode) {
        tx.max_fee_per_gas = r.max_fee_per_gas.value_or(uint256{});
        tx.max_priority_fee_per_gas = r.max_priority_fee_per_gas.value_or(uint256{});
        if (!r.max_fee_per_gas) tx.max_fee_per_gas = tx.max_priority_fee_per_gas;
    } else {
        tx.max_fee_per_gas = tx.max_priority_fee_per_gas = r.gas_price.value_or(uint256{});
    }
    tx.gas_limit = gas;
    tx.to = r.to;
    tx.value = r.value;
    tx.data = r.data;
    if (r.access_list) tx.access_list = *r.access_list;
    tx.authorization_list = r.authorization_list;
    return tx;
}

bool pays_fees(const CallRequest& r) {
    return (r.gas_price && !!*r.gas_price) || (r.max_fee_per_gas && !!*r.max_fee_per_gas) ||
           (r.max_priority_fee_per_gas && !!*r.max_priority_fee_per_gas);
}

}  // namespace

void apply_overrides(state::State& state,
                     const std::vector<std::pair<address, AccountOverride>>& overrides) {
    for (const auto& [addr, o] : overrides) {
        if (o.state) {
            // Replacing all storage: the account is put afresh, so nothing of the base's
            // storage shows through.
            state::Account acc;
            if (const state::Account* old = state.find(addr)) {
                acc.nonce = old->nonce;
                acc.balance = old->balance;
                acc.code = old->code;
                acc.code_hash = old->code_hash;
            }
            for (const auto& [k, v] : *o.state)
                acc.storage[k] = {v, v};
            state.put(addr, std::move(acc));
        }
        state::Account& acc = state.get_or_create(addr);
        if (o.balance) acc.balance = *o.balance;
        if (o.nonce) acc.nonce = *o.nonce;
        if (o.code) acc.set_code(*o.code);
        if (o.state_diff)
            for (const auto& [k, v] : *o.state_diff) {
                state::StorageSlot& slot = state.slot(addr, k);
                slot.current = slot.original = v;
            }
    }
    state.finalize_transaction(false);
}

void apply_overrides(BlockInfo& block, const BlockOverrides& o) {
    if (o.number) block.number = static_cast<int64_t>(*o.number);
    if (o.time) block.timestamp = static_cast<int64_t>(*o.time);
    if (o.gas_limit) block.gas_limit = static_cast<int64_t>(*o.gas_limit);
    if (o.coinbase) block.coinbase = *o.coinbase;
    if (o.prev_randao) block.prev_randao = uint256::load_be(o.prev_randao->bytes);
    if (o.base_fee) block.base_fee = *o.base_fee;
}

std::expected<CallOutcome, std::string> simulate_call(state::State& state, evm::Revision rev,
                                                      BlockInfo block, const CallRequest& request,
                                                      uint64_t gas_cap, evm::AnalysisCache& cache,
                                                      const BlockHashFn& block_hash,
                                                      evm::Tracer* tracer, bool keep_base_fee) {
    const address from = request.from.value_or(address{});
    gas_cap = call_gas_cap(rev, gas_cap);
    const uint64_t gas = std::min(request.gas.value_or(gas_cap), gas_cap);
    const state::Account* acc = state.find(from);
    Transaction tx = to_transaction(request, block.chain_id, acc ? acc->nonce : 0, gas);
    // A call that names no fee pays none, and then sees no base fee (geth's NoBaseFee) unless
    // the base fee was overridden on purpose: then it pays the base fee from an unlimited purse.
    if (!pays_fees(request)) {
        if (keep_base_fee && !!block.base_fee) {
            const bool priced = tx.type == TxType::Legacy || tx.type == TxType::AccessList;
            tx.max_fee_per_gas = block.base_fee;
            tx.max_priority_fee_per_gas = priced ? block.base_fee : uint256{};
            state.get_or_create(from).balance += block.base_fee * uint256(gas);
            state.finalize_transaction(false);
        } else {
            block.base_fee = 0;
        }
    }
    if (static_cast<int64_t>(gas) > block.gas_limit) block.gas_limit = static_cast<int64_t>(gas);
    auto receipt = apply_transaction(state, rev, block, tx, from, cache, block_hash, tracer,
                                     /*skip_account_checks=*/true);
    if (!receipt) {
        std::string message(tx_error_message(receipt.error()));
        if (receipt.error() == TxError::IntrinsicGasTooLow)
            message +=
                ": gas " + std::to_string(gas) + ", minimum needed " +
                std::to_string(std::max(intrinsic_gas(tx, rev), calldata_floor_gas(tx, rev)));
        return std::unexpected(message);
    }
    CallOutcome out;
    out.status = receipt->status;
    out.output = std::move(receipt->output);
    out.gas_used = static_cast<uint64_t>(receipt->gas_used);
    out.logs = std::move(receipt->logs);
    out.tx = tx;
    out.sender = from;
    return out;
}

std::expected<uint64_t, EstimateError> estimate_gas(
    const std::function<state::State()>& fresh_state, evm::Revision rev, const BlockInfo& block,
    const CallRequest& request, uint64_t gas_cap, evm::AnalysisCache& cache,
    const BlockHashFn& block_hash) {
    gas_cap = call_gas_cap(rev, gas_cap);
    uint64_t hi = std::min(request.gas.value_or(gas_cap), gas_cap);
    auto attempt = [&](uint64_t gas) {
        CallRequest r = request;
        r.gas = gas;
        state::State st = fresh_state();
        return simulate_call(st, rev, block, r, gas_cap, cache, block_hash);
    };
    // An abandoned search (evm/cancellation.hpp) ends at once; its caller reports why.
    const EstimateError abandoned{"execution aborted", std::nullopt};
    auto first = attempt(hi);
    if (evm::stop_requested()) return std::unexpected(abandoned);
    if (!first) return std::unexpected(EstimateError{first.error(), std::nullopt});
    if (first->status != evm::StatusCode::Success) {
        if (first->status == evm::StatusCode::Revert)
            return std::unexpected(EstimateError{"execution reverted", std::move(*first)});
        return std::unexpected(
            EstimateError{"gas required exceeds allowance (" + std::to_string(hi) + ")", {}});
    }
    // Below what it used (after refunds) the call cannot succeed.
    uint64_t lo = first->gas_used > 0 ? first->gas_used - 1 : 0;
    // Most calls need little more than they use: try that first (63/64 of gas is forwarded).
    const uint64_t optimistic = std::min(hi, (first->gas_used + 2300) * 64 / 63);
    if (optimistic < hi) {
        auto r = attempt(optimistic);
        if (evm::stop_requested()) return std::unexpected(abandoned);
        if (r && r->status == evm::StatusCode::Success)
            hi = optimistic;
        else
            lo = optimistic;
    }
    // Exact to the unit: a dev node has the time, and users compare estimates with gas used.
    while (lo + 1 < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        auto r = attempt(mid);
        if (evm::stop_requested()) return std::unexpected(abandoned);
        if (r && r->status == evm::StatusCode::Success)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

}  // namespace krnl::chain
