// 256-bit unsigned integer for the EVM: arithmetic mod 2^256 plus the EVM's signed, modular and
// byte-level operations. Hot operations are inline; division and its users live in uint256.cpp.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/bytes.hpp"

namespace krnl {

using uint128_t = unsigned __int128;

// Word-level primitives. The x86-64 carry builtins make GCC emit straight adc/sbb chains; the
// portable versions keep everything usable in constant expressions.
namespace detail {

constexpr uint64_t add_with_carry(uint64_t a, uint64_t b, bool& carry) {
#if defined(__x86_64__)
    if
        !consteval {
            unsigned long long sum;
            carry = __builtin_ia32_addcarryx_u64(carry, a, b, &sum);
            return sum;
        }
#endif
    const uint64_t partial = a + b;
    const uint64_t sum = partial + carry;
    carry = (partial < a) | (sum < partial);
    return sum;
}

constexpr uint64_t sub_with_borrow(uint64_t a, uint64_t b, bool& borrow) {
#if defined(__x86_64__)
    if
        !consteval {
            unsigned long long diff;
#if defined(__clang__)  // clang's name for GCC's __builtin_ia32_sbb_u64
            borrow = __builtin_ia32_subborrow_u64(borrow, a, b, &diff);
#else
            borrow = __builtin_ia32_sbb_u64(borrow, a, b, &diff);
#endif
            return diff;
        }
#endif
    const uint64_t partial = a - b;
    const uint64_t diff = partial - borrow;
    borrow = (a < b) | (partial < static_cast<uint64_t>(borrow));
    return diff;
}

struct uint128_parts {
    uint64_t lo;
    uint64_t hi;
};

constexpr uint128_parts mul_wide(uint64_t a, uint64_t b) {
    const uint128_t p = static_cast<uint128_t>(a) * b;
    return {static_cast<uint64_t>(p), static_cast<uint64_t>(p >> 64)};
}

// Reciprocal of a normalised divisor d (top bit set): floor((2^128 - 1) / d) - 2^64, the
// constant that turns division by d into multiplications (Möller & Granlund, "Improved division
// by invariant integers", 2011).
inline uint64_t reciprocal_2by1(uint64_t d) {
#if defined(__x86_64__)
    // The numerator is (~d, ~0); its high word is below d, so the quotient fits one divq.
    uint64_t quotient, remainder;
    asm("divq %4" : "=a"(quotient), "=d"(remainder) : "a"(~uint64_t{0}), "d"(~d), "r"(d));
    return quotient;
#else
    const uint128_t numerator = (static_cast<uint128_t>(~d) << 64) | ~uint64_t{0};
    return static_cast<uint64_t>(numerator / d);
#endif
}

// Reciprocal of a normalised two-word divisor (d1, d0): floor((2^192 - 1) / (d1, d0)) - 2^64.
inline uint64_t reciprocal_3by2(uint64_t d1, uint64_t d0) {
    uint64_t v = reciprocal_2by1(d1);
    uint64_t p = d1 * v + d0;
    if (p < d0) {
        --v;
        if (p >= d1) {
            --v;
            p -= d1;
        }
        p -= d1;
    }
    const auto t = mul_wide(v, d0);
    p += t.hi;
    if (p < t.hi) {
        --v;
        if (p > d1 || (p == d1 && t.lo >= d0)) --v;
    }
    return v;
}

struct div2by1_result {
    uint64_t quot;
    uint64_t rem;
};

// (u1, u0) / d for normalised d with u1 < d, using v = reciprocal_2by1(d).
inline div2by1_result udivrem_2by1(uint64_t u1, uint64_t u0, uint64_t d, uint64_t v) {
    uint128_t q = static_cast<uint128_t>(v) * u1;
    q += (static_cast<uint128_t>(u1) << 64) | u0;
    uint64_t q1 = static_cast<uint64_t>(q >> 64) + 1;
    const uint64_t q0 = static_cast<uint64_t>(q);
    uint64_t r = u0 - q1 * d;
    // This correction happens about half the time at random, so it is done without a branch.
    const uint64_t correction = 0 - static_cast<uint64_t>(r > q0);
    q1 += correction;
    r += d & correction;
    if (__builtin_expect(r >= d, 0)) {
        ++q1;
        r -= d;
    }
    return {q1, r};
}

struct div3by2_result {
    uint64_t quot;
    uint64_t rem_lo;
    uint64_t rem_hi;
};

// (u2, u1, u0) / (d1, d0) for a normalised divisor with (u2, u1) < (d1, d0), using
// v = reciprocal_3by2(d1, d0). Returns the one-word quotient and the two-word remainder.
inline div3by2_result udivrem_3by2(uint64_t u2, uint64_t u1, uint64_t u0, uint64_t d1, uint64_t d0,
                                   uint64_t v) {
    uint128_t q = static_cast<uint128_t>(v) * u2;
    q += (static_cast<uint128_t>(u2) << 64) | u1;
    uint64_t q1 = static_cast<uint64_t>(q >> 64);
    const uint64_t q0 = static_cast<uint64_t>(q);

    const uint128_t d = (static_cast<uint128_t>(d1) << 64) | d0;
    const uint64_t r1_partial = u1 - q1 * d1;
    uint128_t r =
        ((static_cast<uint128_t>(r1_partial) << 64) | u0) - static_cast<uint128_t>(d0) * q1 - d;
    ++q1;
    // As in udivrem_2by1, an unpredictable correction, done without a branch.
    const uint64_t correction = 0 - static_cast<uint64_t>(static_cast<uint64_t>(r >> 64) >= q0);
    q1 += correction;
    r += (static_cast<uint128_t>(d1 & correction) << 64) | (d0 & correction);
    if (__builtin_expect(r >= d, 0)) {
        ++q1;
        r -= d;
    }
    return {q1, static_cast<uint64_t>(r), static_cast<uint64_t>(r >> 64)};
}

}  // namespace detail

struct uint256 {
    uint64_t w[4];  // little-endian limbs: w[0] is the least significant

