// Field arithmetic of alt_bn128 (bn254): the base field Fp in Montgomery form with 4x64-bit limbs,
// and the tower Fp2 = Fp[i]/(i^2+1), Fp6 = Fp2[v]/(v^3 - xi) with xi = 9+i, Fp12 = Fp6[w]/(w^2 -
// v). Everything is constexpr so that derived constants (Montgomery factors, Frobenius
// coefficients, the twist's b) are computed by the compiler from p alone instead of being pasted in
// as hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "evm/binary_gcd_inverse.hpp"

namespace krnl::evm::bn254 {

using u128 = unsigned __int128;

// A 256-bit unsigned number as little-endian 64-bit limbs.
struct Limbs {
    uint64_t w[4]{};
    friend constexpr bool operator==(const Limbs&, const Limbs&) = default;
};

// p = 21888242871839275222246405745257275088696311157297823662689037894645226208583
inline constexpr Limbs kP{
    {0x3c208c16d87cfd47, 0x97816a916871ca8d, 0xb85045b68181585d, 0x30644e72e131a029}};
// r = 21888242871839275222246405745257275088548364400416034343698204186575808495617 (group order)
inline constexpr Limbs kR{
    {0x43e1f593f0000001, 0x2833e84879b97091, 0xb85045b68181585d, 0x30644e72e131a029}};
// The BN parameter u: p = 36u^4 + 36u^3 + 24u^2 + 6u + 1.
inline constexpr uint64_t kU = 0x44e992b44a6909f1;

constexpr bool limbs_less(const Limbs& a, const Limbs& b) {
    for (int i = 3; i >= 0; --i)
        if (a.w[i] != b.w[i]) return a.w[i] < b.w[i];
    return false;
}

// a - b over 256 bits; returns the borrow.
constexpr uint64_t limbs_sub(Limbs& out, const Limbs& a, const Limbs& b) {
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
        u128 d = static_cast<u128>(a.w[i]) - b.w[i] - borrow;
        out.w[i] = static_cast<uint64_t>(d);
        borrow = static_cast<uint64_t>(d >> 64) & 1;
    }
    return borrow;
}

constexpr uint64_t limbs_add(Limbs& out, const Limbs& a, const Limbs& b) {
    u128 carry = 0;
    for (int i = 0; i < 4; ++i) {
        carry += static_cast<u128>(a.w[i]) + b.w[i];
        out.w[i] = static_cast<uint64_t>(carry);
        carry >>= 64;
    }
    return static_cast<uint64_t>(carry);
}

constexpr bool limbs_bit(const Limbs& a, unsigned i) {
    return (a.w[i / 64] >> (i % 64)) & 1;
}

namespace detail {

// -p^-1 mod 2^64 by Newton iteration (each step doubles the number of correct low bits).
constexpr uint64_t montgomery_inverse() {
    uint64_t inv = 1;
    for (int i = 0; i < 7; ++i)
        inv *= 2 - kP.w[0] * inv;
    return ~inv + 1;
}

// 2^k mod p by doubling, for the Montgomery constants R = 2^256 and R^2.
constexpr Limbs pow2_mod_p(unsigned k) {
    Limbs x{{1, 0, 0, 0}};
    for (unsigned i = 0; i < k; ++i) {
        Limbs d;
        limbs_add(d, x, x);  // x < p < 2^254, so no carry out
        Limbs reduced;
        if (!limbs_sub(reduced, d, kP)) d = reduced;
        x = d;
    }
    return x;
}

}  // namespace detail

inline constexpr uint64_t kPInv = detail::montgomery_inverse();
inline constexpr Limbs kMontOne = detail::pow2_mod_p(256);
inline constexpr Limbs kMontR2 = detail::pow2_mod_p(512);

// An element of Fp, held as a*2^256 mod p (Montgomery form), always fully reduced.
struct Fp {
    Limbs m;

    static constexpr Fp zero() { return {}; }
    static constexpr Fp one() { return {kMontOne}; }
    constexpr bool is_zero() const { return (m.w[0] | m.w[1] | m.w[2] | m.w[3]) == 0; }
    friend constexpr bool operator==(const Fp&, const Fp&) = default;
};

