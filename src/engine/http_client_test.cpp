#include "engine/http_client.hpp"

#include <gtest/gtest.h>

#include "engine/http_test_server.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

namespace krnl::engine {
namespace {

using namespace std::chrono_literals;
using testing::TestHttpServer;

HttpPolicy loopback_allowed() {
    HttpPolicy p;
    p.allowed_hosts = {"127.0.0.1:*"};
    return p;
}

HttpRequest get(const std::string& url, std::chrono::milliseconds timeout = 5000ms) {
    HttpRequest r;
    r.url = url;
    r.deadline = std::chrono::steady_clock::now() + timeout;
    return r;
}

TEST(Url, ParsesHostPortAndTarget) {
    auto u = parse_url("http://Example.COM:8080/a/b?x=1#frag");
    ASSERT_TRUE(u) << u.error();
    EXPECT_EQ(u->scheme, "http");
    EXPECT_EQ(u->host, "example.com");
    EXPECT_EQ(u->port, 8080);
    EXPECT_EQ(u->target, "/a/b?x=1");
    EXPECT_EQ(u->text(), "http://example.com:8080/a/b?x=1");

    auto v6 = parse_url("https://[::1]/x");
    ASSERT_TRUE(v6) << v6.error();
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 443);
    EXPECT_EQ(v6->authority(), "[::1]");

    auto bare = parse_url("http://host?q=1");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->target, "/?q=1");
}

TEST(Url, RejectsBadUrls) {
    for (const char* bad :
         {"ftp://x/", "http://", "http://user:pw@host/", "http://host:0/", "http://host:70000/",
          "http://host:/", "http://ho st/", "http://host/a b", "http://[::1/", "http://[zz]/",
          "//host/", "http://host:12a/"}) {
        auto u = parse_url(bad);
        EXPECT_FALSE(u) << bad;
    }
}

TEST(Url, ResolvesLocations) {
    const Url base = *parse_url("http://a.example/dir/page?x=1");
    EXPECT_EQ(resolve_location(base, "/other")->text(), "http://a.example/other");
    EXPECT_EQ(resolve_location(base, "next?y=2")->text(), "http://a.example/dir/next?y=2");
    EXPECT_EQ(resolve_location(base, "//b.example/z")->text(), "http://b.example/z");
    EXPECT_EQ(resolve_location(base, "https://c.example:444/")->text(), "https://c.example:444/");
    EXPECT_FALSE(resolve_location(base, ""));
}

