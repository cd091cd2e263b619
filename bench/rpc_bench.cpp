// krnl-rpc-bench: JSON-RPC load over HTTP/1.1 keep-alive against any node (krnld, Hardhat, ...).
// C connections each keep one request in flight for a fixed time per scenario; every reply is
// checked (status, id, error object, expected result) and anything wrong is counted as an error.
//
//   krnl-rpc-bench --url http://127.0.0.1:8545 [--connections 16] [--seconds 5] [--warmup 1]
//                  [--threads 1]
//                  [--scenarios eth_blockNumber,eth_getBalance,eth_call,transfers]
//                  [--presign 2000] [--tsv]
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <expected>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "chain/transaction.hpp"
#include "common/hd_wallet.hpp"
#include "common/secp256k1.hpp"
#include "common/uint256.hpp"

namespace {

using namespace krnl;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kChainId = 31337;
constexpr size_t kDevAccounts = 10;
constexpr size_t kMaxErrorSamples = 5;

struct Options {
    std::string url = "http://127.0.0.1:8545";
    std::string host;
    std::string port;
    std::string target = "/";
    size_t connections = 16;
    double seconds = 5;
    unsigned threads = 1;
    double warmup = 1;      // seconds of each scenario run first and not measured
    size_t presign = 2000;  // transfers signed per account before the transfer scenario starts
    std::vector<std::string> scenarios{"eth_blockNumber", "eth_getBalance", "eth_call",
                                       "transfers"};
    bool tsv = false;
    int node_pid = 0;  // the node's process, when on this machine: its CPU per request is reported
};

bool parse_url(Options& o) {
    std::string_view u = o.url;
    if (!u.starts_with("http://")) return false;
    u.remove_prefix(7);
    const size_t slash = u.find('/');
    std::string_view authority = u.substr(0, slash);
    if (slash != std::string_view::npos) o.target = std::string(u.substr(slash));
    const size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) {
        o.host = std::string(authority);
        o.port = "80";
    } else {
        o.host = std::string(authority.substr(0, colon));
        o.port = std::string(authority.substr(colon + 1));
    }
    return !o.host.empty() && !o.port.empty();
}

std::string request_body(uint64_t id, std::string_view method, std::string_view params) {
    std::string body = R"({"jsonrpc":"2.0","id":)";
    body += std::to_string(id);
    body += R"(,"method":")";
    body += method;
    body += R"(","params":)";
    body += params;
    body += "}";
    return body;
}

// ---- blocking calls for setup and verification ----

class SyncClient {
public:
    explicit SyncClient(const Options& o) : options_(o), stream_(ioc_) {}

    std::expected<json, std::string> call(std::string_view method, const json& params) {
        const std::string body = request_body(++id_, method, params.dump());
        for (int attempt = 0; attempt < 2; ++attempt) {
            beast::error_code ec;
            if (!connected_) {
                tcp::resolver resolver(ioc_);
                auto endpoints = resolver.resolve(options_.host, options_.port, ec);
                if (!ec) stream_.connect(endpoints, ec);
                if (ec) return std::unexpected("connect: " + ec.message());
                connected_ = true;
            }
            http::request<http::string_body> req{http::verb::post, options_.target, 11};
            req.set(http::field::host, options_.host + ":" + options_.port);
            req.set(http::field::content_type, "application/json");
            req.body() = body;
            req.prepare_payload();
            http::write(stream_, req, ec);
            http::response<http::string_body> res;
            if (!ec) http::read(stream_, buffer_, res, ec);
            if (ec) {
                // A keep-alive connection the server closed: one fresh attempt.
                stream_.socket().close(ec);
                connected_ = false;
                buffer_.clear();
                continue;
            }
            if (!res.keep_alive()) {
                stream_.socket().close(ec);
                connected_ = false;
            }
            if (res.result() != http::status::ok)
                return std::unexpected(method_text(method, params) + ": HTTP " +
                                       std::to_string(res.result_int()) + ": " + res.body());
            json reply = json::parse(res.body(), nullptr, false);
            if (reply.is_discarded() || !reply.is_object())
                return std::unexpected(method_text(method, params) + ": not JSON: " + res.body());
            if (reply.contains("error"))
                return std::unexpected(method_text(method, params) + ": " + res.body());
            if (!reply.contains("result"))
                return std::unexpected(method_text(method, params) + ": no result: " + res.body());
            return reply["result"];
        }
        return std::unexpected(std::string(method) + ": connection failed twice");
    }

private:
    static std::string method_text(std::string_view method, const json& params) {
        return std::string(method) + " " + params.dump();
    }

