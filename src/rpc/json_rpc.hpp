// JSON-RPC 2.0: request parsing, batches, the method table, and errors with the standard codes and
// geth's wording, so clients that match on either keep working.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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

// The caller of a method: a WebSocket connection can receive notifications (subscriptions) and
// learn when the connection closes; an HTTP request cannot.
class Connection {
public:
    virtual ~Connection() = default;
    // Sends a notification; safe from any thread, a no-op once the connection is closed.
    virtual void notify(const json& message) = 0;
    // `fn` runs once when the connection closes (subscriptions clean up there).
    virtual void on_close(std::function<void()> fn) = 0;
};

struct CallContext {
    std::shared_ptr<Connection> connection;  // null for HTTP
};

using Method = std::function<Result<json>(const json& params, CallContext& ctx)>;

struct Limits {
    size_t max_batch = 1000;
};

class MethodTable {
public:
    void add(std::string name, Method method);
    // A method that waits on other services (peer nodes, HTTP APIs) for as long as they take: the
    // server answers requests that may call one on a pool of their own, never on its I/O threads.
    void add_blocking(std::string name, Method method);
    bool contains(std::string_view name) const { return methods_.contains(std::string(name)); }
    // Whether a request body may call a blocking method. Judged by the names appearing in it: a
    // false positive costs one thread hop, and a parse is saved on every other request.
    bool may_block(std::string_view body) const;

    // Answers one HTTP body or WebSocket message: a request or a batch. Returns the response
    // text, or an empty string when nothing is to be sent (only notifications).
    std::string handle(std::string_view body, CallContext& ctx, const Limits& limits) const;

    // One parsed request object (or a batch element); nullopt for a notification.
    std::optional<json> handle_request(const json& request, CallContext& ctx) const;

private:
    std::unordered_map<std::string, Method> methods_;
    std::vector<std::string> blocking_;
};

json error_response(const json& id, const RpcError& err);

}  // namespace krnl::rpc
