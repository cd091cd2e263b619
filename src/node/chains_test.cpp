#include "node/chains.hpp"

#include <gtest/gtest.h>

#include "rpc/eth_api.hpp"
#include "rpc/server.hpp"

using namespace krnl;

namespace {

const address kAnswer{{0xa1}};   // returns 42
const address kReverts{{0xa2}};  // reverts with no data
const address kBurns{{0xa3}};    // JUMPDEST PUSH0 JUMP: loops until its gas runs out

std::unique_ptr<chain::Chain> chain_with_contracts(uint64_t id) {
    chain::ChainConfig config;
    config.chain_id = id;
    config.alloc[kAnswer].code = *from_hex("602a60005260206000f3");
    config.alloc[kReverts].code = *from_hex("60006000fd");
    config.alloc[kBurns].code = *from_hex("5b5f56");
    auto c = chain::Chain::open(config, {.durable = false});
    EXPECT_TRUE(c.has_value());
    return std::move(*c);
}

// Chain 31337 embedded and chain 31338 served over JSON-RPC, as an upstream node would be, both
// behind one router.
struct TwoChains {
    std::unique_ptr<chain::Chain> home = chain_with_contracts(31337);
    std::unique_ptr<chain::Chain> remote = chain_with_contracts(31338);
    rpc::EthApi api{*remote, {}};
    rpc::MethodTable methods;
    std::unique_ptr<rpc::Server> server;
    node::ChainRouter router;

    TwoChains() {
        api.register_methods(methods);
        auto bound = rpc::Server::bind({.host = "127.0.0.1", .port = 0}, methods);
        EXPECT_TRUE(bound.has_value());
        server = std::move(*bound);
        server->start(2);
        router.add_embedded(*home);
        router.add_upstream(31338, "http://127.0.0.1:" + std::to_string(server->port()));
    }
};

}  // namespace

TEST(ChainRouter, EmbeddedAndUpstreamChainsAnswerTheSame) {
    TwoChains chains;
    node::ChainRouter& router = chains.router;
    for (uint64_t id : {31337u, 31338u}) {
        SCOPED_TRACE(id);
        auto answer = router.call(id, kAnswer, {}, std::nullopt);
        ASSERT_TRUE(answer.has_value()) << answer.error().message;
        ASSERT_EQ(answer->size(), 32u);
        EXPECT_EQ((*answer)[31], 42);
        auto at_genesis = router.call(id, kAnswer, {}, 0);
        ASSERT_TRUE(at_genesis.has_value());
        auto reverted = router.call(id, kReverts, {}, std::nullopt);
        ASSERT_FALSE(reverted.has_value());
        EXPECT_EQ(reverted.error().message, "execution reverted");
        ASSERT_TRUE(reverted.error().revert_data.has_value());
        EXPECT_FALSE(router.call(id, kAnswer, {}, 99).has_value());  // no such block yet
    }
    auto unknown = router.call(5, kAnswer, {}, std::nullopt);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().message, "chain 5 is neither served nor reachable by this node");
}

TEST(ChainRouter, ACallWithGasStopsAtItsGasOnEveryChain) {
    TwoChains chains;
    node::ChainRouter& router = chains.router;
    for (uint64_t id : {31337u, 31338u}) {
        SCOPED_TRACE(id);
        // A loop that would burn the whole eth_call cap ends at the 100,000 gas given.
        auto burnt = router.call_with_gas(id, kBurns, {}, std::nullopt, 100'000);
        ASSERT_FALSE(burnt.has_value());
        auto answer = router.call_with_gas(id, kAnswer, {}, std::nullopt, 100'000);
        ASSERT_TRUE(answer.has_value()) << answer.error().message;
        EXPECT_EQ((*answer)[31], 42);
        // Too little gas for the answer itself fails.
        EXPECT_FALSE(router.call_with_gas(id, kAnswer, {}, std::nullopt, 10).has_value());
    }
}
