#include "evm/kzg.hpp"

#include <algorithm>

#include "common/hash.hpp"
#include "evm/bls12_381_pairing.hpp"

namespace krnl::evm::kzg {
namespace {

using namespace bls12_381;

constexpr uint8_t kVersionedHashVersionKzg = 0x01;
constexpr uint64_t kFieldElementsPerBlob = 4096;

// [tau]G2, the second G2 point of the KZG ceremony's output as c-kzg-4844 ships it
// (github.com/ethereum/c-kzg-4844, src/trusted_setup.txt, line 4100: after the 4096 G1 points
// come the 65 G2 points [tau^i]G2, and [tau^0]G2 is the generator), compressed.
constexpr std::string_view kTauG2Compressed =
    "b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d2914e5870cb452d2afaaab24f3499f"
    "72"
    "185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1de"
    "f2";

Limbs read_be(const uint8_t* in, size_t n) {
    Limbs l{};
    for (size_t i = 0; i < n; ++i) {
        const size_t bit = 8 * (n - 1 - i);
        l.w[bit / 64] |= static_cast<uint64_t>(in[i]) << (bit % 64);
    }
    return l;
}

// The x coordinate and flags of a compressed point (the ZCash encoding the consensus specs use):
// the top three bits of the first byte are "compressed", "infinity" and "y is the larger root".
struct Flags {
    bool compressed, infinity, larger_y;
};

Flags read_flags(uint8_t first) {
    return {(first & 0x80) != 0, (first & 0x40) != 0, (first & 0x20) != 0};
}

// A 48-byte compressed G1 point, checked on the curve and in G1 (KeyValidate, infinity allowed).
std::optional<G1Affine> decompress_g1(const uint8_t* in) {
    const Flags flags = read_flags(in[0]);
    uint8_t x_bytes[48];
    std::copy_n(in, 48, x_bytes);
    x_bytes[0] &= 0x1f;
    const Limbs x_limbs = read_be(x_bytes, 48);
    if (!flags.compressed) return std::nullopt;
    if (flags.infinity) {
        if (flags.larger_y || !limbs_is_zero(x_limbs)) return std::nullopt;
        return G1Affine{Fp::zero(), Fp::zero(), true};
    }
    if (!limbs_less(x_limbs, kP)) return std::nullopt;
    const Fp x = fp_from_limbs(x_limbs);
    Fp y;
    if (!sqrt(sqr(x) * x + kG1B, y)) return std::nullopt;
    if (lexicographically_largest(y) != flags.larger_y) y = -y;
    const G1Affine p{x, y, false};
    if (!g1_in_subgroup(G1::from_affine(p))) return std::nullopt;
    return p;
}

// A 96-byte compressed G2 point: x.c1 (carrying the flags) then x.c0.
std::optional<G2Affine> decompress_g2(const uint8_t* in) {
    const Flags flags = read_flags(in[0]);
    uint8_t c1_bytes[48];
    std::copy_n(in, 48, c1_bytes);
    c1_bytes[0] &= 0x1f;
    const Limbs c1 = read_be(c1_bytes, 48);
    const Limbs c0 = read_be(in + 48, 48);
    if (!flags.compressed || flags.infinity) return std::nullopt;
    if (!limbs_less(c1, kP) || !limbs_less(c0, kP)) return std::nullopt;
    const Fp2 x{fp_from_limbs(c0), fp_from_limbs(c1)};
    Fp2 y;
    if (!sqrt(sqr(x) * x + kG2B, y)) return std::nullopt;
    if (lexicographically_largest(y) != flags.larger_y) y = -y;
    const G2Affine q{x, y, false};
    if (!g2_in_subgroup(G2::from_affine(q))) return std::nullopt;
    return q;
}

const G2& tau_g2() {
    static const G2 tau = [] {
        const auto raw = from_hex(kTauG2Compressed);
        const auto q = raw ? decompress_g2(raw->data()) : std::nullopt;
        return q ? G2::from_affine(*q) : G2::infinity();  // the unit tests pin the value
    }();
    return tau;
}

// e(C - [y]G1, -G2) * e(proof, [tau]G2 - [z]G2) == 1, rearranged as
// e(C - [y]G1 + [z]proof, -G2) * e(proof, [tau]G2) == 1 so that both scalar multiplications are
// in G1 (the fixed-base one from a table) and both G2 points are fixed, their lines prepared.
bool verify_kzg_proof(const G1Affine& commitment, const Limbs& z, const Limbs& y,
                      const G1Affine& proof) {
    static const PreparedG2 tau = prepare_g2(to_affine(tau_g2()));
    static const PreparedG2 minus_g2 = prepare_g2(to_affine(negate(G2::from_affine(kG2Generator))));
    const G1 z_proof =
        msm_subgroup(std::span<const G1Affine>(&proof, 1), std::span<const Limbs>(&z, 1));
    const G1 lhs = add_mixed(add_points(z_proof, negate(g1_generator_mul(y))), commitment);
    const G1Affine ps[2] = {to_affine(lhs), proof};
    const PreparedG2* const qs[2] = {&minus_g2, &tau};
    return pairing_product_is_one(ps, qs);
}

void write_be32(uint8_t* out, const Limbs& l) {
    for (size_t i = 0; i < 32; ++i) {
        const size_t bit = 8 * (31 - i);
        out[i] = static_cast<uint8_t>(l.w[bit / 64] >> (bit % 64));
    }
}

}  // namespace

std::optional<bytes> point_evaluation(bytes_view input) {
    if (input.size() != 192) return std::nullopt;
    const uint8_t* versioned_hash = input.data();
    const uint8_t* commitment_bytes = input.data() + 96;
    hash256 expected = sha256(bytes_view{commitment_bytes, 48});
    expected[0] = kVersionedHashVersionKzg;
    if (!std::equal(versioned_hash, versioned_hash + 32, expected.data())) return std::nullopt;

    const Limbs z = read_be(input.data() + 32, 32);
    const Limbs y = read_be(input.data() + 64, 32);
    if (!limbs_less(z, kR) || !limbs_less(y, kR)) return std::nullopt;
    const auto commitment = decompress_g1(commitment_bytes);
    const auto proof = decompress_g1(input.data() + 144);
    if (!commitment || !proof) return std::nullopt;
    if (!verify_kzg_proof(*commitment, z, y, *proof)) return std::nullopt;

    bytes out(64, 0);
    write_be32(out.data(), Limbs{{kFieldElementsPerBlob}});
    write_be32(out.data() + 32, kR);
    return out;
}

}  // namespace krnl::evm::kzg
