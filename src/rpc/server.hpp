// HTTP and WebSocket JSON-RPC on one port (Boost.Beast): keep-alive, CORS, body and batch limits.
// Requests are answered on the server's I/O threads; a method that must wait briefly (a chain's
// writer) waits there. Requests that call a blocking method (MethodTable::add_blocking: the
// kernel engine, waiting on HTTP services and peers) run on a pool of their own, so slow kernels
// never hold up eth_* on the same port; the pool's queue is bounded.
//
// Every resource a stranger can hold is bounded: connections (shared by the servers of a process,
// below its descriptor limit; idle HTTP connections make room for new ones), WebSocket send
// queues (a client that does not read is dropped), blocking requests queued or running.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "rpc/evm_limits.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

// The cap on open connections, shared by every server that holds it (descriptors are counted per
// process, not per port).
class ConnectionLimiter;
std::shared_ptr<ConnectionLimiter> make_connection_limiter(size_t max_connections);

struct ServerOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 8545;             // 0: any free port (see Server::port)
    size_t max_body_bytes = 5 << 20;  // geth's limit
    Limits limits;
    std::string cors_origin = "*";
    unsigned blocking_threads = 64;      // blocking requests answered at once; the rest queue...
    size_t max_blocking_requests = 256;  // ...up to this many queued and running; then -32005
    // Open connections (HTTP and WebSocket); past it the oldest idle HTTP connection is closed to
    // make room, or the new one is closed at once. `connections` shares one cap between servers;
    // when null the server has a cap of its own of `max_connections`.
    size_t max_connections = 1000;
    std::shared_ptr<ConnectionLimiter> connections;
    // A WebSocket client whose unsent messages pass either bound is dropped (close code 1008).
    size_t ws_send_queue_bytes = 16 << 20;
    size_t ws_send_queue_messages = 10'000;
    std::chrono::seconds http_idle_timeout{60};
    // EVM requests (MethodTable::add_evm) running and waiting at once on this port.
    EvmAdmission evm;
    // How long an EVM request that changes nothing may run on the I/O thread that read it before
    // it is stopped and run again on the pool (InlineBudget; the timer adds up to a millisecond).
    std::chrono::milliseconds inline_evm_budget{2};
    // GET answers the dashboard's files (rpc/static_files.hpp); otherwise GET is 405.
    bool serve_ui = false;
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
