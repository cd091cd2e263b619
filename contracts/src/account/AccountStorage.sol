// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IValidator} from "./interfaces/IValidator.sol";

/// @notice The account's storage, at an ERC-7201 namespace so that executors (which run in the account's
/// context by `delegatecall`) and future implementations find it at the same place.
///
/// The hot path of a user operation reads one slot, `config`, which packs everything sudo mode needs:
/// with the built-in ECDSA root (the default) that one cold SLOAD (2,100 gas) is the whole validation
/// state, as SimpleAccount's `owner` is; nothing else is read and no other contract is called.
library AccountStorage {
    /// @custom:storage-location erc7201:krnl.account
    struct Layout {
        /// bits 0..159: the root. With ROOT_IS_VALIDATOR clear, the built-in ECDSA root signer (0 only on
        /// an EIP-7702 delegate that never chose one: its root signer is then the EOA's own key); with it
        /// set, the external default validator contract (a 2FA multisig, a passkey, ...), reached by
        /// `call`, which makes the single-key path impossible.
        /// bits 160..191: flags: bits 0..30 disabled flags (see below), bit 31 ROOT_IS_VALIDATOR.
        /// bits 192..255: enable nonce.
        /// "Initialised" is `uint160(config) != 0`: a root was chosen. No separate Initializable slot.
        uint256 config;
        /// selector => validator (bits 0..159) | validUntil (160..207) | validAfter (208..255)
        mapping(bytes4 => uint256) selectorValidator;
        /// selector => executor reached by delegatecall from the fallback
        mapping(bytes4 => address) selectorExecutor;
        /// validators other than the default one that may answer ERC-1271 requests
        mapping(address => bool) signatureValidator;
    }

    /// keccak256(abi.encode(uint256(keccak256("krnl.account")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant SLOT = 0x7bd742c9eed7b5af82536841c0a1c80ec92d449f674ec0c4352cfddfa8907b00;

    uint256 internal constant FLAGS_SHIFT = 160;
    uint256 internal constant NONCE_SHIFT = 192;
    uint256 internal constant ROOT_MASK = (1 << 160) - 1;

    /// Disabled-flag bits. Mode bits are `1 << mode` for the signature modes 0 (sudo), 1 (plugin),
    /// 2 (enable); bit 8 turns off `executeDelegateCall`. Bit 31 is not a disabled flag: it is reserved
    /// for ROOT_IS_VALIDATOR and `setDisabledFlags` refuses it.
    uint32 internal constant DISABLE_DELEGATECALL = 1 << 8;
    uint32 internal constant RESERVED_FLAGS = 1 << 31;

    /// Set when the root (bits 0..159) is an external default validator rather than the built-in signer.
    uint256 internal constant ROOT_IS_VALIDATOR = 1 << (FLAGS_SHIFT + 31);

    error InvalidValidator();

    function layout() internal pure returns (Layout storage l) {
        bytes32 slot = SLOT;
        assembly {
            l.slot := slot
        }
    }

    /// @dev The external default validator, or 0 when the built-in ECDSA root is in use.
    function defaultValidator(uint256 config) internal pure returns (address) {
        return config & ROOT_IS_VALIDATOR == 0 ? address(0) : address(uint160(config));
    }

    function disabledFlags(uint256 config) internal pure returns (uint32) {
        return uint32(config >> FLAGS_SHIFT) & ~RESERVED_FLAGS;
    }

    function enableNonce(uint256 config) internal pure returns (uint64) {
        return uint64(config >> NONCE_SHIFT);
    }

    /// @dev Chooses the root, keeping the flags and the enable nonce. `validator` 0 selects the built-in
    /// ECDSA validator and `data` is its signer, exactly 20 bytes; any other `validator` is an external
    /// default validator, installed with `data`. Shared by the account and the recovery executor.
    function setRoot(address validator, bytes calldata data) internal {
        Layout storage l = layout();
        uint256 kept = l.config & ~(ROOT_MASK | ROOT_IS_VALIDATOR);
        if (validator == address(0)) {
            address signer = data.length == 20 ? address(bytes20(data)) : address(0);
            if (signer == address(0)) revert InvalidValidator();
            l.config = kept | uint160(signer);
        } else {
            l.config = kept | uint160(validator) | ROOT_IS_VALIDATOR;
            IValidator(validator).onInstall(data);
        }
    }
}
