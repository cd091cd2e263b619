// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccountProxy} from "./AccountProxy.sol";
import {IAccountAdmin} from "./interfaces/IAccountAdmin.sol";

interface IStakeManagerMinimal {
    function addStake(uint32 unstakeDelaySec) external payable;
}

/// @notice Deploys accounts as AccountProxy (ERC-1967/UUPS proxies whose implementation defaults to the
/// one in their code, so deployment writes no storage) with CREATE2, and initialises them in the same
/// call: the factory builds the `initialize` call itself, so nothing else can ride along. The salt binds
/// the root and an index (the init code hash already binds the implementation), so the address commits
/// to who controls the account: nobody can deploy someone else's address with other data.
///  - `createAccount(owner, index)`: the built-in ECDSA root, the common case. Its calldata is a
///    selector and two words (68 bytes, against 260 for a forwarded `initialize` call), and every
///    initCode byte is paid again as bundle calldata.
///  - `createAccountWithValidator(validator, data, index)`: any root `initialize` accepts.
/// The two salts hash preimages of different lengths (64 and 96 bytes), so they never collide.
/// The factory stakes on the EntryPoint so that validators may write account-associated storage while
/// the account is being deployed (ERC-7562, STO-022). Stake can be added by anyone and is never
/// withdrawn: the factory has no owner.
contract AccountFactory {
    address public immutable ACCOUNT_IMPLEMENTATION;
    address public immutable ENTRY_POINT;

    constructor(address implementation, address entryPoint) {
        ACCOUNT_IMPLEMENTATION = implementation;
        ENTRY_POINT = entryPoint;
    }

    /// @notice An account whose root is the built-in ECDSA validator with signer `owner`.
    function createAccount(address owner, uint256 index) external payable returns (address account) {
        bool alreadyDeployed;
        (alreadyDeployed, account) =
            AccountProxy.create(msg.value, ACCOUNT_IMPLEMENTATION, _ownerSalt(owner, index));
        if (!alreadyDeployed) {
            bytes4 selector = IAccountAdmin.initialize.selector;
            /// @solidity memory-safe-assembly
            assembly {
                // initialize(address(0), abi.encodePacked(owner)) encoded by hand (0x84 bytes) rather than
                // through abi.encodeCall, which would first build the 20-byte `bytes` in memory.
                let m := mload(0x40)
                mstore(m, selector)
                mstore(add(m, 0x04), 0)
                mstore(add(m, 0x24), 0x40)
                mstore(add(m, 0x44), 20)
                mstore(add(m, 0x64), shl(96, owner))
                if iszero(call(gas(), account, 0, m, 0x84, codesize(), 0x00)) {
                    returndatacopy(m, 0x00, returndatasize())
                    revert(m, returndatasize())
                }
            }
        }
    }

    /// @notice An account whose root is `validator` (0: the built-in ECDSA validator, `data` its
    /// 20-byte signer), installed with `data`.
    function createAccountWithValidator(address validator, bytes calldata data, uint256 index)
        external
        payable
        returns (address account)
    {
        bool alreadyDeployed;
        (alreadyDeployed, account) = AccountProxy.create(
            msg.value, ACCOUNT_IMPLEMENTATION, _validatorSalt(validator, data, index)
        );
        if (!alreadyDeployed) IAccountAdmin(account).initialize(validator, data);
    }

    function getAddress(address owner, uint256 index) external view returns (address) {
        return AccountProxy.predict(ACCOUNT_IMPLEMENTATION, _ownerSalt(owner, index), address(this));
    }

    function getAddressWithValidator(address validator, bytes calldata data, uint256 index)
        external
        view
        returns (address)
    {
        return AccountProxy.predict(
            ACCOUNT_IMPLEMENTATION, _validatorSalt(validator, data, index), address(this)
        );
    }

    function addStake(uint32 unstakeDelaySec) external payable {
        IStakeManagerMinimal(ENTRY_POINT).addStake{value: msg.value}(unstakeDelaySec);
    }

    function _ownerSalt(address owner, uint256 index) private pure returns (bytes32 salt) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, owner)
            mstore(0x20, index)
            salt := keccak256(0x00, 0x40)
        }
    }

    function _validatorSalt(address validator, bytes calldata data, uint256 index) private pure returns (bytes32) {
        return keccak256(abi.encode(validator, keccak256(data), index));
    }
}
