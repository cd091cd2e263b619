// The Ethereum JSON-RPC API of one embedded chain: web3_*, net_*, eth_* (state, blocks, calls,
// transactions, logs, filters, subscriptions), debug_* tracing, and the dev methods under the
// names anvil and Hardhat use (evm_*, anvil_*, hardhat_*).
#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include "chain/chain.hpp"
#include "rpc/eth_json.hpp"
#include "rpc/evm_limits.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

struct DevAccount {
    address addr;
    bytes32 secret;
};

struct EthApiOptions {
    std::string client_version = "krnld/v0.1.0";
    uint64_t max_log_block_range = 10'000;
    size_t max_log_results = 20'000;
    uint256 suggested_tip = 1'000'000'000;  // 1 gwei, as Hardhat and anvil suggest
    std::chrono::seconds filter_timeout{300};
    // Bounds on what one caller can make the node hold or do; errors name the TOML key under
    // [limits] (geth's values where geth has one).
    size_t max_filters = 1000;                        // polled filters, in total
    size_t max_subscriptions = 10'000;                // eth_subscribe, in total...
    size_t max_subscriptions_per_connection = 100;    // ...and per WebSocket connection
    size_t max_filter_addresses = 1000;               // per filter, eth_getLogs too (geth)
    size_t max_filter_topics = 1000;                  // alternatives per topic position (geth)
    uint64_t max_blocks_mined_per_request = 100'000;  // dev mining, per request and its batch
    uint64_t max_fee_history_blocks = 1024;           // eth_feeHistory (geth)
    size_t max_fee_history_percentiles = 100;         // eth_feeHistory (geth)
    // EVM time, concurrency, trace output, transaction and override sizes (evm_limits.hpp).
    EvmLimits evm;
};

class EthApi {
public:
    EthApi(chain::Chain& chain, std::vector<DevAccount> dev_accounts, EthApiOptions options = {});
    EthApi(const EthApi&) = delete;
    EthApi& operator=(const EthApi&) = delete;

    void register_methods(MethodTable& methods);

    // Interval mining lives with whoever owns timers (the node); evm_setIntervalMining calls this
    // with the interval in milliseconds (0: off).
    std::function<void(uint64_t interval_ms)> set_interval_mining;

private:
    // Registration of each group (eth_api.cpp, eth_api_send.cpp, eth_api_dev.cpp,
    // eth_api_filters.cpp, eth_api_debug.cpp, eth_api_raw.cpp).
    void register_state(MethodTable& m);
    void register_blocks(MethodTable& m);
    void register_send(MethodTable& m);
    void register_dev(MethodTable& m);
    // The next block's parameters, pool removal and node information (eth_api_dev_node.cpp).
    void register_dev_node(MethodTable& m);
    void register_filters(MethodTable& m);
    void register_debug(MethodTable& m);
    // txpool contents, eth_getAccount, headers, raw encodings, by sender and nonce.
    void register_raw(MethodTable& m);

    Result<uint64_t> resolve(const chain::ChainReader& reader, const BlockRef& ref) const;
    // The block that argument `i` names by hash or by number/tag; nullopt when there is none
    // (methods answer null then).
    Result<std::optional<uint64_t>> find_block(const chain::ChainReader& reader, const Params& p,
                                               size_t i, bool by_hash) const;
    chain::BlockInfo block_info(const chain::BlockHeader& header) const;
    const DevAccount* dev_account(const address& addr) const;
    // One EVM request (eth_call, eth_estimateGas, eth_createAccessList, debug_trace*) with its
    // time limit armed. The server admitted it (MethodTable::add_evm, EvmGate).
    Result<std::unique_ptr<EvmRun>> start_evm_run();
    // geth's words past the time limit: eth_call's, or the tracers' for debug_trace*.
    RpcError evm_timeout_error(bool trace) const;
    // The logs of blocks [from, to] that match, or an error past the result limit.
    Result<json> logs(const chain::ChainReader& reader, const LogFilter& filter, uint64_t from,
                      uint64_t to) const;
    void on_block(const chain::BlockEvent& event);
    void on_pending(const chain::PooledTx& tx);

    chain::Chain& chain_;
    std::vector<DevAccount> dev_accounts_;
    EthApiOptions options_;

    // Filters (eth_newFilter and friends), polled; removed when unused for `filter_timeout`.
    struct Filter {
        enum class Kind { Logs, Blocks, Pending } kind;
        LogFilter logs;
        uint64_t next_block = 0;  // the first block not yet reported
        std::vector<hash256> pending;
        std::chrono::steady_clock::time_point last_poll;
    };
    // Subscriptions (eth_subscribe) of WebSocket connections.
    struct Subscription {
        enum class Kind { NewHeads, Logs, PendingTransactions } kind;
        LogFilter logs;
        bool full_transactions = false;
        std::weak_ptr<Connection> connection;
        SharedText head;  // a notification's text up to its result, made once
    };
    std::mutex filters_mutex_;
    std::map<std::string, Filter> filters_;
    std::map<std::string, Subscription> subscriptions_;
    std::string new_id();

    DeadlineTimer evm_timer_;
};

}  // namespace krnl::rpc
