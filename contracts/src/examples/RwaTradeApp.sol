// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "solady/auth/Ownable.sol";
import {KernelResponse} from "../krnl/KrnlTypes.sol";
import {KrnlConsumer} from "../krnl/KrnlConsumer.sol";
import {KernelRegistry} from "../krnl/KernelRegistry.sol";

/// The seed's DeFi app (on chain 31337 in the demo): `trade` runs only with a KRNL attestation that the
/// RwaTradePolicy passed for this wallet, asset and amount. Positions are just recorded; the point is the gate.
contract RwaTradeApp is Ownable, KrnlConsumer {
    event Traded(address indexed wallet, uint256 indexed assetId, uint256 amount, uint256 didScore);
    event Redeemed(address indexed wallet, uint256 indexed assetId, uint256 amount);

    error PositionTooSmall(uint256 position, uint256 amount);

    /// The kernel whose result (the wallet's DID score) the app records with each trade.
    uint256 public immutable didKernel;
    mapping(address wallet => mapping(uint256 assetId => uint256)) public positionOf;

    constructor(KernelRegistry registry_, address owner_, uint256 didKernel_) KrnlConsumer(registry_) {
        _initializeOwner(owner_);
        didKernel = didKernel_;
    }

    function trade(uint256 assetId, uint256 amount, bytes calldata payload) external {
        KernelResponse[] calldata responses = onlyKrnl(payload, abi.encode(assetId, amount));
        uint256 score = abi.decode(responseOf(responses, didKernel).result, (uint256));
        positionOf[msg.sender][assetId] += amount;
        emit Traded(msg.sender, assetId, amount, score);
    }

    /// Gives back part of a position; gated by the same attestation rules as `trade`.
    function redeem(uint256 assetId, uint256 amount, bytes calldata payload) external {
        onlyKrnl(payload, abi.encode(assetId, amount));
        uint256 position = positionOf[msg.sender][assetId];
        if (amount > position) revert PositionTooSmall(position, amount);
        positionOf[msg.sender][assetId] = position - amount;
        emit Redeemed(msg.sender, assetId, amount);
    }
}
