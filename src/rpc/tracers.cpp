#include "rpc/tracers.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "chain/host.hpp"
#include "common/abi.hpp"
#include "common/keccak.hpp"
#include "evm/precompiles.hpp"
#include "rpc/erc7562_tracer.hpp"
#include "rpc/trace_steps.hpp"

namespace krnl::rpc {

bool JsonTracer::charge(uint64_t n) {
    if (failure_) return false;
    bytes_ += n;
    if (limits_.max_bytes != 0 && bytes_ > limits_.max_bytes) {
        abandon("trace larger than " + std::to_string(limits_.max_bytes) +
                " bytes (limits.trace_max_bytes): trace less gas, or use the limit option, "
                "disableStack or a call tracer");
        return false;
    }
    return true;
}

void JsonTracer::abandon(std::string reason) {
    if (failure_) return;
    failure_ = std::move(reason);
    if (limits_.stop != nullptr) limits_.stop->cancel();
}

namespace {

using evm::CallKind;
using evm::StatusCode;

// ---------------------------------------------------------------- opcodes

struct OpInfo {
    const char* name = nullptr;  // null: not defined
    uint8_t pops = 0;
    uint8_t pushes = 0;
};

constexpr uint8_t OP_SLOAD = 0x54, OP_SSTORE = 0x55, OP_BALANCE = 0x31, OP_EXTCODESIZE = 0x3b,
                  OP_EXTCODECOPY = 0x3c, OP_EXTCODEHASH = 0x3f, OP_CREATE = 0xf0, OP_CALL = 0xf1,
                  OP_CALLCODE = 0xf2, OP_DELEGATECALL = 0xf4, OP_CREATE2 = 0xf5,
                  OP_STATICCALL = 0xfa, OP_INVALID = 0xfe, OP_SELFDESTRUCT = 0xff, OP_LOG0 = 0xa0,
                  OP_LOG4 = 0xa4;

const std::array<OpInfo, 256>& op_table() {
    static const std::array<OpInfo, 256> table = [] {
        std::array<OpInfo, 256> t{};
        const auto set = [&](uint8_t op, const char* name, uint8_t pops, uint8_t pushes) {
            t[op] = {name, pops, pushes};
        };
        set(0x00, "STOP", 0, 0);
        set(0x01, "ADD", 2, 1);
        set(0x02, "MUL", 2, 1);
        set(0x03, "SUB", 2, 1);
        set(0x04, "DIV", 2, 1);
        set(0x05, "SDIV", 2, 1);
        set(0x06, "MOD", 2, 1);
        set(0x07, "SMOD", 2, 1);
        set(0x08, "ADDMOD", 3, 1);
        set(0x09, "MULMOD", 3, 1);
        set(0x0a, "EXP", 2, 1);
        set(0x0b, "SIGNEXTEND", 2, 1);
        set(0x10, "LT", 2, 1);
        set(0x11, "GT", 2, 1);
        set(0x12, "SLT", 2, 1);
        set(0x13, "SGT", 2, 1);
        set(0x14, "EQ", 2, 1);
        set(0x15, "ISZERO", 1, 1);
        set(0x16, "AND", 2, 1);
        set(0x17, "OR", 2, 1);
        set(0x18, "XOR", 2, 1);
        set(0x19, "NOT", 1, 1);
        set(0x1a, "BYTE", 2, 1);
        set(0x1b, "SHL", 2, 1);
        set(0x1c, "SHR", 2, 1);
        set(0x1d, "SAR", 2, 1);
        set(0x20, "KECCAK256", 2, 1);
        set(0x30, "ADDRESS", 0, 1);
        set(0x31, "BALANCE", 1, 1);
        set(0x32, "ORIGIN", 0, 1);
        set(0x33, "CALLER", 0, 1);
        set(0x34, "CALLVALUE", 0, 1);
        set(0x35, "CALLDATALOAD", 1, 1);
        set(0x36, "CALLDATASIZE", 0, 1);
        set(0x37, "CALLDATACOPY", 3, 0);
        set(0x38, "CODESIZE", 0, 1);
        set(0x39, "CODECOPY", 3, 0);
        set(0x3a, "GASPRICE", 0, 1);
        set(0x3b, "EXTCODESIZE", 1, 1);
        set(0x3c, "EXTCODECOPY", 4, 0);
        set(0x3d, "RETURNDATASIZE", 0, 1);
        set(0x3e, "RETURNDATACOPY", 3, 0);
        set(0x3f, "EXTCODEHASH", 1, 1);
        set(0x40, "BLOCKHASH", 1, 1);
        set(0x41, "COINBASE", 0, 1);
        set(0x42, "TIMESTAMP", 0, 1);
        set(0x43, "NUMBER", 0, 1);
        set(0x44, "DIFFICULTY", 0, 1);  // PREVRANDAO since the merge; geth keeps the old name
        set(0x45, "GASLIMIT", 0, 1);
        set(0x46, "CHAINID", 0, 1);
        set(0x47, "SELFBALANCE", 0, 1);
        set(0x48, "BASEFEE", 0, 1);
        set(0x49, "BLOBHASH", 1, 1);
        set(0x4a, "BLOBBASEFEE", 0, 1);
        set(0x50, "POP", 1, 0);
        set(0x51, "MLOAD", 1, 1);
        set(0x52, "MSTORE", 2, 0);
        set(0x53, "MSTORE8", 2, 0);
        set(0x54, "SLOAD", 1, 1);
        set(0x55, "SSTORE", 2, 0);
        set(0x56, "JUMP", 1, 0);
        set(0x57, "JUMPI", 2, 0);
        set(0x58, "PC", 0, 1);
        set(0x59, "MSIZE", 0, 1);
        set(0x5a, "GAS", 0, 1);
        set(0x5b, "JUMPDEST", 0, 0);
        set(0x5c, "TLOAD", 1, 1);
        set(0x5d, "TSTORE", 2, 0);
        set(0x5e, "MCOPY", 3, 0);
        set(0x5f, "PUSH0", 0, 1);
        static const std::array<std::string, 32> push_names = [] {
            std::array<std::string, 32> n;
            for (int i = 0; i < 32; ++i)
                n[i] = "PUSH" + std::to_string(i + 1);
            return n;
        }();
        static const std::array<std::string, 16> dup_names = [] {
            std::array<std::string, 16> n;
            for (int i = 0; i < 16; ++i)
                n[i] = "DUP" + std::to_string(i + 1);
            return n;
        }();
        static const std::array<std::string, 16> swap_names = [] {
            std::array<std::string, 16> n;
            for (int i = 0; i < 16; ++i)
                n[i] = "SWAP" + std::to_string(i + 1);
            return n;
        }();
        for (int i = 0; i < 32; ++i)
            set(static_cast<uint8_t>(0x60 + i), push_names[i].c_str(), 0, 1);
        for (int i = 0; i < 16; ++i) {
            set(static_cast<uint8_t>(0x80 + i), dup_names[i].c_str(), static_cast<uint8_t>(i + 1),
                static_cast<uint8_t>(i + 2));
            set(static_cast<uint8_t>(0x90 + i), swap_names[i].c_str(), static_cast<uint8_t>(i + 2),
                static_cast<uint8_t>(i + 2));
        }
        set(0xa0, "LOG0", 2, 0);
        set(0xa1, "LOG1", 3, 0);
        set(0xa2, "LOG2", 4, 0);
        set(0xa3, "LOG3", 5, 0);
        set(0xa4, "LOG4", 6, 0);
        set(0xf0, "CREATE", 3, 1);
        set(0xf1, "CALL", 7, 1);
        set(0xf2, "CALLCODE", 7, 1);
        set(0xf3, "RETURN", 2, 0);
        set(0xf4, "DELEGATECALL", 6, 1);
        set(0xf5, "CREATE2", 4, 1);
        set(0xfa, "STATICCALL", 6, 1);
        set(0xfd, "REVERT", 2, 0);
        set(0xfe, "INVALID", 0, 0);
        set(0xff, "SELFDESTRUCT", 1, 0);
        return t;
    }();
    return table;
}

// ---------------------------------------------------------------- formatting

std::string hex_u64(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string hex_word_bare(const bytes32& w) {
    return to_hex(w.view(), false);
}

using trace_steps::memory_slice;
using trace_steps::peek;
using trace_steps::to_address;

using chain::create2_address;
using chain::create_address;

uint64_t nonce_of(const state::State& state, const address& addr) {
    const state::Account* acc = state.find(addr);
    return acc != nullptr ? acc->nonce : 0;
}

// Reads a boolean option; a present value of another type is an error.
std::expected<bool, std::string> bool_option(const json& object, const char* name) {
    if (!object.is_object() || !object.contains(name) || object[name].is_null()) return false;
    if (!object[name].is_boolean())
        return std::unexpected(std::string("option ") + name + " must be a boolean");
    return object[name].get<bool>();
}

// ---------------------------------------------------------------- struct logger

struct StructLoggerConfig {
    bool disable_stack = false;
    bool disable_storage = false;
    bool enable_memory = false;
    bool enable_return_data = false;
    // geth's "limit": once the output passes this many bytes, nothing more is recorded (no
    // error); 0: unlimited.
    uint64_t limit = 0;
};

class StructLogger final : public JsonTracer {
public:
    StructLogger(const StructLoggerConfig& config, state::State& state)
        : config_(config), state_(state) {}

    void on_enter(const evm::Message& msg, bytes_view code) override {
        frames_.push_back({msg.recipient, msg.depth});
    }

    void on_exit(const evm::Result& result) override {
        if (frames_.empty()) return;
        Frame f = frames_.back();
        frames_.pop_back();
        if (f.last_log != kNone) {
            json& log = logs_[f.last_log];
            log["gasCost"] =
                static_cast<uint64_t>(std::max<int64_t>(f.last_gas - result.gas_left, 0));
            if (evm::is_exceptional(result.status))
                log["error"] = geth_error(result.status, f.last_op, f.last_stack_height);
        }
        if (!frames_.empty() && !call_hooks_seen_) frames_.back().returned_gas += result.gas_left;
        if (!frames_.empty()) frames_.back().return_data = result.output;
    }

    void on_call_start(const evm::Message& msg) override {
        call_hooks_seen_ = true;
        messages_.push_back(msg.depth);
    }

    void on_call_end(const evm::Result& result) override {
        if (messages_.empty()) return;
        const int32_t depth = messages_.back();
        messages_.pop_back();
        if (!frames_.empty() && frames_.back().depth + 1 == depth) {
            frames_.back().returned_gas += result.gas_left;
            frames_.back().return_data = result.output;
        }
    }

    void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                 std::span<const uint256> stack, bytes_view memory) override {
        if (frames_.empty()) frames_.push_back({address{}, depth});
        Frame& f = frames_.back();
        if (f.last_log != kNone) {
            logs_[f.last_log]["gasCost"] =
                static_cast<uint64_t>(std::max<int64_t>(f.last_gas - gas_left + f.returned_gas, 0));
        }
        f.returned_gas = 0;
        f.last_gas = gas_left;
        f.last_op = opcode;
        f.last_stack_height = stack.size();
        f.last_log = kNone;
        if (abandoned()) return;
        if (config_.limit != 0 && output_bytes_ > config_.limit) return;
        if (limits().max_steps != 0 && logs_.size() >= limits().max_steps) {
            abandon("trace longer than " + std::to_string(limits().max_steps) +
                    " struct logs (limits.trace_max_steps): trace less gas, or use the limit "
                    "option or a call tracer");
            return;
        }
        // The entry's JSON size, estimated before it is built: a stack item is 66 hex digits
        // and its quotes, a memory word 64, a storage entry 2 x 64 and the keys.
        uint64_t size = 120;
        if (!config_.disable_stack) size += 69 * stack.size();
        if (config_.enable_memory) size += 67 * (memory.size() / 32);
        if (config_.enable_return_data) size += 2 * f.return_data.size() + 20;
        if (!config_.disable_storage && (opcode == OP_SLOAD || opcode == OP_SSTORE)) {
            const auto it = storage_.find(f.owner);
            size += 140 * ((it != storage_.end() ? it->second.size() : 0) + 1);
        }
        if (!charge(size)) return;
        output_bytes_ += size;

        json log = {{"pc", pc},
                    {"op", opcode_name(opcode)},
                    {"gas", static_cast<uint64_t>(std::max<int64_t>(gas_left, 0))},
                    {"gasCost", 0},
                    {"depth", depth + 1}};
        if (!config_.disable_stack) {
            json items = json::array();
            for (const uint256& v : stack)
                items.push_back(to_hex(v));
            log["stack"] = std::move(items);
        }
        if (config_.enable_memory) {
            json words = json::array();
            for (size_t at = 0; at + 32 <= memory.size(); at += 32)
                words.push_back(to_hex(memory.substr(at, 32), false));
            log["memory"] = std::move(words);
        }
        if (config_.enable_return_data && !f.return_data.empty())
            log["returnData"] = to_hex(f.return_data);
        if (!config_.disable_storage && (opcode == OP_SLOAD || opcode == OP_SSTORE) &&
            stack.size() >= (opcode == OP_SLOAD ? 1u : 2u)) {
            auto& slots = storage_[f.owner];
            const uint256 key = peek(stack, 0);
            const uint256 value =
                opcode == OP_SLOAD ? state_.get_storage(f.owner, key) : peek(stack, 1);
            slots[key.to_bytes32()] = value.to_bytes32();
            json snapshot = json::object();
            for (const auto& [k, v] : slots)
                snapshot[hex_word_bare(k)] = hex_word_bare(v);
            log["storage"] = std::move(snapshot);
        }
        f.last_log = logs_.size();
        logs_.push_back(std::move(log));
    }

    json result(const TraceTxOutcome& outcome) override {
        const bool failed = outcome.status != StatusCode::Success;
        std::string return_value = to_hex(outcome.output, false);
        if (failed && outcome.status != StatusCode::Revert) return_value.clear();
        return {{"gas", outcome.gas_used},
                {"failed", failed},
                {"returnValue", return_value},
                {"structLogs", std::move(logs_)}};
    }

private:
    static constexpr size_t kNone = SIZE_MAX;
    struct Frame {
        address owner;  // whose storage the code acts on
        int32_t depth = 0;
        size_t last_log = kNone;
        int64_t last_gas = 0;
        int64_t returned_gas = 0;  // gas that callees of the last instruction gave back
        uint8_t last_op = 0;
        size_t last_stack_height = 0;
        bytes return_data;
    };

    StructLoggerConfig config_;
    state::State& state_;
    std::vector<Frame> frames_;
    std::vector<int32_t> messages_;  // depths of the messages open in the host
    bool call_hooks_seen_ = false;
    std::vector<json> logs_;
    uint64_t output_bytes_ = 0;  // estimated JSON size of logs_
    std::map<address, std::map<bytes32, bytes32>> storage_;
};

// ---------------------------------------------------------------- callTracer

struct CallLog {
    address addr;
    std::vector<bytes32> topics;
    bytes data;
    size_t position = 0;
};

struct CallFrame {
    std::string type;
    address from;
    std::optional<address> to;
    std::optional<uint256> value;
    uint64_t gas = 0;
    uint64_t gas_used = 0;
    bytes input;
    bytes output;
    std::string error;
    std::string revert_reason;
    std::vector<size_t> calls;
    std::vector<CallLog> logs;
    // What the last instruction and the init code did, to word errors as geth does.
    uint8_t last_op = 0;
    size_t last_stack_height = 0;
    bool init_returned = false;
    size_t init_output_size = 0;
    bool init_output_starts_with_ef = false;
    std::optional<size_t> pending_selfdestruct;
};

class CallTracer final : public JsonTracer {
public:
    CallTracer(bool only_top_call, bool with_log, state::State& state)
        : only_top_call_(only_top_call), with_log_(with_log), state_(state) {}

