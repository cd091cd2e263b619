// Fork mode's dev controls: anvil_reset and hardhat_reset (a fresh chain: the start, or a fork of
// a given upstream at a given block) and anvil_setRpcUrl (the same fork read through another
// URL). The upstream itself is the node's (rpc/fork_control.hpp); this file parses and bounds
// the parameters in anvil's and Hardhat's shapes and clears what a reset leaves stale here.
#include "evm/ecrecover_override.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/fork_control.hpp"
#include "rpc/params.hpp"

namespace krnl::rpc {
namespace {

// Longer URLs are a mistake (or an attempt to make the node hold them).
constexpr size_t kMaxUpstreamUrlBytes = 2048;

RpcError invalid_params(std::string message) {
    return {code::kInvalidParams, std::move(message)};
}

// An upstream URL as the node can reach it: http://, with a host, no spaces or control bytes.
Result<std::string> parse_upstream_url(const json& v, std::string_view what) {
    if (!v.is_string())
        return std::unexpected(invalid_params(std::string(what) + " must be a URL string"));
    const std::string& url = v.get_ref<const std::string&>();
    if (url.size() > kMaxUpstreamUrlBytes)
        return std::unexpected(invalid_params(std::string(what) + " is " +
                                              std::to_string(url.size()) + " bytes; at most " +
                                              std::to_string(kMaxUpstreamUrlBytes)));
    for (unsigned char c : url)
        if (c <= 0x20 || c == 0x7f)
            return std::unexpected(
                invalid_params(std::string(what) + " holds a space or a control character"));
    const size_t scheme_end = url.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
    if (scheme == "https" || scheme == "ws" || scheme == "wss")
        return std::unexpected(invalid_params(
            std::string(what) + " " + url + ": krnld reaches upstreams over http:// only (" +
            scheme + ":// is not supported yet; put a local http proxy in front)"));
    if (scheme != "http")
        return std::unexpected(
            invalid_params(std::string(what) + " must be an http:// URL, got \"" + url + "\""));
    const std::string rest = url.substr(scheme_end + 3);
    if (rest.empty() || rest.front() == '/' || rest.front() == ':')
        return std::unexpected(invalid_params(std::string(what) + " " + url + " has no host"));
    return url;
}

// A block number as anvil and Hardhat take it: a JSON number, a hex quantity, or null (latest).
Result<std::optional<uint64_t>> parse_fork_block(const json& v) {
    if (v.is_null()) return std::nullopt;
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() || v.is_number_float())
        return std::unexpected(
            invalid_params("forking.blockNumber must be a non-negative integer block number"));
    auto n = parse_u64(v);
    if (!n) return std::unexpected(invalid_params("forking.blockNumber: " + n.error()));
    return *n;
}

// What a reset asks for: nothing (back to the start), or a fork of `url` (nullopt: the current
// upstream) at `block` (nullopt: its latest).
struct ResetRequest {
    bool fork = false;
    std::optional<std::string> url;
    std::optional<uint64_t> block;
};

// [], [null], [{}], [{forking: null}] or [{forking: {jsonRpcUrl?, blockNumber?}}]; the object may
// also come as the params themselves.
Result<ResetRequest> parse_reset(const json& params) {
    const json* options = nullptr;
    if (params.is_object()) {
        options = &params;
    } else if (params.is_array()) {
        if (params.size() > 1)
            return std::unexpected(
                invalid_params("expected at most one argument, {forking: {jsonRpcUrl, "
                               "blockNumber}}, got " +
                               std::to_string(params.size())));
        if (params.size() == 1 && !params[0].is_null()) options = &params[0];
    } else if (!params.is_null()) {
        return std::unexpected(invalid_params("expected [{forking: {jsonRpcUrl, blockNumber}}]"));
    }
    ResetRequest request;
    if (options == nullptr) return request;
    if (!options->is_object())
        return std::unexpected(invalid_params(
            "invalid argument 0: expected an object {forking: {jsonRpcUrl, blockNumber}}"));
    for (const auto& [key, value] : options->items())
        if (key != "forking")
            return std::unexpected(invalid_params("invalid argument 0: unknown field `" +
                                                  key.substr(0, 64) + "`, expected `forking`"));
    const auto forking = options->find("forking");
    if (forking == options->end() || forking->is_null()) return request;
    if (!forking->is_object())
        return std::unexpected(
            invalid_params("forking must be an object {jsonRpcUrl, blockNumber}"));
    request.fork = true;
    for (const auto& [key, value] : forking->items()) {
        if (key == "jsonRpcUrl") {
            if (value.is_null()) continue;
            KRNL_RPC_TRY(url, parse_upstream_url(value, "forking.jsonRpcUrl"));
            request.url = std::move(url);
        } else if (key == "blockNumber") {
            KRNL_RPC_TRY(block, parse_fork_block(value));
            request.block = block;
        } else if (key == "httpHeaders") {
            return std::unexpected(
                invalid_params("forking.httpHeaders is not supported: krnld sends no extra "
                               "headers upstream"));
        } else {
            return std::unexpected(invalid_params("unknown field forking." + key.substr(0, 64) +
                                                  ", expected jsonRpcUrl and blockNumber"));
        }
    }
    return request;
}

}  // namespace

