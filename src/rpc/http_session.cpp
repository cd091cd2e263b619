#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <unistd.h>

#include <array>
#include <optional>
#include <sstream>

#include "rpc/server_internal.hpp"
#include "rpc/static_files.hpp"

namespace krnl::rpc {

namespace websocket = beast::websocket;

namespace {

std::string body_limit_error(size_t limit) {
    return error_response(nullptr, {code::kInvalidRequest, "request body too large: at most " +
                                                               std::to_string(limit) + " bytes"})
        .dump();
}

// One HTTP/1.1 connection. The socket is read into a buffer of the session's own and Beast's
// parser runs over it (chunked bodies, limits, pipelined requests); the answer to a JSON-RPC
// request is written as one gathered send of a header formatted here and the reply text. Beast's
// composed read and write operations and its per-operation stream timer cost more CPU than the
// rest of an eth_blockNumber together (perf, issue 15), so the session does that part itself.
class HttpSession final : public std::enable_shared_from_this<HttpSession>,
                          public ConnectionLimiter::Evictable {
public:
    HttpSession(HttpSocket&& socket, Server::Impl& server, ConnectionSlot slot)
        : socket_(std::move(socket)),
          timer_(socket_.get_executor()),
          server_(server),
          limiter_(server.connections),
          slot_(std::move(slot)) {
        limiter_->track(*this);
    }
    ~HttpSession() { limiter_->untrack(*this); }

    void run() {
        net::dispatch(socket_.get_executor(),
                      [self = shared_from_this()] { self->next_request(); });
    }

    // Under the limiter's lock: only posts. The session may have a request by the time it runs.
    void evict() override {
        if (auto self = weak_from_this().lock())
            net::post(socket_.get_executor(), [self = std::move(self)] {
                if (!self->waiting_) return;
                self->evicted_ = true;
                self->close_socket();
            });
    }

private:
    using Clock = std::chrono::steady_clock;
    static constexpr size_t kReadChunk = 16384;

    // Between requests (or draining after the last answer) the connection is idle: it may be
    // evicted to make room for a new one.
    void set_waiting(bool waiting) {
        waiting_ = waiting;
        set_idle(waiting);
    }

    // The connection is closed at `deadline_` unless moved on by then. One timer, re-armed only
    // when it fires early or a nearer deadline is set: not a timer operation per request.
    void set_deadline(Clock::duration timeout) {
        deadline_ = Clock::now() + timeout;
        if (timer_waits_ == 0 || deadline_ < timer_.expiry()) arm_timer();
    }
    void arm_timer() {
        timer_.expires_at(deadline_);  // cancels a wait already pending (it counts itself out)
        ++timer_waits_;
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            --self->timer_waits_;
            if (ec || self->closed_) return;
            if (Clock::now() < self->deadline_) {
                if (self->timer_waits_ == 0) self->arm_timer();
                return;
            }
            self->close_socket();
        });
    }

    void close_socket() {
        closed_ = true;
        beast::error_code ec;
        socket_.close(ec);
        timer_.cancel();
    }

    void next_request() {
        parser_.emplace();
        parser_->body_limit(server_.options.max_body_bytes);
        parser_->eager(true);
        set_deadline(server_.options.http_idle_timeout);
        set_waiting(true);
        parse_buffered();
    }

    // Feeds what is buffered to the parser (a pipelined request may already be there), then
    // reads more until the request is whole.
    void parse_buffered() {
        while (buffer_.size() > 0) {
            beast::error_code ec;
            const size_t used = parser_->put(buffer_.data(), ec);
            buffer_.consume(used);
            if (ec == http::error::need_more) break;
            if (ec) return on_parse_error(ec);
            if (parser_->is_done()) return on_request();
            if (used == 0) break;
        }
        // The header must fit the parser's limit, the body is consumed as it comes: the buffer
        // stays within the header limit and a chunk.
        socket_.async_read_some(
            buffer_.prepare(kReadChunk),
            [self = shared_from_this()](beast::error_code ec, size_t n) { self->on_read(ec, n); });
    }

    void on_read(beast::error_code ec, size_t n) {
        if (closed_ || evicted_) return;
        if (ec == net::error::eof) {
            beast::error_code end;
            parser_->put_eof(end);
            if (!end && parser_->is_done()) return on_request();
            return close_socket();
        }
        if (ec) return close_socket();
        buffer_.commit(n);
        parse_buffered();
    }

    void on_parse_error(beast::error_code ec) {
        set_waiting(false);
        if (ec == http::error::body_limit) {
            http::response<http::string_body> res{http::status::payload_too_large, 11};
            res.keep_alive(false);
            res.set(http::field::content_type, "application/json");
            res.body() = body_limit_error(server_.options.max_body_bytes);
            return write_message(std::move(res), /*close=*/true);
        }
        shutdown();  // malformed HTTP: nothing sensible to answer
    }

