#include "rpc/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>

#include "common/thread.hpp"
#include "rpc/static_files.hpp"

namespace krnl::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Counts the open connections of the servers sharing it, and knows their HTTP connections, oldest
// first: at the cap, the oldest one that is idle (between requests) makes room for a new
// connection, as nginx reuses its keep-alive connections, so idle connections cannot lock
// everyone else out. Marking a connection idle or busy is an atomic store, not a lock.
class ConnectionLimiter {
public:
    explicit ConnectionLimiter(size_t max_connections)
        : max_(std::max<size_t>(1, max_connections)) {}

    // An HTTP connection, which may be closed to make room while it is idle.
    class Evictable {
    public:
        void set_idle(bool idle) { idle_.store(idle, std::memory_order_relaxed); }
        // Called with the limiter's lock held: must only post work, never block or re-enter.
        virtual void evict() = 0;

    protected:
        ~Evictable() = default;

    private:
        friend class ConnectionLimiter;
        std::atomic<bool> idle_{false};
        Evictable* older_ = nullptr;
        Evictable* newer_ = nullptr;
    };

    // Takes a place for a new connection: below the cap at once, at the cap by evicting the oldest
    // idle connection (which gives its place back when it is gone). False when neither.
    bool admit() {
        std::lock_guard lock(mutex_);
        if (open_ >= max_) {
            Evictable* victim = oldest_;
            // Taking the mark means no other admission picks the same one.
            while (victim != nullptr && !victim->idle_.exchange(false))
                victim = victim->newer_;
            if (victim == nullptr) return false;
            victim->evict();
        }
        ++open_;
        return true;
    }
    void release() {
        std::lock_guard lock(mutex_);
        --open_;
    }
    void track(Evictable& c) {
        std::lock_guard lock(mutex_);
        c.older_ = newest_;
        (newest_ ? newest_->newer_ : oldest_) = &c;
        newest_ = &c;
    }
    void untrack(Evictable& c) {
        std::lock_guard lock(mutex_);
        (c.older_ ? c.older_->newer_ : oldest_) = c.newer_;
        (c.newer_ ? c.newer_->older_ : newest_) = c.older_;
    }

private:
    const size_t max_;
    std::mutex mutex_;
    size_t open_ = 0;
    Evictable* oldest_ = nullptr;
    Evictable* newest_ = nullptr;
};

std::shared_ptr<ConnectionLimiter> make_connection_limiter(size_t max_connections) {
    return std::make_shared<ConnectionLimiter>(max_connections);
}

namespace {

// A connection's place under the cap, given back when the connection object goes.
class ConnectionSlot {
public:
    explicit ConnectionSlot(std::shared_ptr<ConnectionLimiter> limiter)
        : limiter_(std::move(limiter)) {}
    ConnectionSlot(ConnectionSlot&&) = default;
    ConnectionSlot& operator=(ConnectionSlot&&) = delete;
    ~ConnectionSlot() {
        if (limiter_) limiter_->release();
    }

private:
    std::shared_ptr<ConnectionLimiter> limiter_;
};

// A blocking request's place in the pool's bound, given back when its job is done or dropped.
class BlockingTicket {
public:
    explicit BlockingTicket(std::atomic<size_t>& count) : count_(count) {}
    BlockingTicket(const BlockingTicket&) = delete;
    ~BlockingTicket() { count_.fetch_sub(1); }

private:
    std::atomic<size_t>& count_;
};

constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
// How long a dropped WebSocket client has to take its close frame before the socket is closed.
constexpr auto kDropGrace = std::chrono::seconds(10);

}  // namespace

struct Server::Impl {
    ServerOptions options;
    const MethodTable& methods;
    std::shared_ptr<ConnectionLimiter> connections;
    // HTTP connections: one io_context per I/O thread, each connection on one of them from accept
    // to close. A context run by a single thread needs no strand, and a handler never wakes
    // another thread: one context shared by all threads spent a quarter of the CPU of a cheap
    // request on futex wake-ups and context switches (perf, issue 15). The acceptor is on the
    // first.
    std::vector<std::unique_ptr<net::io_context>> io_contexts;
    net::io_context& ioc;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> io_work;
    size_t next_context = 0;  // round robin, on the acceptor's thread
    // WebSocket sessions run on threads of their own, so delivering notifications to many
    // subscribers never queues ahead of HTTP requests.
    net::io_context ws_ioc;
    net::executor_work_guard<net::io_context::executor_type> ws_work{ws_ioc.get_executor()};
    tcp::acceptor acceptor{ioc};
    net::steady_timer accept_backoff{ioc};
    std::vector<pthread_t> threads;

