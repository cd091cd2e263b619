#include "rpc/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <pthread.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "common/thread.hpp"

namespace krnl::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct Server::Impl {
    ServerOptions options;
    const MethodTable& methods;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::vector<pthread_t> threads;

    // Blocking requests run here (created at start, drained at stop).
    std::unique_ptr<ThreadPool> blocking;

    Impl(ServerOptions opts, const MethodTable& m) : options(std::move(opts)), methods(m) {}
    void accept();
    void post_blocking(std::function<void()> job) {
        if (blocking) blocking->post(std::move(job));
    }
};

namespace {

std::string body_limit_error(size_t limit) {
    return error_response(nullptr, {code::kInvalidRequest, "request body too large: at most " +
                                                               std::to_string(limit) + " bytes"})
        .dump();
}

class WsSession final : public Connection, public std::enable_shared_from_this<WsSession> {
public:
    WsSession(tcp::socket&& socket, Server::Impl& server)
        : ws_(std::move(socket)), server_(server) {}

    void run(http::request<http::string_body> upgrade) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(server_.options.max_body_bytes);
        ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->close();
            self->read();
        });
    }

    void notify(const json& message) override {
        std::string text = message.dump();
        net::post(ws_.get_executor(),
                  [self = shared_from_this(), text = std::move(text)]() mutable {
                      self->send(std::move(text));
                  });
    }

    void on_close(std::function<void()> fn) override {
        std::lock_guard lock(close_mutex_);
        if (closed_) {
            fn();
            return;
        }
        close_handlers_.push_back(std::move(fn));
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->close();
            std::string text = beast::buffers_to_string(self->buffer_.data());
            self->buffer_.consume(self->buffer_.size());
            if (self->server_.methods.may_block(text)) {
                self->server_.post_blocking([self, text = std::move(text)] {
                    CallContext ctx{self};
                    std::string reply =
                        self->server_.methods.handle(text, ctx, self->server_.options.limits);
                    if (reply.empty()) return;
                    net::post(self->ws_.get_executor(), [self, reply = std::move(reply)]() mutable {
                        self->send(std::move(reply));
                    });
                });
                return self->read();
            }
            CallContext ctx{self};
            std::string reply =
                self->server_.methods.handle(text, ctx, self->server_.options.limits);
            if (!reply.empty()) self->send(std::move(reply));
            self->read();
        });
    }

    // On the session's strand.
    void send(std::string text) {
        if (is_closed()) return;
        queue_.push_back(std::move(text));
        if (queue_.size() == 1) write_next();
    }

    void write_next() {
        ws_.text(true);
        ws_.async_write(net::buffer(queue_.front()),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->close();
                            self->queue_.pop_front();
                            if (!self->queue_.empty()) self->write_next();
                        });
    }

    bool is_closed() {
        std::lock_guard lock(close_mutex_);
        return closed_;
    }

    void close() {
        std::vector<std::function<void()>> handlers;
        {
            std::lock_guard lock(close_mutex_);
            if (closed_) return;
            closed_ = true;
            handlers.swap(close_handlers_);
        }
        for (auto& fn : handlers)
            fn();
    }

    websocket::stream<beast::tcp_stream> ws_;
    Server::Impl& server_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
    std::mutex close_mutex_;
    bool closed_ = false;
    std::vector<std::function<void()>> close_handlers_;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket&& socket, Server::Impl& server)
        : stream_(std::move(socket)), server_(server) {}

    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
    }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(server_.options.max_body_bytes);
        stream_.expires_after(std::chrono::seconds(60));
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            http::response<http::string_body> res{http::status::payload_too_large, 11};
            res.keep_alive(false);
            res.body() = body_limit_error(server_.options.max_body_bytes);
            return write(std::move(res), /*close=*/true);
        }
        if (ec) return shutdown();
        http::request<http::string_body> req = parser_->release();
        if (websocket::is_upgrade(req)) {
            std::make_shared<WsSession>(stream_.release_socket(), server_)->run(std::move(req));
            return;
        }
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.keep_alive(req.keep_alive());
        if (req.method() == http::verb::options) {
            res.result(http::status::no_content);
            res.set(http::field::access_control_allow_methods, "POST, GET, OPTIONS");
            const auto requested = req[http::field::access_control_request_headers];
            res.set(http::field::access_control_allow_headers,
                    requested.empty() ? beast::string_view("Content-Type") : requested);
            res.set(http::field::access_control_max_age, "600");
        } else if (req.method() != http::verb::post) {
            res.result(http::status::method_not_allowed);
            res.set(http::field::content_type, "text/plain");
            res.body() = "JSON-RPC requests are POSTed (or sent over a WebSocket)\n";
        } else if (server_.methods.may_block(req.body())) {
            res.set(http::field::content_type, "application/json");
            const bool close = !req.keep_alive();
            server_.post_blocking([self = shared_from_this(), res = std::move(res),
                                   body = std::move(req.body()), close]() mutable {
                CallContext ctx;
                res.body() = self->server_.methods.handle(body, ctx, self->server_.options.limits);
                net::post(self->stream_.get_executor(),
                          [self, res = std::move(res), close]() mutable {
                              self->write(std::move(res), close);
                          });
            });
            return;
        } else {
            CallContext ctx;
            res.set(http::field::content_type, "application/json");
            res.body() = server_.methods.handle(req.body(), ctx, server_.options.limits);
        }
        write(std::move(res), !req.keep_alive());
    }

    void write(http::response<http::string_body> res, bool close) {
        res.set(http::field::access_control_allow_origin, server_.options.cors_origin);
        res.set(http::field::server, "krnld");
        if (res.result() == http::status::payload_too_large)
            res.set(http::field::content_type, "application/json");
        res.prepare_payload();
        auto owned = std::make_shared<http::response<http::string_body>>(std::move(res));
        http::async_write(stream_, *owned,
                          [self = shared_from_this(), owned, close](beast::error_code ec, size_t) {
                              if (ec || close) return self->shutdown();
                              self->read();
                          });
    }

    // Closes our side, then reads until the client closes its own: closing with unread input
    // (the rest of an oversized body) would reset the connection before the client reads the
    // answer.
    void shutdown() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.expires_after(std::chrono::seconds(10));
        drain();
    }

    void drain() {
        stream_.async_read_some(net::buffer(scratch_),
                                [self = shared_from_this()](beast::error_code ec, size_t) {
                                    if (!ec) self->drain();
                                });
    }

    beast::tcp_stream stream_;
    Server::Impl& server_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::array<char, 16384> scratch_;
};

}  // namespace

