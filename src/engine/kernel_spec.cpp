#include "engine/kernel_spec.hpp"

#include <set>

#include "common/keccak.hpp"
#include "engine/abi_json.hpp"
#include "engine/http_client.hpp"

namespace krnl::engine {

namespace {

constexpr size_t kMaxReferenceIndex = 1023;

using Error = std::unexpected<std::string>;

Error fail(const std::string& field, const std::string& message) {
    return Error(field + ": " + message);
}

// Reads the members of one JSON object, remembering which were read so the rest are reported as
// unknown.
class Fields {
public:
    Fields(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

    std::string name(std::string_view key) const {
        return where_.empty() ? std::string(key) : where_ + "." + std::string(key);
    }
    const json* optional(std::string_view key) {
        known_.insert(std::string(key));
        auto it = object_.find(key);
        return it == object_.end() ? nullptr : &*it;
    }
    std::expected<const json*, std::string> required(std::string_view key) {
        const json* v = optional(key);
        if (!v) return fail(name(key), "missing");
        return v;
    }
    std::expected<void, std::string> no_unknown() const {
        for (const auto& [key, value] : object_.items())
            if (!known_.contains(key)) return fail(name(key), "unknown field");
        return {};
    }

private:
    const json& object_;
    std::string where_;
    std::set<std::string> known_;
};

std::expected<std::string, std::string> string_field(const json& v, const std::string& field) {
    if (!v.is_string()) return fail(field, "must be a string, not " + json_kind(v));
    return v.get<std::string>();
}

std::expected<uint64_t, std::string> uint_field(const json& v, const std::string& field,
                                                uint64_t min, uint64_t max) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
        return fail(field, "must be a non-negative integer, not " + json_kind(v));
    const uint64_t n = v.get<uint64_t>();
    if (n < min || n > max)
        return fail(field,
                    "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
}

std::expected<abi::Type, std::string> type_field(const json& v, const std::string& field) {
    auto s = string_field(v, field);
    if (!s) return Error(s.error());
    auto t = abi::parse_type(*s);
    if (!t) return fail(field, "bad ABI type \"" + s->substr(0, 80) + "\": " + t.error());
    return *t;
}

std::expected<std::vector<abi::Type>, std::string> type_list(const json& v,
                                                             const std::string& field) {
    if (!v.is_array()) return fail(field, "must be an array of ABI types, not " + json_kind(v));
    if (v.size() > kMaxSpecValues)
        return fail(field, "more than " + std::to_string(kMaxSpecValues) + " entries");
    std::vector<abi::Type> out;
    for (size_t i = 0; i < v.size(); ++i) {
        auto t = type_field(v[i], field + "[" + std::to_string(i) + "]");
        if (!t) return Error(t.error());
        out.push_back(std::move(*t));
    }
    return out;
}

// Checks a typed argument template: references must parse and be allowed in specs; literals must
// fit their type. Arrays and tuples may hold references among their elements.
std::expected<void, std::string> check_arg_template(const abi::Type& type, const json& arg,
                                                    const std::string& field) {
    if (arg.is_string() && is_reference_text(arg.get_ref<const std::string&>())) {
        auto ref = parse_reference(arg.get_ref<const std::string&>());
        if (!ref) return fail(field, ref.error());
        if (ref->kind == Reference::Kind::KernelOutput)
            return fail(
                field,
                "kernel outputs ($kernel:...) are referenced from request inputs, not specs");
        return {};
    }
    using Kind = abi::Type::Kind;
    if (arg.is_array() &&
        (type.kind == Kind::Array || type.kind == Kind::FixedArray || type.kind == Kind::Tuple)) {
        const bool tuple = type.kind == Kind::Tuple;
        const size_t need = tuple                           ? type.components.size()
                            : type.kind == Kind::FixedArray ? type.size
                                                            : arg.size();
        if (arg.size() != need)
            return fail(field, type.canonical() + " needs " + std::to_string(need) +
                                   " elements, not " + std::to_string(arg.size()));
        for (size_t i = 0; i < arg.size(); ++i) {
            auto ok = check_arg_template(tuple ? type.components[i] : type.components[0], arg[i],
                                         field + "[" + std::to_string(i) + "]");
            if (!ok) return ok;
        }
        return {};
    }
    json literal = arg;
    if (arg.is_string() && arg.get_ref<const std::string&>().starts_with("$$"))
        literal = arg.get<std::string>().substr(1);
    auto v = json_to_abi(type, literal);
    if (!v) return fail(field, v.error());
    return {};
}

std::expected<std::vector<json>, std::string> args_field(const json* v,
                                                         const std::vector<abi::Type>& types,
                                                         const std::string& field) {
    if (!v) {
        if (!types.empty())
            return fail(field, "missing (" + std::to_string(types.size()) + " arguments needed)");
        return std::vector<json>{};
    }
    if (!v->is_array()) return fail(field, "must be an array, not " + json_kind(*v));
    if (v->size() != types.size())
        return fail(field, std::to_string(types.size()) + " arguments needed, " +
                               std::to_string(v->size()) + " given");
    std::vector<json> out;
    for (size_t i = 0; i < v->size(); ++i) {
        auto ok = check_arg_template(types[i], (*v)[i], field + "[" + std::to_string(i) + "]");
        if (!ok) return Error(ok.error());
        out.push_back((*v)[i]);
    }
    return out;
}

std::expected<void, std::string> check_text_template(std::string_view text,
                                                     const std::string& field) {
    size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string_view::npos) {
        const size_t end = text.find("}}", pos + 2);
        if (end == std::string_view::npos) return fail(field, "unterminated \"{{\"");
        auto ref = parse_reference(text.substr(pos + 2, end - pos - 2));
        if (!ref) return fail(field, ref.error());
        if (ref->kind == Reference::Kind::KernelOutput)
            return fail(
                field,
                "kernel outputs ($kernel:...) are referenced from request inputs, not specs");
        pos = end + 2;
    }
    return {};
}

std::expected<void, std::string> check_body_template(const json& body, const std::string& field) {
    if (body.is_number_float())
        return fail(field, "fractional numbers are not allowed; write a string");
    if (body.is_string()) {
        const auto& s = body.get_ref<const std::string&>();
        if (is_reference_text(s)) {
            auto ref = parse_reference(s);
            if (!ref) return fail(field, ref.error());
            if (ref->kind == Reference::Kind::KernelOutput)
                return fail(
                    field,
                    "kernel outputs ($kernel:...) are referenced from request inputs, not specs");
            return {};
        }
        return check_text_template(s, field);
    }
    if (body.is_array()) {
        for (size_t i = 0; i < body.size(); ++i) {
            auto ok = check_body_template(body[i], field + "[" + std::to_string(i) + "]");
            if (!ok) return ok;
        }
    } else if (body.is_object()) {
        for (const auto& [key, value] : body.items()) {
            auto ok = check_body_template(value, field + "." + key);
            if (!ok) return ok;
        }
    }
    return {};
}

std::expected<void, std::string> check_url_template(const std::string& url,
                                                    const std::string& field) {
    auto ok = check_text_template(url, field);
    if (!ok) return ok;
    // Placeholders may not choose the scheme, host or port: they must follow the authority.
    const size_t scheme_end = url.find("://");
    const size_t authority_end = scheme_end == std::string::npos
                                     ? std::string::npos
                                     : url.find_first_of("/?", scheme_end + 3);
    const size_t first_placeholder = url.find("{{");
    if (first_placeholder != std::string::npos &&
        (authority_end == std::string::npos || first_placeholder < authority_end))
        return fail(field, "placeholders are only allowed in the path and query");
    std::string sample;
    for (size_t pos = 0; pos < url.size();) {
        const size_t open = url.find("{{", pos);
        if (open == std::string::npos) {
            sample += url.substr(pos);
            break;
        }
        sample += url.substr(pos, open - pos) + "x";
        pos = url.find("}}", open) + 2;
    }
    auto parsed = parse_url(sample);
    if (!parsed) return fail(field, parsed.error());
    return {};
}

std::expected<std::vector<std::pair<std::string, std::string>>, std::string> string_map(
    const json* v, const std::string& field, bool is_header) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!v) return out;
    if (!v->is_object()) return fail(field, "must be an object of strings, not " + json_kind(*v));
    if (v->size() > kMaxSpecValues)
        return fail(field, "more than " + std::to_string(kMaxSpecValues) + " entries");
    for (const auto& [key, value] : v->items()) {
        const std::string where = field + "." + key;
        if (key.empty()) return fail(field, "empty name");
        if (is_header) {
            for (unsigned char c : key)
                if (!(std::isalnum(c) || c == '-' || c == '_'))
                    return fail(where, "bad header name");
            std::string lower;
            for (unsigned char c : key)
                lower += static_cast<char>(std::tolower(c));
            if (lower == "host" || lower == "content-length" || lower == "transfer-encoding" ||
                lower == "connection")
                return fail(where, "this header is set by the engine");
        }
        auto s = string_field(value, where);
        if (!s) return Error(s.error());
        for (unsigned char c : *s)
            if (c < 0x20 || c == 0x7f) return fail(where, "control characters are not allowed");
        auto ok = check_text_template(*s, where);
        if (!ok) return Error(ok.error());
        out.emplace_back(key, *s);
    }
    return out;
}

