// The alt_bn128 (bn254) precompiles: ECADD (0x06), ECMUL (0x07) of EIP-196 and the pairing
// check (0x08) of EIP-197. Only the arithmetic and input validation live here; gas is the caller's.
#pragma once

#include <optional>

#include "common/bytes.hpp"

namespace krnl::evm::bn254 {

// ECADD: input right-padded with zeros / truncated to 128 bytes (x1, y1, x2, y2 as big-endian
// 32-byte field elements; (0, 0) is the point at infinity). Returns the 64-byte x || y of the sum.
// nullopt if any coordinate >= p or a point is not on the curve.
std::optional<bytes> add(bytes_view input);

// ECMUL: input right-padded / truncated to 96 bytes (x, y, scalar). The scalar is any 256-bit
// number. Returns the 64-byte product; nullopt on an invalid point.
std::optional<bytes> mul(bytes_view input);

// Pairing check over k*192 bytes: per pair the G1 point (x, y) and the G2 point (x_imag, x_real,
// y_imag, y_real), imaginary parts first as in EIP-197. True iff the product of the pairings is
// 1; empty input gives true. nullopt if the size is not a multiple of 192, a coordinate is >= p,
// a G1 point is off the curve, or a G2 point is off the twist or outside the order-r subgroup.
// All-zero encodings are the points at infinity and contribute a factor 1.
std::optional<bool> pairing_check(bytes_view input);

}  // namespace krnl::evm::bn254
