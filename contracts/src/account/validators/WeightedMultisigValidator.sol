// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {IValidator} from "../interfaces/IValidator.sol";

/// @notice Weighted multi-signature validator: guardians with weights, a threshold and a delay.
///  - delay 0: the guardians' signatures in the user operation are checked at once (2FA: owner key and
///    a second key, each weight 1, threshold 2, installed as the default validator).
///  - delay > 0: guardians first `propose` the userOpHash with their signatures; the operation becomes
///    valid `delay` seconds later (returned as validAfter) — social recovery with a waiting period in
///    which the account can `cancel`.
/// Signatures are 65 bytes each, concatenated, signers strictly ascending (no signer counts twice).
/// State is keyed by the account innermost (ERC-7562 associated storage). Every read and write concerns
/// the account being validated only: `validateUserOp` refuses an operation whose sender is not the caller.
contract WeightedMultisigValidator is IValidator {
    struct Config {
        uint32 threshold;
        uint48 delay;
        address head; // first guardian of the list (for uninstall)
    }

    struct Guardian {
        uint96 weight;
        address next;
    }

    mapping(address account => Config) public configOf;
    mapping(address guardian => mapping(address account => Guardian)) public guardianOf;
    mapping(bytes32 userOpHash => mapping(address account => uint256)) public proposedAt;

    event Installed(address indexed account, uint32 threshold, uint48 delay);
    event Proposed(address indexed account, bytes32 indexed userOpHash, uint256 validAfter);
    event Cancelled(address indexed account, bytes32 indexed userOpHash);

    error InvalidConfig();
    error NotApproved();

    /// @param data abi.encode(address[] guardians, uint96[] weights, uint32 threshold, uint48 delay)
    function onInstall(bytes calldata data) external {
        (address[] memory guardians, uint96[] memory weights, uint32 threshold, uint48 delay) =
            abi.decode(data, (address[], uint96[], uint32, uint48));
        if (guardians.length != weights.length || threshold == 0) revert InvalidConfig();
        _clear(msg.sender);
        uint256 total;
        address head;
        // Built back to front so the list keeps the caller's order.
        for (uint256 i = guardians.length; i != 0;) {
            unchecked {
                --i;
            }
            address g = guardians[i];
            if (g == address(0) || weights[i] == 0 || guardianOf[g][msg.sender].weight != 0) revert InvalidConfig();
            guardianOf[g][msg.sender] = Guardian(weights[i], head);
            head = g;
            total += weights[i];
        }
        if (total < threshold) revert InvalidConfig();
        configOf[msg.sender] = Config(threshold, delay, head);
        emit Installed(msg.sender, threshold, delay);
    }

    function onUninstall(bytes calldata) external {
        _clear(msg.sender);
    }

    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 signatureOffset)
        external
        view
        returns (uint256)
    {
        if (userOp.sender != msg.sender) return 1;
        Config memory c = configOf[msg.sender];
        if (c.threshold == 0) return 1;
        if (c.delay == 0) {
            bytes32 hash = ECDSA.toEthSignedMessageHash(userOpHash);
            return _approved(msg.sender, c.threshold, hash, userOp.signature[signatureOffset:]) ? 0 : 1;
        }
        uint256 t = proposedAt[userOpHash][msg.sender];
        if (t == 0) return 1;
        return (t + c.delay) << 208; // validAfter; no expiry
    }

    /// @dev Nothing to do at execution.
    function onUserOpExecution(bytes calldata) external {}

    /// @notice Records the guardians' approval of `userOpHash` for `account`; anyone may submit it.
    function propose(address account, bytes32 userOpHash, bytes calldata signatures) external {
        Config memory c = configOf[account];
        if (c.threshold == 0 || c.delay == 0) revert InvalidConfig();
        if (!_approved(account, c.threshold, ECDSA.toEthSignedMessageHash(userOpHash), signatures)) {
            revert NotApproved();
        }
        proposedAt[userOpHash][account] = block.timestamp;
        emit Proposed(account, userOpHash, block.timestamp + c.delay);
    }

    /// @notice The account (for instance through its owner's sudo operation) drops a pending proposal.
    function cancel(bytes32 userOpHash) external {
        delete proposedAt[userOpHash][msg.sender];
        emit Cancelled(msg.sender, userOpHash);
    }

    function isValidSignatureWithSender(address, bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        Config memory c = configOf[msg.sender];
        // Delayed (recovery) configurations never sign instantly.
        if (c.threshold == 0 || c.delay != 0) return 0xffffffff;
        return _approved(msg.sender, c.threshold, hash, signature) ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }

    function _approved(address account, uint256 threshold, bytes32 hash, bytes calldata signatures)
        private
        view
        returns (bool)
    {
        if (signatures.length % 65 != 0) return false;
        uint256 weight;
        address last;
        for (uint256 o; o < signatures.length; o += 65) {
            address signer = ECDSA.tryRecoverCalldata(hash, signatures[o:o + 65]);
            if (signer <= last) return false; // also rejects 0 (malformed)
            last = signer;
            weight += guardianOf[signer][account].weight;
        }
        return weight >= threshold;
    }

    function _clear(address account) private {
        address g = configOf[account].head;
        while (g != address(0)) {
            address next = guardianOf[g][account].next;
            delete guardianOf[g][account];
            g = next;
        }
        delete configOf[account];
    }
}
