// JSON <-> ABI values for kernels: literal arguments in specs and requests, values picked out of an
// HTTP response, and exact decimal scaling ("12.345" x 10^8) without floating point.
#pragma once

#include <expected>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/abi.hpp"

namespace krnl::engine {

using json = nlohmann::json;

// A JSON document parsed so that every number keeps the exact text it was written with: the DOM
// holds doubles for numbers with a fraction or exponent and for integers beyond 64 bits, and
// `raw_numbers` maps the JSON pointer of each such number ("/data/price") to its text.
struct ExactJson {
    json value;
    std::map<std::string, std::string> raw_numbers;
};

// Strict RFC 8259 parsing (no comments, no trailing commas), nesting limited to `max_depth`.
std::expected<ExactJson, std::string> parse_exact_json(std::string_view text,
                                                       size_t max_depth = 128);

// `digits` (a JSON number's text or a decimal string: optional '-', digits, optional fraction and
// exponent) multiplied by 10^decimals. Exact: fails when the product is not an integer or does not
// fit in 256 bits (two's complement for negative values, which only signed targets accept).
struct ScaledInteger {
    uint256 magnitude;
    bool negative = false;
};
std::expected<ScaledInteger, std::string> scale_decimal(std::string_view text, unsigned decimals);

struct JsonToAbiOptions {
    unsigned decimals = 0;  // integers: the JSON value is scaled by 10^decimals
    // Raw text of inexact numbers (from parse_exact_json) and the pointer of `value` within that
    // document, so numbers beyond double precision stay exact.
    const std::map<std::string, std::string>* raw_numbers = nullptr;
    std::string pointer;
};

// The ABI value of `type` that a JSON value stands for:
//   uintN/intN  a JSON integer or a decimal / 0x-hex string (with `decimals`: a decimal string or
//               number with a fraction, scaled exactly); negative only for intN
//   address     a 0x-prefixed 40-digit hex string
//   bool        true / false
//   bytesN      0x-hex of exactly N bytes; bytes: any 0x-hex
//   string      a JSON string
//   T[] / T[k]  a JSON array (of k elements); tuples: a JSON array of their members
// The value is range-checked against the type. Errors describe the mismatch.
std::expected<abi::Value, std::string> json_to_abi(const abi::Type& type, const json& value,
                                                   const JsonToAbiOptions& options = {});

// The JSON form of an ABI value: integers as decimal strings (signed types with a '-'), addresses,
// bytes and bytesN as 0x-hex, bools and strings as themselves, lists as arrays.
json abi_to_json(const abi::Type& type, const abi::Value& value);

// What a JSON value is, for messages: "a string", "an integer", "null", ...
std::string json_kind(const json& value);

// The text of an ABI value for interpolation into a URL or header: as abi_to_json, without quotes.
std::string abi_to_text(const abi::Type& type, const abi::Value& value);

}  // namespace krnl::engine