std::expected<EvmReadSpec, std::string> parse_evm_read(Fields& f) {
    EvmReadSpec spec;
    auto chain = f.required("chainId");
    if (!chain) return Error(chain.error());
    auto chain_id = uint_field(**chain, "chainId", 1, UINT64_MAX);
    if (!chain_id) return Error(chain_id.error());
    spec.chain_id = *chain_id;

    auto to = f.required("to");
    if (!to) return Error(to.error());
    auto to_text = string_field(**to, "to");
    if (!to_text) return Error(to_text.error());
    auto to_addr = fixed_from_hex<20>(*to_text);
    if (!to_addr || !to_text->starts_with("0x"))
        return fail("to", "must be a 0x-prefixed 20-byte address");
    spec.to = *to_addr;

    auto fn = f.required("function");
    if (!fn) return Error(fn.error());
    auto fn_text = string_field(**fn, "function");
    if (!fn_text) return Error(fn_text.error());
    auto function = abi::parse_function(*fn_text);
    if (!function) return fail("function", function.error());
    spec.function = *function;
    spec.signature = function->canonical();

    auto args = args_field(f.optional("args"), spec.function.inputs, "args");
    if (!args) return Error(args.error());
    spec.args = std::move(*args);

    auto outputs = f.required("outputs");
    if (!outputs) return Error(outputs.error());
    auto types = type_list(**outputs, "outputs");
    if (!types) return Error(types.error());
    spec.outputs = std::move(*types);

    if (const json* block = f.optional("block")) {
        if (block->is_string()) {
            if (block->get<std::string>() != "latest")
                return fail("block", "must be \"latest\" or a block number");
        } else {
            auto n = uint_field(*block, "block", 0, INT64_MAX);
            if (!n) return fail("block", "must be \"latest\" or a block number");
            spec.block = *n;
        }
    }
    return spec;
}

