// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ECDSA} from "solady/utils/ECDSA.sol";

/// The node signatures of a KRNL attestation, checked one way for every authority (TokenAuthority for a
/// KrnlConsumer app, KrnlValidator for an account): k or more 65-byte (r, s, v) ECDSA signatures over the
/// EIP-712 digest, concatenated with their signers strictly ascending, which makes "k distinct signers" one
/// comparison per signature. Who is trusted is the caller's: it passes its own lookup.
library KrnlSignatures {
    /// secp256k1 n / 2: signatures with a larger s are the malleated twin of a valid one and are refused.
    uint256 internal constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// `signatures` is not a whole number of 65-byte signatures.
    error MalformedSignatures(uint256 length);
    /// Fewer signatures than the threshold.
    error NotEnoughSignatures(uint256 given, uint256 threshold);
    /// Signature `index` is unusable: high s, v not 27/28, or no key recovers.
    error InvalidSignature(uint256 index);
    /// The signature recovers to a key the authority does not trust. This is also what a signature over other
    /// data gives (another chain, account, function, arguments, responses or fees): it recovers to some
    /// unrelated key.
    error UntrustedSigner(address signer);
    /// A trusted signer appears twice, or the signers are not in ascending order.
    error DuplicateOrUnsortedSigner(address signer);

    enum Check {
        Ok,
        Malformed,
        TooFew,
        Invalid,
        Untrusted,
        Unsorted
    }

    /// Recovers every signature in order. On failure `index` is the offending signature and, for
    /// Untrusted/Unsorted, `signers[index]` its signer. Never reverts.
    function check(
        bytes32 digest,
        bytes calldata signatures,
        uint256 threshold,
        function(address) view returns (bool) isTrusted
    ) internal view returns (Check result, address[] memory signers, uint256 index) {
        if (signatures.length % 65 != 0) return (Check.Malformed, signers, 0);
        uint256 count = signatures.length / 65;
        if (count < threshold || count == 0) return (Check.TooFew, signers, 0);
        signers = new address[](count);
        address previous;
        for (uint256 i; i < count; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let at := add(signatures.offset, mul(i, 65))
                r := calldataload(at)
                s := calldataload(add(at, 0x20))
                v := byte(0, calldataload(add(at, 0x40)))
            }
            if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) return (Check.Invalid, signers, i);
            address signer = ECDSA.tryRecover(digest, v, r, s);
            if (signer == address(0)) return (Check.Invalid, signers, i);
            signers[i] = signer;
            if (!isTrusted(signer)) return (Check.Untrusted, signers, i);
            if (signer <= previous) return (Check.Unsorted, signers, i);
            previous = signer;
        }
        return (Check.Ok, signers, 0);
    }

    /// `check`, reverting with the named error of the first failure; returns the signers in order.
    function verify(
        bytes32 digest,
        bytes calldata signatures,
        uint256 threshold,
        function(address) view returns (bool) isTrusted
    ) internal view returns (address[] memory signers) {
        Check result;
        uint256 index;
        (result, signers, index) = check(digest, signatures, threshold, isTrusted);
        if (result != Check.Ok) revertFor(result, signers, index, signatures.length, threshold);
    }

    function revertFor(Check result, address[] memory signers, uint256 index, uint256 length, uint256 threshold)
        internal
        pure
    {
        if (result == Check.Malformed) revert MalformedSignatures(length);
        if (result == Check.TooFew) revert NotEnoughSignatures(length / 65, threshold);
        if (result == Check.Invalid) revert InvalidSignature(index);
        if (result == Check.Untrusted) revert UntrustedSigner(signers[index]);
        revert DuplicateOrUnsortedSigner(signers[index]);
    }
}