    const Options& options_;
    net::io_context ioc_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    bool connected_ = false;
    uint64_t id_ = 0;
};

std::optional<uint64_t> quantity(const json& j) {
    if (!j.is_string()) return std::nullopt;
    auto v = parse_uint256(j.get<std::string>());
    if (!v || v->w[1] || v->w[2] || v->w[3]) return std::nullopt;
    return v->w[0];
}

bool is_quantity(const json& j) {
    if (!j.is_string()) return false;
    const std::string& s = j.get_ref<const std::string&>();
    return s.size() > 2 && s.starts_with("0x") && parse_uint256(s).has_value();
}

// ---- scenarios ----

// One scenario's traffic. Each connection calls `next` and `check` only for itself and never
// concurrently with itself, so per-connection state needs no lock.
class Scenario {
public:
    virtual ~Scenario() = default;
    virtual std::string name() const = 0;
    // The method and params of the connection's next request; nullopt: it has nothing more.
    virtual std::optional<std::pair<std::string_view, std::string>> next(size_t conn) = 0;
    // nullopt when `result` is what the request should return, else what is wrong.
    virtual std::optional<std::string> check(size_t conn, const json& result) = 0;
    // The connection's request failed (error reply, transport error): what it means for the
    // scenario (transfers stop the account, whose later nonces would no longer be valid).
    virtual void failed(size_t conn) {}
};

class FixedScenario : public Scenario {
public:
    using Check = std::function<std::optional<std::string>(const json&)>;
    FixedScenario(std::string name, std::string method, std::string params, Check check)
        : name_(std::move(name)),
          method_(std::move(method)),
          params_(std::move(params)),
          check_(std::move(check)) {}

    std::string name() const override { return name_; }
    std::optional<std::pair<std::string_view, std::string>> next(size_t) override {
        return std::pair<std::string_view, std::string>{method_, params_};
    }
    std::optional<std::string> check(size_t, const json& result) override { return check_(result); }

private:
    std::string name_, method_, params_;
    Check check_;
};

struct DevKey {
    bytes32 secret;
    address addr;
};

struct Fees {
    uint256 max_fee;
    uint256 tip;
};

chain::Transaction transfer(uint64_t nonce, const Fees& fees, const address& to) {
    chain::Transaction tx;
    tx.type = chain::TxType::DynamicFee;
    tx.chain_id = kChainId;
    tx.nonce = nonce;
    tx.max_priority_fee_per_gas = fees.tip;
    tx.max_fee_per_gas = fees.max_fee;
    tx.gas_limit = 21000;
    tx.to = to;
    tx.value = 1;
    return tx;
}

struct Signed {
    std::string params;  // ["0x<raw>"]
    std::string hash;    // 0x-prefixed
};

Signed sign_transfer(const DevKey& key, uint64_t nonce, const Fees& fees, const address& to) {
    chain::Transaction tx = transfer(nonce, fees, to);
    chain::sign_transaction(tx, key.secret);
    return {"[\"" + to_hex(encode_transaction(tx)) + "\"]", to_hex(chain::transaction_hash(tx))};
}

// Value transfers from the dev accounts; account a belongs to connection a % C, so each
// account's nonces go out in order on one connection.
class TransferScenario : public Scenario {
public:
    struct Account {
        DevKey key;
        uint64_t start_nonce = 0;
        std::vector<Signed> signed_txs;
        size_t sent = 0;
        size_t acknowledged = 0;
        bool stopped = false;
    };

