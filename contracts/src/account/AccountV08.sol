// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Account} from "./Account.sol";

/// @notice The account implementation for EntryPoint v0.8. It also serves as an EIP-7702 delegate: an EOA
/// that delegates here is an account whose root signer is the EOA's own key (sudo mode with no default
/// validator set), until it calls `initialize` itself to choose a default validator.
contract AccountV08 is Account {
    constructor(address entryPointV08) Account(entryPointV08) {}
}