namespace detail {

// Add/subtract with carry. At run time the x86 intrinsics give clean adc/sbb chains; the portable
// form serves constant evaluation and other targets.
constexpr uint64_t addc(uint64_t a, uint64_t b, uint64_t carry_in, uint64_t& carry_out) {
#if defined(__x86_64__)
    if (!std::is_constant_evaluated()) {
        unsigned long long out;
        carry_out = _addcarry_u64(static_cast<unsigned char>(carry_in), a, b, &out);
        return out;
    }
#endif
    const u128 s = static_cast<u128>(a) + b + carry_in;
    carry_out = static_cast<uint64_t>(s >> 64);
    return static_cast<uint64_t>(s);
}

constexpr uint64_t subb(uint64_t a, uint64_t b, uint64_t borrow_in, uint64_t& borrow_out) {
#if defined(__x86_64__)
    if (!std::is_constant_evaluated()) {
        unsigned long long out;
        borrow_out = _subborrow_u64(static_cast<unsigned char>(borrow_in), a, b, &out);
        return out;
    }
#endif
    const u128 d = static_cast<u128>(a) - b - borrow_in;
    borrow_out = static_cast<uint64_t>(d >> 64) & 1;
    return static_cast<uint64_t>(d);
}

// x mod p for x < 2p, without branches (the operands are data-dependent and unpredictable).
constexpr Fp reduce_once(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3) {
    uint64_t b = 0;
    const uint64_t t0 = subb(x0, kP.w[0], 0, b);
    const uint64_t t1 = subb(x1, kP.w[1], b, b);
    const uint64_t t2 = subb(x2, kP.w[2], b, b);
    const uint64_t t3 = subb(x3, kP.w[3], b, b);
    const uint64_t keep_x = 0 - b;  // x < p: keep x
    return Fp{{{t0 ^ ((t0 ^ x0) & keep_x), t1 ^ ((t1 ^ x1) & keep_x), t2 ^ ((t2 ^ x2) & keep_x),
                t3 ^ ((t3 ^ x3) & keep_x)}}};
}

}  // namespace detail

constexpr Fp operator+(const Fp& a, const Fp& b) {
    // Both are below p < 2^254, so the sum cannot carry out of 256 bits.
    uint64_t c = 0;
    const uint64_t s0 = detail::addc(a.m.w[0], b.m.w[0], 0, c);
    const uint64_t s1 = detail::addc(a.m.w[1], b.m.w[1], c, c);
    const uint64_t s2 = detail::addc(a.m.w[2], b.m.w[2], c, c);
    const uint64_t s3 = detail::addc(a.m.w[3], b.m.w[3], c, c);
    return detail::reduce_once(s0, s1, s2, s3);
}

constexpr Fp operator-(const Fp& a, const Fp& b) {
    uint64_t br = 0;
    const uint64_t d0 = detail::subb(a.m.w[0], b.m.w[0], 0, br);
    const uint64_t d1 = detail::subb(a.m.w[1], b.m.w[1], br, br);
    const uint64_t d2 = detail::subb(a.m.w[2], b.m.w[2], br, br);
    const uint64_t d3 = detail::subb(a.m.w[3], b.m.w[3], br, br);
    const uint64_t mask = 0 - br;  // wrapped below zero: add p back
    uint64_t c = 0;
    const uint64_t r0 = detail::addc(d0, kP.w[0] & mask, 0, c);
    const uint64_t r1 = detail::addc(d1, kP.w[1] & mask, c, c);
    const uint64_t r2 = detail::addc(d2, kP.w[2] & mask, c, c);
    const uint64_t r3 = detail::addc(d3, kP.w[3] & mask, c, c);
    return Fp{{{r0, r1, r2, r3}}};
}

constexpr Fp operator-(const Fp& a) {
    return Fp::zero() - a;
}

constexpr Fp dbl(const Fp& a) {
    return a + a;
}