std::expected<HttpSpec, std::string> parse_http(Fields& f) {
    HttpSpec spec;
    auto method = f.required("method");
    if (!method) return Error(method.error());
    auto m = string_field(**method, "method");
    if (!m) return Error(m.error());
    if (*m != "GET" && *m != "POST") return fail("method", "must be \"GET\" or \"POST\"");
    spec.method = *m;

    auto url = f.required("url");
    if (!url) return Error(url.error());
    auto u = string_field(**url, "url");
    if (!u) return Error(u.error());
    auto ok = check_url_template(*u, "url");
    if (!ok) return Error(ok.error());
    spec.url = *u;

    auto headers = string_map(f.optional("headers"), "headers", true);
    if (!headers) return Error(headers.error());
    spec.headers = std::move(*headers);
    auto query = string_map(f.optional("query"), "query", false);
    if (!query) return Error(query.error());
    spec.query = std::move(*query);

    if (const json* body = f.optional("body")) {
        if (spec.method != "POST") return fail("body", "only a POST has a body");
        auto body_ok = check_body_template(*body, "body");
        if (!body_ok) return Error(body_ok.error());
        spec.body = *body;
    }

    auto outputs = f.required("outputs");
    if (!outputs) return Error(outputs.error());
    if (!(*outputs)->is_array())
        return fail("outputs", "must be an array, not " + json_kind(**outputs));
    if ((*outputs)->size() > kMaxSpecValues)
        return fail("outputs", "more than " + std::to_string(kMaxSpecValues) + " entries");
    for (size_t i = 0; i < (*outputs)->size(); ++i) {
        const std::string where = "outputs[" + std::to_string(i) + "]";
        const json& out = (**outputs)[i];
        if (!out.is_object()) return fail(where, "must be an object {path, type, decimals?}");
        Fields of(out, where);
        HttpOutput output;
        auto path = of.required("path");
        if (!path) return Error(path.error());
        auto path_text = string_field(**path, where + ".path");
        if (!path_text) return Error(path_text.error());
        auto parsed_path = parse_json_path(*path_text);
        if (!parsed_path) return fail(where + ".path", parsed_path.error());
        output.path = std::move(*parsed_path);
        auto type = of.required("type");
        if (!type) return Error(type.error());
        auto t = type_field(**type, where + ".type");
        if (!t) return Error(t.error());
        output.type = std::move(*t);
        if (const json* decimals = of.optional("decimals")) {
            auto d = uint_field(*decimals, where + ".decimals", 0, 77);
            if (!d) return Error(d.error());
            const auto base = output.type.kind == abi::Type::Kind::Array ||
                                      output.type.kind == abi::Type::Kind::FixedArray
                                  ? output.type.components[0].kind
                                  : output.type.kind;
            if (base != abi::Type::Kind::Uint && base != abi::Type::Kind::Int)
                return fail(where + ".decimals", "only integer types are scaled");
            output.decimals = static_cast<unsigned>(*d);
        }
        auto unknown = of.no_unknown();
        if (!unknown) return Error(unknown.error());
        spec.outputs.push_back(std::move(output));
    }

    if (const json* timeout = f.optional("timeoutMs")) {
        auto t = uint_field(*timeout, "timeoutMs", 1, kMaxHttpTimeoutMs);
        if (!t) return Error(t.error());
        spec.timeout = std::chrono::milliseconds(*t);
    }
    if (const json* max_bytes = f.optional("maxBytes")) {
        auto b = uint_field(*max_bytes, "maxBytes", 1, kMaxHttpMaxBytes);
        if (!b) return Error(b.error());
        spec.max_bytes = *b;
    }
    return spec;
}

