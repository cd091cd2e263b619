#include "engine/dry_run.hpp"

#include <gtest/gtest.h>

#include "chain/host.hpp"
#include "engine/http_test_server.hpp"
#include "engine/krnl_api.hpp"
#include "engine/service.hpp"
#include "state/state.hpp"

namespace krnl::engine {
namespace {

constexpr uint64_t kHome = 31337;
const address kContract = *fixed_from_hex<20>("0x00000000000000000000000000000000000c0de1");
const address kSender = *fixed_from_hex<20>("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");

// A local chain of one contract, called through the real EVM: `score(uint256 x)` returns x + 1
// (PUSH1 4 CALLDATALOAD PUSH1 1 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN); any call to
// another address reverts.
class LocalChain : public ChainAccess {
public:
    uint64_t head_number = 12;
    std::optional<uint64_t> last_block;

    std::expected<bytes, CallError> call(uint64_t chain_id, const address& to, bytes data,
                                         std::optional<uint64_t> block) override {
        if (chain_id != kHome) return std::unexpected(CallError{"unknown chain", {}, true});
        last_block = block;
        state::State state;
        state::Account account;
        account.set_code(
            *from_hex("0x600435600101600052602060"
                      "00f3"));
        state.put(kContract, std::move(account));
        evm::TxContext tx;
        tx.gas_limit = 1'000'000;
        evm::AnalysisCache cache{4};
        chain::Host host(state, evm::Revision::Prague, tx, cache);
        evm::Message msg;
        msg.kind = evm::CallKind::Call;
        msg.is_static = true;
        msg.gas = 1'000'000;
        msg.recipient = to;
        msg.code_address = to;
        msg.input = data;
        const evm::Result r = host.call(msg);
        if (r.status != evm::StatusCode::Success)
            return std::unexpected(CallError{"execution reverted", bytes(r.output)});
        return bytes(r.output);
    }
    std::expected<BlockRef, CallError> head(uint64_t chain_id) override {
        if (chain_id != kHome) return std::unexpected(CallError{"unknown chain", {}, true});
        return BlockRef{head_number, 1000};
    }
};

std::shared_ptr<KrnlService> service_on(std::shared_ptr<ChainAccess> chain,
                                        const std::function<void(ServiceConfig&)>& tune = {}) {
    ServiceConfig c;
    c.home_chain_id = kHome;
    bytes32 key;
    key[31] = 7;
    c.operator_key = key;
    if (tune) tune(c);
    return *KrnlService::create(std::move(c), std::move(chain));
}

json spec(std::string_view text) {
    return json::parse(text);
}

const char* kScoreSpec =
    R"J({"kind":"evm-read","chainId":31337,"to":"0x00000000000000000000000000000000000c0de1",
        "function":"score(uint256)","args":["$args[0]"],"outputs":["uint256"]})J";

DryRunContext trade_context(uint64_t asset) {
    DryRunContext c;
    c.sender = kSender;
    c.function = "trade(uint256,uint256,bytes)";
    c.args = *abi::encode(
        std::vector<abi::Type>{*abi::parse_type("uint256"), *abi::parse_type("uint256")},
        std::vector<abi::Value>{uint256(asset), uint256(5)});
    return c;
}

TEST(DryRun, EvmReadCallsTheLocalChainAtItsHeadWithTheCallsArguments) {
    auto chain = std::make_shared<LocalChain>();
    auto service = service_on(chain);
    auto r = service->dry_run(spec(kScoreSpec), trade_context(41));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->error, "");
    EXPECT_EQ(r->kind, KernelKind::EvmRead);
    EXPECT_EQ(r->outputs, bytes(uint256(42).to_bytes32().view()));
    EXPECT_EQ(r->decoded, json::array({"42"}));
    EXPECT_EQ(r->blocks, (std::map<uint64_t, uint64_t>{{kHome, 12}}));
    EXPECT_EQ(chain->last_block, std::optional<uint64_t>(12));
    // The same hash and canonical form registration would store.
    auto parsed = parse_kernel_spec(spec(kScoreSpec));
    EXPECT_EQ(r->spec_hash, parsed->hash);
    EXPECT_EQ(r->canonical, parsed->canonical);
}

