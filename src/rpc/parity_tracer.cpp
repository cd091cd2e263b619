#include "rpc/parity_tracer.hpp"

#include <algorithm>

#include "evm/precompiles.hpp"
#include "rpc/params.hpp"

namespace krnl::rpc {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string quantity_hex(uint64_t v) {
    return to_hex(uint256(v));
}

// The frame's field, or `fallback` when absent.
json field_or(const json& frame, const char* name, json fallback) {
    auto it = frame.find(name);
    return it == frame.end() || it->is_null() ? fallback : *it;
}

bool is_precompile_call(const json& frame, evm::Revision rev) {
    const std::string type = frame.value("type", "");
    if (type == "CREATE" || type == "CREATE2" || type == "SELFDESTRUCT") return false;
    if (frame.contains("calls")) return false;
    auto to = frame.find("to");
    if (to == frame.end()) return false;
    auto addr = parse_address(*to);
    return addr && evm::is_precompile(*addr, rev);
}

void flatten(const json& frame, evm::Revision rev, std::vector<size_t>& path, json& out,
             std::optional<uint64_t> top_gas, std::optional<uint64_t> top_gas_used) {
    const std::string type = frame.value("type", "CALL");
    std::vector<const json*> children;
    if (auto calls = frame.find("calls"); calls != frame.end() && calls->is_array())
        for (const json& c : *calls)
            if (!is_precompile_call(c, rev)) children.push_back(&c);

    const bool top = path.empty();
    const std::string gas =
        top && top_gas ? quantity_hex(*top_gas) : field_or(frame, "gas", "0x0").get<std::string>();
    const std::string gas_used = top && top_gas_used
                                     ? quantity_hex(*top_gas_used)
                                     : field_or(frame, "gasUsed", "0x0").get<std::string>();
    const std::string error = frame.value("error", "");
    const bool reverted = error == "execution reverted";

    json trace = json::object();
    json result = nullptr;
    if (type == "SELFDESTRUCT") {
        trace["type"] = "suicide";
        trace["action"] = {{"address", frame.value("from", "")},
                           {"refundAddress", field_or(frame, "to", to_hex(address{}))},
                           {"balance", field_or(frame, "value", "0x0")}};
    } else if (type == "CREATE" || type == "CREATE2") {
        trace["type"] = "create";
        trace["action"] = {{"from", frame.value("from", "")},
                           {"gas", gas},
                           {"init", field_or(frame, "input", "0x")},
                           {"value", field_or(frame, "value", "0x0")},
                           {"creationMethod", lower(type)}};
        if ((error.empty() || reverted) && frame.contains("to"))
            result = {{"address", frame["to"]},
                      {"code", field_or(frame, "output", "0x")},
                      {"gasUsed", gas_used}};
    } else {
        trace["type"] = "call";
        trace["action"] = {{"callType", lower(type)},
                           {"from", frame.value("from", "")},
                           {"to", field_or(frame, "to", to_hex(address{}))},
                           {"gas", gas},
                           {"input", field_or(frame, "input", "0x")},
                           {"value", field_or(frame, "value", "0x0")}};
        if (error.empty() || reverted)
            result = {{"gasUsed", gas_used}, {"output", field_or(frame, "output", "0x")}};
    }
    trace["result"] = std::move(result);
    if (!error.empty()) trace["error"] = parity_error(error);
    trace["subtraces"] = children.size();
    trace["traceAddress"] = path;
    out.push_back(std::move(trace));
    for (size_t i = 0; i < children.size(); ++i) {
        path.push_back(i);
        flatten(*children[i], rev, path, out, top_gas, top_gas_used);
        path.pop_back();
    }
}

json delta(const json& from, const json& to) {
    if (from == to) return "=";
    return {{"*", {{"from", from}, {"to", to}}}};
}

}  // namespace

