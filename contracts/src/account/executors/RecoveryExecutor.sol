// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccountStorage} from "../AccountStorage.sol";

/// @notice Social recovery: bound to `recoverDefaultValidator` with the guardians' validator (for
/// instance WeightedMultisigValidator with a delay), it replaces the account's root. It runs in the
/// account's context by delegatecall from the account's fallback.
contract RecoveryExecutor {
    /// `validator` 0 with `signer`: the built-in ECDSA root; otherwise `signer` is 0.
    event Recovered(address indexed newDefaultValidator, address signer);

    /// @param newDefaultValidator 0 for the built-in ECDSA root (then `validatorData` is the new 20-byte
    /// signer), or an external default validator and its install data.
    function recoverDefaultValidator(address newDefaultValidator, bytes calldata validatorData) external {
        AccountStorage.setRoot(newDefaultValidator, validatorData);
        emit Recovered(
            newDefaultValidator, newDefaultValidator == address(0) ? address(bytes20(validatorData)) : address(0)
        );
    }
}
