// The tower over the BLS12-381 base field: Fp2 = Fp[u]/(u^2+1), Fp6 = Fp2[v]/(v^3 - xi) with
// xi = 1+u, Fp12 = Fp6[w]/(w^2 - v), with the Frobenius maps (their coefficients computed by the
// compiler) and the cyclotomic squaring of the final exponentiation.
#pragma once

#include "evm/bls12_381_fp.hpp"

namespace krnl::evm::bls12_381 {

// ---------------------------------------------------------------------------------------------
// Fp2 = Fp[u]/(u^2 + 1): c0 + c1*u
struct Fp2 {
    Fp c0, c1;

    static constexpr Fp2 zero() { return {}; }
    static constexpr Fp2 one() { return {Fp::one(), Fp::zero()}; }
    constexpr bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
    friend constexpr bool operator==(const Fp2&, const Fp2&) = default;
};

KRNL_BLS_INLINE constexpr Fp2 operator+(const Fp2& a, const Fp2& b) {
    return {a.c0 + b.c0, a.c1 + b.c1};
}
KRNL_BLS_INLINE constexpr Fp2 operator-(const Fp2& a, const Fp2& b) {
    return {a.c0 - b.c0, a.c1 - b.c1};
}
KRNL_BLS_INLINE constexpr Fp2 operator-(const Fp2& a) {
    return {-a.c0, -a.c1};
}
KRNL_BLS_INLINE constexpr Fp2 dbl(const Fp2& a) {
    return a + a;
}
KRNL_BLS_INLINE constexpr Fp2 conj(const Fp2& a) {
    return {a.c0, -a.c1};
}

// Karatsuba with delayed reduction: three products, two reductions. c0 = a0b0 - a1b1 + p^2 and
// c1 = (a0+a1)(b0+b1) - a0b0 - a1b1 lie in [0, 2p^2) and 2p^2 < pR (p < 2^381).
constexpr Fp2 operator*(const Fp2& a, const Fp2& b) {
#if defined(__x86_64__)
    if (!std::is_constant_evaluated() && detail::kHasMulx) {
        // Three fast Montgomery products beat three wide products and two reductions here.
        const Fp v0 = a.c0 * b.c0;
        const Fp v1 = a.c1 * b.c1;
        const Fp v2 = detail::add_unreduced(a.c0, a.c1) * detail::add_unreduced(b.c0, b.c1);
        return {v0 - v1, v2 - v0 - v1};
    }
#endif
    const detail::Wide v0 = detail::mul_wide(a.c0.m, b.c0.m);
    const detail::Wide v1 = detail::mul_wide(a.c1.m, b.c1.m);
    Limbs sa, sb;
    limbs_add(sa, a.c0.m, a.c1.m);
    limbs_add(sb, b.c0.m, b.c1.m);
    const detail::Wide v2 = detail::mul_wide(sa, sb);
    const Fp c0 = detail::redc(detail::wide_sub(detail::wide_add(v0, detail::kPSquared), v1));
    const Fp c1 = detail::redc(detail::wide_sub(v2, detail::wide_add(v0, v1)));
    return {c0, c1};
}

KRNL_BLS_INLINE constexpr Fp2 operator*(const Fp2& a, const Fp& s) {
    return {a.c0 * s, a.c1 * s};
}

constexpr Fp2 sqr(const Fp2& a) {
    return {detail::add_unreduced(a.c0, a.c1) * (a.c0 - a.c1),
            detail::add_unreduced(a.c0, a.c0) * a.c1};
}

KRNL_BLS_INLINE constexpr Fp2& operator+=(Fp2& a, const Fp2& b) {
    return a = a + b;
}
KRNL_BLS_INLINE constexpr Fp2& operator-=(Fp2& a, const Fp2& b) {
    return a = a - b;
}
constexpr Fp2& operator*=(Fp2& a, const Fp2& b) {
    return a = a * b;
}

constexpr Fp2 half(const Fp2& a) {
    return {half(a.c0), half(a.c1)};
}

// Multiplication by xi = 1 + u: (a + bu)(1 + u) = (a - b) + (a + b)u.
KRNL_BLS_INLINE constexpr Fp2 mul_by_xi(const Fp2& a) {
    return {a.c0 - a.c1, a.c0 + a.c1};
}

constexpr Fp2 inverse(const Fp2& a) {
    const Fp n = inverse(sqr(a.c0) + sqr(a.c1));
    return {a.c0 * n, -(a.c1 * n)};
}

constexpr Fp2 fp2_from_u64(uint64_t c0, uint64_t c1) {
    return {fp_from_u64(c0), fp_from_u64(c1)};
}

// A square root of a if there is one (Adj and Rodriguez-Henriquez, "Square root computation over
// even extension fields", 2014, Algorithm 9, for p = 3 mod 4); false otherwise. Two
// exponentiations in Fp2; kept as the reference for sqrt below.
constexpr bool sqrt_by_fp2_pow(const Fp2& a, Fp2& root) {
    const Fp2 a1 = pow(a, kPMinus3Over4);
    const Fp2 alpha = sqr(a1) * a;
    const Fp2 x0 = a1 * a;
    const Fp2 minus_one = -Fp2::one();
    if (alpha == minus_one) {
        root = {-x0.c1, x0.c0};  // u * x0
    } else {
        const Fp2 b = pow(alpha + Fp2::one(), kPMinus1Over2);
        root = b * x0;
    }
    return sqr(root) == a;
}

// A square root of a if there is one; false otherwise. Through the norm, with two exponentiations
// in Fp instead of two in Fp2 (a quarter of the work): for a = a0 + a1 u with a1 != 0, a root
// x0 + x1 u has x0^2 = t = (a0 + s)/2 or (a0 - s)/2 with s^2 = a0^2 + a1^2 (the two candidates
// multiply to -a1^2/4, a non-square, so exactly one is a square), and x1 = a1/(2 x0).
// z = t^((p-3)/4) gives both without an inversion: if t z^2 = 1, x0 = t z and x1 = a1 z/2; if
// t z^2 = -1, the other candidate's root is x0 = -a1 z/2 with x1 = t z.
constexpr bool sqrt(const Fp2& a, Fp2& root) {
    if (a.c1.is_zero()) {
        // -1 is a non-square: exactly one of a0 and -a0 is a square (both when a0 = 0).
        Fp r;
        if (sqrt(a.c0, r)) {
            root = {r, Fp::zero()};
            return true;
        }
        if (!sqrt(-a.c0, r)) return false;
        root = {Fp::zero(), r};
        return true;
    }
    Fp s;
    if (!sqrt(sqr(a.c0) + sqr(a.c1), s)) return false;  // the norm of a square is a square
    const Fp t = half(a.c0 + s);
    const Fp z = pow(t, kPMinus3Over4);
    const Fp tz = t * z;
    const Fp half_a1_z = half(a.c1 * z);
    root = tz * z == Fp::one() ? Fp2{tz, half_a1_z} : Fp2{-half_a1_z, tz};
    return sqr(root) == a;
}

// RFC 9380 sgn0 for m = 2.
constexpr bool sgn0(const Fp2& a) {
    const bool sign0 = sgn0(a.c0);
    const bool zero0 = a.c0.is_zero();
    return sign0 || (zero0 && sgn0(a.c1));
}

// The compressed encodings' "lexicographically largest" for Fp2: decided by c1, or by c0 when
// c1 is zero.
constexpr bool lexicographically_largest(const Fp2& a) {
    return a.c1.is_zero() ? lexicographically_largest(a.c0) : lexicographically_largest(a.c1);
}

// ---------------------------------------------------------------------------------------------
// Fp6 = Fp2[v]/(v^3 - xi): c0 + c1*v + c2*v^2
struct Fp6 {
    Fp2 c0, c1, c2;

