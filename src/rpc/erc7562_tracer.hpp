// The ERC-7562 tracer: go-ethereum's native "erc7562Tracer" (eth/tracers/native/erc7562.go), a call
// tree whose frames also record the opcodes they used, the storage slots they read and wrote, the
// code they looked at and the keccak preimages of the whole transaction. Bundlers apply the
// ERC-7562 validation rules to it; src/aa/validation_rules reads the C++ frame tree directly.
//
// Driven like the other tracers (see tracers.hpp): on_tx_start (optional), the traced execution,
// then result(outcome) for geth's JSON or finish(outcome) and root() for the frame tree.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rpc/tracers.hpp"

namespace krnl::rpc {

struct Erc7562Log {
    address addr;
    std::vector<bytes32> topics;
    bytes data;
    uint64_t index = 0;     // position among the logs of the whole trace
    uint64_t position = 0;  // number of the frame's sub-calls made before the log
};

// A code access by EXTCODESIZE/EXTCODEHASH/EXTCODECOPY or a *CALL: the first one per address and
// frame, with the code as it was then.
struct Erc7562CodeAccess {
    size_t contract_size = 0;
    uint8_t opcode = 0;
    hash256 code_hash;       // keccak of the code (the empty-code hash when there is none)
    bool delegated = false;  // the code is an EIP-7702 delegation designator (0xef0100 ‖ address)
};

struct Erc7562Frame {
    uint8_t type = 0;  // the opcode that made the frame: CALL, STATICCALL, DELEGATECALL, CALLCODE,
                       // CREATE, CREATE2 or SELFDESTRUCT (the top frame: CALL or CREATE)
    address from;
    // The callee; for a creation the address it creates (geth's JSON omits it if that failed).
    std::optional<address> to;
    // Whose storage and balance the frame's code acts on: `to`, or `from` for DELEGATECALL and
    // CALLCODE (geth's JSON only has `to`, the code's address).
    address storage_address;
    uint64_t gas = 0;
    uint64_t gas_used = 0;
    bytes input;
    bytes output;
    std::optional<uint256> value;
    std::string error;          // geth's wording; empty on success
    std::string revert_reason;  // decoded Error(string) / Panic(uint256), if any
    bool out_of_gas = false;    // ended by running out of gas (also while storing created code)
    bool reverted = false;      // its changes were undone (REVERT or an exceptional halt)

    // Storage, by slot. A read keeps the value of the first read that came before any write.
    std::map<bytes32, bytes32> reads;
    std::map<bytes32, uint64_t> writes;
    std::map<bytes32, uint64_t> transient_reads;
    std::map<bytes32, uint64_t> transient_writes;
    // Targets of EXTCODE* (in order, repeats kept) except EXTCODESIZE immediately followed by
    // ISZERO (ERC-7562 OP-051).
    std::vector<address> ext_code_access;
    // CALL/CALLCODE with value this frame executed, to whom and how much: recorded at the
    // opcode, so a transfer the caller's balance cannot cover (no frame follows) counts too.
    std::vector<std::pair<address, uint256>> value_calls;
    std::map<address, Erc7562CodeAccess> contract_size;
    // Opcodes executed, except the ignored ones; GAS counts only when the next instruction is not
    // a *CALL (OP-012).
    std::map<uint8_t, uint64_t> used_opcodes;
    std::vector<Erc7562Log> logs;  // only with withLog
    std::vector<Erc7562Frame> calls;
    // keccak256 preimages of the whole transaction, sorted; only in the top frame.
    std::vector<bytes> keccak;
};

struct Erc7562TracerConfig {
    std::array<bool, 256> ignored_opcodes{};  // geth's default: PUSH0..SWAP16 and cheap arithmetic
    bool with_log = false;
    uint32_t stack_top_items_size = 3;  // accepted for geth compatibility; unused in the output

    Erc7562TracerConfig();
    // geth's tracerConfig: {ignoredOpcodes: ["0x01", ...], withLog, stackTopItemsSize}.
    static std::expected<Erc7562TracerConfig, std::string> parse(const json& config);
};

class Erc7562Tracer final : public JsonTracer {
public:
    explicit Erc7562Tracer(state::State& state, Erc7562TracerConfig config = {});

    void on_tx_start(const TraceTxInfo& tx) override;
    void on_call_start(const evm::Message& msg) override;
    void on_call_end(const evm::Result& result) override;
    void on_enter(const evm::Message& msg, bytes_view code) override;
    void on_exit(const evm::Result& result) override;
    void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                 std::span<const uint256> stack, bytes_view memory) override;

    // Completes the top frame with the transaction's outcome; call once, after execution.
    void finish(const TraceTxOutcome& outcome);
    // The frame tree (the top frame first); complete after finish().
    const Erc7562Frame& root() const { return root_; }

    // finish(outcome), then geth's JSON of the tree.
    json result(const TraceTxOutcome& outcome) override;

private:
    struct Node {
        Erc7562Frame frame;
        std::vector<size_t> children;               // into nodes_
        std::array<uint64_t, 256> opcode_counts{};  // used_opcodes, counted without map lookups
    };
    struct Open {
        size_t node;
        uint8_t last_op = 0;  // for the error text of a failed frame
        size_t last_stack = 0;
        bool init_returned = false;
        bool init_output_starts_with_ef = false;
    };

    size_t add_node(Erc7562Frame frame);
    void complete(Erc7562Frame& frame, const Open& open, evm::StatusCode status,
                  const bytes& output, const address& created);
    void record_code_access(Erc7562Frame& frame, const address& addr, uint8_t opcode);
    Erc7562Frame build(size_t node);

    state::State& state_;
    Erc7562TracerConfig config_;
    // Frames in creation order while tracing (nodes_[0] is the top frame); finish() nests them.
    std::vector<Node> nodes_;
    std::vector<Open> open_;
    Erc7562Frame root_;
    bool top_started_ = false;
    bool finished_ = false;
    // The previous instruction (in any frame) and, for EXTCODE*, the address it looked at.
    std::optional<uint8_t> last_op_;
    address last_ext_target_;
    std::set<bytes> keccak_;
    uint64_t log_count_ = 0;
};

// geth's JSON of one frame and its sub-calls.
json erc7562_frame_json(const Erc7562Frame& frame);

}  // namespace krnl::rpc
