// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// A plain RWA market: no payload, no KRNL import. Whoever calls `trade` gets the position. In the account
/// run of examples/rwa-did, only smart accounts whose KrnlValidator demands the three kernels' attestation
/// reach it: the gate is on the account, not in the market.
contract RwaMarket {
    mapping(address wallet => mapping(uint256 assetId => uint256)) public positionOf;

    event Traded(address indexed wallet, uint256 indexed assetId, uint256 amount);

    function trade(uint256 assetId, uint256 amount) external {
        positionOf[msg.sender][assetId] += amount;
        emit Traded(msg.sender, assetId, amount);
    }
}
