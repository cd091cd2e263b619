// The JSON-RPC request path: arbitrary bytes into MethodTable::handle, with the node's Ethereum
// API (EthApi::register_methods, as src/node wires it) over a fresh in-memory dev chain per input.
// The answer must be empty (notifications only) or JSON-RPC 2.0: one response object for a
// request, an array of at most one response per element for a batch.
//
// Requests that would run for seconds by design are left out before the table sees them (see
// `too_slow`): mining many blocks, struct-logger traces, huge fee histories. Gas is capped per
// chain
// (`kGasCap`) so calls and mined transactions stay within libFuzzer's per-input timeout.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "chain/chain.hpp"
#include "check.hpp"
#include "common/secp256k1.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/json_rpc.hpp"

using namespace krnl;
using json = nlohmann::json;

namespace {

constexpr uint64_t kGasCap = 2'000'000;
constexpr size_t kMaxBatch = 16;

// The first Hardhat/anvil dev key, funded at genesis, so eth_sendTransaction and eth_sign work.
const bytes32 kDevSecret = bytes32::from_view(
    *from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));

bool too_slow(const json& request) {
    if (!request.is_object()) return false;
    const auto method = request.find("method");
    if (method == request.end() || !method->is_string()) return false;
    const std::string& name = method->get_ref<const std::string&>();
    const auto params = request.find("params");
    // hardhat_mine / anvil_mine: up to 100,000 blocks per call by design.
    if (name == "hardhat_mine" || name == "anvil_mine") return true;
    // The default struct logger records every step (issue 10, finding 7): only named tracers run.
    if (name.starts_with("debug_trace")) {
        if (params == request.end() || !params->is_array()) return true;
        for (const json& p : *params) {
            if (p.is_object() && p.contains("tracer") && p["tracer"].is_string()) return false;
        }
        return true;
    }
    // Reward percentiles multiply the work by the block count (finding 8): geth allows 100.
    if (name == "eth_feeHistory" && params != request.end() && params->is_array() &&
        params->size() >= 3 && (*params)[2].is_array() && (*params)[2].size() > 100)
        return true;
    return false;
}

struct Node {
    std::unique_ptr<chain::Chain> chain;
    std::unique_ptr<rpc::EthApi> api;
    rpc::MethodTable methods;
};

std::unique_ptr<Node> dev_node() {
    auto node = std::make_unique<Node>();
    chain::ChainConfig config;
    config.gas_limit = kGasCap;
    config.call_gas_cap = kGasCap;
    config.genesis_timestamp = 1'700'000'000;  // fixed, so an input replays the same way
    const address dev = *secp256k1::address_from_secret(kDevSecret);
    config.alloc[dev].balance = uint256(1'000'000'000'000'000'000ull) * 1000;
    // A contract that returns 42 and one that reverts, for calls and traces to reach.
    config.alloc[address{{0xa1}}].code = *from_hex("602a60005260206000f3");
    config.alloc[address{{0xa2}}].code = *from_hex("60006000fd");
    auto opened = chain::Chain::open(config, {.durable = false});
    FUZZ_CHECK(opened.has_value());
    node->chain = std::move(*opened);
    node->api = std::make_unique<rpc::EthApi>(*node->chain,
                                              std::vector<rpc::DevAccount>{{dev, kDevSecret}});
    node->api->set_interval_mining = [](uint64_t) {};  // the node owns timers; none here
    node->api->register_methods(node->methods);
    return node;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const json parsed = json::parse(body, nullptr, false);
    if (!parsed.is_discarded()) {
        if (too_slow(parsed)) return -1;  // -1: not added to the corpus
        if (parsed.is_array()) {
            for (const json& item : parsed)
                if (too_slow(item)) return -1;
        }
    }

    auto node = dev_node();
    rpc::CallContext ctx;
    const std::string answer = node->methods.handle(body, ctx, {.max_batch = kMaxBatch});
    if (answer.empty()) {
        // Only notifications (requests without an id) go unanswered.
        FUZZ_CHECK(!parsed.is_discarded());
        return 0;
    }
    const json response = json::parse(answer, nullptr, false);
    FUZZ_CHECK(!response.is_discarded());
    const auto check_one = [](const json& r) {
        FUZZ_CHECK(r.is_object());
        FUZZ_CHECK(r.value("jsonrpc", "") == "2.0");
        FUZZ_CHECK(r.contains("id"));
        FUZZ_CHECK(r.contains("result") != r.contains("error"));
        if (r.contains("error")) {
            FUZZ_CHECK(r["error"].is_object() && r["error"]["code"].is_number_integer());
            FUZZ_CHECK(r["error"]["message"].is_string());
        }
    };
    if (response.is_array()) {
        FUZZ_CHECK(parsed.is_array() && response.size() <= parsed.size());
        for (const json& r : response)
            check_one(r);
    } else {
        check_one(response);
    }
    return 0;
}
