// Division (Knuth's algorithm D with Möller–Granlund reciprocal quotient estimates) and the
// operations built on it, plus text conversion.
#include "common/uint256.hpp"

namespace krnl {

namespace {

int significant_limbs(const uint64_t* x, int n) {
    while (n > 0 && x[n - 1] == 0)
        --n;
    return n;
}

// u[0..N) -= d[0..N) * q; returns the word that still has to be subtracted above u[N - 1].
template <int N>
uint64_t submul(uint64_t* u, const uint64_t* d, uint64_t q) {
    uint64_t borrow = 0;
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) {
        const auto p = detail::mul_wide(d[i], q);
        const uint64_t sub_lo = p.lo + borrow;
        uint64_t sub_hi = p.hi + (sub_lo < borrow);
        sub_hi += u[i] < sub_lo;
        u[i] -= sub_lo;
        borrow = sub_hi;
    }
    return borrow;
}

// u[0..N) += d[0..N), dropping the final carry (it cancels the borrow of an over-estimate).
template <int N>
void add_back(uint64_t* u, const uint64_t* d) {
    bool carry = false;
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i)
        u[i] = detail::add_with_carry(u[i], d[i], carry);
}

// Divides u (UMax limbs, of which the low ulen are significant, ulen >= DLen) by d (DLen limbs,
// d[DLen - 1] != 0). Writes ulen - DLen + 1 quotient limbs to q and DLen remainder limbs to r.
// Both widths are template parameters so the per-limb loops unroll without branches.
template <int UMax, int DLen>
void divide(const uint64_t* u, int ulen, const uint64_t* d, uint64_t* q, uint64_t* r) {
    // Normalise so the divisor's top bit is set; the dividend gains one limb for the spill.
    const unsigned shift = static_cast<unsigned>(__builtin_clzll(d[DLen - 1]));
    uint64_t dn[DLen];
    uint64_t un[UMax + 1];
    // (x >> 1) >> (63 - shift) is x >> (64 - shift), and zero when shift == 0.
#pragma GCC unroll 4
    for (int i = DLen - 1; i > 0; --i)
        dn[i] = (d[i] << shift) | ((d[i - 1] >> 1) >> (63 - shift));
    dn[0] = d[0] << shift;
    un[UMax] = (u[UMax - 1] >> 1) >> (63 - shift);
#pragma GCC unroll 8
    for (int i = UMax - 1; i > 0; --i)
        un[i] = (u[i] << shift) | ((u[i - 1] >> 1) >> (63 - shift));
    un[0] = u[0] << shift;

    if constexpr (DLen == 1) {
        const uint64_t divisor = dn[0];
        const uint64_t v = detail::reciprocal_2by1(divisor);
        uint64_t rem = un[ulen];  // below 2^63, so below the normalised divisor
        for (int i = ulen - 1; i >= 0; --i) {
            const auto res = detail::udivrem_2by1(rem, un[i], divisor, v);
            q[i] = res.quot;
            rem = res.rem;
        }
        r[0] = rem >> shift;
    } else if constexpr (DLen == 2) {
        // The remainder (r1, r0) stays below d, so each 3-by-2 step gives the exact digit.
        const uint64_t d1 = dn[1];
        const uint64_t d0 = dn[0];
        const uint64_t v = detail::reciprocal_3by2(d1, d0);
        uint64_t r1 = un[ulen];
        uint64_t r0 = un[ulen - 1];
        for (int j = ulen - 2; j >= 0; --j) {
            const auto res = detail::udivrem_3by2(r1, r0, un[j], d1, d0, v);
            q[j] = res.quot;
            r1 = res.rem_hi;
            r0 = res.rem_lo;
        }
        r[0] = (r0 >> shift) | ((r1 << 1) << (63 - shift));
        r[1] = r1 >> shift;
    } else {
        const uint64_t d1 = dn[DLen - 1];
        const uint64_t d0 = dn[DLen - 2];
        const uint64_t v = detail::reciprocal_3by2(d1, d0);
        // The DLen + 1 limbs divided in one step: the running remainder in w[1..DLen] and the next
        // dividend limb in w[0]. A fixed-size local (not a window into un) lets it live in
        // registers, which roughly halves the cost of each step.
        uint64_t w[DLen + 1];
#pragma GCC unroll 4
        for (int i = 0; i < DLen; ++i)
            w[i + 1] = un[ulen - DLen + 1 + i];
        for (int j = ulen - DLen; j >= 0; --j) {
            w[0] = un[j];
            const uint64_t u2 = w[DLen];
            const uint64_t u1 = w[DLen - 1];
            const uint64_t u0 = w[DLen - 2];
            uint64_t qhat;
            if (__builtin_expect(u2 == d1 && u1 == d0, 0)) {
                // The 3-by-2 estimate would overflow; then the true quotient digit is 2^64 - 1.
                qhat = ~uint64_t{0};
                w[DLen] = u2 - submul<DLen>(w, dn, qhat);
            } else {
                // The estimate from the top three limbs is exact or one too large; its remainder
                // already accounts for the top two divisor limbs, so only the rest is subtracted.
                const auto est = detail::udivrem_3by2(u2, u1, u0, d1, d0, v);
                qhat = est.quot;
                const uint64_t borrow = submul<DLen - 2>(w, dn, qhat);
                bool under = false;
                w[DLen - 2] = detail::sub_with_borrow(est.rem_lo, borrow, under);
                w[DLen - 1] = detail::sub_with_borrow(est.rem_hi, 0, under);
                if (__builtin_expect(under, 0)) {
                    --qhat;
                    add_back<DLen>(w, dn);
                }
            }
            q[j] = qhat;
#pragma GCC unroll 4
            for (int i = DLen; i > 0; --i)
                w[i] = w[i - 1];
        }
#pragma GCC unroll 4
        for (int i = 1; i < DLen; ++i)
            r[i - 1] = (w[i] >> shift) | ((w[i + 1] << 1) << (63 - shift));
        r[DLen - 1] = w[DLen] >> shift;
    }
}

