#include "engine/runners.hpp"

#include <algorithm>

#include "chain/host.hpp"
#include "engine/abi_json.hpp"
#include "state/state.hpp"

namespace krnl::engine {

namespace {

using Error = std::unexpected<std::string>;
using Clock = std::chrono::steady_clock;

bool is_list_kind(const abi::Type& t) {
    return t.kind == abi::Type::Kind::Array || t.kind == abi::Type::Kind::FixedArray ||
           t.kind == abi::Type::Kind::Tuple;
}

std::expected<abi::Value, std::string> to_typed(const abi::Type& type, const InputValue& input) {
    if (const json* literal = std::get_if<json>(&input)) return json_to_abi(type, *literal);
    const TypedValue& tv = std::get<TypedValue>(input);
    if (tv.type == type) return tv.value;
    const bool kinds_match =
        tv.type.kind == type.kind ||
        (tv.type.kind == abi::Type::Kind::FixedBytes && type.kind == abi::Type::Kind::Bytes) ||
        (tv.type.kind == abi::Type::Kind::Bytes && type.kind == abi::Type::Kind::FixedBytes);
    if (kinds_match && abi::encode(type, tv.value)) return tv.value;
    return Error("a " + tv.type.canonical() + " value cannot be used as " + type.canonical());
}

std::string input_text(const InputValue& input) {
    if (const json* literal = std::get_if<json>(&input))
        return literal->is_string() ? literal->get<std::string>() : literal->dump();
    const TypedValue& tv = std::get<TypedValue>(input);
    return abi_to_text(tv.type, tv.value);
}

json input_json(const InputValue& input) {
    if (const json* literal = std::get_if<json>(&input)) return *literal;
    const TypedValue& tv = std::get<TypedValue>(input);
    return abi_to_json(tv.type, tv.value);
}

std::string percent_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::expected<abi::ValueList, std::string> resolve_args(const std::vector<abi::Type>& types,
                                                        const std::vector<json>& args,
                                                        const KernelContext& ctx) {
    abi::ValueList values;
    for (size_t i = 0; i < types.size() && i < args.size(); ++i) {
        auto v = resolve_arg(types[i], args[i], ctx);
        if (!v) return Error("args[" + std::to_string(i) + "]: " + v.error());
        values.push_back(std::move(*v));
    }
    return values;
}

std::string tuple_text(const std::vector<abi::Type>& types) {
    std::string s = "(";
    for (size_t i = 0; i < types.size(); ++i)
        s += (i ? "," : "") + types[i].canonical();
    return s + ")";
}

std::expected<abi::ValueList, std::string> decode_outputs(const std::vector<abi::Type>& types,
                                                          bytes_view data) {
    auto values = abi::decode(types, data);
    if (!values)
        return Error("cannot decode the result as " + tuple_text(types) + ": " + values.error());
    return std::move(*values);
}

}  // namespace

std::string describe_revert(bytes_view revert_data) {
    if (auto text = abi::revert_reason_text(revert_data)) return *text;
    if (revert_data.size() >= 4) return "custom error " + to_hex(revert_data.substr(0, 4));
    return "no reason";
}

std::expected<InputValue, std::string> resolve_reference(const Reference& ref,
                                                         const KernelContext& ctx) {
    const abi::Type address_type{abi::Type::Kind::Address, 160, {}};
    switch (ref.kind) {
        case Reference::Kind::Sender:
            return TypedValue{address_type, abi::Value(ctx.sender)};
        case Reference::Kind::App:
            return TypedValue{address_type, abi::Value(ctx.app)};
        case Reference::Kind::Arg:
            if (ref.index >= ctx.args.size())
                return Error(ref.text() + ": the call has " + std::to_string(ctx.args.size()) +
                             " arguments");
            return ctx.args[ref.index];
        case Reference::Kind::Input:
            if (ref.index >= ctx.inputs.size())
                return Error(ref.text() + ": the request gives " +
                             std::to_string(ctx.inputs.size()) + " inputs for this kernel");
            return ctx.inputs[ref.index];
        case Reference::Kind::KernelOutput:
            return Error(ref.text() + ": kernel outputs can only be request inputs");
    }
    return Error("unknown reference");
}

std::expected<abi::Value, std::string> resolve_arg(const abi::Type& type, const json& arg,
                                                   const KernelContext& ctx) {
    if (arg.is_string() && is_reference_text(arg.get_ref<const std::string&>())) {
        auto ref = parse_reference(arg.get_ref<const std::string&>());
        if (!ref) return Error(ref.error());
        auto value = resolve_reference(*ref, ctx);
        if (!value) return Error(value.error());
        auto typed = to_typed(type, *value);
        if (!typed) return Error(ref->text() + ": " + typed.error());
        return typed;
    }
    if (arg.is_array() && is_list_kind(type)) {
        const bool tuple = type.kind == abi::Type::Kind::Tuple;
        const size_t need = tuple                                      ? type.components.size()
                            : type.kind == abi::Type::Kind::FixedArray ? type.size
                                                                       : arg.size();
        if (arg.size() != need)
            return Error(type.canonical() + " needs " + std::to_string(need) + " elements, not " +
                         std::to_string(arg.size()));
        abi::ValueList list;
        for (size_t i = 0; i < arg.size(); ++i) {
            auto v = resolve_arg(tuple ? type.components[i] : type.components[0], arg[i], ctx);
            if (!v) return Error("[" + std::to_string(i) + "]: " + v.error());
            list.push_back(std::move(*v));
        }
        return abi::Value(std::move(list));
    }
    if (arg.is_string() && arg.get_ref<const std::string&>().starts_with("$$"))
        return json_to_abi(type, json(arg.get<std::string>().substr(1)));
    return json_to_abi(type, arg);
}

std::expected<std::string, std::string> interpolate(std::string_view text, const KernelContext& ctx,
                                                    bool url_encode) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            out += text.substr(pos);
            break;
        }
        out += text.substr(pos, open - pos);
        const size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) return Error("unterminated \"{{\"");
        auto ref = parse_reference(text.substr(open + 2, close - open - 2));
        if (!ref) return Error(ref.error());
        auto value = resolve_reference(*ref, ctx);
        if (!value) return Error(value.error());
        const std::string piece = input_text(*value);
        if (url_encode) {
            out += percent_encode(piece);
        } else {
            for (unsigned char c : piece)
                if (c < 0x20 || c == 0x7f)
                    return Error(ref->text() + ": the value has a control character");
            out += piece;
        }
        pos = close + 2;
    }
    return out;
}

