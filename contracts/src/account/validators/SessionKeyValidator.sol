// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {MerkleProofLib} from "solady/utils/MerkleProofLib.sol";
import {IValidator} from "../interfaces/IValidator.sol";

/// @notice Session keys: a secp256k1 key allowed to make the account `execute` calls within a set of
/// permissions (per target and selector, with a value limit and argument rules), a validity window,
/// a use count and a paymaster rule, until it expires or the account revokes it.
/// The permissions of a session are committed to as a Merkle root (leaf = keccak256(keccak256(abi.encode(
/// permission)))); each operation carries the one permission it uses and its proof, so a session with
/// many permissions costs no more storage than one with a single permission.
/// Bind it to the account's `execute` selector (enable mode or setExecution); its signature is
/// abi.encode(address sessionKey, bytes ecdsaSignature, Permission permission, bytes32[] proof).
contract SessionKeyValidator is IValidator {
    enum Condition {
        Equal,
        Greater,
        Less,
        GreaterOrEqual,
        LessOrEqual,
        NotEqual
    }

    /// A rule compares the 32-byte argument word at `offset` (bytes after the selector) with `value`.
    struct Rule {
        Condition condition;
        uint32 offset;
        bytes32 value;
    }

    struct Permission {
        address target;
        bytes4 selector; // 0 for a call without calldata (plain value transfer)
        uint256 valueLimit; // per call
        Rule[] rules;
    }

    /// Paymaster rules. `Required` means some paymaster must sponsor the operation: the zero address,
    /// which the EntryPoint treats as "no paymaster", never satisfies it.
    uint8 public constant PAYMASTER_ANY = 0;
    uint8 public constant PAYMASTER_REQUIRED = 1;
    uint8 public constant PAYMASTER_SPECIFIC = 2;
    uint32 public constant UNLIMITED_USES = type(uint32).max;

    struct Session {
        bytes32 permissionsRoot;
        address paymaster;
        uint48 validAfter;
        uint48 validUntil;
        uint32 usesLeft;
        uint8 paymasterRule;
    }

    mapping(address sessionKey => mapping(address account => Session)) public sessionOf;

    event SessionEnabled(address indexed account, address indexed sessionKey, bytes32 permissionsRoot);
    event SessionRevoked(address indexed account, address indexed sessionKey);

    error InvalidSession();

    bytes4 private constant EXECUTE_SELECTOR = bytes4(keccak256("execute(address,uint256,bytes)"));

    /// @param data abi.encode(address sessionKey, bytes32 permissionsRoot, uint48 validAfter,
    ///             uint48 validUntil, uint32 uses, uint8 paymasterRule, address paymaster)
    function onInstall(bytes calldata data) external {
        (
            address key,
            bytes32 root,
            uint48 validAfter,
            uint48 validUntil,
            uint32 uses,
            uint8 paymasterRule,
            address paymaster
        ) = abi.decode(data, (address, bytes32, uint48, uint48, uint32, uint8, address));
        if (key == address(0) || root == bytes32(0) || paymasterRule > PAYMASTER_SPECIFIC) revert InvalidSession();
        if ((paymasterRule == PAYMASTER_SPECIFIC) != (paymaster != address(0))) revert InvalidSession();
        sessionOf[key][msg.sender] = Session(root, paymaster, validAfter, validUntil, uses, paymasterRule);
        emit SessionEnabled(msg.sender, key, root);
    }

    /// @param data abi.encode(address sessionKey)
    function onUninstall(bytes calldata data) external {
        revoke(abi.decode(data, (address)));
    }

    function revoke(address sessionKey) public {
        delete sessionOf[sessionKey][msg.sender];
        emit SessionRevoked(msg.sender, sessionKey);
    }

    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 signatureOffset)
        external
        returns (uint256)
    {
        if (userOp.sender != msg.sender) return 1;
        (address key, bytes memory signature, Permission memory permission, bytes32[] memory proof) =
            abi.decode(userOp.signature[signatureOffset:], (address, bytes, Permission, bytes32[]));
        Session storage session = sessionOf[key][msg.sender];
        Session memory s = session;
        if (s.permissionsRoot == bytes32(0)) return 1;
        if (ECDSA.tryRecover(ECDSA.toEthSignedMessageHash(userOpHash), signature) != key) return 1;
        if (!_paymasterAllowed(s, userOp.paymasterAndData)) return 1;
        if (!_callAllowed(permission, userOp.callData)) return 1;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(permission))));
        if (!MerkleProofLib.verify(proof, s.permissionsRoot, leaf)) return 1;
        if (s.usesLeft != UNLIMITED_USES) {
            if (s.usesLeft == 0) return 1;
            unchecked {
                session.usesLeft = s.usesLeft - 1;
            }
        }
        return (uint256(s.validUntil) << 160) | (uint256(s.validAfter) << 208);
    }

    /// @dev Nothing to do at execution.
    function onUserOpExecution(bytes calldata) external {}

    function isValidSignatureWithSender(address, bytes32, bytes calldata) external pure returns (bytes4) {
        return 0xffffffff; // session keys never sign messages on the account's behalf
    }

    function _paymasterAllowed(Session memory s, bytes calldata paymasterAndData) private pure returns (bool) {
        if (s.paymasterRule == PAYMASTER_ANY) return true;
        address paymaster = paymasterAndData.length >= 20 ? address(bytes20(paymasterAndData[:20])) : address(0);
        if (s.paymasterRule == PAYMASTER_REQUIRED) return paymaster != address(0);
        return paymaster == s.paymaster;
    }

    function _callAllowed(Permission memory p, bytes calldata callData) private pure returns (bool) {
        if (callData.length < 4 || bytes4(callData[:4]) != EXECUTE_SELECTOR) return false;
        (address target, uint256 value, bytes memory data) = abi.decode(callData[4:], (address, uint256, bytes));
        if (target != p.target || value > p.valueLimit) return false;
        bytes4 selector;
        if (data.length >= 4) selector = bytes4(data);
        if (selector != p.selector) return false;
        for (uint256 i; i < p.rules.length; ++i) {
            Rule memory r = p.rules[i];
            uint256 at = 4 + uint256(r.offset);
            if (data.length < at + 32) return false;
            uint256 arg;
            /// @solidity memory-safe-assembly
            assembly {
                arg := mload(add(add(data, 0x20), at))
            }
            uint256 v = uint256(r.value);
            bool ok;
            if (r.condition == Condition.Equal) ok = arg == v;
            else if (r.condition == Condition.Greater) ok = arg > v;
            else if (r.condition == Condition.Less) ok = arg < v;
            else if (r.condition == Condition.GreaterOrEqual) ok = arg >= v;
            else if (r.condition == Condition.LessOrEqual) ok = arg <= v;
            else ok = arg != v;
            if (!ok) return false;
        }
        return true;
    }
}
