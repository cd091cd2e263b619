// EIP-4844's point evaluation precompile (0x0a, Cancun): checks that a KZG commitment C opens to
// y at z with the given proof, e(C - [y]G1, G2) == e(proof, [tau]G2 - [z]G2), against the
// Ethereum KZG ceremony's setup.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace krnl::evm::kzg {

inline constexpr uint64_t kPointEvaluationGas = 50000;

// Input: versioned_hash (32) | z (32) | y (32) | commitment (48) | proof (48), exactly 192
// bytes; z and y big-endian below the BLS modulus; commitment and proof compressed G1 points.
// Output: FIELD_ELEMENTS_PER_BLOB (4096) and BLS_MODULUS as two big-endian 32-byte words.
// nullopt on any malformed input, a versioned hash that is not 0x01 || sha256(commitment)[1:], or
// a proof that does not verify.
std::optional<bytes> point_evaluation(bytes_view input);

}  // namespace krnl::evm::kzg
