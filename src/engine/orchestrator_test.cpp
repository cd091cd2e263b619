#include "engine/orchestrator.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>

#include "engine/http_test_server.hpp"

namespace krnl::engine {
namespace {

using namespace std::chrono_literals;

abi::Type T(const char* s) {
    return *abi::parse_type(s);
}
bytes word(uint64_t v) {
    return bytes(uint256(v).to_bytes32().view());
}
address addr(uint8_t last) {
    address a;
    a[19] = last;
    return a;
}

// A chain whose answers a test scripts per target address; its synchronisation lives here so
// kernel threads that outlive a request still find it.
class ScriptedChain : public ChainAccess {
public:
    std::function<std::expected<bytes, CallError>(ScriptedChain&, const address&, const bytes&)>
        handler;
    std::mutex mutex;
    std::condition_variable changed;
    int arrived = 0;
    int finished = 0;
    bool released = false;

    std::expected<bytes, CallError> call(uint64_t, const address& to, bytes data,
                                         std::optional<uint64_t>) override {
        auto r = handler(*this, to, data);
        std::lock_guard lock(mutex);
        ++finished;
        changed.notify_all();
        return r;
    }
    std::expected<BlockRef, CallError> head(uint64_t) override { return BlockRef{1, 0}; }

    // Blocks until `n` calls arrived (true) or a few seconds pass (false).
    bool rendezvous(int n) {
        std::unique_lock lock(mutex);
        ++arrived;
        changed.notify_all();
        return changed.wait_for(lock, 5s, [&] { return arrived >= n; });
    }
    void block_until_released() {
        std::unique_lock lock(mutex);
        changed.wait_for(lock, 30s, [&] { return released; });
    }
    void release_and_wait_for(int calls) {
        std::unique_lock lock(mutex);
        released = true;
        changed.notify_all();
        changed.wait_for(lock, 30s, [&] { return finished >= calls; });
    }
};

std::shared_ptr<const KernelSpec> spec(const std::string& text) {
    auto s = parse_kernel_spec(std::string_view(text));
    EXPECT_TRUE(s) << s.error();
    return std::make_shared<const KernelSpec>(*s);
}

std::shared_ptr<const KernelSpec> read_at(uint8_t to, const char* outputs = R"(["uint256"])") {
    return spec(R"J({"kind":"evm-read","chainId":1,"to":")J" + to_hex(addr(to)) +
                R"J(","function":"value()","outputs":)J" + outputs + "}");
}

// add(a, b) over two inputs.
std::shared_ptr<const KernelSpec> add_inputs() {
    return spec(R"J({"kind":"evm-compute","code":"0x6024356004350160005260206000f3",
        "function":"add(uint256,uint256)","args":["$input[0]","$input[1]"],"outputs":["uint256"]})J");
}

struct Fixture {
    std::shared_ptr<ScriptedChain> chain = std::make_shared<ScriptedChain>();
    OrchestratorOptions options;
    RunnerOptions runner_options;

    Orchestrator orchestrator() const {
        return Orchestrator(std::make_shared<const KernelRunner>(chain, runner_options), options);
    }
};

ExecutionRequest request(std::vector<KernelCall> kernels) {
    ExecutionRequest r;
    r.app = addr(0xa0);
    r.sender = addr(0x5e);
    r.args = {TypedValue{T("uint256"), abi::Value(uint64_t{7})}};
    r.kernels = std::move(kernels);
    return r;
}

TEST(Orchestrator, RunsIndependentKernelsAtOnce) {
    Fixture f;
    // Each call waits for the other: both succeed only if they run at the same time.
    f.chain->handler = [](ScriptedChain& c, const address& to,
                          const bytes&) -> std::expected<bytes, CallError> {
        if (!c.rendezvous(2))
            return std::unexpected(CallError{"the other kernel never started", {}});
        return word(to[19]);
    };
    auto results = f.orchestrator().execute(request({{11, read_at(1), {}}, {12, read_at(2), {}}}));
    ASSERT_TRUE(results) << results.error();
    ASSERT_EQ(results->size(), 2u);
    EXPECT_EQ((*results)[0].kernel_id, uint256(11));
    EXPECT_EQ((*results)[0].err, "");
    EXPECT_EQ((*results)[0].result, word(1));
    EXPECT_EQ((*results)[1].kernel_id, uint256(12));
    EXPECT_EQ((*results)[1].result, word(2));
    EXPECT_EQ((*results)[1].values, abi::ValueList{abi::Value(uint64_t{2})});
}

