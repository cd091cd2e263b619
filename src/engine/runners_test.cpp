#include "engine/runners.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "engine/http_test_server.hpp"
#include "evm/host.hpp"

namespace krnl::engine {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::TestHttpServer;

abi::Type T(const char* s) {
    return *abi::parse_type(s);
}

const address kSender = *fixed_from_hex<20>("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
const address kApp = *fixed_from_hex<20>("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");
const address kRegistry = *fixed_from_hex<20>("0x5fbdb2315678afecb367f032d93f642f64180aa3");

// Answers with a scripted result and remembers what it was asked.
class FakeChain : public ChainAccess {
public:
    std::expected<bytes, CallError> result;
    uint64_t last_chain = 0;
    address last_to;
    bytes last_data;
    std::optional<uint64_t> last_block;

    std::expected<bytes, CallError> call(uint64_t chain_id, const address& to, bytes data,
                                         std::optional<uint64_t> block) override {
        std::lock_guard lock(mutex_);
        last_chain = chain_id;
        last_to = to;
        last_data = std::move(data);
        last_block = block;
        return result;
    }
    std::expected<BlockRef, CallError> head(uint64_t) override { return BlockRef{100, 1000}; }

private:
    std::mutex mutex_;
};

KernelSpec spec(const std::string& text) {
    auto s = parse_kernel_spec(std::string_view(text));
    EXPECT_TRUE(s) << s.error();
    return *s;
}

KernelContext context() {
    KernelContext ctx;
    ctx.sender = kSender;
    ctx.app = kApp;
    ctx.args = {TypedValue{T("uint256"), abi::Value(uint64_t{7})},
                TypedValue{T("string"), abi::Value("gold bar")}};
    return ctx;
}

Clock::time_point in(std::chrono::milliseconds ms) {
    return Clock::now() + ms;
}

bytes word(uint64_t v) {
    return bytes(uint256(v).to_bytes32().view());
}

// ---- evm-read ----

const char* kIsApproved =
    R"J({"kind":"evm-read","chainId":31337,"to":"0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "function":"isApproved(address,uint256)","args":["$sender","$args[0]"],"outputs":["bool"],"block":9})J";

TEST(EvmRead, CallsTheChainWithResolvedArguments) {
    auto chain = std::make_shared<FakeChain>();
    chain->result = word(1);
    KernelRunner runner(chain);
    const KernelOutcome out = runner.run(spec(kIsApproved), context(), in(5s));
    ASSERT_TRUE(out.ok()) << out.error;
    EXPECT_EQ(out.abi_result, word(1));
    ASSERT_EQ(out.values.size(), 1u);
    EXPECT_EQ(out.values[0], abi::Value(true));
    EXPECT_EQ(chain->last_chain, 31337u);
    EXPECT_EQ(chain->last_to, kRegistry);
    EXPECT_EQ(chain->last_block, 9u);
    const std::vector<abi::Value> args = {abi::Value(kSender), abi::Value(uint64_t{7})};
    EXPECT_EQ(chain->last_data, *abi::encode_call("isApproved(address,uint256)", args));
}

TEST(EvmRead, RevertsCarryTheDecodedReason) {
    auto chain = std::make_shared<FakeChain>();
    KernelRunner runner(chain);
    const std::vector<abi::Value> reason = {abi::Value("wallet not approved")};
    chain->result = std::unexpected(
        CallError{"execution reverted", *abi::encode_call("Error(string)", reason)});
    EXPECT_EQ(runner.run(spec(kIsApproved), context(), in(5s)).error,
              "reverted: wallet not approved");

    chain->result =
        std::unexpected(CallError{"execution reverted", bytes{0xde, 0xad, 0xbe, 0xef, 1}});
    EXPECT_EQ(runner.run(spec(kIsApproved), context(), in(5s)).error,
              "reverted: custom error 0xdeadbeef");

    chain->result = std::unexpected(CallError{"execution reverted", bytes{}});
    EXPECT_EQ(runner.run(spec(kIsApproved), context(), in(5s)).error, "reverted: no reason");

    const std::vector<abi::Value> panic = {abi::Value(uint64_t{0x11})};
    chain->result = std::unexpected(
        CallError{"execution reverted", *abi::encode_call("Panic(uint256)", panic)});
    const std::string err = runner.run(spec(kIsApproved), context(), in(5s)).error;
    EXPECT_TRUE(err.starts_with("reverted: ")) << err;
    EXPECT_NE(err.find("overflow"), std::string::npos) << err;
}

