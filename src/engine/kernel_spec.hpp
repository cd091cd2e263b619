// Kernel specs: the JSON a kernel owner registers, one shape per kind (evm-read, http,
// evm-compute), parsed strictly, with the canonical bytes whose keccak the registry stores.
//
// Canonical form: the spec's JSON with object keys sorted by their UTF-8 bytes, no whitespace,
// strings as UTF-8 with only '"', '\\' and control characters escaped (\u00XX lowercase), integers
// in decimal. Floating-point numbers are not allowed anywhere in a spec (write decimals as
// strings), so every spec has exactly one canonical form.
//
// Templates: kernel arguments (evm-read and evm-compute `args`, http `body`) are JSON values in
// which a string that is exactly a reference is replaced by the referenced value; http `url`,
// `headers` and `query` values are strings in which "{{reference}}" is replaced by the value's
// text. References:
//   $sender        the sender of the call being authorised (address)
//   $app           the app contract (address)
//   $args[i]       the i-th decoded argument of the call being authorised
//   $input[i]      the i-th input the request supplies for this kernel
// A literal string that starts with '$' is written with "$$". Requests may further use
// $kernel:<k>[<j>] (output j of the request's kernel k) as an input; specs may not.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/abi.hpp"
#include "common/bytes.hpp"

namespace krnl::engine {

using json = nlohmann::json;

enum class KernelKind { EvmRead, Http, EvmCompute };
std::string_view kind_name(KernelKind kind);  // "evm-read", "http", "evm-compute"

// Limits a spec is checked against.
inline constexpr uint64_t kMaxComputeGas = 10'000'000;  // also the default gas of evm-compute
inline constexpr uint64_t kDefaultHttpTimeoutMs = 10'000;
inline constexpr uint64_t kMaxHttpTimeoutMs = 60'000;
inline constexpr uint64_t kDefaultHttpMaxBytes = 1 << 20;
inline constexpr uint64_t kMaxHttpMaxBytes = 16 << 20;
inline constexpr size_t kMaxCodeSize = 24576;  // EIP-170
inline constexpr size_t kMaxSpecValues = 64;   // args, outputs, headers, query parameters

struct Reference {
    enum class Kind { Sender, App, Arg, Input, KernelOutput };
    Kind kind = Kind::Sender;
    size_t index = 0;   // Arg, Input: the position; KernelOutput: the kernel's position
    size_t output = 0;  // KernelOutput: the output's position

    std::string text() const;
    friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses "$sender", "$app", "$args[2]", "$input[0]", "$kernel:1[0]". Indices are decimal without
// leading zeros, at most 1023.
std::expected<Reference, std::string> parse_reference(std::string_view text);

// Whether a template string is a reference (starts with '$' but not "$$").
bool is_reference_text(std::string_view text);

// A JSON path into an HTTP response: "$", ".name", "['name']" / "[\"name\"]", "[index]".
struct JsonPath {
    struct Step {
        std::variant<std::string, size_t> key;  // member name or array index
    };
    std::string text;
    std::vector<Step> steps;
};
std::expected<JsonPath, std::string> parse_json_path(std::string_view text);

struct EvmReadSpec {
    uint64_t chain_id = 0;
    address to;
    std::string signature;  // canonical, e.g. "isApproved(address,uint256)"
    abi::Function function;
    std::vector<json> args;  // templates, one per function input
    std::vector<abi::Type> outputs;
    std::optional<uint64_t> block;  // nullopt: latest
};

struct HttpOutput {
    JsonPath path;
    abi::Type type;
    unsigned decimals = 0;
};

struct HttpSpec {
    std::string method;  // "GET" or "POST"
    std::string url;     // template: "{{ref}}" allowed in the path and query only
    std::vector<std::pair<std::string, std::string>> headers;  // values are templates
    std::vector<std::pair<std::string, std::string>> query;    // appended to the URL, encoded
    std::optional<json> body;                                  // POST only; a template
    std::vector<HttpOutput> outputs;
    std::chrono::milliseconds timeout{kDefaultHttpTimeoutMs};
    uint64_t max_bytes = kDefaultHttpMaxBytes;
};

struct EvmComputeSpec {
    bytes code;  // runtime bytecode
    // With a function, the call data is its selector and the ABI-encoded args; without one, the
    // plain ABI encoding of the args typed by `inputs`.
    std::optional<abi::Function> function;
    std::string signature;  // canonical, when there is a function
    std::vector<abi::Type> inputs;
    std::vector<json> args;
    std::vector<abi::Type> outputs;
    uint64_t gas = kMaxComputeGas;
};

struct KernelSpec {
    std::variant<EvmReadSpec, HttpSpec, EvmComputeSpec> body;
    std::string canonical;  // canonical JSON text
    hash256 hash;           // keccak256(canonical)

    KernelKind kind() const { return static_cast<KernelKind>(body.index()); }
    // The ABI types of the kernel's result, in order.
    std::vector<abi::Type> output_types() const;
};

// Strict parsing: unknown fields, missing required fields, wrong JSON types, bad URLs, bad ABI
// types, literal arguments that do not fit their type and malformed references are errors that
// name the field ("outputs[1].type: ...").
std::expected<KernelSpec, std::string> parse_kernel_spec(const json& spec);
std::expected<KernelSpec, std::string> parse_kernel_spec(std::string_view text);

// The canonical JSON text described above (fails on floating-point numbers).
std::expected<std::string, std::string> canonical_json(const json& value);

}  // namespace krnl::engine
