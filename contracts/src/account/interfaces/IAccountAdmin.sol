// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The account's own functions that only the account itself (through a sudo-validated user
/// operation, or an executor running in its context) may reach. Plugin-mode validators never can.
interface IAccountAdmin {
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// `validator` 0 names the built-in ECDSA root and `data` is its 20-byte signer; any other address is
    /// an external default validator installed with `data` (its onInstall).
    function initialize(address validator, bytes calldata data) external;
    function setDefaultValidator(address validator, bytes calldata data) external;
    function setExecution(
        bytes4 selector,
        address executor,
        address validator,
        uint48 validAfter,
        uint48 validUntil,
        bytes calldata validatorData
    ) external;
    function setDisabledFlags(uint32 flags) external;
    function invalidateEnableNonce(uint64 newNonce) external;
    function setSignatureValidator(address validator, bool allowed) external;
    function executeDelegateCall(address target, bytes calldata data) external payable returns (bytes memory);
    function upgradeToAndCall(address newImplementation, bytes calldata data) external payable;
}