    void on_tx_start(const TraceTxInfo& tx) override {
        CallFrame top;
        top.type = tx.to ? "CALL" : "CREATE";
        top.from = tx.from;
        top.to = tx.to ? *tx.to : create_address(tx.from, tx.nonce);
        top.value = tx.value;
        top.gas = tx.gas_limit;
        top.input = tx.input;
        frames_.push_back(std::move(top));
        open_.push_back(0);
    }

    void on_call_start(const evm::Message& msg) override {
        if (frames_.empty()) {
            // No on_tx_start: the first message is the top frame.
            TraceTxInfo info;
            info.from = msg.sender;
            if (msg.kind != CallKind::Create && msg.kind != CallKind::Create2)
                info.to = msg.recipient;
            info.value = msg.value;
            info.nonce = nonce_of(state_, msg.sender);
            info.input = bytes(msg.input);
            info.gas_limit = static_cast<uint64_t>(msg.gas);
            on_tx_start(info);
            top_started_ = true;
            return;
        }
        if (msg.depth == 0 && !top_started_) {
            top_started_ = true;
            return;
        }
        const size_t parent = open_.empty() ? 0 : open_.back();
        const uint8_t via = frames_[parent].last_op;
        CallFrame frame;
        frame.gas = static_cast<uint64_t>(std::max<int64_t>(msg.gas, 0));
        frame.input = bytes(msg.input);
        switch (msg.kind) {
            case CallKind::Call:
                frame.type = via == OP_STATICCALL ? "STATICCALL" : "CALL";
                frame.from = msg.sender;
                frame.to = msg.recipient;
                if (frame.type == "CALL") frame.value = msg.value;
                break;
            case CallKind::CallCode:
                frame.type = "CALLCODE";
                frame.from = msg.recipient;
                frame.to = msg.code_address;
                frame.value = msg.value;
                break;
            case CallKind::DelegateCall:
                frame.type = "DELEGATECALL";
                frame.from = msg.recipient;
                frame.to = msg.code_address;
                frame.value = msg.value;  // geth shows the value the frame inherits
                break;
            case CallKind::Create:
            case CallKind::Create2:
                frame.type = msg.kind == CallKind::Create ? "CREATE" : "CREATE2";
                frame.from = msg.sender;
                frame.value = msg.value;
                frame.to = msg.kind == CallKind::Create
                               ? create_address(msg.sender, nonce_of(state_, msg.sender))
                               : create2_address(msg.sender, msg.create2_salt, msg.input);
                break;
        }
        // A frame's JSON: its fields and its input; the output is counted when it ends.
        charge(250 + 2 * frame.input.size());
        const size_t index = frames_.size();
        frames_.push_back(std::move(frame));
        frames_[parent].calls.push_back(index);
        open_.push_back(index);
    }

