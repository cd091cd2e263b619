// Parity's trace_* as reth and anvil answer them: mined transactions and blocks re-executed, and
// calls and raw transactions run on a block's state, traced by ParityTracer ("trace" and
// "stateDiff"; "vmTrace" is refused with -32602). Each request has the EVM time limit and the
// trace output cap of debug_trace*; trace_filter a bound on its block range.
#include <set>

#include "chain/system_contracts.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/parity_tracer.hpp"

namespace krnl::rpc {

using chain::ChainReader;

namespace {

// A call request as the transaction tracers see it: from the account's nonce, with the call's gas.
TraceTxInfo call_info(state::State& st, const chain::CallRequest& request, uint64_t gas,
                      const chain::BlockInfo& block, evm::Revision rev) {
    const address from = request.from.value_or(address{});
    const state::Account* acc = st.find(from);
    return {from,         request.to, acc ? acc->nonce : 0, request.value,
            request.data, gas,        block.coinbase,       rev};
}

Result<ParityTraceTypes> trace_types(const Params& p, size_t i) {
    if (!p.has(i)) return std::unexpected(Params::missing(i));
    auto types = parse_parity_trace_types(p.at(i));
    if (!types) return std::unexpected(Params::invalid(i, types.error()));
    return *types;
}

// The addresses a trace_filter matches on: a call's from and to, a creation's creator and the
// created account, a selfdestruct's account and the account its balance goes to.
std::pair<std::string, std::string> trace_ends(const json& trace) {
    const json& action = trace["action"];
    const std::string type = trace.value("type", "");
    if (type == "suicide") return {action.value("address", ""), action.value("refundAddress", "")};
    if (type == "create") {
        const json& result = trace["result"];
        return {action.value("from", ""),
                result.is_object() ? result.value("address", "") : std::string()};
    }
    return {action.value("from", ""), action.value("to", "")};
}

Result<std::set<std::string>> address_set(const json& filter, const char* name) {
    std::set<std::string> out;
    auto it = filter.find(name);
    if (it == filter.end() || it->is_null()) return out;
    if (!it->is_array())
        return std::unexpected(Params::invalid(0, std::string(name) + ": expected a list"));
    for (const json& a : *it) {
        auto addr = parse_address(a);
        if (!addr)
            return std::unexpected(Params::invalid(0, std::string(name) + ": " + addr.error()));
        out.insert(to_hex(*addr));
    }
    return out;
}

}  // namespace

Result<json> EthApi::parity_block(const ChainReader& reader, uint64_t number,
                                  std::optional<size_t> only, bool trace, bool state_diff,
                                  EvmRun& run, uint64_t& bytes_left, bool with_call_frame) {
    json results = json::array();
    if (number == 0) return results;  // genesis has no transactions
    const auto block = reader.block(number);
    if (!block) return error(code::kServerError, "block #" + std::to_string(number) + " not found");
    const evm::Revision rev = chain_.config().revision;
    const auto senders = reader.senders(number);
    auto view = reader.state_before(number);  // with the dev edits made before it
    state::State st(*view);
    const chain::BlockHeader& header = block->header;
    const chain::BlockInfo info = block_info(header);
    const chain::BlockHashFn hashes = reader.block_hashes();
    chain::apply_block_start_system_calls(st, rev, info, header.parent_beacon_block_root,
                                          header.parent_hash, chain_.analysis_cache(), hashes);
    const size_t last = only ? *only : block->transactions.size() - 1;
    for (size_t i = 0; i <= last && i < block->transactions.size(); ++i) {
        const chain::Transaction& tx = block->transactions[i];
        const address& sender = senders.at(i);
        std::unique_ptr<ParityTracer> tracer;
        if (!only || *only == i) {
            auto made = ParityTracer::make(
                {trace, state_diff}, st,
                {options_.evm.trace_max_steps, bytes_left, &run.cancellation()}, rev);
            if (!made) return error(code::kInternalError, made.error());
            tracer = std::move(*made);
            tracer->on_tx_start(
                {sender, tx.to, tx.nonce, tx.value, tx.data, tx.gas_limit, info.coinbase, rev});
        }
        auto receipt = chain::apply_transaction(st, rev, info, tx, sender, chain_.analysis_cache(),
                                                hashes, tracer.get());
        if (tracer && tracer->parity_failure())
            return error(code::kLimitExceeded, *tracer->parity_failure());
        if (run.cancellation().cancelled()) return std::unexpected(evm_timeout_error(true));
        if (!receipt)
            return error(code::kServerError,
                         "cannot replay transaction " + std::to_string(i) + ": " +
                             std::string(chain::tx_error_message(receipt.error())));
        if (!tracer) continue;
        json result = tracer->result(
            {receipt->status, receipt->output, static_cast<uint64_t>(receipt->gas_used)});
        if (bytes_left != 0) bytes_left -= std::min(bytes_left - 1, tracer->bytes_used());
        result["transactionHash"] = to_hex(chain::transaction_hash(tx));
        if (with_call_frame) result["callFrame"] = tracer->call_frame();
        results.push_back(std::move(result));
    }
    return results;
}

void EthApi::register_trace(MethodTable& m) {
    const evm::Revision rev = chain_.config().revision;

    // The localized "trace" entries of block `number` (all transactions, or one).
    auto localized = [this](const ChainReader& reader, uint64_t number, std::optional<size_t> only,
                            EvmRun& run, uint64_t& bytes_left) -> Result<json> {
        KRNL_RPC_TRY(results, parity_block(reader, number, only, true, false, run, bytes_left));
        const hash256 block_hash = *reader.hash(number);
        json out = json::array();
        for (size_t k = 0; k < results.size(); ++k) {
            const uint64_t position = only ? *only : k;
            auto tx_hash = parse_hash(results[k]["transactionHash"]);
            for (json& t : results[k]["trace"]) {
                localize_trace(t, block_hash, number, *tx_hash, position);
                out.push_back(std::move(t));
            }
        }
        return out;
    };
    // A mined transaction's localized traces, or null when there is no such transaction.
    auto transaction_traces = [this, localized](const hash256& hash) -> Result<json> {
        auto reader = chain_.reader();
        const auto location = reader.find_transaction(hash);
        if (!location) return json(nullptr);
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        return localized(reader, location->block_number, location->index, *run, bytes_left);
    };

    m.add_evm("trace_transaction",
              [transaction_traces](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
                  KRNL_RPC_TRY(hash, p.hash(0));
                  return transaction_traces(hash);
              });
    // trace_get(hash, [index]): one trace of the transaction's flat list (reth and Erigon take one
    // index; anything else is null).
    m.add_evm("trace_get", [transaction_traces](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(hash, p.hash(0));
        if (!p.has(1) || !p.at(1).is_array())
            return std::unexpected(Params::invalid(1, "expected a list of indices"));
        std::vector<uint64_t> indices;
        for (const json& i : p.at(1)) {
            auto v = i.is_number_unsigned()
                         ? std::expected<uint64_t, std::string>(i.get<uint64_t>())
                         : parse_u64(i);
            if (!v) return std::unexpected(Params::invalid(1, v.error()));
            indices.push_back(*v);
        }
        if (indices.size() != 1) return json(nullptr);
        KRNL_RPC_TRY(traces, transaction_traces(hash));
        if (!traces.is_array() || indices[0] >= traces.size()) return json(nullptr);
        return traces[indices[0]];
    });
    m.add_evm("trace_block", [this, localized](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, find_block(reader, p, 0, false));
        if (!number) return json(nullptr);
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        return localized(reader, *number, std::nullopt, *run, bytes_left);
    });

