// Protocol limits that the interpreter, the host and transaction validation all enforce.
#pragma once

#include <cstddef>
#include <cstdint>

namespace krnl::evm {

inline constexpr size_t kMaxCodeSize = 0x6000;                // EIP-170: deployed code
inline constexpr size_t kMaxInitcodeSize = 2 * kMaxCodeSize;  // EIP-3860: creation code
inline constexpr int32_t kCallDepthLimit = 1024;              // nested calls and creations
inline constexpr int kStackLimit = 1024;                      // items on the operand stack

}  // namespace krnl::evm