TEST(Ssrf, ClassifiesAddresses) {
    const std::pair<const char*, const char*> cases[] = {
        {"127.0.0.1", "loopback"},
        {"127.255.0.9", "loopback"},
        {"10.1.2.3", "private"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"192.168.1.1", "private"},
        {"169.254.169.254", "link-local"},
        {"0.0.0.0", "unspecified"},
        {"224.0.0.1", "multicast"},
        {"255.255.255.255", "broadcast"},
        {"100.64.0.1", "shared"},
        {"::1", "loopback"},
        {"::", "unspecified"},
        {"fc00::1", "unique-local"},
        {"fd12:3456::1", "unique-local"},
        {"fe80::1", "link-local"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:10.0.0.1", "private"},
        {"64:ff9b::a9fe:a9fe", "link-local"},
        {"[::1]", "loopback"},
        {"2002:7f00:1::", "loopback"},
        {"not-an-ip", "not an IP address"},
    };
    for (const auto& [ip, reason] : cases) {
        auto r = non_public_address_reason(ip);
        ASSERT_TRUE(r.has_value()) << ip;
        EXPECT_EQ(*r, reason) << ip;
    }
    for (const char* ip :
         {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"})
        EXPECT_FALSE(non_public_address_reason(ip).has_value()) << ip;
}

TEST(Ssrf, RefusesNonPublicAddressesByDefault) {
    TestHttpServer server;
    const HttpPolicy strict;
    for (const std::string& url :
         {server.url("/ok"), std::string("http://10.0.0.1/x"),
          std::string("http://169.254.169.254/latest"),
          "http://[::1]:" + std::to_string(server.port()) + "/ok", std::string("http://0.0.0.0/"),
          std::string("http://[fe80::1]/")}) {
        auto r = http_fetch(get(url), strict);
        ASSERT_FALSE(r) << url;
        EXPECT_NE(r.error().find("refused"), std::string::npos) << url << ": " << r.error();
    }
    // Nothing reached the server.
    EXPECT_EQ(server.requests(), 0);
}

TEST(Ssrf, RefusesAHostNameThatResolvesToLoopback) {
    TestHttpServer server;
    auto r =
        http_fetch(get("http://localhost:" + std::to_string(server.port()) + "/ok"), HttpPolicy{});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("refused: localhost resolves to"), std::string::npos) << r.error();
    EXPECT_EQ(server.requests(), 0);
}

TEST(Ssrf, OperatorCanAllowAHostOrAllPrivateAddresses) {
    TestHttpServer server;
    auto by_host = http_fetch(get(server.url("/ok")), loopback_allowed());
    ASSERT_TRUE(by_host) << by_host.error();
    EXPECT_EQ(by_host->status, 200u);
    EXPECT_EQ(by_host->body, testing::kOkBody);

    HttpPolicy all;
    all.allow_private = true;
    auto by_flag =
        http_fetch(get("http://localhost:" + std::to_string(server.port()) + "/ok"), all);
    ASSERT_TRUE(by_flag) << by_flag.error();
    EXPECT_EQ(by_flag->status, 200u);

    // Allowing one host does not allow another that is private.
    auto other = http_fetch(get("http://10.0.0.1/x"), loopback_allowed());
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().find("refused"), std::string::npos);
}

TEST(Ssrf, TheAllowlistNamesPorts) {
    TestHttpServer server;
    const std::string port = std::to_string(server.port());
    const auto with = [](std::vector<std::string> hosts) {
        HttpPolicy p;
        p.allowed_hosts = std::move(hosts);
        return p;
    };
    // A bare host means ports 80 and 443 only: the server's port is not among them.
    auto bare = http_fetch(get(server.url("/ok")), with({"127.0.0.1"}));
    ASSERT_FALSE(bare);
    EXPECT_NE(bare.error().find("refused"), std::string::npos) << bare.error();
    auto other_port = http_fetch(get(server.url("/ok")), with({"127.0.0.1:1"}));
    ASSERT_FALSE(other_port);
    EXPECT_EQ(server.requests(), 0);
    auto named = http_fetch(get(server.url("/ok")), with({"127.0.0.1:" + port}));
    ASSERT_TRUE(named) << named.error();
    auto any = http_fetch(get(server.url("/ok")), with({"127.0.0.1:*"}));
    ASSERT_TRUE(any) << any.error();

    auto entry = parse_allowed_host("Metadata.Internal:9000");
    ASSERT_TRUE(entry) << entry.error();
    EXPECT_TRUE(entry->allows("metadata.internal", 9000));
    EXPECT_FALSE(entry->allows("metadata.internal", 9001));
    EXPECT_FALSE(entry->allows("other.internal", 9000));
    entry = parse_allowed_host("[::1]:8080");
    ASSERT_TRUE(entry) << entry.error();
    EXPECT_EQ(entry->host, "::1");
    EXPECT_TRUE(entry->allows("::1", 8080));
    entry = parse_allowed_host("api.local");
    ASSERT_TRUE(entry);
    EXPECT_TRUE(entry->allows("api.local", 443));
    EXPECT_TRUE(entry->allows("api.local", 80));
    EXPECT_FALSE(entry->allows("api.local", 8545));
    for (const char* bad :
         {"", "host:0", "host:70000", "host:x", "[::1", "[::1]8080", "a b:1", ":80", "[zz::1]:80"})
        EXPECT_FALSE(parse_allowed_host(bad)) << bad;
}

TEST(Ssrf, TheNodesOwnPortsAreRefusedWhateverTheAllowlistSays) {
    TestHttpServer server;  // stands for the node's RPC port
    auto listeners = std::make_shared<NodeListeners>();
    listeners->add(server.port());
    HttpPolicy p;
    p.allow_private = true;
    p.allowed_hosts = {"127.0.0.1:*", "localhost:*", "[::1]:*", "0.0.0.0:*"};
    p.own_listeners = listeners;
    const std::string port = std::to_string(server.port());
    for (const std::string& url :
         {server.url("/ok"), "http://localhost:" + port + "/ok", "http://[::1]:" + port + "/ok",
          "http://0.0.0.0:" + port + "/ok", "http://127.0.0.2:" + port + "/ok",
          "http://[::ffff:127.0.0.1]:" + port + "/ok"}) {
        auto r = http_fetch(get(url), p);
        ASSERT_FALSE(r) << url;
        EXPECT_NE(r.error().find("this node's own RPC"), std::string::npos)
            << url << ": " << r.error();
    }
    // A redirect from an allowed service to the node's port is refused at that hop.
    TestHttpServer elsewhere;
    auto redirected = http_fetch(get(elsewhere.url("/goto?to=" + server.url("/ok"))), p);
    ASSERT_FALSE(redirected);
    EXPECT_NE(redirected.error().find("this node's own RPC"), std::string::npos)
        << redirected.error();
    EXPECT_EQ(server.requests(), 0);
    // Other ports of this machine stay reachable as the allowlist says.
    auto fine = http_fetch(get(elsewhere.url("/ok")), p);
    ASSERT_TRUE(fine) << fine.error();

    // An address of one of this machine's interfaces is the node too.
    ifaddrs* list = nullptr;
    ASSERT_EQ(getifaddrs(&list), 0);
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, text,
                  sizeof text);
        EXPECT_TRUE(is_local_address(text)) << text;
        auto r = http_fetch(get("http://" + std::string(text) + ":" + port + "/ok"), p);
        ASSERT_FALSE(r) << text;
        EXPECT_NE(r.error().find("this node's own RPC"), std::string::npos) << r.error();
    }
    freeifaddrs(list);
    EXPECT_EQ(server.requests(), 0);

    EXPECT_TRUE(is_local_address("127.0.0.1"));
    EXPECT_TRUE(is_local_address("127.1.2.3"));
    EXPECT_TRUE(is_local_address("0.0.0.0"));
    EXPECT_TRUE(is_local_address("::"));
    EXPECT_TRUE(is_local_address("::1"));
    EXPECT_TRUE(is_local_address("::ffff:127.0.0.1"));
    EXPECT_FALSE(is_local_address("8.8.8.8"));
    EXPECT_FALSE(is_local_address("2001:4860:4860::8888"));
}