std::expected<EvmComputeSpec, std::string> parse_evm_compute(Fields& f) {
    EvmComputeSpec spec;
    auto code = f.required("code");
    if (!code) return Error(code.error());
    auto code_text = string_field(**code, "code");
    if (!code_text) return Error(code_text.error());
    auto code_bytes = from_hex(*code_text);
    if (!code_text->starts_with("0x") || !code_bytes)
        return fail("code", "must be 0x-prefixed hex");
    if (code_bytes->empty()) return fail("code", "is empty");
    if (code_bytes->size() > kMaxCodeSize)
        return fail("code", "longer than " + std::to_string(kMaxCodeSize) + " bytes");
    spec.code = std::move(*code_bytes);

    const json* fn = f.optional("function");
    const json* inputs = f.optional("inputs");
    if (fn && inputs)
        return fail("inputs", "not allowed with a function (its signature gives the types)");
    if (fn) {
        auto fn_text = string_field(*fn, "function");
        if (!fn_text) return Error(fn_text.error());
        auto function = abi::parse_function(*fn_text);
        if (!function) return fail("function", function.error());
        spec.signature = function->canonical();
        spec.inputs = function->inputs;
        spec.function = std::move(*function);
    } else if (inputs) {
        auto types = type_list(*inputs, "inputs");
        if (!types) return Error(types.error());
        spec.inputs = std::move(*types);
    }
    auto args = args_field(f.optional("args"), spec.inputs, "args");
    if (!args) return Error(args.error());
    spec.args = std::move(*args);

    auto outputs = f.required("outputs");
    if (!outputs) return Error(outputs.error());
    auto types = type_list(**outputs, "outputs");
    if (!types) return Error(types.error());
    spec.outputs = std::move(*types);

    if (const json* gas = f.optional("gas")) {
        auto g = uint_field(*gas, "gas", 1, kMaxComputeGas);
        if (!g) return Error(g.error());
        spec.gas = *g;
    }
    return spec;
}

void write_canonical(const json& v, std::string& out) {
    if (v.is_object()) {
        out += '{';
        bool first = true;
        for (const auto& [key, value] : v.items()) {  // nlohmann objects are std::map: sorted
            if (!first) out += ',';
            first = false;
            out += json(key).dump(-1, ' ', false);
            out += ':';
            write_canonical(value, out);
        }
        out += '}';
    } else if (v.is_array()) {
        out += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ',';
            write_canonical(v[i], out);
        }
        out += ']';
    } else {
        out += v.dump(-1, ' ', false);
    }
}

