// The precompiled contracts at addresses 0x01..0x11: ecrecover, sha256, ripemd160, identity,
// modexp (EIP-198/2565/7883), bn254 add/mul/pairing (EIP-196/197/1108), blake2f (EIP-152), the
// KZG point evaluation (EIP-4844), the BLS12-381 operations (EIP-2537), and P256VERIFY at 0x100.
#pragma once

#include <cstdint>

#include "common/bytes.hpp"
#include "evm/revision.hpp"

namespace krnl::evm {

// EIP-4844's point evaluation precompile (kzg.hpp), from Cancun.
inline constexpr uint8_t kPointEvaluationAddress = 0x0a;
// EIP-2537's BLS12-381 precompiles occupy 0x0b..0x11 from Prague (bls12_381.hpp).
inline constexpr uint8_t kFirstBlsAddress = 0x0b;
inline constexpr uint8_t kLastBlsAddress = 0x11;

struct PrecompileResult {
    bool success;
    int64_t gas_used;
    bytes output;
};

// True for 0x01..0x11 (0x01-0x04 Frontier, 0x05-0x08 Byzantium, 0x09 Istanbul, 0x0a Cancun,
// 0x0b-0x11 Prague), and for 0x100, P256VERIFY (EIP-7951, 6900 gas), from Osaka as on mainnet
// (passkey accounts need a chain at Osaka, krnld's default).
inline constexpr address kP256VerifyAddress{
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00}};
bool is_precompile(const address& addr, Revision rev);

// Runs it. If the gas cost exceeds gas_limit or the input is invalid: success=false,
// gas_used=gas_limit, empty output (all gas consumed, as the spec says). ecrecover never fails
// on bad signatures: it succeeds with empty output. An address that is not a precompile at `rev`
// is treated as invalid input. `chain_id` selects the chain's anvil_impersonateSignature entries
// (ecrecover_override.hpp).
PrecompileResult run_precompile(const address& addr, bytes_view input, int64_t gas_limit,
                                Revision rev, uint64_t chain_id = 0);

}  // namespace krnl::evm
