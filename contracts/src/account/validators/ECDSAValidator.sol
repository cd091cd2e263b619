// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {IValidator} from "../interfaces/IValidator.sol";

/// @notice An external ECDSA validator: one secp256k1 owner per account, for plugin mode (a selector bound
/// to another key) or as an external root. The account's default root is its built-in ECDSA validator,
/// which signs the same way without a call to this contract. User operations are signed as an
/// EIP-191 personal message over the userOpHash (what wallets' signMessage produces); ERC-1271 digests
/// arrive already wrapped in the account's EIP-712 domain and are signed raw.
contract ECDSAValidator is IValidator {
    mapping(address account => address) public ownerOf;

    event OwnerSet(address indexed account, address indexed owner);

    error InvalidOwner();

    /// @param data the owner, 20 bytes packed.
    function onInstall(bytes calldata data) external {
        if (data.length < 20) revert InvalidOwner();
        address owner = address(bytes20(data[:20]));
        if (owner == address(0)) revert InvalidOwner();
        ownerOf[msg.sender] = owner;
        emit OwnerSet(msg.sender, owner);
    }

    function onUninstall(bytes calldata) external {
        delete ownerOf[msg.sender];
        emit OwnerSet(msg.sender, address(0));
    }

    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 signatureOffset)
        external
        view
        returns (uint256)
    {
        address owner = ownerOf[msg.sender];
        address signer =
            ECDSA.tryRecoverCalldata(ECDSA.toEthSignedMessageHash(userOpHash), userOp.signature[signatureOffset:]);
        // tryRecover yields 0 for a malformed signature, and an uninstalled owner is 0: both must fail.
        return signer == owner && owner != address(0) ? 0 : 1;
    }

    /// @dev Nothing to do at execution.
    function onUserOpExecution(bytes calldata) external {}

    function isValidSignatureWithSender(address, bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        address owner = ownerOf[msg.sender];
        return owner != address(0) && ECDSA.tryRecoverCalldata(hash, signature) == owner
            ? bytes4(0x1626ba7e)
            : bytes4(0xffffffff);
    }
}
