// JSON-RPC 2.0: request parsing, batches, the method table, and errors with the standard codes and
// geth's wording, so clients that match on either keep working.
#pragma once

#include <atomic>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace krnl::rpc {

using json = nlohmann::json;

namespace code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerError = -32000;  // geth: transaction and state errors
inline constexpr int kLimitExceeded = -32005;
// Fork mode: the upstream node did not answer a state read within its timeout and retries.
inline constexpr int kUpstreamUnavailable = -32010;
inline constexpr int kExecutionReverted = 3;  // eth_call / eth_estimateGas with revert data
}  // namespace code

struct RpcError {
    int code = code::kInternalError;
    std::string message;
    std::optional<json> data;
};

template <typename T>
using Result = std::expected<T, RpcError>;

// Declares `var` as the value of an expected, or returns its error from the enclosing method.
#define KRNL_RPC_TRY(var, expr)                                      \
    auto var##_result = (expr);                                      \
    if (!var##_result) return std::unexpected(var##_result.error()); \
    auto& var = *var##_result

inline std::unexpected<RpcError> error(int code, std::string message,
                                       std::optional<json> data = std::nullopt) {
    return std::unexpected(RpcError{code, std::move(message), std::move(data)});
}

// The text of a response or notification. Never throws: bytes that are not UTF-8 (a revert
// reason, a kernel's answer: any caller can make a contract produce them) are written as U+FFFD,
// where nlohmann's default dump would throw and end the thread that answers.
inline std::string to_text(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The error past a limit: what was refused, the limit, and the TOML key that sets it (under
// [limits]); -32005 as geth's "limit exceeded".
inline RpcError limit_error(const std::string& what, uint64_t limit, std::string_view key) {
    return {code::kLimitExceeded,
            what + ": at most " + std::to_string(limit) + " (limits." + std::string(key) + ")"};
}

// Text shared, not copied, by every connection it is sent to.
using SharedText = std::shared_ptr<const std::string>;

// One WebSocket message: `head`, then `body`, then `tail` (static text). A notification is
// serialised once and its pieces shared by all its subscribers: the per-subscription head names the
// subscription, the body is the result (the same for every subscriber), the tail closes the object.
struct OutgoingMessage {
    SharedText head;
    SharedText body;
    std::string_view tail;
    size_t size() const {
        return (head ? head->size() : 0) + (body ? body->size() : 0) + tail.size();
    }
};

// The caller of a method: a WebSocket connection can receive notifications (subscriptions) and
// learn when the connection closes; an HTTP request cannot.
class Connection {
public:
    virtual ~Connection() = default;
    // Sends a message; safe from any thread, a no-op once the connection is closed. A connection
    // whose unsent messages pass its bound is closed (the caller does not read).
    virtual void send(OutgoingMessage message) = 0;
    void notify(const json& message) {
        send({std::make_shared<const std::string>(to_text(message)), nullptr, {}});
    }
    // `fn` runs once when the connection closes (subscriptions clean up there).
    virtual void on_close(std::function<void()> fn) = 0;

    // Subscriptions held by this connection, counted against the per-connection cap.
    std::atomic<size_t> subscriptions{0};
};

struct CallContext {
    std::shared_ptr<Connection> connection;  // null for HTTP
    // Blocks mined by dev methods (hardhat_mine, evm_mine, ...) in this HTTP request or WebSocket
    // message so far: the items of a batch share one budget.
    uint64_t blocks_mined = 0;
};

using Method = std::function<Result<json>(const json& params, CallContext& ctx)>;

struct Limits {
    size_t max_batch = 1000;
};

class MethodTable {
public:
    void add(std::string name, Method method);
    // A method that waits on other services (peer nodes, HTTP APIs) for as long as they take, or
    // that can work for seconds (mining thousands of blocks, a state file): the server answers
    // requests that call one on a pool of their own, never on its I/O threads.
    void add_blocking(std::string name, Method method);
    // A method that runs the EVM for its caller and changes nothing (eth_call, eth_estimateGas,
    // debug_trace*): busy for up to the EVM time limit. The server admits a bounded number at once
    // and tries one on the I/O thread that read it under a short budget (InlineBudget); past the
    // budget it drops that answer and runs the request again on its pool.
    void add_evm(std::string name, Method method);
    // An EVM method that changes state (eth_sendTransaction, anvil_deal, eth_sendUserOperation):
    // admitted as the others, and always run on the pool, since it must not run twice.
    void add_evm_writer(std::string name, Method method);
    // Both blocking and an EVM writer: it may also wait on other services (eth_sendUserOperation
    // when the engine runs kernels for the op).
    void add_blocking_evm(std::string name, Method method);
    bool contains(std::string_view name) const { return methods_.contains(std::string(name)); }
    // Registers `existing`'s handler, with its kind, under `name` too (anvil's and Hardhat's
    // aliases). False when `existing` is not registered.
    bool alias(std::string name, const std::string& existing);
    // Drops every method whose name `keep` refuses (an operator's choice of namespaces).
    void retain(const std::function<bool(std::string_view)>& keep);

    // The JSON of a request body, or nullopt when it does not parse (answer `parse_error()`).
    static std::optional<json> parse(std::string_view body);
    static std::string parse_error();
    // Which kinds of method a parsed request, or any request of a batch, calls. Judged by the
    // parsed names, so escapes in the text cannot hide one.
    struct Route {
        bool blocking = false;  // an add_blocking method: run it on the pool
        bool evm = false;       // an EVM method (add_evm, add_evm_writer): admit it first
        // One request (not a batch) of an add_evm method: it may be tried inline and run again.
        bool evm_rerunnable = false;
    };
    Route route(const json& request) const;
    bool may_block(const json& request) const { return route(request).blocking; }

    // Answers one parsed HTTP body or WebSocket message: a request or a batch. Returns the response
    // text, or an empty string when nothing is to be sent (only notifications).
    std::string handle_parsed(const json& request, CallContext& ctx, const Limits& limits) const;
    // The same from the text (parsed once).
    std::string handle(std::string_view body, CallContext& ctx, const Limits& limits) const;
    // Refuses a parsed request (or each request of a batch) with `err`, answering each by its id.
    static std::string refuse(const json& request, const RpcError& err);

    // One parsed request object (or a batch element); nullopt for a notification.
    std::optional<json> handle_request(const json& request, CallContext& ctx) const;

private:
    std::unordered_map<std::string, Method> methods_;
    std::unordered_set<std::string> blocking_;
    std::unordered_set<std::string> evm_;
    std::unordered_set<std::string> evm_writers_;  // a subset of evm_
};

json error_response(const json& id, const RpcError& err);

}  // namespace krnl::rpc
