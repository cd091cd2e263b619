#include "rpc/params.hpp"

namespace krnl::rpc {
namespace {

std::expected<std::string_view, std::string> hex_body(const json& v) {
    if (!v.is_string())
        return std::unexpected("expected a hex string, got " + std::string(v.type_name()));
    std::string_view s = v.get_ref<const std::string&>();
    if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return std::unexpected("hex string without 0x prefix");
    return s.substr(2);
}

template <size_t N>
std::expected<fixed_bytes<N>, std::string> parse_fixed(const json& v, const char* type_name) {
    auto body = hex_body(v);
    if (!body) return std::unexpected(body.error());
    if (body->size() != 2 * N)
        return std::unexpected("hex string has length " + std::to_string(body->size()) + ", want " +
                               std::to_string(2 * N) + " for " + type_name);
    auto r = fixed_from_hex<N>(*body);
    if (!r) return std::unexpected("invalid hex string");
    return *r;
}

}  // namespace

std::expected<address, std::string> parse_address(const json& v) {
    return parse_fixed<20>(v, "common.Address");
}

std::expected<hash256, std::string> parse_hash(const json& v) {
    return parse_fixed<32>(v, "common.Hash");
}

std::expected<uint256, std::string> parse_quantity(const json& v) {
    auto body = hex_body(v);
    if (!body) return std::unexpected(body.error());
    if (body->empty()) return std::unexpected("hex string \"0x\"");
    if (body->size() > 1 && (*body)[0] == '0')
        return std::unexpected("hex number with leading zero digits");
    if (body->size() > 64) return std::unexpected("hex number > 256 bits");
    uint256 r;
    for (char c : *body) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return std::unexpected("invalid hex string");
        r = (r << 4) | uint256(static_cast<uint64_t>(d));
    }
    return r;
}

std::expected<uint64_t, std::string> parse_u64(const json& v) {
    auto r = parse_quantity(v);
    if (!r) return std::unexpected(r.error());
    if (*r > uint256(UINT64_MAX)) return std::unexpected("hex number > 64 bits");
    return r->w[0];
}

std::expected<bytes, std::string> parse_data(const json& v) {
    auto body = hex_body(v);
    if (!body) return std::unexpected(body.error());
    if (body->size() % 2 != 0) return std::unexpected("hex string of odd length");
    auto r = from_hex(*body);
    if (!r) return std::unexpected("invalid hex string");
    return std::move(*r);
}

std::expected<BlockRef, std::string> parse_block_ref(const json& v) {
    using Tag = BlockRef::Tag;
    if (v.is_object()) {
        BlockRef ref;
        if (const auto h = v.find("blockHash"); h != v.end()) {
            auto hash = parse_hash(*h);
            if (!hash) return std::unexpected("blockHash: " + hash.error());
            ref.tag = Tag::Hash;
            ref.hash = *hash;
            if (const auto rc = v.find("requireCanonical"); rc != v.end() && rc->is_boolean())
                ref.require_canonical = rc->get<bool>();
            return ref;
        }
        if (const auto n = v.find("blockNumber"); n != v.end()) return parse_block_ref(*n);
        return std::unexpected("block object needs blockHash or blockNumber");
    }
    if (!v.is_string()) return std::unexpected("invalid block number or tag");
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "latest") return BlockRef{Tag::Latest};
    if (s == "earliest") return BlockRef{Tag::Earliest};
    if (s == "pending") return BlockRef{Tag::Pending};
    if (s == "safe") return BlockRef{Tag::Safe};
    if (s == "finalized") return BlockRef{Tag::Finalized};
    if (s.size() == 66) {  // a bare block hash, as geth accepts
        auto hash = parse_hash(v);
        if (hash) return BlockRef{Tag::Hash, 0, *hash};
    }
    auto n = parse_u64(v);
    if (!n) return std::unexpected(n.error());
    return BlockRef{Tag::Number, *n};
}

std::string to_quantity(uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    char buf[20];
    char* p = buf + sizeof buf;
    do {
        *--p = kDigits[v & 15];
        v >>= 4;
    } while (v != 0);
    return "0x" + std::string(p, buf + sizeof buf);
}

std::string to_quantity(const uint256& v) {
    return krnl::to_hex(v);
}

Result<void> Params::at_most(size_t n) const {
    for (size_t i = n; i < size(); ++i)
        if (!params_[i].is_null())
            return error(code::kInvalidParams,
                         "too many arguments, want at most " + std::to_string(n));
    return {};
}

Result<uint64_t> Params::number_u64(size_t i) const {
    if (!has(i)) return std::unexpected(missing(i));
    const json& v = at(i);
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number()) return std::unexpected(invalid(i, "expected a non-negative integer"));
    return u64(i);
}

Result<uint256> Params::number_u256(size_t i) const {
    if (!has(i)) return std::unexpected(missing(i));
    const json& v = at(i);
    if (v.is_number_unsigned()) return uint256(v.get<uint64_t>());
    if (v.is_number()) return std::unexpected(invalid(i, "expected a non-negative integer"));
    return quantity(i);
}

Result<uint256> Params::slot(size_t i) const {
    if (!has(i)) return std::unexpected(missing(i));
    if (auto q = parse_quantity(params_[i])) return *q;
    auto h = parse_hash(params_[i]);
    if (!h) return std::unexpected(invalid(i, "expected a storage slot (a quantity or 32 bytes)"));
    return uint256::load_be(h->bytes);
}

Result<bool> Params::boolean(size_t i) const {
    if (!has(i)) return std::unexpected(missing(i));
    if (!params_[i].is_boolean()) return std::unexpected(invalid(i, "expected a boolean"));
    return params_[i].get<bool>();
}

Result<std::string> Params::string(size_t i) const {
    if (!has(i)) return std::unexpected(missing(i));
    if (!params_[i].is_string()) return std::unexpected(invalid(i, "expected a string"));
    return params_[i].get<std::string>();
}

Result<const json*> Params::object(size_t i) const {
    if (!has(i)) return std::unexpected(missing(i));
    if (!params_[i].is_object()) return std::unexpected(invalid(i, "expected an object"));
    return &params_[i];
}

}  // namespace krnl::rpc
