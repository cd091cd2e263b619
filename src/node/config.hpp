// krnld's configuration: the chains it serves, each on its own port, and the dev accounts. Read
// from TOML (config/dev.toml is the reference) or built by --dev.
#pragma once

#include <expected>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "chain/chain.hpp"

namespace krnl::node {

struct ChainEntry {
    chain::ChainConfig chain;
    uint16_t port = 8545;
    uint64_t block_time_ms = 0;  // 0: automine, a block per transaction
};

// The kernel engine: which chain holds the registry and apps, who signs, and what it may reach.
struct EngineConfig {
    bool enabled = true;
    uint64_t home_chain_id = 0;       // 0: the first chain
    std::optional<uint32_t> dev_key;  // sign with this dev account (default 0 without a keystore)
    std::optional<std::filesystem::path> keystore;        // or a keystore v3 file...
    std::string password_env = "KRNL_KEYSTORE_PASSWORD";  // ...whose password is in this variable
    std::vector<std::string> peers;                       // other nodes asked to co-sign
    uint256 node_fee;                                     // wei per execution
    std::vector<std::string> http_allowed_hosts;          // non-public hosts http kernels may reach
    std::map<uint64_t, std::string> upstream;             // chains reached over JSON-RPC
    // The registry and vault on the home chain (default: the predeployed ones).
    std::optional<address> registry;
    std::optional<address> vault;
    // A port of its own serving krnl_* only: how a node without [[chains]] (an engine over
    // upstream chains, e.g. a quorum peer or Hardhat nodes) is reached. 0: none.
    uint16_t port = 0;
    // Kernels of one request running at once; 0: all of them. 1 runs them one after another
    // (the serial baseline of bench/krnl_bench.sh).
    size_t max_parallel_kernels = 0;
};

struct NodeConfig {
    std::string host = "127.0.0.1";
    std::string mnemonic;  // dev accounts; empty: none
    uint32_t dev_accounts = 10;
    uint256 dev_balance;  // wei, for each dev account on every chain
    std::optional<std::filesystem::path> data_dir;
    unsigned threads = 4;
    std::vector<ChainEntry> chains;
    EngineConfig engine;
};

// One chain, 31337 on 127.0.0.1:8545, with the ten accounts of the test mnemonic at 10,000 ETH:
// what anvil and Hardhat give.
NodeConfig dev_config();

// Parses a TOML document; errors name the key and what is wrong with it.
std::expected<NodeConfig, std::string> parse_config(std::string_view toml_text);
std::expected<NodeConfig, std::string> load_config(const std::filesystem::path& path);

// Funds the dev accounts in every chain's genesis (called once the accounts are derived).
void fund_dev_accounts(NodeConfig& config, const std::vector<address>& accounts);

}  // namespace krnl::node