// Montgomery multiplication (CIOS). With p < 2^254 the running value stays below 2p between rounds
// and below 2^320 inside a round, so five words suffice.
constexpr Fp operator*(const Fp& a, const Fp& b) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int i = 0; i < 4; ++i) {
        const uint64_t bi = b.m.w[i];
        u128 c = static_cast<u128>(a.m.w[0]) * bi + t0;
        t0 = static_cast<uint64_t>(c);
        c = (c >> 64) + static_cast<u128>(a.m.w[1]) * bi + t1;
        t1 = static_cast<uint64_t>(c);
        c = (c >> 64) + static_cast<u128>(a.m.w[2]) * bi + t2;
        t2 = static_cast<uint64_t>(c);
        c = (c >> 64) + static_cast<u128>(a.m.w[3]) * bi + t3;
        t3 = static_cast<uint64_t>(c);
        const uint64_t t4 = static_cast<uint64_t>(c >> 64);

        const uint64_t q = t0 * kPInv;
        c = (static_cast<u128>(q) * kP.w[0] + t0) >> 64;
        c += static_cast<u128>(q) * kP.w[1] + t1;
        t0 = static_cast<uint64_t>(c);
        c = (c >> 64) + static_cast<u128>(q) * kP.w[2] + t2;
        t1 = static_cast<uint64_t>(c);
        c = (c >> 64) + static_cast<u128>(q) * kP.w[3] + t3;
        t2 = static_cast<uint64_t>(c);
        t3 = static_cast<uint64_t>(c >> 64) + t4;
    }
    return detail::reduce_once(t0, t1, t2, t3);
}

constexpr Fp sqr(const Fp& a) {
    return a * a;
}

constexpr Fp& operator+=(Fp& a, const Fp& b) {
    return a = a + b;
}
constexpr Fp& operator-=(Fp& a, const Fp& b) {
    return a = a - b;
}
constexpr Fp& operator*=(Fp& a, const Fp& b) {
    return a = a * b;
}

// a/2: add p first when a is odd (p is odd, and a + p < 2^255 cannot overflow).
constexpr Fp half(const Fp& a) {
    Limbs x = a.m;
    if (x.w[0] & 1) limbs_add(x, x, kP);
    for (int i = 0; i < 3; ++i)
        x.w[i] = (x.w[i] >> 1) | (x.w[i + 1] << 63);
    x.w[3] >>= 1;
    return {x};
}

// The value n (must be < p) as a field element.
constexpr Fp fp_from_limbs(const Limbs& n) {
    return Fp{n} * Fp{kMontR2};
}
constexpr Fp fp_from_u64(uint64_t n) {
    return fp_from_limbs(Limbs{{n, 0, 0, 0}});
}
// The canonical integer of a field element.
constexpr Limbs fp_to_limbs(const Fp& a) {
    return (a * Fp{Limbs{{1, 0, 0, 0}}}).m;
}

template <class F>
constexpr F pow(const F& base, const Limbs& e) {
    F result = F::one();
    for (int i = 255; i >= 0; --i) {
        result = result * result;
        if (limbs_bit(e, static_cast<unsigned>(i))) result = result * base;
    }
    return result;
}

namespace detail {

constexpr bool limbs_is_one(const Limbs& a) {
    return a.w[0] == 1 && (a.w[1] | a.w[2] | a.w[3]) == 0;
}

constexpr void limbs_shr1(Limbs& a) {
    for (int i = 0; i < 3; ++i)
        a.w[i] = (a.w[i] >> 1) | (a.w[i + 1] << 63);
    a.w[3] >>= 1;
}

// Binary extended Euclid on the representation A = aR. Tracking x1*A = u*R^2 and x2*A = v*R^2
// (mod p) from x1 = R^2 ends, when u = 1, with x1 = A^-1 R^2 = a^-1 R: the Montgomery form of the
// inverse, with no correction step. Variable time, which is fine: nothing here is secret.
constexpr Fp binary_inverse(const Fp& a) {
    Limbs u = a.m, v = kP;
    Fp x1{kMontR2}, x2 = Fp::zero();
    while (!limbs_is_one(u) && !limbs_is_one(v)) {
        while ((u.w[0] & 1) == 0) {
            limbs_shr1(u);
            x1 = half(x1);
        }
        while ((v.w[0] & 1) == 0) {
            limbs_shr1(v);
            x2 = half(x2);
        }
        if (!limbs_less(u, v)) {
            limbs_sub(u, u, v);
            x1 = x1 - x2;
        } else {
            limbs_sub(v, v, u);
            x2 = x2 - x1;
        }
    }
    return limbs_is_one(u) ? x1 : x2;
}

// The inversion of binary_gcd_inverse.hpp (about four times binary_inverse's speed): 507
// steps suffice, 17 rounds of 31.
inline constexpr int kInverseMaxRounds = 30;

inline constexpr auto kInverseFixup = gcd_inverse::make_fixups<Fp, kInverseMaxRounds>(
    fp_from_limbs(kMontR2), fp_from_u64(uint64_t{1} << 33));

struct GcdField {
    static constexpr int kLimbs = 4;
    static constexpr int kMaxRounds = kInverseMaxRounds;
    static constexpr uint64_t kPInv = bn254::kPInv;
    using Element = Fp;
    static const uint64_t* modulus() { return kP.w; }
    static Fp negate(const Fp& a) { return -a; }
    static Fp reduce(const uint64_t* w) { return reduce_once(w[0], w[1], w[2], w[3]); }
    static Fp fixup(int rounds) { return kInverseFixup.k[rounds]; }
};

}  // namespace detail

