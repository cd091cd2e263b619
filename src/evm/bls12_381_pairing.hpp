// The optimal ate pairing of BLS12-381: a Miller loop over the curve parameter x (shared by all
// pairs of a product) and the final exponentiation.
#pragma once

#include <span>
#include <vector>

#include "evm/bls12_381_curve.hpp"

namespace krnl::evm::bls12_381 {

// Product over all pairs of the Miller-loop values f_{x,Q}(P). Points must be valid and not at
// infinity; ps and qs have the same length.
Fp12 miller_loop(std::span<const G1Affine> ps, std::span<const G2Affine> qs);

// A line of the Miller loop before its evaluation at P: a + (bx * P.x) w^2 + (cy * P.y) w^3.
struct LineCoefficients {
    Fp2 a, bx, cy;
};

// The Miller loop's lines for a fixed G2 point (not infinity), computed once for the pairings
// with a point the verifier uses again and again (KZG's [tau]G2 and the generator).
struct PreparedG2 {
    std::vector<LineCoefficients> lines;
};
PreparedG2 prepare_g2(const G2Affine& q);
Fp12 miller_loop(std::span<const G1Affine> ps, std::span<const PreparedG2* const> qs);

// f^(3(p^12 - 1)/r): the easy part (p^6 - 1)(p^2 + 1), then three times the hard part through
// 3(p^4 - p^2 + 1)/r = (x - 1)^2 (x + p)(x^2 + p^2 - 1) + 3 (Hayashida, Hayasaka and Teruya,
// ePrint 2020/875). The cube of the pairing is a pairing as well (3 does not divide r), and is 1
// exactly when the pairing is, which is all the pairing checks ask.
Fp12 final_exponentiation(const Fp12& f);

// e(P1,Q1) * ... * e(Pk,Qk) == 1, skipping pairs with a point at infinity.
bool pairing_product_is_one(std::span<const G1Affine> ps, std::span<const G2Affine> qs);
// The same with prepared G2 points; pairs whose P is infinity are skipped.
bool pairing_product_is_one(std::span<const G1Affine> ps, std::span<const PreparedG2* const> qs);

}  // namespace krnl::evm::bls12_381
