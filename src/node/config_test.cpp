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

TEST(NodeConfig, ThePeerProtocolAndEngineBounds) {
    auto c = parse_config("[engine]\nport = 8600\n");
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->engine.peer_port, 0);
    EXPECT_FALSE(c->engine.cosign_on_public_ports);  // served on the public ports: no peer port
    EXPECT_EQ(c->engine.pin_max_blocks, 8u);
    EXPECT_EQ(c->engine.max_requests_in_flight, 64u);
    EXPECT_EQ(c->engine.max_kernels_in_flight, 256u);
    c = parse_config(R"([engine]
port = 8600
peer_port = 8700
peer_host = "10.0.0.5"
pin_max_blocks = 4
pin_max_age_s = 30
request_max_skew_s = 10
max_cosign_nonces = 100
max_requests_in_flight = 8
max_kernels_in_flight = 64
http_allowed_hosts = ["127.0.0.1:9000", "api.internal", "[::1]:*"]
)");
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->engine.peer_port, 8700);
    EXPECT_EQ(c->engine.peer_host, "10.0.0.5");
    EXPECT_EQ(c->engine.pin_max_age_s, 30u);
    EXPECT_EQ(c->engine.request_max_skew_s, 10u);
    EXPECT_EQ(c->engine.max_cosign_nonces, 100u);
    EXPECT_EQ(c->engine.max_kernels_in_flight, 64u);
    EXPECT_EQ(parse_config("[engine]\nport = 8600\ncosign_on_public_ports = false\n")
                  .error()
                  .find("engine.cosign_on_public_ports"),
              0u);
    EXPECT_EQ(parse_config("[engine]\nport = 8600\nhttp_allowed_hosts = [\"h:0\"]\n")
                  .error()
                  .find("engine.http_allowed_hosts: \"h:0\""),
              0u);
    EXPECT_EQ(parse_config("[engine]\nport = 8600\nmax_kernels_in_flight = 8\n")
                  .error()
                  .find("engine.max_kernels_in_flight"),
              0u);
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

TEST(NodeConfig, EvmPoolAndCacheLimits) {
    auto defaults = parse_config("[[chains]]\nchain_id = 5\nport = 9000\n");
    ASSERT_TRUE(defaults.has_value()) << defaults.error();
    EXPECT_EQ(defaults->limits.evm_timeout_ms, 5000u);  // geth's RPCEVMTimeout
    EXPECT_EQ(defaults->limits.max_tx_bytes, 131072u);  // geth's txMaxSize
    auto config = parse_config(R"(
[limits]
evm_timeout_ms = 0
max_concurrent_evm_calls = 2
trace_max_steps = 10
trace_max_bytes = 1000
max_tx_bytes = 1000
pool_max_bytes = 5000
analysis_cache_bytes = 0
[[chains]]
chain_id = 5
port = 9000
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->limits.evm_timeout_ms, 0u);
    EXPECT_EQ(config->limits.max_concurrent_evm_calls, 2u);
    EXPECT_EQ(config->limits.trace_max_steps, 10u);
    EXPECT_EQ(config->limits.pool_max_bytes, 5000u);
    EXPECT_EQ(config->limits.analysis_cache_bytes, 0u);
    auto bad = parse_config(
        "[limits]\nmax_concurrent_evm_calls = -1\n[[chains]]\nchain_id = 5\n"
        "port = 9000\n");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().find("limits.max_concurrent_evm_calls"), std::string::npos);
    auto negative = parse_config(
        "[limits]\npool_max_bytes = -1\n[[chains]]\nchain_id = 5\n"
        "port = 9000\n");
    ASSERT_FALSE(negative.has_value());
    EXPECT_NE(negative.error().find("limits.pool_max_bytes"), std::string::npos);
}

