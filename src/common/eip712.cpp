#include "common/eip712.hpp"

#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "common/abi.hpp"
#include "common/keccak.hpp"
#include "common/uint256.hpp"

namespace krnl::eip712 {
namespace {

constexpr int kMaxDepth = 64;

struct Member {
    std::string name;
    std::string type;
};
using TypeMap = std::map<std::string, std::vector<Member>, std::less<>>;

using Unexpected = std::unexpected<std::string>;

std::expected<TypeMap, std::string> read_types(const json& types) {
    if (!types.is_object()) return Unexpected("types must be an object");
    TypeMap map;
    for (const auto& [name, members] : types.items()) {
        if (!members.is_array()) return Unexpected("types." + name + " must be an array");
        std::vector<Member> list;
        for (const json& m : members) {
            if (!m.is_object() || !m.contains("name") || !m.contains("type") ||
                !m["name"].is_string() || !m["type"].is_string())
                return Unexpected("types." + name + " members need string name and type");
            list.push_back({m["name"].get<std::string>(), m["type"].get<std::string>()});
        }
        map.emplace(name, std::move(list));
    }
    return map;
}

// "Person[2][]" -> "Person".
std::string_view base_type(std::string_view type) {
    const size_t bracket = type.find('[');
    return bracket == std::string_view::npos ? type : type.substr(0, bracket);
}

void collect_dependencies(const TypeMap& types, std::string_view name, std::set<std::string>& out) {
    auto it = types.find(name);
    if (it == types.end() || out.contains(std::string(name))) return;
    out.insert(std::string(name));
    for (const Member& m : it->second)
        collect_dependencies(types, base_type(m.type), out);
}

std::string encode_type_of(const TypeMap& types, std::string_view primary) {
    std::set<std::string> deps;
    collect_dependencies(types, primary, deps);
    deps.erase(std::string(primary));
    std::string out;
    const auto append = [&](std::string_view name) {
        out += name;
        out += '(';
        const auto& members = types.find(name)->second;
        for (size_t i = 0; i < members.size(); ++i) {
            if (i > 0) out += ',';
            out += members[i].type;
            out += ' ';
            out += members[i].name;
        }
        out += ')';
    };
    append(primary);
    for (const std::string& dep : deps)
        append(dep);
    return out;
}

// An integer from a JSON number or a decimal / hex string, as two's complement.
std::expected<uint256, std::string> read_integer(const json& v, const std::string& path) {
    if (v.is_number_unsigned()) return uint256(v.get<uint64_t>());
    if (v.is_number_integer()) {
        const int64_t i = v.get<int64_t>();
        return i < 0 ? -uint256(static_cast<uint64_t>(-(i + 1))) - 1
                     : uint256(static_cast<uint64_t>(i));
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::floor(d) != d || std::fabs(d) >= 9007199254740992.0)
            return Unexpected(path + ": number " + v.dump() +
                              " is not an exact integer (pass large values as strings)");
        const auto i = static_cast<int64_t>(d);
        return i < 0 ? -uint256(static_cast<uint64_t>(-i)) : uint256(static_cast<uint64_t>(i));
    }
    if (v.is_string()) {
        std::string_view s = v.get_ref<const std::string&>();
        const bool negative = s.starts_with('-');
        if (negative) s.remove_prefix(1);
        auto parsed = parse_uint256(s);
        if (!parsed) return Unexpected(path + ": \"" + v.get<std::string>() + "\" is not a number");
        return negative ? -*parsed : *parsed;
    }
    return Unexpected(path + ": expected a number, got " + v.dump());
}

std::expected<bytes, std::string> read_hex(const json& v, const std::string& path) {
    if (!v.is_string()) return Unexpected(path + ": expected a hex string, got " + v.dump());
    const std::string& s = v.get_ref<const std::string&>();
    auto b = from_hex(s);
    if (!b || !(s.starts_with("0x") || s.starts_with("0X")))
        return Unexpected(path + ": \"" + s + "\" is not 0x-prefixed hex");
    return *b;
}

class Hasher {
public:
    explicit Hasher(const TypeMap& types) : types_(types) {}

