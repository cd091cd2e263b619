#include "rpc/json_rpc.hpp"

#include <gtest/gtest.h>

#include "rpc/params.hpp"

using namespace krnl;
using namespace krnl::rpc;

namespace {

MethodTable table() {
    MethodTable t;
    t.add("echo", [](const json& params, CallContext&) -> Result<json> { return params; });
    t.add("add", [](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        auto a = p.u64(0);
        if (!a) return std::unexpected(a.error());
        auto b = p.u64(1);
        if (!b) return std::unexpected(b.error());
        return to_quantity(*a + *b);
    });
    t.add("throws",
          [](const json&, CallContext&) -> Result<json> { throw std::runtime_error("boom"); });
    return t;
}

json call(std::string_view body, Limits limits = {}) {
    CallContext ctx;
    const std::string reply = table().handle(body, ctx, limits);
    return reply.empty() ? json() : json::parse(reply);
}

int error_code(const json& reply) {
    return reply.at("error").at("code").get<int>();
}

}  // namespace

TEST(JsonRpc, AnswersARequestWithItsId) {
    const json r = call(R"({"jsonrpc":"2.0","id":"a","method":"add","params":["0x1","0x2"]})");
    EXPECT_EQ(r["id"], "a");
    EXPECT_EQ(r["result"], "0x3");
}

TEST(JsonRpc, ParseErrorHasANullId) {
    const json r = call(R"({"jsonrpc":"2.0","id":1,"method":)");
    EXPECT_EQ(error_code(r), code::kParseError);
    EXPECT_TRUE(r["id"].is_null());
}

TEST(JsonRpc, InvalidRequests) {
    EXPECT_EQ(error_code(call(R"({"jsonrpc":"1.0","id":1,"method":"echo"})")),
              code::kInvalidRequest);
    EXPECT_EQ(error_code(call(R"({"jsonrpc":"2.0","id":1})")), code::kInvalidRequest);
    EXPECT_EQ(error_code(call(R"(42)")), code::kInvalidRequest);
    EXPECT_EQ(error_code(call(R"([])")), code::kInvalidRequest);
    EXPECT_EQ(error_code(call(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":"x"})")),
              code::kInvalidRequest);
}

TEST(JsonRpc, UnknownMethodAndBadParams) {
    const json unknown = call(R"({"jsonrpc":"2.0","id":1,"method":"nope"})");
    EXPECT_EQ(error_code(unknown), code::kMethodNotFound);
    EXPECT_EQ(unknown["error"]["message"], "the method nope does not exist/is not available");
    const json bad = call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":["0x01","0x2"]})");
    EXPECT_EQ(error_code(bad), code::kInvalidParams);
    EXPECT_EQ(bad["error"]["message"], "invalid argument 0: hex number with leading zero digits");
    const json missing = call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":["0x1"]})");
    EXPECT_EQ(missing["error"]["message"], "missing value for required argument 1");
    const json extra =
        call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":["0x1","0x1","0x1"]})");
    EXPECT_EQ(extra["error"]["message"], "too many arguments, want at most 2");
}

TEST(JsonRpc, AThrowingMethodIsAnInternalErrorNotACrash) {
    EXPECT_EQ(error_code(call(R"({"jsonrpc":"2.0","id":1,"method":"throws"})")),
              code::kInternalError);
}

TEST(JsonRpc, BatchesAnswerEachRequestAndSkipNotifications) {
    const json r = call(
        R"([{"jsonrpc":"2.0","id":1,"method":"add","params":["0x1","0x1"]},
            {"jsonrpc":"2.0","method":"add","params":["0x1","0x1"]},
            {"jsonrpc":"2.0","id":2,"method":"nope"},
            7])");
    ASSERT_TRUE(r.is_array());
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0]["result"], "0x2");
    EXPECT_EQ(error_code(r[1]), code::kMethodNotFound);
    EXPECT_EQ(error_code(r[2]), code::kInvalidRequest);
    EXPECT_TRUE(call(R"([{"jsonrpc":"2.0","method":"echo"}])").is_null());  // nothing to send
    EXPECT_TRUE(call(R"({"jsonrpc":"2.0","method":"echo"})").is_null());
}

TEST(JsonRpc, BatchLimit) {
    const json r = call(
        R"([{"jsonrpc":"2.0","id":1,"method":"echo"},{"jsonrpc":"2.0","id":2,"method":"echo"}])",
        Limits{.max_batch = 1});
    EXPECT_EQ(error_code(r), code::kInvalidRequest);
}

// Routing: the server asks may_block of the parsed request, so the name is judged after JSON
// unescaping, and one blocking method anywhere in a batch sends the whole batch to the pool.
MethodTable routing_table() {
    MethodTable t = table();
    t.add_blocking("krnl_executeKernels",
                   [](const json&, CallContext&) -> Result<json> { return "executed"; });
    return t;
}