    TransferScenario(std::vector<Account> accounts, size_t connections, Fees fees, address to)
        : accounts_(std::move(accounts)), fees_(fees), to_(to), conns_(connections) {
        for (size_t a = 0; a < accounts_.size(); ++a)
            conns_[a % connections].accounts.push_back(a);
    }

    std::string name() const override { return "transfers"; }

    std::optional<std::pair<std::string_view, std::string>> next(size_t conn) override {
        ConnState& c = conns_[conn];
        for (size_t tried = 0; tried < c.accounts.size(); ++tried) {
            const size_t a = c.accounts[c.cursor++ % c.accounts.size()];
            Account& acc = accounts_[a];
            if (acc.stopped) continue;
            if (acc.sent == acc.signed_txs.size()) {
                // Ran past the pre-signed supply: sign on the client thread (counted below).
                acc.signed_txs.push_back(
                    sign_transfer(acc.key, acc.start_nonce + acc.sent, fees_, to_));
                inline_signed_.fetch_add(1, std::memory_order_relaxed);
            }
            c.current = a;
            return std::pair<std::string_view, std::string>{"eth_sendRawTransaction",
                                                            acc.signed_txs[acc.sent++].params};
        }
        return std::nullopt;
    }

    std::optional<std::string> check(size_t conn, const json& result) override {
        Account& acc = accounts_[conns_[conn].current];
        const std::string& expected = acc.signed_txs[acc.sent - 1].hash;
        if (!result.is_string() || result.get<std::string>() != expected) {
            acc.stopped = true;
            return "returned " + result.dump() + ", expected the hash " + expected;
        }
        ++acc.acknowledged;
        return std::nullopt;
    }

    void failed(size_t conn) override { accounts_[conns_[conn].current].stopped = true; }

    std::vector<Account>& accounts() { return accounts_; }
    size_t inline_signed() const { return inline_signed_.load(); }

private:
    struct ConnState {
        std::vector<size_t> accounts;
        size_t cursor = 0;
        size_t current = 0;
    };
    std::vector<Account> accounts_;
    Fees fees_;
    address to_;
    std::vector<ConnState> conns_;
    std::atomic<size_t> inline_signed_{0};
};

// ---- the load loop ----

struct ErrorSample {
    std::string request;
    std::string response;
};

struct RunStats {
    std::vector<uint32_t> latencies_us;  // successful requests only
    size_t ok = 0;
    size_t errors = 0;
    size_t reconnects = 0;
};

struct Shared {
    std::mutex mutex;
    std::vector<ErrorSample> samples;
    size_t total_errors = 0;

    void record(std::string request, std::string response) {
        std::lock_guard lock(mutex);
        ++total_errors;
        if (samples.size() < kMaxErrorSamples)
            samples.push_back({std::move(request), std::move(response)});
    }
};

class LoadConnection : public std::enable_shared_from_this<LoadConnection> {
public:
    LoadConnection(net::io_context& ioc, const Options& o, const tcp::resolver::results_type& eps,
                   Scenario& s, size_t index, Shared& shared)
        : options_(o),
          endpoints_(eps),
          stream_(net::make_strand(ioc)),
          scenario_(s),
          index_(index),
          shared_(shared) {}

    bool connect() {
        beast::error_code ec;
        stream_.connect(endpoints_, ec);
        if (!ec) stream_.socket().set_option(tcp::no_delay(true), ec);
        if (ec) {
            shared_.record("(connect)", ec.message());
            ++stats_.errors;
        }
        return !ec;
    }

    void start(Clock::time_point deadline) {
        deadline_ = deadline;
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->send_next(); });
    }

    RunStats& stats() { return stats_; }
    Clock::time_point finished() const { return finished_; }