    void on_request() {
        set_waiting(false);
        http::request<http::string_body> req = parser_->release();
        if (websocket::is_upgrade(req)) return upgrade(std::move(req));
        const bool close = !req.keep_alive();
        if (req.method() == http::verb::options) {
            http::response<http::string_body> res{http::status::no_content, req.version()};
            res.keep_alive(req.keep_alive());
            res.set(http::field::access_control_allow_methods, "POST, GET, OPTIONS");
            const auto requested = req[http::field::access_control_request_headers];
            res.set(http::field::access_control_allow_headers,
                    requested.empty() ? beast::string_view("Content-Type") : requested);
            res.set(http::field::access_control_max_age, "600");
            return write_message(std::move(res), close);
        }
        if (req.method() == http::verb::get && server_.options.serve_ui)
            return write_message(static_file_response(req), close);
        if (req.method() != http::verb::post) {
            http::response<http::string_body> res{http::status::method_not_allowed, req.version()};
            res.keep_alive(req.keep_alive());
            res.set(http::field::content_type, "text/plain");
            res.body() = "JSON-RPC requests are POSTed (or sent over a WebSocket)\n";
            return write_message(std::move(res), close);
        }
        version_ = req.version();
        // Parsed once: the routing and the methods see the same JSON.
        auto request = MethodTable::parse(req.body());
        if (!request) return write_json(MethodTable::parse_error(), close);
        // The reply is written once answered (on this thread, or from the pool).
        server_.answer(std::move(*request), nullptr,
                       [self = shared_from_this(), close](std::string reply, bool on_io_thread) {
                           if (on_io_thread) return self->write_json(std::move(reply), close);
                           net::post(self->socket_.get_executor(),
                                     [self, close, reply = std::move(reply)]() mutable {
                                         self->write_json(std::move(reply), close);
                                     });
                       });
    }

    // The socket moves to the WebSocket threads (Impl::ws_ioc).
    void upgrade(http::request<http::string_body> req) {
        beast::error_code error;
        const auto protocol = socket_.local_endpoint(error).protocol();
        const auto fd = error ? -1 : socket_.release(error);
        timer_.cancel();
        closed_ = true;
        if (error) return;
        tcp::socket moved(net::make_strand(server_.ws_ioc));
        if (moved.assign(protocol, fd, error); error) {
            ::close(fd);
            return;
        }
        start_ws_session(std::move(moved), server_, std::move(slot_), std::move(req));
    }

    void write_json(std::string body, bool close) {
        head_.clear();
        head_.append(version_ == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n");
        head_.append("Content-Type: application/json\r\nAccess-Control-Allow-Origin: ");
        head_.append(server_.options.cors_origin);
        head_.append("\r\nServer: krnld\r\nContent-Length: ");
        head_.append(std::to_string(body.size()));
        // What Beast's keep_alive() writes: HTTP/1.1 keeps the connection unless told, 1.0 closes.
        if (close && version_ != 10) head_.append("\r\nConnection: close");
        if (!close && version_ == 10) head_.append("\r\nConnection: keep-alive");
        head_.append("\r\n\r\n");
        body_ = std::move(body);
        send(close);
    }

    // The rare answers (CORS preflight, errors, the dashboard's files) go through Beast's writer.
    void write_message(http::response<http::string_body> res, bool close) {
        res.set(http::field::access_control_allow_origin, server_.options.cors_origin);
        res.set(http::field::server, "krnld");
        res.prepare_payload();
        std::ostringstream text;
        text << res;
        head_ = std::move(text).str();
        body_.clear();
        send(close);
    }

    // The client has the idle timeout to take the answer.
    void send(bool close) {
        set_deadline(server_.options.http_idle_timeout);
        const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
        net::async_write(socket_, buffers,
                         [self = shared_from_this(), close](beast::error_code ec, size_t) {
                             if (self->closed_) return;
                             if (ec) return self->close_socket();
                             if (close) return self->shutdown();
                             self->next_request();
                         });
    }

    // Closes our side, then reads until the client closes its own: closing with unread input
    // (the rest of an oversized body) would reset the connection before the client reads the
    // answer.
    void shutdown() {
        beast::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        set_deadline(std::chrono::seconds(10));
        set_waiting(true);
        drain();
    }

    void drain() {
        buffer_.clear();
        socket_.async_read_some(buffer_.prepare(kReadChunk),
                                [self = shared_from_this()](beast::error_code ec, size_t) {
                                    if (ec || self->closed_) return self->close_socket();
                                    self->drain();
                                });
    }

    HttpSocket socket_;
    net::basic_waitable_timer<Clock, net::wait_traits<Clock>, net::io_context::executor_type>
        timer_;
    Clock::time_point deadline_ = Clock::time_point::max();
    int timer_waits_ = 0;
    Server::Impl& server_;
    std::shared_ptr<ConnectionLimiter> limiter_;
    ConnectionSlot slot_;   // moves to the WebSocket session on an upgrade
    bool waiting_ = false;  // on the strand: reading the next request, or draining
    bool evicted_ = false;
    bool closed_ = false;
    unsigned version_ = 11;  // of the request being answered
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string head_;  // what is being written: the header (or a whole rare answer)...
    std::string body_;  // ...and the JSON-RPC reply
};

}  // namespace

void start_http_session(HttpSocket&& socket, Server::Impl& server, ConnectionSlot slot) {
    std::make_shared<HttpSession>(std::move(socket), server, std::move(slot))->run();
}

}  // namespace krnl::rpc
