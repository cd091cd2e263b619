// debug_trace* with geth's tracers, and eth_createAccessList (the access-list tracer, run until
// the list it finds is the list it ran with).
#include "chain/system_contracts.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/tracers.hpp"

namespace krnl::rpc {
namespace {

TraceTxInfo trace_info(const chain::Transaction& tx, const address& sender,
                       const chain::BlockInfo& block, evm::Revision rev) {
    return {sender, tx.to, tx.nonce, tx.value, tx.data, tx.gas_limit, block.coinbase, rev};
}

// A call request as the transaction tracers see it: from the account's nonce, with the call's gas.
TraceTxInfo call_trace_info(state::State& st, const chain::CallRequest& request, uint64_t gas,
                            const chain::BlockInfo& block, evm::Revision rev) {
    const address from = request.from.value_or(address{});
    const state::Account* acc = st.find(from);
    return {from,         request.to, acc ? acc->nonce : 0, request.value,
            request.data, gas,        block.coinbase,       rev};
}

// The caps of a traced transaction; passing one stops the request's execution.
TraceLimits trace_limits(const EvmLimits& limits, evm::Cancellation& stop) {
    return {limits.trace_max_steps, limits.trace_max_bytes, &stop};
}

// The tracer options of debug_trace*: an object or nothing.
Result<json> trace_options(const Params& p, size_t i) {
    if (!p.has(i)) return json::object();
    if (!p.at(i).is_object())
        return std::unexpected(Params::invalid(i, "tracer options must be an object"));
    return p.at(i);
}

}  // namespace

void EthApi::register_debug(MethodTable& m) {
    const evm::Revision rev = chain_.config().revision;

    // Re-executes block `number` on its parent's state up to transaction `traced` (or every
    // transaction when nullopt), tracing the traced ones: [{txHash, result}].
    auto trace_block = [this, rev](const chain::ChainReader& reader, uint64_t number,
                                   std::optional<size_t> traced,
                                   const json& options) -> Result<json> {
        if (number == 0) return json::array();  // genesis has no transactions
        const auto block = reader.block(number);
        if (!block)
            return error(code::kServerError, "block #" + std::to_string(number) + " not found");
        const auto senders = reader.senders(number);
        auto view = reader.state_before(number);  // with the dev edits made before it
        state::State st(*view);
        const chain::BlockHeader& header = block->header;
        const chain::BlockInfo info = block_info(header);
        const chain::BlockHashFn hashes = reader.block_hashes();
        chain::apply_block_start_system_calls(st, rev, info, header.parent_beacon_block_root,
                                              header.parent_hash, chain_.analysis_cache(), hashes);
        // One time limit and one output budget for the whole replay.
        KRNL_RPC_TRY(run, start_evm_run());
        TraceLimits limits = trace_limits(options_.evm, run->cancellation());
        json results = json::array();
        const size_t last = traced ? *traced : block->transactions.size() - 1;
        for (size_t i = 0; i <= last && i < block->transactions.size(); ++i) {
            const chain::Transaction& tx = block->transactions[i];
            const address& sender = senders.at(i);
            std::unique_ptr<JsonTracer> tracer;
            if (!traced || *traced == i) {
                auto made = make_tracer(options, st, limits);
                if (!made) return error(code::kInvalidParams, made.error());
                tracer = std::move(*made);
                tracer->on_tx_start(trace_info(tx, sender, info, rev));
            }
            auto receipt = chain::apply_transaction(st, rev, info, tx, sender,
                                                    chain_.analysis_cache(), hashes, tracer.get());
            if (tracer && tracer->failure()) return error(code::kLimitExceeded, *tracer->failure());
            // What this transaction's trace used is not there for the next ones.
            if (tracer && limits.max_bytes != 0)
                limits.max_bytes -= std::min(limits.max_bytes - 1, tracer->bytes_counted());
            if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(true));
            if (!receipt)
                return error(code::kServerError,
                             "cannot replay transaction " + std::to_string(i) + ": " +
                                 std::string(chain::tx_error_message(receipt.error())));
            if (tracer)
                results.push_back(
                    {{"txHash", to_hex(chain::transaction_hash(tx))},
                     {"result", tracer->result({receipt->status, receipt->output,
                                                static_cast<uint64_t>(receipt->gas_used)})}});
        }
        return results;
    };

