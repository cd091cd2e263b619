// The BLS12-381 precompiles of EIP-2537 (Prague, 0x0b..0x11): input decoding with the EIP's
// error cases, the operations, output encoding, and the gas formulas. An invalid input gives
// nullopt; the caller (precompiles.cpp) then fails the call with all gas consumed.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace krnl::evm::bls12_381 {

std::optional<bytes> g1_add(bytes_view input);         // 0x0b, 256 bytes in, 128 out
std::optional<bytes> g1_msm(bytes_view input);         // 0x0c, 160*k bytes in, 128 out
std::optional<bytes> g2_add(bytes_view input);         // 0x0d, 512 bytes in, 256 out
std::optional<bytes> g2_msm(bytes_view input);         // 0x0e, 288*k bytes in, 256 out
std::optional<bytes> pairing_check(bytes_view input);  // 0x0f, 384*k bytes in, 32 out
std::optional<bytes> map_fp_to_g1(bytes_view input);   // 0x10, 64 bytes in, 128 out
std::optional<bytes> map_fp2_to_g2(bytes_view input);  // 0x11, 128 bytes in, 256 out

// Gas of EIP-2537's schedule; the lengths are not validated here (a bad length fails the run).
inline constexpr uint64_t kG1AddGas = 375;
inline constexpr uint64_t kG2AddGas = 600;
inline constexpr uint64_t kMapFpToG1Gas = 5500;
inline constexpr uint64_t kMapFp2ToG2Gas = 23800;
uint64_t g1_msm_gas(size_t input_size);
uint64_t g2_msm_gas(size_t input_size);
uint64_t pairing_gas(size_t input_size);

}  // namespace krnl::evm::bls12_381
