#include "rpc/server.hpp"

#include <boost/asio/post.hpp>

#include <pthread.h>

#include "rpc/server_internal.hpp"

// Accepting connections, answering requests (inline or on the blocking pool), and the threads.
namespace krnl::rpc {

std::shared_ptr<ConnectionLimiter> make_connection_limiter(size_t max_connections) {
    return std::make_shared<ConnectionLimiter>(max_connections);
}

namespace {

constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

std::string stopping_error() {
    return error_response(nullptr, {code::kInternalError, "the server is stopping"}).dump();
}

}  // namespace

void Server::Impl::answer(json request, std::shared_ptr<Connection> connection,
                          std::function<void(std::string, bool)> deliver) {
    const MethodTable::Route route = methods.route(request);
    if (!route.blocking && !route.evm) {
        CallContext ctx{connection};
        return deliver(methods.handle_parsed(request, ctx, options.limits), true);
    }
    // An EVM request that changes nothing is tried here first, under a short budget; past it,
    // or when it may not run here, it goes to the pool (with the gate's slot when it has one).
    std::shared_ptr<EvmGate::Slot> slot;
    if (route.evm_rerunnable && !route.blocking) {
        if (inline_evm.fetch_add(1) < inline_evm_cap)
            if (auto free = evm_gate.try_enter())
                slot = std::make_shared<EvmGate::Slot>(std::move(*free));
        if (slot) {
            std::string reply;
            bool exceeded = false;
            {
                InlineBudget budget(options.inline_evm_budget);
                CallContext ctx{connection};
                reply = methods.handle_parsed(request, ctx, options.limits);
                exceeded = budget.exceeded();
            }
            inline_evm.fetch_sub(1);
            if (!exceeded) return deliver(std::move(reply), true);
        } else {
            inline_evm.fetch_sub(1);
        }
    }
    auto ticket = reserve_blocking();
    if (!ticket) return deliver(MethodTable::refuse(request, blocking_limit_error()), true);
    const bool posted = post_blocking([this, ticket, evm = route.evm, slot = std::move(slot),
                                       request = std::move(request),
                                       connection = std::move(connection), deliver]() mutable {
        if (evm && !slot) {
            auto entered = evm_gate.enter();
            if (!entered) return deliver(MethodTable::refuse(request, entered.error()), false);
            slot = std::make_shared<EvmGate::Slot>(std::move(*entered));
        }
        CallContext ctx{connection};
        deliver(methods.handle_parsed(request, ctx, options.limits), false);
    });
    if (!posted) deliver(stopping_error(), true);
}

void Server::Impl::accept() {
    acceptor.async_accept(pick_context(), [this](beast::error_code ec, HttpSocket socket) {
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
        start_http_session(std::move(socket), *this, ConnectionSlot(connections));
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
