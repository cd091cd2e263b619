// A JSON-RPC 2.0 client over HTTP/1.1 (keep-alive): the krnl CLI, upstream chains, peer nodes.
// Synchronous and thread-safe: concurrent calls share a small pool of connections.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

class Client {
public:
    // `url` is http://host:port[/path]; an unusable URL is reported by every call.
    explicit Client(std::string url, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // The result, or the server's error object, or a transport error (code kInternalError with a
    // message naming the URL and what failed).
    Result<json> call(const std::string& method, json params = json::array());
    // Several calls in one JSON-RPC batch (one HTTP round trip): a result or error per call, in
    // order, or a transport error for the whole batch.
    Result<std::vector<Result<json>>> call_batch(
        const std::vector<std::pair<std::string, json>>& calls);

    const std::string& url() const { return url_; }

    struct Impl;

private:
    std::string url_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace krnl::rpc
