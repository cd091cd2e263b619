// Consensus rules a header must meet against its parent before its body is executed, the values
// derived from the parent (EIP-1559 base fee, EIP-4844 excess blob gas), and the block error type
// shared with block execution.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chain/blob_params.hpp"
#include "chain/block.hpp"
#include "evm/revision.hpp"

namespace krnl::chain {

// Why a block is invalid. Header rules come first, then body and execution results.
enum class BlockErrorCode : uint8_t {
    Decode,             // the block's RLP is malformed
    UnknownParent,      // no known block has the parent hash
    Number,             // number != parent number + 1
    Timestamp,          // timestamp not after the parent's
    GasLimit,           // outside parent +- parent / 1024, below 5000 or above 2^63 - 1
    GasUsedAboveLimit,  // header gas used over its gas limit
    ExtraData,          // more than 32 bytes
    BaseFee,            // missing, or not the EIP-1559 value derived from the parent
    Difficulty,         // non-zero after the merge
    Nonce,              // non-zero after the merge
    Ommers,             // ommers after the merge, or an ommers hash not matching the body
    MissingField,       // a field the revision requires is absent
    UnexpectedField,    // a field the revision does not have is present
    ExcessBlobGas,      // not the EIP-4844 value derived from the parent
    BlobGasUsed,        // not a multiple of the blob gas per blob, over the block maximum, or not
                        // the sum over the transactions
    Withdrawals,        // a withdrawals list missing or present against the revision
    TransactionsRoot,
    WithdrawalsRoot,
    InvalidTransaction,  // a transaction fails validation (see tx_index and tx_error)
    GasUsed,             // header gas used differs from the transactions' total
    LogsBloom,
    ReceiptsRoot,
    RequestsHash,
    SystemCall,    // an EIP-7002 / EIP-7251 system call failed or found no code
    StateRoot,     // checked by the caller, which owns the state commitment
    BlockSize,     // Osaka: the block's RLP is over EIP-7934's MAX_RLP_BLOCK_SIZE
    DepositEvent,  // Prague: a deposit contract log not in EIP-6110's DepositEvent layout
};

struct BlockError {
    BlockErrorCode code;
    std::string message;  // names the field and the values that disagree
    std::optional<size_t> tx_index;
    std::optional<TxError> tx_error;
};

std::string_view block_error_name(BlockErrorCode code);

// EIP-1559 parameters.
inline constexpr uint64_t kElasticityMultiplier = 2;
inline constexpr uint64_t kBaseFeeMaxChangeDenominator = 8;
inline constexpr uint64_t kInitialBaseFee = 1'000'000'000;
inline constexpr uint64_t kMinGasLimit = 5000;
inline constexpr uint64_t kMaxGasLimit = 0x7fffffffffffffff;
inline constexpr uint64_t kGasLimitBoundDivisor = 1024;
inline constexpr size_t kMaxExtraDataSize = 32;
// EIP-7934 (Osaka): MAX_BLOCK_SIZE (10 MiB) less a 2 MiB margin for the beacon block.
inline constexpr size_t kMaxRlpBlockSize = 10'485'760 - 2'097'152;

// The base fee of the child of `parent`: the initial base fee when the parent has none (the London
// fork block), else the EIP-1559 adjustment towards half the parent's gas limit.
uint256 next_base_fee(const BlockHeader& parent);

// EIP-4844 / EIP-7691: target and maximum blob gas per block at `rev` (its default blob
// parameters) or under `blob` (a chain's blob schedule).
uint64_t target_blob_gas_per_block(evm::Revision rev);
uint64_t max_blob_gas_per_block(evm::Revision rev);
uint64_t target_blob_gas_per_block(const BlobParams& blob);
uint64_t max_blob_gas_per_block(const BlobParams& blob);
// The excess blob gas of the child of `parent` (0 when the parent predates Cancun), computed with
// the child's revision and blob parameters.
uint64_t next_excess_blob_gas(const BlockHeader& parent, evm::Revision rev);
uint64_t next_excess_blob_gas(const BlockHeader& parent, evm::Revision rev, const BlobParams& blob);

// Checks `header` against `parent` at `rev` (which must be Paris or later: proof-of-stake rules).
// Body-dependent fields (roots, gas used, bloom, blob gas used) are checked by execute_block.
std::optional<BlockError> validate_header(const BlockHeader& header, const BlockHeader& parent,
                                          evm::Revision rev);
// The same with the block's blob parameters given (a chain's blob schedule).
std::optional<BlockError> validate_header(const BlockHeader& header, const BlockHeader& parent,
                                          evm::Revision rev, const BlobParams& blob);

}  // namespace krnl::chain
