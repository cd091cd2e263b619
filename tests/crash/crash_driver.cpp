// krnl-crash-driver: the two halves of one crash-and-restart round (tests/crash/run.sh).
//
//   send  --url U --state FILE --mode auto|manual
//     Streams signed transfers from dev accounts 1..8 (four connections, two accounts each, so
//     each account's nonces go out in order) until the node stops answering, and writes what
//     happened to FILE: every transaction sent and whether the node acknowledged it, the highest
//     block number the node reported, the starting nonces and balances. In `manual` rounds
//     automine is off and a separate connection calls evm_mine now and then, so some
//     acknowledged transactions sit in the pool and some are mined when the node is killed.
//
//   check --url U --state FILE
//     After the restart: prints one TAP line ("ok - ..." / "not ok - ...") per property and
//     exits 1 if any failed. Leaves the node with automine on and an empty pool.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <expected>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
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

constexpr uint64_t kChainId = 31337;
constexpr uint32_t kFirstSender = 1;
constexpr uint32_t kSenders = 8;
constexpr uint32_t kSendConnections = 4;
constexpr uint32_t kContinuationAccount = 0;  // sends the "chain continues" transaction

struct CallError {
    bool transport = false;  // no answer at all (the node is gone): not the node's verdict
    std::string text;
};

// One keep-alive HTTP connection with blocking calls.
class Rpc {
public:
    Rpc(std::string host, std::string port) : host_(std::move(host)), port_(std::move(port)) {}

    std::expected<json, CallError> call(const std::string& method, const json& params) {
        const json request = {
            {"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", params}};
        beast::error_code ec;
        if (!connected_) {
            tcp::resolver resolver(ioc_);
            auto endpoints = resolver.resolve(host_, port_, ec);
            stream_.expires_after(std::chrono::seconds(10));
            if (!ec) stream_.connect(endpoints, ec);
            if (ec) return std::unexpected(CallError{true, "connect: " + ec.message()});
            connected_ = true;
        }
        http::request<http::string_body> req{http::verb::post, "/", 11};
        req.set(http::field::host, host_ + ":" + port_);
        req.set(http::field::content_type, "application/json");
        req.body() = request.dump();
        req.prepare_payload();
        http::response<http::string_body> res;
        stream_.expires_after(std::chrono::seconds(60));
        http::write(stream_, req, ec);
        if (!ec) http::read(stream_, buffer_, res, ec);
        if (ec) {
            stream_.socket().close(ec);
            connected_ = false;
            buffer_.clear();
            return std::unexpected(CallError{true, method + ": " + ec.message()});
        }
        if (!res.keep_alive()) {
            stream_.socket().close(ec);
            connected_ = false;
        }
        const std::string exchange =
            request.dump() + " -> HTTP " + std::to_string(res.result_int()) + " " + res.body();
        json reply = json::parse(res.body(), nullptr, false);
        if (res.result() != http::status::ok || reply.is_discarded() || !reply.is_object() ||
            reply.value("id", json()) != json(id_))
            return std::unexpected(CallError{false, "bad reply: " + exchange});
        if (reply.contains("error")) return std::unexpected(CallError{false, exchange});
        if (!reply.contains("result")) return std::unexpected(CallError{false, exchange});
        return reply["result"];
    }

private:
    std::string host_, port_;
    net::io_context ioc_;
    beast::tcp_stream stream_{ioc_};
    beast::flat_buffer buffer_;
    bool connected_ = false;
    uint64_t id_ = 0;
};

struct Endpoint {
    std::string host, port;
};

std::optional<Endpoint> parse_url(std::string_view u) {
    if (!u.starts_with("http://")) return std::nullopt;
    u.remove_prefix(7);
    u = u.substr(0, u.find('/'));
    const size_t colon = u.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return Endpoint{std::string(u.substr(0, colon)), std::string(u.substr(colon + 1))};
}

