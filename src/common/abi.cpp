#include "common/abi.hpp"

#include <cctype>
#include <charconv>

#include "common/keccak.hpp"

namespace krnl::abi {
namespace {

constexpr size_t kWord = 32;
constexpr int kMaxNesting = 32;
// Static encodings above this size are refused when parsing: nothing real comes close, and it keeps
// every size computation far from overflow.
constexpr size_t kMaxStaticSize = size_t{1} << 30;

using Kind = Type::Kind;

// ---------------------------------------------------------------- type parsing

class TypeParser {
public:
    explicit TypeParser(std::string_view text) : text_(text) {}

    std::expected<Type, std::string> whole_type() {
        auto t = type(0);
        if (!t) return t;
        if (pos_ != text_.size())
            return fail("unexpected '" + std::string(text_.substr(pos_)) + "'");
        return t;
    }

    std::expected<std::vector<Type>, std::string> whole_list() {
        std::vector<Type> types;
        if (text_.empty()) return types;
        const bool parenthesised = text_.front() == '(' && matching_paren(0) == text_.size() - 1;
        if (parenthesised) {
            ++pos_;
            auto list = members(0);
            if (!list) return std::unexpected(list.error());
            ++pos_;  // ')'
            types = std::move(*list);
        } else {
            while (true) {
                auto t = type(0);
                if (!t) return std::unexpected(t.error());
                types.push_back(std::move(*t));
                if (pos_ < text_.size() && text_[pos_] == ',') {
                    ++pos_;
                    continue;
                }
                break;
            }
        }
        if (pos_ != text_.size())
            return fail("unexpected '" + std::string(text_.substr(pos_)) + "'");
        return types;
    }

private:
    std::string_view text_;
    size_t pos_ = 0;

    std::unexpected<std::string> fail(std::string message) const {
        return std::unexpected("bad ABI type \"" + std::string(text_) + "\": " + message);
    }

    size_t matching_paren(size_t open) const {
        int level = 0;
        for (size_t i = open; i < text_.size(); ++i) {
            if (text_[i] == '(') ++level;
            if (text_[i] == ')' && --level == 0) return i;
        }
        return std::string_view::npos;
    }