TEST(Orchestrator, FeedsOutputsToDependentKernels) {
    Fixture f;
    f.chain->handler = [](ScriptedChain&, const address&,
                          const bytes& data) -> std::expected<bytes, CallError> {
        EXPECT_EQ(data, bytes(abi::selector("value()").view()));
        return word(5);
    };
    // 2 = (1 = 0 + 5) + $args[0], listed out of order.
    auto results = f.orchestrator().execute(request({
        {102, add_inputs(), {"$kernel:1[0]", "$args[0]"}},
        {101, add_inputs(), {"$kernel:2[0]", 5}},
        {100, read_at(1), {}},
    }));
    ASSERT_TRUE(results) << results.error();
    EXPECT_EQ((*results)[2].result, word(5));
    EXPECT_EQ((*results)[1].result, word(10)) << (*results)[1].err;
    EXPECT_EQ((*results)[0].result, word(17)) << (*results)[0].err;
}

TEST(Orchestrator, RequestFieldsAndLiteralsAsInputs) {
    Fixture f;
    auto echo_address = spec(R"J({"kind":"evm-compute","code":"0x60043560005260206000f3",
        "function":"id(address)","args":["$input[0]"],"outputs":["address"]})J");
    auto results = f.orchestrator().execute(request({
        {1, echo_address, {"$sender"}},
        {2, echo_address, {"$app"}},
        {3, echo_address, {"0x00000000000000000000000000000000000000ff"}},
    }));
    ASSERT_TRUE(results) << results.error();
    EXPECT_EQ((*results)[0].values[0], abi::Value(addr(0x5e))) << (*results)[0].err;
    EXPECT_EQ((*results)[1].values[0], abi::Value(addr(0xa0)));
    EXPECT_EQ((*results)[2].values[0], abi::Value(addr(0xff)));
}

TEST(Orchestrator, AFailureCascadesWithItsName) {
    Fixture f;
    const std::vector<abi::Value> reason = {abi::Value("not approved")};
    f.chain->handler = [&](ScriptedChain&, const address&,
                           const bytes&) -> std::expected<bytes, CallError> {
        return std::unexpected(
            CallError{"execution reverted", *abi::encode_call("Error(string)", reason)});
    };
    auto results = f.orchestrator().execute(request({
        {100, read_at(1), {}},
        {101, add_inputs(), {"$kernel:0[0]", 1}},
        {102, add_inputs(), {"$kernel:1[0]", 1}},
        {103, add_inputs(), {1, 2}},
    }));
    ASSERT_TRUE(results) << results.error();
    EXPECT_EQ((*results)[0].err, "reverted: not approved");
    EXPECT_TRUE((*results)[0].result.empty());
    EXPECT_EQ((*results)[1].err, "dependency kernel 0 (id 100) failed: reverted: not approved");
    EXPECT_EQ((*results)[2].err,
              "dependency kernel 1 (id 101) failed: dependency kernel 0 (id 100) failed: reverted: "
              "not approved");
    EXPECT_EQ((*results)[3].err, "");
    EXPECT_EQ((*results)[3].result, word(3));
}

TEST(Orchestrator, TheDeadlineAnswersKernelsStillRunning) {
    Fixture f;
    f.options.request_deadline = 200ms;
    f.chain->handler = [](ScriptedChain& c, const address& to,
                          const bytes&) -> std::expected<bytes, CallError> {
        if (to == addr(9)) c.block_until_released();
        return word(1);
    };
    auto results = f.orchestrator().execute(request({
        {1, read_at(9), {}},
        {2, add_inputs(), {"$kernel:0[0]", 1}},
        {3, read_at(1), {}},
    }));
    f.chain->release_and_wait_for(2);
    ASSERT_TRUE(results) << results.error();
    EXPECT_EQ((*results)[0].err, "timed out (request deadline)");
    EXPECT_EQ((*results)[1].err, "not started: the request deadline passed first");
    EXPECT_EQ((*results)[2].err, "");
    EXPECT_EQ((*results)[2].result, word(1));
}

TEST(Orchestrator, EachKernelHasItsOwnTimeout) {
    testing::TestHttpServer server;
    Fixture f;
    f.options.kernel_timeout = 100ms;
    f.runner_options.http.allowed_hosts = {"127.0.0.1:*"};
    const auto http_kernel = [&](const std::string& path, int timeout_ms) {
        return spec(R"J({"kind":"http","method":"GET","url":")J" + server.url(path) +
                    R"J(","outputs":[{"path":"$.ok","type":"bool"}],"timeoutMs":)J" +
                    std::to_string(timeout_ms) + "}");
    };
    // An http kernel has the timeout its spec names, longer or shorter than the orchestrator's:
    // one that answers in 400 ms within its 2 s succeeds, one that never answers ends at its 300.
    auto results = f.orchestrator().execute(request({{1, http_kernel("/slow/400", 2000), {}},
                                                     {2, http_kernel("/never", 300), {}},
                                                     {3, add_inputs(), {1, 2}}}));
    ASSERT_TRUE(results);
    EXPECT_EQ((*results)[0].err, "") << (*results)[0].err;
    EXPECT_EQ((*results)[1].err, "timed out after 300 ms");
    EXPECT_EQ((*results)[2].result, word(3));
}

