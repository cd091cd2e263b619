// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The account's storage, at an ERC-7201 namespace so that executors (which run in the account's
/// context by `delegatecall`) and future implementations find it at the same place.
/// The hot path of a user operation reads one slot, `config`, which packs everything sudo mode needs.
library AccountStorage {
    /// @custom:storage-location erc7201:krnl.account
    struct Layout {
        /// bits 0..159: default validator (0 only on an EIP-7702 delegate that never set one: its root
        /// signer is then the EOA's own key); bits 160..191: disabled flags; bits 192..255: enable nonce.
        uint256 config;
        /// selector => validator (bits 0..159) | validAfter (160..207) | validUntil (208..255)
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
    uint256 internal constant VALIDATOR_MASK = (1 << 160) - 1;

    /// Disabled-flag bits. Mode bits are `1 << mode` for the signature modes 0 (sudo), 1 (plugin),
    /// 2 (enable); bit 8 turns off `executeDelegateCall`.
    uint32 internal constant DISABLE_DELEGATECALL = 1 << 8;

    function layout() internal pure returns (Layout storage l) {
        bytes32 slot = SLOT;
        assembly {
            l.slot := slot
        }
    }

    function defaultValidator(uint256 config) internal pure returns (address) {
        return address(uint160(config));
    }

    function disabledFlags(uint256 config) internal pure returns (uint32) {
        return uint32(config >> FLAGS_SHIFT);
    }

    function enableNonce(uint256 config) internal pure returns (uint64) {
        return uint64(config >> NONCE_SHIFT);
    }

    function setDefaultValidator(address validator) internal {
        Layout storage l = layout();
        l.config = (l.config & ~VALIDATOR_MASK) | uint160(validator);
    }
}