TEST(EvmRead, FailuresAreOutcomes) {
    auto chain = std::make_shared<FakeChain>();
    KernelRunner runner(chain);
    chain->result = std::unexpected(CallError{"unknown chain 31337", std::nullopt});
    KernelOutcome out = runner.run(spec(kIsApproved), context(), in(5s));
    EXPECT_EQ(out.error, "call failed: unknown chain 31337");
    EXPECT_TRUE(out.abi_result.empty());

    chain->result = bytes{};
    EXPECT_NE(runner.run(spec(kIsApproved), context(), in(5s)).error.find("returned no data"),
              std::string::npos);

    chain->result = word(2);  // not a canonical bool
    EXPECT_NE(runner.run(spec(kIsApproved), context(), in(5s))
                  .error.find("cannot decode the result as (bool)"),
              std::string::npos);

    KernelRunner no_chain(nullptr);
    EXPECT_EQ(no_chain.run(spec(kIsApproved), context(), in(5s)).error,
              "no chain access is configured");

    chain->result = word(1);
    KernelContext missing = context();
    missing.args.clear();
    EXPECT_EQ(runner.run(spec(kIsApproved), missing, in(5s)).error,
              "args[1]: $args[0]: the call has 0 arguments");

    KernelContext wrong_type = context();
    wrong_type.args[0] = TypedValue{T("string"), abi::Value("seven")};
    EXPECT_EQ(runner.run(spec(kIsApproved), wrong_type, in(5s)).error,
              "args[1]: $args[0]: a string value cannot be used as uint256");

    EXPECT_EQ(runner.run(spec(kIsApproved), context(), Clock::now() - 1ms).error,
              "timed out before it started");
}

TEST(EvmRead, InputsAndLiteralsFillArguments) {
    auto chain = std::make_shared<FakeChain>();
    chain->result =
        *abi::encode(std::vector<abi::Type>{T("uint256"), T("string")},
                     std::vector<abi::Value>{abi::Value(uint64_t{85}), abi::Value("ok")});
    KernelRunner runner(chain);
    const KernelSpec s =
        spec(R"J({"kind":"evm-read","chainId":5,"to":"0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "function":"score(address,uint8[2],string,string)","args":["$input[0]",[1,"$input[1]"],"$$literal","$args[1]"],
        "outputs":["uint256","string"]})J");
    KernelContext ctx = context();
    ctx.inputs = {json("0x00000000000000000000000000000000000000aa"),
                  TypedValue{T("uint256"), abi::Value(uint64_t{2})}};
    const KernelOutcome out = runner.run(s, ctx, in(5s));
    ASSERT_TRUE(out.ok()) << out.error;
    EXPECT_EQ(out.abi_result, chain->result.value());
    EXPECT_EQ(out.values[0], abi::Value(uint64_t{85}));
    const std::vector<abi::Value> args = {
        abi::Value(*fixed_from_hex<20>("0x00000000000000000000000000000000000000aa")),
        abi::Value(abi::ValueList{uint64_t{1}, uint64_t{2}}), abi::Value("$literal"),
        abi::Value("gold bar")};
    EXPECT_EQ(chain->last_data, *abi::encode_call("score(address,uint8[2],string,string)", args));
    EXPECT_FALSE(chain->last_block.has_value());
    // The request's pin applies to a spec without a block of its own, on the pinned chain only.
    ctx.blocks = {{5, 77}};
    ASSERT_TRUE(runner.run(s, ctx, in(5s)).ok());
    EXPECT_EQ(chain->last_block, 77u);
    ctx.blocks = {{6, 77}};
    ASSERT_TRUE(runner.run(s, ctx, in(5s)).ok());
    EXPECT_FALSE(chain->last_block.has_value());
    ctx.blocks.clear();

    ctx.inputs[1] = TypedValue{T("uint256"), abi::Value(uint64_t{300})};  // does not fit uint8
    EXPECT_EQ(runner.run(s, ctx, in(5s)).error,
              "args[1]: [1]: $input[1]: a uint256 value cannot be used as uint8");
}

