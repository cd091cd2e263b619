#include "evm/bn254_pairing.hpp"

#include <array>
#include <vector>

namespace krnl::evm::bn254 {
namespace {

// Signed binary digits (NAF), least significant first: fewer nonzero digits than plain binary
// means fewer additions (Miller loop) or multiplications (exponentiation by u).
struct NafDigits {
    std::array<int8_t, 70> d{};
    int size = 0;
};

constexpr NafDigits make_naf(u128 k) {
    NafDigits out;
    while (k != 0) {
        int8_t d = 0;
        if (k & 1) {
            d = (k & 3) == 3 ? -1 : 1;
            k = d > 0 ? k - 1 : k + 1;
        }
        out.d[static_cast<size_t>(out.size++)] = d;
        k >>= 1;
    }
    return out;
}

constexpr NafDigits kLoop = make_naf(static_cast<u128>(kU) * 6 + 2);
constexpr NafDigits kUDigits = make_naf(kU);

// The twist point T in homogeneous projective coordinates (x = X/Z, y = Y/Z): the line formulas
// of Costello-Lange-Naehrig / Aranha et al. are cheapest there.
struct TwistPoint {
    Fp2 x, y, z;
};

// A line through points of the untwisted curve, evaluated at P and scaled by a factor in Fp2
// (which the final exponentiation removes): a + b*w + c*w^3.
struct Line {
    Fp2 a, b, c;
};

constexpr Fp2 kThreeB = kG2B + kG2B + kG2B;

// T <- 2T and the tangent line at T evaluated at P.
Line doubling_step(TwistPoint& t, const Affine<Fp>& p) {
    const Fp2 a = half(t.x * t.y);
    const Fp2 b = sqr(t.y);
    const Fp2 c = sqr(t.z);
    const Fp2 e = kThreeB * c;
    const Fp2 f = dbl(e) + e;
    const Fp2 g = half(b + f);
    const Fp2 h = sqr(t.y + t.z) - (b + c);
    const Fp2 i = e - b;
    const Fp2 j = sqr(t.x);
    const Fp2 e2 = sqr(e);
    t.x = a * (b - f);
    t.y = sqr(g) - (dbl(e2) + e2);
    t.z = b * h;
    return {-(h * p.y), (dbl(j) + j) * p.x, i};
}

// T <- T + Q (Q affine) and the line through T and Q evaluated at P.
Line addition_step(TwistPoint& t, const Affine<Fp2>& q, const Affine<Fp>& p) {
    const Fp2 theta = t.y - q.y * t.z;
    const Fp2 lambda = t.x - q.x * t.z;
    const Fp2 c = sqr(theta);
    const Fp2 d = sqr(lambda);
    const Fp2 e = lambda * d;
    const Fp2 f = t.z * c;
    const Fp2 g = t.x * d;
    const Fp2 h = e + f - dbl(g);
    const Fp2 y3 = theta * (g - h) - t.y * e;
    t.x = lambda * h;
    t.y = y3;
    t.z = t.z * e;
    return {lambda * p.y, -(theta * p.x), theta * q.x - lambda * q.y};
}

Fp12 mul_line(const Fp12& f, const Line& l) {
    return mul_by_line(f, l.a, l.b, l.c);
}

// f^u for f in the cyclotomic subgroup, where conj(f) is the inverse of f.
Fp12 exp_by_u(const Fp12& f) {
    const Fp12 f_inv = conj(f);
    Fp12 result = f;
    for (int i = kUDigits.size - 2; i >= 0; --i) {
        result = cyclotomic_sqr(result);
        const int digit = kUDigits.d[static_cast<size_t>(i)];
        if (digit > 0) result = result * f;
        if (digit < 0) result = result * f_inv;
    }
    return result;
}

}  // namespace

Fp12 miller_loop(std::span<const Affine<Fp>> ps, std::span<const Affine<Fp2>> qs) {
    const size_t n = ps.size();
    std::vector<TwistPoint> ts(n);
    std::vector<Affine<Fp2>> neg_qs(n);
    for (size_t k = 0; k < n; ++k) {
        ts[k] = {qs[k].x, qs[k].y, Fp2::one()};
        neg_qs[k] = {qs[k].x, -qs[k].y, false};
    }
    Fp12 f = Fp12::one();
    for (int i = kLoop.size - 2; i >= 0; --i) {
        if (i != kLoop.size - 2) f = sqr(f);
        for (size_t k = 0; k < n; ++k)
            f = mul_line(f, doubling_step(ts[k], ps[k]));
        const int digit = kLoop.d[static_cast<size_t>(i)];
        if (digit == 0) continue;
        for (size_t k = 0; k < n; ++k)
            f = mul_line(f, addition_step(ts[k], digit > 0 ? qs[k] : neg_qs[k], ps[k]));
    }
    // Correction lines with Q1 = pi_p(Q) and -Q2 = -pi_p^2(Q), both mapped back to the twist.
    for (size_t k = 0; k < n; ++k) {
        const Affine<Fp2> q1{conj(qs[k].x) * kFrob.gamma1[2], conj(qs[k].y) * kFrob.gamma1[3]};
        const Affine<Fp2> neg_q2{qs[k].x * kFrob.gamma2[2], -(qs[k].y * kFrob.gamma2[3])};
        f = mul_line(f, addition_step(ts[k], q1, ps[k]));
        f = mul_line(f, addition_step(ts[k], neg_q2, ps[k]));
    }
    return f;
}

Fp12 final_exponentiation(const Fp12& f) {
    // Easy part: m = f^((p^6 - 1)(p^2 + 1)); afterwards m is in the cyclotomic subgroup.
    Fp12 m = conj(f) * inverse(f);
    m = frobenius2(m) * m;

    // Hard part: m^(p^3 + (6u^2+1)p^2 + (-36u^3-18u^2-12u+1)p + (-36u^3-30u^2-18u-2)), which is
    // exactly (p^4 - p^2 + 1)/r, evaluated as y0 * y1^2 * y2^6 * y3^12 * y4^18 * y5^30 * y6^36.
    const Fp12 mu = exp_by_u(m);
    const Fp12 mu2 = exp_by_u(mu);
    const Fp12 mu3 = exp_by_u(mu2);
    const Fp12 m_p2 = frobenius2(m);
    const Fp12 y0 = frobenius(m) * m_p2 * frobenius(m_p2);
    const Fp12 y1 = conj(m);
    const Fp12 y2 = frobenius2(mu2);
    const Fp12 y3 = conj(frobenius(mu));
    const Fp12 y4 = conj(mu * frobenius(mu2));
    const Fp12 y5 = conj(mu2);
    const Fp12 y6 = conj(mu3 * frobenius(mu3));

    Fp12 t0 = cyclotomic_sqr(y6) * y4 * y5;
    Fp12 t1 = y3 * y5 * t0;
    t0 = t0 * y2;
    t1 = cyclotomic_sqr(cyclotomic_sqr(t1) * t0);
    t0 = t1 * y1;
    t1 = t1 * y0;
    return cyclotomic_sqr(t0) * t1;
}

}  // namespace krnl::evm::bn254
