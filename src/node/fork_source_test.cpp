// ForkSource against a fake upstream served in process: what it asks, what it caches, and its
// errors when the upstream is gone.
#include "node/fork_source.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "rpc/params.hpp"
#include "rpc/server.hpp"

using namespace krnl;
using namespace krnl::node;
using krnl::rpc::json;

namespace {

const bytes kCode{0x60, 0x01, 0x60, 0x00, 0x55};

address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

json header_json(uint64_t number) {
    const std::string zero32 = to_hex(hash256{});
    return {{"number", rpc::to_quantity(number)},
            {"hash", to_hex(keccak256(bytes{static_cast<uint8_t>(number)}))},
            {"parentHash", zero32},
            {"sha3Uncles", to_hex(chain::kEmptyOmmersHash)},
            {"miner", to_hex(address{})},
            {"stateRoot", zero32},
            {"transactionsRoot", to_hex(kEmptyTrieRoot)},
            {"receiptsRoot", to_hex(kEmptyTrieRoot)},
            {"logsBloom", to_hex(fixed_bytes<256>{})},
            {"difficulty", "0x0"},
            {"gasLimit", "0x1c9c380"},
            {"gasUsed", "0x0"},
            {"timestamp", "0x64"},
            {"extraData", "0x"},
            {"mixHash", zero32},
            {"nonce", "0x0000000000000000"},
            {"baseFeePerGas", "0x3b9aca00"}};
}

// addr(1): an EOA with 7 wei and nonce 3; addr(2): a contract with slot 5 = 0x55.
struct FakeUpstream {
    rpc::MethodTable methods;
    std::unique_ptr<rpc::Server> server;
    std::atomic<int> calls{0};
    bool with_proof = true;