    auto trace_transaction = [this, trace_block](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(hash, p.hash(0));
        KRNL_RPC_TRY(options, trace_options(p, 1));
        auto reader = chain_.reader();
        const auto location = reader.find_transaction(hash);
        if (!location)
            return error(code::kServerError, "transaction " + to_hex(hash) + " not found");
        KRNL_RPC_TRY(results,
                     trace_block(reader, location->block_number, location->index, options));
        return results.at(0).at("result");
    };
    m.add_evm("debug_traceTransaction", trace_transaction);

    auto trace_block_method = [this, trace_block](bool by_hash) {
        return [this, trace_block, by_hash](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(options, trace_options(p, 1));
            auto reader = chain_.reader();
            uint64_t number = 0;
            if (by_hash) {
                KRNL_RPC_TRY(h, p.hash(0));
                auto n = reader.number_of(h);
                if (!n) return error(code::kServerError, "block " + to_hex(h) + " not found");
                number = *n;
            } else {
                KRNL_RPC_TRY(ref, p.block(0));
                KRNL_RPC_TRY(n, resolve(reader, ref));
                number = n;
            }
            return trace_block(reader, number, std::nullopt, options);
        };
    };
    m.add_evm("debug_traceBlockByNumber", trace_block_method(false));
    m.add_evm("debug_traceBlockByHash", trace_block_method(true));

    auto trace_call = [this, rev](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(request, parse_call_request(*obj));
        KRNL_RPC_TRY(ref, p.block(1));
        KRNL_RPC_TRY(options, trace_options(p, 2));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        chain::BlockInfo info = block_info(*reader.header(number));
        auto view = reader.state_at(number);
        state::State st(*view);
        if (options.contains("stateOverrides")) {
            KRNL_RPC_TRY(o, parse_state_overrides(options["stateOverrides"]));
            if (auto r = check_override_code(o, options_.evm.max_override_code_bytes); !r)
                return std::unexpected(r.error());
            chain::apply_overrides(st, o);
        }
        if (options.contains("blockOverrides")) {
            KRNL_RPC_TRY(bo, parse_block_overrides(options["blockOverrides"]));
            chain::apply_overrides(info, bo);
        }
        KRNL_RPC_TRY(run, start_evm_run());
        auto tracer = make_tracer(options, st, trace_limits(options_.evm, run->cancellation()));
        if (!tracer) return error(code::kInvalidParams, tracer.error());
        const uint64_t gas = std::min(request.gas.value_or(chain_.config().call_gas_cap),
                                      chain_.config().call_gas_cap);
        (*tracer)->on_tx_start(call_trace_info(st, request, gas, info, rev));
        auto out =
            chain::simulate_call(st, rev, info, request, chain_.config().call_gas_cap,
                                 chain_.analysis_cache(), reader.block_hashes(), tracer->get());
        if ((*tracer)->failure()) return error(code::kLimitExceeded, *(*tracer)->failure());
        if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(true));
        if (!out) return error(code::kServerError, out.error());
        return (*tracer)->result({out->status, out->output, out->gas_used});
    };
    m.add_evm("debug_traceCall", trace_call);

    auto create_access_list = [this, rev](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(request, parse_call_request(*obj));
        KRNL_RPC_TRY(ref, p.block(1));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        const chain::BlockInfo info = block_info(*reader.header(number));
        auto view = reader.state_at(number);
        std::vector<chain::AccessListEntry> list =
            request.access_list.value_or(std::vector<chain::AccessListEntry>{});
        // Adding an access list changes gas and so, possibly, the path taken: run until the list
        // found is the list the run started with (geth does the same).
        KRNL_RPC_TRY(run, start_evm_run());  // one time limit for all the runs
        json result;
        for (int round = 0; round < 10; ++round) {
            request.access_list = list;
            state::State st(*view);
            AccessListTracer tracer;
            tracer.on_tx_start(
                call_trace_info(st, request, chain_.config().call_gas_cap, info, rev));
            auto out =
                chain::simulate_call(st, rev, info, request, chain_.config().call_gas_cap,
                                     chain_.analysis_cache(), reader.block_hashes(), &tracer);
            if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(false));
            if (!out) return error(code::kServerError, out.error());
            result = tracer.result({out->status, out->output, out->gas_used});
            std::vector<chain::AccessListEntry> found;
            for (const auto& e : tracer.access_list())
                found.push_back({e.addr, e.storage_keys});
            const bool same =
                found.size() == list.size() &&
                std::equal(found.begin(), found.end(), list.begin(),
                           [](const auto& a, const auto& b) {
                               return a.addr == b.addr && a.storage_keys == b.storage_keys;
                           });
            if (same) break;
            list = std::move(found);
        }
        return result;
    };
    m.add_evm("eth_createAccessList", create_access_list);
}

}  // namespace krnl::rpc
