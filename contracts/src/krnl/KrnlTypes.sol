// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// One kernel's outcome, as the engine attests it (docs/attestation.md).
/// `result` is the ABI encoding of the kernel's output; `err` is empty on success.
struct KernelResponse {
    uint256 kernelId;
    bytes result;
    string err;
}

/// What a dApp receives from the engine and passes to its function as `bytes payload = abi.encode(KrnlPayload)`.
struct KrnlPayload {
    uint256 chainId;
    address app;
    address sender;
    bytes4 selector;
    bytes32 argsHash;
    KernelResponse[] responses;
    uint256 nonce;
    uint64 expiry;
    uint256[] kernelIds;
    uint256[] kernelFees;
    uint256 nodeFee;
    bytes signatures; // 65-byte (r, s, v) signatures, signers strictly ascending
}
