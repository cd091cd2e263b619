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
