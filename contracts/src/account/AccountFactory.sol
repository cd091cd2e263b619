// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibClone} from "solady/utils/LibClone.sol";
import {IAccountAdmin} from "./interfaces/IAccountAdmin.sol";

interface IStakeManagerMinimal {
    function addStake(uint32 unstakeDelaySec) external payable;
}

/// @notice Deploys accounts as ERC-1967 minimal proxies (Solady LibClone, 61 bytes of runtime code) with
/// CREATE2. The salt binds the implementation, the initialisation data and an index, so the address
/// commits to who controls the account: nobody can deploy someone else's address with other data.
/// The factory stakes on the EntryPoint so that validators may write account-associated storage while
/// the account is being deployed (ERC-7562, STO-022). Stake can be added by anyone and is never
/// withdrawn: the factory has no owner.
contract AccountFactory {
    address public immutable ACCOUNT_IMPLEMENTATION;
    address public immutable ENTRY_POINT;

    error InitializerRequired();

    constructor(address implementation, address entryPoint) {
        ACCOUNT_IMPLEMENTATION = implementation;
        ENTRY_POINT = entryPoint;
    }

    /// @param initData the full `initialize(defaultValidator, validatorData)` call.
    function createAccount(bytes calldata initData, uint256 index) external payable returns (address account) {
        if (initData.length < 4 || bytes4(initData[:4]) != IAccountAdmin.initialize.selector) {
            revert InitializerRequired();
        }
        bool alreadyDeployed;
        (alreadyDeployed, account) =
            LibClone.createDeterministicERC1967(msg.value, ACCOUNT_IMPLEMENTATION, _salt(initData, index));
        if (!alreadyDeployed) {
            /// @solidity memory-safe-assembly
            assembly {
                let m := mload(0x40)
                calldatacopy(m, initData.offset, initData.length)
                if iszero(call(gas(), account, 0, m, initData.length, codesize(), 0x00)) {
                    returndatacopy(m, 0x00, returndatasize())
                    revert(m, returndatasize())
                }
            }
        }
    }

    function getAddress(bytes calldata initData, uint256 index) external view returns (address) {
        return LibClone.predictDeterministicAddressERC1967(
            ACCOUNT_IMPLEMENTATION, _salt(initData, index), address(this)
        );
    }

    function addStake(uint32 unstakeDelaySec) external payable {
        IStakeManagerMinimal(ENTRY_POINT).addStake{value: msg.value}(unstakeDelaySec);
    }

    function _salt(bytes calldata initData, uint256 index) private view returns (bytes32) {
        return keccak256(abi.encode(ACCOUNT_IMPLEMENTATION, keccak256(initData), index));
    }
}