    void on_call_end(const evm::Result& result) override {
        if (open_.size() <= 1) return;  // the top frame ends in result()
        const size_t index = open_.back();
        open_.pop_back();
        charge(2 * result.output.size());
        finish(frames_[index], result.status, result.output, result.gas_left,
               result.create_address);
    }

    void on_enter(const evm::Message& msg, bytes_view code) override {
        code_owners_.push_back(msg.recipient);
    }

    void on_exit(const evm::Result& result) override {
        if (!code_owners_.empty()) code_owners_.pop_back();
        if (open_.empty()) return;
        CallFrame& f = frames_[open_.back()];
        if (f.type == "CREATE" || f.type == "CREATE2") {
            f.init_returned = result.status == StatusCode::Success;
            f.init_output_size = result.output.size();
            f.init_output_starts_with_ef = !result.output.empty() && result.output[0] == 0xef;
        }
    }

    void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                 std::span<const uint256> stack, bytes_view memory) override {
        if (open_.empty()) return;
        const size_t current = open_.back();
        frames_[current].last_op = opcode;
        frames_[current].last_stack_height = stack.size();
        const address owner = code_owners_.empty() ? address{} : code_owners_.back();
        if (opcode >= OP_LOG0 && opcode <= OP_LOG4 && with_log_) {
            const size_t topics = opcode - OP_LOG0;
            if (stack.size() < 2 + topics) return;
            auto data = memory_slice(memory, peek(stack, 0), peek(stack, 1));
            if (!data) return;
            CallLog log{owner, {}, std::move(*data), frames_[current].calls.size()};
            for (size_t i = 0; i < topics; ++i)
                log.topics.push_back(peek(stack, 2 + i).to_bytes32());
            if (!charge(150 + 2 * log.data.size() + 70 * topics)) return;
            frames_[current].logs.push_back(std::move(log));
        } else if (opcode == OP_SELFDESTRUCT && !stack.empty()) {
            // SELFDESTRUCT sends no message through the host; geth reports it as a call.
            CallFrame frame;
            frame.type = "SELFDESTRUCT";
            frame.from = owner;
            frame.to = to_address(peek(stack, 0));
            const state::Account* acc = state_.find(owner);
            frame.value = acc != nullptr ? acc->balance : uint256{};
            if (!charge(250)) return;
            const size_t index = frames_.size();
            frames_.push_back(std::move(frame));
            frames_[current].calls.push_back(index);
            frames_[current].pending_selfdestruct = index;
        }
    }

