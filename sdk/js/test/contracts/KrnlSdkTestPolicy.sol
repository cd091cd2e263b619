// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "../../../../contracts/src/krnl/KrnlTypes.sol";
import {IKrnlPolicy} from "../../../../contracts/src/krnl/interfaces/IKrnlPolicy.sol";

/// A policy over `act(uint256 a, uint256 b, bytes)`: refuses with a reason when `a` is above `limit` or a
/// kernel failed, accepts everything else.
contract KrnlSdkTestPolicy is IKrnlPolicy {
    uint256 public immutable limit;

    constructor(uint256 limit_) {
        limit = limit_;
    }

    function evaluate(address, bytes4, bytes calldata args, KernelResponse[] calldata responses)
        external
        view
        returns (bool ok, string memory reason)
    {
        (uint256 a,) = abi.decode(args, (uint256, uint256));
        if (a > limit) return (false, "sdk test policy: a is above the limit");
        for (uint256 i; i < responses.length; ++i) {
            if (bytes(responses[i].err).length != 0) return (false, "sdk test policy: a kernel failed");
        }
        return (true, "");
    }
}