// ---- http ----

std::string http_kernel(const std::string& url, const std::string& extra = "") {
    return R"J({"kind":"http","method":"GET","url":")J" + url + R"J(",
        "outputs":[{"path":"$.data.active","type":"bool"},{"path":"$.price","type":"uint256","decimals":8},
                   {"path":"$.data.name","type":"string"},{"path":"$.big","type":"uint256"},
                   {"path":"$.ticker","type":"uint64","decimals":2},{"path":"$.list[2]","type":"uint8"},
                   {"path":"$.neg","type":"int32"},{"path":"$.data.owner","type":"address"},
                   {"path":"$.tiny","type":"uint256","decimals":3}])J" +
           extra + "}";
}

KernelRunner loopback_runner() {
    RunnerOptions o;
    o.http.allowed_hosts = {"127.0.0.1:*"};
    return KernelRunner(nullptr, o);
}

TEST(Http, ExtractsTypedOutputs) {
    TestHttpServer server;
    const KernelRunner runner = loopback_runner();
    const KernelOutcome out = runner.run(spec(http_kernel(server.url("/ok"))), context(), in(10s));
    ASSERT_TRUE(out.ok()) << out.error;
    ASSERT_EQ(out.values.size(), 9u);
    EXPECT_EQ(out.values[0], abi::Value(true));
    EXPECT_EQ(out.values[1], abi::Value(uint64_t{1234500000}));
    EXPECT_EQ(out.values[2], abi::Value("gold"));
    EXPECT_EQ(to_string(*out.values[3].as_uint()), "123456789012345678901234567890");
    EXPECT_EQ(out.values[4], abi::Value(uint64_t{1250}));
    EXPECT_EQ(out.values[5], abi::Value(uint64_t{3}));
    EXPECT_EQ(out.values[6], abi::Value::signed_int(-7));
    EXPECT_EQ(out.values[7],
              abi::Value(*fixed_from_hex<20>("0x00000000000000000000000000000000000000aa")));
    EXPECT_EQ(out.values[8], abi::Value(uint64_t{1}));
    const KernelSpec s = spec(http_kernel(server.url("/ok")));
    EXPECT_EQ(out.abi_result, *abi::encode(s.output_types(), out.values));
}

TEST(Http, EndpointOutcomes) {
    TestHttpServer server;
    const KernelRunner runner = loopback_runner();
    const auto run = [&](const std::string& path, const std::string& extra = "") {
        return runner.run(spec(http_kernel(server.url(path), extra)), context(), in(10s)).error;
    };
    EXPECT_EQ(run("/slow/20"), "outputs[0] ($.data.active): not in the response");
    EXPECT_EQ(run("/slow/60000", R"(,"timeoutMs":200)"), "timed out after 200 ms");
    EXPECT_EQ(run("/never", R"(,"timeoutMs":200)"), "timed out after 200 ms");
    EXPECT_TRUE(run("/garbage").starts_with("the response is not valid JSON: ")) << run("/garbage");
    EXPECT_EQ(run("/big", R"(,"maxBytes":4096)"), "response body larger than 4096 bytes");
    EXPECT_EQ(run("/loop"), "too many redirects (more than 3)");
    EXPECT_EQ(run("/status/503"), "HTTP 503 Service Unavailable");
    EXPECT_EQ(run("/status/404"), "HTTP 404 Not Found");
    EXPECT_EQ(run("/redirect/1"), "");

    // The request deadline, when it comes before the kernel's own timeout.
    const KernelOutcome late =
        runner.run(spec(http_kernel(server.url("/never"))), context(), in(200ms));
    EXPECT_TRUE(late.error.starts_with("timed out after ")) << late.error;
    EXPECT_NE(late.error, "timed out after 10000 ms");
}

TEST(Http, WrongTypesInTheResponseAreNamed) {
    TestHttpServer server;
    const KernelRunner runner = loopback_runner();
    const std::string s = R"J({"kind":"http","method":"GET","url":")J" + server.url("/ok") +
                          R"J(","outputs":[{"path":"$.data.name","type":"uint256"}]})J";
    EXPECT_EQ(runner.run(spec(s), context(), in(10s)).error,
              "outputs[0] ($.data.name): \"gold\" is not a decimal number");
    const std::string t = R"J({"kind":"http","method":"GET","url":")J" + server.url("/ok") +
                          R"J(","outputs":[{"path":"$.price","type":"uint256","decimals":2}]})J";
    EXPECT_EQ(runner.run(spec(t), context(), in(10s)).error,
              "outputs[0] ($.price): \"12.345\" has more than 2 decimal places");
}