    FakeUpstream() {
        using rpc::CallContext;
        using rpc::Result;
        methods.add("eth_chainId", [this](const json&, CallContext&) -> Result<json> {
            ++calls;
            return "0x2a";
        });
        methods.add("eth_getBlockByNumber", [this](const json& p, CallContext&) -> Result<json> {
            ++calls;
            const uint64_t n = p[0] == "latest" ? 9 : *rpc::parse_u64(p[0]);
            return n > 9 ? json(nullptr) : header_json(n);
        });
        methods.add("eth_getProof", [this](const json& p, CallContext&) -> Result<json> {
            ++calls;
            if (!with_proof) return rpc::error(rpc::code::kMethodNotFound, "no proofs here");
            const bool contract = p[0] == to_hex(addr(2));
            const bool eoa = p[0] == to_hex(addr(1));
            return json{{"balance", eoa ? "0x7" : "0x0"},
                        {"nonce", eoa        ? "0x3"
                                  : contract ? "0x1"
                                             : "0x0"},
                        {"codeHash", to_hex(contract ? keccak256(kCode) : kEmptyKeccak)},
                        {"storageHash", to_hex(contract ? keccak256(bytes{1}) : kEmptyTrieRoot)}};
        });
        methods.add("eth_getBalance", [this](const json& p, CallContext&) -> Result<json> {
            ++calls;
            return p[0] == to_hex(addr(1)) ? "0x7" : "0x0";
        });
        methods.add("eth_getTransactionCount", [this](const json& p, CallContext&) -> Result<json> {
            ++calls;
            return p[0] == to_hex(addr(1)) ? "0x3" : p[0] == to_hex(addr(2)) ? "0x1" : "0x0";
        });
        methods.add("eth_getCode", [this](const json& p, CallContext&) -> Result<json> {
            ++calls;
            return p[0] == to_hex(addr(2)) ? to_hex(kCode) : "0x";
        });
        methods.add("eth_getStorageAt", [this](const json& p, CallContext&) -> Result<json> {
            ++calls;
            uint8_t word[32] = {};
            if (p[0] == to_hex(addr(2)) && parse_uint256(p[1].get<std::string>()) == uint256(5))
                word[31] = 0x55;
            return to_hex(bytes_view(word, 32));
        });
        auto s = rpc::Server::bind({.host = "127.0.0.1", .port = 0}, methods);
        EXPECT_TRUE(s.has_value());
        server = std::move(*s);
        server->start(2);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
};

ForkSource::Options fast(std::string url) {
    return {.url = std::move(url),
            .block = 8,
            .timeout = std::chrono::milliseconds(2000),
            .retries = 1,
            .backoff = std::chrono::milliseconds(10)};
}

}  // namespace

TEST(ForkSource, OpensAtTheForkBlockWithTheUpstreamsChainId) {
    FakeUpstream up;
    auto source = ForkSource::open(fast(up.url()));
    ASSERT_TRUE(source) << source.error();
    EXPECT_EQ((*source)->chain_id(), 42u);
    EXPECT_EQ((*source)->fork_block(), 8u);
    EXPECT_EQ((*source)->hash(), keccak256(bytes{8}));
    EXPECT_EQ((*source)->header().base_fee_per_gas, uint256(1'000'000'000));
    EXPECT_EQ((*source)->block_hash(8), keccak256(bytes{8}));
    EXPECT_EQ((*source)->block_hash(3), keccak256(bytes{3}));
    EXPECT_FALSE((*source)->block_hash(9));

    auto latest = ForkSource::open({.url = up.url()});
    ASSERT_TRUE(latest) << latest.error();
    EXPECT_EQ((*latest)->fork_block(), 9u);
    auto missing = ForkSource::open({.url = up.url(), .block = 50});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("no block"), std::string::npos) << missing.error();
}

TEST(ForkSource, FetchesEachKeyOnceAndAnAccountInOneRoundTrip) {
    FakeUpstream up;
    auto opened = ForkSource::open(fast(up.url()));
    ASSERT_TRUE(opened) << opened.error();
    ForkSource& source = **opened;
    const uint64_t trips = source.round_trips();

    auto eoa = source.account(addr(1));
    ASSERT_TRUE(eoa);
    EXPECT_EQ(eoa->nonce, 3u);
    EXPECT_EQ(eoa->balance, 7);
    EXPECT_FALSE(eoa->has_storage);
    EXPECT_EQ(source.round_trips(), trips + 1);
    source.account(addr(1));
    EXPECT_EQ(source.round_trips(), trips + 1);

    // Two accounts prefetched: one round trip; then no more.
    const address pair[] = {addr(2), addr(3)};
    source.prefetch(pair);
    EXPECT_EQ(source.round_trips(), trips + 2);
    auto contract = source.account(addr(2));
    ASSERT_TRUE(contract);
    EXPECT_TRUE(contract->has_storage);
    EXPECT_EQ(contract->code_hash, keccak256(kCode));
    EXPECT_EQ(source.code(contract->code_hash), kCode);
    EXPECT_FALSE(source.account(addr(3)));
    EXPECT_EQ(source.round_trips(), trips + 2);

    EXPECT_EQ(source.storage(addr(2), 5), 0x55);
    EXPECT_EQ(source.storage(addr(2), 5), 0x55);
    EXPECT_EQ(source.storage(addr(2), 6), 0);
    EXPECT_EQ(source.round_trips(), trips + 4);
}

TEST(ForkSource, FallsBackToTheGettersWithoutEthGetProof) {
    FakeUpstream up;
    up.with_proof = false;
    auto opened = ForkSource::open(fast(up.url()));
    ASSERT_TRUE(opened) << opened.error();
    auto contract = (*opened)->account(addr(2));
    ASSERT_TRUE(contract);
    EXPECT_EQ(contract->nonce, 1u);
    EXPECT_TRUE(contract->has_storage);  // unknown without the root: any contract may have some
    auto eoa = (*opened)->account(addr(1));
    ASSERT_TRUE(eoa);
    EXPECT_EQ(eoa->balance, 7);
    EXPECT_FALSE(eoa->has_storage);
}

TEST(ForkSource, AGoneUpstreamIsARemoteStateErrorAfterItsRetries) {
    auto up = std::make_unique<FakeUpstream>();
    auto opened = ForkSource::open(fast(up->url()));
    ASSERT_TRUE(opened) << opened.error();
    const std::string url = up->url();
    up->server->stop();
    up.reset();
    const uint64_t trips = (*opened)->round_trips();
    try {
        (*opened)->account(addr(1));
        FAIL() << "no error";
    } catch (const state::RemoteStateError& e) {
        EXPECT_NE(std::string(e.what()).find("fork upstream unavailable"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("2 attempts"), std::string::npos) << e.what();
    }
    EXPECT_EQ((*opened)->round_trips(), trips + 2);
    auto refused = ForkSource::open(fast(url));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("fork upstream unavailable"), std::string::npos);
}

TEST(ForkSource, HeaderFromJsonNamesAMissingField) {
    json block = header_json(1);
    auto h = header_from_json(block);
    ASSERT_TRUE(h) << h.error();
    EXPECT_EQ(h->number, 1u);
    EXPECT_EQ(h->gas_limit, 30'000'000u);
    block.erase("stateRoot");
    auto bad = header_from_json(block);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("stateRoot"), std::string::npos);
}
