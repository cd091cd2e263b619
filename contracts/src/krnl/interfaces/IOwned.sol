// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// The one thing the registry and the vault ask of an app contract: who owns it.
interface IOwned {
    function owner() external view returns (address);
}
