// geth's debug tracers (struct logger, callTracer, prestateTracer, 4byteTracer, noopTracer) and the
// access-list tracer of eth_createAccessList, as evm::Tracer implementations whose results are JSON
// in geth's format.
//
// How a caller drives one (one tracer per transaction):
//   1. make the tracer with the state the transaction will run on;
//   2. call on_tx_start(info) before the transaction changes anything (before the sender is
//      charged for gas and its nonce bumped): the prestate tracer reads the sender, the recipient
//      and the coinbase there;
//   3. run the transaction with the tracer as its evm::Tracer. The host must call on_call_start
//      before it moves any value or creates anything for a message, and on_call_end with the
//      message's final result (after the code deposit of a creation);
//   4. call result(outcome) once the transaction is done; the prestate tracer in diff mode reads
//      the post state from the same state object then.
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evm/cancellation.hpp"
#include "evm/interpreter.hpp"
#include "state/state.hpp"

namespace krnl::rpc {

using json = nlohmann::json;

// The transaction being traced, as its envelope says.
struct TraceTxInfo {
    address from;
    std::optional<address> to;  // nullopt: a contract creation
    uint64_t nonce = 0;         // the transaction's nonce (a creation's address derives from it)
    uint256 value;
    bytes input;
    uint64_t gas_limit = 0;
    address coinbase;
    evm::Revision rev = evm::Revision::Cancun;
};

// How the transaction ended.
struct TraceTxOutcome {
    evm::StatusCode status = evm::StatusCode::Success;
    bytes output;           // return data, or revert data
    uint64_t gas_used = 0;  // as the receipt has it (after refunds)
};

// Bounds on what a tracer records. Past a cap the tracer stops recording, raises `stop` (so the
// execution ends soon instead of running on for nothing) and reports why in `failure()`.
struct TraceLimits {
    uint64_t max_steps = 0;  // struct-log entries; 0: none
    uint64_t max_bytes = 0;  // bytes of JSON output (estimated as recorded); 0: none
    evm::Cancellation* stop = nullptr;
};

class JsonTracer : public evm::Tracer {
public:
    virtual void on_tx_start(const TraceTxInfo& tx) {}
    virtual json result(const TraceTxOutcome& outcome) = 0;

    void set_limits(const TraceLimits& limits) { limits_ = limits; }
    // Why the trace was abandoned (a cap passed); its result is then not to be used.
    const std::optional<std::string>& failure() const { return failure_; }
    // The output bytes counted so far (a block's traces share one budget).
    uint64_t bytes_counted() const { return bytes_; }

protected:
    // Counts `n` more bytes of output: false, and the trace abandoned, past the cap.
    bool charge(uint64_t n);
    void abandon(std::string reason);
    bool abandoned() const { return failure_.has_value(); }
    const TraceLimits& limits() const { return limits_; }

private:
    TraceLimits limits_;
    uint64_t bytes_ = 0;
    std::optional<std::string> failure_;
};

// `options` is the tracer argument of debug_traceTransaction / debug_traceCall (null or an object):
// {tracer, tracerConfig, disableStack, disableStorage, enableMemory, enableReturnData, limit}.
// No "tracer" gives the struct logger. Errors name unknown tracers and ill-typed options.
std::expected<std::unique_ptr<JsonTracer>, std::string> make_tracer(const json& options,
                                                                    state::State& state,
                                                                    const TraceLimits& limits = {});

// The access-list tracer: every account and slot the transaction touches, except the sender, the
// recipient of a call and the precompiles (a slot keeps its account in the list, as geth does).
class AccessListTracer final : public JsonTracer {
public:
    void on_tx_start(const TraceTxInfo& tx) override;
    void on_enter(const evm::Message& msg, bytes_view code) override;
    void on_exit(const evm::Result& result) override;
    void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                 std::span<const uint256> stack, bytes_view memory) override;
    // {accessList: [{address, storageKeys}], gasUsed, error?}, sorted by address and key.
    json result(const TraceTxOutcome& outcome) override;

    struct Entry {
        address addr;
        std::vector<bytes32> storage_keys;
    };
    std::vector<Entry> access_list() const;

private:
    TraceTxInfo tx_;
    std::vector<address> frames_;  // storage owner of each running code frame
    std::map<address, std::set<bytes32>> touched_;
};

// geth's wording of a failed frame's error (vm/errors.go), for tracers and RPC messages.
// `opcode` and `stack_height` are those of the failing instruction where the message needs them.
std::string geth_error(evm::StatusCode status, uint8_t opcode = 0, size_t stack_height = 0);

// geth's name of an opcode ("PUSH1", "KECCAK256", "opcode 0xef not defined").
std::string opcode_name(uint8_t opcode);

}  // namespace krnl::rpc
