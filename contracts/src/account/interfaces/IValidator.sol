// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";

/// @notice A validator plugin. The account reaches it with `call`, so it keeps its own storage, keyed by
/// the calling account (`msg.sender`); it never reads or writes the state of any other account.
/// Keys are laid out as `mapping(... => mapping(address account => ...))` with the account innermost,
/// so every slot is "associated storage" of the account under ERC-7562.
interface IValidator {
    /// @dev Called by the account when the validator is bound to it (initialisation, enable mode,
    /// setDefaultValidator, setExecution). `data` is validator specific.
    function onInstall(bytes calldata data) external;

    /// @dev Called by the account when it drops the validator.
    function onUninstall(bytes calldata data) external;

    /// @dev Validates a user operation for `msg.sender`. The account forwards the EntryPoint's calldata
    /// unchanged except for the selector and the last word: `signatureOffset` is where the validator's
    /// own part of `userOp.signature` starts (after the account's mode prefix and enable data).
    /// Returns ERC-4337 validation data: 0 ok, 1 signature failure, or a packed validity window.
    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 signatureOffset)
        external
        returns (uint256 validationData);

    /// @dev Called by the account from `executeUserOp` (ERC-4337's IAccountExecute), before the operation's
    /// call runs, on the validator that validated the operation; `validatorSignature` is the same part of
    /// `userOp.signature` that `validateUserOp` read (from `signatureOffset` on). A validator with work to do
    /// at execution (KrnlValidator settles the attested fees) does it here; a revert reverts the call.
    function onUserOpExecution(bytes calldata validatorSignature) external;

    /// @dev ERC-1271 check on behalf of `msg.sender` (the account). `hash` is already wrapped in the
    /// account's EIP-712 domain. `sender` is whoever asked the account. Returns 0x1626ba7e if valid.
    function isValidSignatureWithSender(address sender, bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4);
}