bool has_float(const json& v) {
    if (v.is_number_float()) return true;
    if (v.is_structured())
        for (const auto& e : v)
            if (has_float(e)) return true;
    return false;
}

std::expected<size_t, std::string> parse_index(std::string_view text) {
    if (text.empty() || text.size() > 4) return Error("bad index \"" + std::string(text) + "\"");
    if (text.size() > 1 && text[0] == '0') return Error("bad index \"" + std::string(text) + "\"");
    size_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return Error("bad index \"" + std::string(text) + "\"");
        n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (n > kMaxReferenceIndex) return Error("index " + std::to_string(n) + " is too large");
    return n;
}

// "[n]" at the start of `text`; returns the index and the rest.
std::expected<std::pair<size_t, std::string_view>, std::string> bracket_index(
    std::string_view text) {
    if (text.empty() || text[0] != '[') return Error("expected \"[\"");
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return Error("missing \"]\"");
    auto n = parse_index(text.substr(1, close - 1));
    if (!n) return Error(n.error());
    return std::pair{*n, text.substr(close + 1)};
}

}  // namespace

std::string_view kind_name(KernelKind kind) {
    switch (kind) {
        case KernelKind::EvmRead:
            return "evm-read";
        case KernelKind::Http:
            return "http";
        case KernelKind::EvmCompute:
            return "evm-compute";
    }
    return "unknown";
}

std::string Reference::text() const {
    switch (kind) {
        case Kind::Sender:
            return "$sender";
        case Kind::App:
            return "$app";
        case Kind::Arg:
            return "$args[" + std::to_string(index) + "]";
        case Kind::Input:
            return "$input[" + std::to_string(index) + "]";
        case Kind::KernelOutput:
            return "$kernel:" + std::to_string(index) + "[" + std::to_string(output) + "]";
    }
    return "";
}

bool is_reference_text(std::string_view text) {
    return text.starts_with('$') && !text.starts_with("$$");
}

std::expected<Reference, std::string> parse_reference(std::string_view text) {
    const std::string shown = "reference \"" + std::string(text.substr(0, 40)) + "\"";
    const auto bad = [&](const std::string& why) {
        return Error("bad " + shown + ": " + why +
                     " (known: $sender, $app, $args[i], $input[i], $kernel:<k>[<j>])");
    };
    Reference ref;
    if (text == "$sender") {
        ref.kind = Reference::Kind::Sender;
        return ref;
    }
    if (text == "$app") {
        ref.kind = Reference::Kind::App;
        return ref;
    }
    auto indexed = [&](std::string_view prefix,
                       Reference::Kind kind) -> std::expected<Reference, std::string> {
        auto r = bracket_index(text.substr(prefix.size()));
        if (!r) return bad(r.error());
        if (!r->second.empty()) return bad("trailing text");
        ref.kind = kind;
        ref.index = r->first;
        return ref;
    };
    if (text.starts_with("$args[")) return indexed("$args", Reference::Kind::Arg);
    if (text.starts_with("$input[")) return indexed("$input", Reference::Kind::Input);
    if (text.starts_with("$kernel:")) {
        std::string_view rest = text.substr(8);
        const size_t open = rest.find('[');
        if (open == std::string_view::npos) return bad("missing the output index \"[j]\"");
        auto k = parse_index(rest.substr(0, open));
        if (!k) return bad(k.error());
        auto j = bracket_index(rest.substr(open));
        if (!j) return bad(j.error());
        if (!j->second.empty()) return bad("trailing text");
        ref.kind = Reference::Kind::KernelOutput;
        ref.index = *k;
        ref.output = j->first;
        return ref;
    }
    return bad("unknown name");
}

