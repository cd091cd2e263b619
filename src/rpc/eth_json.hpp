// Ethereum JSON-RPC objects in geth's shapes: blocks, transactions, receipts and logs out; call and
// transaction requests, overrides and filters in.
#pragma once

#include "chain/chain_store.hpp"
#include "chain/simulation.hpp"
#include "rpc/params.hpp"

namespace krnl::rpc {

// Where a mined transaction or log sits.
struct TxPosition {
    hash256 block_hash;
    uint64_t block_number = 0;
    uint64_t index = 0;
    uint256 base_fee;  // of its block: the effective gas price of dynamic-fee transactions
};

json transaction_json(const chain::Transaction& tx, const address& sender,
                      const std::optional<TxPosition>& position);
json log_json(const chain::Log& log, const TxPosition& position, const hash256& tx_hash,
              uint64_t log_index, uint64_t block_timestamp);
json receipt_json(const chain::StoredReceipt& receipt, const chain::Transaction& tx,
                  const address& sender, const TxPosition& position, uint64_t first_log_index,
                  uint64_t block_timestamp);
// `full`: transactions as objects rather than hashes.
json block_json(const chain::Block& block, const hash256& hash, const std::vector<address>& senders,
                bool full);

// A call or transaction object (eth_call, eth_estimateGas, eth_sendTransaction, debug_traceCall).
Result<chain::CallRequest> parse_call_request(const json& obj);
// The explicit nonce of a transaction object, if any.
Result<std::optional<uint64_t>> parse_nonce(const json& obj);
Result<std::vector<std::pair<address, chain::AccountOverride>>> parse_state_overrides(
    const json& v);
Result<chain::BlockOverrides> parse_block_overrides(const json& v);

// The log filter of eth_getLogs / eth_newFilter: blocks by range or by hash, addresses, topics
// (each position null for any, a hash, or a list of alternatives).
struct LogFilter {
    std::optional<BlockRef> from, to;
    std::optional<hash256> block_hash;
    std::vector<address> addresses;
    std::vector<std::vector<hash256>> topics;
};
Result<LogFilter> parse_log_filter(const json& v);
bool log_matches(const LogFilter& filter, const chain::Log& log);

}  // namespace krnl::rpc
