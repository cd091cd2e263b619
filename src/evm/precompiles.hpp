// The precompiled contracts at addresses 0x01..0x0a: ecrecover, sha256, ripemd160, identity,
// modexp (EIP-198/2565), bn254 add/mul/pairing (EIP-196/197/1108), blake2f (EIP-152), and the
// KZG point evaluation address (EIP-4844), which is recognised but not supported yet.
#pragma once

#include <cstdint>

#include "common/bytes.hpp"
#include "evm/revision.hpp"

namespace krnl::evm {

// EIP-4844's point evaluation precompile. Every call to it fails (all gas consumed) until KZG
// support lands; tools can use this to flag transactions that reach it.
inline constexpr uint8_t kPointEvaluationAddress = 0x0a;

struct PrecompileResult {
    bool success;
    int64_t gas_used;
    bytes output;
};

// True for 0x01..0x0a from Cancun (0x01-0x04 Frontier, 0x05-0x08 Byzantium, 0x09 Istanbul,
// 0x0a Cancun), and for 0x100, P256VERIFY (EIP-7951, 6900 gas), from Prague: krnl's chains
// offer it ahead of Osaka, as rollups with RIP-7212 do, for passkey accounts.
inline constexpr address kP256VerifyAddress{
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00}};
bool is_precompile(const address& addr, Revision rev);

// Runs it. If the gas cost exceeds gas_limit or the input is invalid: success=false,
// gas_used=gas_limit, empty output (all gas consumed, as the spec says). ecrecover never fails
// on bad signatures: it succeeds with empty output. An address that is not a precompile at `rev`
// is treated as invalid input.
PrecompileResult run_precompile(const address& addr, bytes_view input, int64_t gas_limit,
                                Revision rev);

}  // namespace krnl::evm
