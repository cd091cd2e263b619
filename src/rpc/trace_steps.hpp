// What tracers read off an instruction's operands: stack items from the top, addresses, and memory
// ranges with the EVM's zero extension, bounded so that hostile code cannot make a tracer allocate
// without limit. Shared by geth's tracers (tracers.cpp) and the ERC-7562 tracer.
#pragma once

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>

#include "common/bytes.hpp"
#include "common/uint256.hpp"

namespace krnl::rpc::trace_steps {

// The item `i` from the top of a bottom-first stack (0 is the top); zero when absent.
inline uint256 peek(std::span<const uint256> stack, size_t i) {
    return i < stack.size() ? stack[stack.size() - 1 - i] : uint256{};
}

inline address to_address(const uint256& v) {
    return address::from_view(v.to_bytes32().view());
}

// `size` bytes of memory at `offset`, zero beyond the current memory as the EVM extends it;
// nullopt for ranges far beyond what any block's gas could pay to expand to (the instruction will
// fail).
inline std::optional<bytes> memory_slice(bytes_view memory, const uint256& offset,
                                         const uint256& size) {
    constexpr uint64_t kMaxGrowth = uint64_t{64} << 20;
    if (size == 0) return bytes{};
    if (!offset.fits_u64() || !size.fits_u64() || offset.low64() > kMaxGrowth + memory.size() ||
        size.low64() > kMaxGrowth + memory.size() - offset.low64())
        return std::nullopt;
    const uint64_t o = offset.low64(), n = size.low64();
    bytes out(n, 0);
    if (o < memory.size()) {
        const uint64_t available = std::min<uint64_t>(n, memory.size() - o);
        std::memcpy(out.data(), memory.data() + o, available);
    }
    return out;
}

}  // namespace krnl::rpc::trace_steps