    constexpr uint256() : w{} {}
    constexpr uint256(uint64_t v) : w{v, 0, 0, 0} {}
    constexpr uint256(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3) : w{w0, w1, w2, w3} {}

    static uint256 load_be(const uint8_t* p) {
        // Built from named limbs so the value stays in registers (MLOAD's hot path).
        const auto word = [p](int i) {
            uint64_t v;
            std::memcpy(&v, p + 8 * i, 8);
            return __builtin_bswap64(v);
        };
        return {word(3), word(2), word(1), word(0)};
    }

    void store_be(uint8_t* p) const {
        for (int i = 0; i < 4; ++i) {
            const uint64_t word = __builtin_bswap64(w[3 - i]);
            std::memcpy(p + 8 * i, &word, 8);
        }
    }

    // Up to 32 bytes, right-aligned; longer input keeps its last 32 bytes.
    static uint256 from_be(bytes_view b) {
        if (b.size() >= 32) return load_be(b.data() + b.size() - 32);
        uint8_t padded[32]{};
        if (!b.empty()) std::memcpy(padded + 32 - b.size(), b.data(), b.size());
        return load_be(padded);
    }

    bytes32 to_bytes32() const {
        bytes32 r;
        store_be(r.bytes);
        return r;
    }
    static uint256 from_bytes32(const bytes32& b) { return load_be(b.bytes); }

    explicit constexpr operator bool() const { return (w[0] | w[1] | w[2] | w[3]) != 0; }
    constexpr uint64_t low64() const { return w[0]; }
    constexpr bool fits_u64() const { return (w[1] | w[2] | w[3]) == 0; }

    constexpr uint256& operator+=(const uint256& o);
    constexpr uint256& operator-=(const uint256& o);
    constexpr uint256& operator*=(const uint256& o);
    uint256& operator/=(const uint256& o);
    uint256& operator%=(const uint256& o);
    constexpr uint256& operator&=(const uint256& o);
    constexpr uint256& operator|=(const uint256& o);
    constexpr uint256& operator^=(const uint256& o);
    constexpr uint256& operator<<=(uint64_t shift);
    constexpr uint256& operator>>=(uint64_t shift);
    constexpr uint256& operator<<=(const uint256& shift);
    constexpr uint256& operator>>=(const uint256& shift);
    constexpr uint256& operator++();
    constexpr uint256& operator--();
    constexpr uint256 operator++(int);
    constexpr uint256 operator--(int);
};

static_assert(sizeof(uint256) == 32);
static_assert(alignof(uint256) >= 8);
static_assert(std::is_trivially_copyable_v<uint256>);
static_assert(std::is_standard_layout_v<uint256>);

// The full product of two uint256 values, and the dividend of mulmod.
struct uint512 {
    uint64_t w[8];  // little-endian limbs