private:
    void send_next() {
        if (Clock::now() >= deadline_) return finish();
        auto next = scenario_.next(index_);
        if (!next) return finish();
        req_ = {http::verb::post, options_.target, 11};
        req_.set(http::field::host, options_.host + ":" + options_.port);
        req_.set(http::field::content_type, "application/json");
        req_.keep_alive(true);
        req_.body() = request_body(++id_, next->first, next->second);
        req_.prepare_payload();
        res_ = {};
        sent_at_ = Clock::now();
        stream_.expires_after(std::chrono::seconds(60));
        http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->transport_error(ec, "write");
            http::async_read(self->stream_, self->buffer_, self->res_,
                             [self](beast::error_code ec, size_t) {
                                 if (ec) return self->transport_error(ec, "read");
                                 self->on_response();
                             });
        });
    }

    void on_response() {
        const auto latency =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at_);
        std::optional<std::string> problem;
        json reply;
        if (res_.result() != http::status::ok) {
            problem = "HTTP " + std::to_string(res_.result_int());
        } else {
            reply = json::parse(res_.body(), nullptr, false);
            if (reply.is_discarded() || !reply.is_object())
                problem = "not a JSON object";
            else if (!reply.contains("id") || reply["id"] != json(id_))
                problem = "wrong id";
            else if (reply.contains("error"))
                problem = "error reply";
            else if (!reply.contains("result"))
                problem = "no result";
            else
                problem = scenario_.check(index_, reply["result"]);
        }
        if (problem) {
            ++stats_.errors;
            scenario_.failed(index_);
            shared_.record(req_.body(), *problem + ": " + res_.body());
        } else {
            ++stats_.ok;
            stats_.latencies_us.push_back(static_cast<uint32_t>(latency.count()));
        }
        if (!res_.keep_alive()) {
            if (!reconnect()) return finish();
        }
        send_next();
    }

    void transport_error(beast::error_code ec, const char* what) {
        ++stats_.errors;
        scenario_.failed(index_);
        shared_.record(req_.body(), std::string(what) + ": " + ec.message());
        if (Clock::now() < deadline_ && reconnect()) return send_next();
        finish();
    }

    bool reconnect() {
        beast::error_code ec;
        stream_.socket().close(ec);
        buffer_.clear();
        ++stats_.reconnects;
        return connect();
    }

    void finish() { finished_ = Clock::now(); }

    const Options& options_;
    const tcp::resolver::results_type& endpoints_;
    beast::tcp_stream stream_;
    Scenario& scenario_;
    size_t index_;
    Shared& shared_;
    Clock::time_point deadline_;
    Clock::time_point sent_at_;
    Clock::time_point finished_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
    beast::flat_buffer buffer_;
    uint64_t id_ = 0;
    RunStats stats_;
};

struct Result {
    std::string name;
    size_t ok = 0;
    size_t errors = 0;
    size_t reconnects = 0;
    double seconds = 0;
    double rate = 0;  // ok per second (transfers: mined per second)
    double p50_ms = 0;
    double p99_ms = 0;
    double client_cpu = 0;    // the client's CPU time over wall time (1.0 = one core)
    double node_cpu_us = -1;  // the node's CPU time per answered request (µs); -1: not measured
    std::vector<ErrorSample> samples;
    std::vector<std::string> notes;
};

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU time (user + system) a process has used so far, in seconds; -1 when it cannot be read.
double process_cpu_seconds(int pid) {
    if (pid <= 0) return -1;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces) start past its closing parenthesis.
    const size_t close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoul(field);
        if (i == 15) stime = std::stoul(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double percentile_ms(std::vector<uint32_t>& v, double q) {
    if (v.empty()) return 0;
    const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k] / 1000.0;
}