TEST(Ssrf, RedirectsAreCheckedAgain) {
    TestHttpServer server;
    auto r = http_fetch(get(server.url("/goto?to=http://169.254.169.254/latest/meta-data")),
                        loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("refused: 169.254.169.254"), std::string::npos) << r.error();
    EXPECT_EQ(server.requests(), 1);
}

TEST(HttpFetch, AnswersSlowEndpointsWithinTheDeadline) {
    TestHttpServer server;
    auto r = http_fetch(get(server.url("/slow/50"), 10s), loopback_allowed());
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->body, R"({"ok":true})");
}

TEST(HttpFetch, TimesOutOnASlowEndpoint) {
    TestHttpServer server;
    // The server would answer after a minute; only the deadline can end the request first.
    auto r = http_fetch(get(server.url("/slow/60000"), 200ms), loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "timed out");
}

TEST(HttpFetch, TimesOutOnAnEndpointThatNeverAnswers) {
    TestHttpServer server;
    auto r = http_fetch(get(server.url("/never"), 200ms), loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "timed out");
}

TEST(HttpFetch, AnExpiredDeadlineFailsAtOnce) {
    TestHttpServer server;
    HttpRequest req = get(server.url("/ok"));
    req.deadline = std::chrono::steady_clock::now() - 1ms;
    auto r = http_fetch(req, loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "timed out");
}

