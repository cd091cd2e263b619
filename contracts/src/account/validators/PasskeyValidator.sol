// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";
import {WebAuthn} from "solady/utils/WebAuthn.sol";
import {IValidator} from "../interfaces/IValidator.sol";

/// @notice P-256 passkeys (WebAuthn). The challenge is the userOpHash (or the account's EIP-712 digest
/// for ERC-1271); the signature is abi.encode(WebAuthn.WebAuthnAuth). The P-256 check is the P256VERIFY
/// precompile at 0x100 (EIP-7951 on krnld; RIP-7212 on test nodes), reached through Solady's WebAuthn.
contract PasskeyValidator is IValidator {
    struct PublicKey {
        bytes32 x;
        bytes32 y;
    }

    mapping(address account => PublicKey) public keyOf;

    event PasskeySet(address indexed account, bytes32 x, bytes32 y);

    error InvalidKey();

    /// @param data abi.encode(bytes32 x, bytes32 y)
    function onInstall(bytes calldata data) external {
        (bytes32 x, bytes32 y) = abi.decode(data, (bytes32, bytes32));
        if (x == bytes32(0) && y == bytes32(0)) revert InvalidKey();
        keyOf[msg.sender] = PublicKey(x, y);
        emit PasskeySet(msg.sender, x, y);
    }

    function onUninstall(bytes calldata) external {
        delete keyOf[msg.sender];
        emit PasskeySet(msg.sender, 0, 0);
    }

    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 signatureOffset)
        external
        view
        returns (uint256)
    {
        if (userOp.sender != msg.sender) return 1;
        return _verify(userOpHash, userOp.signature[signatureOffset:]) ? 0 : 1;
    }

    /// @dev Nothing to do at execution.
    function onUserOpExecution(bytes calldata) external {}

    function isValidSignatureWithSender(address, bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        return _verify(hash, signature) ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }

    function _verify(bytes32 challenge, bytes calldata signature) private view returns (bool) {
        PublicKey memory key = keyOf[msg.sender];
        if (key.x == bytes32(0) && key.y == bytes32(0)) return false;
        WebAuthn.WebAuthnAuth memory auth = abi.decode(signature, (WebAuthn.WebAuthnAuth));
        return WebAuthn.verify(abi.encodePacked(challenge), false, auth, key.x, key.y);
    }
}
