// The groups of BLS12-381: G1 in E(Fp) with E: y^2 = x^3 + 4, and G2 in the M-type twist
// E'(Fp2): y^2 = x^3 + 4(1+u). Jacobian coordinates (x = X/Z^2, y = Y/Z^3, Z = 0 is infinity);
// the same code serves both groups.
#pragma once

#include <cstdint>
#include <span>

#include "evm/bls12_381_tower.hpp"

namespace krnl::evm::bls12_381 {

inline constexpr Fp kG1B = fp_from_u64(4);
inline constexpr Fp2 kG2B = fp2_from_u64(4, 4);

template <class F>
struct Affine {
    F x, y;
    bool infinity = false;
};

template <class F>
struct Jacobian {
    F x, y, z;

    static constexpr Jacobian infinity() { return {F::one(), F::one(), F::zero()}; }
    static constexpr Jacobian from_affine(const Affine<F>& a) {
        return a.infinity ? infinity() : Jacobian{a.x, a.y, F::one()};
    }
    constexpr bool is_infinity() const { return z.is_zero(); }
};

using G1 = Jacobian<Fp>;
using G2 = Jacobian<Fp2>;
using G1Affine = Affine<Fp>;
using G2Affine = Affine<Fp2>;

// The generators of EIP-2537 ("H1", "H2").
inline constexpr G1Affine kG1Generator{
    fp_from_hex("0x17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aef"
                "fb3af00adb22c6bb"),
    fp_from_hex("0x08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae4"
                "0caa232946c5e7e1")};
inline constexpr G2Affine kG2Generator{
    {fp_from_hex("0x024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bb"
                 "efd48056c8c121bdb8"),
     fp_from_hex("0x13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d"
                 "57e5ac7d055d042b7e")},
    {fp_from_hex("0x0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca2"
                 "89e193548608b82801"),
     fp_from_hex("0x0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1d"
                 "a1aaa9075ff05f79be")}};

template <class F>
constexpr bool on_curve(const Affine<F>& a, const F& b) {
    return a.infinity || sqr(a.y) == sqr(a.x) * a.x + b;
}

template <class F>
constexpr Jacobian<F> negate(const Jacobian<F>& p) {
    return {p.x, -p.y, p.z};
}

// dbl-2009-l (a = 0).
template <class F>
constexpr Jacobian<F> double_point(const Jacobian<F>& p) {
    if (p.is_infinity()) return p;
    const F a = sqr(p.x);
    const F b = sqr(p.y);
    const F c = sqr(b);
    const F d = dbl(sqr(p.x + b) - a - c);
    const F e = dbl(a) + a;
    const F f = sqr(e);
    const F x3 = f - dbl(d);
    const F c8 = dbl(dbl(dbl(c)));
    return {x3, e * (d - x3) - c8, dbl(p.y * p.z)};
}

// add-2007-bl, falling back to doubling for equal inputs.
template <class F>
constexpr Jacobian<F> add_points(const Jacobian<F>& p, const Jacobian<F>& q) {
    if (p.is_infinity()) return q;
    if (q.is_infinity()) return p;
    const F z1z1 = sqr(p.z);
    const F z2z2 = sqr(q.z);
    const F u1 = p.x * z2z2;
    const F u2 = q.x * z1z1;
    const F s1 = p.y * q.z * z2z2;
    const F s2 = q.y * p.z * z1z1;
    const F h = u2 - u1;
    const F r = dbl(s2 - s1);
    if (h.is_zero()) return r.is_zero() ? double_point(p) : Jacobian<F>::infinity();
    const F i = sqr(dbl(h));
    const F j = h * i;
    const F v = u1 * i;
    const F x3 = sqr(r) - j - dbl(v);
    const F y3 = r * (v - x3) - dbl(s1 * j);
    const F z3 = (sqr(p.z + q.z) - z1z1 - z2z2) * h;
    return {x3, y3, z3};
}

// madd-2007-bl: q has Z = 1.
template <class F>
constexpr Jacobian<F> add_mixed(const Jacobian<F>& p, const Affine<F>& q) {
    if (q.infinity) return p;
    if (p.is_infinity()) return Jacobian<F>::from_affine(q);
    const F z1z1 = sqr(p.z);
    const F u2 = q.x * z1z1;
    const F s2 = q.y * p.z * z1z1;
    const F h = u2 - p.x;
    const F r = dbl(s2 - p.y);
    if (h.is_zero()) return r.is_zero() ? double_point(p) : Jacobian<F>::infinity();
    const F hh = sqr(h);
    const F i = dbl(dbl(hh));
    const F j = h * i;
    const F v = p.x * i;
    const F x3 = sqr(r) - j - dbl(v);
    const F y3 = r * (v - x3) - dbl(p.y * j);
    const F z3 = sqr(p.z + h) - z1z1 - hh;
    return {x3, y3, z3};
}

// P + Q in affine coordinates: one inversion and three products, for a single addition whose
// result is wanted in affine form (cheaper than a Jacobian addition and the inversion after it).
template <class F>
constexpr Affine<F> add_affine(const Affine<F>& p, const Affine<F>& q) {
    if (p.infinity) return q;
    if (q.infinity) return p;
    F lambda;
    if (p.x == q.x) {
        // Q = P doubles; Q = -P (also P = Q with y = 0) sums to infinity.
        if (!(p.y == q.y) || p.y.is_zero()) return {F::zero(), F::zero(), true};
        const F xx = sqr(p.x);
        lambda = (dbl(xx) + xx) * inverse(dbl(p.y));
    } else {
        lambda = (q.y - p.y) * inverse(q.x - p.x);
    }
    const F x3 = sqr(lambda) - p.x - q.x;
    return {x3, lambda * (p.x - x3) - p.y, false};
}

template <class F>
constexpr bool equal_points(const Jacobian<F>& p, const Jacobian<F>& q) {
    if (p.is_infinity() || q.is_infinity()) return p.is_infinity() && q.is_infinity();
    const F z1z1 = sqr(p.z);
    const F z2z2 = sqr(q.z);
    return p.x * z2z2 == q.x * z1z1 && p.y * q.z * z2z2 == q.y * p.z * z1z1;
}

template <class F>
constexpr Affine<F> to_affine(const Jacobian<F>& p) {
    if (p.is_infinity()) return {F::zero(), F::zero(), true};
    const F zinv = inverse(p.z);
    const F zinv2 = sqr(zinv);
    return {p.x * zinv2, p.y * zinv2 * zinv, false};
}

// Width-5 signed digits (wNAF) of a scalar of up to 384 bits; returns the number of digits.
int wnaf_digits(const Limbs& scalar, int8_t digits[kLimbs * 64 + 1]);

// [k]P for any k (not reduced mod r, so it is right for points outside the subgroup too).
template <class F>
Jacobian<F> scalar_mul(const Jacobian<F>& p, const Limbs& k) {
    int8_t digits[kLimbs * 64 + 1];
    const int n = wnaf_digits(k, digits);
    Jacobian<F> table[8];  // P, 3P, ..., 15P
    table[0] = p;
    const Jacobian<F> p2 = double_point(p);
    for (int i = 1; i < 8; ++i)
        table[i] = add_points(table[i - 1], p2);
    Jacobian<F> acc = Jacobian<F>::infinity();
    for (int i = n - 1; i >= 0; --i) {
        acc = double_point(acc);
        const int d = digits[i];
        if (d > 0) acc = add_points(acc, table[d / 2]);
        if (d < 0) acc = add_points(acc, negate(table[-d / 2]));
    }
    return acc;
}

// [x]P for the (negative) curve parameter x = -0xd201000000010000.
template <class F>
Jacobian<F> mul_by_x(const Jacobian<F>& p) {
    // |x| has bits 63, 62, 60, 57, 48 and 16 set: double-and-add is short.
    Jacobian<F> acc = p;
    for (int i = 62; i >= 0; --i) {
        acc = double_point(acc);
        if ((kX >> i) & 1) acc = add_points(acc, p);
    }
    return negate(acc);
}

// The endomorphism psi = untwist o Frobenius o twist on E'(Fp2) (RFC 9380, appendix G.3).
G2 psi(const G2& q);
// psi(psi(Q)), cheaper than twice psi.
G2 psi2(const G2& q);

// Membership of points already on their curve: [r]P == O, by the endomorphism tests
// (Scott, "A note on group membership tests for G1, G2 and GT on BLS pairing-friendly curves",
// ePrint 2021/1130): G1: phi(P) == -[x^2]P; G2: psi(Q) == [x]Q. The unit tests cross-check them
// against the definition below.
bool g1_in_subgroup(const G1& p);
bool g2_in_subgroup(const G2& q);
template <class F>
bool in_subgroup_by_order(const Jacobian<F>& p) {
    return scalar_mul(p, kR).is_infinity();
}

// sum k_i P_i (Pippenger's bucket method; scalars of 256 bits).
G1 msm(std::span<const G1Affine> points, std::span<const Limbs> scalars);
G2 msm(std::span<const G2Affine> points, std::span<const Limbs> scalars);

// The same sum for points known to be in G1 (G2), faster through the endomorphisms: for few
// points and for many, each scalar is split into two 128-bit (four 64-bit) parts.
G1 msm_subgroup(std::span<const G1Affine> points, std::span<const Limbs> scalars);
G2 msm_subgroup(std::span<const G2Affine> points, std::span<const Limbs> scalars);

// [k]G for the G1 generator and k < 2^256, from a table of d * 16^i * G (d = 1..15, i = 0..63;
// 90 KiB of affine points built on first use): 64 mixed additions and no doubling, where the
// endomorphism-split Straus of msm_subgroup spends about 130 doublings and 60 additions.
G1 g1_generator_mul(const Limbs& k);

// Cofactor clearing as RFC 9380 specifies it: [h_eff]P with h_eff = 1 - x for G1, and the
// Budroni-Pintore psi chain for G2.
G1 clear_cofactor(const G1& p);
G2 clear_cofactor(const G2& q);

}  // namespace krnl::evm::bls12_381
