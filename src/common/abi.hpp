// The Solidity contract ABI: type strings, a value tree, strict encoding and decoding, function
// selectors and the standard revert payloads Error(string) and Panic(uint256).
#pragma once

#include <concepts>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.hpp"
#include "common/uint256.hpp"

namespace krnl::abi {

struct Type {
    enum class Kind : uint8_t {
        Uint,  // uintN: `size` bits
        Int,   // intN: `size` bits
        Address,
        Bool,
        FixedBytes,  // bytesN: `size` bytes
        Bytes,
        String,
        Array,       // T[]: element in components[0]
        FixedArray,  // T[k]: element in components[0], k in `size`
        Tuple,       // (T1,...,Tn): members in components
    };
    Kind kind = Kind::Uint;
    size_t size = 256;
    std::vector<Type> components;

    // Whether the encoding is referenced by an offset from its enclosing tuple.
    bool is_dynamic() const;
    // Bytes the type occupies in its enclosing head: 32 when dynamic, else its full encoding.
    size_t head_size() const;
    // The canonical spelling used in signatures ("uint256", "(address,bytes)[2]").
    std::string canonical() const;

    friend bool operator==(const Type&, const Type&) = default;
};

// One type ("uint" and "int" mean their 256-bit forms). Nesting is limited to 32 levels so hostile
// type strings cannot exhaust the stack.
std::expected<Type, std::string> parse_type(std::string_view text);
// A comma-separated list, with or without surrounding parentheses: "address,uint256",
// "(address,uint256)", "" and "()" (no types).
std::expected<std::vector<Type>, std::string> parse_types(std::string_view text);

// A value for one type. Integers (signed ones as two's complement) are uint256; bytesN and bytes
// are `bytes`; arrays and tuples are lists.
struct Value;
using ValueList = std::vector<Value>;
struct Value {
    std::variant<uint256, address, bool, bytes, std::string, ValueList> data;

    Value() = default;
    Value(uint256 v) : data(v) {}
    Value(uint64_t v) : data(uint256(v)) {}
    Value(const address& v) : data(v) {}
    // Only a real bool: integers and pointers must not silently become one.
    template <typename B>
    requires std::same_as<B, bool> Value(B v) : data(v) {}
    Value(bytes v) : data(std::move(v)) {}
    Value(std::string v) : data(std::move(v)) {}
    Value(const char* v) : data(std::string(v)) {}
    Value(ValueList v) : data(std::move(v)) {}
    // A signed integer for intN types.
    static Value signed_int(int64_t v) {
        return Value(v < 0 ? -uint256(static_cast<uint64_t>(-(v + 1))) - 1
                           : uint256(static_cast<uint64_t>(v)));
    }

    const uint256* as_uint() const { return std::get_if<uint256>(&data); }
    const address* as_address() const { return std::get_if<address>(&data); }
    const bool* as_bool() const { return std::get_if<bool>(&data); }
    const bytes* as_bytes() const { return std::get_if<bytes>(&data); }
    const std::string* as_string() const { return std::get_if<std::string>(&data); }
    const ValueList* as_list() const { return std::get_if<ValueList>(&data); }

    friend bool operator==(const Value&, const Value&) = default;
};

// The ABI encoding of `values` as the tuple of `types` (function arguments, abi.encode). Fails when
// a value does not fit its type (wrong kind, out of range, wrong length).
std::expected<bytes, std::string> encode(std::span<const Type> types,
                                         std::span<const Value> values);
std::expected<bytes, std::string> encode(const Type& type, const Value& value);

// Strict decoding of the tuple of `types` from `data`: offsets and lengths must lie inside the
// data, and static values must be canonically padded (addresses, bools, uintN/intN, bytesN).
// Trailing bytes after the encoded tuple are allowed, as Solidity allows them.
std::expected<ValueList, std::string> decode(std::span<const Type> types, bytes_view data);
std::expected<Value, std::string> decode(const Type& type, bytes_view data);

// First four bytes of keccak256 of a canonical signature: "transfer(address,uint256)".
fixed_bytes<4> selector(std::string_view signature);

// A function signature "name(T1,T2)" split and parsed; the returned canonical form is what
// `selector` hashes ("f(uint)" becomes "f(uint256)").
struct Function {
    std::string name;
    std::vector<Type> inputs;
    std::string canonical() const;
};
std::expected<Function, std::string> parse_function(std::string_view signature);

// selector ‖ encode(inputs, args).
std::expected<bytes, std::string> encode_call(std::string_view signature,
                                              std::span<const Value> args);

// Revert payloads. `Error(string)` (0x08c379a0) carries a message; `Panic(uint256)` (0x4e487b71) a
// code that Solidity documents. Anything else is not a standard reason.
inline constexpr fixed_bytes<4> kErrorSelector{{0x08, 0xc3, 0x79, 0xa0}};
inline constexpr fixed_bytes<4> kPanicSelector{{0x4e, 0x48, 0x7b, 0x71}};
struct RevertReason {
    bool is_panic = false;
    std::string message;  // the Error string, or the panic description
    uint256 panic_code;
};
std::optional<RevertReason> decode_revert(bytes_view output);
// The text a node shows after "execution reverted: " (the Error string or the panic description,
// as geth words it), or nullopt when the output is no standard reason.
std::optional<std::string> revert_reason_text(bytes_view output);
// `output` as one of the custom errors `signatures` ("Name(uint256,address)"), written
// "Name(7, 0xab…)": integers in decimal, addresses and bytes in hex. nullopt when its selector is
// none of theirs or its arguments do not decode.
std::optional<std::string> custom_error_text(bytes_view output,
                                             std::span<const std::string_view> signatures);

}  // namespace krnl::abi
