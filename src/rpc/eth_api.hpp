// The Ethereum JSON-RPC API of one embedded chain: web3_*, net_*, eth_* (state, blocks, calls,
// transactions, logs, filters, subscriptions), debug_* tracing, and the dev methods under the
// names anvil and Hardhat use (evm_*, anvil_*, hardhat_*).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "chain/chain.hpp"
#include "rpc/eth_json.hpp"
#include "rpc/evm_limits.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

class ForkControl;

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
    // eth_send*TransactionSync (EIP-7966): the wait without a timeout argument, the longest one
    // a caller may ask for, and how many requests may wait at once.
    std::chrono::milliseconds tx_sync_default_timeout{2000};
    std::chrono::milliseconds tx_sync_max_timeout{60'000};
    size_t max_tx_sync_waiters = 64;
    size_t max_storage_values = 1024;        // eth_getStorageValues, slots of all accounts (geth)
    size_t max_bundle_calls = 1000;          // eth_callMany, trace_callMany: calls of one request
    uint64_t max_trace_filter_blocks = 100;  // trace_filter's block range (reth's default)
    uint64_t max_ots_scan_blocks = 1000;  // ots_search*, ots_getContractCreator: blocks per request
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
    // Sets the interval through `set_interval_mining` and remembers it (anvil_getIntervalMining).
    void mine_at_interval(uint64_t interval_ms);
    // Fork mode's upstream, which the node owns: anvil_reset with forking and anvil_setRpcUrl
    // need it (without it, anvil_reset only returns the chain to its genesis).
    std::shared_ptr<ForkControl> fork_control;

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
    // EIP-7966's synchronous sends, eth_signTransaction, eth_fillTransaction (eth_api_sync.cpp).
    void register_sync(MethodTable& m);
    // eth_getStorageValues and eth_callMany (eth_api_call_many.cpp).
    void register_call_many(MethodTable& m);
    // Parity's trace_* (eth_api_trace.cpp).
    void register_trace(MethodTable& m);
    // Otterscan's ots_* (eth_api_ots.cpp).
    void register_ots(MethodTable& m);
    // eth_simulateV1 (eth_api_simulate.cpp).
    void register_simulate(MethodTable& m);
    // anvil_dumpState, anvil_loadState (eth_api_state_file.cpp).
    void register_state_file(MethodTable& m);
    // anvil's and Hardhat's aliases of the methods above and anvil's smaller methods
    // (eth_api_anvil.cpp); registered last, since aliases copy registered handlers.
    void register_anvil(MethodTable& m);
    // anvil's edits of history and identity (rollback, reorg, chain id, ecrecover signers), its
    // blob getters and geth's debug_dbGet (eth_api_anvil_history.cpp); called by register_anvil.
    void register_anvil_history(MethodTable& m);
    // anvil_reset, hardhat_reset, anvil_setRpcUrl (eth_api_fork.cpp); called by register_anvil.
    void register_fork(MethodTable& m);
    // Fork mode: the upstream's answer to a historic read this chain cannot answer (a block,
    // transaction or receipt of the upstream's chain), kept only when its `number_field` is at
    // or below the fork block; null otherwise, and for a chain that is not a fork.
    Result<json> fork_history(const std::string& method, json params,
                              const char* number_field) const;
    // Sets the token's storage slot that the view `calldata` (balanceOf, allowance) reads to
    // `amount`, found as anvil finds it (the slots the view reads, each tried); null, or an error
    // naming `what` when no slot holds the view's answer.
    Result<json> set_erc20_slot(const address& token, bytes calldata, const uint256& amount,
                                std::string_view what);

    // A transaction object filled as eth_sendTransaction fills it (nonce, fees, type, and gas by
    // estimate); `key` is the dev account that can sign it, if any.
    struct FilledTx {
        chain::Transaction tx;
        address from;
        const DevAccount* key = nullptr;
    };
    Result<FilledTx> fill_transaction(const json& obj, bool require_from);
    // eth_sendRawTransaction's work: decodes and submits (params: [raw], nothing more).
    Result<hash256> send_raw_transaction(const json& params);
    // eth_sendTransaction's work: fills, signs (or sends as an impersonated account), submits.
    // `any_sender`: from any address, unsigned (eth_sendUnsignedTransaction).
    Result<hash256> send_transaction(const json& params, bool any_sender = false);
    // The receipt of `hash` once a block holds it; EIP-7966's code 4 past `timeout`.
    Result<json> wait_for_receipt(const hash256& hash, std::chrono::milliseconds timeout);
    // Block `number` re-executed on its parent's state with Parity's tracer on each transaction
    // (all of them, or only transaction `only`): one {output, trace, stateDiff, vmTrace,
    // transactionHash} per traced transaction, trace entries not yet localized (and the
    // callTracer's frame tree as callFrame, `with_call_frame`). Runs under `run`'s
    // time limit; the traces' output is counted against `bytes_left` (0: no cap).
    Result<json> parity_block(const chain::ChainReader& reader, uint64_t number,
                              std::optional<size_t> only, bool trace, bool state_diff, EvmRun& run,
                              uint64_t& bytes_left, bool with_call_frame = false);
    // Where the mined transaction of `sender` with `nonce` is (bisection over the account's nonce).
    std::optional<chain::TxLocation> find_by_sender_and_nonce(const chain::ChainReader& reader,
                                                              const address& sender,
                                                              uint64_t nonce) const;
    // All receipts of one block, with log indexes running across the block; null if none.
    json block_receipts_json(const chain::ChainReader& reader, uint64_t number) const;

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
    void on_rewound(const chain::HeadRewound& event);

    chain::Chain& chain_;
    std::vector<DevAccount> dev_accounts_;
    EthApiOptions options_;

    // Filters (eth_newFilter and friends), polled; removed when unused for `filter_timeout`.
    struct Filter {
        enum class Kind { Logs, Blocks, Pending } kind;
        LogFilter logs;
        uint64_t next_block = 0;  // the first block not yet reported
        uint64_t rewinds = 0;     // how many times blocks were removed under it (on_rewound)
        std::vector<hash256> pending;
        // Logs it had reported whose blocks a rollback or reorg removed: reported again, first,
        // with removed: true (at most kMaxFilterBacklog).
        std::vector<json> removed_logs;
        std::chrono::steady_clock::time_point last_poll;
    };
    // Subscriptions (eth_subscribe) of WebSocket connections.
    struct Subscription {
        enum class Kind { NewHeads, Logs, PendingTransactions } kind;
        LogFilter logs;
        bool full_transactions = false;
        uint64_t first_block = 0;  // logs: the first block whose logs it was sent
        std::weak_ptr<Connection> connection;
        SharedText head;  // a notification's text up to its result, made once
    };
    std::mutex filters_mutex_;
    std::map<std::string, Filter> filters_;
    std::map<std::string, Subscription> subscriptions_;
    std::string new_id();

    DeadlineTimer evm_timer_;

    // Blocks committed, for the synchronous sends waiting on one.
    std::mutex mined_mutex_;
    std::condition_variable mined_;
    uint64_t blocks_seen_ = 0;
    std::atomic<size_t> sync_waiters_{0};

    // anvil's switches (eth_api_anvil.cpp): every sender impersonated; the interval mining runs at
    // (ms, 0: off); request logging as last set (kept for anvil_setLoggingEnabled: krnld does not
    // log requests).
    std::atomic<bool> auto_impersonate_{false};
    std::atomic<uint64_t> interval_mining_ms_{0};
    std::atomic<bool> logging_enabled_{true};
};

}  // namespace krnl::rpc