    // Blocking requests run here (created at start, drained at stop); `blocking_requests` counts
    // those queued or running, against options.max_blocking_requests.
    std::atomic<size_t> blocking_requests{0};
    std::unique_ptr<ThreadPool> blocking;

    // EVM requests: admitted by the gate; run on the I/O thread that read them while fewer than
    // `inline_evm_cap` do so (one I/O thread always stays free for cheap calls), otherwise on the
    // pool, where waiting for the gate holds no I/O thread. Inline saves two thread hops, which
    // are most of an eth_call's cost.
    EvmGate evm_gate{options.evm};
    std::atomic<size_t> inline_evm{0};
    size_t inline_evm_cap = 0;  // set at start: I/O threads - 1

    Impl(ServerOptions opts, const MethodTable& m)
        : options(std::move(opts)),
          methods(m),
          connections(options.connections ? options.connections
                                          : make_connection_limiter(options.max_connections)),
          io_contexts(one_context()),
          ioc(*io_contexts.front()) {}
    static std::vector<std::unique_ptr<net::io_context>> one_context() {
        std::vector<std::unique_ptr<net::io_context>> contexts;
        contexts.push_back(std::make_unique<net::io_context>(1));
        return contexts;
    }
    // The context of the next connection.
    net::io_context& pick_context() { return *io_contexts[next_context++ % io_contexts.size()]; }
    void accept();

    // A place on the blocking pool, or null when options.max_blocking_requests are queued or
    // running already.
    std::shared_ptr<BlockingTicket> reserve_blocking() {
        if (blocking_requests.fetch_add(1) >= options.max_blocking_requests) {
            blocking_requests.fetch_sub(1);
            return nullptr;
        }
        return std::make_shared<BlockingTicket>(blocking_requests);
    }
    RpcError blocking_limit_error() const {
        return limit_error(
            "too many engine or EVM requests queued or running on this port; retry later",
            options.max_blocking_requests, "max_blocking_requests");
    }
    // Answers a parsed request (or batch) for `connection` (null over HTTP), and hands the reply
    // text to `deliver(reply, on_io_thread)`: at once on this I/O thread, or later from the pool.
    // An empty reply means there is nothing to send (notifications only).
    void answer(json request, std::shared_ptr<Connection> connection,
                std::function<void(std::string, bool)> deliver);
    // False when the pool is stopping (or cannot start a thread): the job is dropped.
    bool post_blocking(std::function<void()> job) {
        return blocking && blocking->post(std::move(job));
    }
};

namespace {

std::string body_limit_error(size_t limit) {
    return error_response(nullptr, {code::kInvalidRequest, "request body too large: at most " +
                                                               std::to_string(limit) + " bytes"})
        .dump();
}

std::string stopping_error() {
    return error_response(nullptr, {code::kInternalError, "the server is stopping"}).dump();
}

OutgoingMessage text_message(std::string text) {
    return {std::make_shared<const std::string>(std::move(text)), nullptr, {}};
}

}  // namespace

void Server::Impl::answer(json request, std::shared_ptr<Connection> connection,
                          std::function<void(std::string, bool)> deliver) {
    const MethodTable::Route route = methods.route(request);
    if (!route.blocking) {
        std::optional<EvmGate::Slot> slot;
        if (route.evm) {
            if (inline_evm.fetch_add(1) < inline_evm_cap)
                if (auto free = evm_gate.try_enter()) slot.emplace(std::move(*free));
            if (!slot) inline_evm.fetch_sub(1);
        }
        if (!route.evm || slot) {
            CallContext ctx{connection};
            std::string reply = methods.handle_parsed(request, ctx, options.limits);
            if (slot) {
                slot.reset();
                inline_evm.fetch_sub(1);
            }
            return deliver(std::move(reply), true);
        }
    }
    auto ticket = reserve_blocking();
    if (!ticket) return deliver(MethodTable::refuse(request, blocking_limit_error()), true);
    const bool posted = post_blocking([this, ticket, evm = route.evm, request = std::move(request),
                                       connection = std::move(connection), deliver]() mutable {
        std::optional<EvmGate::Slot> slot;
        if (evm) {
            auto entered = evm_gate.enter();
            if (!entered) return deliver(MethodTable::refuse(request, entered.error()), false);
            slot.emplace(std::move(*entered));
        }
        CallContext ctx{connection};
        deliver(methods.handle_parsed(request, ctx, options.limits), false);
    });
    if (!posted) deliver(stopping_error(), true);
}