TEST(NodeConfig, RpcLimits) {
    auto defaults = parse_config("[[chains]]\nchain_id = 5\nport = 9000\n");
    ASSERT_TRUE(defaults.has_value()) << defaults.error();
    EXPECT_EQ(defaults->limits.max_connections, 1000u);
    EXPECT_EQ(defaults->limits.max_fee_history_percentiles, 100u);
    EXPECT_EQ(defaults->limits.max_blocks_mined_per_request, 100'000u);
    auto config = parse_config(R"(
[limits]
max_connections = 50
ws_send_queue_bytes = 65536
max_filters = 0
max_subscriptions_per_connection = 3
max_blocks_mined_per_request = 10
[[chains]]
chain_id = 5
port = 9000
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->limits.max_connections, 50u);
    EXPECT_EQ(config->limits.ws_send_queue_bytes, 65536u);
    EXPECT_EQ(config->limits.max_filters, 0u);
    EXPECT_EQ(config->limits.max_subscriptions_per_connection, 3u);
    EXPECT_EQ(config->limits.max_blocks_mined_per_request, 10u);
    auto zero =
        parse_config("[limits]\nmax_connections = 0\n[[chains]]\nchain_id = 5\nport = 9000\n");
    ASSERT_FALSE(zero.has_value());
    EXPECT_NE(zero.error().find("limits.max_connections"), std::string::npos);
}

TEST(NodeConfig, LimitsOfTheSurfaceMethods) {
    auto config = parse_config(R"(
[limits]
tx_sync_default_timeout_ms = 500
tx_sync_max_timeout_ms = 5000
max_tx_sync_waiters = 2
max_storage_values = 10
max_bundle_calls = 20
max_trace_filter_blocks = 30
max_ots_scan_blocks = 40
[[chains]]
chain_id = 5
port = 9000
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->limits.tx_sync_default_timeout_ms, 500u);
    EXPECT_EQ(config->limits.tx_sync_max_timeout_ms, 5000u);
    EXPECT_EQ(config->limits.max_tx_sync_waiters, 2u);
    EXPECT_EQ(config->limits.max_storage_values, 10u);
    EXPECT_EQ(config->limits.max_bundle_calls, 20u);
    EXPECT_EQ(config->limits.max_trace_filter_blocks, 30u);
    EXPECT_EQ(config->limits.max_ots_scan_blocks, 40u);
    // 0 would make the method refuse everything: refused with the key named.
    auto zero =
        parse_config("[limits]\nmax_bundle_calls = 0\n[[chains]]\nchain_id = 5\nport = 9000\n");
    ASSERT_FALSE(zero.has_value());
    EXPECT_NE(zero.error().find("limits.max_bundle_calls"), std::string::npos);
}

TEST(Config, ApisNameNamespacesAndFilterMethods) {
    auto config = parse_config(
        "[node]\napis = [\"eth\", \"net\", \"krnl\"]\n[[chains]]\nchain_id = 5\nport = 8545\n");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_TRUE(api_enabled(config->apis, "eth_call"));
    EXPECT_TRUE(api_enabled(config->apis, "krnl_executeKernels"));
    EXPECT_FALSE(api_enabled(config->apis, "anvil_setBalance"));
    EXPECT_FALSE(api_enabled(config->apis, "hardhat_mine"));
    EXPECT_FALSE(api_enabled(config->apis, "evm_mine"));
    EXPECT_FALSE(api_enabled(config->apis, "debug_traceCall"));
    EXPECT_TRUE(api_enabled({}, "anvil_setBalance"));  // no list: everything
    auto dev =
        parse_config("[node]\napis = [\"eth\", \"dev\"]\n[[chains]]\nchain_id = 5\nport = 8545\n");
    ASSERT_TRUE(dev.has_value());
    EXPECT_TRUE(api_enabled(dev->apis, "evm_mine"));
    auto unknown = parse_config(
        "[node]\napis = [\"eth\", \"admin\"]\n[[chains]]\nchain_id = 5\nport = 8545\n");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().find("node.apis"), std::string::npos);
    EXPECT_NE(unknown.error().find("admin"), std::string::npos);
}

TEST(Config, AnUnknownLimitIsAnErrorNotASilentDefault) {
    auto typo =
        parse_config("[limits]\nevm_timeout = 100\n[[chains]]\nchain_id = 5\nport = 8545\n");
    ASSERT_FALSE(typo.has_value());
    EXPECT_EQ(typo.error(), "limits.evm_timeout: unknown key");
}