    json result(const TraceTxOutcome& outcome) override {
        if (frames_.empty()) return json::object();
        CallFrame& top = frames_[0];
        finish(top, outcome.status, outcome.output, 0, top.to.value_or(address{}));
        top.gas_used = outcome.gas_used;
        if (with_log_) clear_failed_logs(0, false);
        return to_json(0, true);
    }

private:
    bool only_top_call_;
    bool with_log_;
    state::State& state_;
    std::vector<CallFrame> frames_;
    std::vector<size_t> open_;
    std::vector<address> code_owners_;
    bool top_started_ = false;

    void finish(CallFrame& f, StatusCode status, const bytes& output, int64_t gas_left,
                const address& created) {
        f.gas_used = f.gas - std::min<uint64_t>(
                                 f.gas, static_cast<uint64_t>(std::max<int64_t>(gas_left, 0)));
        const bool is_create = f.type == "CREATE" || f.type == "CREATE2";
        if (f.pending_selfdestruct && evm::is_exceptional(status)) {
            // The SELFDESTRUCT itself failed (gas, static context): geth never reports it.
            auto& siblings = f.calls;
            siblings.erase(std::remove(siblings.begin(), siblings.end(), *f.pending_selfdestruct),
                           siblings.end());
        }
        if (status == StatusCode::Success) {
            if (is_create) {
                if (created != address{}) f.to = created;
                const state::Account* acc = f.to ? state_.find(*f.to) : nullptr;
                f.output = acc != nullptr ? acc->code : bytes{};
            } else {
                f.output = output;
            }
            return;
        }
        f.error = error_text(f, status);
        if (is_create) f.to.reset();
        if (status != StatusCode::Revert || output.empty()) return;
        f.output = output;
        if (output.size() >= 4)
            if (auto reason = abi::revert_reason_text(output)) f.revert_reason = *reason;
    }

