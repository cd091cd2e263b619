// ForkSource against a fake upstream served in process: what it asks, what it caches, and its
// errors when the upstream is gone.
#include "node/fork_source.hpp"

#include "chain/chain_test_support.hpp"
#include "node/fork_control.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>

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
    std::string chain_id = "0x2a";

    FakeUpstream() {
        using rpc::CallContext;
        using rpc::Result;
        methods.add("eth_chainId", [this](const json&, CallContext&) -> Result<json> {
            ++calls;
            return chain_id;
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

TEST(ForkSource, SetUrlKeepsTheCacheAndInstallForgetsIt) {
    FakeUpstream first;
    FakeUpstream second;
    auto opened = ForkSource::open(fast(first.url()));
    ASSERT_TRUE(opened) << opened.error();
    ForkSource& source = **opened;
    ASSERT_TRUE(source.account(addr(1)));
    const int second_calls = second.calls;

    ASSERT_TRUE(source.set_url(second.url()));
    EXPECT_EQ(source.url(), second.url());
    EXPECT_EQ(source.fork_block(), 8u);
    const int first_calls = first.calls;
    EXPECT_EQ(source.account(addr(1))->nonce, 3u);  // cached: nobody asked
    EXPECT_EQ(source.storage(addr(2), 5), 0x55);    // not cached: the second upstream answers
    EXPECT_EQ(first.calls, first_calls);
    EXPECT_GT(second.calls, second_calls + 2);  // its chain id and block, then the reads

    // Another fork point: the cache is forgotten, reads go to the installed upstream.
    auto at_five = ForkSource::connect(source.options(), first.url(), 5);
    ASSERT_TRUE(at_five) << at_five.error().message;
    auto previous = source.install(*at_five);
    EXPECT_EQ(previous.upstream->url, second.url());
    EXPECT_EQ(source.fork_block(), 5u);
    const int before = first.calls;
    ASSERT_TRUE(source.account(addr(1)));
    EXPECT_EQ(first.calls, before + 2);  // eth_getProof and eth_getCode, asked again

    // None installed: reads are the upstream-unavailable error.
    auto at_five_installed = source.install(nullptr);
    EXPECT_FALSE(source.upstream());
    EXPECT_THROW(source.account(addr(1)), state::RemoteStateError);
    // Restored with what it had cached: nobody is asked.
    source.restore(std::move(at_five_installed));
    const int restored = first.calls;
    EXPECT_EQ(source.account(addr(1))->nonce, 3u);
    EXPECT_EQ(source.fork_block(), 5u);
    EXPECT_EQ(first.calls, restored);
}

TEST(ForkSource, SetUrlRefusesAnotherChainOrAnUnreachableUrlAndKeepsTheOld) {
    FakeUpstream first;
    FakeUpstream other;
    other.chain_id = "0x2b";
    auto opened = ForkSource::open(fast(first.url()));
    ASSERT_TRUE(opened) << opened.error();
    auto refused = (*opened)->set_url(other.url());
    ASSERT_FALSE(refused);
    EXPECT_FALSE(refused.error().unreachable);
    EXPECT_NE(refused.error().message.find("serves chain 43"), std::string::npos)
        << refused.error().message;
    const std::string gone = other.url();
    other.server->stop();
    auto unreachable = (*opened)->set_url(gone);
    ASSERT_FALSE(unreachable);
    EXPECT_TRUE(unreachable.error().unreachable) << unreachable.error().message;
    EXPECT_EQ((*opened)->url(), first.url());
    auto missing = ForkSource::connect((*opened)->options(), first.url(), 50);
    ASSERT_FALSE(missing);
    EXPECT_FALSE(missing.error().unreachable);
}

namespace {

std::unique_ptr<chain::Chain> dev_chain(const chain::testing_support::DevKey& key) {
    auto config = chain::testing_support::funded_config({key});
    auto opened = chain::Chain::open(config, {.durable = false});
    EXPECT_TRUE(opened) << opened.error();
    return std::move(*opened);
}

}  // namespace

TEST(ChainForkControl, ResetsAChainOfItsOwnToGenesisAndForksItAndBack) {
    using namespace chain::testing_support;
    const DevKey key = dev_key(0);
    auto chain = dev_chain(key);
    ForkSource source(fast(""));
    ChainForkControl control(source);
    EXPECT_FALSE(control.url());

    ASSERT_TRUE(chain->submit(transfer(key, 0, addr(9), 5)));
    ASSERT_EQ(chain->reader().head(), 1u);
    chain->snapshot();
    chain->impersonate(addr(7), true);
    chain->set_coinbase(addr(6));

    ASSERT_TRUE(control.reset_to_start(*chain));
    EXPECT_EQ(chain->reader().head(), 0u);
    EXPECT_TRUE(chain->snapshot_heads().empty());
    EXPECT_FALSE(chain->is_impersonated(addr(7)));
    EXPECT_EQ(chain->coinbase(), address{});
    EXPECT_EQ(chain->pending_nonce(key.addr), 0u);
    EXPECT_FALSE(chain->reader().state_at(0)->read_account(addr(9)));

    // A fork of the fake upstream at block 8: its chain id, its block, its accounts, the dev
    // account funded over them.
    FakeUpstream up;
    ASSERT_TRUE(control.reset_to_fork(*chain, up.url(), 8));
    EXPECT_EQ(control.url(), up.url());
    EXPECT_EQ(chain->chain_id(), 42u);
    EXPECT_EQ(chain->first_block(), 8u);
    auto reader = chain->reader();
    EXPECT_EQ(reader.head(), 8u);
    EXPECT_EQ(reader.header(8)->gas_limit, 30'000'000u);
    auto eoa = reader.state_at(8)->read_account(addr(1));
    ASSERT_TRUE(eoa);
    EXPECT_EQ(eoa->nonce, 3u);
    EXPECT_EQ(reader.state_at(8)->read_storage(addr(2), 5), 0x55);
    EXPECT_EQ(reader.state_at(8)->read_account(key.addr)->balance,
              uint256(1'000'000) * uint256(1'000'000'000'000'000'000));

    // An upstream that does not answer: -32010, and the chain stays the fork it was.
    const std::string gone = [] {
        FakeUpstream temporary;
        return temporary.url();
    }();
    auto failed = control.reset_to_fork(*chain, gone, std::nullopt);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, rpc::code::kUpstreamUnavailable);
    EXPECT_EQ(chain->reader().head(), 8u);
    EXPECT_EQ(chain->chain_id(), 42u);
    EXPECT_EQ(control.url(), up.url());
    // A block the upstream does not have: invalid params, nothing changes either.
    auto no_block = control.reset_to_fork(*chain, up.url(), 50);
    ASSERT_FALSE(no_block);
    EXPECT_EQ(no_block.error().code, rpc::code::kInvalidParams);
    EXPECT_EQ(chain->reader().head(), 8u);

    // Back to the start: genesis again, with its own id, and no upstream.
    ASSERT_TRUE(control.reset_to_start(*chain));
    EXPECT_EQ(chain->reader().head(), 0u);
    EXPECT_EQ(chain->first_block(), 0u);
    EXPECT_EQ(chain->chain_id(), 31337u);
    EXPECT_FALSE(control.url());
    EXPECT_FALSE(chain->reader().state_at(0)->read_account(addr(1)));
}

TEST(ChainForkControl, AForkedChainResetsToItsForkBlockAndFailsCleanlyWithTheUpstreamGone) {
    using namespace chain::testing_support;
    const DevKey key = dev_key(0);
    auto up = std::make_unique<FakeUpstream>();
    auto opened = ForkSource::open(fast(up->url()));
    ASSERT_TRUE(opened) << opened.error();
    ForkSource& source = **opened;
    auto config = funded_config({key});
    config.chain_id = source.chain_id();
    config.fork = chain::ChainConfig::Fork{&source, source.header(), source.hash()};
    auto chain = chain::Chain::open(config, {.durable = false});
    ASSERT_TRUE(chain) << chain.error();
    ChainForkControl control(source);
    // (The fake upstream has no system contracts to mine a Prague block with: dev edits instead.)
    (*chain)->set_balance(addr(50), 5);
    ASSERT_EQ((*chain)->reader().state_at(8)->read_account(addr(50))->balance, 5);

    ASSERT_TRUE(control.reset_to_start(**chain));
    EXPECT_EQ((*chain)->reader().head(), 8u);
    EXPECT_FALSE((*chain)->reader().state_at(8)->read_account(addr(50)));

    // The dev account's funding reads the upstream again (the cache is new): with it gone the
    // reset fails and leaves the chain as it was.
    (*chain)->set_balance(addr(50), 6);
    up->server->stop();
    auto failed = control.reset_to_start(**chain);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, rpc::code::kUpstreamUnavailable) << failed.error().message;
    EXPECT_EQ((*chain)->reader().head(), 8u);
    EXPECT_EQ((*chain)->reader().state_at(8)->read_account(addr(50))->balance, 6);
    // What was read before the failed reset is still cached: the dev account answers.
    EXPECT_TRUE((*chain)->reader().state_at(8)->read_account(key.addr));
}

TEST(ForkSource, HistoricReadsAreForwardedOnceAndNotCachedWhenTheyFail) {
    auto up = std::make_unique<FakeUpstream>();
    auto opened = ForkSource::open(fast(up->url()));
    ASSERT_TRUE(opened) << opened.error();
    ForkSource& source = **opened;
    const json params = json::array({"0x3", false});
    const int before = up->calls;
    EXPECT_EQ(source.historic("eth_getBlockByNumber", params)["number"], "0x3");
    EXPECT_EQ(source.historic("eth_getBlockByNumber", params)["number"], "0x3");
    EXPECT_EQ(up->calls, before + 1);
    EXPECT_TRUE(source.historic("eth_getBlockByNumber", json::array({"0x30", false})).is_null());
    up->server->stop();
    EXPECT_EQ(source.historic("eth_getBlockByNumber", params)["number"], "0x3");
    EXPECT_THROW(source.historic("eth_getBlockByNumber", json::array({"0x4", false})),
                 state::RemoteStateError);
}

TEST(ForkSource, ADiskCacheServesARestartWithoutAskingAgain) {
    FakeUpstream up;
    const auto dir =
        std::filesystem::temp_directory_path() / ("krnl-fork-cache-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    {
        auto opened = ForkSource::open(fast(up.url()));
        ASSERT_TRUE(opened) << opened.error();
        auto disk = ForkDiskCache::open(dir);
        ASSERT_TRUE(disk) << disk.error();
        (*opened)->attach_disk_cache(std::move(*disk));
        ASSERT_TRUE((*opened)->account(addr(2)));
        EXPECT_FALSE((*opened)->account(addr(3)));
        EXPECT_EQ((*opened)->storage(addr(2), 5), 0x55);
        EXPECT_EQ((*opened)->block_hash(3), keccak256(bytes{3}));
    }
    auto opened = ForkSource::open(fast(up.url()));
    ASSERT_TRUE(opened) << opened.error();
    auto disk = ForkDiskCache::open(dir);
    ASSERT_TRUE(disk) << disk.error();
    ForkSource& source = **opened;
    source.attach_disk_cache(std::move(*disk));
    const int calls = up.calls;
    auto contract = source.account(addr(2));
    ASSERT_TRUE(contract);
    EXPECT_EQ(contract->nonce, 1u);
    EXPECT_TRUE(contract->has_storage);
    EXPECT_EQ(source.code(contract->code_hash), kCode);
    EXPECT_FALSE(source.account(addr(3)));
    EXPECT_EQ(source.storage(addr(2), 5), 0x55);
    EXPECT_EQ(source.block_hash(3), keccak256(bytes{3}));
    EXPECT_EQ(up.calls, calls);

    // Another fork point forgets what was stored for this one.
    auto at_five = ForkSource::connect(source.options(), up.url(), 5);
    ASSERT_TRUE(at_five);
    source.install(*at_five);
    const int before = up.calls;
    EXPECT_EQ(source.storage(addr(2), 5), 0x55);
    EXPECT_EQ(up.calls, before + 1);
    std::filesystem::remove_all(dir);
}
