// HTTP and WebSocket JSON-RPC on one port (Boost.Beast): keep-alive, CORS, body and batch limits.
// Requests are answered on the server's I/O threads; a method that must wait briefly (a chain's
// writer) waits there. Requests that may call a blocking method (MethodTable::add_blocking: the
// kernel engine, waiting on HTTP services and peers) run on a pool of their own, so slow kernels
// never hold up eth_* on the same port.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

struct ServerOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 8545;             // 0: any free port (see Server::port)
    size_t max_body_bytes = 5 << 20;  // geth's limit
    Limits limits;
    std::string cors_origin = "*";
    unsigned blocking_threads = 64;  // blocking requests answered at once; the rest queue
};

class Server {
public:
    // Binds at once, so a port in use is reported here; serving starts with `start`.
    static std::expected<std::unique_ptr<Server>, std::string> bind(const ServerOptions& options,
                                                                    const MethodTable& methods);
    ~Server();

    uint16_t port() const;
    void start(unsigned threads);
    // Stops serving. Blocking requests still running get `grace` to finish; false when some did
    // not (the server then leaks what they use, and the process should exit rather than unwind).
    bool stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

    struct Impl;

private:
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace krnl::rpc