std::expected<json, std::string> resolve_body(const json& body, const KernelContext& ctx) {
    if (body.is_string()) {
        const auto& s = body.get_ref<const std::string&>();
        if (is_reference_text(s)) {
            auto ref = parse_reference(s);
            if (!ref) return Error(ref.error());
            auto value = resolve_reference(*ref, ctx);
            if (!value) return Error(value.error());
            return input_json(*value);
        }
        if (s.starts_with("$$")) return json(s.substr(1));
        auto text = interpolate(s, ctx, false);
        if (!text) return Error(text.error());
        return json(*text);
    }
    if (body.is_array()) {
        json out = json::array();
        for (const json& e : body) {
            auto v = resolve_body(e, ctx);
            if (!v) return v;
            out.push_back(std::move(*v));
        }
        return out;
    }
    if (body.is_object()) {
        json out = json::object();
        for (const auto& [key, value] : body.items()) {
            auto v = resolve_body(value, ctx);
            if (!v) return Error(key + ": " + v.error());
            out[key] = std::move(*v);
        }
        return out;
    }
    return body;
}

const json* find_json_path(const json& document, const JsonPath& path, std::string* pointer) {
    const json* at = &document;
    std::string p;
    for (const JsonPath::Step& step : path.steps) {
        if (const std::string* name = std::get_if<std::string>(&step.key)) {
            if (!at->is_object()) return nullptr;
            auto it = at->find(*name);
            if (it == at->end()) return nullptr;
            at = &*it;
            std::string escaped;
            for (char c : *name)
                escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
            p += "/" + escaped;
        } else {
            const size_t index = std::get<size_t>(step.key);
            if (!at->is_array() || index >= at->size()) return nullptr;
            at = &(*at)[index];
            p += "/" + std::to_string(index);
        }
    }
    if (pointer) *pointer = std::move(p);
    return at;
}