TEST(HttpFetch, LimitsTheBodySize) {
    TestHttpServer server;
    HttpRequest req = get(server.url("/big"));
    req.max_body_bytes = 1000;
    auto r = http_fetch(req, loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "response body larger than 1000 bytes");
    req.max_body_bytes = 4 << 20;
    auto whole = http_fetch(req, loopback_allowed());
    ASSERT_TRUE(whole) << whole.error();
    EXPECT_EQ(whole->body.size(), (2u << 20) + 2);
}

TEST(HttpFetch, FollowsABoundedNumberOfRedirects) {
    TestHttpServer server;
    auto two = http_fetch(get(server.url("/redirect/2")), loopback_allowed());
    ASSERT_TRUE(two) << two.error();
    EXPECT_EQ(two->redirects, 2u);
    EXPECT_EQ(two->body, testing::kOkBody);
    EXPECT_EQ(two->final_url, server.url("/redirect/0"));

    auto five = http_fetch(get(server.url("/redirect/5")), loopback_allowed());
    ASSERT_FALSE(five);
    EXPECT_EQ(five.error(), "too many redirects (more than 3)");

    auto loop = http_fetch(get(server.url("/loop")), loopback_allowed());
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error(), "too many redirects (more than 3)");
    EXPECT_EQ(server.requests(), 3 + 4 + 4);
}

TEST(HttpFetch, ReturnsErrorStatusesAsResponses) {
    TestHttpServer server;
    auto r = http_fetch(get(server.url("/status/503")), loopback_allowed());
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, 503u);
    auto garbage = http_fetch(get(server.url("/garbage")), loopback_allowed());
    ASSERT_TRUE(garbage) << garbage.error();
    EXPECT_EQ(garbage->body, "{\"ok\": tru");
}

TEST(HttpFetch, SendsMethodHeadersAndBody) {
    TestHttpServer server;
    HttpRequest req = get(server.url("/echo/path?q=1"));
    req.method = "POST";
    req.body = R"({"a":1})";
    req.headers = {{"Authorization", "Bearer token"}};
    auto r = http_fetch(req, loopback_allowed());
    ASSERT_TRUE(r) << r.error();
    const auto echo = nlohmann::json::parse(r->body);
    EXPECT_EQ(echo["method"], "POST");
    EXPECT_EQ(echo["target"], "/echo/path?q=1");
    EXPECT_EQ(echo["body"], R"({"a":1})");
    EXPECT_EQ(echo["auth"], "Bearer token");
}

TEST(HttpFetch, RefusesHeaderInjection) {
    TestHttpServer server;
    HttpRequest req = get(server.url("/echo"));
    req.headers = {{"X-Test", "a\r\nHost: evil"}};
    auto r = http_fetch(req, loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("control character"), std::string::npos);
    EXPECT_EQ(server.requests(), 0);
}

TEST(HttpFetch, ConnectionRefusedIsAnError) {
    uint16_t port;
    {
        TestHttpServer server;
        port = server.port();
    }
    auto r =
        http_fetch(get("http://127.0.0.1:" + std::to_string(port) + "/ok"), loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("refused by 127.0.0.1"), std::string::npos) << r.error();
}

TEST(HttpFetch, HttpsToAPlainServerFailsTheHandshake) {
    TestHttpServer server;
    auto r = http_fetch(get("https://127.0.0.1:" + std::to_string(server.port()) + "/ok"),
                        loopback_allowed());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("TLS handshake with 127.0.0.1"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace krnl::engine