    static std::string error_text(const CallFrame& f, StatusCode status) {
        const bool is_create = f.type == "CREATE" || f.type == "CREATE2";
        if (is_create && status == StatusCode::ContractValidationFailure)
            return f.init_output_starts_with_ef ? "invalid code: must not begin with 0xef"
                                                : "max code size exceeded";
        if (is_create && status == StatusCode::OutOfGas && f.init_returned)
            return "contract creation code storage out of gas";
        return geth_error(status, f.last_op, f.last_stack_height);
    }

    void clear_failed_logs(size_t index, bool parent_failed) {
        CallFrame& f = frames_[index];
        const bool failed = parent_failed || !f.error.empty();
        if (failed) f.logs.clear();
        for (size_t child : f.calls)
            clear_failed_logs(child, failed);
    }

    json to_json(size_t index, bool top) const {
        const CallFrame& f = frames_[index];
        json j = {{"type", f.type},
                  {"from", to_hex(f.from)},
                  {"gas", hex_u64(f.gas)},
                  {"gasUsed", hex_u64(f.gas_used)},
                  {"input", to_hex(f.input)}};
        if (f.to) j["to"] = to_hex(*f.to);
        if (f.value) j["value"] = to_hex(*f.value);
        if (!f.output.empty()) j["output"] = to_hex(f.output);
        if (!f.error.empty()) j["error"] = f.error;
        if (!f.revert_reason.empty()) j["revertReason"] = f.revert_reason;
        if (!f.logs.empty()) {
            json logs = json::array();
            for (const CallLog& log : f.logs) {
                json topics = json::array();
                for (const bytes32& t : log.topics)
                    topics.push_back(to_hex(t));
                logs.push_back({{"address", to_hex(log.addr)},
                                {"topics", std::move(topics)},
                                {"data", to_hex(log.data)},
                                {"position", hex_u64(log.position)}});
            }
            j["logs"] = std::move(logs);
        }
        if (!(top && only_top_call_) && !f.calls.empty()) {
            json calls = json::array();
            for (size_t child : f.calls)
                calls.push_back(to_json(child, false));
            j["calls"] = std::move(calls);
        }
        return j;
    }
};

// ---------------------------------------------------------------- prestateTracer

struct AccountSnapshot {
    bool exists = false;
    uint256 balance;
    uint64_t nonce = 0;
    bytes code;
    std::map<bytes32, bytes32> storage;
};

class PrestateTracer final : public JsonTracer {
public:
    PrestateTracer(bool diff_mode, bool disable_code, bool disable_storage, state::State& state)
        : diff_mode_(diff_mode),
          disable_code_(disable_code),
          disable_storage_(disable_storage),
          state_(state) {}

