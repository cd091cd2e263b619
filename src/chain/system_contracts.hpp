// System contracts: the EIP-4788 beacon-roots and EIP-2935 block-hash history contracts called at
// the start of a block, the EIP-7002 withdrawal and EIP-7251 consolidation request contracts
// called at its end (Prague), the EIP-7685 requests commitment, and their installation at genesis.
#pragma once

#include <expected>
#include <vector>

#include "chain/execution.hpp"
#include "chain/header_validation.hpp"

namespace krnl::chain {

// The caller of every system call (it pays nothing and its nonce does not move).
inline constexpr address kSystemAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}};
// 0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02 (EIP-4788)
inline constexpr address kBeaconRootsAddress{{0x00, 0x0f, 0x3d, 0xf6, 0xd7, 0x32, 0x80,
                                              0x7e, 0xf1, 0x31, 0x9f, 0xb7, 0xb8, 0xbb,
                                              0x85, 0x22, 0xd0, 0xbe, 0xac, 0x02}};
// 0x0000F90827F1C53a10cb7A02335B175320002935 (EIP-2935)
inline constexpr address kHistoryStorageAddress{{0x00, 0x00, 0xf9, 0x08, 0x27, 0xf1, 0xc5,
                                                 0x3a, 0x10, 0xcb, 0x7a, 0x02, 0x33, 0x5b,
                                                 0x17, 0x53, 0x20, 0x00, 0x29, 0x35}};
// 0x00000961Ef480Eb55e80D19ad83579A64c007002 (EIP-7002)
inline constexpr address kWithdrawalRequestAddress{{0x00, 0x00, 0x09, 0x61, 0xef, 0x48, 0x0e,
                                                    0xb5, 0x5e, 0x80, 0xd1, 0x9a, 0xd8, 0x35,
                                                    0x79, 0xa6, 0x4c, 0x00, 0x70, 0x02}};
// 0x0000BBdDc7CE488642fb579F8B00f3a590007251 (EIP-7251)
inline constexpr address kConsolidationRequestAddress{{0x00, 0x00, 0xbb, 0xdd, 0xc7, 0xce, 0x48,
                                                       0x86, 0x42, 0xfb, 0x57, 0x9f, 0x8b, 0x00,
                                                       0xf3, 0xa5, 0x90, 0x00, 0x72, 0x51}};

inline constexpr int64_t kSystemCallGas = 30'000'000;
inline constexpr uint64_t kHistoryServeWindow = 8191;       // EIP-2935
inline constexpr uint64_t kBeaconRootsBufferLength = 8191;  // EIP-4788 HISTORY_BUFFER_LENGTH

// EIP-7685 request types.
inline constexpr uint8_t kDepositRequestType = 0x00;
inline constexpr uint8_t kWithdrawalRequestType = 0x01;
inline constexpr uint8_t kConsolidationRequestType = 0x02;

// The runtime code of each contract, as its EIP deploys it.
const bytes& beacon_roots_code();
const bytes& history_storage_code();
const bytes& withdrawal_request_code();
const bytes& consolidation_request_code();

struct SystemCallResult {
    bool has_code = false;  // false: no code at the address, nothing ran
    evm::StatusCode status = evm::StatusCode::Success;
    bytes output;
};

// Calls `contract` from kSystemAddress with `input`, 30M gas and no value, outside any
// transaction: no fee, no nonce, not counted in the block's gas; the state is finalized after it
// (access lists reset, touched empty accounts removed).
SystemCallResult system_call(state::State& state, evm::Revision rev, const BlockInfo& block,
                             const address& contract, bytes_view input, evm::AnalysisCache& cache,
                             const BlockHashFn& block_hash = {}, evm::Tracer* tracer = nullptr);

// Start of block: EIP-4788 (Cancun+) stores the parent beacon block root, EIP-2935 (Prague+) the
// parent hash. Each is skipped silently when its contract has no code.
void apply_block_start_system_calls(state::State& state, evm::Revision rev, const BlockInfo& block,
                                    const std::optional<hash256>& parent_beacon_block_root,
                                    const hash256& parent_hash, evm::AnalysisCache& cache,
                                    const BlockHashFn& block_hash = {},
                                    evm::Tracer* tracer = nullptr);

// End of block (Prague+): the EIP-7685 requests in type order — `deposits` (EIP-6110's request
// data, parsed from the block's receipts by deposit_requests; empty on a chain without a deposit
// contract), then the EIP-7002 and EIP-7251 queues read by system calls — each as type || data.
// A missing contract or a failing call makes the block invalid.
std::expected<std::vector<bytes>, BlockError> collect_requests(
    state::State& state, evm::Revision rev, const BlockInfo& block, bytes_view deposits,
    evm::AnalysisCache& cache, const BlockHashFn& block_hash = {}, evm::Tracer* tracer = nullptr);

// EIP-7685: sha256 over sha256(request) of every request with data (longer than its type byte).
hash256 requests_hash(const std::vector<bytes>& requests);

// Puts the system contracts active at `rev` into a genesis state (code, nonce 1), leaving an
// address that already has an account untouched: EIP-4788 from Cancun, EIP-2935, EIP-7002 and
// EIP-7251 from Prague.
void install_system_contracts(state::State& state, evm::Revision rev);

}  // namespace krnl::chain
