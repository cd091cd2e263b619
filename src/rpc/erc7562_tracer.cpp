#include "rpc/erc7562_tracer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "chain/host.hpp"
#include "common/abi.hpp"
#include "common/keccak.hpp"
#include "rpc/trace_steps.hpp"

namespace krnl::rpc {

namespace {

using evm::CallKind;
using evm::StatusCode;

constexpr uint8_t OP_ISZERO = 0x15, OP_KECCAK256 = 0x20, OP_EXTCODESIZE = 0x3b,
                  OP_EXTCODECOPY = 0x3c, OP_EXTCODEHASH = 0x3f, OP_SLOAD = 0x54, OP_SSTORE = 0x55,
                  OP_GAS = 0x5a, OP_TLOAD = 0x5c, OP_TSTORE = 0x5d, OP_PUSH0 = 0x5f,
                  OP_SWAP16 = 0x9f, OP_LOG0 = 0xa0, OP_LOG4 = 0xa4, OP_CREATE = 0xf0,
                  OP_CALL = 0xf1, OP_CALLCODE = 0xf2, OP_RETURN = 0xf3, OP_DELEGATECALL = 0xf4,
                  OP_CREATE2 = 0xf5, OP_STATICCALL = 0xfa, OP_REVERT = 0xfd, OP_SELFDESTRUCT = 0xff;

bool is_ext(uint8_t op) {
    return op == OP_EXTCODESIZE || op == OP_EXTCODECOPY || op == OP_EXTCODEHASH;
}

bool is_call(uint8_t op) {
    return op == OP_CALL || op == OP_CALLCODE || op == OP_DELEGATECALL || op == OP_STATICCALL;
}

std::string hex_u64(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

using trace_steps::memory_slice;
using trace_steps::peek;
using trace_steps::to_address;

bool is_delegation(bytes_view code) {
    return code.size() == 23 && code[0] == 0xef && code[1] == 0x01 && code[2] == 0x00;
}

}  // namespace

// ---------------------------------------------------------------- config

Erc7562TracerConfig::Erc7562TracerConfig() {
    for (unsigned op = OP_PUSH0; op <= OP_SWAP16; ++op)
        ignored_opcodes[op] = true;
    for (uint8_t op : {0x50, 0x01, 0x03, 0x02, 0x04, 0x14, 0x10, 0x11, 0x12, 0x13, 0x1b, 0x1c, 0x16,
                       0x17, 0x19, 0x15})  // POP ADD SUB MUL DIV EQ LT GT SLT SGT SHL SHR
                                           // AND OR NOT ISZERO
        ignored_opcodes[op] = true;
}

std::expected<Erc7562TracerConfig, std::string> Erc7562TracerConfig::parse(const json& config) {
    Erc7562TracerConfig c;
    if (config.is_null()) return c;
    if (!config.is_object()) return std::unexpected(std::string("tracerConfig must be an object"));
    if (config.contains("withLog") && !config["withLog"].is_null()) {
        if (!config["withLog"].is_boolean())
            return std::unexpected(std::string("option withLog must be a boolean"));
        c.with_log = config["withLog"].get<bool>();
    }
    if (config.contains("stackTopItemsSize") && !config["stackTopItemsSize"].is_null()) {
        const json& v = config["stackTopItemsSize"];
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1024)
            return std::unexpected(
                std::string("option stackTopItemsSize must be an integer from 0 to 1024"));
        if (v.get<int64_t>() != 0) c.stack_top_items_size = v.get<uint32_t>();
    }
    if (config.contains("ignoredOpcodes") && !config["ignoredOpcodes"].is_null()) {
        const json& list = config["ignoredOpcodes"];
        const std::string bad =
            "option ignoredOpcodes must be an array of opcodes as hex "
            "quantities (\"0x5a\") from 0x0 to 0xff";
        if (!list.is_array()) return std::unexpected(bad);
        c.ignored_opcodes.fill(false);
        for (const json& item : list) {
            uint64_t op = 0;
            if (item.is_number_unsigned()) {
                op = item.get<uint64_t>();
            } else if (item.is_string()) {
                const std::string s = item.get<std::string>();
                if (s.size() < 3 || s.size() > 4 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
                    return std::unexpected(bad);
                char* end = nullptr;
                op = std::strtoull(s.c_str() + 2, &end, 16);
                if (end != s.c_str() + s.size()) return std::unexpected(bad);
            } else {
                return std::unexpected(bad);
            }
            if (op > 0xff) return std::unexpected(bad);
            c.ignored_opcodes[op] = true;
        }
    }
    return c;
}

// ---------------------------------------------------------------- tracer

Erc7562Tracer::Erc7562Tracer(state::State& state, Erc7562TracerConfig config)
    : state_(state), config_(std::move(config)) {}

size_t Erc7562Tracer::add_node(Erc7562Frame frame) {
    charge(420 + 2 * frame.input.size());
    nodes_.push_back({std::move(frame), {}});
    return nodes_.size() - 1;
}

void Erc7562Tracer::on_tx_start(const TraceTxInfo& tx) {
    if (!nodes_.empty()) return;
    Erc7562Frame top;
    top.type = tx.to ? OP_CALL : OP_CREATE;
    top.from = tx.from;
    top.to = tx.to ? *tx.to : chain::create_address(tx.from, tx.nonce);
    top.storage_address = *top.to;
    top.value = tx.value;
    top.gas = tx.gas_limit;
    top.input = tx.input;
    open_.push_back({add_node(std::move(top))});
}

void Erc7562Tracer::on_call_start(const evm::Message& msg) {
    if (nodes_.empty()) {
        // No on_tx_start: the first message is the top frame.
        TraceTxInfo info;
        info.from = msg.sender;
        if (msg.kind != CallKind::Create && msg.kind != CallKind::Create2) info.to = msg.recipient;
        const state::Account* acc = state_.find(msg.sender);
        info.nonce = acc != nullptr ? acc->nonce : 0;
        info.value = msg.value;
        info.input = bytes(msg.input);
        info.gas_limit = static_cast<uint64_t>(std::max<int64_t>(msg.gas, 0));
        on_tx_start(info);
        top_started_ = true;
        return;
    }
    if (msg.depth == 0 && !top_started_) {
        top_started_ = true;
        return;
    }
    if (open_.empty()) return;
    const uint8_t via = open_.back().last_op;
    Erc7562Frame frame;
    frame.gas = static_cast<uint64_t>(std::max<int64_t>(msg.gas, 0));
    frame.input = bytes(msg.input);
    frame.storage_address = msg.recipient;
    switch (msg.kind) {
        case CallKind::Call:
            frame.type = via == OP_STATICCALL ? OP_STATICCALL : OP_CALL;
            frame.from = msg.sender;
            frame.to = msg.recipient;
            if (frame.type == OP_CALL) frame.value = msg.value;
            break;
        case CallKind::CallCode:
        case CallKind::DelegateCall:
            frame.type = msg.kind == CallKind::CallCode ? OP_CALLCODE : OP_DELEGATECALL;
            frame.from = msg.recipient;
            frame.to = msg.code_address;
            frame.value = msg.value;  // geth shows the value a DELEGATECALL inherits
            break;
        case CallKind::Create:
        case CallKind::Create2: {
            frame.type = msg.kind == CallKind::Create ? OP_CREATE : OP_CREATE2;
            frame.from = msg.sender;
            frame.value = msg.value;
            const state::Account* acc = state_.find(msg.sender);
            frame.to = msg.kind == CallKind::Create
                           ? chain::create_address(msg.sender, acc != nullptr ? acc->nonce : 0)
                           : chain::create2_address(msg.sender, msg.create2_salt, msg.input);
            frame.storage_address = *frame.to;
            break;
        }
    }
    const size_t index = add_node(std::move(frame));
    nodes_[open_.back().node].children.push_back(index);
    open_.push_back({index});
}

void Erc7562Tracer::on_call_end(const evm::Result& result) {
    if (open_.size() <= 1) return;  // the top frame ends in finish()
    const Open open = open_.back();
    open_.pop_back();
    Erc7562Frame& f = nodes_[open.node].frame;
    f.gas_used = f.gas - std::min<uint64_t>(
                             f.gas, static_cast<uint64_t>(std::max<int64_t>(result.gas_left, 0)));
    f.out_of_gas = result.status == StatusCode::OutOfGas;
    charge(2 * result.output.size());
    complete(f, open, result.status, result.output, result.create_address);
}

void Erc7562Tracer::on_enter(const evm::Message&, bytes_view) {}

void Erc7562Tracer::on_exit(const evm::Result& result) {
    if (open_.empty()) return;
    Open& open = open_.back();
    const uint8_t type = nodes_[open.node].frame.type;
    if (type == OP_CREATE || type == OP_CREATE2) {
        open.init_returned = result.status == StatusCode::Success;
        open.init_output_starts_with_ef = !result.output.empty() && result.output[0] == 0xef;
    }
}

void Erc7562Tracer::complete(Erc7562Frame& f, const Open& open, StatusCode status,
                             const bytes& output, const address& created) {
    const bool is_create = f.type == OP_CREATE || f.type == OP_CREATE2;
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
    f.reverted = true;
    if (is_create && status == StatusCode::ContractValidationFailure)
        f.error = open.init_output_starts_with_ef ? "invalid code: must not begin with 0xef"
                                                  : "max code size exceeded";
    else if (is_create && status == StatusCode::OutOfGas && open.init_returned)
        f.error = "contract creation code storage out of gas";
    else
        f.error = geth_error(status, open.last_op, open.last_stack);
    if (status != StatusCode::Revert || output.empty()) return;
    f.output = output;
    if (output.size() >= 4)
        if (auto reason = abi::revert_reason_text(output)) f.revert_reason = *reason;
}

void Erc7562Tracer::record_code_access(Erc7562Frame& frame, const address& addr, uint8_t opcode) {
    if (frame.contract_size.contains(addr)) return;
    if (!charge(90)) return;
    Erc7562CodeAccess access;
    access.opcode = opcode;
    access.code_hash = kEmptyKeccak;
    if (const state::Account* acc = state_.find(addr)) {
        access.contract_size = acc->code.size();
        access.code_hash = acc->code_hash;
        access.delegated = is_delegation(acc->code);
    }
    frame.contract_size.emplace(addr, access);
}

void Erc7562Tracer::on_step(uint32_t, uint8_t opcode, int64_t, int32_t,
                            std::span<const uint256> stack, bytes_view memory) {
    if (open_.empty() || abandoned()) return;
    Open& open = open_.back();
    open.last_op = opcode;
    open.last_stack = stack.size();
    Erc7562Frame& f = nodes_[open.node].frame;

    if (opcode == OP_REVERT || opcode == OP_RETURN) last_op_.reset();
    if (last_op_ && is_ext(*last_op_) && !(*last_op_ == OP_EXTCODESIZE && opcode == OP_ISZERO) &&
        charge(45))
        f.ext_code_access.push_back(last_ext_target_);
    if ((is_ext(opcode) || is_call(opcode)) && stack.size() >= (is_ext(opcode) ? 1u : 2u))
        record_code_access(f, to_address(peek(stack, is_ext(opcode) ? 0 : 1)), opcode);
    if ((opcode == OP_CALL || opcode == OP_CALLCODE) && stack.size() >= 3 && peek(stack, 2) &&
        charge(60))
        f.value_calls.emplace_back(to_address(peek(stack, 1)), peek(stack, 2));
    // [OP-012] GAS counts as used unless a *CALL takes its value straight off the stack.
    auto& counts = nodes_[open.node].opcode_counts;
    if (last_op_ && *last_op_ == OP_GAS && !is_call(opcode) && ++counts[OP_GAS] == 1) charge(12);
    if (opcode != OP_GAS && !config_.ignored_opcodes[opcode] && ++counts[opcode] == 1) charge(12);

    if ((opcode == OP_SLOAD || opcode == OP_SSTORE || opcode == OP_TLOAD || opcode == OP_TSTORE) &&
        !stack.empty()) {
        const uint256 key = peek(stack, 0);
        const bytes32 slot = key.to_bytes32();
        if (opcode == OP_SLOAD) {
            if (!f.reads.contains(slot) && !f.writes.contains(slot) && charge(140))
                f.reads.emplace(slot, state_.get_storage(f.storage_address, key).to_bytes32());
        } else {
            auto& slot_counts = opcode == OP_SSTORE  ? f.writes
                                : opcode == OP_TLOAD ? f.transient_reads
                                                     : f.transient_writes;
            if (++slot_counts[slot] == 1) charge(75);
        }
    } else if (opcode == OP_KECCAK256 && stack.size() >= 2) {
        if (auto preimage = memory_slice(memory, peek(stack, 0), peek(stack, 1))) {
            if (!keccak_.contains(*preimage) && charge(2 * preimage->size() + 4))
                keccak_.insert(std::move(*preimage));
        }
    } else if (opcode >= OP_LOG0 && opcode <= OP_LOG4 && config_.with_log) {
        const size_t topics = opcode - OP_LOG0;
        if (stack.size() < 2 + topics) return;
        auto data = memory_slice(memory, peek(stack, 0), peek(stack, 1));
        if (!data) return;
        Erc7562Log log{
            f.storage_address, {}, std::move(*data), 0, nodes_[open.node].children.size()};
        for (size_t i = 0; i < topics; ++i)
            log.topics.push_back(peek(stack, 2 + i).to_bytes32());
        if (!charge(170 + 2 * log.data.size() + 70 * topics)) return;
        log.index = log_count_++;
        f.logs.push_back(std::move(log));
    } else if (opcode == OP_SELFDESTRUCT && !stack.empty()) {
        // SELFDESTRUCT sends no message through the host; geth reports it as a frame.
        Erc7562Frame frame;
        frame.type = OP_SELFDESTRUCT;
        frame.from = f.storage_address;
        frame.to = to_address(peek(stack, 0));
        frame.storage_address = *frame.to;
        const state::Account* acc = state_.find(f.storage_address);
        frame.value = acc != nullptr ? acc->balance : uint256{};
        const size_t parent = open.node;
        const size_t index = add_node(std::move(frame));
        nodes_[parent].children.push_back(index);
    }

    last_op_ = opcode;
    if (is_ext(opcode)) last_ext_target_ = to_address(peek(stack, 0));
}

Erc7562Frame Erc7562Tracer::build(size_t node) {
    Erc7562Frame f = std::move(nodes_[node].frame);
    const auto& counts = nodes_[node].opcode_counts;
    for (size_t op = 0; op < counts.size(); ++op)
        if (counts[op] != 0) f.used_opcodes.emplace(static_cast<uint8_t>(op), counts[op]);
    f.calls.reserve(nodes_[node].children.size());
    for (size_t child : nodes_[node].children)
        f.calls.push_back(build(child));
    return f;
}

namespace {

// Logs of a frame that failed, or whose caller failed, never happened.
void clear_failed_logs(Erc7562Frame& f, bool parent_failed) {
    const bool failed = parent_failed || (!f.error.empty() && f.reverted);
    if (failed) f.logs.clear();
    for (Erc7562Frame& child : f.calls)
        clear_failed_logs(child, failed);
}

}  // namespace

void Erc7562Tracer::finish(const TraceTxOutcome& outcome) {
    if (finished_ || nodes_.empty()) return;
    finished_ = true;
    Open top = open_.empty() ? Open{0} : open_.front();
    Erc7562Frame& f = nodes_[0].frame;
    f.gas_used = outcome.gas_used;
    complete(f, top, outcome.status, outcome.output, f.to.value_or(address{}));
    open_.clear();
    root_ = build(0);
    nodes_.clear();
    root_.keccak.assign(keccak_.begin(), keccak_.end());
    if (config_.with_log) clear_failed_logs(root_, false);
}

json Erc7562Tracer::result(const TraceTxOutcome& outcome) {
    finish(outcome);
    if (!finished_) return json::object();
    return erc7562_frame_json(root_);
}

json erc7562_frame_json(const Erc7562Frame& f) {
    json reads = json::object(), writes = json::object(), treads = json::object(),
         twrites = json::object();
    for (const auto& [slot, value] : f.reads)
        reads[to_hex(slot)] = json::array({to_hex(value)});
    for (const auto& [slot, n] : f.writes)
        writes[to_hex(slot)] = n;
    for (const auto& [slot, n] : f.transient_reads)
        treads[to_hex(slot)] = n;
    for (const auto& [slot, n] : f.transient_writes)
        twrites[to_hex(slot)] = n;
    json ext = json::array();
    for (const address& a : f.ext_code_access)
        ext.push_back(to_hex(a));
    json sizes = json::object();
    for (const auto& [a, access] : f.contract_size)
        sizes[to_hex(a)] = {{"contractSize", access.contract_size}, {"opcode", access.opcode}};
    json opcodes = json::object();
    for (const auto& [op, n] : f.used_opcodes)
        opcodes[hex_u64(op)] = n;

    json j = {{"type", opcode_name(f.type)},
              {"from", to_hex(f.from)},
              {"gas", hex_u64(f.gas)},
              {"gasUsed", hex_u64(f.gas_used)},
              {"input", to_hex(f.input)},
              {"accessedSlots",
               {{"reads", std::move(reads)},
                {"writes", std::move(writes)},
                {"transientReads", std::move(treads)},
                {"transientWrites", std::move(twrites)}}},
              {"extCodeAccessInfo", std::move(ext)},
              {"usedOpcodes", std::move(opcodes)},
              {"contractSize", std::move(sizes)},
              {"outOfGas", f.out_of_gas}};
    const bool failed_create = (f.type == OP_CREATE || f.type == OP_CREATE2) && f.reverted;
    if (f.to && !failed_create) j["to"] = to_hex(*f.to);
    if (!f.output.empty()) j["output"] = to_hex(f.output);
    if (!f.error.empty()) j["error"] = f.error;
    if (!f.revert_reason.empty()) j["revertReason"] = f.revert_reason;
    if (f.value) j["value"] = to_hex(*f.value);
    if (!f.logs.empty()) {
        json logs = json::array();
        for (const Erc7562Log& log : f.logs) {
            json topics = json::array();
            for (const bytes32& t : log.topics)
                topics.push_back(to_hex(t));
            logs.push_back({{"address", to_hex(log.addr)},
                            {"topics", std::move(topics)},
                            {"data", to_hex(log.data)},
                            {"index", hex_u64(log.index)},
                            {"position", hex_u64(log.position)}});
        }
        j["logs"] = std::move(logs);
    }
    if (!f.keccak.empty()) {
        json keccak = json::array();
        for (const bytes& preimage : f.keccak)
            keccak.push_back(to_hex(preimage));
        j["keccak"] = std::move(keccak);
    }
    if (!f.calls.empty()) {
        json calls = json::array();
        for (const Erc7562Frame& child : f.calls)
            calls.push_back(erc7562_frame_json(child));
        j["calls"] = std::move(calls);
    }
    return j;
}

}  // namespace krnl::rpc
