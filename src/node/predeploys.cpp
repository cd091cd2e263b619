#include "node/predeploys.hpp"

#include <nlohmann/json.hpp>

extern const std::string_view krnl_predeploy_manifest;

namespace krnl::node {

std::string_view embedded_predeploy_manifest() {
    return krnl_predeploy_manifest;
}

std::expected<std::vector<chain::Predeploy>, std::string> parse_predeploy_manifest(
    std::string_view manifest) {
    using nlohmann::json;
    const json doc = json::parse(manifest, nullptr, false);
    if (doc.is_discarded() || !doc.contains("predeploys") || !doc["predeploys"].is_array())
        return std::unexpected(
            "the predeploy manifest is not a JSON object with a predeploys list");
    std::vector<chain::Predeploy> out;
    for (const json& e : doc["predeploys"]) {
        chain::Predeploy p;
        p.name = e.value("name", std::string("?"));
        auto text = [&](const json& obj,
                        const char* field) -> std::expected<std::string, std::string> {
            if (!obj.contains(field) || !obj[field].is_string())
                return std::unexpected("predeploy " + p.name + ": missing " + field);
            return obj[field].get<std::string>();
        };
        auto hex_field = [&](const json& obj,
                             const char* field) -> std::expected<bytes, std::string> {
            auto t = text(obj, field);
            if (!t) return std::unexpected(t.error());
            auto b = from_hex(*t);
            if (!b) return std::unexpected("predeploy " + p.name + ": " + field + " is not hex");
            return std::move(*b);
        };
        auto expected_hex =
            hex_field(e, e.contains("expectedAddress") ? "expectedAddress" : "address");
        if (!expected_hex) return std::unexpected(expected_hex.error());
        if (expected_hex->size() != 20)
            return std::unexpected("predeploy " + p.name + ": bad address");
        p.expected_address = address::from_view(*expected_hex);
        if (e.contains("deployment")) {
            const json& d = e["deployment"];
            auto raw = hex_field(d, "rawTransaction");
            if (!raw) return std::unexpected(raw.error());
            auto tx = chain::decode_transaction(*raw);
            if (!tx) return std::unexpected("predeploy " + p.name + ": bad presigned transaction");
            p.presigned = std::move(*tx);
            auto funding = hex_field(d, "fundingWei");
            if (!funding || funding->size() > 32)
                return std::unexpected("predeploy " + p.name + ": bad fundingWei");
            p.funding = uint256::from_be(*funding);
        } else {
            auto deployer = hex_field(e, "deployer");
            auto salt = hex_field(e, "salt");
            auto init = hex_field(e, "initCode");
            if (!deployer) return std::unexpected(deployer.error());
            if (!salt) return std::unexpected(salt.error());
            if (!init) return std::unexpected(init.error());
            if (deployer->size() != 20 || salt->size() != 32)
                return std::unexpected("predeploy " + p.name + ": bad deployer or salt");
            p.deployer = address::from_view(*deployer);
            p.salt = bytes32::from_view(*salt);
            p.init_code = std::move(*init);
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::expected<EntryPointSimulationCode, std::string> parse_entry_point_simulations(
    std::string_view manifest) {
    using nlohmann::json;
    const json doc = json::parse(manifest, nullptr, false);
    if (doc.is_discarded() || !doc.contains("entryPointSimulations"))
        return std::unexpected("the predeploy manifest has no entryPointSimulations");
    const json& sims = doc["entryPointSimulations"];
    EntryPointSimulationCode out;
    for (auto [name, target] :
         {std::pair{"EntryPointV07", &out.v07}, {"EntryPointV08", &out.v08}}) {
        if (!sims.contains(name) || !sims[name].is_string())
            return std::unexpected(std::string("entryPointSimulations: missing ") + name);
        auto code = from_hex(sims[name].get<std::string>());
        if (!code || code->empty())
            return std::unexpected(std::string("entryPointSimulations.") + name + " is not code");
        *target = std::move(*code);
    }
    return out;
}

}  // namespace krnl::node
