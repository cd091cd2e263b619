// A small HTTP/1.1 server for the engine's tests, on 127.0.0.1 at a random port, one thread per
// connection. Endpoints:
//   /ok                 200, a JSON document (see kOkBody)
//   /slow/<ms>          200 {"ok":true} after <ms> milliseconds
//   /never              reads the request and never answers
//   /garbage            200, a body that is not JSON
//   /big                200, a JSON string of 2 MiB
//   /loop               302 to itself
//   /redirect/<n>       302 to /redirect/<n-1>; /redirect/0 answers as /ok
//   /goto?to=<url>      302 to <url> (percent-decoding not applied: pass a plain URL)
//   /status/<code>      that status with {"error":"..."}
//   /echo...            200 {"method","target","body","auth"} (auth: the Authorization header)
// Only for tests: included by *_test.cpp files.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace krnl::engine::testing {

inline constexpr const char* kOkBody =
    R"({"data":{"active":true,"name":"gold","owner":"0x00000000000000000000000000000000000000aa"},)"
    R"("price":"12.345","ticker":12.5,"big":123456789012345678901234567890,"list":[1,2,3],)"
    R"("neg":-7,"tiny":1e-3})";

class TestHttpServer {
public:
    TestHttpServer() : acceptor_(io_) {
        using boost::asio::ip::tcp;
        tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    ~TestHttpServer() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        // Wake the blocking accept with a connection of our own.
        try {
            boost::asio::io_context io;
            boost::asio::ip::tcp::socket s(io);
            s.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
        } catch (...) {
        }
        accept_thread_.join();
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            threads.swap(connection_threads_);
        }
        for (auto& t : threads)
            t.join();
    }

    uint16_t port() const { return port_; }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    int requests() const { return requests_.load(); }

private:
    void accept_loop() {
        for (;;) {
            boost::asio::ip::tcp::socket socket(io_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            if (ec) continue;
            connection_threads_.emplace_back(
                [this, s = std::move(socket)]() mutable { serve(std::move(s)); });
        }
    }

    // Waits up to `ms` milliseconds or until the server stops; true when the full time passed.
    bool wait(std::chrono::milliseconds ms) {
        std::unique_lock lock(mutex_);
        return !wake_.wait_for(lock, ms, [this] { return stopping_; });
    }

    void serve(boost::asio::ip::tcp::socket socket) {
        namespace http = boost::beast::http;
        boost::system::error_code ec;
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) return;
        ++requests_;
        const std::string target(req.target());
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        res.set(http::field::connection, "close");
        auto redirect = [&](const std::string& location) {
            res.result(http::status::found);
            res.set(http::field::location, location);
            res.body() = "{}";
        };
        if (target == "/ok") {
            res.body() = kOkBody;
        } else if (target.starts_with("/slow/")) {
            if (!wait(std::chrono::milliseconds(std::stoi(target.substr(6))))) return;
            res.body() = R"({"ok":true})";
        } else if (target == "/never") {
            wait(std::chrono::hours(1));
            return;
        } else if (target == "/garbage") {
            res.body() = "{\"ok\": tru";
        } else if (target == "/big") {
            res.body() = "\"" + std::string(2 << 20, 'x') + "\"";
        } else if (target == "/loop") {
            redirect("/loop");
        } else if (target.starts_with("/redirect/")) {
            const int n = std::stoi(target.substr(10));
            if (n > 0)
                redirect("/redirect/" + std::to_string(n - 1));
            else
                res.body() = kOkBody;
        } else if (target.starts_with("/goto?to=")) {
            redirect(target.substr(9));
        } else if (target.starts_with("/status/")) {
            res.result(static_cast<unsigned>(std::stoi(target.substr(8))));
            res.body() = R"({"error":"as asked"})";
        } else if (target.starts_with("/echo")) {
            nlohmann::json echo;
            echo["method"] = std::string(req.method_string());
            echo["target"] = target;
            echo["body"] = req.body();
            echo["auth"] = std::string(req[http::field::authorization]);
            res.body() = echo.dump();
        } else {
            res.result(http::status::not_found);
            res.body() = R"({"error":"no such endpoint"})";
        }
        res.prepare_payload();
        http::write(socket, res, ec);
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    uint16_t port_ = 0;
    std::thread accept_thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::vector<std::thread> connection_threads_;
    std::atomic<int> requests_{0};
};

}  // namespace krnl::engine::testing