bool may_block(std::string_view body) {
    const auto request = MethodTable::parse(body);
    EXPECT_TRUE(request.has_value()) << body;
    return request && routing_table().may_block(*request);
}

TEST(JsonRpcRouting, BlockingMethodsByParsedName) {
    EXPECT_TRUE(may_block(R"({"jsonrpc":"2.0","id":1,"method":"krnl_executeKernels"})"));
    EXPECT_TRUE(may_block(R"({"jsonrpc":"2.0","id":1,"method":"krnl\u005fexecuteKernels"})"));
    EXPECT_TRUE(may_block(R"({"jsonrpc":"2.0","id":1,"method":"\u006brnl_executeKernel\u0073"})"));
    EXPECT_FALSE(may_block(R"({"jsonrpc":"2.0","id":1,"method":"echo"})"));
    // The name elsewhere in the body is not a call to it.
    EXPECT_FALSE(
        may_block(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":["krnl_executeKernels"]})"));
    EXPECT_FALSE(may_block(R"({"jsonrpc":"2.0","id":1,"method":["krnl_executeKernels"]})"));
    EXPECT_FALSE(may_block(R"("krnl_executeKernels")"));
}

TEST(JsonRpcRouting, ABatchWithOneBlockingMethodBlocks) {
    EXPECT_TRUE(may_block(R"([{"jsonrpc":"2.0","id":1,"method":"echo"},
                              {"jsonrpc":"2.0","id":2,"method":"krnl\u005fexecuteKernels"}])"));
    EXPECT_TRUE(may_block(R"([7, {"jsonrpc":"2.0","method":"krnl_executeKernels"}])"));
    EXPECT_FALSE(may_block(R"([{"jsonrpc":"2.0","id":1,"method":"echo"},
                               {"jsonrpc":"2.0","id":2,"method":"add","params":["0x1","0x2"]}])"));
    EXPECT_FALSE(may_block("[]"));
}

TEST(JsonRpc, AResultOrErrorThatIsNotUtf8IsAnsweredNotThrown) {
    // A revert reason is whatever bytes a contract returns: the answer must still be sent.
    MethodTable t;
    t.add("bad_result", [](const json&, CallContext&) -> Result<json> { return "ok\xff"; });
    t.add("bad_error", [](const json&, CallContext&) -> Result<json> {
        return error(code::kExecutionReverted, "execution reverted: \xfe\xff");
    });
    CallContext ctx;
    for (const char* method : {"bad_result", "bad_error"}) {
        const std::string body =
            std::string(R"({"jsonrpc":"2.0","id":1,"method":")") + method + R"("})";
        std::string reply;
        ASSERT_NO_THROW(reply = t.handle(body, ctx, Limits{})) << method;
        const json parsed = json::parse(reply, nullptr, false);
        ASSERT_FALSE(parsed.is_discarded()) << reply;
        EXPECT_EQ(parsed["id"], 1);
        EXPECT_NE(reply.find("\xEF\xBF\xBD"), std::string::npos) << reply;  // U+FFFD
    }
}

TEST(JsonRpcRouting, EvmMethodsAreRoutedForAdmissionByParsedName) {
    MethodTable t = routing_table();
    t.add_evm("eth_call", [](const json&, CallContext&) -> Result<json> { return "0x"; });
    auto route = [&](std::string_view body) { return t.route(*MethodTable::parse(body)); };
    const auto single = route(R"({"jsonrpc":"2.0","id":1,"method":"eth\u005fcall"})");
    EXPECT_TRUE(single.evm);
    EXPECT_FALSE(single.blocking);
    const auto mixed = route(R"([{"jsonrpc":"2.0","id":1,"method":"eth_call"},
                                 {"jsonrpc":"2.0","id":2,"method":"krnl_executeKernels"}])");
    EXPECT_TRUE(mixed.evm);
    EXPECT_TRUE(mixed.blocking);
    const auto neither = route(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":["eth_call"]})");
    EXPECT_FALSE(neither.evm);
    EXPECT_FALSE(neither.blocking);
}

TEST(JsonRpcRouting, TheParsedRequestIsAnsweredAsTheText) {
    const MethodTable t = routing_table();
    const std::string body =
        R"([{"jsonrpc":"2.0","id":1,"method":"krnl_executeKernels"},{"jsonrpc":"2.0","id":2,"method":"add","params":["0x1","0x2"]}])";
    CallContext a, b;
    const auto request = MethodTable::parse(body);
    ASSERT_TRUE(request);
    EXPECT_EQ(t.handle_parsed(*request, a, {}), t.handle(body, b, {}));
    const json r = json::parse(t.handle(body, b, {}));
    EXPECT_EQ(r[0]["result"], "executed");
    EXPECT_EQ(r[1]["result"], "0x3");
    EXPECT_FALSE(MethodTable::parse(R"({"jsonrpc":)"));
    EXPECT_EQ(error_code(json::parse(MethodTable::parse_error())), code::kParseError);
}

