#include "engine/peer_protocol.hpp"

#include <charconv>

#include "common/eip712.hpp"
#include "rpc/params.hpp"

namespace krnl::engine {

namespace {

json member(const char* name, const char* type) {
    return {{"name", name}, {"type", type}};
}

const json& cosign_types() {
    static const json types = {
        {"EIP712Domain",
         {member("name", "string"), member("version", "string"), member("chainId", "uint256")}},
        {"CosignRequest",
         {member("app", "address"), member("chainId", "uint256"), member("sender", "address"),
          member("function", "string"), member("binding", "string"), member("args", "bytes"),
          member("kernels", "Kernel[]"), member("responses", "Response[]"),
          member("nonce", "uint256"), member("expiry", "uint64"), member("nodeFee", "uint256"),
          member("pins", "Pin[]"), member("timestamp", "uint64")}},
        {"Kernel",
         {member("id", "uint256"), member("inputs", "string[]"), member("required", "bool")}},
        {"Response",
         {member("kernelId", "uint256"), member("result", "bytes"), member("err", "string")}},
        {"Pin",
         {member("chainId", "uint256"), member("number", "uint64"), member("hash", "bytes32")}},
    };
    return types;
}

std::unexpected<rpc::RpcError> bad(int code, std::string message) {
    return std::unexpected(rpc::RpcError{code, std::move(message), std::nullopt});
}

}  // namespace

std::expected<json, std::string> cosign_typed_data(const CosignRequest& r) {
    const ExecuteRequest& q = r.request;
    json kernels = json::array();
    for (size_t k = 0; k < q.kernels.size(); ++k) {
        json inputs = json::array();
        for (const json& input : q.kernels[k].inputs) {
            if (!input.is_string())
                return std::unexpected("kernels[" + std::to_string(k) +
                                       "].inputs: every input is a reference string");
            inputs.push_back(input);
        }
        kernels.push_back({{"id", rpc::to_quantity(q.kernels[k].id)},
                           {"inputs", std::move(inputs)},
                           {"required", q.kernels[k].required}});
    }
    json responses = json::array();
    for (const auto& x : r.responses)
        responses.push_back({{"kernelId", rpc::to_quantity(x.kernel_id)},
                             {"result", to_hex(x.result)},
                             {"err", x.err}});
    json pins = json::array();
    for (const auto& [chain, pin] : r.pins)
        pins.push_back({{"chainId", rpc::to_quantity(chain)},
                        {"number", rpc::to_quantity(pin.number)},
                        {"hash", to_hex(pin.hash)}});
    return json{
        {"types", cosign_types()},
        {"primaryType", "CosignRequest"},
        {"domain",
         {{"name", "KRNL co-sign"}, {"version", "1"}, {"chainId", rpc::to_quantity(q.chain_id)}}},
        {"message",
         {{"app", to_hex(q.app)},
          {"chainId", rpc::to_quantity(q.chain_id)},
          {"sender", to_hex(q.sender)},
          {"function", q.function},
          {"binding", q.binding == Binding::Call ? "call" : "payload"},
          {"args", to_hex(q.args)},
          {"kernels", std::move(kernels)},
          {"responses", std::move(responses)},
          {"nonce", rpc::to_quantity(r.nonce)},
          {"expiry", rpc::to_quantity(r.expiry)},
          {"nodeFee", rpc::to_quantity(r.node_fee)},
          {"pins", std::move(pins)},
          {"timestamp", rpc::to_quantity(r.timestamp)}}}};
}

std::expected<hash256, std::string> cosign_request_digest(const CosignRequest& r) {
    auto typed = cosign_typed_data(r);
    if (!typed) return std::unexpected(typed.error());
    return eip712::typed_data_digest(*typed);
}

std::expected<void, std::string> sign_cosign_request(CosignRequest& r, const bytes32& key) {
    auto digest = cosign_request_digest(r);
    if (!digest) return std::unexpected(digest.error());
    auto sig = sign_digest(*digest, key);
    if (!sig) return std::unexpected(sig.error());
    r.signature = std::move(*sig);
    return {};
}

std::expected<address, std::string> cosign_requester(const CosignRequest& r) {
    if (r.signature.empty()) return std::unexpected("the request is not signed");
    auto digest = cosign_request_digest(r);
    if (!digest) return std::unexpected(digest.error());
    return recover_signer(*digest, r.signature);
}

json cosign_params(const CosignRequest& r) {
    json pins = json::object();
    for (const auto& [chain, pin] : r.pins)
        pins[std::to_string(chain)] = {{"number", rpc::to_quantity(pin.number)},
                                       {"hash", to_hex(pin.hash)}};
    return json::array({request_to_json(r.request),
                        responses_to_json(r.responses),
                        rpc::to_quantity(r.nonce),
                        rpc::to_quantity(r.expiry),
                        rpc::to_quantity(r.node_fee),
                        {{"pins", std::move(pins)},
                         {"timestamp", rpc::to_quantity(r.timestamp)},
                         {"signature", to_hex(r.signature)}}});
}

std::expected<CosignRequest, rpc::RpcError> cosign_request_from_params(const json& params) {
    using krnl_code::kBadRequest;
    rpc::Params p(params);
    if (auto r = p.at_most(6); !r) return std::unexpected(r.error());
    for (size_t i = 0; i < 5; ++i)
        if (!p.has(i)) return std::unexpected(rpc::Params::missing(i));
    CosignRequest out;
    // Who asks, before anything else: strangers get one answer whatever they send.
    const auto unsigned_request = [] {
        return bad(krnl_code::kRequesterNotTrusted,
                   "unsigned co-sign request: krnl_cosign answers only nodes the app's token "
                   "authority trusts, and they sign their requests (param 5: {pins, timestamp, "
                   "signature}); clients call krnl_executeKernels");
    };
    if (!p.has(5)) return unsigned_request();
    const json& auth = p.at(5);
    if (!auth.is_object()) return unsigned_request();
    for (const auto& [key, _] : auth.items())
        if (key != "pins" && key != "timestamp" && key != "signature")
            return bad(kBadRequest, "auth." + key + ": unknown field");
    auto sig_it = auth.find("signature");
    if (sig_it == auth.end() || sig_it->is_null()) return unsigned_request();
    auto sig = rpc::parse_data(*sig_it);
    if (!sig || sig->size() != 65)
        return bad(krnl_code::kRequesterNotTrusted,
                   "auth.signature: 65 bytes (r, s, v) by the requesting node's operator key");
    out.signature = std::move(*sig);
    auto request = request_from_json(p.at(0));
    if (!request) return std::unexpected(request.error());
    out.request = std::move(*request);
    if (!out.request.blocks.empty())
        return bad(kBadRequest,
                   "request.blocks: a co-sign request names its blocks in the "
                   "signed pins (param 5), not in the request");
    auto responses = responses_from_json(p.at(1));
    if (!responses) return std::unexpected(responses.error());
    out.responses = std::move(*responses);
    auto nonce = p.quantity(2);
    if (!nonce) return std::unexpected(nonce.error());
    out.nonce = *nonce;
    auto expiry = p.u64(3);
    if (!expiry) return std::unexpected(expiry.error());
    out.expiry = *expiry;
    auto fee = p.quantity(4);
    if (!fee) return std::unexpected(fee.error());
    out.node_fee = *fee;

    auto ts_it = auth.find("timestamp");
    if (ts_it == auth.end()) return bad(kBadRequest, "auth.timestamp: missing");
    auto ts = rpc::parse_u64(*ts_it);
    if (!ts) return bad(kBadRequest, "auth.timestamp: " + ts.error());
    out.timestamp = *ts;
    auto pins_it = auth.find("pins");
    if (pins_it == auth.end() || !pins_it->is_object() || pins_it->empty())
        return bad(kBadRequest,
                   "auth.pins: {\"<chain id>\": {\"number\": \"0x..\", \"hash\": \"0x..\"}}, the "
                   "home chain's at least");
    for (const auto& [key, value] : pins_it->items()) {
        uint64_t chain = 0;
        const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), chain);
        if (ec != std::errc{} || end != key.data() + key.size())
            return bad(kBadRequest, "auth.pins." + key + ": the key must be a decimal chain id");
        if (!value.is_object() || !value.contains("number") || !value.contains("hash"))
            return bad(kBadRequest, "auth.pins." + key + ": {number, hash}");
        auto number = rpc::parse_u64(value["number"]);
        auto hash = rpc::parse_data(value["hash"]);
        if (!number || !hash || hash->size() != 32)
            return bad(kBadRequest, "auth.pins." + key + ": a block number and a 32-byte hash");
        out.pins[chain] = Pin{*number, hash256::from_view(*hash)};
    }
    if (!out.pins.contains(out.request.chain_id))
        return bad(kBadRequest,
                   "auth.pins: no pin for the home chain " + std::to_string(out.request.chain_id));
    return out;
}

