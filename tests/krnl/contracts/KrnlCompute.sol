// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// Runtime code for evm-compute kernels (its deployed bytecode runs in the engine's sandbox).
contract KrnlCompute {
    uint256 internal sink;

    function double(uint256 x) external pure returns (uint256) {
        return x * 2;
    }

    /// Never ends: the sandbox's gas limit stops it.
    function spin(uint256 x) external pure returns (uint256) {
        while (x != 0 || x == 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return x;
    }

    function boom(uint256) external pure returns (uint256) {
        revert("compute: boom, change the input");
    }

    /// Writes storage: refused in the sandbox, which is static.
    function write(uint256 x) external returns (uint256) {
        sink = x;
        return x;
    }
}