    constexpr uint512() : w{} {}
    constexpr uint512(const uint256& lo, const uint256& hi)
        : w{lo.w[0], lo.w[1], lo.w[2], lo.w[3], hi.w[0], hi.w[1], hi.w[2], hi.w[3]} {}
    constexpr uint256 lo() const { return {w[0], w[1], w[2], w[3]}; }
    constexpr uint256 hi() const { return {w[4], w[5], w[6], w[7]}; }
    friend constexpr bool operator==(const uint512&, const uint512&) = default;
};

template <typename T>
struct div_result {
    T quot;
    T rem;
};

// ---- arithmetic mod 2^256 ----

// Limbs go through named scalars and the four-limb constructor: GCC then emits a plain add/adc
// (sub/sbb) chain and four stores, instead of assembling the result in a stack temporary and
// copying it with vector moves that stall on store forwarding.
constexpr uint256 operator+(const uint256& a, const uint256& b) {
    bool carry = false;
    const uint64_t r0 = detail::add_with_carry(a.w[0], b.w[0], carry);
    const uint64_t r1 = detail::add_with_carry(a.w[1], b.w[1], carry);
    const uint64_t r2 = detail::add_with_carry(a.w[2], b.w[2], carry);
    const uint64_t r3 = detail::add_with_carry(a.w[3], b.w[3], carry);
    return {r0, r1, r2, r3};
}

constexpr uint256 operator-(const uint256& a, const uint256& b) {
    bool borrow = false;
    const uint64_t r0 = detail::sub_with_borrow(a.w[0], b.w[0], borrow);
    const uint64_t r1 = detail::sub_with_borrow(a.w[1], b.w[1], borrow);
    const uint64_t r2 = detail::sub_with_borrow(a.w[2], b.w[2], borrow);
    const uint64_t r3 = detail::sub_with_borrow(a.w[3], b.w[3], borrow);
    return {r0, r1, r2, r3};
}

constexpr uint256 operator-(const uint256& a) {
    return uint256{} - a;
}
constexpr uint256 operator+(const uint256& a) {
    return a;
}

// Truncated schoolbook product: only the ten partial products that reach the low 256 bits.
constexpr uint256 operator*(const uint256& a, const uint256& b) {
    uint256 r;
#pragma GCC unroll 4
    for (int i = 0; i < 3; ++i) {
        uint64_t carry = 0;
#pragma GCC unroll 4
        for (int j = 0; j < 3 - i; ++j) {
            const uint128_t p = static_cast<uint128_t>(a.w[i]) * b.w[j] + r.w[i + j] + carry;
            r.w[i + j] = static_cast<uint64_t>(p);
            carry = static_cast<uint64_t>(p >> 64);
        }
        r.w[3] += a.w[i] * b.w[3 - i] + carry;
    }
    r.w[3] += a.w[3] * b.w[0];
    return r;
}

constexpr uint512 umul(const uint256& a, const uint256& b) {
    uint512 r;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        uint64_t carry = 0;
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
            const uint128_t p = static_cast<uint128_t>(a.w[i]) * b.w[j] + r.w[i + j] + carry;
            r.w[i + j] = static_cast<uint64_t>(p);
            carry = static_cast<uint64_t>(p >> 64);
        }
        r.w[i + 4] = carry;
    }
    return r;
}

constexpr uint256 operator~(const uint256& a) {
    return {~a.w[0], ~a.w[1], ~a.w[2], ~a.w[3]};
}

constexpr uint256 operator&(const uint256& a, const uint256& b) {
    return {a.w[0] & b.w[0], a.w[1] & b.w[1], a.w[2] & b.w[2], a.w[3] & b.w[3]};
}
constexpr uint256 operator|(const uint256& a, const uint256& b) {
    return {a.w[0] | b.w[0], a.w[1] | b.w[1], a.w[2] | b.w[2], a.w[3] | b.w[3]};
}
constexpr uint256 operator^(const uint256& a, const uint256& b) {
    return {a.w[0] ^ b.w[0], a.w[1] ^ b.w[1], a.w[2] ^ b.w[2], a.w[3] ^ b.w[3]};
}

// ---- division (out of line; division by zero yields zero quotient and remainder) ----

div_result<uint256> udivrem(const uint256& a, const uint256& b);
// 512-by-256 division: quotient may need all 512 bits, remainder fits 256.
div_result<uint512> udivrem(const uint512& a, const uint256& b);

