// eth_simulateV1 (ethereum/execution-apis): blocks of calls simulated on top of a block, each
// with its block and state overrides, one state carried through all of them. Without
// "validation" calls pay no fee unless they name one and the base fee is 0 (geth's defaults);
// with it, nonces, fees and balances are checked and a failure ends the request with the spec's
// code. Bounded: at most 256 blocks (geth's cap) and `max_bundle_calls` calls, one EVM time limit.
#include "chain/header_validation.hpp"
#include "common/abi.hpp"
#include "common/keccak.hpp"
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {

constexpr size_t kMaxSimulatedBlocks = 256;
constexpr uint64_t kSimulatedBlockTime = 12;  // seconds between blocks without a time override

// The spec's codes for a call that cannot be included under "validation".
int validation_code(const std::string& message) {
    if (message.starts_with("nonce too low")) return -38010;
    if (message.starts_with("nonce too high")) return -38011;
    if (message.find("less than block base fee") != std::string::npos) return -38012;
    if (message.starts_with("intrinsic gas too low")) return -38013;
    if (message.starts_with("insufficient funds")) return -38014;
    return code::kServerError;
}

json call_error(const chain::CallOutcome& out) {
    if (out.status == evm::StatusCode::Revert) {
        std::string message = "execution reverted";
        if (auto reason = abi::revert_reason_text(out.output)) message += ": " + *reason;
        return {{"code", code::kExecutionReverted},
                {"message", message},
                {"data", to_data(out.output)}};
    }
    return {
        {"code", -32015},
        {"message", out.status == evm::StatusCode::OutOfGas ? "out of gas" : "execution failed"}};
}

}  // namespace