    void on_tx_start(const TraceTxInfo& tx) override {
        lookup_account(tx.from);
        if (tx.to) {
            lookup_account(*tx.to);
        } else {
            const address created = create_address(tx.from, tx.nonce);
            lookup_account(created);
            created_.insert(created);
        }
        lookup_account(tx.coinbase);
    }

    void on_call_start(const evm::Message& msg) override {
        // Everything a message touches has been looked up by the instruction that sent it; this
        // covers a host that runs messages the tracer saw no instruction for.
        if (msg.kind == CallKind::Call) lookup_account(msg.recipient);
    }

    void on_enter(const evm::Message& msg, bytes_view code) override {
        code_owners_.push_back(msg.recipient);
    }
    void on_exit(const evm::Result& result) override {
        if (!code_owners_.empty()) code_owners_.pop_back();
    }

    void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                 std::span<const uint256> stack, bytes_view memory) override {
        if (code_owners_.empty() || stack.empty()) return;
        const address owner = code_owners_.back();
        switch (opcode) {
            case OP_SLOAD:
            case OP_SSTORE:
                lookup_storage(owner, peek(stack, 0));
                break;
            case OP_BALANCE:
            case OP_EXTCODESIZE:
            case OP_EXTCODECOPY:
            case OP_EXTCODEHASH:
            case OP_SELFDESTRUCT:
                lookup_account(to_address(peek(stack, 0)));
                break;
            case OP_CALL:
            case OP_CALLCODE:
            case OP_DELEGATECALL:
            case OP_STATICCALL:
                if (stack.size() >= 2) lookup_account(to_address(peek(stack, 1)));
                break;
            case OP_CREATE: {
                const address created = create_address(owner, nonce_of(state_, owner));
                lookup_account(created);
                created_.insert(created);
                break;
            }
            case OP_CREATE2: {
                if (stack.size() < 4) break;
                auto init = memory_slice(memory, peek(stack, 1), peek(stack, 2));
                if (!init) break;
                const address created = create2_address(owner, peek(stack, 3), *init);
                lookup_account(created);
                created_.insert(created);
                break;
            }
            default:
                break;
        }
    }

    json result(const TraceTxOutcome& outcome) override {
        if (!diff_mode_) {
            json out = json::object();
            for (const auto& [addr, acc] : pre_) {
                if (created_.contains(addr) && !acc.exists) continue;
                out[to_hex(addr)] = account_json(acc, true);
            }
            return out;
        }
        json pre = json::object();
        json post = json::object();
        for (auto& [addr, before] : pre_) {
            const AccountSnapshot after = snapshot(addr, before.storage);
            const bool deleted = before.exists && !after.exists;
            json changed = json::object();
            bool modified = false;
            std::map<bytes32, bytes32> pre_slots;
            if (!deleted) {
                if (after.balance != before.balance) {
                    modified = true;
                    changed["balance"] = to_hex(after.balance);
                }
                if (after.nonce != before.nonce) {
                    modified = true;
                    changed["nonce"] = after.nonce;
                }
                if (!disable_code_ && after.code != before.code) {
                    modified = true;
                    if (!after.code.empty()) changed["code"] = to_hex(after.code);
                }
                json slots = json::object();
                for (const auto& [key, value] : before.storage) {
                    const bytes32 now = after.storage.at(key);
                    if (now == value) continue;
                    modified = true;
                    if (!value.is_zero()) pre_slots[key] = value;
                    if (!now.is_zero()) slots[to_hex(key)] = to_hex(now);
                }
                if (!disable_storage_ && !slots.empty()) changed["storage"] = std::move(slots);
            } else {
                // A destroyed account keeps its whole pre-state and has no post.
                pre_slots = before.storage;
            }
            if (!modified && !deleted) continue;
            if (!deleted) post[to_hex(addr)] = std::move(changed);
            if (created_.contains(addr) && !before.exists) continue;
            AccountSnapshot trimmed = before;
            trimmed.storage = std::move(pre_slots);
            pre[to_hex(addr)] = account_json(trimmed, true);
        }
        return {{"pre", std::move(pre)}, {"post", std::move(post)}};
    }

private:
    bool diff_mode_;
    bool disable_code_;
    bool disable_storage_;
    state::State& state_;
    std::map<address, AccountSnapshot> pre_;
    std::set<address> created_;
    std::vector<address> code_owners_;

    // The account as the state has it now, with the given slots read.
    AccountSnapshot snapshot(const address& addr, const std::map<bytes32, bytes32>& slots) const {
        AccountSnapshot s;
        const state::State& st = state_;
        if (const state::Account* acc = st.find(addr)) {
            s.exists = true;
            s.balance = acc->balance;
            s.nonce = acc->nonce;
            s.code = acc->code;
        }
        for (const auto& [key, value] : slots)
            s.storage[key] = s.exists
                                 ? st.get_storage(addr, uint256::from_bytes32(key)).to_bytes32()
                                 : bytes32{};
        return s;
    }