namespace {

class WsSession final : public Connection, public std::enable_shared_from_this<WsSession> {
public:
    WsSession(tcp::socket&& socket, Server::Impl& server, ConnectionSlot slot)
        : ws_(std::move(socket)),
          server_(server),
          slot_(std::move(slot)),
          drop_deadline_(ws_.get_executor()) {}

    void run(http::request<http::string_body> upgrade) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(server_.options.max_body_bytes);
        ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->close();
            self->read();
        });
    }

    // Messages from other threads wait in the outbox, and one strand job at a time moves them to
    // the send queue: a block for a thousand subscribers costs a job per connection at most, not
    // one per message, so I/O threads stay free for requests.
    void send(OutgoingMessage message) override {
        {
            std::lock_guard lock(outbox_mutex_);
            outbox_.push_back(std::move(message));
            if (outbox_scheduled_) return;
            outbox_scheduled_ = true;
        }
        net::post(ws_.get_executor(), [self = shared_from_this()] { self->flush_outbox(); });
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
    void flush_outbox() {
        std::vector<OutgoingMessage> messages;
        {
            std::lock_guard lock(outbox_mutex_);
            messages.swap(outbox_);
            outbox_scheduled_ = false;
        }
        for (OutgoingMessage& m : messages)
            enqueue(std::move(m));
    }

    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->close();
            if (self->is_closed()) return;
            const auto data = self->buffer_.data();
            auto request = MethodTable::parse({static_cast<const char*>(data.data()), data.size()});
            self->buffer_.consume(self->buffer_.size());
            if (!request) {
                self->enqueue(text_message(MethodTable::parse_error()));
            } else {
                self->server_.answer(std::move(*request), self,
                                     [self](std::string reply, bool on_io_thread) {
                                         if (reply.empty()) return;
                                         if (on_io_thread)
                                             self->enqueue(text_message(std::move(reply)));
                                         else
                                             self->send(text_message(std::move(reply)));
                                     });
            }
            self->read();
        });
    }

    // On the session's strand. Bounds what waits behind the message being written: a client that
    // does not read is dropped once that passes ws_send_queue_bytes or ws_send_queue_messages. A
    // message alone may be larger (a big reply), so a reader is never dropped for one answer.
    void enqueue(OutgoingMessage message) {
        if (is_closed()) return;
        const size_t size = message.size();
        const size_t waiting = queue_.size() - (writing_ ? 1 : 0);
        if (waiting > 0) {
            const auto& o = server_.options;
            if (waiting >= o.ws_send_queue_messages)
                return drop("send queue over limits.ws_send_queue_messages (" +
                            std::to_string(o.ws_send_queue_messages) + ")");
            if (waiting_bytes_ + size > o.ws_send_queue_bytes)
                return drop("send queue over limits.ws_send_queue_bytes (" +
                            std::to_string(o.ws_send_queue_bytes) + ")");
        }
        waiting_bytes_ += size;
        queue_.push_back(std::move(message));
        if (!writing_) write_next();
    }

    void write_next() {
        writing_ = true;
        const OutgoingMessage& m = queue_.front();
        waiting_bytes_ -= m.size();
        const std::array<net::const_buffer, 3> buffers{
            m.head ? net::buffer(*m.head) : net::const_buffer(),
            m.body ? net::buffer(*m.body) : net::const_buffer(),
            net::buffer(m.tail.data(), m.tail.size())};
        ws_.text(true);
        ws_.async_write(buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
            self->writing_ = false;
            self->queue_.pop_front();
            if (self->dropping_) return self->send_close();
            if (ec) {
                self->queue_.clear();  // nothing more can be sent: free it now
                self->waiting_bytes_ = 0;
                return self->close();
            }
            if (!self->queue_.empty()) self->write_next();
        });
    }

    // The client does not read what it is sent. What waits is freed now, its subscriptions end,
    // and it is told why with 1008 (policy violation: the server's policy, not a passing
    // overload, so 1013 "try again later" would invite a client to reconnect and do the same).
    // The close frame follows the message being written; past kDropGrace the socket is closed.
    void drop(std::string reason) {
        dropping_ = true;
        close_reason_ = std::move(reason);
        queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
        waiting_bytes_ = 0;
        close();
        drop_deadline_.expires_after(kDropGrace);
        drop_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) beast::get_lowest_layer(self->ws_).close();
        });
        if (!writing_) send_close();
    }

    void send_close() {
        if (close_sent_) return;
        close_sent_ = true;
        ws_.async_close(
            websocket::close_reason(websocket::close_code::policy_error, close_reason_),
            [self = shared_from_this()](beast::error_code) { self->drop_deadline_.cancel(); });
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
    ConnectionSlot slot_;
    beast::flat_buffer buffer_;
    std::mutex outbox_mutex_;
    std::vector<OutgoingMessage> outbox_;
    bool outbox_scheduled_ = false;
    std::deque<OutgoingMessage> queue_;  // the front is being written when writing_
    bool writing_ = false;
    size_t waiting_bytes_ = 0;  // of the messages behind the one being written
    bool dropping_ = false;
    bool close_sent_ = false;
    std::string close_reason_;
    net::steady_timer drop_deadline_;
    std::mutex close_mutex_;
    bool closed_ = false;
    std::vector<std::function<void()>> close_handlers_;
};