    // Members of a tuple up to (not including) its ')', each parsed at member_depth. A
    // parenthesised top-level list reads its members at depth 0, as the same list written without
    // parentheses.
    std::expected<std::vector<Type>, std::string> members(int member_depth) {
        std::vector<Type> list;
        if (pos_ < text_.size() && text_[pos_] == ')') return list;
        while (true) {
            auto t = type(member_depth);
            if (!t) return std::unexpected(t.error());
            list.push_back(std::move(*t));
            if (pos_ >= text_.size()) return fail("missing ')'");
            if (text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (text_[pos_] == ')') return list;
            return fail(std::string("unexpected '") + text_[pos_] + "'");
        }
    }

    std::expected<Type, std::string> type(int depth) {
        if (depth > kMaxNesting) return fail("nested too deeply");
        Type t;
        if (pos_ < text_.size() && text_[pos_] == '(') {
            ++pos_;
            auto list = members(depth + 1);
            if (!list) return std::unexpected(list.error());
            if (list->empty()) return fail("empty tuple");
            ++pos_;
            t.kind = Kind::Tuple;
            t.size = 0;
            t.components = std::move(*list);
        } else {
            size_t end = pos_;
            while (end < text_.size() &&
                   (std::isalnum(static_cast<unsigned char>(text_[end])) != 0))
                ++end;
            auto base = elementary(text_.substr(pos_, end - pos_));
            if (!base) return base;
            t = std::move(*base);
            pos_ = end;
        }
        // Array suffixes, innermost first: uint256[2][] is a dynamic array of uint256[2].
        int suffixes = 0;
        while (pos_ < text_.size() && text_[pos_] == '[') {
            if (depth + ++suffixes > kMaxNesting) return fail("nested too deeply");
            const size_t close = text_.find(']', pos_);
            if (close == std::string_view::npos) return fail("missing ']'");
            const std::string_view digits = text_.substr(pos_ + 1, close - pos_ - 1);
            Type array;
            array.components.push_back(std::move(t));
            if (digits.empty()) {
                array.kind = Kind::Array;
                array.size = 0;
            } else {
                size_t k = 0;
                const auto [p, ec] =
                    std::from_chars(digits.data(), digits.data() + digits.size(), k);
                if (ec != std::errc{} || p != digits.data() + digits.size() || k == 0 ||
                    digits[0] == '0')
                    return fail("bad array length '" + std::string(digits) + "'");
                array.kind = Kind::FixedArray;
                array.size = k;
                const size_t element = array.components[0].head_size();
                if (k > kMaxStaticSize / element) return fail("array too large");
            }
            t = std::move(array);
            pos_ = close + 1;
        }
        if (t.kind == Kind::Tuple && t.head_size() > kMaxStaticSize) return fail("tuple too large");
        return t;
    }

    std::expected<Type, std::string> elementary(std::string_view name) {
        Type t;
        const auto bits_suffix = [&](std::string_view digits, size_t& out) {
            if (digits.empty() || digits[0] == '0') return false;
            const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
            return ec == std::errc{} && p == digits.data() + digits.size();
        };
        if (name == "address") {
            t.kind = Kind::Address;
        } else if (name == "bool") {
            t.kind = Kind::Bool;
        } else if (name == "string") {
            t.kind = Kind::String;
        } else if (name == "bytes") {
            t.kind = Kind::Bytes;
        } else if (name == "uint" || name == "int") {
            t.kind = name == "uint" ? Kind::Uint : Kind::Int;
            t.size = 256;
        } else if (name.starts_with("uint") || name.starts_with("int")) {
            const bool is_unsigned = name.starts_with("uint");
            size_t bits = 0;
            if (!bits_suffix(name.substr(is_unsigned ? 4 : 3), bits) || bits % 8 != 0 || bits > 256)
                return fail("unknown type '" + std::string(name) + "'");
            t.kind = is_unsigned ? Kind::Uint : Kind::Int;
            t.size = bits;
        } else if (name.starts_with("bytes")) {
            size_t n = 0;
            if (!bits_suffix(name.substr(5), n) || n > 32)
                return fail("unknown type '" + std::string(name) + "'");
            t.kind = Kind::FixedBytes;
            t.size = n;
        } else if (name.empty()) {
            return fail(pos_ < text_.size() ? std::string("unexpected '") + text_[pos_] + "'"
                                            : "missing type");
        } else {
            return fail("unknown type '" + std::string(name) + "'");
        }
        return t;
    }
};

// ---------------------------------------------------------------- encoding

void put_word(bytes& out, const uint256& v) {
    uint8_t word[kWord];
    v.store_be(word);
    out.append(word, kWord);
}

void put_padded(bytes& out, bytes_view data) {
    out.append(data);
    out.append((kWord - data.size() % kWord) % kWord, 0);
}

// Whether two's complement `v` is the sign extension of its low `bits` bits.
bool fits_signed(const uint256& v, size_t bits) {
    if (bits == 256) return true;
    const uint256 sign_bit = uint256(1) << (bits - 1);
    const uint256 limit = sign_bit;            // non-negative values are below it
    const uint256 negative_floor = -sign_bit;  // negative values are at or above it
    return v < limit || v >= negative_floor;
}

bool fits_unsigned(const uint256& v, size_t bits) {
    return bits == 256 || v < (uint256(1) << bits);
}

std::string kind_mismatch(const Type& type) {
    return "value does not match type " + type.canonical();
}

class Encoder {
public:
    std::expected<void, std::string> value(const Type& type, const Value& v, bytes& out) {
        switch (type.kind) {
            case Kind::Uint:
            case Kind::Int: {
                const uint256* n = v.as_uint();
                if (n == nullptr) return std::unexpected(kind_mismatch(type));
                const bool fits = type.kind == Kind::Uint ? fits_unsigned(*n, type.size)
                                                          : fits_signed(*n, type.size);
                if (!fits)
                    return std::unexpected("value " + to_string(*n) + " out of range for " +
                                           type.canonical());
                put_word(out, *n);
                return {};
            }
            case Kind::Address: {
                const address* a = v.as_address();
                if (a == nullptr) return std::unexpected(kind_mismatch(type));
                out.append(12, 0);
                out.append(a->view());
                return {};
            }
            case Kind::Bool: {
                const bool* b = v.as_bool();
                if (b == nullptr) return std::unexpected(kind_mismatch(type));
                put_word(out, uint256(*b ? 1 : 0));
                return {};
            }
            case Kind::FixedBytes: {
                const bytes* b = v.as_bytes();
                if (b == nullptr) return std::unexpected(kind_mismatch(type));
                if (b->size() != type.size)
                    return std::unexpected(type.canonical() + " needs " +
                                           std::to_string(type.size) + " bytes, got " +
                                           std::to_string(b->size()));
                put_padded(out, *b);
                return {};
            }
            case Kind::Bytes:
            case Kind::String: {
                bytes_view data;
                if (const bytes* b = v.as_bytes())
                    data = *b;
                else if (const std::string* s = v.as_string())
                    data = as_bytes(*s);
                else
                    return std::unexpected(kind_mismatch(type));
                put_word(out, uint256(data.size()));
                put_padded(out, data);
                return {};
            }
            case Kind::Array:
            case Kind::FixedArray: {
                const ValueList* list = v.as_list();
                if (list == nullptr) return std::unexpected(kind_mismatch(type));
                if (type.kind == Kind::FixedArray && list->size() != type.size)
                    return std::unexpected(type.canonical() + " needs " +
                                           std::to_string(type.size) + " elements, got " +
                                           std::to_string(list->size()));
                if (type.kind == Kind::Array) put_word(out, uint256(list->size()));
                return sequence([&](size_t) -> const Type& { return type.components[0]; }, *list,
                                out);
            }
            case Kind::Tuple: {
                const ValueList* list = v.as_list();
                if (list == nullptr) return std::unexpected(kind_mismatch(type));
                if (list->size() != type.components.size())
                    return std::unexpected(type.canonical() + " needs " +
                                           std::to_string(type.components.size()) +
                                           " values, got " + std::to_string(list->size()));
                return sequence([&](size_t i) -> const Type& { return type.components[i]; }, *list,
                                out);
            }
        }
        return std::unexpected("unsupported type");
    }

