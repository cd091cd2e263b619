#include "evm/precompiles.hpp"

#include <openssl/bn.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <optional>

#include "common/hash.hpp"
#include "common/p256.hpp"
#include "common/secp256k1.hpp"
#include "evm/bls12_381.hpp"
#include "evm/bn254.hpp"
#include "evm/cancellation.hpp"
#include "evm/ecrecover_override.hpp"
#include "evm/kzg.hpp"

namespace krnl::evm {
namespace {

using uint128 = unsigned __int128;
constexpr uint128 kUint128Max = ~uint128{0};

uint128 saturating_mul(uint128 a, uint128 b) {
    if (a != 0 && b > kUint128Max / a) return kUint128Max;
    return a * b;
}

uint128 saturating_add(uint128 a, uint128 b) {
    return a > kUint128Max - b ? kUint128Max : a + b;
}

uint64_t clamp_to_u64(uint128 v) {
    return v > std::numeric_limits<uint64_t>::max() ? std::numeric_limits<uint64_t>::max()
                                                    : static_cast<uint64_t>(v);
}

// Copies input[offset, offset + size) to `out`, zero-filling whatever lies past the end of the
// input: precompiles see their call data as infinitely right-padded with zeros.
void read_padded(bytes_view input, uint128 offset, uint8_t* out, size_t size) {
    std::memset(out, 0, size);
    if (offset >= input.size()) return;
    const size_t available = input.size() - static_cast<size_t>(offset);
    std::memcpy(out, input.data() + static_cast<size_t>(offset), std::min(size, available));
}

uint64_t words(size_t size) {
    return (static_cast<uint64_t>(size) + 31) / 32;
}

uint64_t linear_cost(bytes_view input, uint64_t base, uint64_t per_word) {
    return clamp_to_u64(saturating_add(base, saturating_mul(per_word, words(input.size()))));
}

bytes left_pad_32(bytes_view v) {
    bytes out(32 - v.size(), 0);
    out += v;
    return out;
}

// ---- 0x01 ecrecover -------------------------------------------------------------------------

uint64_t ecrecover_cost(bytes_view, Revision) {
    return 3000;
}

std::optional<bytes> ecrecover_run(bytes_view input, Revision) {
    uint8_t buf[128];
    read_padded(input, 0, buf, sizeof buf);
    const auto word = [&](int i) { return bytes32::from_view({buf + 32 * i, 32}); };
    const hash256 digest = word(0);
    const bytes32 v = word(1);

    // v must be exactly 27 or 28 as a 256-bit number; anything else recovers nothing.
    for (int i = 0; i < 31; ++i)
        if (v[i] != 0) return bytes{};
    if (v[31] != 27 && v[31] != 28) return bytes{};

    // Unlike transactions, ecrecover accepts s in the upper half of the order (no EIP-2 check).
    const auto signer = secp256k1::recover_address(digest, word(2), word(3), v[31] - 27);
    if (!signer) return bytes{};
    return left_pad_32(signer->view());
}

// ---- 0x02 sha256, 0x03 ripemd160, 0x04 identity -------------------------------------------

uint64_t sha256_cost(bytes_view input, Revision) {
    return linear_cost(input, 60, 12);
}
std::optional<bytes> sha256_run(bytes_view input, Revision) {
    return bytes(sha256(input).view());
}

uint64_t ripemd160_cost(bytes_view input, Revision) {
    return linear_cost(input, 600, 120);
}
std::optional<bytes> ripemd160_run(bytes_view input, Revision) {
    return left_pad_32(ripemd160(input).view());
}

uint64_t identity_cost(bytes_view input, Revision) {
    return linear_cost(input, 15, 3);
}
std::optional<bytes> identity_run(bytes_view input, Revision) {
    // An empty view may carry a null pointer, which libstdc++ would hand to memcpy.
    if (input.empty()) return bytes{};
    return bytes(input);
}

// ---- 0x05 modexp ----------------------------------------------------------------------------

// Declared lengths are 256-bit. A length of 2^80 or more prices far beyond any int64 gas limit
// under both pricings (or at zero/the floor when the complexity is zero, where the exponent length
// does not matter), so capping there keeps the arithmetic in 128 bits without changing any price
// that could be paid.
constexpr uint128 kModexpLengthCap = uint128{1} << 80;

struct ModexpHeader {
    uint128 base_len;
    uint128 exp_len;
    uint128 mod_len;
};

uint128 read_length(bytes_view input, size_t offset) {
    uint8_t word[32];
    read_padded(input, offset, word, sizeof word);
    for (int i = 0; i < 16; ++i)
        if (word[i] != 0) return kModexpLengthCap;
    uint128 v = 0;
    for (int i = 16; i < 32; ++i)
        v = (v << 8) | word[i];
    return std::min(v, kModexpLengthCap);
}

ModexpHeader read_modexp_header(bytes_view input) {
    return {read_length(input, 0), read_length(input, 32), read_length(input, 64)};
}

// max(0, index of the highest set bit) over the first min(exp_len, 32) bytes of the exponent,
// plus `bits_per_byte` per exponent byte beyond 32: EIP-198's "adjusted exponent length" with
// 8, EIP-7883's iteration count with 16.
uint128 adjusted_exponent_length(bytes_view input, const ModexpHeader& h, unsigned bits_per_byte) {
    const size_t head_len = static_cast<size_t>(std::min<uint128>(h.exp_len, 32));
    uint8_t head[32];
    read_padded(input, 96 + h.base_len, head, head_len);
    unsigned head_bits = 0;
    for (size_t i = 0; i < head_len; ++i) {
        if (head[i] != 0) {
            head_bits =
                static_cast<unsigned>((head_len - i - 1) * 8) + (8 - std::countl_zero(head[i]));
            break;
        }
    }
    const uint128 highest_bit_index = head_bits == 0 ? 0 : head_bits - 1;
    if (h.exp_len <= 32) return highest_bit_index;
    return bits_per_byte * (h.exp_len - 32) + highest_bit_index;
}

// EIP-7823 (Osaka): a length above this fails the call, whatever gas it was given.
constexpr uint128 kModexpMaxLengthOsaka = 1024;

bool exceeds_osaka_bounds(const ModexpHeader& h) {
    return h.base_len > kModexpMaxLengthOsaka || h.exp_len > kModexpMaxLengthOsaka ||
           h.mod_len > kModexpMaxLengthOsaka;
}

uint64_t modexp_cost(bytes_view input, Revision rev) {
    const ModexpHeader h = read_modexp_header(input);
    const uint128 max_len = std::max(h.base_len, h.mod_len);

    if (rev >= Revision::Osaka) {
        // EIP-7883: a floor of 500, 16 for operands up to 32 bytes, twice the limbs squared
        // above, no division by 3, and 16 iterations per exponent byte beyond 32.
        const uint128 iterations = std::max<uint128>(adjusted_exponent_length(input, h, 16), 1);
        const uint128 limbs = (max_len + 7) / 8;
        const uint128 complexity =
            max_len <= 32 ? 16 : saturating_mul(2, saturating_mul(limbs, limbs));
        return clamp_to_u64(std::max<uint128>(500, saturating_mul(complexity, iterations)));
    }
    const uint128 iterations = std::max<uint128>(adjusted_exponent_length(input, h, 8), 1);
    if (rev >= Revision::Berlin) {
        // EIP-2565: 64-bit limbs squared, a third of a gas per limb-multiplication, floor of 200.
        const uint128 limbs = (max_len + 7) / 8;
        const uint128 complexity = saturating_mul(limbs, limbs);
        return clamp_to_u64(std::max<uint128>(200, saturating_mul(complexity, iterations) / 3));
    }
    // EIP-198's Karatsuba-shaped estimate; the subtractions cannot underflow in their ranges.
    const uint128 x = max_len;
    const uint128 x_squared = saturating_mul(x, x);
    uint128 complexity;
    if (x <= 64)
        complexity = x_squared;
    else if (x <= 1024)
        complexity = x_squared / 4 + 96 * x - 3072;
    else
        complexity = saturating_add(x_squared / 16, 480 * x) - 199680;
    return clamp_to_u64(saturating_mul(complexity, iterations) / 20);
}

struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
    void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn bn_from(const uint8_t* data, size_t size) {
    static const uint8_t empty = 0;
    return Bn(BN_bin2bn(size ? data : &empty, static_cast<int>(size), nullptr));
}

std::optional<bytes> modexp_run(bytes_view input, Revision rev) {
    const ModexpHeader h = read_modexp_header(input);
    if (rev >= Revision::Osaka && exceeds_osaka_bounds(h)) return std::nullopt;
    if (h.mod_len == 0) return bytes{};

    // The gas already paid bounds the modulus length quadratically: this limit (OpenSSL takes int
    // lengths) is only reachable with more than 10^14 gas.
    constexpr uint128 kMaxOperandBytes = INT_MAX / 8;
    if (h.mod_len > kMaxOperandBytes) return std::nullopt;
    const size_t mod_len = static_cast<size_t>(h.mod_len);
    bytes out(mod_len, 0);

    // The operands are laid out base, exponent, modulus. If the modulus starts past the end of the
    // input it is zero, and x mod 0 is defined as 0 here. Otherwise base and exponent lie wholly
    // inside the input, so no declared length, however large, is ever materialised beyond it.
    const uint128 mod_offset = 96 + h.base_len + h.exp_len;
    if (mod_offset >= input.size()) return out;
    const size_t base_len = static_cast<size_t>(h.base_len);
    const size_t exp_len = static_cast<size_t>(h.exp_len);
    if (input.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;

    bytes mod_bytes(mod_len, 0);
    read_padded(input, mod_offset, mod_bytes.data(), mod_len);

    Bn base = bn_from(input.data() + 96, base_len);
    Bn exponent = bn_from(input.data() + 96 + base_len, exp_len);
    Bn mod = bn_from(mod_bytes.data(), mod_len);
    Bn result(BN_new());
    std::unique_ptr<BN_CTX, BnFree> ctx(BN_CTX_new());
    if (!base || !exponent || !mod || !result || !ctx) return std::nullopt;

    if (BN_is_zero(mod.get())) return out;
    if (!BN_mod_exp(result.get(), base.get(), exponent.get(), mod.get(), ctx.get()))
        return std::nullopt;

    // result < mod < 256^mod_len, so it fits right-aligned.
    const int result_len = BN_num_bytes(result.get());
    BN_bn2bin(result.get(), out.data() + (mod_len - static_cast<size_t>(result_len)));
    return out;
}

// ---- 0x06..0x08 bn254 -----------------------------------------------------------------------

constexpr size_t kPairingElementSize = 192;

uint64_t bn254_add_cost(bytes_view, Revision rev) {
    return rev >= Revision::Istanbul ? 150 : 500;
}
std::optional<bytes> bn254_add_run(bytes_view input, Revision) {
    return bn254::add(input);
}

uint64_t bn254_mul_cost(bytes_view, Revision rev) {
    return rev >= Revision::Istanbul ? 6000 : 40000;
}
std::optional<bytes> bn254_mul_run(bytes_view input, Revision) {
    return bn254::mul(input);
}

uint64_t bn254_pairing_cost(bytes_view input, Revision rev) {
    const uint128 pairs = input.size() / kPairingElementSize;
    if (rev >= Revision::Istanbul) return clamp_to_u64(45000 + saturating_mul(34000, pairs));
    return clamp_to_u64(100000 + saturating_mul(80000, pairs));
}

std::optional<bytes> bn254_pairing_run(bytes_view input, Revision) {
    if (input.size() % kPairingElementSize != 0) return std::nullopt;
    const auto holds = bn254::pairing_check(input);
    if (!holds) return std::nullopt;
    bytes out(32, 0);
    out[31] = *holds ? 1 : 0;
    return out;
}

// ---- 0x09 blake2f (EIP-152) -----------------------------------------------------------------

constexpr size_t kBlake2fInputSize = 213;

// RFC 7693: the initialisation vector (SHA-512's) and the message schedule.
constexpr uint64_t kBlake2bIv[8] = {
    0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
    0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
};
constexpr uint8_t kBlake2bSigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

uint64_t load_le64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

void store_le64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline void blake2b_mix(uint64_t v[16], int a, int b, int c, int d, uint64_t x, uint64_t y) {
    v[a] = v[a] + v[b] + x;
    v[d] = std::rotr(v[d] ^ v[a], 32);
    v[c] = v[c] + v[d];
    v[b] = std::rotr(v[b] ^ v[c], 24);
    v[a] = v[a] + v[b] + y;
    v[d] = std::rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = std::rotr(v[b] ^ v[c], 63);
}

// The compression function F of RFC 7693 section 3.2 with a caller-chosen number of rounds.
void blake2b_compress(uint32_t rounds, uint64_t h[8], const uint64_t m[16], uint64_t t0,
                      uint64_t t1, bool final_block) {
    uint64_t v[16];
    for (int i = 0; i < 8; ++i) {
        v[i] = h[i];
        v[i + 8] = kBlake2bIv[i];
    }
    v[12] ^= t0;
    v[13] ^= t1;
    if (final_block) v[14] = ~v[14];

    for (uint32_t round = 0; round < rounds; ++round) {
        const uint8_t* s = kBlake2bSigma[round % 10];
        blake2b_mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        blake2b_mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        blake2b_mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        blake2b_mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        blake2b_mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        blake2b_mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        blake2b_mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        blake2b_mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; ++i)
        h[i] ^= v[i] ^ v[i + 8];
}

uint32_t blake2f_rounds(bytes_view input) {
    return (uint32_t{input[0]} << 24) | (uint32_t{input[1]} << 16) | (uint32_t{input[2]} << 8) |
           input[3];
}

// A malformed input costs nothing here; the run then fails and consumes all gas anyway.
uint64_t blake2f_cost(bytes_view input, Revision) {
    return input.size() == kBlake2fInputSize ? blake2f_rounds(input) : 0;
}

std::optional<bytes> blake2f_run(bytes_view input, Revision) {
    // Layout: rounds (4, big-endian) | h (8 x 8, little-endian) | m (16 x 8) | t0, t1 (8 each) | f.
    if (input.size() != kBlake2fInputSize) return std::nullopt;
    const uint8_t final_flag = input[212];
    if (final_flag > 1) return std::nullopt;

    uint64_t h[8];
    uint64_t m[16];
    for (int i = 0; i < 8; ++i)
        h[i] = load_le64(input.data() + 4 + 8 * i);
    for (int i = 0; i < 16; ++i)
        m[i] = load_le64(input.data() + 68 + 8 * i);
    const uint64_t t0 = load_le64(input.data() + 196);
    const uint64_t t1 = load_le64(input.data() + 204);

    blake2b_compress(blake2f_rounds(input), h, m, t0, t1, final_flag == 1);

    bytes out(64, 0);
    for (int i = 0; i < 8; ++i)
        store_le64(out.data() + 8 * i, h[i]);
    return out;
}

// ---- 0x0a point evaluation (EIP-4844) -------------------------------------------------------

uint64_t point_evaluation_cost(bytes_view, Revision) {
    return kzg::kPointEvaluationGas;
}
std::optional<bytes> point_evaluation_run(bytes_view input, Revision) {
    return kzg::point_evaluation(input);
}

// ---- 0x0b..0x11 BLS12-381 (EIP-2537) --------------------------------------------------------

uint64_t bls_g1_add_cost(bytes_view, Revision) {
    return bls12_381::kG1AddGas;
}
std::optional<bytes> bls_g1_add_run(bytes_view input, Revision) {
    return bls12_381::g1_add(input);
}
uint64_t bls_g1_msm_cost(bytes_view input, Revision) {
    return bls12_381::g1_msm_gas(input.size());
}
std::optional<bytes> bls_g1_msm_run(bytes_view input, Revision) {
    return bls12_381::g1_msm(input);
}
uint64_t bls_g2_add_cost(bytes_view, Revision) {
    return bls12_381::kG2AddGas;
}
std::optional<bytes> bls_g2_add_run(bytes_view input, Revision) {
    return bls12_381::g2_add(input);
}
uint64_t bls_g2_msm_cost(bytes_view input, Revision) {
    return bls12_381::g2_msm_gas(input.size());
}
std::optional<bytes> bls_g2_msm_run(bytes_view input, Revision) {
    return bls12_381::g2_msm(input);
}
uint64_t bls_pairing_cost(bytes_view input, Revision) {
    return bls12_381::pairing_gas(input.size());
}
std::optional<bytes> bls_pairing_run(bytes_view input, Revision) {
    return bls12_381::pairing_check(input);
}
uint64_t bls_map_fp_to_g1_cost(bytes_view, Revision) {
    return bls12_381::kMapFpToG1Gas;
}
std::optional<bytes> bls_map_fp_to_g1_run(bytes_view input, Revision) {
    return bls12_381::map_fp_to_g1(input);
}
uint64_t bls_map_fp2_to_g2_cost(bytes_view, Revision) {
    return bls12_381::kMapFp2ToG2Gas;
}
std::optional<bytes> bls_map_fp2_to_g2_run(bytes_view input, Revision) {
    return bls12_381::map_fp2_to_g2(input);
}

// ---- 0x100 P256VERIFY (EIP-7951) ------------------------------------------------------------

uint64_t p256_verify_cost(bytes_view, Revision) {
    return 6900;
}
// 32 bytes of 1 for a valid signature; for anything else (wrong length included) an empty
// output, which is a successful call, not a failure.
std::optional<bytes> p256_verify_run(bytes_view input, Revision) {
    if (input.size() != 160) return bytes{};
    auto word = [&](size_t i) { return bytes32::from_view(input.substr(32 * i, 32)); };
    if (!p256::verify(word(0), word(1), word(2), word(3), word(4))) return bytes{};
    bytes one(32, 0);
    one[31] = 1;
    return one;
}

// ---- dispatch -------------------------------------------------------------------------------

struct Precompile {
    uint64_t (*cost)(bytes_view input, Revision rev);
    std::optional<bytes> (*run)(bytes_view input, Revision rev);
};

constexpr Precompile kPrecompiles[] = {
    {ecrecover_cost, ecrecover_run},
    {sha256_cost, sha256_run},
    {ripemd160_cost, ripemd160_run},
    {identity_cost, identity_run},
    {modexp_cost, modexp_run},
    {bn254_add_cost, bn254_add_run},
    {bn254_mul_cost, bn254_mul_run},
    {bn254_pairing_cost, bn254_pairing_run},
    {blake2f_cost, blake2f_run},
    {point_evaluation_cost, point_evaluation_run},
    {bls_g1_add_cost, bls_g1_add_run},
    {bls_g1_msm_cost, bls_g1_msm_run},
    {bls_g2_add_cost, bls_g2_add_run},
    {bls_g2_msm_cost, bls_g2_msm_run},
    {bls_pairing_cost, bls_pairing_run},
    {bls_map_fp_to_g1_cost, bls_map_fp_to_g1_run},
    {bls_map_fp2_to_g2_cost, bls_map_fp2_to_g2_run},
    {p256_verify_cost, p256_verify_run},
};
static_assert(std::size(kPrecompiles) == kLastBlsAddress + 1);
constexpr uint8_t kP256VerifyNumber = kLastBlsAddress + 1;  // its row in the table

uint8_t last_precompile(Revision rev) {
    if (rev >= Revision::Prague) return kLastBlsAddress;
    if (rev >= Revision::Cancun) return kPointEvaluationAddress;
    if (rev >= Revision::Istanbul) return 0x09;
    if (rev >= Revision::Byzantium) return 0x08;
    return 0x04;
}

// The precompile's row in the table (1-based), or 0 if `addr` is not one at `rev`.
uint8_t precompile_number(const address& addr, Revision rev) {
    for (size_t i = 0; i + 2 < address::size(); ++i)
        if (addr[i] != 0) return 0;
    const uint8_t high = addr[address::size() - 2];
    const uint8_t n = addr[address::size() - 1];
    if (high == 0x01 && n == 0x00) return rev >= Revision::Osaka ? kP256VerifyNumber : 0;
    if (high != 0) return 0;
    return n >= 1 && n <= last_precompile(rev) ? n : 0;
}

PrecompileResult failure(int64_t gas_limit) {
    return {false, std::max<int64_t>(gas_limit, 0), {}};
}

}  // namespace

bool is_precompile(const address& addr, Revision rev) {
    return precompile_number(addr, rev) != 0;
}

PrecompileResult run_precompile(const address& addr, bytes_view input, int64_t gas_limit,
                                Revision rev, uint64_t chain_id) {
    const uint8_t n = precompile_number(addr, rev);
    if (n == 0) return failure(gas_limit);
    const Precompile& p = kPrecompiles[n - 1];

    const uint64_t cost = p.cost(input, rev);
    if (gas_limit < 0 || cost > static_cast<uint64_t>(gas_limit)) return failure(gas_limit);
    // An abandoned execution (cancellation.hpp) runs no more of the costliest steps there are.
    if (stop_requested()) [[unlikely]]
        return failure(gas_limit);

    // anvil_impersonateSignature's signers come first, whatever the digest and v, as in anvil.
    if (n == 1)
        if (auto signer = recover_override(chain_id, input))
            return {true, static_cast<int64_t>(cost), left_pad_32(signer->view())};
    // Resource exhaustion (a modexp operand too large to allocate) is a failed call, not a crash.
    try {
        auto output = p.run(input, rev);
        if (!output) return failure(gas_limit);
        return {true, static_cast<int64_t>(cost), std::move(*output)};
    } catch (const std::exception&) {
        return failure(gas_limit);
    }
}

}  // namespace krnl::evm