    std::expected<hash256, std::string> hash_struct(std::string_view name, const json& data,
                                                    const std::string& path, int depth) {
        if (depth > kMaxDepth) return Unexpected(path + ": nested too deeply");
        auto it = types_.find(name);
        if (it == types_.end()) return Unexpected("unknown type " + std::string(name));
        if (!data.is_object())
            return Unexpected(path + ": expected an object for " + std::string(name));
        const hash256 type_hash = keccak256(as_bytes(encode_type_of(types_, name)));
        bytes enc(type_hash.view());
        for (const Member& m : it->second) {
            const std::string member_path = path + "." + m.name;
            if (!data.contains(m.name)) return Unexpected(member_path + ": missing");
            auto word = encode_value(m.type, data[m.name], member_path, depth + 1);
            if (!word) return word;
            enc.append(word->view());
        }
        return keccak256(enc);
    }

    // The 32-byte encodeData item of a member value.
    std::expected<bytes32, std::string> encode_value(std::string_view type, const json& v,
                                                     const std::string& path, int depth) {
        if (depth > kMaxDepth) return Unexpected(path + ": nested too deeply");
        if (type.ends_with(']')) {
            const size_t open = type.rfind('[');
            if (open == std::string_view::npos || open == 0)
                return Unexpected("unknown type " + std::string(type));
            const std::string_view element = type.substr(0, open);
            const std::string_view length_text = type.substr(open + 1, type.size() - open - 2);
            if (!v.is_array())
                return Unexpected(path + ": expected an array for " + std::string(type));
            if (!length_text.empty()) {
                auto length = parse_uint256(length_text);
                if (!length || length_text.starts_with("0x") || !length->fits_u64())
                    return Unexpected("unknown type " + std::string(type));
                if (v.size() != length->low64())
                    return Unexpected(path + ": expected " + std::string(length_text) +
                                      " elements, got " + std::to_string(v.size()));
            }
            bytes concatenated;
            for (size_t i = 0; i < v.size(); ++i) {
                auto word =
                    encode_value(element, v[i], path + "[" + std::to_string(i) + "]", depth + 1);
                if (!word) return word;
                concatenated.append(word->view());
            }
            return keccak256(concatenated);
        }
        if (types_.contains(type)) return hash_struct(type, v, path, depth);
        if (type == "string") {
            if (!v.is_string()) return Unexpected(path + ": expected a string, got " + v.dump());
            return keccak256(as_bytes(v.get_ref<const std::string&>()));
        }
        if (type == "bytes") {
            auto b = read_hex(v, path);
            if (!b) return Unexpected(b.error());
            return keccak256(*b);
        }
        auto abi_type =
            type.starts_with('(') ? std::unexpected(std::string()) : abi::parse_type(type);
        if (!abi_type || abi_type->is_dynamic() || abi_type->kind == abi::Type::Kind::Tuple ||
            abi_type->kind == abi::Type::Kind::FixedArray)
            return Unexpected("unknown type " + std::string(type));
        auto value = atomic_value(*abi_type, v, path);
        if (!value) return Unexpected(value.error());
        auto encoded = abi::encode(*abi_type, *value);
        if (!encoded) return Unexpected(path + ": " + encoded.error());
        return bytes32::from_view(*encoded);
    }

private:
    const TypeMap& types_;

    static std::expected<abi::Value, std::string> atomic_value(const abi::Type& type, const json& v,
                                                               const std::string& path) {
        using Kind = abi::Type::Kind;
        switch (type.kind) {
            case Kind::Uint: {
                if (v.is_string() && v.get_ref<const std::string&>().starts_with('-'))
                    return Unexpected(path + ": negative value for " + type.canonical());
                if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0)
                    return Unexpected(path + ": negative value for " + type.canonical());
                auto n = read_integer(v, path);
                if (!n) return Unexpected(n.error());
                return abi::Value(*n);
            }
            case Kind::Int: {
                auto n = read_integer(v, path);
                if (!n) return Unexpected(n.error());
                return abi::Value(*n);
            }
            case Kind::Bool:
                if (v.is_boolean()) return abi::Value(v.get<bool>());
                if (v == "true") return abi::Value(true);
                if (v == "false") return abi::Value(false);
                return Unexpected(path + ": expected a bool, got " + v.dump());
            case Kind::Address: {
                auto b = read_hex(v, path);
                if (!b) return Unexpected(b.error());
                if (b->size() != 20) return Unexpected(path + ": an address needs 20 bytes");
                return abi::Value(address::from_view(*b));
            }
            case Kind::FixedBytes: {
                auto b = read_hex(v, path);
                if (!b) return Unexpected(b.error());
                return abi::Value(std::move(*b));
            }
            default:
                return Unexpected("unknown type " + type.canonical());
        }
    }
};