    // Heads in order, then the tails of the dynamic members, offsets counted from the first head.
    template <typename TypeAt>
    std::expected<void, std::string> sequence(TypeAt type_at, std::span<const Value> values,
                                              bytes& out) {
        size_t head_size = 0;
        for (size_t i = 0; i < values.size(); ++i)
            head_size += type_at(i).head_size();
        bytes tail;
        for (size_t i = 0; i < values.size(); ++i) {
            const Type& t = type_at(i);
            if (t.is_dynamic()) {
                put_word(out, uint256(head_size + tail.size()));
                if (auto r = value(t, values[i], tail); !r) return r;
            } else {
                if (auto r = value(t, values[i], out); !r) return r;
            }
        }
        out += tail;
        return {};
    }
};

// ---------------------------------------------------------------- decoding

class Decoder {
public:
    // Every legitimate encoding spends a word per atomic value, length and 32 bytes of content;
    // offsets that point many values at the same data could otherwise make a small input decode
    // into an enormous tree, so the words read are limited to what the input could hold (twice,
    // for slack).
    explicit Decoder(size_t input_size) : budget_(2 * (input_size / kWord + 2)) {}

    // The value of `type` whose encoding starts at `region[at]`: static values inline, dynamic
    // ones at the start of their own region.
    std::expected<Value, std::string> value(const Type& type, bytes_view region, size_t at) {
        switch (type.kind) {
            case Kind::Uint:
            case Kind::Int:
            case Kind::Address:
            case Kind::Bool:
            case Kind::FixedBytes:
                return atomic(type, region, at);
            case Kind::Bytes:
            case Kind::String: {
                auto length = length_word(region, at, "length of " + type.canonical());
                if (!length) return std::unexpected(length.error());
                if (*length > region.size() - at - kWord)
                    return std::unexpected(type.canonical() + " of " + std::to_string(*length) +
                                           " bytes exceeds the data");
                if (!spend((*length + kWord - 1) / kWord)) return over_budget();
                const bytes_view content = region.substr(at + kWord, *length);
                if (type.kind == Kind::String)
                    return Value(std::string(content.begin(), content.end()));
                return Value(bytes(content));
            }
            case Kind::Array: {
                auto length = length_word(region, at, "length of " + type.canonical());
                if (!length) return std::unexpected(length.error());
                const Type& element = type.components[0];
                const size_t available = region.size() - at - kWord;
                if (*length > available / element.head_size())
                    return std::unexpected(type.canonical() + " of " + std::to_string(*length) +
                                           " elements exceeds the data");
                return sequence([&](size_t) -> const Type& { return element; }, *length,
                                region.substr(at + kWord));
            }
            case Kind::FixedArray: {
                const Type& element = type.components[0];
                if (type.is_dynamic())
                    return sequence([&](size_t) -> const Type& { return element; }, type.size,
                                    region.substr(at));
                // Static: inline in the enclosing head, with no region of its own.
                if (type.head_size() > region.size() - at) return truncated(type);
                ValueList list;
                list.reserve(type.size);
                for (size_t i = 0; i < type.size; ++i) {
                    auto v = value(element, region, at + i * element.head_size());
                    if (!v) return v;
                    list.push_back(std::move(*v));
                }
                return Value(std::move(list));
            }
            case Kind::Tuple: {
                if (type.is_dynamic())
                    return sequence([&](size_t i) -> const Type& { return type.components[i]; },
                                    type.components.size(), region.substr(at));
                if (type.head_size() > region.size() - at) return truncated(type);
                ValueList list;
                list.reserve(type.components.size());
                size_t offset = at;
                for (const Type& member : type.components) {
                    auto v = value(member, region, offset);
                    if (!v) return v;
                    list.push_back(std::move(*v));
                    offset += member.head_size();
                }
                return Value(std::move(list));
            }
        }
        return std::unexpected("unsupported type");
    }