namespace detail {
// Operands below 2^128 (the common case for real programs) divide with the compiler's 128-bit
// division, which for 64-bit divisors is one or two divq instructions.
constexpr bool both_below_2_128(const uint256& a, const uint256& b) {
    return (a.w[2] | a.w[3] | b.w[2] | b.w[3]) == 0;
}
constexpr uint128_t low128(const uint256& x) {
    return static_cast<uint128_t>(x.w[1]) << 64 | x.w[0];
}
constexpr uint256 from128(uint128_t x) {
    return {static_cast<uint64_t>(x), static_cast<uint64_t>(x >> 64), 0, 0};
}
}  // namespace detail

// (Results are selected as scalars, not as whole uint256 values: a select between two
// aggregates goes through the stack and stalls the reload.)
inline uint256 operator/(const uint256& a, const uint256& b) {
    if (detail::both_below_2_128(a, b)) {
        const uint128_t d = detail::low128(b);
        return detail::from128(d != 0 ? detail::low128(a) / d : 0);
    }
    return udivrem(a, b).quot;
}

inline uint256 operator%(const uint256& a, const uint256& b) {
    if (detail::both_below_2_128(a, b)) {
        const uint128_t d = detail::low128(b);
        return detail::from128(d != 0 ? detail::low128(a) % d : 0);
    }
    return udivrem(a, b).rem;
}

// ---- shifts (by 256 or more give zero) ----

// Shifts, SIGNEXTEND, BYTE and SAR below are written as selects over named limbs with a single
// return: a uint256 chosen between two whole values, or indexed by a run-time limb number, is
// assembled on the stack, and reloading it stalls the interpreter (measured on SIGNEXTEND: 3x).
constexpr uint256 operator<<(const uint256& x, uint64_t shift) {
    uint64_t w0 = x.w[0], w1 = x.w[1], w2 = x.w[2], w3 = x.w[3];
    const uint64_t keep = shift < 256 ? ~uint64_t{0} : 0;
    if (shift & 128) {
        w3 = w1;
        w2 = w0;
        w1 = w0 = 0;
    }
    if (shift & 64) {
        w3 = w2;
        w2 = w1;
        w1 = w0;
        w0 = 0;
    }
    const unsigned bits = shift & 63;
    // (w >> 1) >> (63 - bits) is w >> (64 - bits) without the undefined shift by 64 when bits == 0.
    return {(w0 << bits) & keep, ((w1 << bits) | ((w0 >> 1) >> (63 - bits))) & keep,
            ((w2 << bits) | ((w1 >> 1) >> (63 - bits))) & keep,
            ((w3 << bits) | ((w2 >> 1) >> (63 - bits))) & keep};
}

constexpr uint256 operator>>(const uint256& x, uint64_t shift) {
    uint64_t w0 = x.w[0], w1 = x.w[1], w2 = x.w[2], w3 = x.w[3];
    const uint64_t keep = shift < 256 ? ~uint64_t{0} : 0;
    if (shift & 128) {
        w0 = w2;
        w1 = w3;
        w2 = w3 = 0;
    }
    if (shift & 64) {
        w0 = w1;
        w1 = w2;
        w2 = w3;
        w3 = 0;
    }
    const unsigned bits = shift & 63;
    return {((w0 >> bits) | ((w1 << 1) << (63 - bits))) & keep,
            ((w1 >> bits) | ((w2 << 1) << (63 - bits))) & keep,
            ((w2 >> bits) | ((w3 << 1) << (63 - bits))) & keep, (w3 >> bits) & keep};
}

constexpr uint256 operator<<(const uint256& x, const uint256& shift) {
    return x << (shift.fits_u64() ? shift.w[0] : 256);
}
constexpr uint256 operator>>(const uint256& x, const uint256& shift) {
    return x >> (shift.fits_u64() ? shift.w[0] : 256);
}

// ---- comparisons (unsigned) ----

constexpr bool operator==(const uint256& a, const uint256& b) {
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) | (a.w[3] ^ b.w[3])) == 0;
}

constexpr bool operator<(const uint256& a, const uint256& b) {
    bool borrow = false;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i)
        detail::sub_with_borrow(a.w[i], b.w[i], borrow);
    return borrow;
}
constexpr bool operator>(const uint256& a, const uint256& b) {
    return b < a;
}
constexpr bool operator<=(const uint256& a, const uint256& b) {
    return !(b < a);
}
constexpr bool operator>=(const uint256& a, const uint256& b) {
    return !(a < b);
}

