// Applying one transaction to a state: validation against the block, execution, refunds, fees and
// the end-of-transaction cleanup.
#pragma once

#include <expected>
#include <string>

#include "chain/block.hpp"
#include "chain/host.hpp"
#include "chain/transaction.hpp"

namespace krnl::chain {

struct BlockInfo {
    int64_t number = 0;
    int64_t timestamp = 0;
    int64_t gas_limit = 0;
    address coinbase;
    uint256 prev_randao;
    uint256 base_fee;
    uint64_t excess_blob_gas = 0;
    uint64_t chain_id = 1;
    // A chain's blob schedule (EIP-7892) when it differs from the revision's defaults.
    std::optional<uint64_t> blob_base_fee_update_fraction;
};

struct Receipt {
    TxType type = TxType::Legacy;
    evm::StatusCode status = evm::StatusCode::Success;
    int64_t gas_used = 0;  // after refunds: what the sender paid for
    uint64_t blob_gas_used = 0;
    // Gas used by this and every earlier transaction of the block (set by block execution).
    uint64_t cumulative_gas_used = 0;
    std::vector<Log> logs;
    Bloom logs_bloom;
    address contract_address;  // for successful creations
    bytes output;
};

inline constexpr uint64_t kBlobGasPerBlob = 1 << 17;
// EIP-7918 (Osaka): a blob's reserve price, in execution gas at the block's base fee.
inline constexpr uint64_t kBlobBaseCost = 1 << 13;

// The EVM's view of the block for a transaction from `origin` (gas price and blob hashes are the
// caller's to fill). `blob_price` is the block's blob base fee.
evm::TxContext block_context(const BlockInfo& block, const address& origin,
                             const uint256& blob_price);
// EIP-4844's BLOB_BASE_FEE_UPDATE_FRACTION at `rev` (EIP-7691's from Prague).
uint64_t blob_base_fee_update_fraction(evm::Revision rev);
// EIP-4844 blob base fee from the block's excess blob gas.
uint256 blob_base_fee(uint64_t excess_blob_gas, evm::Revision rev);
uint256 blob_base_fee(uint64_t excess_blob_gas, uint64_t update_fraction);

// EIP-7702 gas constants.
inline constexpr int64_t kPerEmptyAccountCost = 25000;
inline constexpr int64_t kPerAuthBaseCost = 12500;

// EIP-7702: processes an authorization list in order, skipping invalid tuples (chain id neither 0
// nor `chain_id`, nonce 2^64-1, unrecoverable or high-s signature, authority with code other than
// a designator, nonce mismatch). Each valid tuple warms the authority, writes 0xef0100 || address
// (or clears the code for the zero address) and bumps its nonce. Returns the gas refund:
// PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST per authority that already existed.
int64_t apply_authorizations(state::State& state, const std::vector<Authorization>& list,
                             uint64_t chain_id);

// Validates and applies `tx` from `sender` (already recovered). On error the state is unchanged.
// `skip_account_checks` drops the sender's nonce and EOA checks, for calls that are not
// transactions (eth_call from a contract, as geth allows).
std::expected<Receipt, TxError> apply_transaction(state::State& state, evm::Revision rev,
                                                  const BlockInfo& block, const Transaction& tx,
                                                  const address& sender, evm::AnalysisCache& cache,
                                                  const BlockHashFn& block_hash = {},
                                                  evm::Tracer* tracer = nullptr,
                                                  bool skip_account_checks = false);

}  // namespace krnl::chain
