#include "rpc/static_files.hpp"

#include <gtest/gtest.h>

namespace krnl::rpc {
namespace {

namespace http = boost::beast::http;

http::request<http::string_body> get(std::string target) {
    return {http::verb::get, target, 11};
}

TEST(StaticFiles, RootIsTheIndexPage) {
    const auto res = static_file_response(get("/"));
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8");
    EXPECT_NE(res.body().find("<html"), std::string::npos);
    EXPECT_EQ(std::string(res["Content-Security-Policy"]), kDashboardCsp);
    EXPECT_EQ(res[http::field::cache_control], "no-cache");
    EXPECT_EQ(find_static_file("/?chain=1"), find_static_file("/index.html"));
}

TEST(StaticFiles, ScriptAndStyleHaveTheirTypes) {
    EXPECT_EQ(static_file_response(get("/app.js"))[http::field::content_type],
              "text/javascript; charset=utf-8");
    EXPECT_EQ(static_file_response(get("/style.css"))[http::field::content_type],
              "text/css; charset=utf-8");
}

TEST(StaticFiles, UnknownPathsAreNotFound) {
    for (const char* target : {"/nope", "/../CMakeLists.txt", "/index.html/", "//index.html"}) {
        const auto res = static_file_response(get(target));
        EXPECT_EQ(res.result(), http::status::not_found) << target;
        EXPECT_EQ(std::string(res["Content-Security-Policy"]), kDashboardCsp);
    }
}

TEST(StaticFiles, AMatchingETagAnswersNotModified) {
    const auto first = static_file_response(get("/app.js"));
    const std::string etag(first[http::field::etag]);
    ASSERT_FALSE(etag.empty());
    auto again = get("/app.js");
    again.set(http::field::if_none_match, etag);
    const auto res = static_file_response(again);
    EXPECT_EQ(res.result(), http::status::not_modified);
    EXPECT_TRUE(res.body().empty());
    again.set(http::field::if_none_match, "\"other\"");
    EXPECT_EQ(static_file_response(again).result(), http::status::ok);
}

}  // namespace
}  // namespace krnl::rpc