std::expected<JsonPath, std::string> parse_json_path(std::string_view text) {
    JsonPath path;
    path.text = std::string(text);
    if (text.empty() || text[0] != '$') return Error("a JSON path starts with \"$\"");
    size_t i = 1;
    while (i < text.size()) {
        if (path.steps.size() >= 64) return Error("more than 64 steps");
        if (text[i] == '.') {
            size_t j = i + 1;
            while (j < text.size() && text[j] != '.' && text[j] != '[')
                ++j;
            const std::string_view name = text.substr(i + 1, j - i - 1);
            if (name.empty()) return Error("empty member name at offset " + std::to_string(i));
            for (unsigned char c : name)
                if (!(std::isalnum(c) || c == '_' || c == '-' || c == '$'))
                    return Error("member \"" + std::string(name) +
                                 "\" needs the bracket form ['...']");
            path.steps.push_back({std::string(name)});
            i = j;
        } else if (text[i] == '[') {
            if (i + 1 < text.size() && (text[i + 1] == '\'' || text[i + 1] == '"')) {
                const char quote = text[i + 1];
                std::string name;
                size_t j = i + 2;
                for (; j < text.size() && text[j] != quote; ++j) {
                    if (text[j] == '\\' && j + 1 < text.size()) ++j;
                    name += text[j];
                }
                if (j + 1 >= text.size() || text[j + 1] != ']')
                    return Error("unterminated member name at offset " + std::to_string(i));
                path.steps.push_back({std::move(name)});
                i = j + 2;
            } else {
                const size_t close = text.find(']', i);
                if (close == std::string_view::npos) return Error("missing \"]\"");
                const std::string_view digits = text.substr(i + 1, close - i - 1);
                if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0'))
                    return Error("bad array index \"" + std::string(digits) + "\"");
                size_t n = 0;
                for (char c : digits) {
                    if (c < '0' || c > '9')
                        return Error("bad array index \"" + std::string(digits) + "\"");
                    n = n * 10 + static_cast<size_t>(c - '0');
                }
                path.steps.push_back({n});
                i = close + 1;
            }
        } else {
            return Error("unexpected \"" + std::string(1, text[i]) + "\" at offset " +
                         std::to_string(i));
        }
    }
    return path;
}

std::expected<std::string, std::string> canonical_json(const json& value) {
    if (has_float(value)) return Error("fractional numbers are not allowed; write them as strings");
    std::string out;
    try {
        write_canonical(value, out);
    } catch (const json::exception& e) {  // invalid UTF-8 in a string built by hand
        return Error(std::string("cannot serialise: ") + e.what());
    }
    return out;
}

std::vector<abi::Type> KernelSpec::output_types() const {
    return std::visit(
        [](const auto& spec) -> std::vector<abi::Type> {
            using T = std::decay_t<decltype(spec)>;
            if constexpr (std::is_same_v<T, HttpSpec>) {
                std::vector<abi::Type> out;
                for (const HttpOutput& o : spec.outputs)
                    out.push_back(o.type);
                return out;
            } else {
                return spec.outputs;
            }
        },
        body);
}

std::expected<KernelSpec, std::string> parse_kernel_spec(const json& document) {
    if (!document.is_object())
        return Error("a kernel spec is a JSON object, not " + json_kind(document));
    auto canonical = canonical_json(document);
    if (!canonical) return Error(canonical.error());
    Fields f(document, "");
    auto kind = f.required("kind");
    if (!kind) return Error(kind.error());
    auto kind_text = string_field(**kind, "kind");
    if (!kind_text) return Error(kind_text.error());

    KernelSpec spec;
    if (*kind_text == "evm-read") {
        auto s = parse_evm_read(f);
        if (!s) return Error(s.error());
        spec.body = std::move(*s);
    } else if (*kind_text == "http") {
        auto s = parse_http(f);
        if (!s) return Error(s.error());
        spec.body = std::move(*s);
    } else if (*kind_text == "evm-compute") {
        auto s = parse_evm_compute(f);
        if (!s) return Error(s.error());
        spec.body = std::move(*s);
    } else {
        return fail("kind", "unknown kind \"" + kind_text->substr(0, 40) +
                                "\" (known: evm-read, http, evm-compute)");
    }
    auto unknown = f.no_unknown();
    if (!unknown) return Error(unknown.error());
    spec.canonical = std::move(*canonical);
    spec.hash = keccak256(as_bytes(spec.canonical));
    return spec;
}

std::expected<KernelSpec, std::string> parse_kernel_spec(std::string_view text) {
    json document = json::parse(text, nullptr, false);
    if (document.is_discarded()) return Error("the kernel spec is not valid JSON");
    return parse_kernel_spec(document);
}

}  // namespace krnl::engine
