#include "evm/bls12_381.hpp"

#include <vector>

#include "evm/bls12_381_map.hpp"
#include "evm/bls12_381_pairing.hpp"

namespace krnl::evm::bls12_381 {
namespace {

constexpr size_t kFpSize = 64;
constexpr size_t kG1Size = 2 * kFpSize;
constexpr size_t kG2Size = 4 * kFpSize;
constexpr size_t kScalarSize = 32;
constexpr size_t kG1MsmPairSize = kG1Size + kScalarSize;  // 160
constexpr size_t kG2MsmPairSize = kG2Size + kScalarSize;  // 288
constexpr size_t kPairingPairSize = kG1Size + kG2Size;    // 384

// A big-endian number of n <= 48 bytes.
Limbs read_be(const uint8_t* in, size_t n) {
    Limbs l{};
    for (size_t i = 0; i < n; ++i) {
        const size_t bit = 8 * (n - 1 - i);
        l.w[bit / 64] |= static_cast<uint64_t>(in[i]) << (bit % 64);
    }
    return l;
}

// 64 bytes: 16 zero bytes, then a big-endian integer below p.
std::optional<Fp> read_fp(const uint8_t* in) {
    for (size_t i = 0; i < 16; ++i)
        if (in[i] != 0) return std::nullopt;
    const Limbs l = read_be(in + 16, 48);
    if (!limbs_less(l, kP)) return std::nullopt;
    return fp_from_limbs(l);
}

// c0 || c1
std::optional<Fp2> read_fp2(const uint8_t* in) {
    const auto c0 = read_fp(in);
    const auto c1 = read_fp(in + kFpSize);
    if (!c0 || !c1) return std::nullopt;
    return Fp2{*c0, *c1};
}

void write_fp(uint8_t* out, const Fp& a) {
    const Limbs l = fp_to_limbs(a);
    for (size_t i = 0; i < 48; ++i) {
        const size_t bit = 8 * (47 - i);
        out[16 + i] = static_cast<uint8_t>(l.w[bit / 64] >> (bit % 64));
    }
}

// A point on the curve or infinity (all zero bytes); with `subgroup`, also in G1.
std::optional<G1Affine> read_g1(const uint8_t* in, bool subgroup) {
    const auto x = read_fp(in);
    const auto y = read_fp(in + kFpSize);
    if (!x || !y) return std::nullopt;
    if (x->is_zero() && y->is_zero()) return G1Affine{Fp::zero(), Fp::zero(), true};
    const G1Affine p{*x, *y, false};
    if (!on_curve(p, kG1B)) return std::nullopt;
    if (subgroup && !g1_in_subgroup(G1::from_affine(p))) return std::nullopt;
    return p;
}

std::optional<G2Affine> read_g2(const uint8_t* in, bool subgroup) {
    const auto x = read_fp2(in);
    const auto y = read_fp2(in + 2 * kFpSize);
    if (!x || !y) return std::nullopt;
    if (x->is_zero() && y->is_zero()) return G2Affine{Fp2::zero(), Fp2::zero(), true};
    const G2Affine q{*x, *y, false};
    if (!on_curve(q, kG2B)) return std::nullopt;
    if (subgroup && !g2_in_subgroup(G2::from_affine(q))) return std::nullopt;
    return q;
}

bytes encode(const G1Affine& a) {
    bytes out(kG1Size, 0);
    if (!a.infinity) {
        write_fp(out.data(), a.x);
        write_fp(out.data() + kFpSize, a.y);
    }
    return out;
}

bytes encode(const G2Affine& a) {
    bytes out(kG2Size, 0);
    if (!a.infinity) {
        write_fp(out.data(), a.x.c0);
        write_fp(out.data() + kFpSize, a.x.c1);
        write_fp(out.data() + 2 * kFpSize, a.y.c0);
        write_fp(out.data() + 3 * kFpSize, a.y.c1);
    }
    return out;
}

bytes encode(const G1& p) {
    return encode(to_affine(p));
}

bytes encode(const G2& q) {
    return encode(to_affine(q));
}

template <class Affine, class ReadPoint>
std::optional<bytes> msm_of(bytes_view input, size_t pair_size, ReadPoint read_point) {
    if (input.empty() || input.size() % pair_size != 0) return std::nullopt;
    const size_t k = input.size() / pair_size;
    std::vector<Affine> points;
    std::vector<Limbs> scalars;
    points.reserve(k);
    scalars.reserve(k);
    for (size_t i = 0; i < k; ++i) {
        const uint8_t* pair = input.data() + i * pair_size;
        const auto p = read_point(pair);
        if (!p) return std::nullopt;
        const Limbs s = read_be(pair + pair_size - kScalarSize, kScalarSize);
        if (p->infinity || limbs_is_zero(s)) continue;
        points.push_back(*p);
        scalars.push_back(s);
    }
    return encode(msm_subgroup(std::span<const Affine>(points), scalars));
}

// EIP-2537's discount tables for k = 1..128 pairs (per mille); max_discount beyond.
constexpr uint16_t kG1Discount[128] = {
    1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677, 673, 669, 665,
    661,  658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627, 625, 623, 621, 619, 617, 615,
    613,  611, 609, 608, 606, 604, 603, 601, 599, 598, 596, 595, 593, 592, 591, 589, 588, 586, 585,
    584,  582, 581, 580, 579, 577, 576, 575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563,
    562,  561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545,
    544,  543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531, 530, 529,
    528,  528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519};
constexpr uint16_t kG1MaxDiscount = 519;
constexpr uint16_t kG2Discount[128] = {
    1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717, 711, 704, 699,
    693,  688,  683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646, 643, 640, 637, 634, 632, 629,
    627,  624,  622, 620, 618, 615, 613, 611, 609, 607, 606, 604, 602, 600, 598, 597, 595, 593, 592,
    590,  589,  587, 586, 584, 583, 582, 580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568, 567,
    566,  565,  563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549, 548,
    547,  546,  545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535, 534, 533,
    532,  532,  531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524};
constexpr uint16_t kG2MaxDiscount = 524;
constexpr uint64_t kG1MulGas = 12000;
constexpr uint64_t kG2MulGas = 22500;

uint64_t msm_gas(size_t input_size, size_t pair_size, const uint16_t (&table)[128],
                 uint16_t max_discount, uint64_t mul_gas) {
    const uint64_t k = input_size / pair_size;
    if (k == 0) return 0;
    const uint64_t discount = k <= 128 ? table[k - 1] : max_discount;
    // Inputs are bounded by memory far below 2^40 bytes, so this cannot overflow.
    return k * mul_gas * discount / 1000;
}

}  // namespace

std::optional<bytes> g1_add(bytes_view input) {
    if (input.size() != 2 * kG1Size) return std::nullopt;
    const auto p = read_g1(input.data(), false);
    const auto q = read_g1(input.data() + kG1Size, false);
    if (!p || !q) return std::nullopt;
    return encode(add_affine(*p, *q));
}

std::optional<bytes> g2_add(bytes_view input) {
    if (input.size() != 2 * kG2Size) return std::nullopt;
    const auto p = read_g2(input.data(), false);
    const auto q = read_g2(input.data() + kG2Size, false);
    if (!p || !q) return std::nullopt;
    return encode(add_affine(*p, *q));
}

std::optional<bytes> g1_msm(bytes_view input) {
    return msm_of<G1Affine>(input, kG1MsmPairSize,
                            [](const uint8_t* in) { return read_g1(in, true); });
}

std::optional<bytes> g2_msm(bytes_view input) {
    return msm_of<G2Affine>(input, kG2MsmPairSize,
                            [](const uint8_t* in) { return read_g2(in, true); });
}

std::optional<bytes> pairing_check(bytes_view input) {
    if (input.empty() || input.size() % kPairingPairSize != 0) return std::nullopt;
    const size_t k = input.size() / kPairingPairSize;
    std::vector<G1Affine> ps(k);
    std::vector<G2Affine> qs(k);
    for (size_t i = 0; i < k; ++i) {
        const uint8_t* pair = input.data() + i * kPairingPairSize;
        const auto p = read_g1(pair, true);
        const auto q = read_g2(pair + kG1Size, true);
        if (!p || !q) return std::nullopt;
        ps[i] = *p;
        qs[i] = *q;
    }
    bytes out(32, 0);
    // Non-degeneracy: for P in G1 and Q in G2 (checked above), e(P, Q) = 1 only when P or Q is
    // infinity. A product with a single pair free of infinity is therefore not 1, and needs no
    // pairing (the k = 1 call would otherwise be the most expensive per unit of gas).
    size_t finite_pairs = 0;
    for (size_t i = 0; i < k; ++i)
        finite_pairs += !ps[i].infinity && !qs[i].infinity ? 1 : 0;
    out[31] = finite_pairs != 1 && pairing_product_is_one(ps, qs) ? 1 : 0;
    return out;
}

std::optional<bytes> map_fp_to_g1(bytes_view input) {
    if (input.size() != kFpSize) return std::nullopt;
    const auto u = read_fp(input.data());
    if (!u) return std::nullopt;
    return encode(map_to_g1(*u));
}

std::optional<bytes> map_fp2_to_g2(bytes_view input) {
    if (input.size() != 2 * kFpSize) return std::nullopt;
    const auto u = read_fp2(input.data());
    if (!u) return std::nullopt;
    return encode(map_to_g2(*u));
}

uint64_t g1_msm_gas(size_t input_size) {
    return msm_gas(input_size, kG1MsmPairSize, kG1Discount, kG1MaxDiscount, kG1MulGas);
}

uint64_t g2_msm_gas(size_t input_size) {
    return msm_gas(input_size, kG2MsmPairSize, kG2Discount, kG2MaxDiscount, kG2MulGas);
}

uint64_t pairing_gas(size_t input_size) {
    return 32600 * static_cast<uint64_t>(input_size / kPairingPairSize) + 37700;
}

}  // namespace krnl::evm::bls12_381
