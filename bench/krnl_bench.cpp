// krnl-bench-engine: krnl_executeKernels under load against a running krnld, with the HTTP service
// the http kernel calls served here, so its latency is set exactly (GET /delay/<ms>/... answers
// {"status":"active"} after <ms> milliseconds, timed by the server, not the client).
//
//   krnl-bench-engine --url http://127.0.0.1:8545 --requests setup.json --delay-port P
//                     [--seconds 5] [--label parallel] [--tsv]
//
// setup.json is what bench/krnl_bench_setup.mjs prints: {delayMs, threeKernels, threeHttp,
// evmReadOnly}, each a krnl_executeKernels request. Scenarios, one after another:
//   three-kernels/1   the use case's kernels (http with the set delay, evm-read on two chains),
//                     one request at a time: latency, and latency over the slowest kernel
//                     (latency minus the set delay)
//   three-kernels/8   the same with 8 requests in flight
//   three-http/1      three http kernels with delays of 1, 1/2 and 1/4 the set delay, one at a time
//   evm-read/16       the two evm-read kernels alone, 16 in flight: executions per second
// Every reply is checked: a result with a payload and no kernel error, or it counts as an error.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---- the delayed HTTP service ----

class DelaySession : public std::enable_shared_from_this<DelaySession> {
public:
    explicit DelaySession(tcp::socket socket)
        : stream_(std::move(socket)), timer_(stream_.get_executor()) {}

    void start() { read(); }

private:
    void read() {
        req_ = {};
        http::async_read(stream_, buffer_, req_,
                         [self = shared_from_this()](beast::error_code ec, size_t) {
                             if (!ec) self->on_request();
                         });
    }

    void on_request() {
        // /delay/<ms>/anything
        const std::string_view target(req_.target().data(), req_.target().size());
        unsigned ms = 0;
        if (target.starts_with("/delay/")) {
            const auto digits = target.substr(7);
            std::from_chars(digits.data(), digits.data() + digits.size(), ms);
        }
        timer_.expires_after(std::chrono::milliseconds(ms));
        timer_.async_wait([self = shared_from_this()](beast::error_code) { self->respond(); });
    }

    void respond() {
        res_ = {http::status::ok, req_.version()};
        res_.set(http::field::content_type, "application/json");
        res_.keep_alive(req_.keep_alive());
        res_.body() = R"({"status":"active"})";
        res_.prepare_payload();
        http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (!ec && self->res_.keep_alive()) self->read();
        });
    }

    beast::tcp_stream stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
};

class DelayServer {
public:
    explicit DelayServer(uint16_t port)
        : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), port)) {
        accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~DelayServer() {
        ioc_.stop();
        thread_.join();
    }

private:
    void accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (!ec) std::make_shared<DelaySession>(std::move(socket))->start();
            accept();
        });
    }

    net::io_context ioc_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

// ---- load ----

struct Target {
    std::string host;
    std::string port;
};

std::optional<Target> parse_url(const std::string& url) {
    if (!url.starts_with("http://")) return std::nullopt;
    const std::string rest = url.substr(7);
    const auto colon = rest.find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string port = rest.substr(colon + 1);
    if (const auto slash = port.find('/'); slash != std::string::npos) port.resize(slash);
    return Target{rest.substr(0, colon), port};
}

// Whether a krnl_executeKernels reply is a signed payload over error-free responses.
std::optional<std::string> check_reply(const std::string& body, uint64_t id) {
    const json reply = json::parse(body, nullptr, false);
    if (!reply.is_object()) return "not a JSON object";
    if (reply.value("id", json()) != json(id)) return "wrong id";
    if (reply.contains("error")) return "error " + reply["error"].dump();
    const json& result = reply.value("result", json());
    if (!result.is_object() || !result.value("payload", json()).is_string() ||
        result["payload"].get_ref<const std::string&>().size() < 10)
        return "no payload";
    for (const json& r : result.value("responses", json::array()))
        if (!r.is_object() || r.value("err", std::string("?")) != "")
            return "kernel error " + r.dump();
    return std::nullopt;
}

struct Measured {
    std::string name;
    size_t ok = 0;
    size_t errors = 0;
    double seconds = 0;
    std::vector<uint32_t> latencies_us;
    std::string first_error;
};

double percentile_ms(std::vector<uint32_t> v, double q) {
    if (v.empty()) return 0;
    const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k] / 1000.0;
}

