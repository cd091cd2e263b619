#include "evm/bls12_381_pairing.hpp"

#include <vector>

namespace krnl::evm::bls12_381 {
namespace {

// The twist point T in homogeneous projective coordinates (x = X/Z, y = Y/Z).
struct TwistPoint {
    Fp2 x, y, z;
};

// A line of the M-type twist evaluated at P, scaled by a factor the final exponentiation
// removes: a + b*w^2 + c*w^3. (Untwisting maps (x', y') to (x'/w^2, y'/w^3); the line
// y_P - y_T - lambda (x_P - x_T) times w^3 has exactly these three coefficients.)
struct Line {
    Fp2 a, b, c;
};

constexpr Fp2 kThreeB = kG2B + kG2B + kG2B;

// T <- 2T and the tangent at T, to be evaluated at P.
LineCoefficients doubling_step(TwistPoint& t) {
    const Fp2 a = half(t.x * t.y);
    const Fp2 b = sqr(t.y);
    const Fp2 c = sqr(t.z);
    const Fp2 e = kThreeB * c;
    const Fp2 f = dbl(e) + e;
    const Fp2 g = half(b + f);
    const Fp2 h = sqr(t.y + t.z) - (b + c);  // 2YZ
    const Fp2 i = e - b;                     // 3b'Z^2 - Y^2
    const Fp2 j = sqr(t.x);
    const Fp2 e2 = sqr(e);
    t.x = a * (b - f);
    t.y = sqr(g) - (dbl(e2) + e2);
    t.z = b * h;
    return {i, dbl(j) + j, -h};
}

// T <- T + Q and the line through T and Q, to be evaluated at P.
LineCoefficients addition_step(TwistPoint& t, const G2Affine& q) {
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
    return {theta * q.x - lambda * q.y, -theta, lambda};
}

Line evaluate(const LineCoefficients& l, const G1Affine& p) {
    return {l.a, l.bx * p.x, l.cy * p.y};
}

Fp12 mul_line(const Fp12& f, const Line& l) {
    return mul_by_line(f, l.a, l.b, l.c);
}

// f^x (x < 0) for f in the cyclotomic subgroup, where conj(f) is the inverse of f. |x| has bits
// 63, 62, 60, 57, 48 and 16 set: the two long runs of squarings (32 and 16) run compressed, where
// the inversion of the decompression costs less than the squarings save (measured: not so for the
// run of 9).
Fp12 exp_by_x(const Fp12& f) {
    constexpr int kMinCompressedRun = 10;
    Fp12 result = f;
    int run = 0;
    auto square_run = [&] {
        if (run >= kMinCompressedRun) {
            CompressedFp12 c = compress(result);
            for (int i = 0; i < run; ++i)
                c = cyclotomic_sqr_compressed(c);
            result = decompress(c);
        } else {
            for (int i = 0; i < run; ++i)
                result = cyclotomic_sqr(result);
        }
        run = 0;
    };
    for (int i = 62; i >= 0; --i) {
        ++run;
        if ((kX >> i) & 1) {
            square_run();
            result = result * f;
        }
    }
    square_run();
    return conj(result);
}

}  // namespace

Fp12 miller_loop(std::span<const G1Affine> ps, std::span<const G2Affine> qs) {
    const size_t n = ps.size();
    std::vector<TwistPoint> ts(n);
    for (size_t k = 0; k < n; ++k)
        ts[k] = {qs[k].x, qs[k].y, Fp2::one()};
    Fp12 f = Fp12::one();
    for (int i = 62; i >= 0; --i) {
        if (i != 62) f = sqr(f);
        for (size_t k = 0; k < n; ++k)
            f = mul_line(f, evaluate(doubling_step(ts[k]), ps[k]));
        if (((kX >> i) & 1) == 0) continue;
        for (size_t k = 0; k < n; ++k)
            f = mul_line(f, evaluate(addition_step(ts[k], qs[k]), ps[k]));
    }
    return conj(f);  // x < 0: f_{x,Q} = 1/f_{|x|,Q} up to factors the final exponentiation kills
}

PreparedG2 prepare_g2(const G2Affine& q) {
    PreparedG2 prepared;
    TwistPoint t{q.x, q.y, Fp2::one()};
    for (int i = 62; i >= 0; --i) {
        prepared.lines.push_back(doubling_step(t));
        if ((kX >> i) & 1) prepared.lines.push_back(addition_step(t, q));
    }
    return prepared;
}

Fp12 miller_loop(std::span<const G1Affine> ps, std::span<const PreparedG2* const> qs) {
    const size_t n = ps.size();
    Fp12 f = Fp12::one();
    size_t line = 0;
    for (int i = 62; i >= 0; --i) {
        if (i != 62) f = sqr(f);
        for (size_t k = 0; k < n; ++k)
            f = mul_line(f, evaluate(qs[k]->lines[line], ps[k]));
        ++line;
        if (((kX >> i) & 1) == 0) continue;
        for (size_t k = 0; k < n; ++k)
            f = mul_line(f, evaluate(qs[k]->lines[line], ps[k]));
        ++line;
    }
    return conj(f);
}

Fp12 final_exponentiation(const Fp12& f) {
    Fp12 m = conj(f) * inverse(f);
    m = frobenius2(m) * m;

    Fp12 a = exp_by_x(m) * conj(m);                                  // m^(x-1)
    a = exp_by_x(a) * conj(a);                                       // m^((x-1)^2)
    const Fp12 b = exp_by_x(a) * frobenius(a);                       // ^(x+p)
    const Fp12 c = exp_by_x(exp_by_x(b)) * frobenius2(b) * conj(b);  // ^(x^2+p^2-1)
    return c * cyclotomic_sqr(m) * m;
}

bool pairing_product_is_one(std::span<const G1Affine> ps, std::span<const G2Affine> qs) {
    std::vector<G1Affine> p1;
    std::vector<G2Affine> q1;
    for (size_t k = 0; k < ps.size(); ++k) {
        if (ps[k].infinity || qs[k].infinity) continue;
        p1.push_back(ps[k]);
        q1.push_back(qs[k]);
    }
    if (p1.empty()) return true;
    return final_exponentiation(miller_loop(p1, q1)) == Fp12::one();
}

bool pairing_product_is_one(std::span<const G1Affine> ps, std::span<const PreparedG2* const> qs) {
    std::vector<G1Affine> p1;
    std::vector<const PreparedG2*> q1;
    for (size_t k = 0; k < ps.size(); ++k) {
        if (ps[k].infinity) continue;
        p1.push_back(ps[k]);
        q1.push_back(qs[k]);
    }
    if (p1.empty()) return true;
    return final_exponentiation(miller_loop(p1, q1)) == Fp12::one();
}

}  // namespace krnl::evm::bls12_381
