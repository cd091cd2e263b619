#include "evm/bn254.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "evm/bn254_pairing.hpp"

namespace krnl::evm::bn254 {
namespace {

// The input cut or zero-extended to exactly n bytes.
template <size_t N>
std::array<uint8_t, N> fixed_input(bytes_view input) {
    std::array<uint8_t, N> out{};
    std::copy_n(input.begin(), std::min(N, input.size()), out.begin());
    return out;
}

Limbs read_limbs(const uint8_t* be32) {
    Limbs l;
    for (int i = 0; i < 4; ++i) {
        uint64_t word = 0;
        for (int j = 0; j < 8; ++j)
            word = (word << 8) | be32[i * 8 + j];
        l.w[3 - i] = word;
    }
    return l;
}

std::optional<Fp> read_fp(const uint8_t* be32) {
    const Limbs l = read_limbs(be32);
    if (!limbs_less(l, kP)) return std::nullopt;
    return fp_from_limbs(l);
}

void write_fp(uint8_t* out, const Fp& a) {
    const Limbs l = fp_to_limbs(a);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 8; ++j)
            out[i * 8 + j] = static_cast<uint8_t>(l.w[3 - i] >> (56 - 8 * j));
}

// A G1 point from 64 bytes (x, y); (0, 0) is infinity.
std::optional<Affine<Fp>> read_g1(const uint8_t* in) {
    const auto x = read_fp(in);
    const auto y = read_fp(in + 32);
    if (!x || !y) return std::nullopt;
    if (x->is_zero() && y->is_zero()) return Affine<Fp>{Fp::zero(), Fp::zero(), true};
    const Affine<Fp> p{*x, *y, false};
    if (!on_curve(p, kG1B)) return std::nullopt;
    return p;
}

// A G2 point from 128 bytes (x_imag, x_real, y_imag, y_real), checked on the twist and in G2.
std::optional<Affine<Fp2>> read_g2(const uint8_t* in) {
    const auto x_imag = read_fp(in);
    const auto x_real = read_fp(in + 32);
    const auto y_imag = read_fp(in + 64);
    const auto y_real = read_fp(in + 96);
    if (!x_imag || !x_real || !y_imag || !y_real) return std::nullopt;
    const Affine<Fp2> q{{*x_real, *x_imag}, {*y_real, *y_imag}, false};
    if (q.x.is_zero() && q.y.is_zero()) return Affine<Fp2>{Fp2::zero(), Fp2::zero(), true};
    if (!on_curve(q, kG2B)) return std::nullopt;
    if (!g2_in_subgroup(G2::from_affine(q))) return std::nullopt;
    return q;
}

bytes encode_g1(const G1& p) {
    bytes out(64, 0);
    const Affine<Fp> a = to_affine(p);
    if (!a.infinity) {
        write_fp(out.data(), a.x);
        write_fp(out.data() + 32, a.y);
    }
    return out;
}

}  // namespace

std::optional<bytes> add(bytes_view input) {
    const auto in = fixed_input<128>(input);
    const auto p = read_g1(in.data());
    const auto q = read_g1(in.data() + 64);
    if (!p || !q) return std::nullopt;
    return encode_g1(add_mixed(G1::from_affine(*p), *q));
}

std::optional<bytes> mul(bytes_view input) {
    const auto in = fixed_input<96>(input);
    const auto p = read_g1(in.data());
    if (!p) return std::nullopt;
    return encode_g1(scalar_mul(G1::from_affine(*p), read_limbs(in.data() + 64)));
}

std::optional<bool> pairing_check(bytes_view input) {
    constexpr size_t kPairSize = 192;
    if (input.size() % kPairSize != 0) return std::nullopt;
    std::vector<Affine<Fp>> ps;
    std::vector<Affine<Fp2>> qs;
    for (size_t off = 0; off < input.size(); off += kPairSize) {
        const auto p = read_g1(input.data() + off);
        const auto q = read_g2(input.data() + off + 64);
        if (!p || !q) return std::nullopt;
        if (p->infinity || q->infinity) continue;
        ps.push_back(*p);
        qs.push_back(*q);
    }
    if (ps.empty()) return true;
    return final_exponentiation(miller_loop(ps, qs)) == Fp12::one();
}

}  // namespace krnl::evm::bn254