std::expected<ParityTraceTypes, std::string> parse_parity_trace_types(const json& v) {
    if (!v.is_array()) return std::unexpected("expected a list of trace types");
    ParityTraceTypes types;
    for (const json& t : v) {
        if (!t.is_string()) return std::unexpected("trace types are strings");
        const std::string name = t.get<std::string>();
        if (name == "trace") {
            types.trace = true;
        } else if (name == "stateDiff") {
            types.state_diff = true;
        } else if (name == "vmTrace") {
            return std::unexpected("trace type vmTrace is not supported (trace, stateDiff)");
        } else {
            return std::unexpected("unknown trace type \"" + name + "\" (trace, stateDiff)");
        }
    }
    return types;
}

std::string parity_error(const std::string& e) {
    if (e == "execution reverted") return "Reverted";
    if (e == "out of gas" || e == "contract creation code storage out of gas" ||
        e == "gas uint64 overflow" || e == "max code size exceeded")
        return "Out of gas";
    if (e == "invalid jump destination") return "Bad jump destination";
    if (e == "return data out of bounds") return "Out of bounds";
    if (e.starts_with("stack limit reached")) return "Out of stack";
    if (e == "precompiled failed" || e == "invalid input length") return "Built-in failed";
    if (e.starts_with("invalid opcode") || e.starts_with("opcode ")) return "Bad instruction";
    if (e.starts_with("stack underflow")) return "Stack underflow";
    if (e == "write protection") return "Mutable Call In Static Context";
    if (e == "max call depth exceeded") return "Call stack too deep";
    return e;
}

json parity_traces(const json& call_frame, evm::Revision rev, std::optional<uint64_t> top_gas,
                   std::optional<uint64_t> top_gas_used) {
    json out = json::array();
    if (!call_frame.is_object() || call_frame.empty()) return out;
    std::vector<size_t> path;
    flatten(call_frame, rev, path, out, top_gas, top_gas_used);
    return out;
}

json parity_state_diff(const json& prestate_diff) {
    const json empty = json::object();
    const json& pre = prestate_diff.contains("pre") ? prestate_diff["pre"] : empty;
    const json& post = prestate_diff.contains("post") ? prestate_diff["post"] : empty;
    auto nonce_hex = [](const json& account) {
        return quantity_hex(account.value("nonce", uint64_t{0}));
    };
    auto storage_of = [&](const json& account) {
        return account.contains("storage") ? account["storage"] : empty;
    };
    const std::string zero_word = to_hex(bytes32{});
    json out = json::object();
    auto one_sided = [&](const json& account, const char* sign) {
        json storage = json::object();
        const json slots = storage_of(account);
        for (const auto& [slot, value] : slots.items())
            storage[slot] = json{{sign, value}};
        return json{{"balance", {{sign, account.value("balance", "0x0")}}},
                    {"nonce", {{sign, nonce_hex(account)}}},
                    {"code", {{sign, account.value("code", "0x")}}},
                    {"storage", std::move(storage)}};
    };
    for (const auto& [addr, after] : post.items()) {
        if (!pre.contains(addr)) {
            out[addr] = one_sided(after, "+");  // created by the transaction
            continue;
        }
        const json& before = pre[addr];
        json storage = json::object();
        const json before_slots = storage_of(before), after_slots = storage_of(after);
        for (const auto& [slot, value] : before_slots.items())
            if (json(after_slots.value(slot, zero_word)) != value)
                storage[slot] = delta(value, after_slots.value(slot, zero_word));
        for (const auto& [slot, value] : after_slots.items())
            if (!before_slots.contains(slot)) storage[slot] = delta(zero_word, value);
        out[addr] = {
            {"balance", delta(before.value("balance", "0x0"),
                              after.value("balance", before.value("balance", "0x0")))},
            {"nonce",
             after.contains("nonce") ? delta(nonce_hex(before), nonce_hex(after)) : json("=")},
            {"code",
             after.contains("code") ? delta(before.value("code", "0x"), after["code"]) : json("=")},
            {"storage", std::move(storage)}};
    }
    for (const auto& [addr, before] : pre.items())
        if (!post.contains(addr)) out[addr] = one_sided(before, "-");  // destroyed
    return out;
}

