#include "node/config.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::node;

TEST(NodeConfig, TheShippedDevConfigServesThreeChains) {
    auto config = load_config(std::string(KRNL_SOURCE_DIR) + "/config/dev.toml");
    ASSERT_TRUE(config.has_value()) << config.error();
    ASSERT_EQ(config->chains.size(), 3u);
    EXPECT_EQ(config->chains[0].chain.chain_id, 31337u);
    EXPECT_EQ(config->chains[1].chain.chain_id, 31338u);
    EXPECT_EQ(config->chains[2].chain.chain_id, 31339u);
    EXPECT_EQ(config->chains[2].port, 8547);
    EXPECT_EQ(config->dev_accounts, 10u);
    EXPECT_EQ(config->dev_balance, uint256(10'000) * uint256(1'000'000'000'000'000'000ull));
}

TEST(NodeConfig, AllocAndAmounts) {
    auto config = parse_config(R"(
[[chains]]
chain_id = 5
port = 9000
base_fee = "0x10"
block_time_ms = 250
[chains.alloc."0x00000000000000000000000000000000000000aa"]
balance = "1000000000000000000000000"
code = "0x6001"
nonce = 3
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    const ChainEntry& c = config->chains[0];
    EXPECT_EQ(c.chain.initial_base_fee, uint256(16));
    EXPECT_EQ(c.block_time_ms, 250u);
    address a;
    a.bytes[19] = 0xaa;
    ASSERT_TRUE(c.chain.alloc.contains(a));
    EXPECT_EQ(c.chain.alloc.at(a).nonce, 3u);
    EXPECT_EQ(c.chain.alloc.at(a).code, (bytes{0x60, 0x01}));
    EXPECT_EQ(*parse_uint256("1000000000000000000000000"), c.chain.alloc.at(a).balance);
}

TEST(NodeConfig, AnEngineOverUpstreamChainsNeedsNoChainOfItsOwn) {
    auto c = parse_config(R"(
[engine]
home_chain = 31337
port = 8600
registry = "0x00000000000000000000000000000000000000aa"
max_parallel_kernels = 1
[engine.upstream]
31337 = "http://127.0.0.1:8545"
)");
    ASSERT_TRUE(c) << c.error();
    EXPECT_TRUE(c->chains.empty());
    EXPECT_EQ(c->engine.port, 8600);
    EXPECT_EQ(c->engine.max_parallel_kernels, 1u);
    ASSERT_TRUE(c->engine.registry);
    EXPECT_EQ(to_hex(*c->engine.registry), "0x00000000000000000000000000000000000000aa");
    EXPECT_FALSE(c->engine.vault);
    EXPECT_EQ(c->engine.upstream.at(31337), "http://127.0.0.1:8545");
    EXPECT_EQ(parse_config("[engine]\nport = 8600\nvault = \"0x12\"\n").error(),
              "engine.vault: expected a 20-byte 0x address");
}

TEST(NodeConfig, ErrorsNameTheKey) {
    EXPECT_EQ(parse_config("").error(),
              "no [[chains]]: the node needs at least one chain, or [engine] with a port");
    EXPECT_EQ(parse_config("[[chains]]\nport = 1\n").error(),
              "chains[0].chain_id: required, and not 0");
    EXPECT_EQ(parse_config("[[chains]]\nchain_id = 1\nport = 70000\n").error(),
              "chains[0].port: expected an integer from 0 to 65535");
    EXPECT_EQ(
        parse_config("[[chains]]\nchain_id = 1\nport = 1\n[[chains]]\nchain_id = 2\nport = 1\n")
            .error(),
        "chains[1].port: 1 is already used by chain 1");
    EXPECT_TRUE(parse_config("[[chains]\n").error().starts_with("line 1"));
    EXPECT_EQ(parse_config("[[chains]]\nchain_id = 1\nport = 1\n[chains.alloc.xyz]\n").error(),
              "chains[0].alloc.xyz: not a 20-byte hex address");
}
