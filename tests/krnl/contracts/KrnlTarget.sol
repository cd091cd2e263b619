// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// What evm-read kernels read on the second chain: a per-account score, and calls that revert.
contract KrnlTarget {
    error Refused(uint256 code);

    mapping(address => uint256) public scoreOf;

    function setScore(address who, uint256 score) external {
        scoreOf[who] = score;
    }

    /// The account's score plus `x`.
    function scorePlus(address who, uint256 x) external view returns (uint256) {
        return scoreOf[who] + x;
    }

    function refuse(uint256) external pure returns (uint256) {
        revert("target: refused, ask the owner");
    }

    function refuseCustom(uint256 code) external pure returns (uint256) {
        revert Refused(code);
    }
}
