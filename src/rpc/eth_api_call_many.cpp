// geth's eth_getStorageValues (many slots of many accounts in one request) and eth_callMany as
// reth and Erigon shape it: bundles of calls run one after another on one state, each bundle with
// its block overrides, from a block or from a position inside one.
#include "chain/system_contracts.hpp"
#include "common/abi.hpp"
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {

// A slot as 32 bytes or fewer of hex, or as a quantity (clients send both).
std::expected<uint256, std::string> parse_slot(const json& v) {
    auto data = parse_data(v);
    if (!data) return parse_quantity(v);
    if (data->size() > 32) return std::unexpected("a storage slot is at most 32 bytes");
    return uint256::from_be(*data);
}

std::string word_hex(const uint256& v) {
    uint8_t out[32];
    v.store_be(out);
    return to_hex(bytes_view(out, 32));
}

// geth's words for a call that did not succeed.
std::string call_failure(const chain::CallOutcome& out) {
    if (out.status == evm::StatusCode::Revert) {
        std::string message = "execution reverted";
        if (auto reason = abi::revert_reason_text(out.output)) message += ": " + *reason;
        return message;
    }
    return out.status == evm::StatusCode::OutOfGas
               ? "out of gas"
               : "execution failed: invalid opcode or stack error";
}

}  // namespace