TEST(Config, TheBundlerTable) {
    const std::string chain = "[[chains]]\nchain_id = 5\nport = 8545\n";
    auto defaults = parse_config(chain);
    ASSERT_TRUE(defaults.has_value()) << defaults.error();
    EXPECT_TRUE(defaults->bundler.enabled);
    EXPECT_FALSE(defaults->bundler.manual);
    EXPECT_EQ(defaults->bundler.max_verification_gas, 500'000u);
    EXPECT_EQ(defaults->bundler.max_op_bytes, 8192u);

    auto set = parse_config(
        "[bundler]\nmode = \"manual\"\ndev_key = 3\nmax_op_bytes = 16384\n"
        "beneficiary = \"0x00000000000000000000000000000000000000aa\"\n" +
        chain);
    ASSERT_TRUE(set.has_value()) << set.error();
    EXPECT_TRUE(set->bundler.manual);
    EXPECT_EQ(set->bundler.dev_key, 3u);
    EXPECT_EQ(set->bundler.max_op_bytes, 16384u);
    ASSERT_TRUE(set->bundler.beneficiary.has_value());
    EXPECT_EQ(set->bundler.beneficiary->bytes[19], 0xaa);

    auto typo = parse_config("[bundler]\nmax_verification = 1\n" + chain);
    ASSERT_FALSE(typo.has_value());
    EXPECT_EQ(typo.error(), "bundler.max_verification: unknown key");
    auto bad_mode = parse_config("[bundler]\nmode = \"sometimes\"\n" + chain);
    ASSERT_FALSE(bad_mode.has_value());
    EXPECT_NE(bad_mode.error().find("bundler.mode"), std::string::npos);
    auto bad_beneficiary = parse_config("[bundler]\nbeneficiary = \"0x12\"\n" + chain);
    ASSERT_FALSE(bad_beneficiary.has_value());
    EXPECT_NE(bad_beneficiary.error().find("bundler.beneficiary"), std::string::npos);
}

TEST(NodeConfig, TheHardforkOfEachChain) {
    auto config = parse_config(R"(
[[chains]]
chain_id = 1
port = 9001
[[chains]]
chain_id = 2
port = 9002
hardfork = "osaka"
[[chains]]
chain_id = 3
port = 9003
hardfork = "cancun"
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->chains[0].chain.revision, evm::Revision::Osaka);  // the default
    EXPECT_EQ(config->chains[1].chain.revision, evm::Revision::Osaka);
    EXPECT_EQ(config->chains[2].chain.revision, evm::Revision::Cancun);

    EXPECT_EQ(parse_config("[[chains]]\nchain_id = 1\nport = 1\nhardfork = \"Osaka\"\n").error(),
              "chains[0].hardfork: unknown hardfork \"Osaka\": expected \"cancun\", \"prague\" or "
              "\"osaka\"");
    EXPECT_EQ(parse_config("[[chains]]\nchain_id = 1\nport = 1\nhardfork = 7\n").error(),
              "chains[0].hardfork: expected a string");
    EXPECT_EQ(parse_hardfork("prague"), evm::Revision::Prague);
    EXPECT_FALSE(parse_hardfork("shanghai").has_value());
}

TEST(NodeConfig, DepositContractIsNoneUnlessTheChainNamesOne) {
    auto config = parse_config(R"(
[[chains]]
chain_id = 1
port = 9001
[[chains]]
chain_id = 2
port = 9002
deposit_contract = "0x00000000219ab540356cBB839Cbe05303d7705Fa"
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_FALSE(config->chains[0].chain.deposit_contract.has_value());
    EXPECT_EQ(config->chains[1].chain.deposit_contract,
              fixed_from_hex<20>("0x00000000219ab540356cbb839cbe05303d7705fa"));
    EXPECT_EQ(
        parse_config("[[chains]]\nchain_id = 1\nport = 1\ndeposit_contract = \"0x12\"\n").error(),
        "chains[0].deposit_contract: not a 20-byte hex address");
}

TEST(NodeConfig, AForkedChainTakesItsIdFromTheUpstream) {
    auto config = parse_config(R"(
[[chains]]
port = 9001
fork_url = "http://127.0.0.1:8545"
fork_block = 12
[[chains]]
chain_id = 5
port = 9002
fork_url = "http://upstream.example/rpc"
)");
    ASSERT_TRUE(config.has_value()) << config.error();
    EXPECT_EQ(config->chains[0].fork_url, "http://127.0.0.1:8545");
    EXPECT_EQ(config->chains[0].fork_block, 12u);
    EXPECT_EQ(config->chains[0].chain.chain_id, 0u);  // the upstream's, asked at start
    EXPECT_FALSE(config->chains[1].fork_block.has_value());
    EXPECT_EQ(config->chains[1].fork_timeout_ms, 10'000u);
    EXPECT_EQ(config->chains[1].fork_retries, 2u);
    auto bounded = parse_config(
        "[[chains]]\nport = 1\nfork_url = \"http://a\"\nfork_timeout_ms = 500\nfork_retries = "
        "0\nfork_cache_keys = 10\nfork_disk_cache_mib = 3\n");
    ASSERT_TRUE(bounded.has_value()) << bounded.error();
    EXPECT_EQ(bounded->chains[0].fork_timeout_ms, 500u);
    EXPECT_EQ(bounded->chains[0].fork_retries, 0u);
    EXPECT_EQ(bounded->chains[0].fork_cache_keys, 10u);
    EXPECT_EQ(bounded->chains[0].fork_disk_cache_mib, 3u);
    EXPECT_EQ(config->chains[1].fork_disk_cache_mib, 1024u);
    EXPECT_EQ(
        parse_config("[[chains]]\nport = 1\nfork_url = \"http://a\"\nfork_disk_cache_mib = 0\n")
            .error(),
        "chains[0].fork_disk_cache_mib: from 1 to 1048576");
    EXPECT_EQ(
        parse_config("[[chains]]\nport = 1\nfork_url = \"http://a\"\nfork_retries = 11\n").error(),
        "chains[0].fork_retries: at most 10");
    EXPECT_EQ(parse_config("[[chains]]\nchain_id = 1\nport = 1\nfork_retries = 1\n").error(),
              "chains[0].fork_retries: needs fork_url");
    EXPECT_EQ(parse_config("[[chains]]\nport = 1\n").error(),
              "chains[0].chain_id: required, and not 0");
    EXPECT_EQ(parse_config("[[chains]]\nchain_id = 1\nport = 1\nfork_block = 3\n").error(),
              "chains[0].fork_block: needs fork_url");
    EXPECT_EQ(parse_config("[[chains]]\nchain_id = 1\nport = 1\nfork_url = \"ws://x\"\n").error(),
              "chains[0].fork_url: expected an http:// URL");
}

TEST(NodeConfig, TheDashboardIsOnForLoopbackOnlyUnlessConfigured) {
    const char* chain = "[[chains]]\nchain_id = 5\nport = 9000\n";
    auto local = parse_config(chain);
    ASSERT_TRUE(local.has_value()) << local.error();
    EXPECT_TRUE(ui_enabled(*local));
    auto exposed = parse_config(std::string("[node]\nhost = \"0.0.0.0\"\n") + chain);
    ASSERT_TRUE(exposed.has_value()) << exposed.error();
    EXPECT_FALSE(ui_enabled(*exposed));
    auto forced =
        parse_config(std::string("[node]\nhost = \"0.0.0.0\"\n[ui]\nenabled = true\n") + chain);
    ASSERT_TRUE(forced.has_value()) << forced.error();
    EXPECT_TRUE(ui_enabled(*forced));
    auto off = parse_config(std::string("[ui]\nenabled = false\n") + chain);
    ASSERT_TRUE(off.has_value()) << off.error();
    EXPECT_FALSE(ui_enabled(*off));
    auto bad = parse_config(std::string("[ui]\nenabled = 1\n") + chain);
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().find("ui.enabled"), std::string::npos);
    auto unknown = parse_config(std::string("[ui]\nport = 1\n") + chain);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().find("ui.port"), std::string::npos);
}
