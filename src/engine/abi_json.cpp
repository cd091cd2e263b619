#include "engine/abi_json.hpp"

#include <vector>

namespace krnl::engine {

namespace {

std::string escape_pointer_token(std::string_view token) {
    std::string out;
    for (char c : token) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

// Builds the DOM through nlohmann's own SAX DOM builder while tracking the JSON pointer of the
// current value, so the text of every inexact number can be kept beside it.
class ExactSax {
public:
    ExactSax(ExactJson& out, size_t max_depth)
        : out_(out), dom_(out.value, false), max_depth_(max_depth) {}

    bool null() { return done(dom_.null()); }
    bool boolean(bool v) { return done(dom_.boolean(v)); }
    bool number_integer(json::number_integer_t v) { return done(dom_.number_integer(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return done(dom_.number_unsigned(v)); }
    bool number_float(json::number_float_t v, const std::string& text) {
        out_.raw_numbers[pointer()] = text;
        return done(dom_.number_float(v, text));
    }
    bool string(std::string& v) { return done(dom_.string(v)); }
    bool binary(json::binary_t& v) { return done(dom_.binary(v)); }
    bool start_object(size_t n) {
        if (frames_.size() >= max_depth_) return too_deep();
        if (!dom_.start_object(n)) return false;
        frames_.push_back({false, 0, {}});
        return true;
    }
    bool key(std::string& k) {
        frames_.back().key = k;
        return dom_.key(k);
    }
    bool end_object() {
        frames_.pop_back();
        return done(dom_.end_object());
    }
    bool start_array(size_t n) {
        if (frames_.size() >= max_depth_) return too_deep();
        if (!dom_.start_array(n)) return false;
        frames_.push_back({true, 0, {}});
        return true;
    }
    bool end_array() {
        frames_.pop_back();
        return done(dom_.end_array());
    }
    bool parse_error(size_t position, const std::string& token,
                     const nlohmann::detail::exception& e) {
        if (error_.empty()) error_ = e.what();
        return false;
    }

    const std::string& error() const { return error_; }

private:
    struct Frame {
        bool array;
        size_t index;
        std::string key;
    };

    bool done(bool ok) {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
        return ok;
    }
    bool too_deep() {
        error_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
        return false;
    }
    std::string pointer() const {
        std::string p;
        for (const Frame& f : frames_)
            p += "/" + (f.array ? std::to_string(f.index) : escape_pointer_token(f.key));
        return p;
    }

    ExactJson& out_;
    nlohmann::detail::json_sax_dom_parser<json> dom_;
    size_t max_depth_;
    std::vector<Frame> frames_;
    std::string error_;
};

constexpr uint256 kMaxUint256{~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

uint256 negate(const uint256& v) {
    return uint256{} - v;
}

bool is_negative_256(const uint256& v) {
    return (v.w[3] >> 63) != 0;
}

// 2^bits as a uint256 limit (bits < 256).
uint256 power_of_two(size_t bits) {
    return uint256(1) << uint256(bits);
}

std::expected<abi::Value, std::string> integer_value(const abi::Type& type,
                                                     const ScaledInteger& v) {
    const bool is_signed = type.kind == abi::Type::Kind::Int;
    const std::string name = type.canonical();
    if (!is_signed) {
        if (v.negative && v.magnitude) return std::unexpected("a negative value for " + name);
        if (type.size < 256 && v.magnitude >= power_of_two(type.size))
            return std::unexpected("value does not fit " + name);
        return abi::Value(v.magnitude);
    }
    const uint256 half = power_of_two(type.size - 1);  // 2^(N-1)
    if (v.negative) {
        if (v.magnitude > half) return std::unexpected("value does not fit " + name);
        return abi::Value(negate(v.magnitude));
    }
    if (v.magnitude >= half) return std::unexpected("value does not fit " + name);
    return abi::Value(v.magnitude);
}

std::string number_text(const json& value, const JsonToAbiOptions& options) {
    if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
    if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
    if (options.raw_numbers) {
        auto it = options.raw_numbers->find(options.pointer);
        if (it != options.raw_numbers->end()) return it->second;
    }
    return value.dump();  // the shortest text that reads back as the same double
}

std::expected<abi::Value, std::string> list_value(const abi::Type& type, const json& value,
                                                  const JsonToAbiOptions& options) {
    const std::string name = type.canonical();
    if (!value.is_array())
        return std::unexpected(name + " needs an array, not " + json_kind(value));
    const bool tuple = type.kind == abi::Type::Kind::Tuple;
    const size_t expected_size = tuple                                      ? type.components.size()
                                 : type.kind == abi::Type::Kind::FixedArray ? type.size
                                                                            : value.size();
    if (value.size() != expected_size)
        return std::unexpected(name + " needs " + std::to_string(expected_size) +
                               " elements, not " + std::to_string(value.size()));
    abi::ValueList list;
    list.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
        JsonToAbiOptions inner = options;
        inner.pointer = options.pointer + "/" + std::to_string(i);
        const abi::Type& element = tuple ? type.components[i] : type.components[0];
        auto v = json_to_abi(element, value[i], inner);
        if (!v) return std::unexpected("[" + std::to_string(i) + "]: " + v.error());
        list.push_back(std::move(*v));
    }
    return abi::Value(std::move(list));
}

}  // namespace

std::expected<ExactJson, std::string> parse_exact_json(std::string_view text, size_t max_depth) {
    ExactJson out;
    ExactSax sax(out, max_depth);
    const bool ok = json::sax_parse(text.begin(), text.end(), &sax,
                                    nlohmann::detail::input_format_t::json, true, false);
    if (!ok) return std::unexpected(sax.error().empty() ? "invalid JSON" : sax.error());
    return out;
}

std::expected<ScaledInteger, std::string> scale_decimal(std::string_view text, unsigned decimals) {
    const std::string shown = "\"" + std::string(text.substr(0, 80)) + "\"";
    size_t i = 0;
    ScaledInteger out;
    if (i < text.size() && text[i] == '-') {
        out.negative = true;
        ++i;
    }
    std::string digits;  // integer and fraction digits together
    int64_t exponent = 0;
    const size_t int_start = i;
    while (i < text.size() && is_digit(text[i]))
        digits += text[i++];
    if (i == int_start) return std::unexpected(shown + " is not a decimal number");
    if (i < text.size() && text[i] == '.') {
        ++i;
        const size_t frac_start = i;
        while (i < text.size() && is_digit(text[i]))
            digits += text[i++];
        if (i == frac_start) return std::unexpected(shown + " is not a decimal number");
        exponent -= static_cast<int64_t>(i - frac_start);
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool negative_exponent = false;
        if (i < text.size() && (text[i] == '+' || text[i] == '-'))
            negative_exponent = text[i++] == '-';
        const size_t exp_start = i;
        int64_t e = 0;
        while (i < text.size() && is_digit(text[i])) {
            if (e > 100000) return std::unexpected(shown + " has an exponent out of range");
            e = e * 10 + (text[i++] - '0');
        }
        if (i == exp_start) return std::unexpected(shown + " is not a decimal number");
        exponent += negative_exponent ? -e : e;
    }
    if (i != text.size()) return std::unexpected(shown + " is not a decimal number");
    exponent += decimals;

    // Drop trailing digits that a negative exponent removes: they must all be zero.
    while (exponent < 0) {
        if (digits.empty()) break;
        if (digits.back() != '0')
            return std::unexpected(shown + " has more than " + std::to_string(decimals) +
                                   " decimal places");
        digits.pop_back();
        ++exponent;
    }
    if (exponent < 0) exponent = 0;  // only zeros were left: the value is 0
    const size_t first_nonzero = digits.find_first_not_of('0');
    digits = first_nonzero == std::string::npos ? std::string() : digits.substr(first_nonzero);
    if (!digits.empty() && digits.size() + static_cast<size_t>(exponent) > 78)
        return std::unexpected(shown + " does not fit in 256 bits");
    if (!digits.empty()) digits.append(static_cast<size_t>(exponent), '0');

    const uint256 ten(10);
    const uint256 limit = kMaxUint256 / ten;
    for (char c : digits) {
        const uint256 d(static_cast<uint64_t>(c - '0'));
        if (out.magnitude > limit || (out.magnitude == limit && d > kMaxUint256 % ten))
            return std::unexpected(shown + " does not fit in 256 bits");
        out.magnitude = out.magnitude * ten + d;
    }
    if (!out.magnitude) out.negative = false;
    return out;
}

std::expected<abi::Value, std::string> json_to_abi(const abi::Type& type, const json& value,
                                                   const JsonToAbiOptions& options) {
    using Kind = abi::Type::Kind;
    const std::string name = type.canonical();
    switch (type.kind) {
        case Kind::Uint:
        case Kind::Int: {
            std::string text;
            if (value.is_number()) {
                text = number_text(value, options);
            } else if (value.is_string()) {
                text = value.get<std::string>();
                if (text.starts_with("0x") || text.starts_with("0X")) {
                    if (options.decimals != 0)
                        return std::unexpected("a hex string cannot be scaled by decimals");
                    auto v = parse_uint256(text);
                    if (!v)
                        return std::unexpected("\"" + text.substr(0, 80) + "\" is not a number");
                    return integer_value(type, ScaledInteger{*v, false});
                }
            } else {
                return std::unexpected(name + " needs a number or a decimal string, not " +
                                       json_kind(value));
            }
            auto scaled = scale_decimal(text, options.decimals);
            if (!scaled) return std::unexpected(scaled.error());
            return integer_value(type, *scaled);
        }
        case Kind::Address: {
            if (!value.is_string())
                return std::unexpected("address needs a 0x-hex string, not " + json_kind(value));
            const auto& s = value.get_ref<const std::string&>();
            if (!s.starts_with("0x") && !s.starts_with("0X"))
                return std::unexpected("address \"" + s.substr(0, 80) + "\" needs a 0x prefix");
            auto a = fixed_from_hex<20>(s);
            if (!a) return std::unexpected("\"" + s.substr(0, 80) + "\" is not a 20-byte address");
            return abi::Value(*a);
        }
        case Kind::Bool:
            if (!value.is_boolean())
                return std::unexpected("bool needs true or false, not " + json_kind(value));
            return abi::Value(value.get<bool>());
        case Kind::FixedBytes:
        case Kind::Bytes: {
            if (!value.is_string())
                return std::unexpected(name + " needs a 0x-hex string, not " + json_kind(value));
            const auto& s = value.get_ref<const std::string&>();
            if (!s.starts_with("0x") && !s.starts_with("0X"))
                return std::unexpected(name + " \"" + s.substr(0, 80) + "\" needs a 0x prefix");
            auto b = from_hex(s);
            if (!b) return std::unexpected("\"" + s.substr(0, 80) + "\" is not hex");
            if (type.kind == Kind::FixedBytes && b->size() != type.size)
                return std::unexpected(name + " needs exactly " + std::to_string(type.size) +
                                       " bytes, not " + std::to_string(b->size()));
            return abi::Value(std::move(*b));
        }
        case Kind::String:
            if (!value.is_string())
                return std::unexpected("string needs a JSON string, not " + json_kind(value));
            return abi::Value(value.get<std::string>());
        case Kind::Array:
        case Kind::FixedArray:
        case Kind::Tuple:
            return list_value(type, value, options);
    }
    return std::unexpected("unsupported type " + name);
}

json abi_to_json(const abi::Type& type, const abi::Value& value) {
    using Kind = abi::Type::Kind;
    switch (type.kind) {
        case Kind::Uint:
            if (const uint256* v = value.as_uint()) return to_string(*v);
            break;
        case Kind::Int:
            if (const uint256* v = value.as_uint())
                return is_negative_256(*v) ? "-" + to_string(negate(*v)) : to_string(*v);
            break;
        case Kind::Address:
            if (const address* a = value.as_address()) return to_hex(*a);
            break;
        case Kind::Bool:
            if (const bool* b = value.as_bool()) return *b;
            break;
        case Kind::FixedBytes:
        case Kind::Bytes:
            if (const bytes* b = value.as_bytes()) return to_hex(*b);
            break;
        case Kind::String:
            if (const std::string* s = value.as_string()) return *s;
            break;
        case Kind::Array:
        case Kind::FixedArray:
        case Kind::Tuple:
            if (const abi::ValueList* list = value.as_list()) {
                json out = json::array();
                for (size_t i = 0; i < list->size(); ++i) {
                    const abi::Type& element =
                        type.kind == Kind::Tuple ? type.components.at(i) : type.components.at(0);
                    out.push_back(abi_to_json(element, (*list)[i]));
                }
                return out;
            }
            break;
    }
    return nullptr;  // a value that does not match its type (not produced by the codec)
}

std::string abi_to_text(const abi::Type& type, const abi::Value& value) {
    json j = abi_to_json(type, value);
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

std::string json_kind(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return "an integer";
        case json::value_t::number_float:
            return "a fractional number";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "an unsupported value";
    }
}

}  // namespace krnl::engine
