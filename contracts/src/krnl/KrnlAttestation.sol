// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "./KrnlTypes.sol";

/// The EIP-712 hashing of a KRNL attestation (docs/attestation.md). The engine computes the same bytes in C++;
/// contracts/test/vectors/attestation.json pins them.
library KrnlAttestation {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("KRNL");
    bytes32 internal constant VERSION_HASH = keccak256("1");
    bytes32 internal constant ATTESTATION_TYPEHASH = keccak256(
        "KernelAttestation(address app,address sender,bytes4 selector,bytes32 argsHash,bytes32 responsesHash,uint256 nonce,uint64 expiry,bytes32 feesHash)"
    );

    function responsesHash(KernelResponse[] memory responses) internal pure returns (bytes32) {
        return keccak256(abi.encode(responses));
    }

    function responsesHashCalldata(KernelResponse[] calldata responses) internal pure returns (bytes32) {
        return keccak256(abi.encode(responses));
    }

    function feesHashCalldata(uint256[] calldata kernelIds, uint256[] calldata kernelFees, uint256 nodeFee)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(kernelIds, kernelFees, nodeFee));
    }

    function feesHash(uint256[] memory kernelIds, uint256[] memory kernelFees, uint256 nodeFee)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(kernelIds, kernelFees, nodeFee));
    }

    function domainSeparator(uint256 chainId, address tokenAuthority) internal pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId, tokenAuthority));
    }

    function structHash(
        address app,
        address sender,
        bytes4 selector,
        bytes32 argsHash,
        bytes32 responsesHash_,
        uint256 nonce,
        uint64 expiry,
        bytes32 feesHash_
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(ATTESTATION_TYPEHASH, app, sender, selector, argsHash, responsesHash_, nonce, expiry, feesHash_)
        );
    }

    function digest(bytes32 domainSeparator_, bytes32 structHash_) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator_, structHash_));
    }
}
