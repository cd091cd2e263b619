#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <deque>
#include <mutex>

#include "rpc/server_internal.hpp"

// JSON-RPC over a WebSocket: requests, subscriptions' notifications, and a bounded send queue.
namespace krnl::rpc {

namespace websocket = beast::websocket;

namespace {

// How long a dropped WebSocket client has to take its close frame before the socket is closed.
constexpr auto kDropGrace = std::chrono::seconds(10);

OutgoingMessage text_message(std::string text) {
    return {std::make_shared<const std::string>(std::move(text)), nullptr, {}};
}

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

}  // namespace

void start_ws_session(tcp::socket&& socket, Server::Impl& server, ConnectionSlot slot,
                      http::request<http::string_body> upgrade) {
    std::make_shared<WsSession>(std::move(socket), server, std::move(slot))
        ->run(std::move(upgrade));
}

}  // namespace krnl::rpc