// The EIP712Domain type implied by the fields a domain has, in the standard order.
json implied_domain_type(const json& domain) {
    static const std::pair<const char*, const char*> kFields[] = {
        {"name", "string"},     {"version", "string"},
        {"chainId", "uint256"}, {"verifyingContract", "address"},
        {"salt", "bytes32"},
    };
    json members = json::array();
    for (const auto& [name, type] : kFields)
        if (domain.is_object() && domain.contains(name))
            members.push_back({{"name", name}, {"type", type}});
    return members;
}

struct Parsed {
    TypeMap types;
    std::string primary;
};

std::expected<Parsed, std::string> parse(const json& typed_data) {
    if (!typed_data.is_object()) return Unexpected("typed data must be an object");
    if (!typed_data.contains("types")) return Unexpected("typed data has no types");
    if (!typed_data.contains("domain")) return Unexpected("typed data has no domain");
    json types = typed_data["types"];
    if (types.is_object() && !types.contains("EIP712Domain"))
        types["EIP712Domain"] = implied_domain_type(typed_data["domain"]);
    auto map = read_types(types);
    if (!map) return Unexpected(map.error());
    std::string primary;
    if (typed_data.contains("primaryType")) {
        if (!typed_data["primaryType"].is_string())
            return Unexpected("primaryType must be a string");
        primary = typed_data["primaryType"].get<std::string>();
        if (!map->contains(primary)) return Unexpected("unknown primaryType " + primary);
    }
    return Parsed{std::move(*map), std::move(primary)};
}

}  // namespace

std::expected<std::string, std::string> encode_type(const json& types, std::string_view primary) {
    auto map = read_types(types);
    if (!map) return Unexpected(map.error());
    if (!map->contains(primary)) return Unexpected("unknown type " + std::string(primary));
    return encode_type_of(*map, primary);
}

std::expected<hash256, std::string> hash_struct(const json& types, std::string_view primary,
                                                const json& data) {
    auto map = read_types(types);
    if (!map) return Unexpected(map.error());
    return Hasher(*map).hash_struct(primary, data, std::string(primary), 0);
}

std::expected<hash256, std::string> domain_separator(const json& typed_data) {
    auto parsed = parse(typed_data);
    if (!parsed) return Unexpected(parsed.error());
    return Hasher(parsed->types).hash_struct("EIP712Domain", typed_data["domain"], "domain", 0);
}

std::expected<hash256, std::string> typed_data_digest(const json& typed_data) {
    auto parsed = parse(typed_data);
    if (!parsed) return Unexpected(parsed.error());
    if (parsed->primary.empty()) return Unexpected("typed data has no primaryType");
    Hasher hasher(parsed->types);
    auto domain = hasher.hash_struct("EIP712Domain", typed_data["domain"], "domain", 0);
    if (!domain) return domain;
    bytes preimage{0x19, 0x01};
    preimage.append(domain->view());
    if (parsed->primary != "EIP712Domain") {
        if (!typed_data.contains("message")) return Unexpected("typed data has no message");
        auto message = hasher.hash_struct(parsed->primary, typed_data["message"], "message", 0);
        if (!message) return message;
        preimage.append(message->view());
    }
    return keccak256(preimage);
}

hash256 personal_message_hash(bytes_view message) {
    const std::string prefix =
        "\x19"
        "Ethereum Signed Message:\n" +
        std::to_string(message.size());
    bytes preimage(as_bytes(prefix));
    preimage.append(message);
    return keccak256(preimage);
}

}  // namespace krnl::eip712