void EthApi::register_call_many(MethodTable& m) {
    m.add("eth_getStorageValues", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(requests, p.object(0));
        std::vector<std::pair<address, std::vector<uint256>>> asked;
        size_t total = 0;
        for (const auto& [key, slots] : requests->items()) {
            auto addr = parse_address(json(key));
            if (!addr) return std::unexpected(Params::invalid(0, key + ": " + addr.error()));
            if (!slots.is_array())
                return std::unexpected(Params::invalid(0, key + ": expected a list of slots"));
            total += slots.size();
            if (total > options_.max_storage_values)
                return std::unexpected(Params::invalid(
                    0, "too many slots (max " + std::to_string(options_.max_storage_values) +
                           ", limits.max_storage_values)"));
            std::vector<uint256> keys;
            for (const json& s : slots) {
                auto slot = parse_slot(s);
                if (!slot) return std::unexpected(Params::invalid(0, key + ": " + slot.error()));
                keys.push_back(*slot);
            }
            asked.emplace_back(*addr, std::move(keys));
        }
        KRNL_RPC_TRY(ref, p.block(1));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        auto state = reader.state_at(number);
        json out = json::object();
        for (const auto& [addr, keys] : asked) {
            json values = json::array();
            for (const uint256& k : keys)
                values.push_back(word_hex(state->read_storage(addr, k)));
            out[to_hex(addr)] = std::move(values);
        }
        return out;
    });

    // [bundles, stateContext?, stateOverrides?] → one list of {value} or {error} per bundle.
    m.add_evm("eth_callMany", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(4); !r) return std::unexpected(r.error());  // (4th: a timeout)
        if (!p.has(0) || !p.at(0).is_array() || p.at(0).empty())
            return std::unexpected(Params::invalid(0, "expected a non-empty list of bundles"));
        struct Bundle {
            std::vector<chain::CallRequest> calls;
            chain::BlockOverrides overrides;
        };
        std::vector<Bundle> bundles;
        size_t total = 0;
        for (const json& b : p.at(0)) {
            if (!b.is_object() || !b.contains("transactions") || !b["transactions"].is_array())
                return std::unexpected(
                    Params::invalid(0, "a bundle is {transactions: [...], blockOverride?}"));
            Bundle bundle;
            for (const json& t : b["transactions"]) {
                if (!t.is_object())
                    return std::unexpected(Params::invalid(0, "a transaction must be an object"));
                auto request = parse_call_request(t);
                if (!request) return std::unexpected(request.error());
                bundle.calls.push_back(std::move(*request));
            }
            total += bundle.calls.size();
            if (total > options_.max_bundle_calls)
                return std::unexpected(Params::invalid(
                    0, "too many calls (max " + std::to_string(options_.max_bundle_calls) +
                           ", limits.max_bundle_calls)"));
            if (b.contains("blockOverride") && !b["blockOverride"].is_null()) {
                KRNL_RPC_TRY(o, parse_block_overrides(b["blockOverride"]));
                bundle.overrides = o;
            }
            bundles.push_back(std::move(bundle));
        }
        BlockRef ref;
        std::optional<uint64_t> position;  // run after this many of the block's transactions
        if (p.has(1)) {
            if (!p.at(1).is_object())
                return std::unexpected(
                    Params::invalid(1, "expected {blockNumber, transactionIndex}"));
            const json& ctx = p.at(1);
            if (ctx.contains("blockNumber") && !ctx["blockNumber"].is_null()) {
                auto r = parse_block_ref(ctx["blockNumber"]);
                if (!r) return std::unexpected(Params::invalid(1, "blockNumber: " + r.error()));
                ref = *r;
            }
            if (ctx.contains("transactionIndex") && !ctx["transactionIndex"].is_null()) {
                const json& i = ctx["transactionIndex"];
                if (i.is_number_integer() && i.get<int64_t>() == -1) {
                    // -1: after all of them
                } else if (i.is_number_unsigned()) {
                    position = i.get<uint64_t>();
                } else if (auto q = parse_u64(i)) {
                    position = *q;
                } else {
                    return std::unexpected(
                        Params::invalid(1, "transactionIndex: expected an index or -1"));
                }
            }
        }
        std::vector<std::pair<address, chain::AccountOverride>> overrides;
        if (p.has(2)) {
            KRNL_RPC_TRY(o, parse_state_overrides(p.at(2)));
            if (auto r = check_override_code(o, options_.evm.max_override_code_bytes); !r)
                return std::unexpected(r.error());
            overrides = std::move(o);
        }

        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        const auto block = reader.block(number);
        if (!block) return error(code::kServerError, "header not found");
        const evm::Revision rev = chain_.config().revision;
        const chain::BlockInfo info = block_info(block->header);
        const chain::BlockHashFn hashes = reader.block_hashes();
        if (position && *position >= block->transactions.size()) position.reset();
        KRNL_RPC_TRY(run, start_evm_run());
        auto view = position ? reader.state_before(number) : reader.state_at(number);
        state::State st(*view);
        if (position) {
            const auto senders = reader.senders(number);
            const chain::BlockHeader& h = block->header;
            chain::apply_block_start_system_calls(st, rev, info, h.parent_beacon_block_root,
                                                  h.parent_hash, chain_.analysis_cache(), hashes);
            for (size_t i = 0; i < *position; ++i)
                if (!chain::apply_transaction(st, rev, info, block->transactions[i], senders.at(i),
                                              chain_.analysis_cache(), hashes))
                    return error(code::kServerError,
                                 "cannot replay transaction " + std::to_string(i));
        }
        chain::apply_overrides(st, overrides);
        json out = json::array();
        for (const Bundle& bundle : bundles) {
            chain::BlockInfo bundle_info = info;
            chain::apply_overrides(bundle_info, bundle.overrides);
            json results = json::array();
            for (const chain::CallRequest& request : bundle.calls) {
                auto call =
                    chain::simulate_call(st, rev, bundle_info, request,
                                         chain_.config().call_gas_cap, chain_.analysis_cache(),
                                         hashes, nullptr, bundle.overrides.base_fee.has_value());
                if (run->cancellation().cancelled())
                    return std::unexpected(evm_timeout_error(false));
                if (!call) return error(code::kServerError, call.error());
                if (call->status == evm::StatusCode::Success)
                    results.push_back({{"value", to_data(call->output)}});
                else
                    results.push_back({{"error", call_failure(*call)}});
            }
            out.push_back(std::move(results));
        }
        return out;
    });
}

}  // namespace krnl::rpc
