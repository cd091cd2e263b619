#include "rpc/client.hpp"

#include <gtest/gtest.h>

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