void EthApi::register_simulate(MethodTable& m) {
    m.add_evm("eth_simulateV1", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(payload, p.object(0));
        const json* states =
            payload->contains("blockStateCalls") ? &(*payload)["blockStateCalls"] : nullptr;
        if (states == nullptr || !states->is_array())
            return std::unexpected(Params::invalid(0, "blockStateCalls must be a list"));
        if (states->size() > kMaxSimulatedBlocks)
            return error(-38026,
                         "too many blocks (max " + std::to_string(kMaxSimulatedBlocks) + ")");
        auto flag = [&](const char* name) -> Result<bool> {
            auto it = payload->find(name);
            if (it == payload->end() || it->is_null()) return false;
            if (!it->is_boolean())
                return std::unexpected(
                    Params::invalid(0, std::string(name) + " must be a boolean"));
            return it->get<bool>();
        };
        KRNL_RPC_TRY(validation, flag("validation"));
        KRNL_RPC_TRY(full_transactions, flag("returnFullTransactions"));
        KRNL_RPC_TRY(trace_transfers, flag("traceTransfers"));
        if (trace_transfers)
            return std::unexpected(Params::invalid(0, "traceTransfers is not supported"));

        struct SimBlock {
            chain::BlockOverrides block;
            std::vector<std::pair<address, chain::AccountOverride>> state;
            std::vector<chain::CallRequest> calls;
            std::vector<std::optional<uint64_t>> nonces;
        };
        std::vector<SimBlock> blocks;
        size_t total_calls = 0;
        for (const json& s : *states) {
            if (!s.is_object())
                return std::unexpected(Params::invalid(0, "a block state call must be an object"));
            SimBlock b;
            if (s.contains("blockOverrides") && !s["blockOverrides"].is_null()) {
                KRNL_RPC_TRY(o, parse_block_overrides(s["blockOverrides"]));
                b.block = o;
            }
            if (s.contains("stateOverrides") && !s["stateOverrides"].is_null()) {
                KRNL_RPC_TRY(o, parse_state_overrides(s["stateOverrides"]));
                if (auto r = check_override_code(o, options_.evm.max_override_code_bytes); !r)
                    return std::unexpected(r.error());
                b.state = std::move(o);
            }
            if (s.contains("calls") && !s["calls"].is_null()) {
                if (!s["calls"].is_array())
                    return std::unexpected(Params::invalid(0, "calls must be a list"));
                for (const json& c : s["calls"]) {
                    if (!c.is_object())
                        return std::unexpected(Params::invalid(0, "a call must be an object"));
                    KRNL_RPC_TRY(request, parse_call_request(c));
                    KRNL_RPC_TRY(nonce, parse_nonce(c));
                    b.calls.push_back(std::move(request));
                    b.nonces.push_back(nonce);
                }
            }
            total_calls += b.calls.size();
            if (total_calls > options_.max_bundle_calls)
                return std::unexpected(Params::invalid(
                    0, "too many calls (max " + std::to_string(options_.max_bundle_calls) +
                           ", limits.max_bundle_calls)"));
            blocks.push_back(std::move(b));
        }

        KRNL_RPC_TRY(ref, p.block(1));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(base_number, resolve(reader, ref));
        chain::BlockHeader parent = *reader.header(base_number);
        hash256 parent_hash = *reader.hash(base_number);
        const evm::Revision rev = chain_.config().revision;
        const chain::BlockHashFn hashes = reader.block_hashes();
        auto view = reader.state_at(base_number);
        state::State st(*view);
        KRNL_RPC_TRY(run, start_evm_run());

        json out = json::array();
        for (const SimBlock& b : blocks) {
            chain::BlockHeader h;
            h.parent_hash = parent_hash;
            h.ommers_hash = chain::ommers_hash({});
            h.number = b.block.number.value_or(parent.number + 1);
            h.timestamp = b.block.time.value_or(parent.timestamp + kSimulatedBlockTime);
            if (h.number <= parent.number)
                return error(-38020, "block numbers must increase: " + std::to_string(h.number) +
                                         " after " + std::to_string(parent.number));
            if (h.timestamp <= parent.timestamp)
                return error(-38021,
                             "block timestamps must increase: " + std::to_string(h.timestamp) +
                                 " after " + std::to_string(parent.timestamp));
            h.gas_limit = b.block.gas_limit.value_or(parent.gas_limit);
            h.coinbase = b.block.coinbase.value_or(parent.coinbase);
            if (b.block.prev_randao) h.mix_hash = *b.block.prev_randao;
            h.base_fee_per_gas = b.block.base_fee.value_or(
                validation && parent.base_fee_per_gas ? chain::next_base_fee(parent) : uint256{});
            h.withdrawals_root =
                parent.withdrawals_root ? std::optional(kEmptyTrieRoot) : std::nullopt;
            h.blob_gas_used = parent.blob_gas_used ? std::optional<uint64_t>(0) : std::nullopt;
            h.excess_blob_gas = parent.excess_blob_gas;
            h.parent_beacon_block_root =
                parent.parent_beacon_block_root ? std::optional(hash256{}) : std::nullopt;
            h.requests_hash = parent.requests_hash;
            h.transactions_root = kEmptyTrieRoot;
            h.receipts_root = kEmptyTrieRoot;
            h.state_root = parent.state_root;  // (not recomputed for a simulated block)
            chain::BlockInfo info = chain::block_info(h, chain_.chain_id());
            chain::apply_overrides(st, b.state);

            chain::Block block;
            std::vector<address> senders;
            std::vector<std::vector<chain::Log>> logs;
            json calls = json::array();
            uint64_t gas_used = 0;
            for (size_t i = 0; i < b.calls.size(); ++i) {
                chain::CallRequest request = b.calls[i];
                if (!request.gas) request.gas = h.gas_limit > gas_used ? h.gas_limit - gas_used : 0;
                if (validation) {
                    const state::Account* acc = st.find(request.from.value_or(address{}));
                    const uint64_t have = acc ? acc->nonce : 0;
                    if (b.nonces[i] && *b.nonces[i] < have)
                        return error(-38010, "nonce too low: call " + std::to_string(i));
                    if (b.nonces[i] && *b.nonces[i] > have)
                        return error(-38011, "nonce too high: call " + std::to_string(i));
                    if (!request.max_fee_per_gas && !request.gas_price)
                        request.max_fee_per_gas = h.base_fee_per_gas.value_or(uint256{});
                }
                if (gas_used + *request.gas > h.gas_limit)
                    return error(-38015, "block gas limit reached: call " + std::to_string(i));
                auto call = chain::simulate_call(st, rev, info, request, *request.gas,
                                                 chain_.analysis_cache(), hashes, nullptr,
                                                 validation || b.block.base_fee.has_value());
                if (run->cancellation().cancelled())
                    return std::unexpected(evm_timeout_error(false));
                if (!call)
                    return error(validation ? validation_code(call.error()) : code::kServerError,
                                 call.error());
                gas_used += call->gas_used;
                json entry = {{"status", call->status == evm::StatusCode::Success ? "0x1" : "0x0"},
                              {"returnData", to_data(call->output)},
                              {"gasUsed", to_quantity(call->gas_used)}};
                if (call->status != evm::StatusCode::Success) entry["error"] = call_error(*call);
                calls.push_back(std::move(entry));
                block.transactions.push_back(call->tx);
                senders.push_back(call->sender);
                logs.push_back(std::move(call->logs));
            }
            h.gas_used = gas_used;
            block.header = h;
            if (parent.withdrawals_root) block.withdrawals.emplace();
            const hash256 hash = chain::block_hash(h);
            // Logs know their block and transaction only now.
            uint64_t log_index = 0;
            for (size_t i = 0; i < calls.size(); ++i) {
                const TxPosition position{hash, h.number, i,
                                          h.base_fee_per_gas.value_or(uint256{})};
                const hash256 tx_hash = chain::transaction_hash(block.transactions[i]);
                json entries = json::array();
                for (const chain::Log& log : logs[i])
                    entries.push_back(log_json(log, position, tx_hash, log_index++, h.timestamp));
                calls[i]["logs"] = std::move(entries);
            }
            json j = block_json(block, hash, senders, full_transactions);
            j["calls"] = std::move(calls);
            out.push_back(std::move(j));
            parent = h;
            parent_hash = hash;
        }
        return out;
    });
}

}  // namespace krnl::rpc