template <int UMax>
void divide(const uint64_t* u, int ulen, const uint64_t* d, int dlen, uint64_t* q, uint64_t* r) {
    switch (dlen) {
        case 1:
            return divide<UMax, 1>(u, ulen, d, q, r);
        case 2:
            return divide<UMax, 2>(u, ulen, d, q, r);
        case 3:
            return divide<UMax, 3>(u, ulen, d, q, r);
        default:
            return divide<UMax, 4>(u, ulen, d, q, r);
    }
}

}  // namespace

div_result<uint256> udivrem(const uint256& a, const uint256& b) {
    const int dlen = significant_limbs(b.w, 4);
    if (dlen == 0) return {};
    if (a < b) return {0, a};
    if (dlen == 1 && a.fits_u64()) return {a.w[0] / b.w[0], a.w[0] % b.w[0]};
    const int ulen = significant_limbs(a.w, 4);
    div_result<uint256> res;
    divide<4>(a.w, ulen, b.w, dlen, res.quot.w, res.rem.w);
    return res;
}

div_result<uint512> udivrem(const uint512& a, const uint256& b) {
    const int dlen = significant_limbs(b.w, 4);
    if (dlen == 0) return {};
    const int ulen = significant_limbs(a.w, 8);
    div_result<uint512> res;
    if (ulen < dlen) {
        res.rem = a;
        return res;
    }
    divide<8>(a.w, ulen, b.w, dlen, res.quot.w, res.rem.w);
    return res;
}

uint256 addmod(const uint256& a, const uint256& b, const uint256& m) {
    if (!m) return 0;
    uint256 sum;
    bool carry = false;
    for (int i = 0; i < 4; ++i)
        sum.w[i] = detail::add_with_carry(a.w[i], b.w[i], carry);
    // With both operands reduced the 257-bit sum is below 2m: one subtraction finishes it.
    if (a < m && b < m) return (carry || sum >= m) ? sum - m : sum;
    return udivrem(uint512{sum, uint256{carry}}, m).rem.lo();
}

uint256 mulmod(const uint256& a, const uint256& b, const uint256& m) {
    if (!m) return 0;
    return udivrem(umul(a, b), m).rem.lo();
}

uint256 exp(uint256 base, uint256 exponent) {
    if (base == 2) return exponent < 256 ? uint256{1} << exponent.w[0] : uint256{};
    uint256 result = 1;
    const int limbs = significant_limbs(exponent.w, 4);
    for (int i = 0; i < limbs; ++i) {
        uint64_t e = exponent.w[i];
        const int bits = i == limbs - 1 ? 64 - __builtin_clzll(e) : 64;
        for (int k = 0; k < bits; ++k) {
            if (e & 1) result *= base;
            base *= base;
            e >>= 1;
        }
    }
    return result;
}

std::string to_string(const uint256& x) {
    if (!x) return "0";
    constexpr uint64_t kChunk =
        10'000'000'000'000'000'000ULL;  // 10^19, the largest power in 64 bits
    char buf[80];
    int pos = sizeof(buf);
    uint256 rest = x;
    while (rest) {
        const auto qr = udivrem(rest, kChunk);
        uint64_t chunk = qr.rem.w[0];
        rest = qr.quot;
        // Inner chunks keep their leading zeros; the top chunk stops at its last digit.
        for (int i = 0; i < 19 && (chunk != 0 || rest); ++i) {
            buf[--pos] = static_cast<char>('0' + chunk % 10);
            chunk /= 10;
        }
    }
    return std::string(buf + pos, sizeof(buf) - pos);
}

std::string to_hex(const uint256& x) {
    static constexpr char kDigits[] = "0123456789abcdef";
    const unsigned digits = x ? (256 - clz(x) + 3) / 4 : 1;
    std::string s(2 + digits, '0');
    s[1] = 'x';
    for (unsigned i = 0; i < digits; ++i) {
        const unsigned nibble = static_cast<unsigned>(x.w[i / 16] >> (4 * (i % 16))) & 0xf;
        s[s.size() - 1 - i] = kDigits[nibble];
    }
    return s;
}

namespace {

int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<uint256> parse_uint256(std::string_view s) {
    uint256 r;
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (char c : s.substr(2)) {
            const int d = hex_digit_value(c);
            if (d < 0) return std::nullopt;
            if (r.w[3] >> 60) return std::nullopt;  // a fifth nibble would spill past bit 255
            r = (r << 4) | uint256{static_cast<uint64_t>(d)};
        }
        return r;
    }
    if (s.empty()) return std::nullopt;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        uint64_t carry = static_cast<uint64_t>(c - '0');
        for (int i = 0; i < 4; ++i) {
            const uint128_t p = static_cast<uint128_t>(r.w[i]) * 10 + carry;
            r.w[i] = static_cast<uint64_t>(p);
            carry = static_cast<uint64_t>(p >> 64);
        }
        if (carry != 0) return std::nullopt;
    }
    return r;
}

}  // namespace krnl