    m.add_evm("trace_replayTransaction", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(hash, p.hash(0));
        KRNL_RPC_TRY(types, trace_types(p, 1));
        auto reader = chain_.reader();
        const auto location = reader.find_transaction(hash);
        if (!location)
            return error(code::kServerError, "transaction " + to_hex(hash) + " not found");
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        KRNL_RPC_TRY(results, parity_block(reader, location->block_number, location->index,
                                           types.trace, types.state_diff, *run, bytes_left));
        json out = results.at(0);
        out.erase("transactionHash");
        return out;
    });
    m.add_evm("trace_replayBlockTransactions",
              [this](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
                  auto reader = chain_.reader();
                  KRNL_RPC_TRY(number, find_block(reader, p, 0, false));
                  KRNL_RPC_TRY(types, trace_types(p, 1));
                  if (!number) return json(nullptr);
                  KRNL_RPC_TRY(run, start_evm_run());
                  uint64_t bytes_left = options_.evm.trace_max_bytes;
                  return parity_block(reader, *number, std::nullopt, types.trace, types.state_diff,
                                      *run, bytes_left);
              });

    // Calls on one state, one after another (trace_call is a list of one): each result is
    // {output, trace, stateDiff, vmTrace}.
    struct TracedCall {
        chain::CallRequest request;
        ParityTraceTypes types;
    };
    auto trace_calls =
        [this, rev](const std::vector<TracedCall>& calls, const BlockRef& ref,
                    const std::vector<std::pair<address, chain::AccountOverride>>& overrides,
                    const std::optional<chain::BlockOverrides>& block_overrides) -> Result<json> {
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        chain::BlockInfo info = block_info(*reader.header(number));
        if (block_overrides) chain::apply_overrides(info, *block_overrides);
        auto view = reader.state_at(number);
        state::State st(*view);
        chain::apply_overrides(st, overrides);
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        json out = json::array();
        for (const TracedCall& call : calls) {
            auto tracer = ParityTracer::make(
                call.types, st, {options_.evm.trace_max_steps, bytes_left, &run->cancellation()},
                rev);
            if (!tracer) return error(code::kInternalError, tracer.error());
            const uint64_t gas = std::min(call.request.gas.value_or(chain_.config().call_gas_cap),
                                          chain_.config().call_gas_cap);
            (*tracer)->on_tx_start(call_info(st, call.request, gas, info, rev));
            auto result =
                chain::simulate_call(st, rev, info, call.request, chain_.config().call_gas_cap,
                                     chain_.analysis_cache(), reader.block_hashes(), tracer->get(),
                                     block_overrides && block_overrides->base_fee.has_value());
            if (auto f = (*tracer)->parity_failure()) return error(code::kLimitExceeded, *f);
            if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(true));
            if (!result) return error(code::kServerError, result.error());
            out.push_back((*tracer)->result({result->status, result->output, result->gas_used}));
            if (bytes_left != 0) bytes_left -= std::min(bytes_left - 1, (*tracer)->bytes_used());
        }
        return out;
    };

    // trace_call(call, types, block?, stateOverrides?, blockOverrides?)
    m.add_evm("trace_call", [this, trace_calls](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(5); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(request, parse_call_request(*obj));
        KRNL_RPC_TRY(types, trace_types(p, 1));
        KRNL_RPC_TRY(ref, p.block(2));
        std::vector<std::pair<address, chain::AccountOverride>> overrides;
        if (p.has(3)) {
            KRNL_RPC_TRY(o, parse_state_overrides(p.at(3)));
            if (auto r = check_override_code(o, options_.evm.max_override_code_bytes); !r)
                return std::unexpected(r.error());
            overrides = std::move(o);
        }
        std::optional<chain::BlockOverrides> block_overrides;
        if (p.has(4)) {
            KRNL_RPC_TRY(bo, parse_block_overrides(p.at(4)));
            block_overrides = bo;
        }
        KRNL_RPC_TRY(out, trace_calls(std::vector<TracedCall>{TracedCall{request, types}}, ref,
                                      overrides, block_overrides));
        return out.at(0);
    });
    // trace_callMany([[call, types], ...], block?)
    m.add_evm("trace_callMany",
              [this, trace_calls](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
                  if (!p.has(0) || !p.at(0).is_array())
                      return std::unexpected(
                          Params::invalid(0, "expected a list of [call, trace types]"));
                  if (p.at(0).size() > options_.max_bundle_calls)
                      return std::unexpected(Params::invalid(
                          0, "too many calls (max " + std::to_string(options_.max_bundle_calls) +
                                 ", limits.max_bundle_calls)"));
                  std::vector<TracedCall> calls;
                  for (const json& pair : p.at(0)) {
                      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_object())
                          return std::unexpected(
                              Params::invalid(0, "each item is [call object, trace types]"));
                      auto request = parse_call_request(pair[0]);
                      if (!request) return std::unexpected(request.error());
                      auto types = parse_parity_trace_types(pair[1]);
                      if (!types) return std::unexpected(Params::invalid(0, types.error()));
                      calls.push_back({std::move(*request), *types});
                  }
                  KRNL_RPC_TRY(ref, p.block(1));
                  return trace_calls(calls, ref, {}, std::nullopt);
              });
    // trace_rawTransaction(raw, types, block?): the signed transaction run as its sender's call,
    // paying its fees, on the block's state (latest by default).
    m.add_evm("trace_rawTransaction",
              [this, trace_calls](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
                  KRNL_RPC_TRY(raw, p.data(0));
                  KRNL_RPC_TRY(types, trace_types(p, 1));
                  KRNL_RPC_TRY(ref, p.block(2));
                  auto tx = chain::decode_transaction(raw);
                  if (!tx) return std::unexpected(Params::invalid(0, "cannot decode transaction"));
                  const auto sender = chain::recover_sender(*tx);
                  if (!sender) return std::unexpected(Params::invalid(0, "invalid signature"));
                  chain::CallRequest request;
                  request.from = *sender;
                  request.to = tx->to;
                  request.gas = tx->gas_limit;
                  if (tx->type == chain::TxType::Legacy || tx->type == chain::TxType::AccessList) {
                      request.gas_price = tx->max_fee_per_gas;
                  } else {
                      request.max_fee_per_gas = tx->max_fee_per_gas;
                      request.max_priority_fee_per_gas = tx->max_priority_fee_per_gas;
                  }
                  request.value = tx->value;
                  request.data = tx->data;
                  if (tx->type != chain::TxType::Legacy) request.access_list = tx->access_list;
                  request.authorization_list = tx->authorization_list;
                  KRNL_RPC_TRY(out, trace_calls(std::vector<TracedCall>{TracedCall{request, types}},
                                                ref, {}, std::nullopt));
                  return out.at(0);
              });

    // trace_filter({fromBlock, toBlock, fromAddress, toAddress, mode, after, count}): the
    // localized traces of a bounded block range that match, paged by after/count.
    m.add_evm("trace_filter", [this, localized](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(filter, p.object(0));
        auto reader = chain_.reader();
        auto block_of = [&](const char* name, uint64_t fallback) -> Result<uint64_t> {
            auto it = filter->find(name);
            if (it == filter->end() || it->is_null()) return fallback;
            auto ref = parse_block_ref(*it);
            if (!ref)
                return std::unexpected(Params::invalid(0, std::string(name) + ": " + ref.error()));
            if (ref->tag == BlockRef::Tag::Number && ref->number > reader.head())
                return reader.head();
            return resolve(reader, *ref);
        };
        KRNL_RPC_TRY(from, block_of("fromBlock", 0));
        KRNL_RPC_TRY(to, block_of("toBlock", reader.head()));
        if (from > to)
            return std::unexpected(Params::invalid(0, "fromBlock cannot be greater than toBlock"));
        if (to - from >= options_.max_trace_filter_blocks)
            return std::unexpected(
                Params::invalid(0, "block range too large; currently limited to " +
                                       std::to_string(options_.max_trace_filter_blocks) +
                                       " blocks (limits.max_trace_filter_blocks)"));
        KRNL_RPC_TRY(from_set, address_set(*filter, "fromAddress"));
        KRNL_RPC_TRY(to_set, address_set(*filter, "toAddress"));
        const std::string mode = filter->value("mode", "union");
        if (mode != "union" && mode != "intersection")
            return std::unexpected(Params::invalid(0, "mode is union or intersection"));
        auto count_of = [&](const char* name) -> Result<std::optional<uint64_t>> {
            auto it = filter->find(name);
            if (it == filter->end() || it->is_null()) return std::optional<uint64_t>{};
            if (it->is_number_unsigned()) return std::optional<uint64_t>(it->get<uint64_t>());
            auto v = parse_u64(*it);
            if (!v)
                return std::unexpected(Params::invalid(0, std::string(name) + ": " + v.error()));
            return std::optional<uint64_t>(*v);
        };
        KRNL_RPC_TRY(after, count_of("after"));
        KRNL_RPC_TRY(count, count_of("count"));
        auto matches = [&](const json& trace) {
            if (from_set.empty() && to_set.empty()) return true;
            const auto [a, b] = trace_ends(trace);
            const bool from_ok = from_set.contains(a), to_ok = to_set.contains(b);
            if (from_set.empty()) return to_ok;
            if (to_set.empty()) return from_ok;
            return mode == "intersection" ? from_ok && to_ok : from_ok || to_ok;
        };
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        uint64_t skip = after.value_or(0);
        json out = json::array();
        for (uint64_t n = from; n <= to; ++n) {
            KRNL_RPC_TRY(traces, localized(reader, n, std::nullopt, *run, bytes_left));
            for (json& t : traces) {
                if (!matches(t)) continue;
                if (skip > 0) {
                    --skip;
                    continue;
                }
                if (count && out.size() >= *count) return out;
                out.push_back(std::move(t));
            }
        }
        return out;
    });
}

}  // namespace krnl::rpc