constexpr std::strong_ordering operator<=>(const uint256& a, const uint256& b) {
    if (a == b) return std::strong_ordering::equal;
    return a < b ? std::strong_ordering::less : std::strong_ordering::greater;
}

constexpr bool operator==(const uint256& a, uint64_t b) {
    return ((a.w[0] ^ b) | a.w[1] | a.w[2] | a.w[3]) == 0;
}
constexpr std::strong_ordering operator<=>(const uint256& a, uint64_t b) {
    if (!a.fits_u64()) return std::strong_ordering::greater;
    return a.w[0] <=> b;
}

// ---- compound assignment ----

constexpr uint256& uint256::operator+=(const uint256& o) {
    return *this = *this + o;
}
constexpr uint256& uint256::operator-=(const uint256& o) {
    return *this = *this - o;
}
constexpr uint256& uint256::operator*=(const uint256& o) {
    return *this = *this * o;
}
inline uint256& uint256::operator/=(const uint256& o) {
    return *this = *this / o;
}
inline uint256& uint256::operator%=(const uint256& o) {
    return *this = *this % o;
}
constexpr uint256& uint256::operator&=(const uint256& o) {
    return *this = *this & o;
}
constexpr uint256& uint256::operator|=(const uint256& o) {
    return *this = *this | o;
}
constexpr uint256& uint256::operator^=(const uint256& o) {
    return *this = *this ^ o;
}
constexpr uint256& uint256::operator<<=(uint64_t s) {
    return *this = *this << s;
}
constexpr uint256& uint256::operator>>=(uint64_t s) {
    return *this = *this >> s;
}
constexpr uint256& uint256::operator<<=(const uint256& s) {
    return *this = *this << s;
}
constexpr uint256& uint256::operator>>=(const uint256& s) {
    return *this = *this >> s;
}
constexpr uint256& uint256::operator++() {
    return *this += 1;
}
constexpr uint256& uint256::operator--() {
    return *this -= 1;
}
constexpr uint256 uint256::operator++(int) {
    const uint256 old = *this;
    *this += 1;
    return old;
}
constexpr uint256 uint256::operator--(int) {
    const uint256 old = *this;
    *this -= 1;
    return old;
}

// ---- bit counting ----

constexpr unsigned clz(const uint256& x) {
    if (x.w[3] != 0) return static_cast<unsigned>(__builtin_clzll(x.w[3]));
    if (x.w[2] != 0) return 64 + static_cast<unsigned>(__builtin_clzll(x.w[2]));
    if (x.w[1] != 0) return 128 + static_cast<unsigned>(__builtin_clzll(x.w[1]));
    if (x.w[0] != 0) return 192 + static_cast<unsigned>(__builtin_clzll(x.w[0]));
    return 256;
}

constexpr unsigned count_significant_bytes(const uint256& x) {
    return (256 - clz(x) + 7) / 8;
}

// ---- EVM signed and byte operations ----

constexpr bool is_negative(const uint256& x) {
    return (x.w[3] >> 63) != 0;
}

constexpr bool slt(const uint256& a, const uint256& b) {
    // Flipping the sign bits maps two's complement order onto unsigned order.
    constexpr uint64_t sign = uint64_t{1} << 63;
    return uint256{a.w[0], a.w[1], a.w[2], a.w[3] ^ sign} <
           uint256{b.w[0], b.w[1], b.w[2], b.w[3] ^ sign};
}
constexpr bool sgt(const uint256& a, const uint256& b) {
    return slt(b, a);
}

// Arithmetic that reports overflow instead of wrapping (fee and balance checks).
inline std::optional<uint256> checked_mul(const uint256& a, uint64_t b) {
    uint128_t carry = 0;
    uint64_t r[4];
    for (int i = 0; i < 4; ++i) {
        const uint128_t p = static_cast<uint128_t>(a.w[i]) * b + carry;
        r[i] = static_cast<uint64_t>(p);
        carry = p >> 64;
    }
    if (carry != 0) return std::nullopt;
    return uint256{r[0], r[1], r[2], r[3]};
}

inline std::optional<uint256> checked_add(const uint256& a, const uint256& b) {
    const uint256 sum = a + b;
    if (sum < a) return std::nullopt;
    return sum;
}

