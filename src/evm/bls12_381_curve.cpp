#include "evm/bls12_381_curve.hpp"

#include <array>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace krnl::evm::bls12_381 {
namespace {

// psi's coefficients (RFC 9380, appendix G.3): 1/(1+u)^((p-1)/3), 1/(1+u)^((p-1)/2), and psi2's
// 1/2^((p-1)/3).
constexpr Limbs p_minus_1_over(uint64_t d) {
    Limbs e;
    limbs_sub(e, kP, Limbs{{1}});
    return detail::divide_small(e, d);
}

// Separate constants: each is one constant evaluation, within the compiler's operation limit.
constexpr Fp2 kPsiX = inverse(pow(Fp2{Fp::one(), Fp::one()}, p_minus_1_over(3)));
constexpr Fp2 kPsiY = inverse(pow(Fp2{Fp::one(), Fp::one()}, p_minus_1_over(2)));
constexpr Fp2 kPsi2X = inverse(pow(fp2_from_u64(2, 0), p_minus_1_over(3)));

// The two primitive cube roots of unity in Fp: g^((p-1)/3) for the first non-cube g, and its
// square.
struct CubeRoots {
    Fp beta, beta_squared;
};

constexpr CubeRoots make_cube_roots() {
    Limbs e;
    limbs_sub(e, kP, Limbs{{1}});
    const Limbs third = detail::divide_small(e, 3);
    for (uint64_t g = 2;; ++g) {
        const Fp b = pow(fp_from_u64(g), third);
        if (!(b == Fp::one())) return {b, sqr(b)};
    }
}

constexpr CubeRoots kCubeRoots = make_cube_roots();

G1 phi(const G1& p, const Fp& beta) {
    return {p.x * beta, p.y, p.z};
}

// The cube root whose endomorphism acts on G1 as [-x^2] (the other acts as [x^2 - 1]); chosen
// once by trying the generator.
const Fp& g1_endomorphism_beta() {
    static const Fp beta = [] {
        const G1 g = G1::from_affine(kG1Generator);
        const G1 minus_x2_g = negate(mul_by_x(mul_by_x(g)));
        return equal_points(phi(g, kCubeRoots.beta), minus_x2_g) ? kCubeRoots.beta
                                                                 : kCubeRoots.beta_squared;
    }();
    return beta;
}

// Pippenger's window width for n points: the c minimising windows * (n mixed additions + the
// bucket sums' 2 * 2^(c-1) full additions, about 1.5 mixed ones each).
int window_bits(size_t n, unsigned scalar_bits) {
    int best = 1;
    double best_cost = 0;
    for (int c = 1; c <= 16; ++c) {
        const double windows = static_cast<double>((scalar_bits + static_cast<unsigned>(c)) /
                                                   static_cast<unsigned>(c));
        const double cost =
            windows * (static_cast<double>(n) + 3.0 * static_cast<double>(size_t{1} << (c - 1)));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

// Signed base-2^c digits of a scalar of up to 256 bits, each in [-2^(c-1), 2^(c-1)], least
// significant first: a digit above half the base borrows from the next window, so only 2^(c-1)
// buckets are needed (a negative digit adds the negated point).
void signed_digits(const Limbs& k, int c, unsigned windows, int32_t* out) {
    const int64_t base = int64_t{1} << c;
    int64_t carry = 0;
    for (unsigned w = 0; w < windows; ++w) {
        int64_t d = carry;
        for (int b = 0; b < c; ++b) {
            const unsigned i = w * static_cast<unsigned>(c) + static_cast<unsigned>(b);
            if (i < 256 && limbs_bit(k, i)) d += int64_t{1} << b;
        }
        carry = 0;
        if (d > base / 2) {
            d -= base;
            carry = 1;
        }
        out[w] = static_cast<int32_t>(d);
    }
}

// Straus: one shared chain of doublings, each point adding its own width-5 wNAF digits from a
// table of its odd multiples. Fewer operations than Pippenger's buckets for small n.
template <class F>
Jacobian<F> straus(std::span<const Affine<F>> points, std::span<const Limbs> scalars) {
    const size_t n = points.size();
    constexpr int kMaxDigits = kLimbs * 64 + 1;
    std::vector<int8_t> digits(n * kMaxDigits);
    std::vector<int> lengths(n);
    std::vector<Jacobian<F>> tables(n * 8);  // P, 3P, ..., 15P per point
    int longest = 0;
    for (size_t i = 0; i < n; ++i) {
        lengths[i] = wnaf_digits(scalars[i], digits.data() + i * kMaxDigits);
        longest = std::max(longest, lengths[i]);
        Jacobian<F>* table = tables.data() + i * 8;
        table[0] = Jacobian<F>::from_affine(points[i]);
        const Jacobian<F> p2 = double_point(table[0]);
        for (int j = 1; j < 8; ++j)
            table[j] = add_points(table[j - 1], p2);
    }
    Jacobian<F> acc = Jacobian<F>::infinity();
    for (int bit = longest - 1; bit >= 0; --bit) {
        acc = double_point(acc);
        for (size_t i = 0; i < n; ++i) {
            if (bit >= lengths[i]) continue;
            const int d = digits[i * kMaxDigits + static_cast<size_t>(bit)];
            if (d > 0) acc = add_points(acc, tables[i * 8 + static_cast<size_t>(d / 2)]);
            if (d < 0) acc = add_points(acc, negate(tables[i * 8 + static_cast<size_t>(-d / 2)]));
        }
    }
    return acc;
}

// Below this many points Straus needs fewer operations than Pippenger (their counts meet near
// 128 points; Pippenger's mixed additions are the cheaper kind).
constexpr size_t kPippengerThreshold = 64;

// Scalars below 2^scalar_bits (scalar_bits <= 256).
template <class F>
Jacobian<F> pippenger(std::span<const Affine<F>> points, std::span<const Limbs> scalars,
                      unsigned scalar_bits = 256) {
    const size_t n = points.size();
    if (n == 0) return Jacobian<F>::infinity();
    if (n == 1) return scalar_mul(Jacobian<F>::from_affine(points[0]), scalars[0]);
    if (n < kPippengerThreshold) return straus(points, scalars);
    const int c = window_bits(n, scalar_bits);
    // One window more than scalar_bits/c for the final carry.
    const unsigned windows = (scalar_bits + static_cast<unsigned>(c)) / static_cast<unsigned>(c);
    std::vector<int32_t> digits(n * windows);
    for (size_t i = 0; i < n; ++i)
        signed_digits(scalars[i], c, windows, digits.data() + i * windows);
    std::vector<Jacobian<F>> buckets(size_t{1} << (c - 1));
    Jacobian<F> acc = Jacobian<F>::infinity();
    for (unsigned w = windows; w-- > 0;) {
        for (int i = 0; i < c; ++i)
            acc = double_point(acc);
        std::fill(buckets.begin(), buckets.end(), Jacobian<F>::infinity());
        for (size_t i = 0; i < n; ++i) {
            const int32_t d = digits[i * windows + w];
            if (d > 0)
                buckets[static_cast<size_t>(d - 1)] =
                    add_mixed(buckets[static_cast<size_t>(d - 1)], points[i]);
            if (d < 0) {
                const Affine<F> neg{points[i].x, -points[i].y, points[i].infinity};
                buckets[static_cast<size_t>(-d - 1)] =
                    add_mixed(buckets[static_cast<size_t>(-d - 1)], neg);
            }
        }
        // sum_j j * bucket[j] as a running sum from the top.
        Jacobian<F> running = Jacobian<F>::infinity();
        Jacobian<F> total = Jacobian<F>::infinity();
        for (size_t j = buckets.size(); j-- > 0;) {
            running = add_points(running, buckets[j]);
            total = add_points(total, running);
        }
        acc = add_points(acc, total);
    }
    return acc;
}

// k mod r in base |x|: k = d0 + d1|x| + d2|x|^2 + d3|x|^3 with each d_i < |x| (r < |x|^4).
void base_x_digits(const Limbs& k, uint64_t d[4]) {
    Limbs t = k;
    while (!limbs_less(t, kR))
        limbs_sub(t, t, kR);
    for (int i = 0; i < 4; ++i) {
        const Limbs q = detail::divide_small(t, kX);
        d[i] = t.w[0] - q.w[0] * kX;  // the remainder, computed mod 2^64
        t = q;
    }
}

// The endomorphism splittings for points of order r. G1: phi(P) = [-x^2]P, so
// [k]P = [k0]P + [k1](-phi(P)) with k = k0 + k1 x^2 and k0, k1 of 128 bits. G2: psi(Q) = [x]Q, so
// [k]Q = sum [d_i](-psi)^i(Q) with 64-bit d_i. Straus then runs a half (G1) or a quarter (G2)
// of the doublings.
void split(const G1Affine& p, const Limbs& k, std::vector<G1Affine>& points,
           std::vector<Limbs>& scalars) {
    uint64_t d[4];
    base_x_digits(k, d);
    auto two_digits = [](uint64_t lo, uint64_t hi) {
        // lo + hi * |x| as a 128-bit number
        const u128 v = static_cast<u128>(hi) * kX + lo;
        return Limbs{{static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64)}};
    };
    points.push_back(p);
    scalars.push_back(two_digits(d[0], d[1]));
    points.push_back({p.x * g1_endomorphism_beta(), -p.y, false});
    scalars.push_back(two_digits(d[2], d[3]));
}

G2Affine psi_affine(const G2Affine& q) {
    return {conj(q.x) * kPsiX, conj(q.y) * kPsiY, false};
}

void split(const G2Affine& q, const Limbs& k, std::vector<G2Affine>& points,
           std::vector<Limbs>& scalars) {
    uint64_t d[4];
    base_x_digits(k, d);
    G2Affine power = q;  // (-psi)^i(Q)
    for (int i = 0; i < 4; ++i) {
        if (i > 0) {
            power = psi_affine(power);
            power.y = -power.y;
        }
        points.push_back(power);
        scalars.push_back(Limbs{{d[i]}});
    }
}

}  // namespace

int wnaf_digits(const Limbs& scalar, int8_t digits[kLimbs * 64 + 1]) {
    uint64_t k[kLimbs + 1] = {};
    for (int i = 0; i < kLimbs; ++i)
        k[i] = scalar.w[i];
    auto nonzero = [&] {
        uint64_t acc = 0;
        for (uint64_t w : k)
            acc |= w;
        return acc != 0;
    };
    int n = 0;
    while (nonzero()) {
        int d = 0;
        if (k[0] & 1) {
            d = static_cast<int>(k[0] & 31);
            if (d >= 16) d -= 32;
            if (d > 0) {
                k[0] -= static_cast<uint64_t>(d);
            } else {
                uint64_t carry = static_cast<uint64_t>(-d);
                for (int i = 0; i <= kLimbs && carry; ++i) {
                    k[i] += carry;
                    carry = k[i] < carry ? 1 : 0;
                }
            }
        }
        digits[n++] = static_cast<int8_t>(d);
        for (int i = 0; i < kLimbs; ++i)
            k[i] = (k[i] >> 1) | (k[i + 1] << 63);
        k[kLimbs] >>= 1;
    }
    return n;
}

G2 psi(const G2& q) {
    return {conj(q.x) * kPsiX, conj(q.y) * kPsiY, conj(q.z)};
}

G2 psi2(const G2& q) {
    return {q.x * kPsi2X, -q.y, q.z};
}

bool g1_in_subgroup(const G1& p) {
    if (p.is_infinity()) return true;
    const G1 minus_x2_p = negate(mul_by_x(mul_by_x(p)));
    return equal_points(phi(p, g1_endomorphism_beta()), minus_x2_p);
}

bool g2_in_subgroup(const G2& q) {
    if (q.is_infinity()) return true;
    return equal_points(psi(q), mul_by_x(q));
}

G1 msm(std::span<const G1Affine> points, std::span<const Limbs> scalars) {
    return pippenger(points, scalars);
}

G2 msm(std::span<const G2Affine> points, std::span<const Limbs> scalars) {
    return pippenger(points, scalars);
}

template <class F>
Jacobian<F> msm_in_subgroup(std::span<const Affine<F>> points, std::span<const Limbs> scalars) {
    // Splitting saves doublings but adds a Straus table per part: measured, it pays for a few
    // points (Straus) and for many (Pippenger), not in between.
    constexpr size_t kMaxSplitStraus = 4;
    if (points.size() > kMaxSplitStraus && points.size() < kPippengerThreshold)
        return straus(points, scalars);
    std::vector<Affine<F>> split_points;
    std::vector<Limbs> split_scalars;
    for (size_t i = 0; i < points.size(); ++i) {
        if (points[i].infinity) continue;
        split(points[i], scalars[i], split_points, split_scalars);
    }
    // 128-bit parts in G1, 64-bit parts in G2.
    constexpr unsigned kSplitBits = std::is_same_v<F, Fp> ? 128 : 64;
    return pippenger(std::span<const Affine<F>>(split_points), split_scalars, kSplitBits);
}

G1 msm_subgroup(std::span<const G1Affine> points, std::span<const Limbs> scalars) {
    return msm_in_subgroup(points, scalars);
}

G2 msm_subgroup(std::span<const G2Affine> points, std::span<const Limbs> scalars) {
    return msm_in_subgroup(points, scalars);
}

G1 g1_generator_mul(const Limbs& k) {
    constexpr int kWindows = 64;  // 4-bit windows of a 256-bit scalar
    constexpr int kDigits = 15;
    using Table = std::array<std::array<G1Affine, kDigits>, kWindows>;
    static const Table* const table = [] {
        auto* t = new Table;
        G1 base = G1::from_affine(kG1Generator);  // 16^i G
        for (auto& window : *t) {
            G1 multiple = base;
            for (G1Affine& entry : window) {
                entry = to_affine(multiple);
                multiple = add_points(multiple, base);
            }
            base = multiple;  // 16 * 16^i G
        }
        return t;
    }();
    G1 acc = G1::infinity();
    for (int i = 0; i < kWindows; ++i) {
        const unsigned digit = static_cast<unsigned>(k.w[i / 16] >> (4 * (i % 16))) & 15;
        if (digit != 0) acc = add_mixed(acc, (*table)[static_cast<size_t>(i)][digit - 1]);
    }
    return acc;
}

G1 clear_cofactor(const G1& p) {
    return add_points(p, negate(mul_by_x(p)));
}

G2 clear_cofactor(const G2& p) {
    const G2 t1 = mul_by_x(p);
    G2 t2 = psi(p);
    G2 t3 = psi2(double_point(p));
    t3 = add_points(t3, negate(t2));
    t2 = mul_by_x(add_points(t1, t2));
    t3 = add_points(t3, t2);
    t3 = add_points(t3, negate(t1));
    return add_points(t3, negate(p));
}

}  // namespace krnl::evm::bls12_381