Result run_load(const Options& o, Scenario& scenario, size_t connections) {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(o.host, o.port);
    Shared shared;
    std::vector<std::shared_ptr<LoadConnection>> conns;
    for (size_t i = 0; i < connections; ++i) {
        conns.push_back(std::make_shared<LoadConnection>(ioc, o, endpoints, scenario, i, shared));
        conns.back()->connect();
    }
    const double cpu0 = cpu_seconds();
    const double node_cpu0 = process_cpu_seconds(o.node_pid);
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.seconds));
    for (auto& c : conns)
        c->start(deadline);
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < o.threads; ++t)
        threads.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : threads)
        t.join();
    auto end = start;
    for (auto& c : conns)
        end = std::max(end, c->finished());
    const double cpu1 = cpu_seconds();
    const double node_cpu1 = process_cpu_seconds(o.node_pid);

    Result r;
    r.name = scenario.name();
    std::vector<uint32_t> all;
    for (auto& c : conns) {
        RunStats& s = c->stats();
        r.ok += s.ok;
        r.errors += s.errors;
        r.reconnects += s.reconnects;
        all.insert(all.end(), s.latencies_us.begin(), s.latencies_us.end());
    }
    r.seconds = std::chrono::duration<double>(end - start).count();
    r.rate = r.seconds > 0 ? static_cast<double>(r.ok) / r.seconds : 0;
    r.p50_ms = percentile_ms(all, 0.50);
    r.p99_ms = percentile_ms(all, 0.99);
    r.client_cpu = r.seconds > 0 ? (cpu1 - cpu0) / r.seconds : 0;
    // The node's CPU over the same window, per request answered (transfers: per transfer mined,
    // its mining included). Clock ticks are 10 ms: a window of seconds keeps that under 1%.
    if (node_cpu0 >= 0 && node_cpu1 >= 0 && r.ok > 0)
        r.node_cpu_us = (node_cpu1 - node_cpu0) * 1e6 / static_cast<double>(r.ok);
    r.samples = std::move(shared.samples);
    if (r.reconnects > 0)
        r.notes.push_back(std::to_string(r.reconnects) + " reconnects (server closed or failed)");
    return r;
}

// ---- setup ----

const address kTransferRecipient =
    *fixed_from_hex<20>("0x000000000000000000000000000000000000b0b0");

// Init code: stores 0x1234 in slot 0, then returns the runtime code
//   PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
// which answers any call with slot 0 as one 32-byte word.
constexpr std::string_view kStorageInitCode =
    "0x"
    "611234600055"             // SSTORE(0, 0x1234)
    "600b6012600039"           // CODECOPY(0, 18, 11)
    "600b6000f3"               // RETURN(0, 11)
    "60005460005260206000f3";  // the runtime (11 bytes)
constexpr std::string_view kStoredWord =
    "0x0000000000000000000000000000000000000000000000000000000000001234";

std::expected<Fees, std::string> current_fees(SyncClient& rpc) {
    auto block = rpc.call("eth_getBlockByNumber", json::array({"latest", false}));
    if (!block) return std::unexpected(block.error());
    uint256 base = 0;
    if (block->contains("baseFeePerGas")) {
        auto b = parse_uint256((*block)["baseFeePerGas"].get<std::string>());
        if (!b) return std::unexpected("bad baseFeePerGas in " + block->dump());
        base = *b;
    }
    const uint256 tip = 1'000'000'000;  // 1 gwei
    // Base fees only fall on a chain of one-transaction blocks; twice the current one is room.
    return Fees{base * uint256(2) + tip, tip};
}