    static constexpr Fp6 zero() { return {}; }
    static constexpr Fp6 one() { return {Fp2::one(), Fp2::zero(), Fp2::zero()}; }
    constexpr bool is_zero() const { return c0.is_zero() && c1.is_zero() && c2.is_zero(); }
    friend constexpr bool operator==(const Fp6&, const Fp6&) = default;
};

constexpr Fp6 operator+(const Fp6& a, const Fp6& b) {
    return {a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2};
}
constexpr Fp6 operator-(const Fp6& a, const Fp6& b) {
    return {a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2};
}
constexpr Fp6 operator-(const Fp6& a) {
    return {-a.c0, -a.c1, -a.c2};
}

constexpr Fp6 operator*(const Fp6& a, const Fp6& b) {
    const Fp2 t0 = a.c0 * b.c0;
    const Fp2 t1 = a.c1 * b.c1;
    const Fp2 t2 = a.c2 * b.c2;
    return {t0 + mul_by_xi((a.c1 + a.c2) * (b.c1 + b.c2) - t1 - t2),
            (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1 + mul_by_xi(t2),
            (a.c0 + a.c2) * (b.c0 + b.c2) - t0 - t2 + t1};
}

constexpr Fp6 operator*(const Fp6& a, const Fp2& s) {
    return {a.c0 * s, a.c1 * s, a.c2 * s};
}

// a * (b0 + b1*v): five Fp2 multiplications.
constexpr Fp6 mul_by_01(const Fp6& a, const Fp2& b0, const Fp2& b1) {
    const Fp2 t0 = a.c0 * b0;
    const Fp2 t1 = a.c1 * b1;
    return {t0 + mul_by_xi(a.c2 * b1), (a.c0 + a.c1) * (b0 + b1) - t0 - t1, t1 + a.c2 * b0};
}

// a * (b1*v): three Fp2 multiplications.
constexpr Fp6 mul_by_1(const Fp6& a, const Fp2& b1) {
    return {mul_by_xi(a.c2 * b1), a.c0 * b1, a.c1 * b1};
}

constexpr Fp6 mul_by_v(const Fp6& a) {
    return {mul_by_xi(a.c2), a.c0, a.c1};
}

constexpr Fp6 sqr(const Fp6& a) {
    const Fp2 s0 = sqr(a.c0);
    const Fp2 s1 = dbl(a.c0 * a.c1);
    const Fp2 s2 = sqr(a.c0 - a.c1 + a.c2);
    const Fp2 s3 = dbl(a.c1 * a.c2);
    const Fp2 s4 = sqr(a.c2);
    return {s0 + mul_by_xi(s3), s1 + mul_by_xi(s4), s1 + s2 + s3 - s0 - s4};
}

constexpr Fp6 inverse(const Fp6& a) {
    const Fp2 t0 = sqr(a.c0) - mul_by_xi(a.c1 * a.c2);
    const Fp2 t1 = mul_by_xi(sqr(a.c2)) - a.c0 * a.c1;
    const Fp2 t2 = sqr(a.c1) - a.c0 * a.c2;
    const Fp2 norm = a.c0 * t0 + mul_by_xi(a.c2 * t1 + a.c1 * t2);
    const Fp2 n = inverse(norm);
    return {t0 * n, t1 * n, t2 * n};
}

// ---------------------------------------------------------------------------------------------
// Fp12 = Fp6[w]/(w^2 - v). As a polynomial in w over Fp2 (w^6 = xi) the coefficient of w^k is:
// k=0 c0.c0, k=1 c1.c0, k=2 c0.c1, k=3 c1.c1, k=4 c0.c2, k=5 c1.c2.
struct Fp12 {
    Fp6 c0, c1;

    static constexpr Fp12 one() { return {Fp6::one(), Fp6::zero()}; }
    friend constexpr bool operator==(const Fp12&, const Fp12&) = default;
};

constexpr Fp12 operator*(const Fp12& a, const Fp12& b) {
    const Fp6 t0 = a.c0 * b.c0;
    const Fp6 t1 = a.c1 * b.c1;
    return {t0 + mul_by_v(t1), (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1};
}

constexpr Fp12 sqr(const Fp12& a) {
    const Fp6 t = a.c0 * a.c1;
    const Fp6 c0 = (a.c0 + a.c1) * (a.c0 + mul_by_v(a.c1)) - t - mul_by_v(t);
    return {c0, t + t};
}

constexpr Fp12 conj(const Fp12& a) {
    return {a.c0, -a.c1};
}

constexpr Fp12 inverse(const Fp12& a) {
    const Fp6 n = inverse(sqr(a.c0) - mul_by_v(sqr(a.c1)));
    return {a.c0 * n, -(a.c1 * n)};
}

// Multiplication by a line value a + b*w^2 + c*w^3 = (a + b*v) + (c*v)*w, the shape of the lines
// of the M-type twist (bls12_381_pairing.cpp).
constexpr Fp12 mul_by_line(const Fp12& f, const Fp2& a, const Fp2& b, const Fp2& c) {
    const Fp6 t0 = mul_by_01(f.c0, a, b);
    const Fp6 t1 = mul_by_1(f.c1, c);
    const Fp6 c1 = mul_by_01(f.c0 + f.c1, a, b + c) - t0 - t1;
    return {t0 + mul_by_v(t1), c1};
}

// ---------------------------------------------------------------------------------------------
// Frobenius constants: gamma1[k] = xi^(k(p-1)/6), gamma2[k] = gamma1[k]^(p+1) (in Fp).
namespace detail {

struct FrobeniusConstants {
    Fp2 gamma1[6];
    Fp2 gamma2[6];
};

constexpr FrobeniusConstants make_frobenius_constants() {
    Limbs e;
    limbs_sub(e, kP, Limbs{{1}});
    const Fp2 g = pow(Fp2{Fp::one(), Fp::one()}, divide_small(e, 6));
    FrobeniusConstants c{};
    c.gamma1[0] = Fp2::one();
    for (int k = 1; k < 6; ++k)
        c.gamma1[k] = c.gamma1[k - 1] * g;
    for (int k = 0; k < 6; ++k)
        c.gamma2[k] = c.gamma1[k] * conj(c.gamma1[k]);
    return c;
}

}  // namespace detail

inline constexpr detail::FrobeniusConstants kFrob = detail::make_frobenius_constants();

constexpr Fp12 frobenius(const Fp12& f) {
    return {{conj(f.c0.c0), conj(f.c0.c1) * kFrob.gamma1[2], conj(f.c0.c2) * kFrob.gamma1[4]},
            {conj(f.c1.c0) * kFrob.gamma1[1], conj(f.c1.c1) * kFrob.gamma1[3],
             conj(f.c1.c2) * kFrob.gamma1[5]}};
}

constexpr Fp12 frobenius2(const Fp12& f) {
    return {
        {f.c0.c0, f.c0.c1 * kFrob.gamma2[2].c0, f.c0.c2 * kFrob.gamma2[4].c0},
        {f.c1.c0 * kFrob.gamma2[1].c0, f.c1.c1 * kFrob.gamma2[3].c0, f.c1.c2 * kFrob.gamma2[5].c0}};
}

// Squaring in the cyclotomic subgroup (Granger-Scott), as in bn254_field.hpp.
constexpr Fp12 cyclotomic_sqr(const Fp12& f) {
    auto fp4_sqr = [](const Fp2& x, const Fp2& y, Fp2& out0, Fp2& out1) {
        const Fp2 x2 = sqr(x);
        const Fp2 y2 = sqr(y);
        out0 = x2 + mul_by_xi(y2);
        out1 = sqr(x + y) - x2 - y2;
    };
    const Fp2 &g0 = f.c0.c0, &g1 = f.c1.c0, &g2 = f.c0.c1, &g3 = f.c1.c1, &g4 = f.c0.c2,
              &g5 = f.c1.c2;
    Fp2 a0, a1, b0, b1, c0, c1;
    fp4_sqr(g0, g3, a0, a1);
    fp4_sqr(g1, g4, b0, b1);
    fp4_sqr(g2, g5, c0, c1);
    const Fp2 sc0 = mul_by_xi(c1);
    const Fp2 sc1 = c0;
    auto three_minus_two = [](const Fp2& sq, const Fp2& g) { return dbl(sq - g) + sq; };
    auto three_plus_two = [](const Fp2& sq, const Fp2& g) { return dbl(sq + g) + sq; };
    const Fp2 n0 = three_minus_two(a0, g0);
    const Fp2 n3 = three_plus_two(a1, g3);
    const Fp2 n1 = three_plus_two(sc0, g1);
    const Fp2 n4 = three_minus_two(sc1, g4);
    const Fp2 n2 = three_minus_two(b0, g2);
    const Fp2 n5 = three_plus_two(b1, g5);
    return {{n0, n2, n4}, {n1, n3, n5}};
}

// Karabina's compressed squaring ("Squaring in cyclotomic subrings", Math. Comp. 2013): an element
// of the cyclotomic subgroup g0 + g1 v + g2 v^2 + (g3 + g4 v + g5 v^2) w is determined by
// (g1, g2, g3, g5), and squaring those costs six Fp2 squarings instead of the nine of
// cyclotomic_sqr. Runs of squarings stay compressed and pay one inversion to decompress.
struct CompressedFp12 {
    Fp2 g1, g2, g3, g5;
};

constexpr CompressedFp12 compress(const Fp12& f) {
    return {f.c0.c1, f.c0.c2, f.c1.c0, f.c1.c2};
}

constexpr CompressedFp12 cyclotomic_sqr_compressed(const CompressedFp12& g) {
    const Fp2 g1_sq = sqr(g.g1);
    const Fp2 g5_sq = sqr(g.g5);
    const Fp2 g2_sq = sqr(g.g2);
    const Fp2 g3_sq = sqr(g.g3);
    const Fp2 two_g1_g5 = sqr(g.g1 + g.g5) - g1_sq - g5_sq;
    const Fp2 two_g2_g3 = sqr(g.g2 + g.g3) - g2_sq - g3_sq;
    CompressedFp12 out;
    // g3' = 3 xi (2 g1 g5) + 2 g3
    const Fp2 xi_t = mul_by_xi(two_g1_g5);
    out.g3 = dbl(xi_t + g.g3) + xi_t;
    // g2' = 3 (g1^2 + xi g5^2) - 2 g2
    const Fp2 a = g1_sq + mul_by_xi(g5_sq);
    out.g2 = dbl(a - g.g2) + a;
    // g1' = 3 (g3^2 + xi g2^2) - 2 g1
    const Fp2 b = g3_sq + mul_by_xi(g2_sq);
    out.g1 = dbl(b - g.g1) + b;
    // g5' = 3 (2 g2 g3) + 2 g5
    out.g5 = dbl(two_g2_g3 + g.g5) + two_g2_g3;
    return out;
}

// The full element back: g4 = (xi g5^2 + 3 g1^2 - 2 g2) / (4 g3), or 2 g1 g5 / g2 when g3 = 0;
// g0 = xi (2 g4^2 + g3 g5 - 3 g1 g2) + 1. (g2 = g3 = 0 only for the element 1.)
constexpr Fp12 decompress(const CompressedFp12& g) {
    Fp2 num, den;
    if (g.g3.is_zero()) {
        if (g.g2.is_zero()) return Fp12::one();
        num = dbl(g.g1 * g.g5);
        den = g.g2;
    } else {
        const Fp2 g1_sq = sqr(g.g1);
        num = mul_by_xi(sqr(g.g5)) + dbl(g1_sq - g.g2) + g1_sq;
        den = dbl(dbl(g.g3));
    }
    const Fp2 g4 = num * inverse(den);
    const Fp2 g1_g2 = g.g1 * g.g2;
    const Fp2 t = dbl(sqr(g4) - g1_g2) - g1_g2 + g.g3 * g.g5;
    const Fp2 g0 = mul_by_xi(t) + Fp2::one();
    return {{g0, g.g1, g.g2}, {g.g3, g4, g.g5}};
}

}  // namespace krnl::evm::bls12_381