std::optional<uint256> to_u256(const json& j) {
    if (!j.is_string()) return std::nullopt;
    return parse_uint256(j.get<std::string>());
}

std::optional<uint64_t> to_u64(const json& j) {
    auto v = to_u256(j);
    if (!v || v->w[1] || v->w[2] || v->w[3]) return std::nullopt;
    return v->w[0];
}

struct DevKey {
    bytes32 secret;
    address addr;
};

DevKey dev_key(uint32_t index) {
    auto secret = hd::ethereum_account_key(hd::kTestMnemonic, index);
    return {*secret, *secp256k1::address_from_secret(*secret)};
}

// TAP-like report: one line per property, failures with the detail that shows why.
class Report {
public:
    void check(bool ok, const std::string& what, const std::string& detail = {}) {
        std::printf("%s - %s\n", ok ? "ok" : "not ok", what.c_str());
        if (!ok && !detail.empty()) std::printf("  # %s\n", detail.c_str());
        std::fflush(stdout);
        if (!ok) ++failed_;
    }
    int failed() const { return failed_; }

private:
    int failed_ = 0;
};

// ---- send ----

struct SentTx {
    std::string hash;
    uint32_t sender = 0;  // dev account index
    uint64_t nonce = 0;
    uint64_t value = 0;
    std::string status;  // "acked", "inflight" (no answer: the node died), "rejected"
    std::string error;
};