std::optional<std::string> pin_outside_window(uint64_t chain_id, const Pin& pin,
                                              const BlockRef& head, const BlockRef& pinned,
                                              const PinWindow& window) {
    const std::string what =
        "block " + std::to_string(pin.number) + " of chain " + std::to_string(chain_id);
    if (pin.number > head.number)
        return what + " is ahead of this node's head " + std::to_string(head.number) +
               " (this node lags its chain; retry once it caught up)";
    if (head.number - pin.number > window.max_blocks)
        return what + " is " + std::to_string(head.number - pin.number) +
               " blocks behind this node's head " + std::to_string(head.number) +
               "; it co-signs reads at most " + std::to_string(window.max_blocks) + " behind";
    if (pinned.hash != pin.hash)
        return what + " is " + to_hex(pinned.hash) + " on this node's chain, not " +
               to_hex(pin.hash) + " (another fork)";
    if (head.timestamp > pinned.timestamp && head.timestamp - pinned.timestamp > window.max_age_s)
        return what + " is " + std::to_string(head.timestamp - pinned.timestamp) +
               " s older than this node's head; it co-signs reads at most " +
               std::to_string(window.max_age_s) + " s old";
    return std::nullopt;
}

std::optional<std::string> timestamp_outside_window(uint64_t timestamp, uint64_t now,
                                                    const PinWindow& window) {
    const uint64_t skew = timestamp > now ? timestamp - now : now - timestamp;
    if (skew <= window.max_clock_skew_s) return std::nullopt;
    return "the request is dated " + std::to_string(timestamp) + ", " + std::to_string(skew) +
           " s from this node's clock " + std::to_string(now) + " (at most " +
           std::to_string(window.max_clock_skew_s) +
           " s apart: a stale or replayed request, or "
           "a clock to fix)";
}

NonceSet::Claim NonceSet::claim(const address& authority, const uint256& nonce, uint64_t expiry,
                                uint64_t now) {
    std::lock_guard lock(mutex_);
    while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
        expiries_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
    Key key{authority, nonce};
    if (expiries_.contains(key)) return Claim::Replayed;
    if (expiries_.size() >= capacity_) return Claim::Full;
    expiries_.emplace(key, expiry);
    by_expiry_.emplace(expiry, key);
    return Claim::Claimed;
}

void NonceSet::release(const address& authority, const uint256& nonce) {
    std::lock_guard lock(mutex_);
    auto it = expiries_.find(Key{authority, nonce});
    if (it == expiries_.end()) return;
    by_expiry_.erase({it->second, it->first});
    expiries_.erase(it);
}

size_t NonceSet::size() const {
    std::lock_guard lock(mutex_);
    return expiries_.size();
}

}  // namespace krnl::engine
