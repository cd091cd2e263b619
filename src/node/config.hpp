// krnld's configuration: the chains it serves, each on its own port, and the dev accounts. Read
// from TOML (config/dev.toml is the reference) or built by --dev.
#pragma once

#include <expected>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/server.hpp"

namespace krnl::node {

struct ChainEntry {
    chain::ChainConfig chain;
    uint16_t port = 8545;
    uint64_t block_time_ms = 0;  // 0: automine, a block per transaction
    // Fork mode (`fork_url`, `fork_block`): the chain continues the upstream's from its block
    // `fork_block` (default: its latest at start) with its chain id (`chain_id` may then be
    // left out), reading state lazily from it (node/fork_source.hpp).
    std::string fork_url;
    std::optional<uint64_t> fork_block;
    // Bounds of the upstream reads: time per request, retries after it (backoff 200 ms,
    // doubling), and the accounts and slots cached (past it the cache starts over).
    uint64_t fork_timeout_ms = 10'000;
    uint32_t fork_retries = 2;
    uint64_t fork_cache_keys = 1'000'000;
    // The disk cache's bound with --data-dir (node/fork_disk_cache.hpp).
    uint64_t fork_disk_cache_mib = 1024;
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
    // krnl_cosign for peers: on a port of its own (0: none; on peer_host, default the node's
    // host) and/or on the public ports (default: yes without a peer port, no with one).
    uint16_t peer_port = 0;
    std::optional<std::string> peer_host;
    std::optional<bool> cosign_on_public_ports;
    // The window a co-sign request's pins and time must fall in (of this node's own view).
    uint64_t pin_max_blocks = 8;
    uint64_t pin_max_age_s = 120;
    uint64_t request_max_skew_s = 60;
    size_t max_cosign_nonces = 65'536;  // unexpired co-signed nonces remembered
    // Engine requests and kernels running at once (0: unbounded); past them, -33017.
    size_t max_requests_in_flight = 64;
    size_t max_kernels_in_flight = 256;
    // Executions krnl_recentExecutions keeps in memory (the dashboard's view of the engine).
    size_t recent_executions = 256;
};

// [ui]: the dashboard (web/) at GET / on every chain's port. Unset: on when the node listens on a
// loopback address, off otherwise (it shows the node's activity to whoever reaches the port).
struct UiConfig {
    std::optional<bool> enabled;
};

// [limits]: bounds on what any caller of a public port can make the node hold or do. Defaults are
// geth's where geth has one; errors past a limit name its key.
// [bundler]: the ERC-4337 bundler of every chain (src/aa).
struct BundlerConfig {
    bool enabled = true;
    std::optional<uint32_t> dev_key;  // sign bundles with this dev account (default: the last)
    std::optional<std::filesystem::path> keystore;       // or a keystore v3 file...
    std::string password_env = "KRNL_BUNDLER_PASSWORD";  // ...whose password is in this variable
    std::optional<address> beneficiary;  // receives the ops' fees (default: the bundler's key)
    bool manual = false;                 // "manual": ops wait for debug_bundler_sendBundleNow
    uint64_t max_verification_gas = 500'000;
    size_t max_op_bytes = 8192;
    size_t max_pending_ops = 4096;
    size_t max_pool_bytes = size_t{16} << 20;
    uint64_t valid_until_margin_s = 30;
    uint64_t receipt_lookback_blocks = 10'000;
};

struct LimitsConfig {
    // Open connections over all ports; never above RLIMIT_NOFILE less `reserved_fds` (LMDB,
    // peers, http kernels), whatever is configured.
    size_t max_connections = rpc::ServerOptions{}.max_connections;
    size_t reserved_fds = 256;
    uint64_t http_idle_timeout_s = rpc::ServerOptions{}.http_idle_timeout.count();
    size_t max_blocking_requests = rpc::ServerOptions{}.max_blocking_requests;  // per port
    size_t ws_send_queue_bytes = rpc::ServerOptions{}.ws_send_queue_bytes;
    size_t ws_send_queue_messages = rpc::ServerOptions{}.ws_send_queue_messages;
    size_t max_filters = rpc::EthApiOptions{}.max_filters;
    size_t max_subscriptions = rpc::EthApiOptions{}.max_subscriptions;
    size_t max_subscriptions_per_connection = rpc::EthApiOptions{}.max_subscriptions_per_connection;
    size_t max_filter_addresses = rpc::EthApiOptions{}.max_filter_addresses;
    size_t max_filter_topics = rpc::EthApiOptions{}.max_filter_topics;
    uint64_t max_blocks_mined_per_request = rpc::EthApiOptions{}.max_blocks_mined_per_request;
    uint64_t max_fee_history_blocks = rpc::EthApiOptions{}.max_fee_history_blocks;
    size_t max_fee_history_percentiles = rpc::EthApiOptions{}.max_fee_history_percentiles;
    // eth_send*TransactionSync: the wait without a timeout argument, the longest one asked for,
    // requests waiting at once.
    uint64_t tx_sync_default_timeout_ms = rpc::EthApiOptions{}.tx_sync_default_timeout.count();
    uint64_t tx_sync_max_timeout_ms = rpc::EthApiOptions{}.tx_sync_max_timeout.count();
    size_t max_tx_sync_waiters = rpc::EthApiOptions{}.max_tx_sync_waiters;
    size_t max_storage_values = rpc::EthApiOptions{}.max_storage_values;
    size_t max_bundle_calls = rpc::EthApiOptions{}.max_bundle_calls;
    uint64_t max_trace_filter_blocks = rpc::EthApiOptions{}.max_trace_filter_blocks;
    uint64_t max_ots_scan_blocks = rpc::EthApiOptions{}.max_ots_scan_blocks;
    // The EVM on behalf of callers (eth_call, eth_estimateGas, eth_createAccessList,
    // debug_trace*): time per request (0: none), requests running and waiting per chain, trace
    // output, state-override code; transactions in and the pool; the code-analysis cache.
    uint64_t evm_timeout_ms = rpc::EvmLimits{}.timeout.count();
    size_t max_concurrent_evm_calls = rpc::EvmAdmission{}.max_concurrent;
    size_t evm_call_queue = rpc::EvmAdmission{}.max_queued;
    uint64_t trace_max_steps = rpc::EvmLimits{}.trace_max_steps;
    uint64_t trace_max_bytes = rpc::EvmLimits{}.trace_max_bytes;
    size_t max_override_code_bytes = rpc::EvmLimits{}.max_override_code_bytes;
    size_t max_tx_bytes = rpc::EvmLimits{}.max_tx_bytes;
    size_t pool_max_bytes = chain::TxPool::Limits{}.max_bytes;
    size_t analysis_cache_bytes = evm::AnalysisCache::kDefaultMaxBytes;
};

struct NodeConfig {
    std::string host = "127.0.0.1";
    std::string mnemonic;  // dev accounts; empty: none
    uint32_t dev_accounts = 10;
    uint256 dev_balance;  // wei, for each dev account on every chain
    std::optional<std::filesystem::path> data_dir;
    // An existing data file up to this size (MiB) is read through at start, so damage is found
    // then rather than by a request; larger ones get the cheap checks only (size, meta pages).
    uint64_t verify_data_mb = 256;
    unsigned threads = 4;
    // The method namespaces served on the chain ports ("eth", "net", "web3", "debug", "txpool",
    // "personal", "krnl", and "dev" for evm_*, hardhat_* and anvil_*); empty: all of them.
    std::vector<std::string> apis;
    std::vector<ChainEntry> chains;
    EngineConfig engine;
    BundlerConfig bundler;
    LimitsConfig limits;
    UiConfig ui;
};

// Whether the chain ports serve the dashboard: [ui] enabled, or by default whether `host` is a
// loopback address (127.0.0.0/8, ::1, localhost).
bool ui_enabled(const NodeConfig& config);

// The namespaces [node] apis may name.
inline constexpr std::string_view kApiNamespaces[] = {"eth",    "net",      "web3", "debug",
                                                      "txpool", "personal", "krnl", "dev"};
// Whether `method` is served under `apis` (empty: everything).
bool api_enabled(const std::vector<std::string>& apis, std::string_view method);

// One chain, 31337 on 127.0.0.1:8545, with the ten accounts of the test mnemonic at 10,000 ETH:
// what anvil and Hardhat give.
NodeConfig dev_config();

// The hardforks a chain may run, as `hardfork` in [[chains]] and --hardfork name them.
inline constexpr std::string_view kHardforkNames[] = {"cancun", "prague", "osaka"};
// "cancun", "prague" or "osaka" (exactly, lower case); otherwise an error listing those.
std::expected<evm::Revision, std::string> parse_hardfork(std::string_view name);

// Parses a TOML document; errors name the key and what is wrong with it.
std::expected<NodeConfig, std::string> parse_config(std::string_view toml_text);
std::expected<NodeConfig, std::string> load_config(const std::filesystem::path& path);

// Funds the dev accounts in every chain's genesis (called once the accounts are derived).
void fund_dev_accounts(NodeConfig& config, const std::vector<address>& accounts);

}  // namespace krnl::node