    // `count` values laid out as a tuple at the start of `region`.
    template <typename TypeAt>
    std::expected<Value, std::string> sequence(TypeAt type_at, size_t count, bytes_view region) {
        size_t head = 0;
        for (size_t i = 0; i < count; ++i) {
            head += type_at(i).head_size();
            if (head > region.size()) return std::unexpected(std::string("data too short"));
        }
        ValueList list;
        list.reserve(count);
        size_t at = 0;
        for (size_t i = 0; i < count; ++i) {
            const Type& t = type_at(i);
            std::expected<Value, std::string> v;
            if (t.is_dynamic()) {
                if (!spend(1)) return over_budget();
                auto offset = length_word(region, at, "offset of " + t.canonical());
                if (!offset) return std::unexpected(offset.error());
                // The value needs at least its first word there.
                if (*offset > region.size() || region.size() - *offset < kWord)
                    return std::unexpected("offset " + std::to_string(*offset) + " of " +
                                           t.canonical() + " is outside the data");
                v = value(t, region.substr(*offset), 0);
            } else {
                v = value(t, region, at);
            }
            if (!v) return v;
            list.push_back(std::move(*v));
            at += t.head_size();
        }
        return Value(std::move(list));
    }

private:
    size_t budget_;

    bool spend(size_t words) {
        if (words > budget_) return false;
        budget_ -= words;
        return true;
    }
    static std::unexpected<std::string> over_budget() {
        return std::unexpected(std::string("encoding reuses its data too many times"));
    }
    static std::unexpected<std::string> truncated(const Type& type) {
        return std::unexpected("data too short for " + type.canonical());
    }

    // A word holding a length or offset, which must fit the data's size range.
    std::expected<size_t, std::string> length_word(bytes_view region, size_t at,
                                                   const std::string& what) {
        if (region.size() < kWord || at > region.size() - kWord)
            return std::unexpected("data too short for " + what);
        const uint256 v = uint256::load_be(region.data() + at);
        if (!v.fits_u64() || v.low64() > (uint64_t{1} << 40))
            return std::unexpected(what + " too large");
        return static_cast<size_t>(v.low64());
    }

