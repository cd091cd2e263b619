// What the server's parts share (src/rpc only): the connection cap, the server's state, and how
// a session starts. server.cpp accepts and answers, http_session.cpp and ws_session.cpp speak
// the two protocols.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>

#include <pthread.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/thread.hpp"
#include "rpc/server.hpp"

namespace krnl::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
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

// The server's state, shared by its sessions.
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

    // EVM requests: admitted by the gate. One that changes nothing is tried on the I/O thread
    // that read it, under options.inline_evm_budget, while fewer than `inline_evm_cap` are (one
    // I/O thread always stays free for cheap calls); past the budget, or when it may not be tried
    // so, it runs on the pool, where waiting for the gate holds no I/O thread. Inline saves two
    // thread hops, which are most of an eth_call's cost; the budget keeps a long call from holding
    // up the other connections of its thread.
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

// The sessions, started on an accepted socket (on its io_context's thread).
using HttpSocket = net::basic_stream_socket<tcp, net::io_context::executor_type>;
void start_http_session(HttpSocket&& socket, Server::Impl& server, ConnectionSlot slot);
// Takes over a socket upgraded by `upgrade` (on a WebSocket thread).
void start_ws_session(tcp::socket&& socket, Server::Impl& server, ConnectionSlot slot,
                      http::request<http::string_body> upgrade);

}  // namespace krnl::rpc