KernelRunner::KernelRunner(std::shared_ptr<ChainAccess> chains, RunnerOptions options)
    : chains_(std::move(chains)), options_(std::move(options)) {}

KernelOutcome KernelRunner::run(const KernelSpec& spec, const KernelContext& ctx,
                                Clock::time_point deadline) const noexcept {
    const auto start = Clock::now();
    KernelOutcome out;
    try {
        std::expected<abi::ValueList, std::string> values = Error("timed out before it started");
        if (start < deadline) {
            values = std::visit(
                [&](const auto& s) -> std::expected<abi::ValueList, std::string> {
                    using T = std::decay_t<decltype(s)>;
                    if constexpr (std::is_same_v<T, EvmReadSpec>)
                        return run_evm_read(s, ctx);
                    else if constexpr (std::is_same_v<T, HttpSpec>)
                        return run_http(s, ctx, deadline);
                    else
                        return run_evm_compute(s, ctx);
                },
                spec.body);
        }
        if (!values) {
            out.error = values.error();
        } else {
            auto encoded = abi::encode(spec.output_types(), *values);
            if (!encoded) {
                out.error = "cannot encode the result: " + encoded.error();
            } else {
                out.abi_result = std::move(*encoded);
                out.values = std::move(*values);
            }
        }
    } catch (const std::exception& e) {
        out.error = std::string("internal error: ") + e.what();
    } catch (...) {
        out.error = "internal error";
    }
    if (!out.ok()) {
        out.abi_result.clear();
        out.values.clear();
    }
    out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    return out;
}

std::expected<abi::ValueList, std::string> KernelRunner::run_evm_read(
    const EvmReadSpec& spec, const KernelContext& ctx) const {
    auto args = resolve_args(spec.function.inputs, spec.args, ctx);
    if (!args) return Error(args.error());
    auto encoded = abi::encode(spec.function.inputs, *args);
    if (!encoded) return Error("cannot encode the arguments: " + encoded.error());
    const auto selector = abi::selector(spec.signature);
    bytes data(selector.view());
    data += *encoded;
    if (!chains_) return Error("no chain access is configured");
    std::optional<uint64_t> block = spec.block;
    if (auto pin = ctx.blocks.find(spec.chain_id); !block && pin != ctx.blocks.end())
        block = pin->second;
    auto result = chains_->call(spec.chain_id, spec.to, std::move(data), block);
    if (!result) {
        if (result.error().revert_data)
            return Error("reverted: " + describe_revert(*result.error().revert_data));
        return Error("call failed: " + result.error().message);
    }
    if (result->empty() && !spec.outputs.empty())
        return Error("the call returned no data (is there a contract at " + to_hex(spec.to) +
                     " on chain " + std::to_string(spec.chain_id) + "?)");
    return decode_outputs(spec.outputs, *result);
}

