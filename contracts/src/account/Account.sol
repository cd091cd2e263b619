// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";
import {UUPSUpgradeable} from "solady/utils/UUPSUpgradeable.sol";
import {EIP712} from "solady/utils/EIP712.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {IValidator} from "./interfaces/IValidator.sol";
import {IAccountAdmin} from "./interfaces/IAccountAdmin.sol";
import {AccountStorage} from "./AccountStorage.sol";

/// @notice The krnl smart account (Kernel v2 design, seed 001), shared by the EntryPoint v0.7 and v0.8
/// implementations.
///
/// The root ("default validator" in the seed) is, by default, a built-in ECDSA validator whose signer
/// lives in the account's one config slot: sudo validation then costs one cold SLOAD and an ecrecover,
/// and calls no other contract. It stays replaceable: the same slot can instead name an external
/// default validator (a 2FA multisig, a passkey), reached with `call`, and the single-key path is then
/// gone. Everywhere a validator address is taken (`initialize`, `setDefaultValidator`, the factory, the
/// recovery executor), address 0 names the built-in validator and its data is the 20-byte signer. On an
/// EIP-7702 delegate that never chose a root, the root signer is the EOA's own key.
///
/// Validation: `userOp.signature[0:4]` selects the mode.
///  - 0 sudo:   the root validates; `signature[4:]` is its signature (built-in: 65-byte ECDSA over the
///              EIP-191 personal-message hash of the userOpHash, as wallets' signMessage produces).
///  - 1 plugin: the validator bound to `callData[0:4]` validates; `signature[4:]` is its signature.
///  - 2 enable: binds a validator and executor to `callData[0:4]`, approved by the root over
///              an EIP-712 `Enable` struct carrying the account's enable nonce, then validates as plugin:
///              signature = mode(4) | validAfter(6) | validUntil(6) | validator(20) | executor(20)
///                        | len(4) | validatorData | len(4) | approval | validator signature.
/// Everywhere a validity window is written out, validAfter comes before validUntil. The only packed form
/// is ERC-4337's validationData (bits 160..207 validUntil, 208..255 validAfter), which selector windows
/// also use in storage so that intersecting them is a few shifts.
///
/// An operation whose callData is `executeUserOp.selector | call` (ERC-4337's IAccountExecute) is the same
/// operation as one whose callData is `call`, validated alike (plugin and enable modes route by `call`'s
/// selector), except that at execution the validator that validated it first gets `onUserOpExecution`
/// with its part of the signature (KrnlValidator settles the attested fees there), then `call` runs as a
/// call of the account to itself.
///
/// Validators are reached with `call` and keep their own per-account state; executors are reached with
/// `delegatecall` from the fallback, routed by selector. A plugin validator can never reach the
/// account's admin functions: they cannot be bound to a selector, and `execute`/`executeBatch`
/// validated in plugin mode may not target the account itself.
abstract contract Account is UUPSUpgradeable, EIP712 {
    using AccountStorage for uint256;

    uint256 internal constant MODE_SUDO = 0;
    uint256 internal constant MODE_PLUGIN = 1;
    uint256 internal constant MODE_ENABLE = 2;
    uint256 internal constant SIG_VALIDATION_FAILED = 1;
    bytes4 internal constant ERC1271_MAGIC = 0x1626ba7e;
    bytes4 internal constant ERC1271_INVALID = 0xffffffff;

    /// The EIP-712 types (enable approvals, ERC-1271 messages). Not public getters: clients derive them
    /// from the type strings, and every external function whose selector sorts below `execute`'s
    /// (0xb61d27f6) adds 22 gas to each `execute` call (the via-IR dispatcher compares selectors in
    /// ascending order).
    bytes32 internal constant ENABLE_TYPEHASH = keccak256(
        "Enable(bytes4 selector,address validator,address executor,uint48 validAfter,uint48 validUntil,bytes validatorData,uint64 nonce)"
    );
    bytes32 internal constant MESSAGE_TYPEHASH = keccak256("AccountMessage(bytes32 hash)");

    /// Config bits that take sudo mode off the built-in-root fast path: an external root, or sudo disabled.
    uint256 private constant _SUDO_NEEDS_MORE = AccountStorage.ROOT_IS_VALIDATOR | (1 << AccountStorage.FLAGS_SHIFT);

    address private immutable _entryPoint;
    address private immutable _self = address(this);

    error Unauthorized();
    error AlreadyInitialized();
    error NotOnImplementation();
    error InvalidValidator();
    error ReservedSelector(bytes4 selector);
    error NoExecutor(bytes4 selector);
    error DelegateCallDisabled();
    error NonceNotIncreasing();
    error InvalidFlags();

    /// `validator` 0 with `signer`: the built-in ECDSA root; otherwise `signer` is 0.
    event DefaultValidatorChanged(address indexed validator, address signer);
    event ExecutionSet(
        bytes4 indexed selector, address executor, address validator, uint48 validAfter, uint48 validUntil
    );
    event DisabledFlagsSet(uint32 flags);
    event EnableNonceInvalidated(uint64 nonce);
    event SignatureValidatorSet(address indexed validator, bool allowed);

    modifier onlyEntryPointOrSelf() {
        if (msg.sender != _entryPoint && msg.sender != address(this)) revert Unauthorized();
        _;
    }

    constructor(address entryPoint_) {
        _entryPoint = entryPoint_;
    }

    function entryPoint() external view returns (address) {
        return _entryPoint;
    }

    // ---------------------------------------------------------------- initialisation

    /// @notice Chooses the root once: `validator` 0 and a 20-byte signer for the built-in ECDSA root, or
    /// an external default validator and its install data. Never on the implementation itself; on an
    /// EIP-7702 delegate only by the EOA itself (or through its own user operation), so nobody can
    /// front-run it. No event: the EntryPoint's AccountDeployed already marks a factory creation, and
    /// the 1,500+ gas of a log would buy nothing an indexer cannot read from `config`.
    function initialize(address validator, bytes calldata data) external {
        if (address(this) == _self) revert NotOnImplementation();
        // A chosen root is never 0 (setRoot refuses a zero signer), so this is the whole "initialised"
        // fact: the SLOAD that setRoot repeats is then warm (100).
        if (uint160(AccountStorage.layout().config) != 0) revert AlreadyInitialized();
        if (msg.sender != address(this) && msg.sender != _entryPoint && _isDelegatedEOA()) revert Unauthorized();
        AccountStorage.setRoot(validator, data);
    }

    // ---------------------------------------------------------------- validation

    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 missingAccountFunds)
        external
        payable
        returns (uint256 validationData)
    {
        if (msg.sender != _entryPoint) revert Unauthorized();
        uint256 config = AccountStorage.layout().config;
        bytes calldata signature;
        uint256 mode;
        /// @solidity memory-safe-assembly
        assembly {
            // userOp.signature and its mode word, read without the decoder's bounds checks: only the
            // EntryPoint gets here and it ABI-encodes the operation itself; a read past the calldata
            // yields zeros, which no check below accepts. A signature shorter than 4 bytes has no mode.
            let s := add(userOp, calldataload(add(userOp, 0x100)))
            signature.length := calldataload(s)
            signature.offset := add(s, 0x20)
            mode := shr(224, calldataload(signature.offset))
            if lt(signature.length, 4) { mode := not(0) }
        }
        if (mode == MODE_SUDO && config & _SUDO_NEEDS_MORE == 0) {
            // The hot path, tested first: sudo mode with the built-in root and sudo not disabled. The
            // config SLOAD above (2,100 cold) and one ecrecover (3,000) are all it costs; SimpleAccount
            // pays the same for its owner slot and its own ecrecover.
            validationData = ECDSA.tryRecoverCalldata(ECDSA.toEthSignedMessageHash(userOpHash), signature[4:])
                == _rootSigner(config) ? 0 : SIG_VALIDATION_FAILED;
        } else if (mode > MODE_ENABLE || (config >> (AccountStorage.FLAGS_SHIFT + mode)) & 1 != 0) {
            validationData = SIG_VALIDATION_FAILED;
        } else if (mode == MODE_SUDO) {
            validationData = _callValidator(address(uint160(config)), 4);
        } else if (mode == MODE_PLUGIN) {
            validationData = _validatePlugin(userOp.callData);
        } else {
            validationData = _validateEnable(userOp, config);
        }
        /// @solidity memory-safe-assembly
        assembly {
            // The EntryPoint checks the deposit itself; a failed transfer surfaces there as AA21.
            if missingAccountFunds {
                pop(call(gas(), caller(), missingAccountFunds, codesize(), 0x00, codesize(), 0x00))
            }
        }
    }

    function _validatePlugin(bytes calldata callData) private returns (uint256) {
        callData = _innerCall(callData);
        if (callData.length < 4) return SIG_VALIDATION_FAILED;
        bytes4 selector = bytes4(callData[:4]);
        if (!_pluginMayCall(selector, callData)) return SIG_VALIDATION_FAILED;
        uint256 entry = AccountStorage.layout().selectorValidator[selector];
        address validator = address(uint160(entry));
        if (validator == address(0)) return SIG_VALIDATION_FAILED;
        return _intersect(_callValidator(validator, 4), entry);
    }

    function _validateEnable(PackedUserOperation calldata userOp, uint256 config) private returns (uint256) {
        bytes calldata callData = _innerCall(userOp.callData);
        bytes calldata sig = userOp.signature;
        if (callData.length < 4 || sig.length < 64) return SIG_VALIDATION_FAILED;
        bytes4 selector = bytes4(callData[:4]);
        if (_isReservedSelector(selector) || !_pluginMayCall(selector, callData)) return SIG_VALIDATION_FAILED;

        uint48 validAfter = uint48(bytes6(sig[4:10]));
        uint48 validUntil = uint48(bytes6(sig[10:16]));
        address validator = address(bytes20(sig[16:36]));
        address executor = address(bytes20(sig[36:56]));
        (uint256 dataEnd, uint256 approvalEnd) = _enableEnds(sig);
        if (approvalEnd == 0 || validator == address(0)) return SIG_VALIDATION_FAILED;
        bytes calldata validatorData = sig[60:dataEnd];

        bytes32 digest = _hashTypedData(
            keccak256(
                abi.encode(
                    ENABLE_TYPEHASH,
                    selector,
                    validator,
                    executor,
                    validAfter,
                    validUntil,
                    keccak256(validatorData),
                    config.enableNonce()
                )
            )
        );
        if (!_rootApproves(config, address(this), digest, sig[dataEnd + 4:approvalEnd])) {
            return SIG_VALIDATION_FAILED;
        }
        // Consume the nonce before anything else can observe the approval: it can never be replayed.
        unchecked {
            AccountStorage.layout().config = config + (1 << AccountStorage.NONCE_SHIFT);
        }
        uint256 entry = _bind(selector, executor, validator, validAfter, validUntil, validatorData);
        return _intersect(_callValidator(validator, approvalEnd), entry);
    }

    /// @dev Where the enable data and the root's approval end in an enable-mode signature (at least 64
    /// bytes); `approvalEnd` 0 when the signature is too short for the lengths it declares.
    function _enableEnds(bytes calldata sig) private pure returns (uint256 dataEnd, uint256 approvalEnd) {
        dataEnd = 60 + uint256(uint32(bytes4(sig[56:60])));
        if (sig.length < dataEnd + 4) return (dataEnd, 0);
        approvalEnd = dataEnd + 4 + uint256(uint32(bytes4(sig[dataEnd:dataEnd + 4])));
        if (sig.length < approvalEnd) return (dataEnd, 0);
    }

    /// @dev The call an operation makes: `callData` itself, or what follows the selector when it is
    /// `executeUserOp` (IAccountExecute). One comparison (a few gas) on every plugin validation.
    function _innerCall(bytes calldata callData) private pure returns (bytes calldata) {
        if (callData.length >= 4 && bytes4(callData[:4]) == this.executeUserOp.selector) return callData[4:];
        return callData;
    }

    /// @dev Whether a plugin-validated operation may call `selector` with `callData`.
    function _pluginMayCall(bytes4 selector, bytes calldata callData) private view returns (bool ok) {
        if (selector == this.execute.selector) {
            // The ABI decoder at execution rejects a dirty address word, so comparing words is exact.
            return callData.length >= 36 && uint256(bytes32(callData[4:36])) != uint160(address(this));
        }
        if (selector == this.executeBatch.selector) {
            /// @solidity memory-safe-assembly
            assembly {
                // Walk the Call[] exactly as the ABI decoder will at execution: a target equal to this
                // account makes the whole operation invalid. Reads past calldata yield zero, never self.
                ok := 1
                let args := add(callData.offset, 4)
                let array := add(args, calldataload(args))
                let n := calldataload(array)
                let heads := add(array, 0x20)
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let item := add(heads, calldataload(add(heads, shl(5, i))))
                    if eq(calldataload(item), address()) {
                        ok := 0
                        break
                    }
                }
            }
            return ok;
        }
        return !_isReservedSelector(selector);
    }

    /// @dev The account's admin surface. None of it can be bound to a plugin validator.
    function _isReservedSelector(bytes4 s) internal pure returns (bool) {
        return s == IAccountAdmin.initialize.selector || s == IAccountAdmin.setDefaultValidator.selector
            || s == IAccountAdmin.setExecution.selector || s == IAccountAdmin.setDisabledFlags.selector
            || s == IAccountAdmin.invalidateEnableNonce.selector || s == IAccountAdmin.setSignatureValidator.selector
            || s == IAccountAdmin.executeDelegateCall.selector || s == IAccountAdmin.upgradeToAndCall.selector
            || s == this.validateUserOp.selector || s == this.executeUserOp.selector;
    }

    /// @dev Calls `validator.validateUserOp(userOp, userOpHash, signatureOffset)` by forwarding this
    /// call's calldata with the selector and the last head word replaced: no re-encoding of the
    /// operation. A validator that reverts makes validation revert (AA23); one that returns nothing fails.
    function _callValidator(address validator, uint256 signatureOffset) private returns (uint256 validationData) {
        bytes4 selector = IValidator.validateUserOp.selector;
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            mstore(m, selector)
            calldatacopy(add(m, 0x04), 0x04, sub(calldatasize(), 0x04))
            mstore(add(m, 0x44), signatureOffset)
            if iszero(call(gas(), validator, 0, m, calldatasize(), 0x00, 0x20)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
            validationData := mload(0x00)
            if lt(returndatasize(), 0x20) { validationData := 1 }
        }
    }

    /// @dev Intersects ERC-4337 validation data with a window packed the same way (upper 96 bits).
    /// Aggregators are not supported: any non-zero low 160 bits is a failure.
    function _intersect(uint256 validationData, uint256 window) private pure returns (uint256) {
        if (uint160(validationData) != 0) return SIG_VALIDATION_FAILED;
        uint256 untilA = uint48(validationData >> 160);
        uint256 untilB = uint48(window >> 160);
        uint256 afterA = validationData >> 208;
        uint256 afterB = window >> 208;
        // validUntil 0 means "no expiry": as a number it must lose every min().
        unchecked {
            uint256 until_ = untilA - 1 < untilB - 1 ? untilA : untilB;
            return (until_ << 160) | ((afterA > afterB ? afterA : afterB) << 208);
        }
    }

    /// @dev The built-in root signer: `config`'s low 160 bits, or this account's own address when they
    /// are 0 (an EIP-7702 delegate: the EOA's key). tryRecover yields 0 for a malformed signature, which
    /// never equals the signer because the signer is never 0.
    function _rootSigner(uint256 config) private view returns (address signer) {
        signer = address(uint160(config));
        if (signer == address(0)) signer = address(this);
    }

    /// @dev Whether the root approves `digest`: the built-in signer signed it raw, or the external default
    /// validator says so.
    function _rootApproves(uint256 config, address sender, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool)
    {
        if (config & AccountStorage.ROOT_IS_VALIDATOR == 0) {
            return ECDSA.tryRecoverCalldata(digest, signature) == _rootSigner(config);
        }
        return _checkSignature(address(uint160(config)), sender, digest, signature);
    }

    /// @dev ERC-1271 through an external validator; one that reverts or answers anything else refuses.
    function _checkSignature(address validator, address sender, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool)
    {
        try IValidator(validator).isValidSignatureWithSender(sender, digest, signature) returns (bytes4 magic) {
            return magic == ERC1271_MAGIC;
        } catch {
            return false;
        }
    }

    // ---------------------------------------------------------------- execution

    function execute(address target, uint256 value, bytes calldata data) external payable onlyEntryPointOrSelf {
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            calldatacopy(m, data.offset, data.length)
            if iszero(call(gas(), target, value, m, data.length, codesize(), 0x00)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// @notice ERC-4337's IAccountExecute: the EntryPoint calls this instead of the account with the whole
    /// operation when `userOp.callData` starts with this selector. The validator that validated the
    /// operation (plugin: the one bound to the call's selector; sudo: an external root, none for the
    /// built-in one; enable: the one just bound) gets `onUserOpExecution` with its part of the signature
    /// first, then the call (`userOp.callData[4:]`) runs as a call of the account to itself, so the same
    /// `onlyEntryPointOrSelf` functions serve it; a revert of either bubbles up.
    function executeUserOp(PackedUserOperation calldata userOp, bytes32) external payable {
        if (msg.sender != _entryPoint) revert Unauthorized();
        bytes calldata sig = userOp.signature;
        bytes calldata call_ = userOp.callData[4:];
        address validator;
        uint256 offset = 4;
        uint256 mode = sig.length < 4 ? type(uint256).max : uint32(bytes4(sig[:4]));
        if (mode == MODE_PLUGIN) {
            validator = address(uint160(AccountStorage.layout().selectorValidator[bytes4(call_[:4])]));
        } else if (mode == MODE_SUDO) {
            validator = AccountStorage.layout().config.defaultValidator();
        } else if (mode == MODE_ENABLE) {
            validator = address(bytes20(sig[16:36]));
            (, offset) = _enableEnds(sig);
        }
        if (validator != address(0)) IValidator(validator).onUserOpExecution(sig[offset:]);
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            calldatacopy(m, call_.offset, call_.length)
            if iszero(call(gas(), address(), 0, m, call_.length, codesize(), 0x00)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    function executeBatch(IAccountAdmin.Call[] calldata calls) external payable onlyEntryPointOrSelf {
        for (uint256 i; i < calls.length; ++i) {
            IAccountAdmin.Call calldata c = calls[i];
            address target = c.target;
            uint256 value = c.value;
            bytes calldata data = c.data;
            /// @solidity memory-safe-assembly
            assembly {
                let m := mload(0x40)
                calldatacopy(m, data.offset, data.length)
                if iszero(call(gas(), target, value, m, data.length, codesize(), 0x00)) {
                    returndatacopy(m, 0x00, returndatasize())
                    revert(m, returndatasize())
                }
            }
        }
    }

    /// @notice Delegatecall from the account: sudo only (plugins cannot bind it) and can be switched off
    /// for good measure with `AccountStorage.DISABLE_DELEGATECALL`.
    function executeDelegateCall(address target, bytes calldata data)
        external
        payable
        onlyEntryPointOrSelf
        returns (bytes memory result)
    {
        if (AccountStorage.layout().config.disabledFlags() & AccountStorage.DISABLE_DELEGATECALL != 0) {
            revert DelegateCallDisabled();
        }
        bool ok;
        (ok, result) = target.delegatecall(data);
        if (!ok) {
            /// @solidity memory-safe-assembly
            assembly {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @dev Executors: the selector's executor runs in the account's context. A selector without one
    /// reverts; so does any caller other than the EntryPoint or the account.
    fallback() external payable {
        if (msg.sender != _entryPoint && msg.sender != address(this)) revert Unauthorized();
        address executor = AccountStorage.layout().selectorExecutor[msg.sig];
        if (executor == address(0)) revert NoExecutor(msg.sig);
        /// @solidity memory-safe-assembly
        assembly {
            calldatacopy(0x00, 0x00, calldatasize())
            let ok := delegatecall(gas(), executor, 0x00, calldatasize(), codesize(), 0x00)
            returndatacopy(0x00, 0x00, returndatasize())
            if iszero(ok) { revert(0x00, returndatasize()) }
            return(0x00, returndatasize())
        }
    }

    receive() external payable {}

    // ---------------------------------------------------------------- administration

    /// @notice Replaces the root: `validator` 0 and a 20-byte signer for the built-in ECDSA root, or an
    /// external default validator (which then alone can sign in sudo mode) and its install data.
    function setDefaultValidator(address validator, bytes calldata data) external onlyEntryPointOrSelf {
        AccountStorage.setRoot(validator, data);
        emit DefaultValidatorChanged(validator, validator == address(0) ? address(bytes20(data)) : address(0));
    }

    /// @notice Binds (or with both addresses zero, unbinds) `selector` to an executor and a validator.
    function setExecution(
        bytes4 selector,
        address executor,
        address validator,
        uint48 validAfter,
        uint48 validUntil,
        bytes calldata validatorData
    ) external onlyEntryPointOrSelf {
        if (_isReservedSelector(selector)) revert ReservedSelector(selector);
        if (validator == address(0) && executor == address(0)) {
            AccountStorage.Layout storage l = AccountStorage.layout();
            delete l.selectorValidator[selector];
            delete l.selectorExecutor[selector];
            emit ExecutionSet(selector, address(0), address(0), 0, 0);
            return;
        }
        if (validator == address(0)) revert InvalidValidator();
        _bind(selector, executor, validator, validAfter, validUntil, validatorData);
    }

    function _bind(
        bytes4 selector,
        address executor,
        address validator,
        uint48 validAfter,
        uint48 validUntil,
        bytes calldata validatorData
    ) private returns (uint256 entry) {
        AccountStorage.Layout storage l = AccountStorage.layout();
        entry = uint256(uint160(validator)) | (uint256(validUntil) << 160) | (uint256(validAfter) << 208);
        l.selectorValidator[selector] = entry;
        l.selectorExecutor[selector] = executor;
        IValidator(validator).onInstall(validatorData);
        emit ExecutionSet(selector, executor, validator, validAfter, validUntil);
    }

    /// @notice Disables signature modes (bit `1 << mode`) and/or delegatecall (bit 8). Bit 31 is reserved.
    function setDisabledFlags(uint32 flags) external onlyEntryPointOrSelf {
        if (flags & AccountStorage.RESERVED_FLAGS != 0) revert InvalidFlags();
        AccountStorage.Layout storage l = AccountStorage.layout();
        uint256 cleared = uint256(type(uint32).max & ~AccountStorage.RESERVED_FLAGS) << AccountStorage.FLAGS_SHIFT;
        l.config = (l.config & ~cleared) | (uint256(flags) << AccountStorage.FLAGS_SHIFT);
        emit DisabledFlagsSet(flags);
    }

    /// @notice Moves the enable nonce forward, voiding every enable approval signed for a lower one.
    function invalidateEnableNonce(uint64 newNonce) external onlyEntryPointOrSelf {
        AccountStorage.Layout storage l = AccountStorage.layout();
        uint256 config = l.config;
        if (newNonce <= config.enableNonce()) revert NonceNotIncreasing();
        l.config = uint256(uint192(config)) | (uint256(newNonce) << AccountStorage.NONCE_SHIFT);
        emit EnableNonceInvalidated(newNonce);
    }

    function setSignatureValidator(address validator, bool allowed) external onlyEntryPointOrSelf {
        AccountStorage.layout().signatureValidator[validator] = allowed;
        emit SignatureValidatorSet(validator, allowed);
    }

    function _authorizeUpgrade(address) internal view override onlyEntryPointOrSelf {}

    // ---------------------------------------------------------------- views

    /// @notice The implementation this account runs: the ERC-1967 slot once an upgrade wrote it, else the
    /// one an AccountProxy (or an EIP-7702 delegation) points at, which is this code.
    function implementation() external view returns (address impl) {
        /// @solidity memory-safe-assembly
        assembly {
            impl := sload(_ERC1967_IMPLEMENTATION_SLOT)
        }
        if (impl == address(0)) impl = _self;
    }

    /// @notice The external default validator, or 0 when the built-in ECDSA root is in use.
    function defaultValidator() external view returns (address) {
        return AccountStorage.layout().config.defaultValidator();
    }

    /// @notice The built-in ECDSA root signer (this account's own address on an EIP-7702 delegate that
    /// never chose one), or 0 when an external default validator is the root.
    function rootSigner() external view returns (address) {
        uint256 config = AccountStorage.layout().config;
        return config & AccountStorage.ROOT_IS_VALIDATOR == 0 ? _rootSigner(config) : address(0);
    }

    function disabledFlags() external view returns (uint32) {
        return AccountStorage.layout().config.disabledFlags();
    }

    function enableNonce() external view returns (uint64) {
        return AccountStorage.layout().config.enableNonce();
    }

    function executionOf(bytes4 selector)
        external
        view
        returns (address executor, address validator, uint48 validAfter, uint48 validUntil)
    {
        AccountStorage.Layout storage l = AccountStorage.layout();
        uint256 entry = l.selectorValidator[selector];
        return (l.selectorExecutor[selector], address(uint160(entry)), uint48(entry >> 208), uint48(entry >> 160));
    }

    // ---------------------------------------------------------------- ERC-1271, ERC-165, receivers

    /// @notice ERC-1271. The hash is wrapped in this account's EIP-712 domain (so a signature for one
    /// account never verifies for another account of the same owner). `signature[0]` picks the validator:
    /// 0x00 the root (built-in signer or default validator); 0x01 followed by a validator address allowed by
    /// setSignatureValidator.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length == 0) return ERC1271_INVALID;
        bytes32 digest = _hashTypedData(keccak256(abi.encode(MESSAGE_TYPEHASH, hash)));
        AccountStorage.Layout storage l = AccountStorage.layout();
        uint8 prefix = uint8(signature[0]);
        bool ok;
        if (prefix == 0) {
            ok = _rootApproves(l.config, msg.sender, digest, signature[1:]);
        } else if (prefix == 1 && signature.length >= 21) {
            address validator = address(bytes20(signature[1:21]));
            ok = validator != address(0) && l.signatureValidator[validator]
                && _checkSignature(validator, msg.sender, digest, signature[21:]);
        }
        return ok ? ERC1271_MAGIC : ERC1271_INVALID;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 // ERC-165
            || interfaceId == 0x1626ba7e // ERC-1271
            || interfaceId == 0x150b7a02 // ERC-721 receiver
            || interfaceId == 0x4e2312e0 // ERC-1155 receiver
            || interfaceId == 0x19822f7c; // ERC-4337 IAccount
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return 0x150b7a02;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return 0xf23a6e61;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return 0xbc197c81;
    }

    // ---------------------------------------------------------------- internals

    function _domainNameAndVersion() internal pure override returns (string memory, string memory) {
        return ("KrnlAccount", "1");
    }

    /// @dev Whether this account is an EOA delegating here (EIP-7702): its code is the 23-byte designator
    /// 0xef0100 || address. The copy is made only for 23-byte code, so a factory-made proxy (83 bytes)
    /// pays one EXTCODESIZE of itself (warm, 100).
    function _isDelegatedEOA() private view returns (bool result) {
        /// @solidity memory-safe-assembly
        assembly {
            if eq(extcodesize(address()), 23) {
                extcodecopy(address(), 0x00, 0x00, 0x20)
                result := eq(shr(232, mload(0x00)), 0xef0100)
            }
        }
    }
}
