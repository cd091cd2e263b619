#include "engine/request.hpp"

#include <algorithm>
#include <charconv>

#include "rpc/params.hpp"

namespace krnl::engine {

namespace {

std::unexpected<ServiceError> fail(int code, std::string message) {
    return std::unexpected(ServiceError{code, std::move(message), std::nullopt});
}

std::unexpected<ServiceError> bad_field(const std::string& field, const std::string& why) {
    return fail(krnl_code::kBadRequest, "request." + field + ": " + why);
}

}  // namespace

std::expected<uint256, std::string> parse_kernel_id(const json& value) {
    if (value.is_number_unsigned()) return uint256(value.get<uint64_t>());
    if (value.is_number_integer()) {
        if (value.get<int64_t>() < 0) return std::unexpected("a kernel id cannot be negative");
        return uint256(static_cast<uint64_t>(value.get<int64_t>()));
    }
    return rpc::parse_quantity(value);
}

json blocks_to_json(const std::map<uint64_t, uint64_t>& blocks) {
    json out = json::object();
    for (const auto& [chain, number] : blocks)
        out[std::to_string(chain)] = rpc::to_quantity(number);
    return out;
}

json request_to_json(const ExecuteRequest& r) {
    json kernels = json::array();
    for (const auto& k : r.kernels) {
        json o = {{"id", rpc::to_quantity(k.id)}, {"inputs", k.inputs}};
        if (k.required) o["required"] = true;
        kernels.push_back(std::move(o));
    }
    json out = {{"app", to_hex(r.app)},       {"chainId", rpc::to_quantity(r.chain_id)},
                {"sender", to_hex(r.sender)}, {"function", r.function},
                {"args", to_hex(r.args)},     {"kernels", std::move(kernels)}};
    if (!r.blocks.empty()) out["blocks"] = blocks_to_json(r.blocks);
    if (r.binding == Binding::Call) out["binding"] = "call";
    return out;
}

ServiceResult<ExecuteRequest> request_from_json(const json& v) {
    if (!v.is_object()) return fail(krnl_code::kBadRequest, "request must be an object");
    for (const auto& [key, _] : v.items()) {
        static const char* known[] = {"app",  "chainId", "sender", "function",
                                      "args", "kernels", "blocks", "binding"};
        if (std::ranges::find(known, key) == std::end(known))
            return bad_field(key, "unknown field");
    }
    ExecuteRequest r;
    const auto need = [&](const char* name) -> ServiceResult<const json*> {
        auto it = v.find(name);
        if (it == v.end() || it->is_null()) return bad_field(name, "missing");
        return &*it;
    };
    KRNL_RPC_TRY(app, need("app"));
    auto a = rpc::parse_address(*app);
    if (!a) return bad_field("app", a.error());
    r.app = *a;
    KRNL_RPC_TRY(chain, need("chainId"));
    // A chain id as a quantity ("0x7a69") or a plain number (31337), as people write it.
    if (chain->is_number_unsigned()) {
        r.chain_id = chain->get<uint64_t>();
    } else {
        auto c = rpc::parse_u64(*chain);
        if (!c) return bad_field("chainId", c.error());
        r.chain_id = *c;
    }
    KRNL_RPC_TRY(sender, need("sender"));
    auto s = rpc::parse_address(*sender);
    if (!s) return bad_field("sender", s.error());
    r.sender = *s;
    KRNL_RPC_TRY(function, need("function"));
    if (!function->is_string()) return bad_field("function", "must be a signature string");
    r.function = function->get<std::string>();
    if (auto it = v.find("args"); it != v.end() && !it->is_null()) {
        auto d = rpc::parse_data(*it);
        if (!d) return bad_field("args", d.error());
        r.args = std::move(*d);
    }
    if (auto it = v.find("binding"); it != v.end() && !it->is_null()) {
        if (*it == "call")
            r.binding = Binding::Call;
        else if (*it != "payload")
            return bad_field("binding", "must be \"payload\" or \"call\"");
    }
    KRNL_RPC_TRY(kernels, need("kernels"));
    if (!kernels->is_array()) return bad_field("kernels", "must be an array");
    for (size_t i = 0; i < kernels->size(); ++i) {
        const json& k = (*kernels)[i];
        const std::string where = "kernels[" + std::to_string(i) + "]";
        if (!k.is_object()) return bad_field(where, "must be an object {id, inputs}");
        KernelRequest kr;
        for (const auto& [key, _] : k.items())
            if (key != "id" && key != "inputs" && key != "required")
                return bad_field(where + "." + key, "unknown field");
        if (!k.contains("id")) return bad_field(where + ".id", "missing");
        auto id = parse_kernel_id(k["id"]);
        if (!id) return bad_field(where + ".id", id.error());
        kr.id = *id;
        if (auto it = k.find("inputs"); it != k.end() && !it->is_null()) {
            if (!it->is_array()) return bad_field(where + ".inputs", "must be an array");
            kr.inputs.assign(it->begin(), it->end());
        }
        if (auto it = k.find("required"); it != k.end() && !it->is_null()) {
            if (!it->is_boolean()) return bad_field(where + ".required", "must be a boolean");
            kr.required = it->get<bool>();
        }
        r.kernels.push_back(std::move(kr));
    }
    if (auto it = v.find("blocks"); it != v.end() && !it->is_null()) {
        if (!it->is_object())
            return bad_field("blocks", "must be an object {\"<chain id>\": \"0x<block>\"}");
        for (const auto& [key, value] : it->items()) {
            uint64_t chain = 0;
            const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), chain);
            if (ec != std::errc{} || end != key.data() + key.size())
                return bad_field("blocks." + key, "the key must be a decimal chain id");
            auto number = rpc::parse_u64(value);
            if (!number) return bad_field("blocks." + key, number.error());
            r.blocks[chain] = *number;
        }
    }
    return r;
}

json responses_to_json(const std::vector<KernelResponse>& responses) {
    json out = json::array();
    for (const auto& r : responses)
        out.push_back({{"kernelId", rpc::to_quantity(r.kernel_id)},
                       {"result", to_hex(r.result)},
                       {"err", r.err}});
    return out;
}

ServiceResult<std::vector<KernelResponse>> responses_from_json(const json& v) {
    if (!v.is_array()) return fail(krnl_code::kBadRequest, "responses must be an array");
    std::vector<KernelResponse> out;
    for (size_t i = 0; i < v.size(); ++i) {
        const json& r = v[i];
        const std::string where = "responses[" + std::to_string(i) + "]";
        if (!r.is_object() || !r.contains("kernelId") || !r.contains("result") ||
            !r.contains("err") || !r["err"].is_string())
            return fail(krnl_code::kBadRequest, where + " must be {kernelId, result, err}");
        auto id = rpc::parse_quantity(r["kernelId"]);
        if (!id) return fail(krnl_code::kBadRequest, where + ".kernelId: " + id.error());
        auto result = rpc::parse_data(r["result"]);
        if (!result) return fail(krnl_code::kBadRequest, where + ".result: " + result.error());
        out.push_back({*id, std::move(*result), r["err"].get<std::string>()});
    }
    return out;
}

}  // namespace krnl::engine
