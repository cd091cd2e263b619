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
    std::string host, port, target;
    std::string url_error;
    std::chrono::milliseconds timeout;
    net::io_context ioc;  // only for resolving and the streams' executors; calls are synchronous
    std::mutex mutex;
    std::vector<std::unique_ptr<beast::tcp_stream>> idle;
    std::atomic<uint64_t> next_id{1};

    std::unique_ptr<beast::tcp_stream> connect() {
        tcp::resolver resolver(ioc);
        auto endpoints = resolver.resolve(host, port);
        auto stream = std::make_unique<beast::tcp_stream>(ioc);
        stream->expires_after(timeout);
        stream->connect(endpoints);
        stream->socket().set_option(tcp::no_delay(true));
        return stream;
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

Result<json> Client::call(const std::string& method, json params) {
    if (!impl_->url_error.empty()) return error(code::kInternalError, impl_->url_error);
    const json request = {{"jsonrpc", "2.0"},
                          {"id", impl_->next_id++},
                          {"method", method},
                          {"params", std::move(params)}};
    http::request<http::string_body> req{http::verb::post, impl_->target, 11};
    req.set(http::field::host, impl_->host);
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = request.dump(-1, ' ', false, json::error_handler_t::replace);
    req.prepare_payload();

    // A pooled connection may have been closed by the server: retry once on a fresh one.
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::unique_ptr<beast::tcp_stream> stream;
        bool reused = false;
        {
            std::lock_guard lock(impl_->mutex);
            if (!impl_->idle.empty()) {
                stream = std::move(impl_->idle.back());
                impl_->idle.pop_back();
                reused = true;
            }
        }
        try {
            if (!stream) stream = impl_->connect();
            stream->expires_after(impl_->timeout);
            http::write(*stream, req);
            beast::flat_buffer buffer;
            http::response_parser<http::string_body> parser;
            parser.body_limit(64 << 20);
            http::read(*stream, buffer, parser);
            auto res = parser.release();
            if (res.keep_alive()) {
                std::lock_guard lock(impl_->mutex);
                if (impl_->idle.size() < 16) impl_->idle.push_back(std::move(stream));
            }
            const json reply = json::parse(res.body(), nullptr, false);
            if (reply.is_discarded() || !reply.is_object())
                return error(code::kInternalError, url_ + ": HTTP " +
                                                       std::to_string(res.result_int()) +
                                                       ", not a JSON-RPC response");
            if (auto e = reply.find("error"); e != reply.end() && e->is_object()) {
                RpcError err{e->value("code", code::kInternalError),
                             e->value("message", std::string())};
                if (e->contains("data")) err.data = (*e)["data"];
                return std::unexpected(std::move(err));
            }
            if (!reply.contains("result"))
                return error(code::kInternalError, url_ + ": response without a result");
            return reply["result"];
        } catch (const std::exception& e) {
            if (reused) continue;
            return error(code::kInternalError, url_ + ": " + e.what());
        }
    }
    return error(code::kInternalError, url_ + ": connection closed");
}

}  // namespace krnl::rpc