Result<json> EthApi::fork_history(const std::string& method, json params,
                                  const char* number_field) const {
    const uint64_t fork_block = chain_.first_block();
    if (!fork_control || fork_block == 0 || !fork_control->url()) return json(nullptr);
    KRNL_RPC_TRY(reply, fork_control->historic(method, std::move(params)));
    if (!reply.is_object()) return json(nullptr);
    const auto number = reply.find(number_field);
    if (number == reply.end()) return json(nullptr);
    const auto n = parse_u64(*number);
    if (!n || *n > fork_block) return json(nullptr);
    return reply;
}

void EthApi::register_fork(MethodTable& m) {
    auto reset = [this](const json& params) -> Result<void> {
        KRNL_RPC_TRY(request, parse_reset(params));
        const uint64_t old_chain_id = chain_.chain_id();
        if (!request.fork) {
            if (fork_control) {
                if (auto r = fork_control->reset_to_start(chain_); !r)
                    return std::unexpected(r.error());
            } else if (auto r = chain_.reset(std::nullopt); !r) {
                return error(code::kInternalError, r.error());
            }
        } else {
            if (!fork_control)
                return error(code::kInvalidParams, "this node has no fork mode for this chain");
            if (!request.url) request.url = fork_control->url();
            if (!request.url)
                return error(code::kInvalidParams,
                             "Forking not enabled and RPC URL not provided to start forking: "
                             "give forking.jsonRpcUrl");
            if (auto r = fork_control->reset_to_fork(chain_, *request.url, request.block); !r)
                return std::unexpected(r.error());
        }
        // What this API holds about the old chain.
        evm::clear_recover_overrides(old_chain_id);
        auto_impersonate_ = false;
        const uint64_t head = chain_.reader().head();
        std::lock_guard lock(filters_mutex_);
        for (auto& [id, filter] : filters_) {
            filter.next_block = head + 1;
            filter.pending.clear();
        }
        return {};
    };

    // [{forking?: {jsonRpcUrl?, blockNumber?}}?] -> null: back to the start, or a fork of the
    // given upstream (the current one when jsonRpcUrl is left out) at the given block (latest).
    m.add_blocking("anvil_reset", [reset](const json& params, CallContext&) -> Result<json> {
        if (auto r = reset(params); !r) return std::unexpected(r.error());
        return json();
    });
    // Hardhat's shape and answer (true).
    m.add_blocking("hardhat_reset", [reset](const json& params, CallContext&) -> Result<json> {
        if (auto r = reset(params); !r) return std::unexpected(r.error());
        return true;
    });

    // [url] -> null: the fork's lazy reads go to `url` from now on (the same chain and block).
    m.add_blocking("anvil_setRpcUrl", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        if (!p.has(0)) return std::unexpected(Params::missing(0));
        KRNL_RPC_TRY(url, parse_upstream_url(p.at(0), "invalid argument 0: the URL"));
        if (!fork_control || !fork_control->url())
            return error(code::kInvalidParams,
                         "this chain is not a fork: anvil_setRpcUrl switches a fork's upstream "
                         "(anvil_reset with forking.jsonRpcUrl starts one)");
        if (auto r = fork_control->set_url(url); !r) return std::unexpected(r.error());
        return json();
    });
}

}  // namespace krnl::rpc
