#include "rpc/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <vector>

namespace krnl::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct Client::Impl {
    // Each connection runs its operations on an io_context of its own, so a call bounds its
    // exchange with the stream's timer (beast enforces it on asynchronous operations only)
    // without sharing handlers with concurrent calls.
    struct Connection {
        net::io_context ioc;
        beast::tcp_stream stream{ioc};
    };

    std::string host, port, target;
    std::string url_error;
    std::chrono::milliseconds timeout;
    std::mutex mutex;
    std::vector<std::unique_ptr<Connection>> idle;
    std::atomic<uint64_t> next_id{1};

    // One request and its response within `timeout`, connecting first when `fresh`.
    beast::error_code exchange(Connection& c, bool fresh,
                               const http::request<http::string_body>& req,
                               http::response_parser<http::string_body>& parser) {
        beast::error_code result;
        beast::flat_buffer buffer;
        c.ioc.restart();
        c.stream.expires_after(timeout);
        auto on_read = [&](beast::error_code ec, size_t) { result = ec; };
        auto on_write = [&](beast::error_code ec, size_t) {
            if (ec) {
                result = ec;
                return;
            }
            http::async_read(c.stream, buffer, parser, on_read);
        };
        if (fresh) {
            tcp::resolver resolver(c.ioc);
            auto endpoints = resolver.resolve(host, port, result);
            if (result) return result;
            c.stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
                if (ec) {
                    result = ec;
                    return;
                }
                c.stream.socket().set_option(tcp::no_delay(true));
                http::async_write(c.stream, req, on_write);
            });
        } else {
            http::async_write(c.stream, req, on_write);
        }
        c.ioc.run();
        return result;
    }

    // POSTs `body` and returns the response's body, or a transport error naming `url`.
    Result<std::string> post(const std::string& url, std::string body) {
        http::request<http::string_body> req{http::verb::post, target, 11};
        req.set(http::field::host, host);
        req.set(http::field::content_type, "application/json");
        req.keep_alive(true);
        req.body() = std::move(body);
        req.prepare_payload();
        // A pooled connection may have been closed by the server: retry once on a fresh one.
        for (int attempt = 0; attempt < 2; ++attempt) {
            std::unique_ptr<Connection> conn;
            {
                std::lock_guard lock(mutex);
                if (!idle.empty()) {
                    conn = std::move(idle.back());
                    idle.pop_back();
                }
            }
            const bool reused = conn != nullptr;
            if (!conn) conn = std::make_unique<Connection>();
            http::response_parser<http::string_body> parser;
            parser.body_limit(64 << 20);
            const beast::error_code ec = exchange(*conn, !reused, req, parser);
            if (ec) {
                if (reused && ec != beast::error::timeout) continue;
                return error(
                    code::kInternalError,
                    url + ": " +
                        (ec == beast::error::timeout
                             ? "no answer within " + std::to_string(timeout.count()) + " ms"
                             : ec.message()));
            }
            auto res = parser.release();
            if (res.keep_alive()) {
                std::lock_guard lock(mutex);
                if (idle.size() < 16) idle.push_back(std::move(conn));
            }
            if (res.result() != http::status::ok && res.body().empty())
                return error(code::kInternalError,
                             url + ": HTTP " + std::to_string(res.result_int()));
            return std::move(res.body());
        }
        return error(code::kInternalError, url + ": connection closed");
    }
};

Client::Client(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), impl_(std::make_unique<Impl>()) {
    impl_->timeout = timeout;
    std::string_view rest = url_;
    if (!rest.starts_with("http://")) {
        impl_->url_error = "only http:// URLs are supported: " + url_;
        return;
    }
    rest.remove_prefix(7);
    const size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    impl_->target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos || authority.ends_with(']')) {
        impl_->host = std::string(authority);
        impl_->port = "80";
    } else {
        impl_->host = std::string(authority.substr(0, colon));
        impl_->port = std::string(authority.substr(colon + 1));
    }
    if (impl_->host.starts_with('[') && impl_->host.ends_with(']'))
        impl_->host = impl_->host.substr(1, impl_->host.size() - 2);
    if (impl_->host.empty()) impl_->url_error = "no host in " + url_;
}

Client::~Client() = default;

namespace {

// The result of one reply object, or its error.
Result<json> reply_result(const std::string& url, const json& reply) {
    if (!reply.is_object()) return error(code::kInternalError, url + ": not a JSON-RPC response");
    if (auto e = reply.find("error"); e != reply.end() && e->is_object()) {
        RpcError err{e->value("code", code::kInternalError), e->value("message", std::string())};
        if (e->contains("data")) err.data = (*e)["data"];
        return std::unexpected(std::move(err));
    }
    auto result = reply.find("result");
    if (result == reply.end())
        return error(code::kInternalError, url + ": response without a result");
    return *result;
}

}  // namespace

Result<json> Client::call(const std::string& method, json params) {
    if (!impl_->url_error.empty()) return error(code::kInternalError, impl_->url_error);
    const json request = {{"jsonrpc", "2.0"},
                          {"id", impl_->next_id++},
                          {"method", method},
                          {"params", std::move(params)}};
    auto body = impl_->post(url_, request.dump(-1, ' ', false, json::error_handler_t::replace));
    if (!body) return std::unexpected(body.error());
    const json reply = json::parse(*body, nullptr, false);
    if (reply.is_discarded())
        return error(code::kInternalError, url_ + ": not a JSON-RPC response");
    return reply_result(url_, reply);
}

Result<std::vector<Result<json>>> Client::call_batch(
    const std::vector<std::pair<std::string, json>>& calls) {
    if (!impl_->url_error.empty()) return error(code::kInternalError, impl_->url_error);
    if (calls.empty()) return std::vector<Result<json>>{};
    const uint64_t first_id = impl_->next_id.fetch_add(calls.size());
    json request = json::array();
    for (size_t i = 0; i < calls.size(); ++i)
        request.push_back({{"jsonrpc", "2.0"},
                           {"id", first_id + i},
                           {"method", calls[i].first},
                           {"params", calls[i].second}});
    auto body = impl_->post(url_, request.dump(-1, ' ', false, json::error_handler_t::replace));
    if (!body) return std::unexpected(body.error());
    const json reply = json::parse(*body, nullptr, false);
    // A server that refuses the whole batch answers with one error object.
    if (reply.is_object()) {
        auto single = reply_result(url_, reply);
        if (!single) return std::unexpected(single.error());
    }
    if (!reply.is_array())
        return error(code::kInternalError, url_ + ": not a JSON-RPC batch response");
    std::vector<Result<json>> out(
        calls.size(),
        error(code::kInternalError, url_ + ": no response to a request of the batch"));
    for (const json& r : reply) {
        const auto id = r.is_object() ? r.find("id") : r.end();
        if (!r.is_object() || id == r.end() || !id->is_number_unsigned()) continue;
        const uint64_t n = id->get<uint64_t>();
        if (n >= first_id && n < first_id + calls.size()) out[n - first_id] = reply_result(url_, r);
    }
    return out;
}

}  // namespace krnl::rpc