int send(const Endpoint& ep, const std::string& state_path, bool automine) {
    Rpc rpc(ep.host, ep.port);
    auto fail = [](const std::string& what, const CallError& e) {
        std::cerr << "krnl-crash-driver send: " << what << ": " << e.text << "\n";
        return 1;
    };
    auto block = rpc.call("eth_getBlockByNumber", json::array({"latest", false}));
    if (!block) return fail("latest block", block.error());
    const uint256 base_fee = to_u256((*block)["baseFeePerGas"]).value_or(uint256{});
    const uint256 tip = 1'000'000'000;
    // Room for the base fee to rise (it falls on these chains); cheap next to 10,000 ETH.
    const uint256 max_fee = std::max(base_fee * uint256(4) + tip, uint256(50'000'000'000));

    // A fresh recipient per round: its balance must be exactly what the mined transfers paid.
    std::random_device rd;
    bytes32 seed;
    for (auto& b : seed.bytes)
        b = static_cast<uint8_t>(rd());
    address recipient = address::from_view(seed.view());
    recipient[0] = 0x77;  // never a precompile or system address

    json state;
    state["mode"] = automine ? "auto" : "manual";
    state["recipient"] = to_hex(recipient);
    state["max_fee"] = to_hex(max_fee);
    std::vector<DevKey> keys;
    std::vector<uint64_t> start_nonce;
    for (uint32_t i = 0; i < kSenders; ++i) {
        keys.push_back(dev_key(kFirstSender + i));
        const std::string a = to_hex(keys.back().addr);
        auto latest = rpc.call("eth_getTransactionCount", json::array({a, "latest"}));
        auto pending = rpc.call("eth_getTransactionCount", json::array({a, "pending"}));
        auto balance = rpc.call("eth_getBalance", json::array({a, "latest"}));
        if (!latest) return fail("nonce", latest.error());
        if (!pending) return fail("pending nonce", pending.error());
        if (!balance) return fail("balance", balance.error());
        if (*latest != *pending) {
            std::cerr << "krnl-crash-driver send: " << a << " has pooled transactions (nonce "
                      << *latest << ", pending " << *pending << "); a round needs an empty pool\n";
            return 1;
        }
        start_nonce.push_back(*to_u64(*latest));
        state["senders"].push_back({{"index", kFirstSender + i},
                                    {"address", a},
                                    {"start_nonce", start_nonce.back()},
                                    {"start_balance", *balance}});
    }
    auto head = rpc.call("eth_blockNumber", json::array());
    if (!head) return fail("eth_blockNumber", head.error());
    state["start_block"] = *to_u64(*head);
    if (auto r = rpc.call("evm_setAutomine", json::array({automine})); !r)
        return fail("evm_setAutomine", r.error());

    std::atomic<uint64_t> last_block = *to_u64(*head);
    std::atomic<bool> stop{false};
    std::vector<std::vector<SentTx>> sent(kSendConnections);
    std::vector<std::thread> threads;
    for (uint32_t c = 0; c < kSendConnections; ++c) {
        threads.emplace_back([&, c] {
            Rpc conn(ep.host, ep.port);
            std::vector<uint32_t> mine;  // indexes into keys
            for (uint32_t k = c; k < kSenders; k += kSendConnections)
                mine.push_back(k);
            std::vector<uint64_t> next(mine.size());
            for (size_t i = 0; i < mine.size(); ++i)
                next[i] = start_nonce[mine[i]];
            std::vector<bool> stopped(mine.size(), false);
            for (uint64_t round = 0; !stop; ++round) {
                const size_t i = round % mine.size();
                if (stopped[i]) {
                    if (std::all_of(stopped.begin(), stopped.end(), [](bool b) { return b; }))
                        return;
                    continue;
                }
                chain::Transaction tx;
                tx.type = chain::TxType::DynamicFee;
                tx.chain_id = kChainId;
                tx.nonce = next[i];
                tx.max_priority_fee_per_gas = tip;
                tx.max_fee_per_gas = max_fee;
                tx.gas_limit = 21000;
                tx.to = recipient;
                const uint64_t value = 1000 + round;
                tx.value = value;
                chain::sign_transaction(tx, keys[mine[i]].secret);
                SentTx s;
                s.hash = to_hex(chain::transaction_hash(tx));
                s.sender = kFirstSender + mine[i];
                s.nonce = tx.nonce;
                s.value = value;
                auto r = conn.call("eth_sendRawTransaction",
                                   json::array({to_hex(encode_transaction(tx))}));
                if (r && *r == s.hash) {
                    s.status = "acked";
                    ++next[i];
                } else if (!r && r.error().transport) {
                    s.status = "inflight";
                    s.error = r.error().text;
                    sent[c].push_back(std::move(s));
                    return;  // the node is gone
                } else {
                    // A valid transaction refused by a live node: the check reports it. Later
                    // nonces of this account would not be valid, so the account stops.
                    s.status = "rejected";
                    s.error = r ? "returned " + r->dump() : r.error().text;
                    stopped[i] = true;
                }
                sent[c].push_back(std::move(s));
            }
        });
    }
    // Watches the head (and mines, in manual rounds) until the node is gone.
    threads.emplace_back([&] {
        Rpc conn(ep.host, ep.port);
        std::mt19937 rng(rd());
        while (!stop) {
            if (!automine) {
                auto m = conn.call("evm_mine", json::array());
                if (!m && m.error().transport) return;
            }
            auto n = conn.call("eth_blockNumber", json::array());
            if (!n) {
                if (n.error().transport) return;
                continue;
            }
            uint64_t v = to_u64(*n).value_or(0);
            uint64_t prev = last_block.load();
            while (v > prev && !last_block.compare_exchange_weak(prev, v)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 150));
        }
    });
    std::printf("sending\n");
    std::fflush(stdout);

    // The node is killed by the caller; a node that is never killed ends the round after a minute.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::thread timer([&] {
        while (!stop && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        stop = true;
    });
    for (auto& t : threads)
        t.join();
    stop = true;
    timer.join();

    state["last_block"] = last_block.load();
    size_t acked = 0, inflight = 0, rejected = 0;
    state["txs"] = json::array();
    for (const auto& list : sent)
        for (const SentTx& s : list) {
            state["txs"].push_back({{"hash", s.hash},
                                    {"sender", s.sender},
                                    {"nonce", s.nonce},
                                    {"value", s.value},
                                    {"status", s.status},
                                    {"error", s.error}});
            acked += s.status == "acked";
            inflight += s.status == "inflight";
            rejected += s.status == "rejected";
        }
    std::ofstream(state_path) << state.dump(1) << "\n";
    std::printf("sent %zu acknowledged, %zu in flight at the kill, %zu rejected; last block %llu\n",
                acked, inflight, rejected, static_cast<unsigned long long>(last_block.load()));
    return 0;
}

