// The custom errors of the accounts and validators krnl ships (contracts/src/account), so a
// validation that reverts with one is answered by name ("AA23 reverted: UntrustedSigner(0x…)")
// rather than as bare revert data. Keep it in step with the contracts' declarations.
#pragma once

#include <string_view>

namespace krnl::aa {

inline constexpr std::string_view kAccountErrors[] = {
    // Account
    "Unauthorized()",
    "NoExecutor(bytes4)",
    // KrnlValidator
    "OwnerSignatureMissing()",
    "AttestationMissing()",
    "MalformedAttestation()",
    "AttestationForOtherOperation(uint256,uint256)",
    "SettlementNeedsExecuteUserOp()",
    "NothingToSettle()",
    // KrnlSignatures (KrnlValidator, TokenAuthority)
    "MalformedSignatures(uint256)",
    "NotEnoughSignatures(uint256,uint256)",
    "InvalidSignature(uint256)",
    "UntrustedSigner(address)",
    "DuplicateOrUnsortedSigner(address)",
    // KrnlVault (fees settled in execution)
    "InsufficientDeposit(address,uint256,uint256)",
};

}  // namespace krnl::aa
