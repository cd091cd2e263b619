// The base field of BLS12-381: Fp (381-bit p) in Montgomery form with 6x64-bit limbs, the limb
// arithmetic under it (including double-width products and their Montgomery reduction), and the
// run-time inverse. Same shape as bn254_field.hpp; derived constants (Montgomery factors,
// exponents) are computed by the compiler from p, and the constants of the specs (RFC 9380,
// EIP-2537) are written in hex exactly as the specs print them. The tower over it is
// bls12_381_tower.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

// Forces the small field operations inline: GCC otherwise leaves them as calls inside the large
// tower and curve functions, and the calls cost about as much as the additions themselves.
#define KRNL_BLS_INLINE [[gnu::always_inline]]

#include "evm/binary_gcd_inverse.hpp"

namespace krnl::evm::bls12_381 {

using u128 = unsigned __int128;
inline constexpr int kLimbs = 6;

// A 384-bit unsigned number as little-endian 64-bit limbs.
struct Limbs {
    uint64_t w[kLimbs]{};
    friend constexpr bool operator==(const Limbs&, const Limbs&) = default;
};

// A number written as "0x..." hex (at most 96 digits), as the specs print their constants.
consteval Limbs limbs_from_hex(std::string_view s) {
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
    Limbs l{};
    unsigned bit = 0;
    for (size_t i = s.size(); i-- > 0;) {
        const char c = s[i];
        const uint64_t d = c >= '0' && c <= '9'   ? static_cast<uint64_t>(c - '0')
                           : c >= 'a' && c <= 'f' ? static_cast<uint64_t>(c - 'a' + 10)
                           : c >= 'A' && c <= 'F' ? static_cast<uint64_t>(c - 'A' + 10)
                                                  : throw "not a hex digit";
        if (bit >= 64 * kLimbs) throw "constant too long";
        l.w[bit / 64] |= d << (bit % 64);
        bit += 4;
    }
    return l;
}

// p, EIP-2537 "Base field modulus".
inline constexpr Limbs kP = limbs_from_hex(
    "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffff"
    "aaab");
// r, the order of G1 and G2 ("main subgroup order q" in EIP-2537; BLS_MODULUS in EIP-4844).
inline constexpr Limbs kR =
    limbs_from_hex("0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
// |x| of the curve parameter x = -0xd201000000010000.
inline constexpr uint64_t kX = 0xd201000000010000;

constexpr bool limbs_less(const Limbs& a, const Limbs& b) {
    for (int i = kLimbs - 1; i >= 0; --i)
        if (a.w[i] != b.w[i]) return a.w[i] < b.w[i];
    return false;
}

constexpr bool limbs_is_zero(const Limbs& a) {
    uint64_t acc = 0;
    for (uint64_t w : a.w)
        acc |= w;
    return acc == 0;
}

// a - b; returns the borrow.
constexpr uint64_t limbs_sub(Limbs& out, const Limbs& a, const Limbs& b) {
    uint64_t borrow = 0;
    for (int i = 0; i < kLimbs; ++i) {
        const u128 d = static_cast<u128>(a.w[i]) - b.w[i] - borrow;
        out.w[i] = static_cast<uint64_t>(d);
        borrow = static_cast<uint64_t>(d >> 64) & 1;
    }
    return borrow;
}

constexpr uint64_t limbs_add(Limbs& out, const Limbs& a, const Limbs& b) {
    u128 carry = 0;
    for (int i = 0; i < kLimbs; ++i) {
        carry += static_cast<u128>(a.w[i]) + b.w[i];
        out.w[i] = static_cast<uint64_t>(carry);
        carry >>= 64;
    }
    return static_cast<uint64_t>(carry);
}

constexpr bool limbs_bit(const Limbs& a, unsigned i) {
    return (a.w[i / 64] >> (i % 64)) & 1;
}

constexpr void limbs_shr1(Limbs& a) {
    for (int i = 0; i < kLimbs - 1; ++i)
        a.w[i] = (a.w[i] >> 1) | (a.w[i + 1] << 63);
    a.w[kLimbs - 1] >>= 1;
}

// Number of significant bits.
constexpr unsigned limbs_bits(const Limbs& a) {
    for (int i = kLimbs - 1; i >= 0; --i)
        if (a.w[i] != 0) return static_cast<unsigned>(64 * i + 64 - __builtin_clzll(a.w[i]));
    return 0;
}

namespace detail {

constexpr uint64_t montgomery_inverse() {
    uint64_t inv = 1;
    for (int i = 0; i < 7; ++i)
        inv *= 2 - kP.w[0] * inv;
    return ~inv + 1;
}

constexpr Limbs pow2_mod_p(unsigned k) {
    Limbs x{{1}};
    for (unsigned i = 0; i < k; ++i) {
        Limbs d;
        limbs_add(d, x, x);  // x < p < 2^381: no carry out
        Limbs reduced;
        if (!limbs_sub(reduced, d, kP)) d = reduced;
        x = d;
    }
    return x;
}

}  // namespace detail

inline constexpr uint64_t kPInv = detail::montgomery_inverse();
inline constexpr Limbs kMontOne = detail::pow2_mod_p(64 * kLimbs);
inline constexpr Limbs kMontR2 = detail::pow2_mod_p(2 * 64 * kLimbs);

// An element of Fp as a*2^384 mod p (Montgomery form), always fully reduced.
struct Fp {
    Limbs m;

    static constexpr Fp zero() { return {}; }
    static constexpr Fp one() { return {kMontOne}; }
    constexpr bool is_zero() const { return limbs_is_zero(m); }
    friend constexpr bool operator==(const Fp&, const Fp&) = default;
};

namespace detail {

KRNL_BLS_INLINE constexpr uint64_t addc(uint64_t a, uint64_t b, uint64_t carry_in,
                                        uint64_t& carry_out) {
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

KRNL_BLS_INLINE constexpr uint64_t subb(uint64_t a, uint64_t b, uint64_t borrow_in,
                                        uint64_t& borrow_out) {
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

// x mod p for x < 2p, without branches.
KRNL_BLS_INLINE constexpr Fp reduce_once(const uint64_t x[kLimbs]) {
    uint64_t t[kLimbs];
    uint64_t b = 0;
    for (int i = 0; i < kLimbs; ++i)
        t[i] = subb(x[i], kP.w[i], b, b);
    Fp out;
    for (int i = 0; i < kLimbs; ++i)
        out.m.w[i] = b ? x[i] : t[i];  // x < p: keep x (compiled to cmov, not a branch)
    return out;
}

}  // namespace detail

KRNL_BLS_INLINE constexpr Fp operator+(const Fp& a, const Fp& b) {
    // Both below p < 2^381: the sum cannot carry out of 384 bits.
    uint64_t s[kLimbs];
    uint64_t c = 0;
    for (int i = 0; i < kLimbs; ++i)
        s[i] = detail::addc(a.m.w[i], b.m.w[i], c, c);
    return detail::reduce_once(s);
}

KRNL_BLS_INLINE constexpr Fp operator-(const Fp& a, const Fp& b) {
    uint64_t d[kLimbs];
    uint64_t br = 0;
    for (int i = 0; i < kLimbs; ++i)
        d[i] = detail::subb(a.m.w[i], b.m.w[i], br, br);
    Fp out;
    uint64_t c = 0;
    for (int i = 0; i < kLimbs; ++i)
        out.m.w[i] = detail::addc(d[i], br ? kP.w[i] : 0, c, c);  // wrapped: add p back (cmov)
    return out;
}

KRNL_BLS_INLINE constexpr Fp operator-(const Fp& a) {
    return Fp::zero() - a;
}

KRNL_BLS_INLINE constexpr Fp dbl(const Fp& a) {
    return a + a;
}

namespace detail {

// (c2:c1:c0) += a*b
constexpr void mac3(uint64_t& c0, uint64_t& c1, uint64_t& c2, uint64_t a, uint64_t b) {
    const u128 p = static_cast<u128>(a) * b;
    uint64_t cf = 0;
    c0 = addc(c0, static_cast<uint64_t>(p), 0, cf);
    c1 = addc(c1, static_cast<uint64_t>(p >> 64), cf, cf);
    c2 += cf;
}

}  // namespace detail

#include "evm/bls12_381_fp_mulx.hpp"  // needs kP and kPInv

// Montgomery multiplication by product scanning (column by column, the quotient digits m[k]
// chosen as each low column completes), with a three-word accumulator: GCC turns each step into
// mul/add/adc/adc, about a fifth fewer instructions than the row-wise CIOS loop. p < 2^381 keeps
// the result below 2p.
constexpr Fp mul_portable(const Fp& x, const Fp& y) {
    const uint64_t* a = x.m.w;
    const uint64_t* b = y.m.w;
    uint64_t m[kLimbs] = {};
    uint64_t r[kLimbs] = {};
    uint64_t c0 = 0, c1 = 0, c2 = 0;
#pragma GCC unroll 6
    for (int k = 0; k < kLimbs; ++k) {
#pragma GCC unroll 6
        for (int i = 0; i < k; ++i) {
            detail::mac3(c0, c1, c2, a[i], b[k - i]);
            detail::mac3(c0, c1, c2, m[i], kP.w[k - i]);
        }
        detail::mac3(c0, c1, c2, a[k], b[0]);
        m[k] = c0 * kPInv;
        detail::mac3(c0, c1, c2, m[k], kP.w[0]);  // clears the low word
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
#pragma GCC unroll 6
    for (int k = kLimbs; k < 2 * kLimbs - 1; ++k) {
#pragma GCC unroll 6
        for (int i = k - kLimbs + 1; i < kLimbs; ++i) {
            detail::mac3(c0, c1, c2, a[i], b[k - i]);
            detail::mac3(c0, c1, c2, m[i], kP.w[k - i]);
        }
        r[k - kLimbs] = c0;
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    r[kLimbs - 1] = c0;
    return detail::reduce_once(r);
}

KRNL_BLS_INLINE constexpr Fp operator*(const Fp& x, const Fp& y) {
#if defined(__x86_64__)
    if (!std::is_constant_evaluated() && detail::kHasMulx) {
        uint64_t r[kLimbs];
        detail::mont_mul_mulx(r, x.m.w, y.m.w);
        return detail::reduce_once(r);
    }
#endif
    return mul_portable(x, y);
}

namespace detail {

// a + b without the final subtraction of p: below 2p, so not a field element for anything but a
// factor of the Montgomery product, which stays below 2p for factors below 2p (4p < 2^384).
KRNL_BLS_INLINE constexpr Fp add_unreduced(const Fp& a, const Fp& b) {
    Fp s;
    uint64_t c = 0;
    for (int i = 0; i < kLimbs; ++i)
        s.m.w[i] = addc(a.m.w[i], b.m.w[i], c, c);
    return s;
}

}  // namespace detail

KRNL_BLS_INLINE constexpr Fp sqr(const Fp& a) {
    return a * a;
}

KRNL_BLS_INLINE constexpr Fp& operator+=(Fp& a, const Fp& b) {
    return a = a + b;
}
KRNL_BLS_INLINE constexpr Fp& operator-=(Fp& a, const Fp& b) {
    return a = a - b;
}
KRNL_BLS_INLINE constexpr Fp& operator*=(Fp& a, const Fp& b) {
    return a = a * b;
}

// a/2: add p first when a is odd (a + p < 2^382 fits).
constexpr Fp half(const Fp& a) {
    Limbs x = a.m;
    if (x.w[0] & 1) limbs_add(x, x, kP);
    limbs_shr1(x);
    return {x};
}

// The value n (must be < p) as a field element.
constexpr Fp fp_from_limbs(const Limbs& n) {
    return Fp{n} * Fp{kMontR2};
}
constexpr Fp fp_from_u64(uint64_t n) {
    return fp_from_limbs(Limbs{{n}});
}
consteval Fp fp_from_hex(std::string_view s) {
    return fp_from_limbs(limbs_from_hex(s));
}
// The canonical integer of a field element.
constexpr Limbs fp_to_limbs(const Fp& a) {
    return (a * Fp{Limbs{{1}}}).m;
}

// Fixed 4-bit windows: a quarter of a multiplication per exponent bit instead of a half.
template <class F>
constexpr F pow(const F& base, const Limbs& e) {
    F table[16];
    table[0] = F::one();
    for (int i = 1; i < 16; ++i)
        table[i] = table[i - 1] * base;
    const int windows = (static_cast<int>(limbs_bits(e)) + 3) / 4;
    F result = F::one();
    for (int w = windows - 1; w >= 0; --w) {
        if (w != windows - 1)
            for (int j = 0; j < 4; ++j)
                result = result * result;
        const unsigned digit = static_cast<unsigned>((e.w[w / 16] >> (4 * (w % 16))) & 15);
        if (digit != 0) result = result * table[digit];
    }
    return result;
}

namespace detail {

constexpr bool limbs_is_one(const Limbs& a) {
    uint64_t rest = 0;
    for (int i = 1; i < kLimbs; ++i)
        rest |= a.w[i];
    return a.w[0] == 1 && rest == 0;
}

// Binary extended Euclid on the Montgomery representation (see bn254_field.hpp): ends with the
// Montgomery form of the inverse. Variable time; nothing here is secret.
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

// (p + 1) / 4, (p - 1) / 2 and (p - 3) / 4: the exponents of square roots and of Euler's
// criterion (p = 3 mod 4).
constexpr Limbs p_plus_1_over_4() {
    Limbs e;
    limbs_add(e, kP, Limbs{{1}});
    limbs_shr1(e);
    limbs_shr1(e);
    return e;
}
constexpr Limbs p_minus_1_over_2() {
    Limbs e;
    limbs_sub(e, kP, Limbs{{1}});
    limbs_shr1(e);
    return e;
}
constexpr Limbs p_minus_3_over_4() {
    Limbs e;
    limbs_sub(e, kP, Limbs{{3}});
    limbs_shr1(e);
    limbs_shr1(e);
    return e;
}

}  // namespace detail

inline constexpr Limbs kPPlus1Over4 = detail::p_plus_1_over_4();
inline constexpr Limbs kPMinus1Over2 = detail::p_minus_1_over_2();
inline constexpr Limbs kPMinus3Over4 = detail::p_minus_3_over_4();

namespace detail {

// The inversion of binary_gcd_inverse.hpp: 761 steps suffice, 25 rounds of 31.
inline constexpr int kInverseMaxRounds = 40;

// kInverseFixup.k[j] takes out the factor 2^(33j) that j rounds leave on the result.
inline constexpr auto kInverseFixup = gcd_inverse::make_fixups<Fp, kInverseMaxRounds>(
    fp_from_limbs(kMontR2), fp_from_u64(uint64_t{1} << 33));

struct GcdField {
    static constexpr int kLimbs = bls12_381::kLimbs;
    static constexpr int kMaxRounds = kInverseMaxRounds;
    static constexpr uint64_t kPInv = bls12_381::kPInv;
    using Element = Fp;
    static const uint64_t* modulus() { return kP.w; }
    static Fp negate(const Fp& a) { return -a; }
    static Fp reduce(const uint64_t* words) { return reduce_once(words); }
    static Fp fixup(int rounds) { return kInverseFixup.k[rounds]; }
};

// Montgomery form of the inverse of a non-zero element; false if the rounds ran out (never
// expected; the caller then falls back to binary_inverse).
inline bool batched_gcd_inverse(const Fp& y, Fp& out) {
    return gcd_inverse::inverse<GcdField>(y, out);
}

}  // namespace detail

// Zero maps to zero.
constexpr Fp inverse(const Fp& a) {
    if (a.is_zero()) return a;
    if (!std::is_constant_evaluated()) {
        Fp out;
        if (detail::batched_gcd_inverse(a, out)) return out;
    }
    return detail::binary_inverse(a);
}

constexpr Fp inverse_by_fermat(const Fp& a) {
    Limbs e;
    limbs_sub(e, kP, Limbs{{2}});
    return pow(a, e);
}

// A square root of a if a is a square (p = 3 mod 4: a^((p+1)/4)); false otherwise.
constexpr bool sqrt(const Fp& a, Fp& root) {
    root = pow(a, kPPlus1Over4);
    return sqr(root) == a;
}

// RFC 9380 sgn0 for m = 1: the parity of the canonical integer.
constexpr bool sgn0(const Fp& a) {
    return fp_to_limbs(a).w[0] & 1;
}

// "Lexicographically largest" of the compressed encodings: the canonical integer > (p-1)/2.
constexpr bool lexicographically_largest(const Fp& a) {
    return limbs_less(kPMinus1Over2, fp_to_limbs(a));
}

namespace detail {

struct Wide {
    uint64_t w[2 * kLimbs];
};

// (c2:c1:c0) += a
constexpr void add3(uint64_t& c0, uint64_t& c1, uint64_t& c2, uint64_t a) {
    uint64_t cf = 0;
    c0 = addc(c0, a, 0, cf);
    c1 = addc(c1, 0, cf, cf);
    c2 += cf;
}

// The full 768-bit product, by product scanning as in operator*(Fp, Fp).
constexpr Wide mul_wide(const Limbs& a, const Limbs& b) {
    Wide t{};
    uint64_t c0 = 0, c1 = 0, c2 = 0;
#pragma GCC unroll 11
    for (int k = 0; k < 2 * kLimbs - 1; ++k) {
#pragma GCC unroll 6
        for (int i = k < kLimbs ? 0 : k - kLimbs + 1; i <= k && i < kLimbs; ++i)
            mac3(c0, c1, c2, a.w[i], b.w[k - i]);
        t.w[k] = c0;
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    t.w[2 * kLimbs - 1] = c0;
    return t;
}

constexpr Wide wide_add(const Wide& a, const Wide& b) {
    Wide r;
    uint64_t c = 0;
    for (int i = 0; i < 2 * kLimbs; ++i)
        r.w[i] = addc(a.w[i], b.w[i], c, c);
    return r;
}

// a - b; the callers guarantee a >= b.
constexpr Wide wide_sub(const Wide& a, const Wide& b) {
    Wide r;
    uint64_t br = 0;
    for (int i = 0; i < 2 * kLimbs; ++i)
        r.w[i] = subb(a.w[i], b.w[i], br, br);
    return r;
}

// Montgomery reduction t/R mod p for t < p*R, by product scanning; the result is below 2p
// before the final subtraction.
constexpr Fp redc(const Wide& t) {
    uint64_t m[kLimbs] = {};
    uint64_t r[kLimbs] = {};
    uint64_t c0 = 0, c1 = 0, c2 = 0;
#pragma GCC unroll 6
    for (int k = 0; k < kLimbs; ++k) {
        add3(c0, c1, c2, t.w[k]);
#pragma GCC unroll 6
        for (int i = 0; i < k; ++i)
            mac3(c0, c1, c2, m[i], kP.w[k - i]);
        m[k] = c0 * kPInv;
        mac3(c0, c1, c2, m[k], kP.w[0]);  // clears the low word
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
#pragma GCC unroll 6
    for (int k = kLimbs; k < 2 * kLimbs; ++k) {
        add3(c0, c1, c2, t.w[k]);
#pragma GCC unroll 6
        for (int i = k - kLimbs + 1; i < kLimbs; ++i)
            mac3(c0, c1, c2, m[i], kP.w[k - i]);
        r[k - kLimbs] = c0;
        c0 = c1;
        c1 = c2;
        c2 = 0;
    }
    return reduce_once(r);
}

inline constexpr Wide kPSquared = mul_wide(kP, kP);

constexpr Limbs divide_small(const Limbs& n, uint64_t d) {
    Limbs q{};
    u128 rem = 0;
    for (int i = kLimbs - 1; i >= 0; --i) {
        const u128 cur = (rem << 64) | n.w[i];
        q.w[i] = static_cast<uint64_t>(cur / d);
        rem = cur % d;
    }
    return q;
}

}  // namespace detail

}  // namespace krnl::evm::bls12_381