    void lookup_account(const address& addr) {
        if (pre_.contains(addr)) return;
        auto it = pre_.emplace(addr, snapshot(addr, {})).first;
        // Twice, for the diff mode's post state.
        charge(2 * (150 + 2 * it->second.code.size()));
    }

    void lookup_storage(const address& addr, const uint256& key) {
        lookup_account(addr);
        AccountSnapshot& acc = pre_[addr];
        const bytes32 k = key.to_bytes32();
        if (acc.storage.contains(k)) return;
        const state::State& st = state_;
        acc.storage[k] = st.get_storage(addr, key).to_bytes32();
        charge(2 * 140);
    }

    json account_json(const AccountSnapshot& acc, bool with_balance) const {
        json j = json::object();
        if (with_balance) j["balance"] = to_hex(acc.balance);
        if (acc.nonce != 0) j["nonce"] = acc.nonce;
        if (!disable_code_ && !acc.code.empty()) j["code"] = to_hex(acc.code);
        if (!disable_storage_ && !acc.storage.empty()) {
            json slots = json::object();
            for (const auto& [key, value] : acc.storage)
                slots[to_hex(key)] = to_hex(value);
            j["storage"] = std::move(slots);
        }
        return j;
    }
};

// ---------------------------------------------------------------- 4byteTracer, noopTracer

class FourByteTracer final : public JsonTracer {
public:
    void on_tx_start(const TraceTxInfo& tx) override {
        rev_ = tx.rev;
        if (tx.to && !evm::is_precompile(*tx.to, rev_)) count(tx.input);
    }
    void on_call_start(const evm::Message& msg) override {
        if (msg.depth == 0) return;  // the transaction itself, counted at its start
        if (msg.kind == CallKind::Create || msg.kind == CallKind::Create2) return;
        if (evm::is_precompile(msg.code_address, rev_)) return;
        count(msg.input);
    }
    json result(const TraceTxOutcome&) override {
        json out = json::object();
        for (const auto& [key, n] : counts_)
            out[key] = n;
        return out;
    }

private:
    evm::Revision rev_ = evm::Revision::Cancun;
    std::map<std::string, uint64_t> counts_;
    void count(bytes_view input) {
        if (input.size() < 4) return;
        ++counts_[to_hex(input.substr(0, 4)) + "-" + std::to_string(input.size() - 4)];
    }
};

class NoopTracer final : public JsonTracer {
public:
    json result(const TraceTxOutcome&) override { return json::object(); }
};

}  // namespace

// ---------------------------------------------------------------- public

std::string opcode_name(uint8_t opcode) {
    const OpInfo& info = op_table()[opcode];
    if (info.name != nullptr) return info.name;
    char buf[32];
    std::snprintf(buf, sizeof buf, "opcode 0x%x not defined", opcode);
    return buf;
}

std::string geth_error(StatusCode status, uint8_t opcode, size_t stack_height) {
    const OpInfo& info = op_table()[opcode];
    switch (status) {
        case StatusCode::Success:
            return "";
        case StatusCode::Revert:
            return "execution reverted";
        case StatusCode::OutOfGas:
            return "out of gas";
        case StatusCode::InvalidInstruction:
        case StatusCode::UndefinedInstruction:
            return "invalid opcode: " + opcode_name(opcode);
        case StatusCode::StackOverflow:
            return "stack limit reached " + std::to_string(stack_height) + " (" +
                   std::to_string(1024 + info.pops - info.pushes) + ")";
        case StatusCode::StackUnderflow:
            return "stack underflow (" + std::to_string(stack_height) + " <=> " +
                   std::to_string(info.pops) + ")";
        case StatusCode::BadJumpDestination:
            return "invalid jump destination";
        case StatusCode::InvalidMemoryAccess:
            return "return data out of bounds";
        case StatusCode::StaticModeViolation:
            return "write protection";
        case StatusCode::PrecompileFailure:
            return "precompile failed";
        case StatusCode::ContractValidationFailure:
            return "max code size exceeded";
        case StatusCode::AddressCollision:
            return "contract address collision";
        case StatusCode::CallDepthExceeded:
            return "max call depth exceeded";
        case StatusCode::InsufficientBalance:
            return "insufficient balance for transfer";
        case StatusCode::NonceOverflow:
            return "nonce uint64 overflow";
    }
    return std::string(evm::status_name(status));
}

void AccessListTracer::on_tx_start(const TraceTxInfo& tx) {
    tx_ = tx;
    if (!tx_.to) {
        // The created contract is excluded like a call's recipient.
        tx_.to = create_address(tx.from, tx.nonce);
    }
}

void AccessListTracer::on_enter(const evm::Message& msg, bytes_view) {
    frames_.push_back(msg.recipient);
}

void AccessListTracer::on_exit(const evm::Result&) {
    if (!frames_.empty()) frames_.pop_back();
}

