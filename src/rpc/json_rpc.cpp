#include "rpc/json_rpc.hpp"

#include "state/remote_source.hpp"

#include <algorithm>

namespace krnl::rpc {

json error_response(const json& id, const RpcError& err) {
    json e = {{"code", err.code}, {"message", err.message}};
    if (err.data) e["data"] = *err.data;
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(e)}};
}

void MethodTable::add(std::string name, Method method) {
    methods_[std::move(name)] = std::move(method);
}

bool MethodTable::alias(std::string name, const std::string& existing) {
    auto it = methods_.find(existing);
    if (it == methods_.end()) return false;
    if (blocking_.contains(existing)) blocking_.insert(name);
    if (evm_.contains(existing)) evm_.insert(name);
    if (evm_writers_.contains(existing)) evm_writers_.insert(name);
    Method method = it->second;
    methods_[std::move(name)] = std::move(method);
    return true;
}

void MethodTable::add_blocking(std::string name, Method method) {
    blocking_.insert(name);
    add(std::move(name), std::move(method));
}

std::optional<json> MethodTable::parse(std::string_view body) {
    json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) return std::nullopt;
    return request;
}

std::string MethodTable::parse_error() {
    return error_response(nullptr, {code::kParseError, "parse error"}).dump();
}

void MethodTable::add_evm(std::string name, Method method) {
    evm_.insert(name);
    add(std::move(name), std::move(method));
}

void MethodTable::add_evm_writer(std::string name, Method method) {
    evm_writers_.insert(name);
    add_evm(std::move(name), std::move(method));
}

void MethodTable::add_blocking_evm(std::string name, Method method) {
    blocking_.insert(name);
    add_evm_writer(std::move(name), std::move(method));
}

void MethodTable::retain(const std::function<bool(std::string_view)>& keep) {
    std::erase_if(methods_, [&](const auto& entry) { return !keep(entry.first); });
    std::erase_if(blocking_, [&](const std::string& name) { return !keep(name); });
    std::erase_if(evm_, [&](const std::string& name) { return !keep(name); });
    std::erase_if(evm_writers_, [&](const std::string& name) { return !keep(name); });
}

MethodTable::Route MethodTable::route(const json& request) const {
    Route route;
    auto visit = [&](const json& r) {
        if (!r.is_object()) return;
        const auto method = r.find("method");
        if (method == r.end() || !method->is_string()) return;
        const auto& name = method->get_ref<const std::string&>();
        route.blocking = route.blocking || blocking_.contains(name);
        route.evm = route.evm || evm_.contains(name);
    };
    if (!request.is_array()) {
        visit(request);
        if (route.evm) {
            const auto& name = request.find("method")->get_ref<const std::string&>();
            route.evm_rerunnable = !evm_writers_.contains(name);
        }
    } else {
        for (const json& item : request)
            visit(item);
    }
    return route;
}

std::string MethodTable::refuse(const json& request, const RpcError& err) {
    // The id of a request, or null when it has none usable (JSON-RPC answers those with null).
    auto id_of = [](const json& r) -> std::optional<json> {
        if (!r.is_object()) return json(nullptr);
        const auto id = r.find("id");
        if (id == r.end()) return std::nullopt;  // a notification: no answer
        if (id->is_string() || id->is_number() || id->is_null()) return *id;
        return json(nullptr);
    };
    if (!request.is_array()) {
        const auto id = id_of(request);
        return id ? to_text(error_response(*id, err)) : std::string{};
    }
    json responses = json::array();
    for (const json& item : request)
        if (const auto id = id_of(item)) responses.push_back(error_response(*id, err));
    return responses.empty() ? std::string{} : to_text(responses);
}

std::optional<json> MethodTable::handle_request(const json& request, CallContext& ctx) const {
    if (!request.is_object())
        return error_response(nullptr, {code::kInvalidRequest, "invalid request"});
    const auto id_it = request.find("id");
    const bool notification = id_it == request.end();
    const json id = notification ? json(nullptr) : *id_it;
    if (!id.is_null() && !id.is_string() && !id.is_number())
        return error_response(nullptr, {code::kInvalidRequest, "invalid request: bad id"});
    const auto version = request.find("jsonrpc");
    if (version == request.end() || *version != "2.0")
        return error_response(id,
                              {code::kInvalidRequest, "invalid request: jsonrpc must be \"2.0\""});
    const auto method_it = request.find("method");
    if (method_it == request.end() || !method_it->is_string())
        return error_response(id, {code::kInvalidRequest, "invalid request: no method"});
    const std::string& name = method_it->get_ref<const std::string&>();

    json params = json::array();
    if (const auto p = request.find("params"); p != request.end() && !p->is_null()) {
        if (!p->is_array() && !p->is_object())
            return error_response(id, {code::kInvalidRequest,
                                       "invalid request: params must be an array or an object"});
        params = *p;
    }

    const auto method = methods_.find(name);
    Result<json> result = method == methods_.end()
                              ? error(code::kMethodNotFound,
                                      "the method " + name + " does not exist/is not available")
                              : [&]() -> Result<json> {
        try {
            return method->second(params, ctx);
        } catch (const state::RemoteStateError& e) {
            return error(code::kUpstreamUnavailable, e.what());
        } catch (const std::exception& e) {
            return error(code::kInternalError, std::string("internal error: ") + e.what());
        }
    }();
    if (notification) return std::nullopt;
    if (!result) return error_response(id, result.error());
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(*result)}};
}

std::string MethodTable::handle_parsed(const json& request, CallContext& ctx,
                                       const Limits& limits) const {
    if (!request.is_array()) {
        auto response = handle_request(request, ctx);
        return response ? to_text(*response) : std::string{};
    }
    if (request.empty())
        return error_response(nullptr, {code::kInvalidRequest, "empty batch"}).dump();
    if (request.size() > limits.max_batch)
        return error_response(nullptr,
                              {code::kInvalidRequest,
                               "batch too large: " + std::to_string(request.size()) +
                                   " requests, at most " + std::to_string(limits.max_batch)})
            .dump();
    json responses = json::array();
    for (const json& item : request)
        if (auto response = handle_request(item, ctx)) responses.push_back(std::move(*response));
    return responses.empty() ? std::string{} : to_text(responses);
}

std::string MethodTable::handle(std::string_view body, CallContext& ctx,
                                const Limits& limits) const {
    const auto request = parse(body);
    return request ? handle_parsed(*request, ctx, limits) : parse_error();
}

}  // namespace krnl::rpc
