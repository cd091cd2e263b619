// Mapping field elements to G1 and G2 as EIP-2537's MAP_FP_TO_G1 / MAP_FP2_TO_G2 do: RFC 9380's
// map_to_curve (simplified SWU onto an isogenous curve, then the isogeny) followed by
// clear_cofactor, for the suites BLS12381G1_XMD:SHA-256_SSWU_RO_ and
// BLS12381G2_XMD:SHA-256_SSWU_RO_ (one field element, no hashing).
#pragma once

#include "evm/bls12_381_curve.hpp"

namespace krnl::evm::bls12_381 {

G1 map_to_g1(const Fp& u);
G2 map_to_g2(const Fp2& u);

}  // namespace krnl::evm::bls12_381