TEST(Orchestrator, RejectsBadGraphs) {
    Fixture f;
    const Orchestrator o = f.orchestrator();
    const auto error_of = [&](std::vector<KernelCall> kernels) {
        auto r = o.execute(request(std::move(kernels)));
        return r ? std::string("(ran)") : r.error();
    };
    EXPECT_EQ(
        error_of({{1, add_inputs(), {"$kernel:1[0]", 1}}, {2, add_inputs(), {"$kernel:0[0]", 1}}}),
        "the kernels' inputs form a cycle (kernels 0, 1)");
    EXPECT_EQ(error_of({{1, add_inputs(), {"$kernel:1[0]", 1}},
                        {2, add_inputs(), {"$kernel:2[0]", 1}},
                        {3, add_inputs(), {"$kernel:1[0]", 1}},
                        {4, add_inputs(), {1, 1}}}),
              "the kernels' inputs form a cycle (kernels 0, 1, 2)");
    EXPECT_EQ(error_of({{1, add_inputs(), {"$kernel:0[0]", 1}}}),
              "kernel 0 (id 1) input 0: a kernel cannot read its own output");
    EXPECT_EQ(error_of({{1, add_inputs(), {"$kernel:4[0]", 1}}}),
              "kernel 0 (id 1) input 0: $kernel:4[0] names an unknown kernel (the request has 1)");
    EXPECT_EQ(error_of({{1, add_inputs(), {1, 1}}, {2, add_inputs(), {1, "$kernel:0[1]"}}}),
              "kernel 1 (id 2) input 1: $kernel:0[1] but kernel 0 (id 1) has 1 outputs");
    EXPECT_EQ(error_of({{1, add_inputs(), {"$args[3]", 1}}}),
              "kernel 0 (id 1) input 0: $args[3] but the call has 1 arguments");
    EXPECT_EQ(error_of({{1, add_inputs(), {"$input[0]", 1}}}),
              "kernel 0 (id 1) input 0: $input references belong in kernel specs");
    EXPECT_TRUE(error_of({{1, add_inputs(), {"$bogus", 1}}})
                    .starts_with("kernel 0 (id 1) input 0: bad reference"));
    EXPECT_EQ(error_of({{1, nullptr, {}}}), "kernel 0 (id 1): no spec");
    std::vector<KernelCall> many(33, KernelCall{1, add_inputs(), {1, 1}});
    EXPECT_EQ(error_of(many), "too many kernels: 33 (at most 32)");
}

TEST(Orchestrator, BadInputValuesAreKernelErrors) {
    Fixture f;
    auto results = f.orchestrator().execute(request({{1, add_inputs(), {"not a number", "$$5"}}}));
    ASSERT_TRUE(results);
    EXPECT_EQ((*results)[0].err, "args[0]: $input[0]: \"not a number\" is not a decimal number");
}

TEST(Orchestrator, ACallChainAsDeepAsGasAllowsIsAnOutcomeNotACrash) {
    // CALL(gas, ADDRESS, 0, 0, 0, 0, 0) forever: the sandbox's 10M gas reach several hundred
    // nested frames, each recursing through the interpreter on the kernel thread's own stack.
    Fixture f;
    auto deep =
        spec(R"J({"kind":"evm-compute","code":"0x60006000600060006000305af160005260206000f3",
        "function":"f()","outputs":["uint256"]})J");
    auto results = f.orchestrator().execute(request({{uint256(1), deep, {}}}));
    ASSERT_TRUE(results) << results.error();
    ASSERT_EQ(results->size(), 1u);
    EXPECT_EQ((*results)[0].err, "") << (*results)[0].err;  // the outermost call returns its status
}

TEST(Orchestrator, AnEmptyRequestHasNoResults) {
    Fixture f;
    auto results = f.orchestrator().execute(request({}));
    ASSERT_TRUE(results);
    EXPECT_TRUE(results->empty());
}

TEST(DecodeCallArgs, TypesTheArguments) {
    const std::vector<abi::Value> values = {abi::Value(uint64_t{7}), abi::Value("gold")};
    const bytes encoded = *abi::encode(*abi::parse_types("uint256,string"), values);
    auto args = decode_call_args("trade(uint,string)", encoded);
    ASSERT_TRUE(args) << args.error();
    ASSERT_EQ(args->size(), 2u);
    EXPECT_EQ((*args)[0].type.canonical(), "uint256");
    EXPECT_EQ((*args)[1].value, abi::Value("gold"));
    EXPECT_FALSE(decode_call_args("trade(uint,string)", encoded.substr(0, 40)));
    EXPECT_FALSE(decode_call_args("trade(", encoded));
}

}  // namespace
}  // namespace krnl::engine