TEST(JsonRpcRouting, RefusingAnswersEachRequestByItsId) {
    const RpcError err = limit_error("too many", 3, "max_things");
    EXPECT_EQ(err.code, code::kLimitExceeded);
    EXPECT_EQ(err.message, "too many: at most 3 (limits.max_things)");
    const json one = json::parse(
        MethodTable::refuse(json::parse(R"({"jsonrpc":"2.0","id":"x","method":"a"})"), err));
    EXPECT_EQ(one["id"], "x");
    EXPECT_EQ(error_code(one), code::kLimitExceeded);
    const json batch = json::parse(MethodTable::refuse(
        json::parse(R"([{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},
                        {"jsonrpc":"2.0","id":3,"method":"c"}, 5])"),
        err));
    ASSERT_EQ(batch.size(), 3u);  // the notification gets no answer; the non-object a null id
    EXPECT_EQ(batch[0]["id"], 1);
    EXPECT_EQ(batch[1]["id"], 3);
    EXPECT_TRUE(batch[2]["id"].is_null());
    EXPECT_TRUE(MethodTable::refuse(json::parse(R"({"jsonrpc":"2.0","method":"a"})"), err).empty());
}

TEST(JsonRpc, ABatchSharesOneCallContext) {
    MethodTable t;
    t.add("count",
          [](const json&, CallContext& ctx) -> Result<json> { return ++ctx.blocks_mined; });
    CallContext ctx;
    const json r = json::parse(t.handle(
        R"([{"jsonrpc":"2.0","id":1,"method":"count"},{"jsonrpc":"2.0","id":2,"method":"count"}])",
        ctx, {}));
    EXPECT_EQ(r[1]["result"], 2);
    EXPECT_EQ(ctx.blocks_mined, 2u);
}

TEST(Params, EthereumEncodings) {
    EXPECT_EQ(to_quantity(uint64_t{0}), "0x0");
    EXPECT_EQ(to_quantity(uint64_t{255}), "0xff");
    EXPECT_EQ(to_quantity(uint256(4096)), "0x1000");
    EXPECT_EQ(parse_address(json("0x00000000000000000000000000000000000000")).error(),
              "hex string has length 38, want 40 for common.Address");
    EXPECT_EQ(parse_quantity(json("12")).error(), "hex string without 0x prefix");
    EXPECT_EQ(parse_data(json("0xabc")).error(), "hex string of odd length");
    EXPECT_EQ(*parse_data(json("0xABcd")), (bytes{0xab, 0xcd}));
    EXPECT_EQ(parse_block_ref(json("pending"))->tag, BlockRef::Tag::Pending);
    EXPECT_EQ(parse_block_ref(json("0x10"))->number, 16u);
    EXPECT_EQ(parse_block_ref(json{{"blockHash", "0x" + std::string(64, '1')}})->tag,
              BlockRef::Tag::Hash);
    EXPECT_FALSE(parse_block_ref(json("newest")).has_value());
}

TEST(JsonRpcAlias, AnAliasAnswersAsTheMethodAndKeepsItsKind) {
    MethodTable t = routing_table();
    t.add_evm("eth_call", [](const json&, CallContext&) -> Result<json> { return "0x"; });
    EXPECT_TRUE(t.alias("eth_call_alias", "eth_call"));
    EXPECT_TRUE(t.alias("kernels_alias", "krnl_executeKernels"));
    EXPECT_TRUE(t.alias("add_alias", "add"));
    EXPECT_FALSE(t.alias("nothing_alias", "no_such_method"));
    EXPECT_FALSE(t.contains("nothing_alias"));

    auto route = [&](std::string_view method) {
        return t.route(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}});
    };
    EXPECT_TRUE(route("eth_call_alias").evm);
    EXPECT_FALSE(route("eth_call_alias").blocking);
    EXPECT_TRUE(route("kernels_alias").blocking);
    EXPECT_FALSE(route("add_alias").evm);
    EXPECT_FALSE(route("add_alias").blocking);

    CallContext ctx;
    const json reply = json::parse(t.handle(
        R"({"jsonrpc":"2.0","id":7,"method":"add_alias","params":["0x1","0x2"]})", ctx, Limits{}));
    EXPECT_EQ(reply["result"], "0x3");
}