    std::expected<Value, std::string> atomic(const Type& type, bytes_view region, size_t at) {
        if (region.size() < kWord || at > region.size() - kWord) return truncated(type);
        if (!spend(1)) return over_budget();
        const uint8_t* word = region.data() + at;
        const uint256 v = uint256::load_be(word);
        const auto bad = [&] {
            return std::unexpected("bad " + type.canonical() +
                                   " padding: " + to_hex(bytes_view(word, kWord)));
        };
        switch (type.kind) {
            case Kind::Uint:
                if (!fits_unsigned(v, type.size)) return bad();
                return Value(v);
            case Kind::Int:
                if (!fits_signed(v, type.size)) return bad();
                return Value(v);
            case Kind::Address:
                if (!fits_unsigned(v, 160)) return bad();
                return Value(address::from_view(bytes_view(word, kWord)));
            case Kind::Bool:
                if (v > 1) return bad();
                return Value(v == 1);
            case Kind::FixedBytes:
                for (size_t i = type.size; i < kWord; ++i)
                    if (word[i] != 0) return bad();
                return Value(bytes(word, type.size));
            default:
                return std::unexpected(std::string("not an atomic type"));
        }
    }
};

const std::vector<std::pair<uint64_t, std::string_view>> kPanicReasons = {
    {0x00, "generic panic"},
    {0x01, "assert(false)"},
    {0x11, "arithmetic underflow or overflow"},
    {0x12, "division or modulo by zero"},
    {0x21, "enum overflow"},
    {0x22, "invalid encoded storage byte array accessed"},
    {0x31, "out-of-bounds array access; popping on an empty array"},
    {0x32, "out-of-bounds access of an array or bytesN"},
    {0x41, "out of memory"},
    {0x51, "uninitialized function"},
};

}  // namespace

// ---------------------------------------------------------------- Type

bool Type::is_dynamic() const {
    switch (kind) {
        case Kind::Bytes:
        case Kind::String:
        case Kind::Array:
            return true;
        case Kind::FixedArray:
            return components[0].is_dynamic();
        case Kind::Tuple:
            for (const Type& c : components)
                if (c.is_dynamic()) return true;
            return false;
        default:
            return false;
    }
}

size_t Type::head_size() const {
    if (is_dynamic()) return kWord;
    switch (kind) {
        case Kind::FixedArray:
            return size * components[0].head_size();
        case Kind::Tuple: {
            size_t total = 0;
            for (const Type& c : components)
                total += c.head_size();
            return total;
        }
        default:
            return kWord;
    }
}

std::string Type::canonical() const {
    switch (kind) {
        case Kind::Uint:
            return "uint" + std::to_string(size);
        case Kind::Int:
            return "int" + std::to_string(size);
        case Kind::Address:
            return "address";
        case Kind::Bool:
            return "bool";
        case Kind::FixedBytes:
            return "bytes" + std::to_string(size);
        case Kind::Bytes:
            return "bytes";
        case Kind::String:
            return "string";
        case Kind::Array:
            return components[0].canonical() + "[]";
        case Kind::FixedArray:
            return components[0].canonical() + "[" + std::to_string(size) + "]";
        case Kind::Tuple: {
            std::string s = "(";
            for (size_t i = 0; i < components.size(); ++i) {
                if (i > 0) s += ',';
                s += components[i].canonical();
            }
            return s + ")";
        }
    }
    return "?";
}

std::expected<Type, std::string> parse_type(std::string_view text) {
    return TypeParser(text).whole_type();
}

std::expected<std::vector<Type>, std::string> parse_types(std::string_view text) {
    return TypeParser(text).whole_list();
}

// ---------------------------------------------------------------- codec

std::expected<bytes, std::string> encode(std::span<const Type> types,
                                         std::span<const Value> values) {
    if (types.size() != values.size())
        return std::unexpected("expected " + std::to_string(types.size()) + " values, got " +
                               std::to_string(values.size()));
    bytes out;
    Encoder encoder;
    auto r = encoder.sequence([&](size_t i) -> const Type& { return types[i]; }, values, out);
    if (!r) return std::unexpected(r.error());
    return out;
}

std::expected<bytes, std::string> encode(const Type& type, const Value& value) {
    return encode(std::span<const Type>(&type, 1), std::span<const Value>(&value, 1));
}

std::expected<ValueList, std::string> decode(std::span<const Type> types, bytes_view data) {
    Decoder decoder(data.size());
    auto v =
        decoder.sequence([&](size_t i) -> const Type& { return types[i]; }, types.size(), data);
    if (!v) return std::unexpected(v.error());
    return std::move(std::get<ValueList>(v->data));
}

std::expected<Value, std::string> decode(const Type& type, bytes_view data) {
    auto list = decode(std::span<const Type>(&type, 1), data);
    if (!list) return std::unexpected(list.error());
    return std::move((*list)[0]);
}

fixed_bytes<4> selector(std::string_view signature) {
    const hash256 h = keccak256(as_bytes(signature));
    fixed_bytes<4> s;
    std::memcpy(s.bytes, h.bytes, 4);
    return s;
}

std::string Function::canonical() const {
    std::string s = name + "(";
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (i > 0) s += ',';
        s += inputs[i].canonical();
    }
    return s + ")";
}

std::expected<Function, std::string> parse_function(std::string_view signature) {
    const size_t open = signature.find('(');
    if (open == std::string_view::npos || open == 0 || !signature.ends_with(')'))
        return std::unexpected("bad function signature \"" + std::string(signature) + "\"");
    Function f;
    f.name = std::string(signature.substr(0, open));
    for (char c : f.name)
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '$')
            return std::unexpected("bad function name \"" + f.name + "\"");
    auto inputs = parse_types(signature.substr(open));
    if (!inputs) return std::unexpected(inputs.error());
    f.inputs = std::move(*inputs);
    return f;
}