// `connections` threads, each with one keep-alive connection and one request in flight.
Measured run_load(const Target& target, const std::string& name, const json& request,
                  size_t connections, double seconds) {
    Measured m;
    m.name = name;
    std::mutex mutex;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(seconds));
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (size_t c = 0; c < connections; ++c) {
        threads.emplace_back([&, c] {
            net::io_context ioc;
            beast::tcp_stream stream(ioc);
            beast::flat_buffer buffer;
            std::vector<uint32_t> latencies;
            size_t errors = 0;
            std::string first_error;
            uint64_t id = c * 1'000'000'000ull;
            bool connected = false;
            while (Clock::now() < deadline) {
                beast::error_code ec;
                if (!connected) {
                    tcp::resolver resolver(ioc);
                    stream.connect(resolver.resolve(target.host, target.port, ec), ec);
                    if (ec) {
                        ++errors;
                        if (first_error.empty()) first_error = "connect: " + ec.message();
                        std::this_thread::sleep_for(std::chrono::milliseconds(10));
                        continue;
                    }
                    stream.socket().set_option(tcp::no_delay(true));
                    connected = true;
                }
                ++id;
                http::request<http::string_body> req{http::verb::post, "/", 11};
                req.set(http::field::host, target.host);
                req.set(http::field::content_type, "application/json");
                req.keep_alive(true);
                req.body() = json{{"jsonrpc", "2.0"},
                                  {"id", id},
                                  {"method", "krnl_executeKernels"},
                                  {"params", json::array({request})}}
                                 .dump();
                req.prepare_payload();
                http::response<http::string_body> res;
                const auto sent = Clock::now();
                http::write(stream, req, ec);
                if (!ec) http::read(stream, buffer, res, ec);
                const auto took = Clock::now() - sent;
                std::optional<std::string> problem;
                if (ec)
                    problem = "transport: " + ec.message();
                else if (res.result() != http::status::ok)
                    problem = "HTTP " + std::to_string(res.result_int());
                else
                    problem = check_reply(res.body(), id);
                if (problem) {
                    ++errors;
                    if (first_error.empty()) first_error = *problem;
                } else {
                    latencies.push_back(static_cast<uint32_t>(
                        std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
                }
                if (ec || !res.keep_alive()) {
                    stream.socket().close(ec);
                    buffer.clear();
                    connected = false;
                }
            }
            std::lock_guard lock(mutex);
            m.ok += latencies.size();
            m.errors += errors;
            m.latencies_us.insert(m.latencies_us.end(), latencies.begin(), latencies.end());
            if (m.first_error.empty()) m.first_error = first_error;
        });
    }
    for (auto& t : threads)
        t.join();
    m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return m;
}

int usage() {
    std::cerr << "usage: krnl-bench-engine --url http://127.0.0.1:8545 --requests setup.json "
                 "--delay-port P [--seconds 5] [--label NAME] [--tsv]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string url = "http://127.0.0.1:8545";
    std::string requests_file;
    std::string label = "krnld";
    uint16_t delay_port = 0;
    double seconds = 5;
    bool tsv = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--url" && has_value)
            url = argv[++i];
        else if (arg == "--requests" && has_value)
            requests_file = argv[++i];
        else if (arg == "--delay-port" && has_value)
            delay_port = static_cast<uint16_t>(std::stoul(argv[++i]));
        else if (arg == "--seconds" && has_value)
            seconds = std::stod(argv[++i]);
        else if (arg == "--label" && has_value)
            label = argv[++i];
        else if (arg == "--tsv")
            tsv = true;
        else
            return usage();
    }
    const auto target = parse_url(url);
    if (!target || requests_file.empty() || delay_port == 0 || seconds <= 0) return usage();
    std::ifstream in(requests_file);
    const json setup = json::parse(in, nullptr, false);
    if (!setup.is_object() || !setup.contains("threeKernels") || !setup.contains("evmReadOnly") ||
        !setup.contains("threeHttp")) {
        std::cerr << "krnl-bench-engine: " << requests_file
                  << " is not what krnl_bench_setup.mjs prints\n";
        return 2;
    }
    const double delay_ms = setup.value("delayMs", 0.0);
    DelayServer delay_server(delay_port);

    struct Scenario {
        std::string name;
        const json* request;
        size_t connections;
        bool delayed;
    };
    const std::vector<Scenario> scenarios = {
        {"three-kernels/1", &setup["threeKernels"], 1, true},
        {"three-kernels/8", &setup["threeKernels"], 8, true},
        {"three-http/1", &setup["threeHttp"], 1, true},
        {"evm-read/16", &setup["evmReadOnly"], 16, false},
    };
    std::printf("krnl-bench-engine: %s (%s), %.1f s per scenario, http kernel delay %.0f ms\n",
                url.c_str(), label.c_str(), seconds, delay_ms);
    std::printf("%-16s %8s %10s %9s %9s %12s %12s %7s\n", "scenario", "ok", "per second", "p50 ms",
                "p99 ms", "p50 over ms", "p99 over ms", "errors");
    bool failed = false;
    for (const auto& s : scenarios) {
        run_load(*target, s.name, *s.request, s.connections, std::min(1.0, seconds));  // warm-up
        Measured m = run_load(*target, s.name, *s.request, s.connections, seconds);
        const double rate = m.seconds > 0 ? static_cast<double>(m.ok) / m.seconds : 0;
        const double p50 = percentile_ms(m.latencies_us, 0.5);
        const double p99 = percentile_ms(m.latencies_us, 0.99);
        // Over the slowest kernel: the service answers after exactly delay_ms, so whatever the
        // request took beyond it is the engine's (and the transport's) own time.
        const double over50 = s.delayed ? p50 - delay_ms : 0;
        const double over99 = s.delayed ? p99 - delay_ms : 0;
        std::printf("%-16s %8zu %10.1f %9.3f %9.3f %12s %12s %7zu\n", s.name.c_str(), m.ok, rate,
                    p50, p99, s.delayed ? std::to_string(over50).substr(0, 6).c_str() : "-",
                    s.delayed ? std::to_string(over99).substr(0, 6).c_str() : "-", m.errors);
        if (!m.first_error.empty())
            std::printf("  first error: %s\n", m.first_error.substr(0, 300).c_str());
        if (tsv)
            std::printf("result\t%s\t%s\t%.2f\t%.3f\t%.3f\t%.3f\t%.3f\t%zu\t%zu\n", label.c_str(),
                        s.name.c_str(), rate, p50, p99, over50, over99, m.ok, m.errors);
        std::fflush(stdout);
        failed = failed || m.errors > 0 || m.ok == 0;
    }
    return failed ? 1 : 0;
}