void Server::Impl::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<HttpSession>(std::move(socket), *this)->run();
        }
        accept();
    });
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    stop();
}

std::expected<std::unique_ptr<Server>, std::string> Server::bind(const ServerOptions& options,
                                                                 const MethodTable& methods) {
    auto impl = std::make_unique<Impl>(options, methods);
    beast::error_code ec;
    const auto ip = net::ip::make_address(options.host, ec);
    if (ec) return std::unexpected("invalid host " + options.host + ": " + ec.message());
    const tcp::endpoint endpoint(ip, options.port);
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(endpoint, ec);
    if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        return std::unexpected("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + ec.message());
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const {
    return impl_->acceptor.local_endpoint().port();
}

void Server::start(unsigned threads) {
    impl_->blocking = std::make_unique<ThreadPool>(impl_->options.blocking_threads);
    impl_->accept();
    // Methods run the EVM, which recurses once per call depth: the threads get large stacks
    // (reserved address space; only what is touched is committed).
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kEvmThreadStack);
    for (unsigned i = 0; i < std::max(1u, threads); ++i) {
        pthread_t thread;
        const int rc = pthread_create(
            &thread, &attr,
            [](void* arg) -> void* {
                static_cast<Impl*>(arg)->ioc.run();
                return nullptr;
            },
            impl_.get());
        if (rc == 0) impl_->threads.push_back(thread);
    }
    pthread_attr_destroy(&attr);
}

bool Server::stop(std::chrono::milliseconds grace) {
    if (!impl_) return true;
    impl_->ioc.stop();
    for (pthread_t t : impl_->threads)
        pthread_join(t, nullptr);
    impl_->threads.clear();
    // Blocking requests still running finish first (they use the server); queued ones are
    // dropped with their connections. Past the grace they are left running, and so is the
    // server they use.
    if (impl_->blocking && !impl_->blocking->stop(grace)) {
        (void)impl_->blocking.release();
        (void)impl_.release();
        return false;
    }
    impl_->blocking.reset();
    return true;
}

}  // namespace krnl::rpc
