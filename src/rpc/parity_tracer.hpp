// Parity's (OpenEthereum's) trace format, as reth and anvil answer trace_*: a transaction's calls
// as a flat list in depth-first order, each with its trace address, and its state changes as a
// "stateDiff". Both are translations of geth's tracers that run underneath: the callTracer's frame
// tree and the prestateTracer's diff, run together by ParityTracer.
#pragma once

#include "rpc/tracers.hpp"

namespace krnl::rpc {

// What a trace_* request asks for: its trace types.
struct ParityTraceTypes {
    bool trace = false;
    bool state_diff = false;
};
// ["trace", "stateDiff", "vmTrace"]: vmTrace is refused (not supported here), unknown names too.
std::expected<ParityTraceTypes, std::string> parse_parity_trace_types(const json& v);

// Parity's word for a geth error ("execution reverted" → "Reverted", "out of gas" → "Out of gas").
std::string parity_error(const std::string& geth_error);

// The callTracer's frame tree as Parity's flat list: [{type, action, result, error?, subtraces,
// traceAddress}]. Calls to precompiles are left out, as geth's flatCallTracer and Parity do.
// `top_gas`/`top_gas_used`: the top call's gas after intrinsic gas and what its execution used
// (Parity counts the frame, not the transaction), when known.
json parity_traces(const json& call_frame, evm::Revision rev, std::optional<uint64_t> top_gas = {},
                   std::optional<uint64_t> top_gas_used = {});

// The prestateTracer's diff ({pre, post}) as Parity's stateDiff: per account balance, nonce, code
// and storage as "=" (unchanged), {"+": v} (created), {"-": v} (destroyed) or
// {"*": {from, to}}.
json parity_state_diff(const json& prestate_diff);

// Adds where a trace sits: blockHash, blockNumber, transactionHash, transactionPosition.
void localize_trace(json& trace, const hash256& block_hash, uint64_t block_number,
                    const hash256& tx_hash, uint64_t tx_position);

// Runs the callTracer (for "trace") and the prestateTracer in diff mode (for "stateDiff")
// together; result() is {output, trace, stateDiff, vmTrace: null} with Parity's shapes.
class ParityTracer final : public JsonTracer {
public:
    // Fails only on an internal error (the underlying tracers' options are fixed).
    static std::expected<std::unique_ptr<ParityTracer>, std::string> make(ParityTraceTypes types,
                                                                          state::State& state,
                                                                          const TraceLimits& limits,
                                                                          evm::Revision rev);

    void on_tx_start(const TraceTxInfo& tx) override;
    void on_enter(const evm::Message& msg, bytes_view code) override;
    void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                 std::span<const uint256> stack, bytes_view memory) override;
    void on_exit(const evm::Result& result) override;
    void on_call_start(const evm::Message& msg) override;
    void on_call_end(const evm::Result& result) override;
    json result(const TraceTxOutcome& outcome) override;
    // The callTracer's frame tree, once result() has run (Otterscan's methods read it).
    const json& call_frame() const { return call_frame_; }

    // Why a cap was passed, from either tracer underneath.
    std::optional<std::string> parity_failure() const;
    uint64_t bytes_used() const;

private:
    ParityTraceTypes types_;
    evm::Revision rev_;
    std::unique_ptr<JsonTracer> calls_;
    std::unique_ptr<JsonTracer> diff_;
    int depth_ = 0;
    std::optional<uint64_t> top_gas_;
    std::optional<uint64_t> top_gas_left_;
    json call_frame_;
};

}  // namespace krnl::rpc
