// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "../krnl/KrnlTypes.sol";
import {IKrnlPolicy} from "../krnl/interfaces/IKrnlPolicy.sol";

/// The seed's rule: a wallet may trade (or redeem) a real-world asset only if
///   1. the RWA platform approves the wallet for the asset (evm-read kernel on the platform's chain, result
///      abi.encode(bool)),
///   2. the asset's off-chain metadata says it is active (http kernel, result abi.encode(string status)),
///   3. its DID score is at least `minScore` (evm-read kernel on the DID chain, result abi.encode(uint256)).
/// Responses are found by kernel id; the reason names the first condition that fails.
///
/// The kernels' inputs (wallet = sender, asset = first argument of `trade`) are fixed by their specs, so the
/// engine derives them from the call being authorised; the policy sees only results.
contract RwaTradePolicy is IKrnlPolicy {
    bytes4 public constant TRADE_SELECTOR = bytes4(keccak256("trade(uint256,uint256,bytes)"));
    bytes4 public constant REDEEM_SELECTOR = bytes4(keccak256("redeem(uint256,uint256,bytes)"));

    uint256 public immutable approvalKernel;
    uint256 public immutable metadataKernel;
    uint256 public immutable didKernel;
    uint256 public immutable minScore;

    constructor(uint256 approvalKernel_, uint256 metadataKernel_, uint256 didKernel_, uint256 minScore_) {
        approvalKernel = approvalKernel_;
        metadataKernel = metadataKernel_;
        didKernel = didKernel_;
        minScore = minScore_;
    }

    function evaluate(address, bytes4 selector, bytes calldata, KernelResponse[] calldata responses)
        external
        view
        returns (bool ok, string memory reason)
    {
        if (selector != TRADE_SELECTOR && selector != REDEEM_SELECTOR) {
            return (false, "policy: only trade and redeem are covered");
        }

        (bool found, bytes calldata result, string memory failure) = _find(responses, approvalKernel, "RWA approval");
        if (!found) return (false, failure);
        if (result.length != 32 || !abi.decode(result, (bool))) {
            return (false, "policy: wallet is not approved for this asset on the RWA platform");
        }

        (found, result, failure) = _find(responses, metadataKernel, "asset metadata");
        if (!found) return (false, failure);
        if (keccak256(bytes(abi.decode(result, (string)))) != keccak256("active")) {
            return (false, "policy: asset metadata status is not active");
        }

        (found, result, failure) = _find(responses, didKernel, "DID score");
        if (!found) return (false, failure);
        if (result.length != 32 || abi.decode(result, (uint256)) < minScore) {
            return (false, "policy: DID score is below the minimum");
        }
        return (true, "");
    }

    function _find(KernelResponse[] calldata responses, uint256 kernelId, string memory what)
        private
        pure
        returns (bool found, bytes calldata result, string memory failure)
    {
        for (uint256 i; i < responses.length; ++i) {
            if (responses[i].kernelId != kernelId) continue;
            if (bytes(responses[i].err).length != 0) {
                return (false, responses[i].result, string.concat("policy: ", what, " kernel failed: ", responses[i].err));
            }
            return (true, responses[i].result, "");
        }
        return (false, msg.data[0:0], string.concat("policy: no response from the ", what, " kernel"));
    }
}
