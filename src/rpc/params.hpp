// Typed access to JSON-RPC parameters and the Ethereum JSON encodings (quantities, data, block
// references). Errors are -32602 with geth's wording: "invalid argument 0: hex string has length
// 38, want 40 for common.Address".
#pragma once

#include <variant>

#include "common/bytes.hpp"
#include "common/uint256.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

// Parsers of one JSON value. On failure the error says what is wrong with the value; the caller
// adds where it was (argument index or field name).
std::expected<address, std::string> parse_address(const json& v);
std::expected<hash256, std::string> parse_hash(const json& v);
std::expected<uint256, std::string> parse_quantity(const json& v);
std::expected<uint64_t, std::string> parse_u64(const json& v);
std::expected<bytes, std::string> parse_data(const json& v);

// A block as a request names it.
struct BlockRef {
    enum class Tag { Number, Latest, Earliest, Pending, Safe, Finalized, Hash };
    Tag tag = Tag::Latest;
    uint64_t number = 0;
    hash256 hash;
    bool require_canonical = false;
};
std::expected<BlockRef, std::string> parse_block_ref(const json& v);

std::string to_quantity(uint64_t v);
std::string to_quantity(const uint256& v);
inline std::string to_data(bytes_view v) {
    return to_hex(v);
}

class Params {
public:
    explicit Params(const json& params) : params_(params) {}

    size_t size() const { return params_.is_array() ? params_.size() : 0; }
    // Present and not null.
    bool has(size_t i) const { return i < size() && !params_[i].is_null(); }
    const json& at(size_t i) const { return params_[i]; }

    // Fails when more than `n` arguments are given (trailing nulls are allowed, as in geth).
    Result<void> at_most(size_t n) const;

    Result<krnl::address> address(size_t i) const { return get(i, parse_address); }
    Result<hash256> hash(size_t i) const { return get(i, parse_hash); }
    Result<uint256> quantity(size_t i) const { return get(i, parse_quantity); }
    Result<uint64_t> u64(size_t i) const { return get(i, parse_u64); }
    Result<bytes> data(size_t i) const { return get(i, parse_data); }
    Result<BlockRef> block(size_t i) const {
        if (!has(i)) return BlockRef{};  // omitted: latest
        return get(i, parse_block_ref);
    }
    // A count, time or amount as anvil and Hardhat take it: a JSON number or a hex quantity.
    Result<uint64_t> number_u64(size_t i) const;
    Result<uint256> number_u256(size_t i) const;
    // A storage slot, as a quantity or as 32 bytes (clients send both).
    Result<uint256> slot(size_t i) const;
    Result<bool> boolean(size_t i) const;
    Result<std::string> string(size_t i) const;
    // A required object (call and transaction objects, filters, options).
    Result<const json*> object(size_t i) const;

    static RpcError invalid(size_t i, std::string_view what) {
        return {code::kInvalidParams,
                "invalid argument " + std::to_string(i) + ": " + std::string(what)};
    }
    static RpcError missing(size_t i) {
        return {code::kInvalidParams, "missing value for required argument " + std::to_string(i)};
    }

private:
    template <typename F>
    auto get(size_t i, F parse) const
        -> Result<typename std::invoke_result_t<F, const json&>::value_type> {
        if (!has(i)) return std::unexpected(missing(i));
        auto r = parse(params_[i]);
        if (!r) return std::unexpected(invalid(i, r.error()));
        return *r;
    }

    const json& params_;
};

// Reads an optional field of a request object; errors name the field.
template <typename T, typename F>
Result<std::optional<T>> optional_field(const json& obj, const char* name, F parse) {
    const auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return std::optional<T>{};
    auto r = parse(*it);
    if (!r)
        return error(code::kInvalidParams,
                     std::string("invalid argument: field ") + name + ": " + r.error());
    return std::optional<T>(std::move(*r));
}

}  // namespace krnl::rpc
