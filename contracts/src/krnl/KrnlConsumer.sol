// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse, KrnlPayload} from "./KrnlTypes.sol";
import {KernelRegistry} from "./KernelRegistry.sol";
import {TokenAuthority} from "./TokenAuthority.sol";

/// The base a dApp inherits to accept KRNL attestations. A function that needs kernels takes the engine's
/// `bytes calldata payload` as its last argument and starts with
///
///     KernelResponse[] calldata responses = onlyKrnl(payload, abi.encode(arg1, arg2, ...));
///
/// `onlyKrnl` binds the payload to this very call (chain, app, sender, function, arguments) and reverts with one
/// of this contract's errors on a mismatch; then the app's token authority (found in the registry) checks expiry,
/// nonce and signatures and settles fees through the vault, reverting with its own named errors
/// (TokenAuthority: Expired, NonceUsed, NotEnoughSignatures, InvalidSignature, UntrustedSigner,
/// DuplicateOrUnsortedSigner, ResponsesDoNotMatchFees; KrnlVault: InsufficientDeposit, FeeBelowRegistered;
/// KernelRegistry: KernelNotAllowed, KernelInactive). The returned responses are exactly the attested ones.
abstract contract KrnlConsumer {
    /// The payload's chainId is not this chain's.
    error WrongChain(uint256 expected, uint256 given);
    /// The payload was made for another app contract.
    error WrongApp(address expected, address given);
    /// The payload was made for another caller.
    error WrongSender(address expected, address given);
    /// The payload was made for another function of the app.
    error WrongFunction(bytes4 expected, bytes4 given);
    /// The payload was made for other arguments.
    error WrongArguments(bytes32 expected, bytes32 given);
    /// The payload is not `abi.encode(KrnlPayload)`.
    error MalformedPayload();
    /// This app has no token authority in the registry.
    error NotRegistered();
    /// `responseOf` found no response of this kernel.
    error MissingResponse(uint256 kernelId);

    KernelRegistry public immutable krnlRegistry;

    constructor(KernelRegistry registry_) {
        krnlRegistry = registry_;
    }

    /// Verifies and consumes `payload` for the current call, whose arguments other than the payload are
    /// `encodedArgs` (= abi.encode of them, in order). Returns the attested kernel responses.
    function onlyKrnl(bytes calldata payload, bytes memory encodedArgs)
        internal
        returns (KernelResponse[] calldata responses)
    {
        KrnlPayload calldata p = _decodePayload(payload);
        if (p.chainId != block.chainid) revert WrongChain(block.chainid, p.chainId);
        if (p.app != address(this)) revert WrongApp(address(this), p.app);
        if (p.sender != msg.sender) revert WrongSender(msg.sender, p.sender);
        if (p.selector != msg.sig) revert WrongFunction(msg.sig, p.selector);
        bytes32 argsHash = keccak256(encodedArgs);
        if (p.argsHash != argsHash) revert WrongArguments(argsHash, p.argsHash);

        address authority = krnlRegistry.tokenAuthorityOf(address(this));
        if (authority == address(0)) revert NotRegistered();
        TokenAuthority(authority).consume(p);
        return p.responses;
    }

    /// The response of `kernelId` among `responses`; reverts if absent.
    function responseOf(KernelResponse[] calldata responses, uint256 kernelId)
        internal
        pure
        returns (KernelResponse calldata)
    {
        for (uint256 i; i < responses.length; ++i) {
            if (responses[i].kernelId == kernelId) return responses[i];
        }
        revert MissingResponse(kernelId);
    }

    /// Points a calldata struct at the payload without copying it. Offsets inside are bounds-checked by the
    /// compiler when the dynamic members are read; the head must lie within the payload.
    function _decodePayload(bytes calldata payload) private pure returns (KrnlPayload calldata p) {
        // abi.encode(struct with dynamic members) = offset word (0x20), then the 12-word head.
        if (payload.length < 13 * 32) revert MalformedPayload();
        uint256 offset;
        assembly ("memory-safe") {
            offset := calldataload(payload.offset)
        }
        if (offset != 0x20) revert MalformedPayload();
        assembly ("memory-safe") {
            p := add(payload.offset, 0x20)
        }
    }
}