// x when mask is 0, -x when mask is all ones: (x ^ mask) - mask, limb by limb.
constexpr uint256 negate_if(const uint256& x, uint64_t mask) {
    bool borrow = false;
    const uint64_t r0 = detail::sub_with_borrow(x.w[0] ^ mask, mask, borrow);
    const uint64_t r1 = detail::sub_with_borrow(x.w[1] ^ mask, mask, borrow);
    const uint64_t r2 = detail::sub_with_borrow(x.w[2] ^ mask, mask, borrow);
    const uint64_t r3 = detail::sub_with_borrow(x.w[3] ^ mask, mask, borrow);
    return {r0, r1, r2, r3};
}

// All ones for a negative (two's complement) value, else zero.
constexpr uint64_t sign_mask(const uint256& x) {
    return static_cast<uint64_t>(static_cast<int64_t>(x.w[3]) >> 63);
}

// Signed division on magnitudes, inline so the small-operand paths of / and % apply; the signs
// are applied branch-free.
inline uint256 sdiv(const uint256& a, const uint256& b) {
    const uint64_t a_sign = sign_mask(a), b_sign = sign_mask(b);
    return negate_if(negate_if(a, a_sign) / negate_if(b, b_sign), a_sign ^ b_sign);
}

inline uint256 smod(const uint256& a, const uint256& b) {
    const uint64_t a_sign = sign_mask(a);
    return negate_if(negate_if(a, a_sign) % negate_if(b, sign_mask(b)), a_sign);
}
uint256 addmod(const uint256& a, const uint256& b, const uint256& m);
uint256 mulmod(const uint256& a, const uint256& b, const uint256& m);
uint256 exp(uint256 base, uint256 exponent);

// SIGNEXTEND: extends the sign of byte `byte_index` (0 = least significant) over the higher bytes;
// an index of 31 or more leaves x unchanged.
constexpr uint256 signextend(const uint256& byte_index, const uint256& x) {
    // The sign byte's limb; 4 (no limb) when the index is 31 or more and x stays as it is.
    const uint64_t index = byte_index.fits_u64() && byte_index.w[0] < 31 ? byte_index.w[0] : 32;
    const unsigned limb = static_cast<unsigned>(index / 8);
    const unsigned unused_bits = 56 - 8 * static_cast<unsigned>(index % 8);
    const uint64_t sign_word = x.w[limb & 3];
    const int64_t extended = static_cast<int64_t>(sign_word << unused_bits) >> unused_bits;
    const uint64_t fill = static_cast<uint64_t>(extended >> 63);
    const auto pick = [&](unsigned i) {
        return i < limb ? x.w[i] : i == limb ? static_cast<uint64_t>(extended) : fill;
    };
    return {pick(0), pick(1), pick(2), pick(3)};
}

// BYTE: the byte at `index` counting from the most significant; 32 or more gives zero.
constexpr uint256 byte_at(const uint256& index, const uint256& x) {
    const bool in_range = index.fits_u64() && index.w[0] < 32;
    const unsigned from_low = 31 - static_cast<unsigned>(index.w[0] & 31);
    const uint64_t b = (x.w[from_low / 8] >> (8 * (from_low % 8))) & 0xff;
    return in_range ? b : 0;
}

// SAR: arithmetic shift right; shifts of 256 or more give 0 or all ones. For a negative x it is
// ~(~x >> shift), done as an XOR with the sign mask on both sides.
constexpr uint256 sar(const uint256& shift, const uint256& x) {
    const uint64_t m = static_cast<uint64_t>(static_cast<int64_t>(x.w[3]) >> 63);
    const uint256 shifted = uint256{x.w[0] ^ m, x.w[1] ^ m, x.w[2] ^ m, x.w[3] ^ m} >> shift;
    return {shifted.w[0] ^ m, shifted.w[1] ^ m, shifted.w[2] ^ m, shifted.w[3] ^ m};
}

// ---- text ----

std::string to_string(const uint256& x);  // decimal
std::string to_hex(const uint256& x);     // "0x" + minimal lowercase hex, "0x0" for zero
// "0x"/"0X" + hex digits ("0x" alone is zero, leading zeros allowed) or decimal digits;
// nullopt on an empty string, a bad digit or a value of 2^256 or more.
std::optional<uint256> parse_uint256(std::string_view s);

}  // namespace krnl

template <>
struct std::hash<krnl::uint256> {
    size_t operator()(const krnl::uint256& x) const noexcept {
        // Values are often small or structured (counters, slots), so mix every limb.
        uint64_t h = x.w[0];
        for (int i = 1; i < 4; ++i)
            h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL + x.w[i];
        h ^= h >> 32;
        h *= 0x94d049bb133111ebULL;
        return static_cast<size_t>(h ^ (h >> 29));
    }
};