// One HTTP/1.1 connection. The socket is read into a buffer of the session's own and Beast's
// parser runs over it (chunked bodies, limits, pipelined requests); the answer to a JSON-RPC
// request is written as one gathered send of a header formatted here and the reply text. Beast's
// composed read and write operations and its per-operation stream timer cost more CPU than the
// rest of an eth_blockNumber together (perf, issue 15), so the session does that part itself.
class HttpSession final : public std::enable_shared_from_this<HttpSession>,
                          public ConnectionLimiter::Evictable {
public:
    using Socket = net::basic_stream_socket<tcp, net::io_context::executor_type>;

    HttpSession(Socket&& socket, Server::Impl& server, ConnectionSlot slot)
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
        std::make_shared<WsSession>(std::move(moved), server_, std::move(slot_))
            ->run(std::move(req));
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

    Socket socket_;
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

void Server::Impl::accept() {
    acceptor.async_accept(pick_context(), [this](beast::error_code ec, HttpSession::Socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (ec == net::error::connection_aborted) return accept();  // the client gave up
        if (ec) {
            // Out of descriptors (EMFILE, ENFILE) or kernel memory: the connection waits in the
            // backlog, and accepting again at once would spin. Try again a little later.
            accept_backoff.expires_after(kAcceptBackoff);
            accept_backoff.async_wait([this](beast::error_code e) {
                if (!e) accept();
            });
            return;
        }
        if (!connections->admit()) {
            // At the cap with nothing idle to evict: refused at once (a reset, so that neither
            // side keeps the socket), rather than left to pile up.
            socket.set_option(net::socket_base::linger(true, 0), ec);
            socket.close(ec);
            return accept();
        }
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<HttpSession>(std::move(socket), *this, ConnectionSlot(connections))->run();
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
    threads = std::max(1u, threads);
    impl_->inline_evm_cap = threads - 1;
    impl_->blocking = std::make_unique<ThreadPool>(impl_->options.blocking_threads);
    // Methods run the EVM, which recurses once per call depth: the threads get large stacks
    // (reserved address space; only what is touched is committed).
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kEvmThreadStack);
    auto spawn = [&](void* (*run)(void*), void* arg) {
        pthread_t thread;
        if (pthread_create(&thread, &attr, run, arg) != 0) return false;
        impl_->threads.push_back(thread);
        return true;
    };
    auto run_context = [](void* arg) -> void* {
        mark_connection_thread();
        static_cast<net::io_context*>(arg)->run();
        return nullptr;
    };
    // A context whose thread could not start takes no connections (the first, the acceptor's,
    // is kept: without it nothing is served either way).
    std::vector<std::unique_ptr<net::io_context>> started;
    for (unsigned i = 0; i < threads; ++i) {
        auto context =
            i == 0 ? std::move(impl_->io_contexts.front()) : std::make_unique<net::io_context>(1);
        impl_->io_work.emplace_back(context->get_executor());
        if (spawn(run_context, context.get()) || i == 0) {
            started.push_back(std::move(context));
        } else {
            impl_->io_work.pop_back();
        }
    }
    impl_->io_contexts = std::move(started);
    for (unsigned i = 0; i < std::max(1u, threads / 2); ++i)
        spawn(run_context, &impl_->ws_ioc);
    pthread_attr_destroy(&attr);
    net::post(impl_->ioc, [impl = impl_.get()] { impl->accept(); });
}

bool Server::stop(std::chrono::milliseconds grace) {
    if (!impl_) return true;
    for (auto& context : impl_->io_contexts)
        context->stop();
    impl_->ws_ioc.stop();
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
