// anvil_impersonateSignature: ecrecover (precompile 0x01) answers a chosen signer for a chosen
// signature, whatever the digest, so contracts that check a signature (ERC-1271 wallets, permits)
// accept one made up for an account whose key nobody holds. Entries belong to the chain id they
// were registered on (the transaction context's), so one chain's dev caller changes no other chain
// of the node, nor the engine's kernels; they hold until the process ends.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace krnl::evm {

// r ‖ s ‖ v, as anvil keys its table: v is the last byte of ecrecover's v word.
using RecoverSignature = std::array<uint8_t, 65>;

// A bound on the table: it is never cleared while the node runs.
inline constexpr size_t kMaxRecoverOverrides = 10'000;

// Registers (or replaces) the signer of `signature` on chain `chain_id`; false when the table is
// full.
bool add_recover_override(uint64_t chain_id, const RecoverSignature& signature,
                          const address& signer);
// The signer registered on `chain_id` for ecrecover's input (digest, v, r, s words, zero-padded to
// 128 bytes), if any. Costs one atomic load while the table is empty.
std::optional<address> recover_override(uint64_t chain_id, bytes_view input);
size_t recover_override_count();
// Forgets the signers registered on `chain_id` (anvil_reset of that chain).
void clear_recover_overrides(uint64_t chain_id);
// For tests.
void clear_recover_overrides();

}  // namespace krnl::evm
