#include "evm/bn254_curve.hpp"

namespace krnl::evm::bn254 {

int wnaf_digits(const Limbs& scalar, int8_t digits[257]) {
    // One spare limb: subtracting a negative digit may carry past 2^256.
    uint64_t k[5] = {scalar.w[0], scalar.w[1], scalar.w[2], scalar.w[3], 0};
    int n = 0;
    while ((k[0] | k[1] | k[2] | k[3] | k[4]) != 0) {
        int d = 0;
        if (k[0] & 1) {
            d = static_cast<int>(k[0] & 31);
            if (d >= 16) d -= 32;
            if (d > 0) {
                k[0] -= static_cast<uint64_t>(d);  // the low word is >= d, no borrow
            } else {
                uint64_t carry = static_cast<uint64_t>(-d);
                for (int i = 0; i < 5 && carry; ++i) {
                    k[i] += carry;
                    carry = k[i] < carry ? 1 : 0;
                }
            }
        }
        digits[n++] = static_cast<int8_t>(d);
        for (int i = 0; i < 4; ++i)
            k[i] = (k[i] >> 1) | (k[i + 1] << 63);
        k[4] >>= 1;
    }
    return n;
}

bool g2_in_subgroup(const G2& q) {
    const G2 uq = scalar_mul(q, Limbs{{kU, 0, 0, 0}});
    const G2 psi_uq = psi(uq);
    const G2 lhs = add_points(add_points(add_points(uq, q), psi_uq), psi(psi_uq));
    const G2 rhs = psi(psi(psi(double_point(uq))));
    return equal_points(lhs, rhs);
}

bool g2_in_subgroup_by_order(const G2& q) {
    return scalar_mul(q, kR).is_infinity();
}

}  // namespace krnl::evm::bn254