TEST(DryRun, EvmReadThatRevertsIsAResultWithAnError) {
    auto service = service_on(std::make_shared<LocalChain>());
    auto r = service->dry_run(
        spec(
            R"J({"kind":"evm-read","chainId":31337,"to":"0x0000000000000000000000000000000000000bad",
                 "function":"score(uint256)","args":[1],"outputs":["uint256"]})J"),
        {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_NE(r->error.find("returned no data"), std::string::npos) << r->error;
    EXPECT_TRUE(r->outputs.empty());
    EXPECT_TRUE(r->decoded.is_null());
    EXPECT_EQ(dry_run_result_to_json(*r)["error"], r->error);
}

TEST(DryRun, EvmComputeUsesItsInputsAndMissingArgumentsFail) {
    auto service = service_on(nullptr);
    const json adder = spec(
        R"J({"kind":"evm-compute","code":"0x6024356004350160005260206000f3","function":"add(uint256,uint256)",
            "args":["$input[0]","$input[1]"],"outputs":["uint256"],"gas":100000})J");
    DryRunContext c;
    c.inputs = {json(40), json("2")};
    auto r = service->dry_run(adder, c);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->error, "");
    EXPECT_EQ(r->decoded, json::array({"42"}));
    const json out = dry_run_result_to_json(*r);
    EXPECT_EQ(out["kind"], "evm-compute");
    EXPECT_EQ(out["outputs"], to_hex(uint256(42).to_bytes32().view()));
    EXPECT_FALSE(out.contains("error"));

    auto missing = service->dry_run(adder, {});
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_NE(missing->error.find("$input[0]"), std::string::npos) << missing->error;
}