void localize_trace(json& trace, const hash256& block_hash, uint64_t block_number,
                    const hash256& tx_hash, uint64_t tx_position) {
    trace["blockHash"] = to_hex(block_hash);
    trace["blockNumber"] = block_number;
    trace["transactionHash"] = to_hex(tx_hash);
    trace["transactionPosition"] = tx_position;
}

// ---------------------------------------------------------------- ParityTracer

std::expected<std::unique_ptr<ParityTracer>, std::string> ParityTracer::make(
    ParityTraceTypes types, state::State& state, const TraceLimits& limits, evm::Revision rev) {
    auto tracer = std::make_unique<ParityTracer>();
    tracer->types_ = types;
    tracer->rev_ = rev;
    auto calls = make_tracer({{"tracer", "callTracer"}}, state, limits);
    if (!calls) return std::unexpected(calls.error());
    tracer->calls_ = std::move(*calls);
    if (types.state_diff) {
        auto diff = make_tracer(
            {{"tracer", "prestateTracer"}, {"tracerConfig", {{"diffMode", true}}}}, state, limits);
        if (!diff) return std::unexpected(diff.error());
        tracer->diff_ = std::move(*diff);
    }
    return tracer;
}

void ParityTracer::on_tx_start(const TraceTxInfo& tx) {
    calls_->on_tx_start(tx);
    if (diff_) diff_->on_tx_start(tx);
}
void ParityTracer::on_enter(const evm::Message& msg, bytes_view code) {
    calls_->on_enter(msg, code);
    if (diff_) diff_->on_enter(msg, code);
}
void ParityTracer::on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                           std::span<const uint256> stack, bytes_view memory) {
    calls_->on_step(pc, opcode, gas_left, depth, stack, memory);
    if (diff_) diff_->on_step(pc, opcode, gas_left, depth, stack, memory);
}
void ParityTracer::on_exit(const evm::Result& result) {
    calls_->on_exit(result);
    if (diff_) diff_->on_exit(result);
}
void ParityTracer::on_call_start(const evm::Message& msg) {
    // The top message's gas is what the transaction had left after its intrinsic gas.
    if (depth_++ == 0 && !top_gas_) top_gas_ = static_cast<uint64_t>(std::max<int64_t>(msg.gas, 0));
    calls_->on_call_start(msg);
    if (diff_) diff_->on_call_start(msg);
}
void ParityTracer::on_call_end(const evm::Result& result) {
    if (--depth_ == 0) top_gas_left_ = static_cast<uint64_t>(std::max<int64_t>(result.gas_left, 0));
    calls_->on_call_end(result);
    if (diff_) diff_->on_call_end(result);
}

json ParityTracer::result(const TraceTxOutcome& outcome) {
    call_frame_ = calls_->result(outcome);
    const json& frame = call_frame_;
    json out = json::object();
    out["output"] = frame.value("output", "0x");
    std::optional<uint64_t> used;
    if (top_gas_ && top_gas_left_) used = *top_gas_ - std::min(*top_gas_, *top_gas_left_);
    out["trace"] = types_.trace ? parity_traces(frame, rev_, top_gas_, used) : json::array();
    out["stateDiff"] = diff_ ? parity_state_diff(diff_->result(outcome)) : json(nullptr);
    out["vmTrace"] = nullptr;
    return out;
}

std::optional<std::string> ParityTracer::parity_failure() const {
    if (calls_->failure()) return calls_->failure();
    if (diff_ && diff_->failure()) return diff_->failure();
    return std::nullopt;
}

uint64_t ParityTracer::bytes_used() const {
    return calls_->bytes_counted() + (diff_ ? diff_->bytes_counted() : 0);
}

}  // namespace krnl::rpc
