// Fee arithmetic of the mempool, saturating: op fields are uint256 from the caller, and an
// overflow must not turn a huge fee into a small one.
#pragma once

#include <optional>

#include "aa/mempool.hpp"

namespace krnl::aa {

inline constexpr uint256 kMaxUint256 = ~uint256(0);

inline uint256 saturating_add(const uint256& a, const uint256& b) {
    const uint256 sum = a + b;
    return sum < a ? kMaxUint256 : sum;
}

inline uint256 saturating_mul(const uint256& a, const uint256& b) {
    if (!a || !b) return 0;
    return b > kMaxUint256 / a ? kMaxUint256 : a * b;
}

// The least fee a replacement must offer: old + ceil(old * percent / 100).
inline uint256 bumped_fee(const uint256& old, unsigned percent) {
    const uint256 whole = saturating_mul(old / 100, percent);
    const uint256 rest = ((old % 100) * percent + 99) / 100;
    return saturating_add(old, saturating_add(whole, rest));
}

// What the op may cost its payer at most: max gas at maxFeePerGas.
inline uint256 max_cost(const PooledUserOp& entry) {
    return saturating_mul(entry.max_gas, entry.op.max_fee_per_gas);
}

// What the bundler earns per gas over the base fee: min(maxPriorityFeePerGas, maxFeePerGas -
// base fee); nullopt when the fee cap is below the base fee.
inline std::optional<uint256> effective_tip(const UserOperation& op, const uint256& base_fee) {
    if (op.max_fee_per_gas < base_fee) return std::nullopt;
    const uint256 above_base = op.max_fee_per_gas - base_fee;
    return op.max_priority_fee_per_gas < above_base ? op.max_priority_fee_per_gas : above_base;
}

}  // namespace krnl::aa