TEST(DryRun, HostileComputeStopsAtItsGasCap) {
    auto service = service_on(nullptr);
    // JUMPDEST PUSH1 0 JUMP: loops until the gas runs out.
    auto r = service->dry_run(
        spec(R"J({"kind":"evm-compute","code":"0x5b600056","outputs":["uint256"],"gas":2000000})J"),
        {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->error, "out of gas (limit 2000000)");
    EXPECT_TRUE(r->decoded.is_null());
}

TEST(DryRun, HttpKernelReadsAnAllowedServer) {
    testing::TestHttpServer server;
    auto service = service_on(
        nullptr, [](ServiceConfig& c) { c.runner.http.allowed_hosts = {"127.0.0.1:*"}; });
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/ok";
    auto r = service->dry_run({{"kind", "http"},
                               {"method", "GET"},
                               {"url", url},
                               {"outputs",
                                {{{"path", "$.price"}, {"type", "uint256"}, {"decimals", 3}},
                                 {{"path", "$.data.active"}, {"type", "bool"}}}}},
                              {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->error, "");
    EXPECT_EQ(r->decoded, json::array({"12345", true}));

    auto failing = service->dry_run(
        {{"kind", "http"},
         {"method", "GET"},
         {"url", "http://127.0.0.1:" + std::to_string(server.port()) + "/status/500"},
         {"outputs", {{{"path", "$.x"}, {"type", "uint256"}}}}},
        {});
    ASSERT_TRUE(failing) << failing.error().message;
    EXPECT_EQ(failing->error.substr(0, 8), "HTTP 500");
}

TEST(DryRun, HttpKernelIsRefusedWithoutTheAllowlistAndOnTheNodesOwnPorts) {
    testing::TestHttpServer server;
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/ok";
    const json http_spec = {{"kind", "http"},
                            {"method", "GET"},
                            {"url", url},
                            {"outputs", {{{"path", "$.price"}, {"type", "string"}}}}};
    auto strict = service_on(nullptr)->dry_run(http_spec, {});
    ASSERT_TRUE(strict) << strict.error().message;
    EXPECT_NE(strict->error.find("refused"), std::string::npos) << strict->error;

    auto listeners = std::make_shared<NodeListeners>();
    listeners->add(server.port());  // as if the server were this node's RPC port
    auto own = service_on(nullptr, [&](ServiceConfig& c) {
        c.runner.http.allowed_hosts = {"127.0.0.1:*"};
        c.runner.http.own_listeners = listeners;
    });
    auto r = own->dry_run(http_spec, {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_NE(r->error.find("this node's own RPC"), std::string::npos) << r->error;
}

TEST(DryRun, MalformedSpecIsABadRequestNamingTheField) {
    auto service = service_on(nullptr);
    auto r = service->dry_run(
        spec(R"J({"kind":"evm-compute","code":"0x00","outputs":["uint256","uint7"]})J"), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, krnl_code::kBadRequest);
    EXPECT_NE(r.error().message.find("outputs[1]"), std::string::npos) << r.error().message;

    auto not_object = service->dry_run(json("spec"), {});
    ASSERT_FALSE(not_object);
    EXPECT_EQ(not_object.error().code, krnl_code::kBadRequest);

    // Larger than a dry run takes (but otherwise a valid spec).
    json big = spec(R"J({"kind":"evm-compute","code":"0x00","outputs":["string"]})J");
    big["code"] = "0x" + std::string(2 * kMaxCodeSize, '0');
    big["function"] = "f(string,string)";
    big["args"] = {std::string(20'000, 'a'), std::string(20'000, 'b')};
    auto too_big = service->dry_run(big, {});
    ASSERT_FALSE(too_big);
    EXPECT_NE(too_big.error().message.find("65536"), std::string::npos) << too_big.error().message;
}

TEST(DryRun, ContextIsCheckedLikeARequest) {
    EXPECT_TRUE(dry_run_context_from_json(json()));
    auto c = dry_run_context_from_json(
        {{"sender", to_hex(kSender)}, {"inputs", {1, "$$x"}}, {"function", "f(bytes)"}});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->sender, kSender);
    EXPECT_EQ(c->inputs.size(), 2u);

    for (const json& bad :
         {json{{"who", 1}}, json{{"sender", "0x12"}}, json{{"args", "0x00"}},
          json{{"inputs", {"$kernel:0[0]"}}}, json{{"inputs", "x"}}, json("string")}) {
        auto r = dry_run_context_from_json(bad);
        ASSERT_FALSE(r) << bad.dump();
        EXPECT_EQ(r.error().code, krnl_code::kBadRequest) << bad.dump();
    }
    auto service = service_on(std::make_shared<LocalChain>());
    DryRunContext no_payload;
    no_payload.function = "trade(uint256)";
    auto r = service->dry_run(spec(kScoreSpec), no_payload);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("payload"), std::string::npos) << r.error().message;
}

TEST(DryRun, BusyEngineAnswersEngineBusy) {
    auto service = service_on(nullptr, [](ServiceConfig& c) { c.max_requests_in_flight = 1; });
    const json adder = spec(R"J({"kind":"evm-compute","code":"0x00","outputs":[]})J");
    {
        auto held = service->admit();
        ASSERT_TRUE(held);
        auto r = service->dry_run(adder, {});
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, krnl_code::kEngineBusy);
    }
    EXPECT_TRUE(service->dry_run(adder, {}));
}

TEST(DryRun, ServedAsKrnlDryRunKernel) {
    auto service = service_on(nullptr);
    rpc::MethodTable methods;
    register_krnl_api(methods, service);
    rpc::CallContext ctx;
    const auto call = [&](json params) {
        return *methods.handle_request({{"jsonrpc", "2.0"},
                                        {"id", 1},
                                        {"method", "krnl_dryRunKernel"},
                                        {"params", std::move(params)}},
                                       ctx);
    };
    const json adder = spec(
        R"J({"kind":"evm-compute","code":"0x6024356004350160005260206000f3","function":"add(uint256,uint256)",
            "args":["$input[0]",2],"outputs":["uint256"]})J");
    auto ok = call({adder, {{"inputs", {"0x28"}}}});
    ASSERT_TRUE(ok.contains("result")) << ok.dump();
    EXPECT_EQ(ok["result"]["decoded"], json::array({"42"}));
    EXPECT_TRUE(ok["result"]["timeMs"].is_number_unsigned());
    EXPECT_EQ(call(json::array())["error"]["code"], rpc::code::kInvalidParams);
    EXPECT_EQ(call({{{"kind", "nope"}}})["error"]["code"], krnl_code::kBadRequest);
}

}  // namespace
}  // namespace krnl::engine