// Zero maps to zero.
constexpr Fp inverse(const Fp& a) {
    if (a.is_zero()) return a;
    if (!std::is_constant_evaluated()) {
        Fp out;
        if (gcd_inverse::inverse<detail::GcdField>(a, out)) return out;
    }
    return detail::binary_inverse(a);
}

// The definition a^(p-2), kept to cross-check the fast inverse.
constexpr Fp inverse_by_fermat(const Fp& a) {
    Limbs e;
    limbs_sub(e, kP, Limbs{{2, 0, 0, 0}});
    return pow(a, e);
}

// ---------------------------------------------------------------------------------------------
// Fp2 = Fp[i]/(i^2 + 1): c0 + c1*i
struct Fp2 {
    Fp c0, c1;

    static constexpr Fp2 zero() { return {}; }
    static constexpr Fp2 one() { return {Fp::one(), Fp::zero()}; }
    constexpr bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
    friend constexpr bool operator==(const Fp2&, const Fp2&) = default;
};

constexpr Fp2 operator+(const Fp2& a, const Fp2& b) {
    return {a.c0 + b.c0, a.c1 + b.c1};
}
constexpr Fp2 operator-(const Fp2& a, const Fp2& b) {
    return {a.c0 - b.c0, a.c1 - b.c1};
}
constexpr Fp2 operator-(const Fp2& a) {
    return {-a.c0, -a.c1};
}
constexpr Fp2 dbl(const Fp2& a) {
    return a + a;
}
constexpr Fp2 conj(const Fp2& a) {
    return {a.c0, -a.c1};
}

namespace detail {

// Double-width integers for delayed reduction.
struct Wide {
    uint64_t w[8];
};

// The full 512-bit product of two numbers below 2^256.
constexpr Wide mul_wide(const Limbs& a, const Limbs& b) {
    Wide t{};
    for (int i = 0; i < 4; ++i) {
        u128 c = 0;
        for (int j = 0; j < 4; ++j) {
            c += static_cast<u128>(a.w[i]) * b.w[j] + t.w[i + j];
            t.w[i + j] = static_cast<uint64_t>(c);
            c >>= 64;
        }
        t.w[i + 4] = static_cast<uint64_t>(c);
    }
    return t;
}

constexpr Wide wide_add(const Wide& a, const Wide& b) {
    Wide r;
    uint64_t c = 0;
    for (int i = 0; i < 8; ++i)
        r.w[i] = addc(a.w[i], b.w[i], c, c);
    return r;
}

// a - b; the callers guarantee a >= b.
constexpr Wide wide_sub(const Wide& a, const Wide& b) {
    Wide r;
    uint64_t br = 0;
    for (int i = 0; i < 8; ++i)
        r.w[i] = subb(a.w[i], b.w[i], br, br);
    return r;
}

// Montgomery reduction t/R mod p for t < p*R.
constexpr Fp redc(Wide t) {
    uint64_t top = 0;  // carry out of the window t[i+4]
    for (int i = 0; i < 4; ++i) {
        const uint64_t q = t.w[i] * kPInv;
        u128 c = 0;
        for (int j = 0; j < 4; ++j) {
            c += static_cast<u128>(q) * kP.w[j] + t.w[i + j];
            t.w[i + j] = static_cast<uint64_t>(c);
            c >>= 64;
        }
        c += static_cast<u128>(t.w[i + 4]) + top;
        t.w[i + 4] = static_cast<uint64_t>(c);
        top = static_cast<uint64_t>(c >> 64);
    }
    return reduce_once(t.w[4], t.w[5], t.w[6], t.w[7]);
}

inline constexpr Wide kPSquared = mul_wide(kP, kP);

}  // namespace detail