std::expected<abi::ValueList, std::string> KernelRunner::run_http(
    const HttpSpec& spec, const KernelContext& ctx, Clock::time_point deadline) const {
    auto url = interpolate(spec.url, ctx, true);
    if (!url) return Error("url: " + url.error());
    for (const auto& [name, value_template] : spec.query) {
        auto value = interpolate(value_template, ctx, true);
        if (!value) return Error("query." + name + ": " + value.error());
        *url +=
            (url->find('?') == std::string::npos ? "?" : "&") + percent_encode(name) + "=" + *value;
    }
    HttpRequest request;
    request.method = spec.method;
    request.url = std::move(*url);
    for (const auto& [name, value_template] : spec.headers) {
        auto value = interpolate(value_template, ctx, false);
        if (!value) return Error("headers." + name + ": " + value.error());
        request.headers.emplace_back(name, std::move(*value));
    }
    if (spec.body) {
        auto body = resolve_body(*spec.body, ctx);
        if (!body) return Error("body: " + body.error());
        request.body = body->dump();
    }
    const auto start = Clock::now();
    request.deadline = std::min(deadline, start + spec.timeout);
    request.max_body_bytes = spec.max_bytes;

    auto response = http_fetch(request, options_.http);
    if (!response) {
        if (response.error() == "timed out") {
            // The time it had: the spec's timeoutMs, or less when the kernel's deadline came first.
            const auto budget =
                std::chrono::ceil<std::chrono::milliseconds>(request.deadline - start);
            return Error("timed out after " + std::to_string(budget.count()) + " ms");
        }
        return Error(response.error());
    }
    if (response->status < 200 || response->status > 299)
        return Error("HTTP " + std::to_string(response->status) +
                     (response->reason.empty() ? "" : " " + response->reason));
    auto document = parse_exact_json(response->body);
    if (!document) return Error("the response is not valid JSON: " + document.error());
    abi::ValueList values;
    for (size_t i = 0; i < spec.outputs.size(); ++i) {
        const HttpOutput& output = spec.outputs[i];
        const std::string where = "outputs[" + std::to_string(i) + "] (" + output.path.text + ")";
        std::string pointer;
        const json* found = find_json_path(document->value, output.path, &pointer);
        if (!found) return Error(where + ": not in the response");
        JsonToAbiOptions options;
        options.decimals = output.decimals;
        options.raw_numbers = &document->raw_numbers;
        options.pointer = pointer;
        auto value = json_to_abi(output.type, *found, options);
        if (!value) return Error(where + ": " + value.error());
        values.push_back(std::move(*value));
    }
    return values;
}

std::expected<abi::ValueList, std::string> KernelRunner::run_evm_compute(
    const EvmComputeSpec& spec, const KernelContext& ctx) const {
    auto args = resolve_args(spec.inputs, spec.args, ctx);
    if (!args) return Error(args.error());
    auto encoded = abi::encode(spec.inputs, *args);
    if (!encoded) return Error("cannot encode the arguments: " + encoded.error());
    bytes data;
    if (spec.function) data = bytes(abi::selector(spec.signature).view());
    data += *encoded;

    // A fresh, empty world: the code alone, no chain behind it.
    state::State state;
    state::Account account;
    account.set_code(spec.code);
    state.put(kComputeAddress, std::move(account));
    state.warm_account(kComputeAddress);
    state.warm_account(kComputeCaller);
    evm::TxContext tx;
    tx.origin = kComputeCaller;
    tx.gas_limit = static_cast<int64_t>(spec.gas);
    chain::Host host(state, options_.compute_revision, tx, analysis_cache_);
    evm::Message msg;
    msg.kind = evm::CallKind::Call;
    msg.is_static = true;  // pure: any state change is a StaticModeViolation
    msg.gas = static_cast<int64_t>(spec.gas);
    msg.recipient = kComputeAddress;
    msg.code_address = kComputeAddress;
    msg.sender = kComputeCaller;
    msg.input = data;
    const evm::Result result = host.call(msg);
    switch (result.status) {
        case evm::StatusCode::Success:
            return decode_outputs(spec.outputs, result.output);
        case evm::StatusCode::Revert:
            return Error("reverted: " + describe_revert(result.output));
        case evm::StatusCode::OutOfGas:
            return Error("out of gas (limit " + std::to_string(spec.gas) + ")");
        case evm::StatusCode::StaticModeViolation:
            return Error("failed: the code tried to change state (evm-compute kernels are pure)");
        default:
            return Error("failed: " + std::string(evm::status_name(result.status)));
    }
}

}  // namespace krnl::engine