void AccessListTracer::on_step(uint32_t, uint8_t opcode, int64_t, int32_t,
                               std::span<const uint256> stack, bytes_view) {
    if (stack.empty() || frames_.empty()) return;
    switch (opcode) {
        case OP_SLOAD:
        case OP_SSTORE:
            touched_[frames_.back()].insert(peek(stack, 0).to_bytes32());
            break;
        case OP_BALANCE:
        case OP_EXTCODESIZE:
        case OP_EXTCODECOPY:
        case OP_EXTCODEHASH:
        case OP_SELFDESTRUCT: {
            const address a = to_address(peek(stack, 0));
            if (a != tx_.from && a != tx_.to && !evm::is_precompile(a, tx_.rev)) touched_[a];
            break;
        }
        case OP_CALL:
        case OP_CALLCODE:
        case OP_DELEGATECALL:
        case OP_STATICCALL: {
            if (stack.size() < 2) break;
            const address a = to_address(peek(stack, 1));
            if (a != tx_.from && a != tx_.to && !evm::is_precompile(a, tx_.rev)) touched_[a];
            break;
        }
        default:
            break;
    }
}

std::vector<AccessListTracer::Entry> AccessListTracer::access_list() const {
    std::vector<Entry> out;
    for (const auto& [addr, keys] : touched_)
        out.push_back({addr, std::vector<bytes32>(keys.begin(), keys.end())});
    return out;
}

json AccessListTracer::result(const TraceTxOutcome& outcome) {
    json list = json::array();
    for (const Entry& e : access_list()) {
        json keys = json::array();
        for (const bytes32& k : e.storage_keys)
            keys.push_back(to_hex(k));
        list.push_back({{"address", to_hex(e.addr)}, {"storageKeys", std::move(keys)}});
    }
    json out = {{"accessList", std::move(list)}, {"gasUsed", hex_u64(outcome.gas_used)}};
    if (outcome.status != StatusCode::Success) out["error"] = geth_error(outcome.status);
    return out;
}

std::expected<std::unique_ptr<JsonTracer>, std::string> make_tracer(const json& options,
                                                                    state::State& state,
                                                                    const TraceLimits& limits) {
    auto with_limits = [&](std::unique_ptr<JsonTracer> tracer) {
        tracer->set_limits(limits);
        return tracer;
    };
    if (!options.is_null() && !options.is_object())
        return std::unexpected(std::string("tracer options must be an object"));
    std::string name;
    if (options.is_object() && options.contains("tracer") && !options["tracer"].is_null()) {
        if (!options["tracer"].is_string())
            return std::unexpected(std::string("option tracer must be a string"));
        name = options["tracer"].get<std::string>();
    }
    json config = json::object();
    if (options.is_object() && options.contains("tracerConfig") &&
        !options["tracerConfig"].is_null()) {
        config = options["tracerConfig"];
        if (!config.is_object())
            return std::unexpected(std::string("option tracerConfig must be an object"));
    }

#define KRNL_BOOL_OPTION(var, object, key)                           \
    auto var##_option = bool_option(object, key);                    \
    if (!var##_option) return std::unexpected(var##_option.error()); \
    const bool var = *var##_option

    if (name.empty() || name == "structLogger") {
        StructLoggerConfig c;
        KRNL_BOOL_OPTION(disable_stack, options, "disableStack");
        KRNL_BOOL_OPTION(disable_storage, options, "disableStorage");
        KRNL_BOOL_OPTION(enable_memory, options, "enableMemory");
        KRNL_BOOL_OPTION(enable_return_data, options, "enableReturnData");
        c.disable_stack = disable_stack;
        c.disable_storage = disable_storage;
        c.enable_memory = enable_memory;
        c.enable_return_data = enable_return_data;
        if (options.is_object() && options.contains("limit") && !options["limit"].is_null()) {
            if (!options["limit"].is_number_integer() || options["limit"].get<int64_t>() < 0)
                return std::unexpected(std::string("option limit must be a non-negative integer"));
            c.limit = options["limit"].get<uint64_t>();
        }
        return with_limits(std::make_unique<StructLogger>(c, state));
    }
    if (name == "callTracer") {
        KRNL_BOOL_OPTION(only_top_call, config, "onlyTopCall");
        KRNL_BOOL_OPTION(with_log, config, "withLog");
        return with_limits(std::make_unique<CallTracer>(only_top_call, with_log, state));
    }
    if (name == "prestateTracer") {
        KRNL_BOOL_OPTION(diff_mode, config, "diffMode");
        KRNL_BOOL_OPTION(disable_code, config, "disableCode");
        KRNL_BOOL_OPTION(disable_storage, config, "disableStorage");
        return with_limits(
            std::make_unique<PrestateTracer>(diff_mode, disable_code, disable_storage, state));
    }
    if (name == "4byteTracer") return with_limits(std::make_unique<FourByteTracer>());
    if (name == "noopTracer") return with_limits(std::make_unique<NoopTracer>());
    if (name == "erc7562Tracer") {
        auto erc7562_config = Erc7562TracerConfig::parse(config);
        if (!erc7562_config) return std::unexpected(erc7562_config.error());
        return with_limits(std::make_unique<Erc7562Tracer>(state, *erc7562_config));
    }
#undef KRNL_BOOL_OPTION
    return std::unexpected("tracer \"" + name +
                           "\" is not supported (callTracer, prestateTracer, 4byteTracer, "
                           "erc7562Tracer, noopTracer, or none for the struct logger)");
}

}  // namespace krnl::rpc
