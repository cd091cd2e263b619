// The engine on a user operation's way in (DESIGN.md, "User operation"): for an account that
// routes the op's call to the KRNL validator, the kernels its configuration names run, its policy
// is asked, and the (co-)signed attestation is appended to the op's signature, which the
// validator then checks on chain (docs/account-attestation.md).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/service.hpp"

namespace krnl::engine {

// ERC-4337's IAccountExecute.executeUserOp(PackedUserOperation,bytes32): callData starting with
// it reaches the account with the whole op, which is how the account settles the kernels' fees.
inline constexpr uint8_t kExecuteUserOpSelector[4] = {0x8d, 0xd7, 0x71, 0x2f};
// The account's signature modes (Account.sol): the KRNL validator is a plugin bound to a selector.
inline constexpr uint32_t kPluginMode = 1;
// The owner's ECDSA signature that precedes the attestation in the validator's part.
inline constexpr size_t kOwnerSignatureSize = 65;

// The call an attestation for `call_data` authorises: callData itself, or what follows
// executeUserOp's selector.
bytes_view authorised_call(bytes_view call_data);

// What follows the owner's signature: abi.encode(bytes32 responsesHash, uint256 nonce,
// uint64 expiry, uint256[] kernelIds, uint256[] kernelFees, uint256 nodeFee, bytes signatures).
bytes encode_account_attestation(const ExecuteResult& result);

// What the engine reads of a user operation (the layer below knows the op's type).
struct AccountOperation {
    address sender;
    bytes_view call_data;
    bytes_view signature;
    uint256 nonce;  // the EntryPoint's nonce of the op: the attestation's, so it is single-use
    // The op carries an attestation of this node that expires soon: a fresh one replaces it
    // (never the one kept from the op's estimation).
    bool renewal = false;
};

class AccountAttester {
public:
    // Attestations made for an op are kept for its sender, nonce and call, which is all they bind:
    // a wallet's eth_estimateUserOperationGas and its eth_sendUserOperation of the same op then
    // run the kernels once. One is reused while it has kReuseMarginS left before its expiry.
    static constexpr size_t kMaxCached = 1024;
    static constexpr uint64_t kReuseMarginS = 60;

    AccountAttester(std::shared_ptr<const KrnlService> service, std::shared_ptr<ChainAccess> chains,
                    address krnl_validator);

    // The op's signature with the attestation appended, or nullopt when the op is not the
    // KRNL validator's to attest: the account has no code, the signature's mode is not plugin,
    // the call's selector is bound to another validator, or the validator's part is not just
    // the owner's signature (an op that carries an attestation already is validated as it is,
    // unless it is a renewal: then what follows the owner's signature is replaced).
    // Errors are the engine's (kernel, policy, quorum, deposit), or -33006 for an account whose
    // KRNL configuration names no kernels for the selector.
    ServiceResult<std::optional<bytes>> attest(const AccountOperation& op) const;

    const address& validator() const { return validator_; }

private:
    struct Cached {
        bytes attestation;
        uint64_t expiry = 0;
    };
    std::optional<bytes> cached(const hash256& key, uint64_t now) const;
    void remember(const hash256& key, bytes attestation, uint64_t expiry) const;

    std::shared_ptr<const KrnlService> service_;
    std::shared_ptr<ChainAccess> chains_;
    address validator_;
    mutable std::mutex cache_mutex_;
    mutable std::map<hash256, Cached> cache_;
    mutable std::deque<hash256> cache_order_;  // oldest first
};

}  // namespace krnl::engine