// Karatsuba with delayed reduction: three 512-bit products but only two reductions.
// c0 = a0 b0 - a1 b1 + p^2 and c1 = (a0 + a1)(b0 + b1) - a0 b0 - a1 b1 both lie in [0, 2p^2),
// and 2p^2 < pR because p < 2^254 (the unreduced sums below 2p also keep c1 exact).
constexpr Fp2 operator*(const Fp2& a, const Fp2& b) {
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

constexpr Fp2 operator*(const Fp2& a, const Fp& s) {
    return {a.c0 * s, a.c1 * s};
}

constexpr Fp2 sqr(const Fp2& a) {
    const Fp t = a.c0 * a.c1;
    return {(a.c0 + a.c1) * (a.c0 - a.c1), t + t};
}

constexpr Fp2& operator+=(Fp2& a, const Fp2& b) {
    return a = a + b;
}
constexpr Fp2& operator-=(Fp2& a, const Fp2& b) {
    return a = a - b;
}
constexpr Fp2& operator*=(Fp2& a, const Fp2& b) {
    return a = a * b;
}

constexpr Fp2 half(const Fp2& a) {
    return {half(a.c0), half(a.c1)};
}

// Multiplication by xi = 9 + i: (a + bi)(9 + i) = (9a - b) + (a + 9b)i.
constexpr Fp2 mul_by_xi(const Fp2& a) {
    auto times9 = [](const Fp& x) {
        Fp t = dbl(dbl(dbl(x)));
        return t + x;
    };
    return {times9(a.c0) - a.c1, a.c0 + times9(a.c1)};
}

constexpr Fp2 inverse(const Fp2& a) {
    const Fp n = inverse(sqr(a.c0) + sqr(a.c1));
    return {a.c0 * n, -(a.c1 * n)};
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

// Karatsuba over the three coefficients: six Fp2 multiplications.
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

// a * (b0 + b1*v), five Fp2 multiplications; used by sparse line multiplication.
constexpr Fp6 mul_by_01(const Fp6& a, const Fp2& b0, const Fp2& b1) {
    const Fp2 t0 = a.c0 * b0;
    const Fp2 t1 = a.c1 * b1;
    return {t0 + mul_by_xi(a.c2 * b1), (a.c0 + a.c1) * (b0 + b1) - t0 - t1, t1 + a.c2 * b0};
}

// a * v = xi*c2 + c0*v + c1*v^2
constexpr Fp6 mul_by_v(const Fp6& a) {
    return {mul_by_xi(a.c2), a.c0, a.c1};
}

constexpr Fp6 sqr(const Fp6& a) {
    // Chung-Hasan SQR2.
    const Fp2 s0 = sqr(a.c0);
    const Fp2 ab = a.c0 * a.c1;
    const Fp2 s1 = dbl(ab);
    const Fp2 s2 = sqr(a.c0 - a.c1 + a.c2);
    const Fp2 bc = a.c1 * a.c2;
    const Fp2 s3 = dbl(bc);
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
// Fp12 = Fp6[w]/(w^2 - v): c0 + c1*w. As a polynomial in w over Fp2 (w^6 = xi) the coefficient
// of w^k is: k=0 c0.c0, k=1 c1.c0, k=2 c0.c1, k=3 c1.c1, k=4 c0.c2, k=5 c1.c2.
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
    // Complex squaring: (c0 + c1 w)^2 = (c0 + c1)(c0 + v c1) - t - v t + 2t w, t = c0 c1.
    const Fp6 t = a.c0 * a.c1;
    const Fp6 c0 = (a.c0 + a.c1) * (a.c0 + mul_by_v(a.c1)) - t - mul_by_v(t);
    return {c0, t + t};
}

// The p^6-power Frobenius, which is the inverse on the cyclotomic subgroup.
constexpr Fp12 conj(const Fp12& a) {
    return {a.c0, -a.c1};
}

constexpr Fp12 inverse(const Fp12& a) {
    const Fp6 n = inverse(sqr(a.c0) - mul_by_v(sqr(a.c1)));
    return {a.c0 * n, -(a.c1 * n)};
}

// Multiplication by a line value a + b*w + c*w^3 = a + (b + c*v)*w: 13 Fp2 multiplications.
constexpr Fp12 mul_by_line(const Fp12& f, const Fp2& a, const Fp2& b, const Fp2& c) {
    const Fp6 t0 = f.c0 * a;
    const Fp6 t1 = mul_by_01(f.c1, b, c);
    const Fp6 c1 = mul_by_01(f.c0 + f.c1, a + b, c) - t0 - t1;
    return {t0 + mul_by_v(t1), c1};
}

// ---------------------------------------------------------------------------------------------
// Frobenius constants: gamma1[k] = xi^(k(p-1)/6), gamma2[k] = xi^(k(p^2-1)/6) = gamma1[k]^(p+1).
namespace detail {

struct FrobeniusConstants {
    Fp2 gamma1[6];
    Fp2 gamma2[6];
};

constexpr FrobeniusConstants make_frobenius_constants() {
    Limbs e;
    limbs_sub(e, kP, Limbs{{1, 0, 0, 0}});
    // (p - 1) / 6 by long division of the limbs.
    Limbs q{};
    u128 rem = 0;
    for (int i = 3; i >= 0; --i) {
        u128 cur = (rem << 64) | e.w[i];
        q.w[i] = static_cast<uint64_t>(cur / 6);
        rem = cur % 6;
    }
    const Fp2 xi{fp_from_u64(9), Fp::one()};
    const Fp2 g = pow(xi, q);
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

// f^p: conjugate every Fp2 coefficient of w^k and scale it by gamma1[k].
constexpr Fp12 frobenius(const Fp12& f) {
    return {{conj(f.c0.c0), conj(f.c0.c1) * kFrob.gamma1[2], conj(f.c0.c2) * kFrob.gamma1[4]},
            {conj(f.c1.c0) * kFrob.gamma1[1], conj(f.c1.c1) * kFrob.gamma1[3],
             conj(f.c1.c2) * kFrob.gamma1[5]}};
}

// f^(p^2): gamma2[k] lies in Fp, so this costs only base-field multiplications.
constexpr Fp12 frobenius2(const Fp12& f) {
    return {
        {f.c0.c0, f.c0.c1 * kFrob.gamma2[2].c0, f.c0.c2 * kFrob.gamma2[4].c0},
        {f.c1.c0 * kFrob.gamma2[1].c0, f.c1.c1 * kFrob.gamma2[3].c0, f.c1.c2 * kFrob.gamma2[5].c0}};
}

// Squaring in the cyclotomic subgroup (Granger-Scott). View f as A + B*w + C*w^2 over
// Fp4 = Fp2[s]/(s^2 - xi) with s = w^3; then f^2 = (3A^2 - 2conj(A)) + (3sC^2 + 2conj(B))w +
// (3B^2 - 2conj(C))w^2, where conj negates the s part.
constexpr Fp12 cyclotomic_sqr(const Fp12& f) {
    // Fp4 squaring of (x + y s): (x^2 + xi y^2) + 2xy s.
    auto fp4_sqr = [](const Fp2& x, const Fp2& y, Fp2& out0, Fp2& out1) {
        const Fp2 x2 = sqr(x);
        const Fp2 y2 = sqr(y);
        out0 = x2 + mul_by_xi(y2);
        out1 = sqr(x + y) - x2 - y2;
    };
    // A = (g0, g3), B = (g1, g4), C = (g2, g5)
    const Fp2 &g0 = f.c0.c0, &g1 = f.c1.c0, &g2 = f.c0.c1, &g3 = f.c1.c1, &g4 = f.c0.c2,
              &g5 = f.c1.c2;
    Fp2 a0, a1, b0, b1, c0, c1;
    fp4_sqr(g0, g3, a0, a1);
    fp4_sqr(g1, g4, b0, b1);
    fp4_sqr(g2, g5, c0, c1);
    // s * C^2 = xi*c1 + c0*s
    const Fp2 sc0 = mul_by_xi(c1);
    const Fp2 sc1 = c0;
    auto three_minus_two = [](const Fp2& sq, const Fp2& g) { return dbl(sq - g) + sq; };
    auto three_plus_two = [](const Fp2& sq, const Fp2& g) { return dbl(sq + g) + sq; };
    const Fp2 n0 = three_minus_two(a0, g0);   // w^0
    const Fp2 n3 = three_plus_two(a1, g3);    // w^3
    const Fp2 n1 = three_plus_two(sc0, g1);   // w^1
    const Fp2 n4 = three_minus_two(sc1, g4);  // w^4
    const Fp2 n2 = three_minus_two(b0, g2);   // w^2
    const Fp2 n5 = three_plus_two(b1, g5);    // w^5
    return {{n0, n2, n4}, {n1, n3, n5}};
}

}  // namespace krnl::evm::bn254
