// Modular inversion by Pornin's batched binary GCD ("Optimized binary GCD for modular inversion",
// ePrint 2020/972, algorithm 2), shared by the BN254 and BLS12-381 base fields. Variable time,
// which is fine: nothing the precompiles invert is secret.
//
// 31 steps at a time run on 64-bit approximations of a and b (their low 31 and top 33 bits), then
// one update of the full values by the collected factors. Each update divides the u, v side by
// 2^64 (a one-word Montgomery reduction) where a and b were divided by 2^31: after j rounds the
// result carries a factor 2^(33j), taken out at the end with one multiplication by the Montgomery
// form of R^2 * 2^(33j) (the field's fixup(j)).
#pragma once

#include <algorithm>
#include <cstdint>

namespace krnl::evm::gcd_inverse {

// What a field gives the inversion (see bn254_field.hpp and bls12_381_fp.hpp):
//   static constexpr int kLimbs, kMaxRounds;       // 64-bit words; rounds before giving up
//   using Element;                                 // Montgomery form, words in .m.w
//   static const uint64_t* modulus();               // p, kLimbs words
//   static constexpr uint64_t kPInv;               // -p^-1 mod 2^64
//   static Element negate(const Element&);
//   static Element reduce(const uint64_t* words);  // a value below 2p, reduced
//   static Element fixup(int rounds);              // Montgomery form of R^2 * 2^(33 rounds)
//   Element * Element                              // Montgomery multiplication

// fixup(j) for j = 0..Rounds: the Montgomery form of R^2 * 2^(33j), built from the Montgomery forms
// of R^2 and 2^33 by the field's own multiplication (at compile time).
template <class Element, int Rounds>
struct Fixups {
    Element k[Rounds + 1];
};

template <class Element, int Rounds>
constexpr Fixups<Element, Rounds> make_fixups(const Element& mont_r2, const Element& two_33) {
    Fixups<Element, Rounds> f{};
    f.k[0] = mont_r2;
    for (int j = 1; j <= Rounds; ++j)
        f.k[j] = f.k[j - 1] * two_33;
    return f;
}

template <int N>
unsigned bit_length(const uint64_t x[N]) {
    for (int i = N - 1; i >= 0; --i)
        if (x[i] != 0) return static_cast<unsigned>(64 * i + 64 - __builtin_clzll(x[i]));
    return 0;
}

// Bits [shift, shift + 64) of x (shift < 64 N).
template <int N>
uint64_t bits_at(const uint64_t x[N], unsigned shift) {
    const unsigned limb = shift / 64, bit = shift % 64;
    uint64_t lo = x[limb] >> bit;
    if (bit != 0 && limb + 1 < static_cast<unsigned>(N)) lo |= x[limb + 1] << (64 - bit);
    return lo;
}

// (f*x + g*y) >> 31 for |f|, |g| <= 2^31 and x, y < 2^(64 N); returns whether it was negative
// (then the magnitude is stored).
template <int N>
bool linear_combination_shift31(uint64_t out[N], const uint64_t x[N], const uint64_t y[N],
                                int64_t f, int64_t g) {
    using i128 = __int128;
    uint64_t t[N + 1];
    i128 carry = 0;
    for (int i = 0; i < N; ++i) {
        // |f*x_i + g*y_i| < 2^96 and |carry| < 2^33: no overflow.
        const i128 sum = static_cast<i128>(f) * static_cast<i128>(x[i]) +
                         static_cast<i128>(g) * static_cast<i128>(y[i]) + carry;
        t[i] = static_cast<uint64_t>(sum);
        carry = sum >> 64;
    }
    t[N] = static_cast<uint64_t>(carry);
    const bool negative = carry < 0;
    if (negative) {
        unsigned __int128 c = 1;
        for (int i = 0; i <= N; ++i) {
            c += ~t[i];
            t[i] = static_cast<uint64_t>(c);
            c >>= 64;
        }
    }
    for (int i = 0; i < N; ++i)
        out[i] = (t[i] >> 31) | (t[i + 1] << 33);
    return negative;
}

// (f*u + g*v) / 2^64 mod p for field elements u, v (raw words) and |f|, |g| <= 2^31.
template <class Field>
typename Field::Element combine_mod_p(const typename Field::Element& u,
                                      const typename Field::Element& v, int64_t f, int64_t g) {
    using u128 = unsigned __int128;
    constexpr int N = Field::kLimbs;
    const auto us = f < 0 ? Field::negate(u) : u;
    const auto vs = g < 0 ? Field::negate(v) : v;
    const uint64_t fa = static_cast<uint64_t>(f < 0 ? -f : f);
    const uint64_t ga = static_cast<uint64_t>(g < 0 ? -g : g);
    uint64_t t[N + 1];
    u128 carry = 0;
    for (int i = 0; i < N; ++i) {
        carry += static_cast<u128>(fa) * us.m.w[i] + static_cast<u128>(ga) * vs.m.w[i];
        t[i] = static_cast<uint64_t>(carry);
        carry >>= 64;
    }
    t[N] = static_cast<uint64_t>(carry);  // t < 2^32 p
    // t + q*p is divisible by 2^64, and (t + q*p) / 2^64 < 2^(32 - 64) t + p < 2p.
    const uint64_t q = t[0] * Field::kPInv;
    const uint64_t* p = Field::modulus();
    carry = 0;
    uint64_t r[N + 1];
    for (int i = 0; i < N; ++i) {
        carry += static_cast<u128>(q) * p[i] + t[i];
        r[i] = static_cast<uint64_t>(carry);
        carry >>= 64;
    }
    r[N] = static_cast<uint64_t>(carry + t[N]);
    return Field::reduce(r + 1);
}

// The Montgomery form of the inverse of a non-zero element; false if the rounds ran out (never
// expected: 2 log2(p) steps suffice; the caller then falls back to a slower inverse).
template <class Field>
bool inverse(const typename Field::Element& y, typename Field::Element& out) {
    using Element = typename Field::Element;
    constexpr int N = Field::kLimbs;
    uint64_t a[N], b[N];
    const uint64_t* p = Field::modulus();
    for (int i = 0; i < N; ++i) {
        a[i] = y.m.w[i];
        b[i] = p[i];
    }
    Element u{}, v{};  // a = u*y*c, b = v*y*c (mod p), c = 2^(33*round)
    u.m.w[0] = 1;
    auto is_zero = [](const uint64_t* x) {
        uint64_t acc = 0;
        for (int i = 0; i < N; ++i)
            acc |= x[i];
        return acc == 0;
    };
    int round = 0;
    while (!is_zero(a)) {
        if (round == Field::kMaxRounds) return false;
        const unsigned n = std::max({bit_length<N>(a), bit_length<N>(b), 64u});
        constexpr uint64_t kLow31 = (uint64_t{1} << 31) - 1;
        uint64_t xa = (a[0] & kLow31) | (bits_at<N>(a, n - 33) << 31);
        uint64_t xb = (b[0] & kLow31) | (bits_at<N>(b, n - 33) << 31);
        int64_t f0 = 1, g0 = 0, f1 = 0, g1 = 1;
        // Branch-free: the branches of the textbook loop are unpredictable.
        for (int i = 0; i < 31; ++i) {
            const uint64_t odd = 0 - (xa & 1);
            const uint64_t swap = odd & (0 - static_cast<uint64_t>(xa < xb));
            const uint64_t dx = (xa ^ xb) & swap;
            xa ^= dx;
            xb ^= dx;
            const int64_t sw = static_cast<int64_t>(swap);
            const int64_t df = (f0 ^ f1) & sw, dg = (g0 ^ g1) & sw;
            f0 ^= df;
            f1 ^= df;
            g0 ^= dg;
            g1 ^= dg;
            const int64_t odd_s = static_cast<int64_t>(odd);
            xa -= xb & odd;
            f0 -= f1 & odd_s;
            g0 -= g1 & odd_s;
            xa >>= 1;
            f1 *= 2;
            g1 *= 2;
        }
        uint64_t na[N], nb[N];
        if (linear_combination_shift31<N>(na, a, b, f0, g0)) {
            f0 = -f0;
            g0 = -g0;
        }
        if (linear_combination_shift31<N>(nb, a, b, f1, g1)) {
            f1 = -f1;
            g1 = -g1;
        }
        const Element nu = combine_mod_p<Field>(u, v, f0, g0);
        const Element nv = combine_mod_p<Field>(u, v, f1, g1);
        std::copy_n(na, N, a);
        std::copy_n(nb, N, b);
        u = nu;
        v = nv;
        ++round;
    }
    if (b[0] != 1) return false;
    for (int i = 1; i < N; ++i)
        if (b[i] != 0) return false;
    out = v * Field::fixup(round);
    return true;
}

}  // namespace krnl::evm::gcd_inverse