std::expected<json, std::string> wait_receipt(SyncClient& rpc, const std::string& hash) {
    for (int i = 0; i < 200; ++i) {
        auto receipt = rpc.call("eth_getTransactionReceipt", json::array({hash}));
        if (!receipt) return receipt;
        if (!receipt->is_null()) return receipt;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return std::unexpected("no receipt for " + hash + " after 5 s (is automine on?)");
}

std::expected<std::string, std::string> deploy_storage_contract(SyncClient& rpc,
                                                                const DevKey& key) {
    auto nonce = rpc.call("eth_getTransactionCount", json::array({to_hex(key.addr), "pending"}));
    if (!nonce) return std::unexpected(nonce.error());
    auto fees = current_fees(rpc);
    if (!fees) return std::unexpected(fees.error());
    chain::Transaction tx;
    tx.type = chain::TxType::DynamicFee;
    tx.chain_id = kChainId;
    tx.nonce = quantity(*nonce).value_or(0);
    tx.max_priority_fee_per_gas = fees->tip;
    tx.max_fee_per_gas = fees->max_fee;
    tx.gas_limit = 100'000;
    tx.data = *from_hex(kStorageInitCode);
    chain::sign_transaction(tx, key.secret);
    auto hash = rpc.call("eth_sendRawTransaction", json::array({to_hex(encode_transaction(tx))}));
    if (!hash) return std::unexpected(hash.error());
    auto receipt = wait_receipt(rpc, hash->get<std::string>());
    if (!receipt) return std::unexpected(receipt.error());
    if ((*receipt)["status"] != "0x1")
        return std::unexpected("deployment failed: " + receipt->dump());
    const json& addr = (*receipt)["contractAddress"];
    if (!addr.is_string()) return std::unexpected("no contractAddress: " + receipt->dump());
    // The call must answer the stored word before it is measured.
    auto check =
        rpc.call("eth_call", json::array({{{"to", addr}, {"data", "0x2e64cec1"}}, "latest"}));
    if (!check) return std::unexpected(check.error());
    if (*check != kStoredWord)
        return std::unexpected("eth_call returned " + check->dump() + ", expected the stored word");
    return addr.get<std::string>();
}

// ---- output ----

void print_result(const Options& o, const Result& r) {
    std::printf("%-16s %10zu %11.1f %9.3f %9.3f %7zu %8.0f%%", r.name.c_str(), r.ok, r.rate,
                r.p50_ms, r.p99_ms, r.errors, r.client_cpu * 100);
    if (r.node_cpu_us >= 0) std::printf(" %10.1f", r.node_cpu_us);
    std::printf("\n");
    for (const auto& n : r.notes)
        std::printf("  note: %s\n", n.c_str());
    for (const auto& s : r.samples)
        std::printf("  error: request %s\n         response %s\n", s.request.c_str(),
                    s.response.c_str());
    if (o.tsv)
        std::printf("result\t%s\t%.3f\t%.4f\t%.4f\t%zu\t%zu\t%.3f\t%.2f\n", r.name.c_str(), r.rate,
                    r.p50_ms, r.p99_ms, r.errors, r.ok, r.seconds, r.node_cpu_us);
    std::fflush(stdout);
}

int usage() {
    std::cerr << "usage: krnl-rpc-bench [--url http://127.0.0.1:8545] [--connections 16] "
                 "[--seconds 5] [--warmup 1] [--threads 1|2]\n"
                 "                      [--scenarios eth_blockNumber,eth_getBalance,eth_call,"
                 "transfers] [--presign N] [--tsv] [--node-pid PID]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            return std::string(argv[++i]);
        };
        try {
            if (arg == "--url") {
                auto v = value();
                if (!v) return usage();
                o.url = *v;
            } else if (arg == "--connections") {
                auto v = value();
                if (!v) return usage();
                o.connections = std::stoul(*v);
            } else if (arg == "--seconds") {
                auto v = value();
                if (!v) return usage();
                o.seconds = std::stod(*v);
            } else if (arg == "--threads") {
                auto v = value();
                if (!v) return usage();
                o.threads = static_cast<unsigned>(std::stoul(*v));
            } else if (arg == "--warmup") {
                auto v = value();
                if (!v) return usage();
                o.warmup = std::stod(*v);
            } else if (arg == "--presign") {
                auto v = value();
                if (!v) return usage();
                o.presign = std::stoul(*v);
            } else if (arg == "--scenarios") {
                auto v = value();
                if (!v) return usage();
                o.scenarios.clear();
                std::stringstream ss(*v);
                for (std::string s; std::getline(ss, s, ',');)
                    if (!s.empty()) o.scenarios.push_back(s);
            } else if (arg == "--tsv") {
                o.tsv = true;
            } else if (arg == "--node-pid") {
                auto v = value();
                if (!v) return usage();
                o.node_pid = std::stoi(*v);
            } else {
                return usage();
            }
        } catch (const std::exception&) {
            return usage();
        }
    }
    if (!parse_url(o) || o.connections == 0 || o.seconds <= 0 || o.threads == 0 || o.threads > 2) {
        std::cerr << "krnl-rpc-bench: need an http:// URL, connections > 0, seconds > 0 and 1 or 2 "
                     "threads\n";
        return 2;
    }
    for (const auto& s : o.scenarios)
        if (s != "eth_blockNumber" && s != "eth_getBalance" && s != "eth_call" &&
            s != "transfers") {
            std::cerr << "krnl-rpc-bench: unknown scenario " << s << "\n";
            return 2;
        }

    std::vector<DevKey> keys;
    for (uint32_t i = 0; i < kDevAccounts; ++i) {
        auto secret = hd::ethereum_account_key(hd::kTestMnemonic, i);
        keys.push_back({*secret, *secp256k1::address_from_secret(*secret)});
    }

    SyncClient rpc(o);
    auto chain_id = rpc.call("eth_chainId", json::array());
    if (!chain_id) {
        std::cerr << "krnl-rpc-bench: " << o.url << ": " << chain_id.error() << "\n";
        return 1;
    }
    if (quantity(*chain_id) != kChainId) {
        std::cerr << "krnl-rpc-bench: chain id " << chain_id->dump() << ", expected 31337\n";
        return 1;
    }
    auto client_version = rpc.call("web3_clientVersion", json::array());

    std::printf(
        "krnl-rpc-bench: %s (%s), %zu connections, %.1f s per scenario, %u client "
        "thread%s, %.1f s warm-up first\n",
        o.url.c_str(),
        client_version ? client_version->get<std::string>().c_str() : "unknown client",
        o.connections, o.seconds, o.threads, o.threads == 1 ? "" : "s", o.warmup);
    std::printf(
        "note: client and node share this machine (%u cores); the client's CPU use "
        "(last column) is taken from the node\n",
        std::thread::hardware_concurrency());
    std::printf("%-16s %10s %11s %9s %9s %7s %9s%s\n", "scenario", "ok", "per second", "p50 ms",
                "p99 ms", "errors", "client", o.node_pid > 0 ? "  node µs/req" : "");

    const std::string dev0 = to_hex(keys[0].addr);
    std::string contract;
    bool failed = false;
    // One run of a scenario for `seconds` (also the unmeasured warm-up: JIT-compiled nodes,
    // caches).
    auto run = [&](const std::string& name, double seconds) -> std::expected<Result, std::string> {
        Options timed = o;
        timed.seconds = seconds;
        if (name == "eth_blockNumber") {
            FixedScenario s(name, "eth_blockNumber", "[]", [](const json& j) {
                return is_quantity(j) ? std::nullopt : std::optional<std::string>("not a quantity");
            });
            return run_load(timed, s, o.connections);
        }
        if (name == "eth_getBalance") {
            auto expected = rpc.call("eth_getBalance", json::array({dev0, "latest"}));
            if (!expected) return std::unexpected(expected.error());
            // Nothing else writes during the run, so every answer must be this balance.
            FixedScenario s(
                name, "eth_getBalance", json::array({dev0, "latest"}).dump(),
                [want = *expected](const json& j) {
                    return j == want ? std::nullopt
                                     : std::optional<std::string>("balance " + j.dump() +
                                                                  ", expected " + want.dump());
                });
            return run_load(timed, s, o.connections);
        }
        if (name == "eth_call") {
            if (contract.empty()) {
                auto deployed = deploy_storage_contract(rpc, keys[kDevAccounts - 1]);
                if (!deployed)
                    return std::unexpected("deploying the storage contract: " + deployed.error());
                contract = *deployed;
            }
            FixedScenario s(
                name, "eth_call",
                json::array({{{"to", contract}, {"data", "0x2e64cec1"}}, "latest"}).dump(),
                [](const json& j) {
                    return j == kStoredWord ? std::nullopt
                                            : std::optional<std::string>("returned " + j.dump());
                });
            return run_load(timed, s, o.connections);
        }
        auto fees = current_fees(rpc);
        if (!fees) return std::unexpected(fees.error());
        std::vector<TransferScenario::Account> accounts;
        const auto sign_start = Clock::now();
        for (const DevKey& k : keys) {
            auto n = rpc.call("eth_getTransactionCount", json::array({to_hex(k.addr), "latest"}));
            auto pending =
                rpc.call("eth_getTransactionCount", json::array({to_hex(k.addr), "pending"}));
            if (!n || !pending || *n != *pending)
                return std::unexpected("nonce of " + to_hex(k.addr) + ": " +
                                       (n ? n->dump() : n.error()) + " latest, " +
                                       (pending ? pending->dump() : pending.error()) +
                                       " pending (they must agree: the pool must be empty)");
            TransferScenario::Account acc;
            acc.key = k;
            acc.start_nonce = *quantity(*n);
            for (size_t i = 0; i < o.presign; ++i)
                acc.signed_txs.push_back(
                    sign_transfer(k, acc.start_nonce + i, *fees, kTransferRecipient));
            accounts.push_back(std::move(acc));
        }
        const double sign_seconds =
            std::chrono::duration<double>(Clock::now() - sign_start).count();
        const size_t conns = std::min(o.connections, kDevAccounts);
        TransferScenario s(std::move(accounts), conns, *fees, kTransferRecipient);
        // The chain's length goes with the figure: a node may slow down as its chain grows.
        auto first_block = rpc.call("eth_blockNumber", json::array());
        Result r = run_load(timed, s, conns);
        auto last_block = rpc.call("eth_blockNumber", json::array());
        // Every acknowledged transfer must be mined: the nonces tell.
        size_t mined = 0;
        for (auto& acc : s.accounts()) {
            auto n =
                rpc.call("eth_getTransactionCount", json::array({to_hex(acc.key.addr), "latest"}));
            if (!n) {
                r.errors++;
                r.notes.push_back("verification: " + n.error());
                continue;
            }
            const uint64_t done = *quantity(*n) - acc.start_nonce;
            mined += done;
            if (done != acc.acknowledged) {
                r.errors++;
                r.notes.push_back("verification: " + to_hex(acc.key.addr) + " has " +
                                  std::to_string(done) + " mined, " +
                                  std::to_string(acc.acknowledged) + " acknowledged");
            }
        }
        char sign_text[32];
        std::snprintf(sign_text, sizeof sign_text, "%.2f", sign_seconds);
        r.notes.push_back(
            std::to_string(conns) + " connections (one per sender account), " +
            std::to_string(mined) + " transfers mined (checked by nonce), " +
            std::to_string(o.presign * kDevAccounts) + " pre-signed in " + sign_text + " s, " +
            std::to_string(s.inline_signed()) + " signed during the run, head block " +
            (first_block ? std::to_string(quantity(*first_block).value_or(0)) : "?") + " -> " +
            (last_block ? std::to_string(quantity(*last_block).value_or(0)) : "?"));
        r.rate = r.seconds > 0 ? static_cast<double>(mined) / r.seconds : 0;
        return r;
    };

    for (const std::string& name : o.scenarios) {
        if (o.warmup > 0) {
            auto w = run(name, o.warmup);
            if (!w) {
                std::cerr << "krnl-rpc-bench: " << name << ": " << w.error() << "\n";
                return 1;
            }
            if (w->errors > 0) {
                // Errors in the warm-up count like any other.
                w->name += " (warm-up)";
                print_result(Options{}, *w);
                failed = true;
            }
        }
        auto measured = run(name, o.seconds);
        if (!measured) {
            std::cerr << "krnl-rpc-bench: " << name << ": " << measured.error() << "\n";
            return 1;
        }
        Result& r = *measured;
        if (r.errors > 0) failed = true;
        print_result(o, r);
    }
    return failed ? 1 : 0;
}
