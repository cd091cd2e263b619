// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Account} from "./Account.sol";

/// @notice The account implementation for EntryPoint v0.7.
contract AccountV07 is Account {
    constructor(address entryPointV07) Account(entryPointV07) {}
}