TEST(Http, SsrfRefusedUnlessAllowed) {
    TestHttpServer server;
    const KernelRunner strict(nullptr);
    for (const std::string& url : {server.url("/ok"), std::string("http://10.0.0.1/x"),
                                   std::string("http://169.254.169.254/latest"),
                                   "http://[::1]:" + std::to_string(server.port()) + "/ok"}) {
        const std::string err = strict.run(spec(http_kernel(url)), context(), in(10s)).error;
        EXPECT_TRUE(err.starts_with("refused: ")) << url << ": " << err;
    }
    EXPECT_EQ(server.requests(), 0);
    RunnerOptions all;
    all.http.allow_private = true;
    EXPECT_TRUE(KernelRunner(nullptr, all)
                    .run(spec(http_kernel(server.url("/ok"))), context(), in(10s))
                    .ok());
}

TEST(Http, TemplatesFillUrlQueryHeadersAndBody) {
    TestHttpServer server;
    const KernelRunner runner = loopback_runner();
    const std::string s = R"J({"kind":"http","method":"POST","url":")J" +
                          server.url("/echo/{{$args[1]}}") +
                          R"J(","query":{"wallet":"{{$sender}}","n":"{{$input[0]}}"},
        "headers":{"Authorization":"Bearer {{$input[1]}}"},
        "body":{"who":"$sender","amount":"$args[0]","note":"id {{$args[0]}}","lit":"$$x","list":["$input[0]",2]},
        "outputs":[{"path":"$.target","type":"string"},{"path":"$.auth","type":"string"},
                   {"path":"$.body","type":"string"},{"path":"$.method","type":"string"}]})J";
    KernelContext ctx = context();
    ctx.inputs = {json("a&b"), json("secret")};
    const KernelOutcome out = runner.run(spec(s), ctx, in(10s));
    ASSERT_TRUE(out.ok()) << out.error;
    EXPECT_EQ(*out.values[0].as_string(), "/echo/gold%20bar?n=a%26b&wallet=" + to_hex(kSender));
    EXPECT_EQ(*out.values[1].as_string(), "Bearer secret");
    EXPECT_EQ(json::parse(*out.values[2].as_string()),
              json::parse(R"({"who":")" + to_hex(kSender) +
                          R"(","amount":"7","note":"id 7","lit":"$x","list":["a&b",2]})"));
    EXPECT_EQ(*out.values[3].as_string(), "POST");

    ctx.inputs = {json("x"), json("bad\r\nX-Injected: 1")};
    EXPECT_EQ(runner.run(spec(s), ctx, in(10s)).error,
              "headers.Authorization: $input[1]: the value has a control character");
    EXPECT_EQ(server.requests(), 1);
}

// ---- evm-compute ----

// add(a, b): returns calldataload(4) + calldataload(36).
const char* kAdd = R"J({"kind":"evm-compute","code":"0x6024356004350160005260206000f3",
    "function":"add(uint256,uint256)","args":["$input[0]",5],"outputs":["uint256"]})J";

TEST(EvmCompute, RunsPureCode) {
    const KernelRunner runner(nullptr);
    KernelContext ctx = context();
    ctx.inputs = {TypedValue{T("uint256"), abi::Value(uint64_t{37})}};
    const KernelOutcome out = runner.run(spec(kAdd), ctx, in(5s));
    ASSERT_TRUE(out.ok()) << out.error;
    EXPECT_EQ(out.values[0], abi::Value(uint64_t{42}));
    EXPECT_EQ(out.abi_result, word(42));

    // Without a function the call data is the bare encoding: calldataload(0) + calldataload(32).
    const KernelOutcome raw =
        runner.run(spec(R"J({"kind":"evm-compute","code":"0x6020356000350160005260206000f3",
        "inputs":["uint256","uint256"],"args":[40,"$args[0]"],"outputs":["uint256"]})J"),
                   context(), in(5s));
    ASSERT_TRUE(raw.ok()) << raw.error;
    EXPECT_EQ(raw.values[0], abi::Value(uint64_t{47}));
}

