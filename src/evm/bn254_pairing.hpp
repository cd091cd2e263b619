// The optimal ate pairing of alt_bn128: a Miller loop over 6u+2 (shared by all pairs of a
// product) and the final exponentiation to the power (p^12 - 1)/r.
#pragma once

#include <span>

#include "evm/bn254_curve.hpp"

namespace krnl::evm::bn254 {

// Product of the Miller-loop values f_{6u+2,Q}(P) (with the two Frobenius correction lines) over
// all pairs. Points must be valid and not at infinity; ps and qs have the same length.
Fp12 miller_loop(std::span<const Affine<Fp>> ps, std::span<const Affine<Fp2>> qs);

// f^((p^12 - 1)/r): the easy part (p^6 - 1)(p^2 + 1), then the hard part (p^4 - p^2 + 1)/r as a
// chain in u (Scott et al., "On the final exponentiation for calculating pairings on ordinary
// elliptic curves", 2009).
Fp12 final_exponentiation(const Fp12& f);

}  // namespace krnl::evm::bn254