std::expected<bytes, std::string> encode_call(std::string_view signature,
                                              std::span<const Value> args) {
    auto f = parse_function(signature);
    if (!f) return std::unexpected(f.error());
    auto body = encode(f->inputs, args);
    if (!body) return body;
    const auto sel = selector(f->canonical());
    bytes out(sel.view());
    out += *body;
    return out;
}

std::optional<RevertReason> decode_revert(bytes_view output) {
    if (output.size() < 4) return std::nullopt;
    const bytes_view head = output.substr(0, 4);
    const bytes_view body = output.substr(4);
    if (head == kErrorSelector.view()) {
        const Type string_type{Kind::String, 0, {}};
        auto v = decode(string_type, body);
        if (!v) return std::nullopt;
        return RevertReason{false, *v->as_string(), {}};
    }
    if (head == kPanicSelector.view()) {
        const Type uint_type{Kind::Uint, 256, {}};
        auto v = decode(uint_type, body);
        if (!v) return std::nullopt;
        const uint256 code = *v->as_uint();
        RevertReason r{true, "unknown panic code: " + to_hex(code), code};
        for (const auto& [known, text] : kPanicReasons)
            if (code == known) r.message = std::string(text);
        return r;
    }
    return std::nullopt;
}

std::optional<std::string> revert_reason_text(bytes_view output) {
    auto r = decode_revert(output);
    if (!r) return std::nullopt;
    return std::move(r->message);
}

namespace {

std::string value_text(const Value& v) {
    if (const auto* n = v.as_uint()) return to_string(*n);
    if (const auto* a = v.as_address()) return to_hex(*a);
    if (const auto* b = v.as_bytes()) return to_hex(*b);
    if (const auto* s = v.as_string()) return "\"" + *s + "\"";
    if (const auto* list = v.as_list()) {
        std::string out = "[";
        for (size_t i = 0; i < list->size(); ++i)
            out += (i ? ", " : "") + value_text((*list)[i]);
        return out + "]";
    }
    if (const auto* flag = std::get_if<bool>(&v.data)) return *flag ? "true" : "false";
    return "?";
}

}  // namespace

std::optional<std::string> custom_error_text(bytes_view output,
                                             std::span<const std::string_view> signatures) {
    if (output.size() < 4) return std::nullopt;
    for (std::string_view signature : signatures) {
        const auto s = selector(signature);
        if (!std::equal(s.bytes, s.bytes + 4, output.begin())) continue;
        auto function = parse_function(signature);
        if (!function) return std::nullopt;
        auto values = decode(function->inputs, output.substr(4));
        if (!values) return std::nullopt;
        std::string text = function->name + "(";
        for (size_t i = 0; i < values->size(); ++i)
            text += (i ? ", " : "") + value_text((*values)[i]);
        return text + ")";
    }
    return std::nullopt;
}

}  // namespace krnl::abi
