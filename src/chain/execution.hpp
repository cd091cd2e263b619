// Applying one transaction to a state: validation against the block, execution, refunds, fees and
// the end-of-transaction cleanup.
#pragma once

#include <expected>
#include <string>

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
};

struct Receipt {
    evm::StatusCode status = evm::StatusCode::Success;
    int64_t gas_used = 0;  // after refunds: what the sender paid for
    uint64_t blob_gas_used = 0;
    std::vector<Log> logs;
    address contract_address;  // for successful creations
    bytes output;
    // The transaction reached a precompile this build does not implement (KZG point evaluation),
    // so its outcome is not to be trusted as consensus-correct.
    bool used_unsupported_precompile = false;
};

inline constexpr uint64_t kBlobGasPerBlob = 1 << 17;
// EIP-4844 blob base fee from the block's excess blob gas.
uint256 blob_base_fee(uint64_t excess_blob_gas, evm::Revision rev);

// Validates and applies `tx` from `sender` (already recovered). On error the state is unchanged.
std::expected<Receipt, TxError> apply_transaction(state::State& state, evm::Revision rev,
                                                  const BlockInfo& block, const Transaction& tx,
                                                  const address& sender, evm::AnalysisCache& cache,
                                                  const BlockHashFn& block_hash = {},
                                                  evm::Tracer* tracer = nullptr);

}  // namespace krnl::chain
