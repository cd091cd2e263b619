// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {KernelRegistry} from "./KernelRegistry.sol";
import {IOwned} from "./interfaces/IOwned.sol";

/// Holds each app's ETH deposit and pays kernel owners and node operators out of it when the app's token
/// authority consumes an attestation. Nothing is pushed: earnings accrue as balances that their owners withdraw.
contract KrnlVault is ReentrancyGuardTransient {
    error NotTokenAuthority(address caller, address app);
    /// The app's deposit does not cover the attested fees.
    error InsufficientDeposit(address app, uint256 needed, uint256 available);
    /// An attested kernel fee is below what the registry asks for that kernel now.
    error FeeBelowRegistered(uint256 kernelId, uint256 attested, uint256 registered);
    error LengthMismatch();
    /// Neither the app itself nor its owner.
    error NotAppOwner(address app, address caller);
    error AmountTooLarge(uint256 requested, uint256 available);
    error NothingToWithdraw();

    event Deposited(address indexed app, address indexed from, uint256 amount);
    event DepositWithdrawn(address indexed app, address indexed to, uint256 amount);
    event Settled(address indexed app, uint256 kernelFees, uint256 nodeFeePaid);
    event Withdrawn(address indexed account, uint256 amount);

    KernelRegistry public immutable registry;

    mapping(address app => uint256) public depositOf;
    /// Earned and not yet withdrawn, per kernel owner or operator payout address.
    mapping(address account => uint256) public balanceOf;

    constructor(KernelRegistry registry_) {
        registry = registry_;
    }

    /// Transient storage (EIP-1153) on every chain we run on, not only mainnet.
    function _useTransientReentrancyGuardOnlyOnMainnet() internal pure override returns (bool) {
        return false;
    }

    /// Anyone may fund an app.
    function deposit(address app) external payable {
        depositOf[app] += msg.value;
        emit Deposited(app, msg.sender, msg.value);
    }

    /// The app itself (a smart account) or the app contract's owner takes unused deposit back.
    function withdrawDeposit(address app, uint256 amount) external nonReentrant {
        if (msg.sender != app && _ownerOf(app) != msg.sender) revert NotAppOwner(app, msg.sender);
        uint256 available = depositOf[app];
        if (amount > available) revert AmountTooLarge(amount, available);
        depositOf[app] = available - amount;
        emit DepositWithdrawn(app, msg.sender, amount);
        SafeTransferLib.safeTransferETH(msg.sender, amount);
    }

    /// Pays the caller everything it has earned.
    function withdraw() external nonReentrant {
        uint256 amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        balanceOf[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        SafeTransferLib.safeTransferETH(msg.sender, amount);
    }

    /// The app contract's `owner()`, or 0 when it has none (a smart account answers from its fallback with a
    /// revert): the caller then gets NotAppOwner rather than the app's own error.
    function _ownerOf(address app) private view returns (address owner) {
        if (app.code.length == 0) return address(0);
        try IOwned(app).owner() returns (address o) {
            owner = o;
        } catch {}
    }

    /// Moves the attested fees of one consumed attestation from `app`'s deposit: `kernelFees[i]` to the owner of
    /// `kernelIds[i]`, `nodeFee` in equal shares to the payout addresses of `signers` (the remainder of the division
    /// stays in the deposit). Only the app's registered token authority may call this. Returns what was charged.
    function settle(
        address app,
        uint256[] calldata kernelIds,
        uint256[] calldata kernelFees,
        uint256 nodeFee,
        address[] calldata signers
    ) external nonReentrant returns (uint256 charged) {
        if (kernelIds.length != kernelFees.length) revert LengthMismatch();
        (address authority, address[] memory owners, uint256[] memory fees, address[] memory payouts) =
            registry.settlementInfo(app, kernelIds, signers);
        if (msg.sender != authority) revert NotTokenAuthority(msg.sender, app);

        uint256 kernelTotal;
        for (uint256 i; i < kernelIds.length; ++i) {
            uint256 fee = kernelFees[i];
            if (fee < fees[i]) revert FeeBelowRegistered(kernelIds[i], fee, fees[i]);
            kernelTotal += fee;
        }
        uint256 share = signers.length == 0 ? 0 : nodeFee / signers.length;
        uint256 nodeTotal = share * signers.length;
        charged = kernelTotal + nodeTotal;
        uint256 available = depositOf[app];
        if (charged > available) revert InsufficientDeposit(app, kernelTotal + nodeFee, available);
        depositOf[app] = available - charged;

        for (uint256 i; i < owners.length; ++i) {
            if (kernelFees[i] != 0) balanceOf[owners[i]] += kernelFees[i];
        }
        if (share != 0) {
            for (uint256 i; i < payouts.length; ++i) {
                balanceOf[payouts[i]] += share;
            }
        }
        emit Settled(app, kernelTotal, nodeTotal);
    }
}