// ---- check ----

int check(const Endpoint& ep, const std::string& state_path, const std::string& label) {
    Report report;
    std::ifstream in(state_path);
    json state = json::parse(in, nullptr, false);
    if (state.is_discarded()) {
        report.check(false, label + "state file readable", state_path);
        return 1;
    }
    const bool automine_round = state["mode"] == "auto";
    Rpc rpc(ep.host, ep.port);
    auto call = [&](const std::string& method, const json& params) -> std::optional<json> {
        auto r = rpc.call(method, params);
        if (!r) {
            report.check(false, label + method + " answers", r.error().text);
            return std::nullopt;
        }
        return *r;
    };

    // 1. The head is not behind what the node reported before the kill.
    auto head_json = call("eth_blockNumber", json::array());
    if (!head_json) return 1;
    const uint64_t head = *to_u64(*head_json);
    const uint64_t last_block = state["last_block"];
    report.check(head >= last_block, label + "head " + std::to_string(head) +
                                         " >= last block reported before the kill (" +
                                         std::to_string(last_block) + ")");

    // 2. Where every transaction of the round is now.
    struct Found {
        const json* tx;
        std::optional<json> receipt;
        bool pooled = false;
    };
    std::vector<Found> found;
    size_t acked = 0, rejected = 0;
    std::vector<std::string> lost, not_in_block, rejections;
    for (const json& t : state["txs"]) {
        Found f{&t, std::nullopt, false};
        auto receipt = call("eth_getTransactionReceipt", json::array({t["hash"]}));
        if (!receipt) return 1;
        if (!receipt->is_null()) {
            f.receipt = *receipt;
        } else {
            auto tx = call("eth_getTransactionByHash", json::array({t["hash"]}));
            if (!tx) return 1;
            f.pooled = !tx->is_null() && (*tx)["blockNumber"].is_null();
            if (!tx->is_null() && !f.pooled)
                lost.push_back(t["hash"].get<std::string>() + " has a block but no receipt");
        }
        if (t["status"] == "acked") {
            ++acked;
            if (!f.receipt && !f.pooled)
                lost.push_back(t["hash"].get<std::string>() + " (sender " +
                               std::to_string(t["sender"].get<uint32_t>()) + ", nonce " +
                               std::to_string(t["nonce"].get<uint64_t>()) + ")");
            if (automine_round && !f.receipt) not_in_block.push_back(t["hash"].get<std::string>());
        } else if (t["status"] == "rejected") {
            ++rejected;
            rejections.push_back(t["hash"].get<std::string>() + ": " +
                                 t["error"].get<std::string>());
        }
        found.push_back(std::move(f));
    }
    {
        size_t mined = 0, pooled = 0, inflight_mined = 0, inflight_pooled = 0, inflight = 0;
        for (const Found& f : found) {
            const bool in_flight = (*f.tx)["status"] == "inflight";
            inflight += in_flight;
            if (f.receipt) (in_flight ? inflight_mined : mined)++;
            if (f.pooled) (in_flight ? inflight_pooled : pooled)++;
        }
        std::printf(
            "# %sacknowledged: %zu mined, %zu pooled; in flight at the kill: %zu, of which "
            "%zu mined and %zu pooled after the restart\n",
            label.c_str(), mined, pooled, inflight, inflight_mined, inflight_pooled);
    }
    auto first = [](const std::vector<std::string>& v) {
        std::string s;
        for (size_t i = 0; i < v.size() && i < 3; ++i)
            s += (i ? "; " : "") + v[i];
        return v.size() > 3 ? s + "; ... (" + std::to_string(v.size()) + " in all)" : s;
    };
    report.check(acked > 0,
                 label + std::to_string(acked) + " transactions acknowledged before the kill");
    report.check(rejections.empty(),
                 label + "the node refused no valid transaction before the kill",
                 first(rejections));
    report.check(lost.empty(),
                 label + "every acknowledged transaction is in a block or in the pool",
                 first(lost));
    if (automine_round)
        report.check(not_in_block.empty(),
                     label + "automine: every acknowledged transaction is in a block",
                     first(not_in_block));

    // 3. Nonces and balances agree with the mined transactions, and the mined ones are in their
    // blocks. `verify` runs now and again after the pool is mined.
    auto verify = [&](const std::string& when) {
        std::map<uint32_t, std::vector<const Found*>> by_sender;
        for (const Found& f : found)
            by_sender[(*f.tx)["sender"].get<uint32_t>()].push_back(&f);
        std::vector<std::string> nonce_problems, balance_problems, block_problems;
        uint256 received = 0;
        std::map<std::string, std::set<std::string>> blocks;  // block number -> hashes
        for (const json& s : state["senders"]) {
            const uint32_t index = s["index"];
            const uint64_t start = s["start_nonce"];
            const std::string addr = s["address"];
            auto nonce = call("eth_getTransactionCount", json::array({addr, "latest"}));
            auto balance = call("eth_getBalance", json::array({addr, "latest"}));
            if (!nonce || !balance) return;
            const uint64_t now = *to_u64(*nonce);
            uint256 spent = 0;
            std::set<uint64_t> mined_nonces;
            for (const Found* f : by_sender[index]) {
                if (!f->receipt) continue;
                const json& r = *f->receipt;
                mined_nonces.insert((*f->tx)["nonce"].get<uint64_t>());
                const uint256 value = (*f->tx)["value"].get<uint64_t>();
                spent += value + *to_u256(r["gasUsed"]) * *to_u256(r["effectiveGasPrice"]);
                received += value;
                if (r["status"] != "0x1")
                    block_problems.push_back(r["transactionHash"].get<std::string>() +
                                             " has status " + r["status"].dump());
                blocks[r["blockNumber"].get<std::string>()].insert(
                    r["transactionHash"].get<std::string>());
            }
            // The mined transactions are exactly nonces start .. now-1.
            const bool contiguous = mined_nonces.size() == now - start &&
                                    (mined_nonces.empty() || (*mined_nonces.begin() == start &&
                                                              *mined_nonces.rbegin() == now - 1));
            if (!contiguous)
                nonce_problems.push_back("account " + std::to_string(index) + ": nonce " +
                                         std::to_string(start) + " -> " + std::to_string(now) +
                                         " but " + std::to_string(mined_nonces.size()) +
                                         " of its transactions are mined");
            const uint256 expected = *to_u256(s["start_balance"]) - spent;
            if (*to_u256(*balance) != expected)
                balance_problems.push_back("account " + std::to_string(index) + ": balance " +
                                           to_string(*to_u256(*balance)) + ", expected " +
                                           to_string(expected));
        }
        auto rb = call("eth_getBalance", json::array({state["recipient"], "latest"}));
        if (!rb) return;
        if (*to_u256(*rb) != received)
            balance_problems.push_back("recipient: balance " + to_string(*to_u256(*rb)) +
                                       ", mined transfers paid " + to_string(received));
        for (const auto& [number, hashes] : blocks) {
            auto b = call("eth_getBlockByNumber", json::array({number, false}));
            if (!b) return;
            std::set<std::string> in_block;
            if (b->is_object())
                for (const json& h : (*b)["transactions"])
                    in_block.insert(h.get<std::string>());
            for (const std::string& h : hashes)
                if (!in_block.contains(h))
                    block_problems.push_back(h + " has a receipt in block " + number +
                                             ", which does not list it");
        }
        report.check(nonce_problems.empty(), label + when + "nonces match the mined transactions",
                     first(nonce_problems));
        report.check(balance_problems.empty(),
                     label + when + "balances match the mined transactions",
                     first(balance_problems));
        report.check(block_problems.empty(),
                     label + when + "mined transactions succeeded and are in their blocks",
                     first(block_problems));
    };
    verify("");

    // 4. The chain continues: automine back on, the pool mined, and a new transaction mined.
    if (!call("evm_setAutomine", json::array({true}))) return 1;
    size_t left = 1;
    for (int i = 0; i < 100 && left > 0; ++i) {
        if (!call("evm_mine", json::array())) return 1;
        auto status = call("txpool_status", json::array());
        if (!status) return 1;
        left = *to_u64((*status)["pending"]) + *to_u64((*status)["queued"]);
    }
    report.check(left == 0, label + "evm_mine empties the pool",
                 std::to_string(left) + " transactions left");
    std::vector<std::string> unmined;
    for (Found& f : found) {
        auto receipt = call("eth_getTransactionReceipt", json::array({(*f.tx)["hash"]}));
        if (!receipt) return 1;
        if (!receipt->is_null()) f.receipt = *receipt;
        if ((*f.tx)["status"] == "acked" && !f.receipt)
            unmined.push_back((*f.tx)["hash"].get<std::string>());
    }
    report.check(unmined.empty(), label + "every acknowledged transaction is mined after evm_mine",
                 first(unmined));
    verify("after evm_mine: ");

    const DevKey key = dev_key(kContinuationAccount);
    auto nonce = call("eth_getTransactionCount", json::array({to_hex(key.addr), "pending"}));
    auto before = call("eth_blockNumber", json::array());
    auto block = call("eth_getBlockByNumber", json::array({"latest", false}));
    if (!nonce || !before || !block) return 1;
    chain::Transaction tx;
    tx.type = chain::TxType::DynamicFee;
    tx.chain_id = kChainId;
    tx.nonce = *to_u64(*nonce);
    tx.max_priority_fee_per_gas = 1'000'000'000;
    tx.max_fee_per_gas = to_u256((*block)["baseFeePerGas"]).value_or(uint256{}) * uint256(2) +
                         tx.max_priority_fee_per_gas;
    tx.gas_limit = 21000;
    tx.to = *fixed_from_hex<20>(state["recipient"].get<std::string>());
    tx.value = 1;
    chain::sign_transaction(tx, key.secret);
    auto hash = rpc.call("eth_sendRawTransaction", json::array({to_hex(encode_transaction(tx))}));
    std::optional<json> receipt;
    if (hash) receipt = call("eth_getTransactionReceipt", json::array({*hash}));
    const bool continued = receipt && receipt->is_object() && (*receipt)["status"] == "0x1" &&
                           to_u64((*receipt)["blockNumber"]) > to_u64(*before);
    report.check(continued, label + "a new transaction is mined in a new block",
                 hash ? (receipt ? "receipt " + receipt->dump() : "no receipt")
                      : "eth_sendRawTransaction: " + hash.error().text);
    return report.failed() > 0 ? 1 : 0;
}

int usage() {
    std::cerr << "usage: krnl-crash-driver send --url URL --state FILE --mode auto|manual\n"
                 "       krnl-crash-driver check --url URL --state FILE [--label TEXT]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    const std::string command = argv[1];
    std::string url, state, mode, label;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string arg = argv[i];
        if (arg == "--url")
            url = argv[i + 1];
        else if (arg == "--state")
            state = argv[i + 1];
        else if (arg == "--mode")
            mode = argv[i + 1];
        else if (arg == "--label")
            label = std::string(argv[i + 1]) + ": ";
        else
            return usage();
    }
    auto ep = parse_url(url);
    if (!ep || state.empty()) return usage();
    if (command == "send") {
        if (mode != "auto" && mode != "manual") return usage();
        return send(*ep, state, mode == "auto");
    }
    if (command == "check") return check(*ep, state, label);
    return usage();
}
