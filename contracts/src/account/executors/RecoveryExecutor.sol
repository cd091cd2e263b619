// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccountStorage} from "../AccountStorage.sol";
import {IValidator} from "../interfaces/IValidator.sol";

/// @notice Social recovery: bound to `recoverDefaultValidator` with the guardians' validator (for
/// instance WeightedMultisigValidator with a delay), it swaps the account's default validator. It runs
/// in the account's context by delegatecall from the account's fallback.
contract RecoveryExecutor {
    event Recovered(address indexed newDefaultValidator);

    error InvalidValidator();

    function recoverDefaultValidator(address newDefaultValidator, bytes calldata validatorData) external {
        if (newDefaultValidator == address(0)) revert InvalidValidator();
        AccountStorage.setDefaultValidator(newDefaultValidator);
        IValidator(newDefaultValidator).onInstall(validatorData);
        emit Recovered(newDefaultValidator);
    }
}
