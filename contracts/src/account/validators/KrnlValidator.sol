// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {IValidator} from "../interfaces/IValidator.sol";
import {KernelRegistry} from "../../krnl/KernelRegistry.sol";
import {KrnlVault} from "../../krnl/KrnlVault.sol";
import {KrnlAttestation} from "../../krnl/KrnlAttestation.sol";
import {KrnlSignatures} from "../../krnl/KrnlSignatures.sol";

/// @notice Proof of Provenance on the account side: the account's token authority. An operation it validates
/// carries the owner's signature AND an attestation of the KRNL engine (DESIGN.md's KernelAttestation, with
/// app = sender = the account, selector and argsHash from the operation's call, nonce = the operation's
/// EntryPoint nonce), signed by k of the node signers the account trusts. Neither alone is accepted.
///
/// Signature (the validator's part, from `signatureOffset`):
///   ownerSig (65 bytes, ECDSA over the EIP-191 personal-message hash of the userOpHash)
///   | abi.encode(bytes32 responsesHash, uint256 nonce, uint64 expiry, uint256[] kernelIds,
///                uint256[] kernelFees, uint256 nodeFee, bytes signatures)
/// `signatures`: k or more 65-byte (r, s, v), signers strictly ascending (KrnlSignatures, as TokenAuthority).
///
/// The call: `userOp.callData`, or `userOp.callData[4:]` when it starts with `executeUserOp` (IAccountExecute);
/// selector = call[0:4] (0 for a call shorter than 4 bytes), argsHash = keccak256(call[4:]).
///
/// ERC-7562: validation reads only slots keyed by the account innermost (its config slot and, per
/// signature, `_trusted[signer][account]`), writes only two transient slots keyed by the account (OP-070
/// judges them as storage), uses no banned opcode
/// (the expiry is returned as validUntil instead of reading TIMESTAMP) and calls only the ecrecover
/// precompile. The policy, the requirements, the registry and the vault are never touched in validation.
///
/// Replay: nonce = userOp.nonce (key and sequence) with app = the account in the digest binds the attestation
/// to one operation slot of one account, and the EntryPoint's own nonce check makes it single-use: no storage is
/// spent on consumed nonces. Not the userOpHash: gas estimation varies the gas fields (hence the hash) between
/// trials, and one attestation must hold for all of them; the owner's signature covers the gas fields.
///
/// Fees move in execution (validation cannot move value): when any fee is non-zero the operation must come
/// through `executeUserOp`, validation records the attestation's digest and feesHash in transient storage
/// under (account, nonce), and the account's `onUserOpExecution` call consumes them, checks the fees it is
/// given against the feesHash, recovers the signers again and has the vault settle. Transient: 200 gas
/// instead of a 5,000-gas slot, nothing left behind by an execution that never reached the hook, and every
/// op of one account in a bundle keeps its own record (validations all run before executions).
contract KrnlValidator is IValidator {
    /// One slot: validation reads exactly this config word (2,100 cold) besides the signer bits.
    struct Config {
        address owner; // 0: the account itself (an EIP-7702 EOA signs with its own key)
        uint96 threshold; // k; 0: not installed
    }

    uint256 internal constant SIG_VALIDATION_FAILED = 1;
    bytes4 internal constant EXECUTE_USER_OP = 0x8dd7712f; // executeUserOp(PackedUserOperation,bytes32)

    KernelRegistry public immutable registry;
    KrnlVault public immutable vault;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    mapping(address account => Config) internal _configOf;
    mapping(address signer => mapping(address account => bool)) internal _trusted;
    mapping(address account => address[]) internal _signerList;
    mapping(address account => address) internal _policyOf;
    mapping(address account => bytes4[]) internal _selectorList;
    mapping(bytes4 selector => mapping(address account => string)) internal _requirementOf;

    event Configured(address indexed account, address owner, address[] signers, uint256 threshold, address policy);
    event RequirementSet(address indexed account, bytes4 indexed selector, string requirement);
    event Uninstalled(address indexed account);

    // onInstall
    error BadThreshold(uint256 threshold, uint256 signers);
    error ZeroSigner();
    error DuplicateSigner(address signer);
    error LengthMismatch();
    // validateUserOp, in the order checked. Signature errors come from KrnlSignatures: MalformedSignatures,
    // NotEnoughSignatures, InvalidSignature, UntrustedSigner, DuplicateOrUnsortedSigner.
    error OwnerSignatureMissing();
    error AttestationMissing();
    error MalformedAttestation();
    error AttestationForOtherOperation(uint256 attestedNonce, uint256 opNonce);
    error SettlementNeedsExecuteUserOp();
    // onUserOpExecution
    error NothingToSettle();
    /// The fees the hook is given are not the ones validation checked.
    error FeesNotAttested();

    constructor(KernelRegistry registry_, KrnlVault vault_) {
        registry = registry_;
        vault = vault_;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = KrnlAttestation.domainSeparator(block.chainid, address(this));
    }

    // ---------------------------------------------------------------- installation

    /// @param data abi.encode(address owner, address[] signers, uint256 threshold, address policy,
    ///             bytes4[] selectors, string[] requirements). Replaces the account's whole configuration.
    function onInstall(bytes calldata data) external {
        (
            address owner,
            address[] memory signers,
            uint256 threshold,
            address policy,
            bytes4[] memory selectors,
            string[] memory requirements
        ) = abi.decode(data, (address, address[], uint256, address, bytes4[], string[]));
        if (selectors.length != requirements.length) revert LengthMismatch();
        if (threshold == 0 || threshold > signers.length) revert BadThreshold(threshold, signers.length);
        _clear(msg.sender);
        for (uint256 i; i < signers.length; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert ZeroSigner();
            if (_trusted[signer][msg.sender]) revert DuplicateSigner(signer);
            _trusted[signer][msg.sender] = true;
        }
        _signerList[msg.sender] = signers;
        // threshold <= signers.length < 2^96: the narrowing is exact.
        _configOf[msg.sender] = Config(owner, uint96(threshold));
        _policyOf[msg.sender] = policy;
        _selectorList[msg.sender] = selectors;
        for (uint256 i; i < selectors.length; ++i) {
            _requirementOf[selectors[i]][msg.sender] = requirements[i];
            emit RequirementSet(msg.sender, selectors[i], requirements[i]);
        }
        emit Configured(msg.sender, owner, signers, threshold, policy);
    }

    function onUninstall(bytes calldata) external {
        _clear(msg.sender);
        emit Uninstalled(msg.sender);
    }

    // ---------------------------------------------------------------- validation

    /// Gas, k = 1, three kernels, zero fees, against the ECDSA validator in plugin mode on the same account
    /// (bench/account_gas.sh, both EntryPoints): +9,706 actualGasUsed, +13,850 for the handleOps transaction.
    /// What the ECDSA validator also pays (config SLOAD 2,100, the owner's ecrecover 3,000, the call) cancels
    /// out; the rest is: one node ecrecover (3,000 + ~150 to stage it), one cold `_trusted` SLOAD (2,100),
    /// five keccaks (args, fees, struct, digest; ~600 with their memory), decoding without copies (~300),
    /// the 608 more bytes of signature the EntryPoint and the account copy and forward (~1,200 of memory and
    /// copying) and, in the transaction only, their calldata (~4,100: 65 + ~40 non-zero bytes at 16, the rest at 4).
    /// With fees, validation adds the pending SSTORE (2,900 + 2,100 cold; 22,100 the very first time), and
    /// execution the hook (~8,000: decode, the pending slot, one ecrecover, the call) plus vault.settle.

    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 signatureOffset)
        external
        returns (uint256)
    {
        bytes calldata part = userOp.signature[signatureOffset:];
        if (part.length < 65) revert OwnerSignatureMissing();
        // The one config SLOAD (2,100). Owner 0 is the account itself: an EIP-7702 EOA's own key.
        Config memory c = _configOf[msg.sender];
        address owner = c.owner == address(0) ? msg.sender : c.owner;
        if (c.threshold == 0 || userOp.sender != msg.sender) return SIG_VALIDATION_FAILED;

        (
            bytes32 responsesHash,
            uint256 nonce,
            uint256 expiry,
            uint256[] calldata kernelIds,
            uint256[] calldata kernelFees,
            uint256 nodeFee,
            bytes calldata signatures
        ) = _decode(part[65:]);
        if (nonce != userOp.nonce) revert AttestationForOtherOperation(nonce, userOp.nonce);

        (bytes calldata call_, bool wrapped) = _call(userOp.callData);
        bytes4 selector;
        bytes32 argsHash;
        /// @solidity memory-safe-assembly
        assembly {
            // selector = call[0:4], argsHash = keccak256(call[4:]); hashed in scratch-free memory without
            // the slice bounds checks (the lengths are checked here). ~6 gas a word plus the copy.
            let m := mload(0x40)
            let n := call_.length
            if lt(n, 4) { n := 4 }
            if iszero(lt(call_.length, 4)) { selector := shl(224, shr(224, calldataload(call_.offset))) }
            calldatacopy(m, add(call_.offset, 4), sub(n, 4))
            argsHash := keccak256(m, sub(n, 4))
        }
        bytes32 feesHash = KrnlAttestation.feesHashCalldata(kernelIds, kernelFees, nodeFee);
        bytes32 digest = _digest(
            KrnlAttestation.structHash(
                msg.sender,
                msg.sender,
                selector,
                argsHash,
                responsesHash,
                nonce,
                uint64(expiry),
                feesHash
            )
        );
        // k ecrecovers (3,000 each) and k cold `_trusted` SLOADs (2,100 each).
        KrnlSignatures.verify(digest, signatures, c.threshold, _isTrusted);

        if (_charges(kernelFees, nodeFee)) {
            if (!wrapped) revert SettlementNeedsExecuteUserOp();
            uint256 slot = _pendingSlot(msg.sender, nonce);
            /// @solidity memory-safe-assembly
            assembly {
                tstore(slot, digest)
                tstore(add(slot, 1), feesHash)
            }
        }
        // A failed owner signature returns 1 rather than reverting, and only after the attestation was
        // checked: gas estimation runs with a stub owner signature and the node's real attestation, and must
        // pay for the whole check. tryRecover gives 0 for a malformed signature, which is never `owner`.
        if (ECDSA.tryRecoverCalldata(ECDSA.toEthSignedMessageHash(userOpHash), part[:65]) != owner) {
            return SIG_VALIDATION_FAILED;
        }
        // validUntil = expiry (validAfter 0): the EntryPoint enforces it, validation never reads the clock.
        // An expiry beyond 48 bits would spill into validAfter: it is capped instead.
        if (expiry > type(uint48).max) expiry = type(uint48).max;
        return expiry << 160;
    }

    /// @notice Settles the attested fees of the operation being executed from the account's vault deposit.
    /// Nothing when all fees are 0. Otherwise the digest recorded by validation is consumed (it cannot settle
    /// twice), the signers are recovered again from it and the vault pays kernel owners and the signers'
    /// payouts; it reverts InsufficientDeposit when the deposit cannot pay, which reverts the execution.
    function onUserOpExecution(bytes calldata validatorSignature) external {
        if (validatorSignature.length <= 65) return;
        (
            ,
            uint256 nonce,
            ,
            uint256[] calldata kernelIds,
            uint256[] calldata kernelFees,
            uint256 nodeFee,
            bytes calldata signatures
        ) = _decode(validatorSignature[65:]);
        if (!_charges(kernelFees, nodeFee)) return;
        uint256 slot = _pendingSlot(msg.sender, nonce);
        bytes32 digest;
        bytes32 feesHash;
        /// @solidity memory-safe-assembly
        assembly {
            digest := tload(slot)
            feesHash := tload(add(slot, 1))
        }
        if (digest == bytes32(0)) revert NothingToSettle();
        if (feesHash != KrnlAttestation.feesHashCalldata(kernelIds, kernelFees, nodeFee)) revert FeesNotAttested();
        /// @solidity memory-safe-assembly
        assembly {
            tstore(slot, 0) // settles once
        }
        address[] memory signers =
            KrnlSignatures.verify(digest, signatures, _configOf[msg.sender].threshold, _isTrusted);
        vault.settle(msg.sender, kernelIds, kernelFees, nodeFee, signers);
    }

    /// @notice ERC-1271 for the account (when this validator is its root): the owner's signature over `hash`
    /// (already wrapped in the account's EIP-712 domain). Messages are not attested by kernels.
    function isValidSignatureWithSender(address, bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        Config memory c = _configOf[msg.sender];
        address owner = c.owner == address(0) ? msg.sender : c.owner;
        return c.threshold != 0 && ECDSA.tryRecoverCalldata(hash, signature) == owner
            ? bytes4(0x1626ba7e)
            : bytes4(0xffffffff);
    }

    // ---------------------------------------------------------------- views (engine, peers, tools)

    function thresholdFor(address app) external view returns (uint256) {
        return _configOf[app].threshold;
    }

    function policyFor(address app) external view returns (address) {
        return _policyOf[app];
    }

    function isSignerFor(address app, address signer) external view returns (bool) {
        return _trusted[signer][app];
    }

    function signersOf(address app) external view returns (address[] memory) {
        return _signerList[app];
    }

    /// The configured owner as stored: 0 means the account itself signs (an EIP-7702 EOA).
    function ownerOf(address app) external view returns (address) {
        return _configOf[app].owner;
    }

    /// The JSON requirement of `selector` (`{"function": ..., "kernels": [...]}`), empty when none.
    function requirementOf(address app, bytes4 selector) external view returns (string memory) {
        return _requirementOf[selector][app];
    }

    /// Whether `app` has this validator installed (KernelRegistry accepts it as the app's token authority).
    function servesApp(address app) external view returns (bool) {
        return _configOf[app].threshold != 0;
    }

    /// The transient slot of an op's pending settlement: keccak256(account ‖ nonce), the account first so
    /// that ERC-7562 sees storage associated with it (the next slot holds the feesHash).
    function _pendingSlot(address account, uint256 nonce) private pure returns (uint256 slot) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, account)
            mstore(0x20, nonce)
            slot := keccak256(0x00, 0x40)
        }
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    // ---------------------------------------------------------------- internals

    function _isTrusted(address signer) private view returns (bool) {
        return _trusted[signer][msg.sender];
    }

    function _domainSeparator() private view returns (bytes32) {
        return block.chainid == _cachedChainId
            ? _cachedDomainSeparator
            : KrnlAttestation.domainSeparator(block.chainid, address(this));
    }

    function _digest(bytes32 structHash) private view returns (bytes32 result) {
        bytes32 domain = _domainSeparator();
        /// @solidity memory-safe-assembly
        assembly {
            // keccak256("\x19\x01" || domain || structHash) in scratch space, restoring the free pointer word.
            let m := mload(0x40)
            mstore(0x00, 0x1901)
            mstore(0x20, domain)
            mstore(0x40, structHash)
            result := keccak256(0x1e, 0x42)
            mstore(0x40, m)
        }
    }

    /// The operation's call and whether it came wrapped in `executeUserOp`.
    function _call(bytes calldata callData) private pure returns (bytes calldata call_, bool wrapped) {
        wrapped = callData.length >= 4 && bytes4(callData[:4]) == EXECUTE_USER_OP;
        call_ = wrapped ? callData[4:] : callData;
    }

    function _charges(uint256[] calldata kernelFees, uint256 nodeFee) private pure returns (bool) {
        if (nodeFee != 0) return true;
        for (uint256 i; i < kernelFees.length; ++i) {
            if (kernelFees[i] != 0) return true;
        }
        return false;
    }

    /// Points calldata slices at the attestation's members without copying, checking that every offset and
    /// length lies inside it (the ABI decoder's checks, with our own error instead of an empty revert).
    function _decode(bytes calldata a)
        private
        pure
        returns (
            bytes32 responsesHash,
            uint256 nonce,
            uint256 expiry,
            uint256[] calldata kernelIds,
            uint256[] calldata kernelFees,
            uint256 nodeFee,
            bytes calldata signatures
        )
    {
        if (a.length == 0) revert AttestationMissing();
        bool bad;
        /// @solidity memory-safe-assembly
        assembly {
            // A dynamic member: its head word is an offset into `a`; its length word and body must lie inside.
            // Offsets and lengths above 2^32 can only be malformed, which also keeps the sums from overflowing.
            function member(o, n, head, unit) -> start, len, broken {
                let p := calldataload(add(o, head))
                broken := or(gt(p, 0xffffffff), gt(add(p, 0x20), n))
                len := calldataload(add(o, p))
                broken := or(broken, or(gt(len, 0xffffffff), gt(add(add(p, 0x20), mul(len, unit)), n)))
                start := add(add(o, p), 0x20)
            }
            let o := a.offset
            let n := a.length
            responsesHash := calldataload(o)
            nonce := calldataload(add(o, 0x20))
            expiry := calldataload(add(o, 0x40))
            nodeFee := calldataload(add(o, 0xa0))
            bad := or(lt(n, 0xe0), gt(expiry, 0xffffffffffffffff))
            let s, l, x := member(o, n, 0x60, 0x20)
            kernelIds.offset := s
            kernelIds.length := l
            bad := or(bad, x)
            s, l, x := member(o, n, 0x80, 0x20)
            kernelFees.offset := s
            kernelFees.length := l
            bad := or(bad, x)
            s, l, x := member(o, n, 0xc0, 0x01)
            signatures.offset := s
            signatures.length := l
            bad := or(bad, x)
        }
        if (bad) revert MalformedAttestation();
    }

    function _clear(address account) private {
        address[] storage signers = _signerList[account];
        for (uint256 i; i < signers.length; ++i) {
            delete _trusted[signers[i]][account];
        }
        delete _signerList[account];
        bytes4[] storage selectors = _selectorList[account];
        for (uint256 i; i < selectors.length; ++i) {
            delete _requirementOf[selectors[i]][account];
        }
        delete _selectorList[account];
        delete _configOf[account];
        delete _policyOf[account];
    }
}