TEST(EvmCompute, FailuresAreOutcomes) {
    const KernelRunner runner(nullptr);
    const auto run = [&](const std::string& code, const std::string& extra = "") {
        return runner
            .run(spec(R"J({"kind":"evm-compute","code":")J" + code +
                      R"J(","outputs":["uint256"])J" + extra + "}"),
                 context(), in(5s))
            .error;
    };
    // JUMPDEST PUSH1 0 JUMP: loops until the gas runs out.
    EXPECT_EQ(run("0x5b600056", R"(,"gas":100000)"), "out of gas (limit 100000)");
    EXPECT_EQ(run("0x5b600056"), "out of gas (limit 10000000)");
    // SSTORE in a static call.
    EXPECT_EQ(run("0x6001600055"),
              "failed: the code tried to change state (evm-compute kernels are pure)");
    // Reverts with Error("no"), copied from the code's tail.
    EXPECT_EQ(run("0x6064600c60003960646000fd08c379a0"
                  "0000000000000000000000000000000000000000000000000000000000000020"
                  "0000000000000000000000000000000000000000000000000000000000000002"
                  "6e6f000000000000000000000000000000000000000000000000000000000000"),
              "reverted: no");
    EXPECT_EQ(run("0x60006000fd"), "reverted: no reason");
    EXPECT_EQ(run("0xfe"),
              "failed: " + std::string(evm::status_name(evm::StatusCode::InvalidInstruction)));
    // STOP returns nothing, which is no uint256.
    EXPECT_NE(run("0x00").find("cannot decode the result as (uint256)"), std::string::npos);
}

TEST(EvmCompute, SeesAnEmptyWorld) {
    const KernelRunner runner(nullptr);
    // SELFBALANCE, CALLER, CHAINID and NUMBER are all those of the sandbox: return caller.
    const KernelOutcome out = runner.run(
        spec(R"J({"kind":"evm-compute","code":"0x3360005260206000f3","outputs":["address"]})J"),
        context(), in(5s));
    ASSERT_TRUE(out.ok()) << out.error;
    EXPECT_EQ(out.values[0], abi::Value(kComputeCaller));
    // BALANCE of the sender, who has funds on real chains, is zero here.
    const KernelOutcome balance = runner.run(
        spec(
            R"J({"kind":"evm-compute","code":"0x6000353160005260206000f3","inputs":["address"],"args":["$sender"],
                  "outputs":["uint256"]})J"),
        context(), in(5s));
    ASSERT_TRUE(balance.ok()) << balance.error;
    EXPECT_EQ(balance.values[0], abi::Value(uint64_t{0}));
}

TEST(Templates, ResolveAndInterpolate) {
    const KernelContext ctx = context();
    EXPECT_EQ(*interpolate("a/{{$args[1]}}?x={{$args[0]}}", ctx, true), "a/gold%20bar?x=7");
    EXPECT_EQ(*interpolate("{{$args[1]}}", ctx, false), "gold bar");
    EXPECT_FALSE(interpolate("{{$args[9]}}", ctx, true));
    EXPECT_FALSE(interpolate("{{oops}}", ctx, true));
    EXPECT_EQ(*resolve_arg(T("address"), json("$app"), ctx), abi::Value(kApp));
    EXPECT_EQ(*resolve_arg(T("string"), json("$$app"), ctx), abi::Value("$app"));
    EXPECT_FALSE(resolve_arg(T("address"), json("$kernel:0[0]"), ctx));
    JsonPath p = *parse_json_path("$.a[1].b");
    const json doc = json::parse(R"({"a":[0,{"b":"x"}]})");
    std::string pointer;
    const json* found = find_json_path(doc, p, &pointer);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, "x");
    EXPECT_EQ(pointer, "/a/1/b");
    EXPECT_EQ(find_json_path(doc, *parse_json_path("$.a[2]")), nullptr);
    EXPECT_EQ(find_json_path(doc, *parse_json_path("$.a.b")), nullptr);
}

}  // namespace
}  // namespace krnl::engine
