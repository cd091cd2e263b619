// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "../../../contracts/src/krnl/KrnlTypes.sol";

/// Policies that misbehave: one never returns (it burns all the gas of the engine's view call), one returns
/// something that is not (bool, string).
contract KrnlLoopingPolicy {
    function evaluate(address, bytes4, bytes calldata, KernelResponse[] calldata) external view returns (bool, string memory) {
        uint256 x = block.number;
        while (x != 0 || x == 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return (x == 1, "");
    }
}

contract KrnlGarbagePolicy {
    function evaluate(address, bytes4, bytes calldata, KernelResponse[] calldata) external pure returns (uint8) {
        return 7;
    }
}
