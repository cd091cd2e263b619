// The groups of alt_bn128: G1 = E(Fp) with E: y^2 = x^3 + 3, and G2 inside the sextic twist
// E'(Fp2): y^2 = x^3 + 3/(9+i). Points are kept in Jacobian coordinates (x = X/Z^2, y = Y/Z^3,
// Z = 0 is the point at infinity); the same code serves both groups.
#pragma once

#include <cstdint>

#include "evm/bn254_field.hpp"

namespace krnl::evm::bn254 {

inline constexpr Fp kG1B = fp_from_u64(3);
inline constexpr Fp2 kG2B =
    Fp2{fp_from_u64(3), Fp::zero()} * inverse(Fp2{fp_from_u64(9), Fp::one()});

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

// Width-5 signed digits of a 256-bit scalar: every nonzero digit is odd and in [-15, 15], and
// any two nonzero digits are at least 5 positions apart. Returns the number of digits.
int wnaf_digits(const Limbs& scalar, int8_t digits[257]);

// [k]P for any 256-bit k (the scalar is not reduced; the result is the same for points of order r).
template <class F>
Jacobian<F> scalar_mul(const Jacobian<F>& p, const Limbs& k) {
    int8_t digits[257];
    const int n = wnaf_digits(k, digits);
    // Odd multiples P, 3P, ..., 15P.
    Jacobian<F> table[8];
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

// The twist endomorphism psi = untwist o Frobenius o twist on E'(Fp2); on G2 it acts as [p].
constexpr G2 psi(const G2& q) {
    return {conj(q.x) * kFrob.gamma1[2], conj(q.y) * kFrob.gamma1[3], conj(q.z)};
}

// G2 membership of a point already known to be on the twist: [r]Q == O, tested through the
// equivalent relation [u+1]Q + psi([u]Q) + psi^2([u]Q) == psi^3([2u]Q), which needs only a 63-bit
// multiplication (El Housni, Guillevic, Piellard, ePrint 2022/348). The tests confirm it rejects a
// point of every prime order dividing the twist's cofactor.
bool g2_in_subgroup(const G2& q);

// The slow definition, [r]Q == O, kept for cross-checking.
bool g2_in_subgroup_by_order(const G2& q);

}  // namespace krnl::evm::bn254
