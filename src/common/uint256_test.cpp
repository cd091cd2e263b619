// Cross-checks every uint256 operation against GMP on an edge set (all pairs / triples) and on
// seeded random operands of mixed widths, plus known EVM vectors (EIP-145 shifts and others).
#include "common/uint256.hpp"

#include <gmp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <unordered_set>
#include <vector>

namespace krnl {
void PrintTo(const uint256& x, std::ostream* os) {
    *os << to_hex(x);
}
}  // namespace krnl

namespace {

using namespace krnl;

constexpr int kRandomCases = 200'000;
constexpr uint64_t kAllOnes = ~uint64_t{0};
constexpr uint64_t kTopBit = uint64_t{1} << 63;
constexpr uint256 kMax{kAllOnes, kAllOnes, kAllOnes, kAllOnes};
constexpr uint256 kMin{0, 0, 0, kTopBit};  // most negative signed value, 2^255

// ---- GMP reference ----

// Owns an mpz_t.
class Z {
public:
    Z() { mpz_init(v_); }
    explicit Z(const uint256& x) {
        mpz_init(v_);
        mpz_import(v_, 4, -1, 8, 0, 0, x.w);
    }
    explicit Z(const uint512& x) {
        mpz_init(v_);
        mpz_import(v_, 8, -1, 8, 0, 0, x.w);
    }
    ~Z() { mpz_clear(v_); }
    Z(const Z&) = delete;
    Z& operator=(const Z&) = delete;
    operator mpz_ptr() { return v_; }
    operator mpz_srcptr() const { return v_; }

private:
    mpz_t v_;
};

// The two's complement reading of x as a signed integer.
void signed_value(mpz_ptr out, const uint256& x) {
    mpz_import(out, 4, -1, 8, 0, 0, x.w);
    if (is_negative(x)) {
        Z two_256;
        mpz_setbit(two_256, 256);
        mpz_sub(out, out, two_256);
    }
}

int sign(mpz_srcptr z) {
    return mpz_sgn(z);
}

// z mod 2^256 as a uint256 (negative values wrap, as in the EVM).
uint256 wrap(mpz_srcptr z) {
    Z t;
    mpz_fdiv_r_2exp(t, z, 256);
    uint256 r;
    mpz_export(r.w, nullptr, -1, 8, 0, 0, t);
    return r;
}

uint512 wrap512(mpz_srcptr z) {
    uint512 r;
    mpz_export(r.w, nullptr, -1, 8, 0, 0, z);
    return r;
}

uint256 ref_add(const uint256& a, const uint256& b) {
    Z r;
    mpz_add(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_sub(const uint256& a, const uint256& b) {
    Z r;
    mpz_sub(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_mul(const uint256& a, const uint256& b) {
    Z r;
    mpz_mul(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_div(const uint256& a, const uint256& b) {
    if (!b) return 0;
    Z r;
    mpz_tdiv_q(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_mod(const uint256& a, const uint256& b) {
    if (!b) return 0;
    Z r;
    mpz_tdiv_r(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_sdiv(const uint256& a, const uint256& b) {
    if (!b) return 0;
    Z sa, sb, r;
    signed_value(sa, a);
    signed_value(sb, b);
    mpz_tdiv_q(r, sa, sb);  // truncation toward zero, as SDIV
    return wrap(r);
}
uint256 ref_smod(const uint256& a, const uint256& b) {
    if (!b) return 0;
    Z sa, sb, r;
    signed_value(sa, a);
    signed_value(sb, b);
    mpz_tdiv_r(r, sa, sb);  // sign of the dividend, as SMOD
    return wrap(r);
}
uint256 ref_and(const uint256& a, const uint256& b) {
    Z r;
    mpz_and(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_or(const uint256& a, const uint256& b) {
    Z r;
    mpz_ior(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_xor(const uint256& a, const uint256& b) {
    Z r;
    mpz_xor(r, Z(a), Z(b));
    return wrap(r);
}
uint256 ref_shl(const uint256& x, const uint256& shift) {
    if (shift >= 256) return 0;
    Z r;
    mpz_mul_2exp(r, Z(x), shift.w[0]);
    return wrap(r);
}
uint256 ref_shr(const uint256& x, const uint256& shift) {
    if (shift >= 256) return 0;
    Z r;
    mpz_fdiv_q_2exp(r, Z(x), shift.w[0]);
    return wrap(r);
}
uint256 ref_sar(const uint256& shift, const uint256& x) {
    Z sx, r;
    signed_value(sx, x);
    mpz_fdiv_q_2exp(r, sx, shift >= 256 ? 256 : shift.w[0]);  // floor division, as SAR
    return wrap(r);
}
uint256 ref_exp(const uint256& base, const uint256& exponent) {
    Z modulus, r;
    mpz_setbit(modulus, 256);
    mpz_powm(r, Z(base), Z(exponent), modulus);
    return wrap(r);
}
uint256 ref_signextend(const uint256& byte_index, const uint256& x) {
    if (byte_index >= 31) return x;
    const unsigned bits = 8 * (static_cast<unsigned>(byte_index.w[0]) + 1);
    Z low;
    mpz_fdiv_r_2exp(low, Z(x), bits);
    if (mpz_tstbit(low, bits - 1)) {
        Z span;
        mpz_setbit(span, bits);
        mpz_sub(low, low, span);
    }
    return wrap(low);
}
uint256 ref_byte(const uint256& index, const uint256& x) {
    if (index >= 32) return 0;
    Z r;
    mpz_fdiv_q_2exp(r, Z(x), 8 * (31 - index.w[0]));
    mpz_fdiv_r_2exp(r, r, 8);
    return wrap(r);
}
uint256 ref_addmod(const uint256& a, const uint256& b, const uint256& m) {
    if (!m) return 0;
    Z r;
    mpz_add(r, Z(a), Z(b));
    mpz_fdiv_r(r, r, Z(m));
    return wrap(r);
}
uint256 ref_mulmod(const uint256& a, const uint256& b, const uint256& m) {
    if (!m) return 0;
    Z r;
    mpz_mul(r, Z(a), Z(b));
    mpz_fdiv_r(r, r, Z(m));
    return wrap(r);
}
int ref_cmp(const uint256& a, const uint256& b) {
    const int c = mpz_cmp(Z(a), Z(b));
    return (c > 0) - (c < 0);
}
int ref_scmp(const uint256& a, const uint256& b) {
    Z sa, sb;
    signed_value(sa, a);
    signed_value(sb, b);
    const int c = mpz_cmp(sa, sb);
    return (c > 0) - (c < 0);
}
unsigned ref_bit_length(const uint256& x) {
    return x ? static_cast<unsigned>(mpz_sizeinbase(Z(x), 2)) : 0;
}
std::string ref_decimal(const uint256& x) {
    Z z(x);
    std::string s(mpz_sizeinbase(z, 10) + 2, '\0');
    mpz_get_str(s.data(), 10, z);
    s.resize(std::strlen(s.c_str()));
    return s;
}
std::string ref_hex(const uint256& x) {
    Z z(x);
    std::string s(mpz_sizeinbase(z, 16) + 2, '\0');
    mpz_get_str(s.data(), 16, z);
    s.resize(std::strlen(s.c_str()));
    return "0x" + s;
}

// ---- operands ----

uint256 pow2(unsigned k) {
    return uint256{1} << k;
}

std::vector<uint256> edge_values() {
    std::vector<uint256> v = {
        0,
        1,
        2,
        3,
        7,
        8,
        31,
        32,
        33,
        255,
        256,
        257,
        kAllOnes,                              // 2^64 - 1
        {0, 1, 0, 0},                          // 2^64
        {1, 1, 0, 0},                          // 2^64 + 1
        {kAllOnes, kAllOnes, 0, 0},            // 2^128 - 1
        {0, 0, 1, 0},                          // 2^128
        {1, 0, 1, 0},                          // 2^128 + 1
        {kAllOnes, kAllOnes, kAllOnes, 0},     // 2^192 - 1
        {0, 0, 0, 1},                          // 2^192
        kMin,                                  // 2^255
        kMin - 1,                              // 2^255 - 1
        kMin + 1,                              // 2^255 + 1
        kMax,                                  // 2^256 - 1
        kMax - 1,                              // 2^256 - 2
        kMax - 2,                              // -3
        {kAllOnes, 0, 0, kAllOnes},            // full top and bottom limbs
        {0, kAllOnes, kAllOnes, 0},            // full middle limbs
        {kTopBit, kTopBit, kTopBit, kTopBit},  // top bit of every limb
        {0x0123456789abcdef, 0xfedcba9876543210, 0x0f1e2d3c4b5a6978, 0x8796a5b4c3d2e1f0},
        10'000'000'000'000'000'000ULL,  // 10^19
    };
    for (unsigned k : {7u, 8u, 31u, 32u, 63u, 65u, 127u, 129u, 191u, 193u, 254u})
        v.push_back(pow2(k));
    // Values with a single non-zero high limb: divisors of every width with empty low limbs.
    for (uint64_t x : {uint64_t{1}, kTopBit, kAllOnes, uint64_t{0x123456789abcdef}}) {
        v.push_back({0, x, 0, 0});
        v.push_back({0, 0, x, 0});
        v.push_back({0, 0, 0, x});
    }
    return v;
}

// Random operands of mixed width: 1 to 4 significant limbs, often with leading zero bits in the
// top limb, and limbs drawn from special values often enough to hit carry and borrow chains.
class OperandSource {
public:
    explicit OperandSource(uint64_t seed) : rng_(seed) {}

    uint64_t next() { return rng_(); }

    uint64_t limb() {
        static constexpr uint64_t kSpecial[] = {0,           1,           kAllOnes,    kTopBit,
                                                kTopBit - 1, kTopBit + 1, kAllOnes - 1};
        if (rng_() % 8 == 0) return kSpecial[rng_() % std::size(kSpecial)];
        return rng_();
    }

    uint256 operand() {
        uint256 x;
        const int limbs = 1 + static_cast<int>(rng_() % 4);
        for (int i = 0; i < limbs; ++i)
            x.w[i] = limb();
        if (rng_() % 2) x.w[limbs - 1] >>= rng_() % 64;
        return x;
    }

    // Mostly in-range amounts for shifts and byte indexes, sometimes any value.
    uint256 small_or_any(uint64_t bound) {
        return rng_() % 4 != 0 ? uint256{rng_() % bound} : operand();
    }

private:
    std::mt19937_64 rng_;
};

// ---- checking harness ----

struct Mismatches {
    const char* op;
    uint64_t checked = 0;
    int failures = 0;

    template <typename T>
    void check(const T& got, const T& want, std::initializer_list<uint256> inputs) {
        ++checked;
        if (got == want) return;
        if (++failures > 10) return;  // a broken op should not flood the log
        std::string args;
        for (const auto& in : inputs)
            args += (args.empty() ? "" : ", ") + to_hex(in);
        ADD_FAILURE() << op << "(" << args << ") mismatch";
    }

    ~Mismatches() {
        std::printf("  %-22s %9llu checks\n", op, static_cast<unsigned long long>(checked));
    }
};

enum class SecondOperand { any, shift, byte_index };

struct BinaryOp {
    const char* name;
    uint256 (*ours)(const uint256&, const uint256&);
    uint256 (*ref)(const uint256&, const uint256&);
    SecondOperand second = SecondOperand::any;
};

const std::vector<BinaryOp>& binary_ops() {
    static const std::vector<BinaryOp> ops = {
        {"add", [](const uint256& a, const uint256& b) { return a + b; }, ref_add},
        {"sub", [](const uint256& a, const uint256& b) { return a - b; }, ref_sub},
        {"mul", [](const uint256& a, const uint256& b) { return a * b; }, ref_mul},
        {"div", [](const uint256& a, const uint256& b) { return a / b; }, ref_div},
        {"mod", [](const uint256& a, const uint256& b) { return a % b; }, ref_mod},
        {"udivrem.quot", [](const uint256& a, const uint256& b) { return udivrem(a, b).quot; },
         ref_div},
        {"udivrem.rem", [](const uint256& a, const uint256& b) { return udivrem(a, b).rem; },
         ref_mod},
        {"sdiv", sdiv, ref_sdiv},
        {"smod", smod, ref_smod},
        {"and", [](const uint256& a, const uint256& b) { return a & b; }, ref_and},
        {"or", [](const uint256& a, const uint256& b) { return a | b; }, ref_or},
        {"xor", [](const uint256& a, const uint256& b) { return a ^ b; }, ref_xor},
        {"exp", [](const uint256& a, const uint256& b) { return exp(a, b); }, ref_exp},
        {"shl", [](const uint256& x, const uint256& s) { return x << s; }, ref_shl,
         SecondOperand::shift},
        {"shr", [](const uint256& x, const uint256& s) { return x >> s; }, ref_shr,
         SecondOperand::shift},
        {"shl_u64", [](const uint256& x, const uint256& s) { return x << s.w[0]; },
         [](const uint256& x, const uint256& s) { return ref_shl(x, s.w[0]); },
         SecondOperand::shift},
        {"shr_u64", [](const uint256& x, const uint256& s) { return x >> s.w[0]; },
         [](const uint256& x, const uint256& s) { return ref_shr(x, s.w[0]); },
         SecondOperand::shift},
        // For these the EVM order puts the amount first; the harness varies the second operand,
        // so the adapters swap.
        {"sar", [](const uint256& x, const uint256& s) { return sar(s, x); },
         [](const uint256& x, const uint256& s) { return ref_sar(s, x); }, SecondOperand::shift},
        {"signextend", [](const uint256& x, const uint256& i) { return signextend(i, x); },
         [](const uint256& x, const uint256& i) { return ref_signextend(i, x); },
         SecondOperand::byte_index},
        {"byte", [](const uint256& x, const uint256& i) { return byte_at(i, x); },
         [](const uint256& x, const uint256& i) { return ref_byte(i, x); },
         SecondOperand::byte_index},
        // Comparisons, encoded as numbers so they share the harness.
        {"<=>",
         [](const uint256& a, const uint256& b) {
             const auto c = a <=> b;
             return uint256{c < 0 ? 0u : c == 0 ? 1u : 2u};
         },
         [](const uint256& a, const uint256& b) { return uint256(ref_cmp(a, b) + 1); }},
        {"< <= > >= == !=",
         [](const uint256& a, const uint256& b) {
             return uint256((a < b) | (a <= b) << 1 | (a > b) << 2 | (a >= b) << 3 | (a == b) << 4 |
                            (a != b) << 5);
         },
         [](const uint256& a, const uint256& b) {
             const int c = ref_cmp(a, b);
             return uint256((c < 0) | (c <= 0) << 1 | (c > 0) << 2 | (c >= 0) << 3 | (c == 0) << 4 |
                            (c != 0) << 5);
         }},
        {"cmp_u64",
         [](const uint256& a, const uint256& b) {
             const uint64_t s = b.w[0];
             return uint256((a < s) | (a <= s) << 1 | (a > s) << 2 | (a >= s) << 3 | (a == s) << 4 |
                            (a != s) << 5 | (s == a) << 6 | (s < a) << 7);
         },
         [](const uint256& a, const uint256& b) {
             const int c = ref_cmp(a, b.w[0]);
             return uint256((c < 0) | (c <= 0) << 1 | (c > 0) << 2 | (c >= 0) << 3 | (c == 0) << 4 |
                            (c != 0) << 5 | (c == 0) << 6 | (c > 0) << 7);
         }},
        {"slt sgt",
         [](const uint256& a, const uint256& b) { return uint256(slt(a, b) | sgt(a, b) << 1); },
         [](const uint256& a, const uint256& b) {
             const int c = ref_scmp(a, b);
             return uint256((c < 0) | (c > 0) << 1);
         }},
    };
    return ops;
}

TEST(Uint256Gmp, BinaryOpsOnEdgePairs) {
    const auto edges = edge_values();
    for (const auto& op : binary_ops()) {
        Mismatches m{op.name};
        for (const auto& a : edges)
            for (const auto& b : edges)
                m.check(op.ours(a, b), op.ref(a, b), {a, b});
    }
}

TEST(Uint256Gmp, BinaryOpsOnRandomOperands) {
    for (const auto& op : binary_ops()) {
        OperandSource src(0x5eed0001);
        Mismatches m{op.name};
        for (int i = 0; i < kRandomCases; ++i) {
            const uint256 a = src.operand();
            uint256 b;
            switch (op.second) {
                case SecondOperand::any:
                    // Half the time a narrower second operand, so wide / narrow divisions dominate.
                    b = src.operand();
                    if (src.next() % 2) b = b >> (64 * (src.next() % 4));
                    break;
                case SecondOperand::shift:
                    b = src.small_or_any(300);
                    break;
                case SecondOperand::byte_index:
                    b = src.small_or_any(40);
                    break;
            }
            m.check(op.ours(a, b), op.ref(a, b), {a, b});
        }
    }
}

TEST(Uint256Gmp, ModularOpsOnEdgeTriples) {
    const auto edges = edge_values();
    Mismatches add{"addmod edge"};
    Mismatches mul{"mulmod edge"};
    for (const auto& a : edges)
        for (const auto& b : edges)
            for (const auto& m : edges) {
                add.check(addmod(a, b, m), ref_addmod(a, b, m), {a, b, m});
                mul.check(mulmod(a, b, m), ref_mulmod(a, b, m), {a, b, m});
            }
}

TEST(Uint256Gmp, ModularOpsOnRandomOperands) {
    OperandSource src(0x5eed0002);
    Mismatches add{"addmod random"};
    Mismatches mul{"mulmod random"};
    for (int i = 0; i < kRandomCases; ++i) {
        const uint256 a = src.operand(), b = src.operand(), m = src.operand();
        add.check(addmod(a, b, m), ref_addmod(a, b, m), {a, b, m});
        mul.check(mulmod(a, b, m), ref_mulmod(a, b, m), {a, b, m});
        // Operands below the modulus take addmod's fast path.
        const uint256 ra = m ? a % m : a, rb = m ? b % m : b;
        add.check(addmod(ra, rb, m), ref_addmod(ra, rb, m), {ra, rb, m});
    }
}

TEST(Uint256Gmp, UnaryOpsAndText) {
    auto edges = edge_values();
    OperandSource src(0x5eed0003);
    for (int i = 0; i < kRandomCases; ++i)
        edges.push_back(src.operand());

    Mismatches neg{"unary -"}, inv{"~"}, inc{"++ --"}, bits{"clz"}, sig{"significant bytes"};
    Mismatches dec{"to_string"}, hex{"to_hex"}, parse{"parse_uint256"}, be{"load/store_be"};
    Mismatches fits{"fits_u64 bool low64"};
    for (const auto& x : edges) {
        neg.check(-x, ref_sub(0, x), {x});
        inv.check(~x, ref_sub(kMax, x), {x});
        uint256 y = x;
        const uint256 post_inc = y++;
        inc.check(post_inc, x, {x});
        inc.check(y, ref_add(x, 1), {x});
        inc.check(--y, x, {x});
        inc.check(++y, ref_add(x, 1), {x});
        const uint256 post_dec = y--;
        inc.check(post_dec, ref_add(x, 1), {x});
        inc.check(y, x, {x});

        const unsigned len = ref_bit_length(x);
        bits.check(clz(x), 256 - len, {x});
        sig.check(count_significant_bytes(x), (len + 7) / 8, {x});
        fits.check(x.fits_u64(), len <= 64, {x});
        fits.check(static_cast<bool>(x), len != 0, {x});
        fits.check(x.low64(), x.w[0], {x});

        const std::string decimal = to_string(x);
        dec.check(decimal, ref_decimal(x), {x});
        const std::string hexadecimal = to_hex(x);
        hex.check(hexadecimal, ref_hex(x), {x});
        parse.check(parse_uint256(decimal), std::optional<uint256>(x), {x});
        parse.check(parse_uint256(hexadecimal), std::optional<uint256>(x), {x});

        uint8_t raw[32];
        x.store_be(raw);
        uint8_t want[32]{};
        mpz_export(want + 32 - (len + 7) / 8, nullptr, 1, 1, 1, 0, Z(x));
        be.check(std::memcmp(raw, want, 32) == 0, true, {x});
        be.check(uint256::load_be(raw), x, {x});
        be.check(uint256::from_bytes32(x.to_bytes32()), x, {x});
        be.check(x.to_bytes32() == bytes32::from_view({raw, 32}), true, {x});
        // Minimal big-endian bytes (as RLP stores numbers) read back right-aligned.
        const size_t n = count_significant_bytes(x);
        be.check(uint256::from_be({raw + 32 - n, n}), x, {x});
    }
}

TEST(Uint256Gmp, ShiftAssignmentsAndCompoundOpsMatchBinaryOps) {
    OperandSource src(0x5eed0004);
    Mismatches m{"compound assignment"};
    for (int i = 0; i < kRandomCases / 4; ++i) {
        const uint256 a = src.operand(), b = src.operand();
        const uint256 s = src.small_or_any(300);
        uint256 r;
        m.check((r = a, r += b), a + b, {a, b});
        m.check((r = a, r -= b), a - b, {a, b});
        m.check((r = a, r *= b), a * b, {a, b});
        m.check((r = a, r /= b), a / b, {a, b});
        m.check((r = a, r %= b), a % b, {a, b});
        m.check((r = a, r &= b), a & b, {a, b});
        m.check((r = a, r |= b), a | b, {a, b});
        m.check((r = a, r ^= b), a ^ b, {a, b});
        m.check((r = a, r <<= s), a << s, {a, s});
        m.check((r = a, r >>= s), a >> s, {a, s});
        m.check((r = a, r <<= s.w[0]), a << s.w[0], {a, s});
        m.check((r = a, r >>= s.w[0]), a >> s.w[0], {a, s});
    }
}

// ---- division internals ----

TEST(Uint256Division, ReciprocalsMatchTheirDefinition) {
    OperandSource src(0x5eed0005);
    Mismatches two{"reciprocal_2by1"}, three{"reciprocal_3by2"};
    for (int i = 0; i < kRandomCases; ++i) {
        uint64_t d1 = src.limb() | kTopBit;
        uint64_t d0 = src.limb();
        if (i == 0) d1 = kTopBit, d0 = 0;
        if (i == 1) d1 = kAllOnes, d0 = kAllOnes;
        // floor((2^128 - 1) / d) - 2^64 and floor((2^192 - 1) / (d1, d0)) - 2^64.
        Z num, den, q;
        mpz_setbit(num, 128);
        mpz_sub_ui(num, num, 1);
        mpz_import(den, 1, -1, 8, 0, 0, &d1);
        mpz_tdiv_q(q, num, den);
        mpz_clrbit(q, 64);
        two.check(detail::reciprocal_2by1(d1), mpz_get_ui(q), {d1});

        const uint64_t d[2] = {d0, d1};
        mpz_set_ui(num, 0);
        mpz_setbit(num, 192);
        mpz_sub_ui(num, num, 1);
        mpz_import(den, 2, -1, 8, 0, 0, d);
        mpz_tdiv_q(q, num, den);
        mpz_clrbit(q, 64);
        three.check(detail::reciprocal_3by2(d1, d0), mpz_get_ui(q), {d0, d1});
    }
}

// Dividends built as q * d - small make the three-limb quotient estimate one too large, and
// dividends whose partial remainder is d - 1 drive the estimate's overflow case (top limbs of the
// window equal to the divisor's); random data almost never reaches either branch.
TEST(Uint256Division, CraftedDividendsHitCorrectionPaths) {
    OperandSource src(0x5eed0006);
    Mismatches narrow{"udivrem crafted"}, wide{"udivrem512 crafted"};
    for (int i = 0; i < kRandomCases; ++i) {
        uint256 d = src.operand();
        const int dlen = 2 + static_cast<int>(src.next() % 3);  // 2..4 limbs
        for (int k = dlen; k < 4; ++k)
            d.w[k] = 0;
        if (d.w[dlen - 1] == 0) d.w[dlen - 1] = 1 + src.next() % 1000;
        if (src.next() % 2) d.w[0] |= 1;  // keeps d - 1 from borrowing into the top limbs

        // 256-bit: a = q * d - small, with q sized to keep a below 2^256.
        {
            Z dz(d), a, small;
            uint256 q = src.operand() >> (64 * (dlen - 1));
            if (!q) q = 1;
            mpz_mul(a, Z(q), dz);
            mpz_set_ui(small, 1 + src.next() % 3);
            mpz_sub(a, a, small);
            if (sign(a) >= 0 && mpz_sizeinbase(a, 2) <= 256) {
                const uint256 au = wrap(a);
                narrow.check(udivrem(au, d).quot, ref_div(au, d), {au, d});
                narrow.check(udivrem(au, d).rem, ref_mod(au, d), {au, d});
            }
            // a = (d - 1) * 2^64 + low: the second step sees the window (d - 1, low).
            if (dlen <= 3) {
                const uint256 au = ((d - 1) << 64) | uint256{src.limb()};
                narrow.check(udivrem(au, d).quot, ref_div(au, d), {au, d});
                narrow.check(udivrem(au, d).rem, ref_mod(au, d), {au, d});
            }
        }
        // 512-bit: a = (q * d + d - 1) * 2^(64 j) + low, and q * d - small.
        {
            Z dz(d), a, t;
            const uint256 q = src.operand();
            const unsigned j = 64 * (1 + src.next() % 3);
            mpz_mul(a, Z(q), dz);
            mpz_add(a, a, dz);
            mpz_sub_ui(a, a, 1);
            mpz_mul_2exp(a, a, j);
            mpz_set(t, Z(src.operand()));
            mpz_fdiv_r_2exp(t, t, j);
            mpz_add(a, a, t);
            for (int variant = 0; variant < 2; ++variant) {
                if (variant == 1) {
                    mpz_mul(a, Z(q), dz);
                    mpz_mul_2exp(a, a, j);
                    mpz_sub_ui(a, a, 1 + src.next() % 3);
                }
                if (sign(a) < 0 || mpz_sizeinbase(a, 2) > 512) continue;
                const uint512 au = wrap512(a);
                Z want_q, want_r;
                mpz_tdiv_qr(want_q, want_r, a, dz);
                const auto got = udivrem(au, d);
                wide.check(got.quot == wrap512(want_q), true, {au.lo(), au.hi(), d});
                wide.check(got.rem.lo(), wrap(want_r), {au.lo(), au.hi(), d});
                wide.check(got.rem.hi(), uint256{}, {au.lo(), au.hi(), d});
            }
        }
    }
}

TEST(Uint256Division, WideDivisionOnRandomOperands) {
    OperandSource src(0x5eed0007);
    Mismatches m{"udivrem512 random"};
    for (int i = 0; i < kRandomCases; ++i) {
        const uint512 a{src.operand(), src.next() % 4 ? src.operand() : uint256{}};
        uint256 d = src.operand();
        if (src.next() % 2) d = d >> (64 * (src.next() % 4));
        const auto got = udivrem(a, d);
        Z az(a), want_q, want_r;
        if (d) mpz_tdiv_qr(want_q, want_r, az, Z(d));
        m.check(got.quot == wrap512(want_q), true, {a.lo(), a.hi(), d});
        m.check(got.rem.lo(), wrap(want_r), {a.lo(), a.hi(), d});
    }
}

// ---- known EVM vectors ----

uint256 hex(std::string_view s) {
    return parse_uint256(s).value();
}

TEST(Uint256Evm, SignedDivision) {
    const uint256 minus_one = kMax;
    EXPECT_EQ(sdiv(kMin, minus_one), kMin);  // overflow wraps back to MIN
    EXPECT_EQ(sdiv(-kMin, minus_one), kMin);
    EXPECT_EQ(smod(kMin, minus_one), 0);
    EXPECT_EQ(sdiv(-uint256{10}, 3), -uint256{3});
    EXPECT_EQ(sdiv(10, -uint256{3}), -uint256{3});
    EXPECT_EQ(sdiv(-uint256{10}, -uint256{3}), 3);
    EXPECT_EQ(smod(-uint256{10}, 3), -uint256{1});
    EXPECT_EQ(smod(10, -uint256{3}), 1);
    EXPECT_EQ(smod(-uint256{8}, -uint256{3}), -uint256{2});
    EXPECT_EQ(sdiv(kMax, 0), 0);
    EXPECT_EQ(smod(kMax, 0), 0);
    EXPECT_EQ(uint256{7} / 0, 0);
    EXPECT_EQ(uint256{7} % 0, 0);
    EXPECT_TRUE(slt(minus_one, 0));
    EXPECT_TRUE(sgt(0, kMin));
    EXPECT_FALSE(slt(kMin - 1, kMin));
}

TEST(Uint256Evm, SignextendAndByte) {
    EXPECT_EQ(signextend(0, 0xff), kMax);
    EXPECT_EQ(signextend(0, 0x7f), 0x7f);
    EXPECT_EQ(signextend(0, 0x1280),
              hex("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80"));
    EXPECT_EQ(signextend(1, 0x80ff),
              hex("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80ff"));
    EXPECT_EQ(signextend(1, 0xab7fff), 0x7fff);
    EXPECT_EQ(signextend(7, 0x80ULL << 56),
              hex("0xffffffffffffffffffffffffffffffffffffffffffffffff8000000000000000"));
    EXPECT_EQ(signextend(8, uint256(0, 0x80, 0, 0)),
              hex("0xffffffffffffffffffffffffffffffffffffffffffffff800000000000000000"));
    EXPECT_EQ(signextend(30, pow2(247)),
              hex("0xff80000000000000000000000000000000000000000000000000000000000000"));
    EXPECT_EQ(signextend(31, 0xff), 0xff);
    EXPECT_EQ(signextend(kMax, 0x80), 0x80);
    EXPECT_EQ(signextend(uint256(0, 1, 0, 0), 0x80), 0x80);

    EXPECT_EQ(byte_at(31, 0x1234), 0x34);
    EXPECT_EQ(byte_at(30, 0x1234), 0x12);
    EXPECT_EQ(byte_at(0, hex("0xab00000000000000000000000000000000000000000000000000000000000001")),
              0xab);
    EXPECT_EQ(byte_at(32, kMax), 0);
    EXPECT_EQ(byte_at(uint256(0, 0, 0, 1), kMax), 0);
}

// Test vectors of EIP-145 (bitwise shifting instructions).
TEST(Uint256Evm, Eip145Shifts) {
    const uint256 all = kMax;
    const uint256 top = kMin;
    const uint256 max_signed = kMin - 1;
    EXPECT_EQ(uint256{1} << 0, 1);
    EXPECT_EQ(uint256{1} << 1, 2);
    EXPECT_EQ(uint256{1} << 0xff, top);
    EXPECT_EQ(uint256{1} << uint256{0x100}, 0);
    EXPECT_EQ(uint256{1} << uint256{0x101}, 0);
    EXPECT_EQ(all << 0, all);
    EXPECT_EQ(all << 1, all - 1);
    EXPECT_EQ(all << 0xff, top);
    EXPECT_EQ(all << uint256{0x100}, 0);
    EXPECT_EQ(uint256{0} << 1, 0);
    EXPECT_EQ(max_signed << 1, all - 1);

    EXPECT_EQ(uint256{1} >> 0, 1);
    EXPECT_EQ(uint256{1} >> 1, 0);
    EXPECT_EQ(top >> 1, pow2(254));
    EXPECT_EQ(top >> 0xff, 1);
    EXPECT_EQ(top >> uint256{0x100}, 0);
    EXPECT_EQ(top >> uint256{0x101}, 0);
    EXPECT_EQ(all >> 0, all);
    EXPECT_EQ(all >> 1, max_signed);
    EXPECT_EQ(all >> 0xff, 1);
    EXPECT_EQ(all >> uint256{0x100}, 0);
    EXPECT_EQ(uint256{0} >> 1, 0);

    EXPECT_EQ(sar(0, 1), 1);
    EXPECT_EQ(sar(1, 1), 0);
    EXPECT_EQ(sar(1, top), top | pow2(254));
    EXPECT_EQ(sar(0xff, top), all);
    EXPECT_EQ(sar(0x100, top), all);
    EXPECT_EQ(sar(0x101, top), all);
    EXPECT_EQ(sar(0, all), all);
    EXPECT_EQ(sar(1, all), all);
    EXPECT_EQ(sar(0xff, all), all);
    EXPECT_EQ(sar(0x100, all), all);
    EXPECT_EQ(sar(1, 0), 0);
    EXPECT_EQ(sar(0xfe, pow2(254)), 1);
    EXPECT_EQ(sar(0xf8, max_signed), 0x7f);
    EXPECT_EQ(sar(0xfe, max_signed), 1);
    EXPECT_EQ(sar(0xff, max_signed), 0);
    EXPECT_EQ(sar(0x100, max_signed), 0);
    EXPECT_EQ(sar(kMax, -uint256{5}), all);
    EXPECT_EQ(sar(1, -uint256{5}), -uint256{3});  // floor(-5 / 2)
}

TEST(Uint256Evm, Exponentiation) {
    EXPECT_EQ(exp(2, 255), kMin);
    EXPECT_EQ(exp(2, 256), 0);
    EXPECT_EQ(exp(2, kMax), 0);
    EXPECT_EQ(exp(0, 0), 1);
    EXPECT_EQ(exp(0, 5), 0);
    EXPECT_EQ(exp(kMax, 0), 1);
    EXPECT_EQ(exp(kMax, 3), kMax);      // (-1)^3
    EXPECT_EQ(exp(kMax, kMax - 1), 1);  // (-1)^even
    EXPECT_EQ(exp(pow2(128), 2), 0);
    EXPECT_EQ(exp(10, 18), 1'000'000'000'000'000'000ULL);
    // 3 has multiplicative order 2^254 modulo 2^256, so huge exponents reduce modulo 2^254;
    // 2^256 - 1 is -1 there, making the result the inverse of 3: 0xaaaa...aaab.
    EXPECT_EQ(exp(3, pow2(254)), 1);
    EXPECT_EQ(exp(3, pow2(254) + 5), 243);
    EXPECT_EQ(exp(3, kMax),
              hex("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
    EXPECT_EQ(exp(3, kMax) * 3, 1);
    EXPECT_EQ(count_significant_bytes(0), 0u);
    EXPECT_EQ(count_significant_bytes(0xff), 1u);
    EXPECT_EQ(count_significant_bytes(0x100), 2u);
    EXPECT_EQ(count_significant_bytes(kMax), 32u);
}

TEST(Uint256Evm, ModularArithmetic) {
    EXPECT_EQ(addmod(kMax, kMax, kMax), 0);
    EXPECT_EQ(addmod(kMax, 2, 10), 7);  // (2^256 + 1) mod 10, and 2^256 mod 10 = 6
    EXPECT_EQ(addmod(kMax, 1, kMax - 1), 2);
    EXPECT_EQ(addmod(1, 2, 0), 0);
    EXPECT_EQ(mulmod(kMax, kMax, kMax), 0);
    EXPECT_EQ(mulmod(kMax, kMax, 12), 9);  // 2^256 - 1 = 3 (mod 12)
    EXPECT_EQ(mulmod(kMax, kMax, kMax - 1), 1);
    EXPECT_EQ(mulmod(pow2(255), 2, kMax), 1);
    EXPECT_EQ(mulmod(5, 6, 0), 0);
}

TEST(Uint256Text, KnownStringsAndParseErrors) {
    EXPECT_EQ(to_string(kMax),
              "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    EXPECT_EQ(to_string(kMin),
              "57896044618658097711785492504343953926634992332820282019728792003956564819968");
    EXPECT_EQ(to_string(0), "0");
    EXPECT_EQ(to_string(10'000'000'000'000'000'000ULL), "10000000000000000000");
    EXPECT_EQ(to_hex(uint256{0}), "0x0");
    EXPECT_EQ(to_hex(uint256{0xabc}), "0xabc");
    EXPECT_EQ(to_hex(kMin), "0x8000000000000000000000000000000000000000000000000000000000000000");

    EXPECT_EQ(parse_uint256("0x"), uint256{0});
    EXPECT_EQ(parse_uint256("0X1F"), uint256{31});
    EXPECT_EQ(parse_uint256("0"), uint256{0});
    EXPECT_EQ(parse_uint256("0x" + std::string(70, '0') + "1"), uint256{1});
    EXPECT_EQ(parse_uint256("0x" + std::string(64, 'f')), kMax);
    EXPECT_EQ(parse_uint256("0x1" + std::string(64, '0')), std::nullopt);
    EXPECT_EQ(parse_uint256(
                  "115792089237316195423570985008687907853269984665640564039457584007913129639935"),
              kMax);
    EXPECT_EQ(parse_uint256(
                  "115792089237316195423570985008687907853269984665640564039457584007913129639936"),
              std::nullopt);
    EXPECT_EQ(parse_uint256(std::string(100, '9')), std::nullopt);
    EXPECT_EQ(
        parse_uint256(
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000042"),
        uint256{42});
    for (std::string_view bad :
         {"", "-1", "+1", " 1", "1 ", "12a", "0xg", "0x-1", "x12", "0x 1", "1e5", "0b101"})
        EXPECT_EQ(parse_uint256(bad), std::nullopt) << bad;
}

TEST(Uint256Basics, LayoutConstexprAndHash) {
    static_assert(std::is_trivially_copyable_v<uint256>);
    static_assert(std::is_standard_layout_v<uint256>);
    static_assert(sizeof(uint256) == 32 && alignof(uint256) >= 8);
    static_assert((uint256{1} << 255) == kMin);
    static_assert(kMax + 1 == 0);
    // Constant evaluation takes the portable carry and borrow paths; check they propagate.
    static_assert(uint256(kAllOnes, kAllOnes, kAllOnes, 0) + 1 == uint256(0, 0, 0, 1));
    static_assert(uint256(0, 0, 0, 1) - 1 == uint256(kAllOnes, kAllOnes, kAllOnes, 0));
    static_assert(uint256(kAllOnes, 0, 0, 1) < uint256(0, 0, 0, 2));
    static_assert(!(uint256(0, 0, 0, 2) < uint256(kAllOnes, kAllOnes, kAllOnes, 1)));
    static_assert(slt(kMax, 0) && !slt(0, kMax) && slt(kMin, kMin + 1));
    static_assert(uint256{0} - 1 == kMax);
    static_assert(uint256(3, 0, 0, 0) * uint256(0, 0, 0, 1) == uint256(0, 0, 0, 3));
    static_assert(signextend(0, 0x80) == kMax - 0x7f);
    static_assert(clz(uint256{1}) == 255 && clz(uint256{}) == 256);
    static_assert(uint256{5} > 3 && 3 < uint256{5} && uint256(0, 1, 0, 0) > kAllOnes);

    const uint8_t be[32] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                            0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
                            0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20};
    const uint256 x = uint256::load_be(be);
    EXPECT_EQ(x.w[3], 0x0102030405060708u);
    EXPECT_EQ(x.w[0], 0x191a1b1c1d1e1f20u);
    EXPECT_EQ(uint256::from_be({be, 2}), 0x0102);
    EXPECT_EQ(uint256::from_be({}), 0);
    bytes long_input(40, 0xee);
    std::memcpy(long_input.data() + 8, be, 32);
    EXPECT_EQ(uint256::from_be(long_input), x);  // keeps the last 32 bytes

    // Distinct values, including small and single-high-limb ones, should get distinct hashes.
    std::vector<uint256> values;
    std::mt19937_64 rng(0x5eed0008);
    for (uint64_t i = 0; i < 1000; ++i) {
        values.push_back(i);
        values.push_back({0, 0, 0, i + 1});
        values.push_back({rng(), rng(), rng(), rng()});
    }
    std::unordered_set<uint256> set(values.begin(), values.end());
    std::unordered_set<size_t> hashes;
    for (const auto& v : values)
        hashes.insert(std::hash<uint256>{}(v));
    EXPECT_EQ(set.size(), values.size());
    EXPECT_EQ(hashes.size(), values.size());
    EXPECT_TRUE(set.contains(uint256{0, 0, 0, 1000}));
    EXPECT_FALSE(set.contains(uint256{0, 0, 1, 0}));
    EXPECT_EQ(std::hash<uint256>{}(x), std::hash<uint256>{}(uint256::load_be(be)));
}

}  // namespace

TEST(Uint256Checked, MulAndAddReportOverflow) {
    const krnl::uint256 max = ~krnl::uint256{};
    EXPECT_EQ(krnl::checked_mul(krnl::uint256(3), 5), krnl::uint256(15));
    EXPECT_EQ(krnl::checked_mul(max, 1), max);
    EXPECT_EQ(krnl::checked_mul(max, 0), krnl::uint256(0));
    EXPECT_FALSE(krnl::checked_mul(max, 2));
    EXPECT_FALSE(krnl::checked_mul(krnl::uint256(1) << 200, uint64_t{1} << 56));
    EXPECT_EQ(krnl::checked_mul(krnl::uint256(1) << 200, uint64_t{1} << 55), krnl::uint256(1)
                                                                                 << 255);
    EXPECT_EQ(krnl::checked_add(max - 1, 1), max);
    EXPECT_FALSE(krnl::checked_add(max, 1));
}
