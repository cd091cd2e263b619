#include "rpc/client.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "rpc/server.hpp"

using namespace krnl::rpc;

namespace {

struct Served {
    MethodTable methods;
    std::unique_ptr<Server> server;
    Served() {
        methods.add("echo", [](const json& p, CallContext&) -> Result<json> { return p; });
        methods.add("fail", [](const json&, CallContext&) -> Result<json> {
            return error(code::kServerError, "nonce too low", json("0x01"));
        });
        auto s = Server::bind({.host = "127.0.0.1", .port = 0}, methods);
        EXPECT_TRUE(s.has_value());
        server = std::move(*s);
        server->start(2);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
};

}  // namespace

TEST(Client, CallsAndErrorsOverKeepAlive) {
    Served served;
    Client client(served.url());
    for (int i = 0; i < 20; ++i) {
        auto r = client.call("echo", json::array({i}));
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_EQ(*r, json::array({i}));
    }
    auto e = client.call("fail");
    ASSERT_FALSE(e.has_value());
    EXPECT_EQ(e.error().code, code::kServerError);
    EXPECT_EQ(e.error().message, "nonce too low");
    EXPECT_EQ(*e.error().data, "0x01");
    EXPECT_EQ(client.call("nope").error().code, code::kMethodNotFound);
}

TEST(Client, TransportErrorsNameTheUrl) {
    Client nothing("http://127.0.0.1:1", std::chrono::milliseconds(500));
    auto r = nothing.call("echo");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code::kInternalError);
    EXPECT_NE(r.error().message.find("http://127.0.0.1:1"), std::string::npos);
    EXPECT_FALSE(Client("https://example.org").call("x").has_value());
}

TEST(Client, BatchesAnswerEachCallInOrder) {
    Served served;
    Client client(served.url());
    auto replies = client.call_batch(
        {{"echo", json::array({1})}, {"fail", json::array()}, {"echo", json::array({"x"})}});
    ASSERT_TRUE(replies.has_value()) << replies.error().message;
    ASSERT_EQ(replies->size(), 3u);
    EXPECT_EQ((*replies)[0].value(), json::array({1}));
    EXPECT_EQ((*replies)[1].error().message, "nonce too low");
    EXPECT_EQ((*replies)[2].value(), json::array({"x"}));
    EXPECT_TRUE(client.call_batch({})->empty());
}

TEST(Client, AServerThatDoesNotAnswerIsATimeout) {
    MethodTable methods;
    methods.add("slow", [](const json&, CallContext&) -> Result<json> {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        return true;
    });
    auto server = Server::bind({.host = "127.0.0.1", .port = 0}, methods);
    ASSERT_TRUE(server.has_value());
    (*server)->start(2);
    Client client("http://127.0.0.1:" + std::to_string((*server)->port()),
                  std::chrono::milliseconds(100));
    auto r = client.call("slow");
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("no answer within 100 ms"), std::string::npos)
        << r.error().message;
}
