// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";
import {IOwned} from "./interfaces/IOwned.sol";

/// The on-chain registry of KRNL: kernels (what runs, who owns it, what it costs), node operators (who signs,
/// where to reach them, what they staked) and apps (which token authority speaks for them, which kernels they may
/// use). It lives on the app's chain next to the vault, which reads kernel owners and fees from it when it settles.
///
/// Changes that would surprise an app take effect only after `noticePeriod`: a kernel's fee change and its
/// deactivation. Stake leaves only `unstakeDelay` after it was requested.
contract KernelRegistry {
    // ---------------------------------------------------------------- types

    /// Kinds the engine knows how to run. The registry stores the kind; the spec's format is the runner's.
    uint8 public constant KIND_EVM_READ = 0;
    uint8 public constant KIND_HTTP = 1;
    uint8 public constant KIND_EVM_COMPUTE = 2;
    uint8 public constant KIND_MAX = 2;

    /// Laid out so that settling reads two slots per kernel: (owner, fee) and (pending fee, times, kind).
    struct KernelRecord {
        address owner;
        uint96 fee;
        uint96 pendingFee;
        uint64 feeEffectiveAt; // 0: no pending change
        uint64 deactivateAt; // 0: never; otherwise inactive from this time on
        uint8 kind;
        bytes32 specHash;
        bytes spec;
    }

    /// What `kernel(id)` returns, with the notice periods already applied at the current block.
    struct Kernel {
        address owner;
        uint8 kind;
        bool active;
        uint256 fee;
        bytes32 specHash;
        bytes spec;
        uint256 pendingFee;
        uint64 feeEffectiveAt;
        uint64 deactivateAt;
    }

    struct Operator {
        address payout; // receives node fees and withdrawn stake; zero: not registered
        string endpoint;
        uint256 stake;
        uint256 unstaking;
        uint64 unstakeAt;
    }

    struct App {
        address tokenAuthority;
        uint256[] kernelIds;
    }

    // ---------------------------------------------------------------- errors

    error UnknownKernel(uint256 id);
    error UnknownKind(uint8 kind);
    error EmptySpec();
    error FeeTooLarge(uint256 fee);
    error NotKernelOwner(uint256 id, address caller);
    error ZeroOwner();
    error AlreadyDeactivating(uint256 id);
    error OperatorExists(address signer);
    error UnknownOperator(address signer);
    error ZeroPayout();
    error NothingToUnstake();
    error UnstakeTooLarge(uint256 requested, uint256 staked);
    error UnstakeNotReady(uint64 readyAt);
    /// Only the app itself (a smart account registers itself) or the address the app contract names as its
    /// `owner()` may register or change it.
    error NotAppOwner(address app, address caller);
    error AppExists(address app);
    error UnknownApp(address app);
    error ZeroTokenAuthority();
    /// The token authority serves another app: its `app()` is not this one, and it does not answer
    /// `servesApp(app)` with true (the KrnlValidator of an account answers that way).
    error AuthorityForOtherApp(address tokenAuthority, address app);
    /// Raised while settling: the app is not allowed to use this kernel.
    error KernelNotAllowed(address app, uint256 id);
    /// Raised while settling: the kernel's deactivation notice has run out.
    error KernelInactive(uint256 id);

    // ---------------------------------------------------------------- events

    /// Carries the full spec so any node can rebuild the registry from logs alone.
    event KernelRegistered(uint256 indexed id, address indexed owner, uint8 kind, bytes32 specHash, bytes spec, uint256 fee);
    event KernelFeeScheduled(uint256 indexed id, uint256 fee, uint64 effectiveAt);
    event KernelDeactivationScheduled(uint256 indexed id, uint64 inactiveAt);
    event KernelOwnerChanged(uint256 indexed id, address indexed owner);
    event OperatorRegistered(address indexed signer, address payout, string endpoint, uint256 stake);
    event OperatorUpdated(address indexed signer, address payout, string endpoint);
    event Staked(address indexed signer, uint256 amount, uint256 stake);
    event UnstakeRequested(address indexed signer, uint256 amount, uint64 readyAt);
    event StakeWithdrawn(address indexed signer, address to, uint256 amount);
    event AppRegistered(address indexed app, address indexed tokenAuthority, uint256[] kernelIds);
    event AppUpdated(address indexed app, address indexed tokenAuthority, uint256[] kernelIds);

    // ---------------------------------------------------------------- state

    uint64 public immutable noticePeriod;
    uint64 public immutable unstakeDelay;
    /// Below this stake an operator is listed but not `isStakedOperator`; apps choose whom they trust.
    uint256 public immutable minStake;

    uint256 public kernelCount;
    mapping(uint256 id => KernelRecord) internal _kernels;
    mapping(address signer => Operator) internal _operators;
    mapping(address app => App) internal _apps;
    mapping(address app => mapping(uint256 id => bool)) public isAllowed;

    constructor(uint64 noticePeriod_, uint64 unstakeDelay_, uint256 minStake_) {
        noticePeriod = noticePeriod_;
        unstakeDelay = unstakeDelay_;
        minStake = minStake_;
    }

    // ---------------------------------------------------------------- kernels

    function registerKernel(uint8 kind, bytes calldata spec, uint256 fee) external returns (uint256 id) {
        if (kind > KIND_MAX) revert UnknownKind(kind);
        if (spec.length == 0) revert EmptySpec();
        if (fee > type(uint96).max) revert FeeTooLarge(fee);
        id = ++kernelCount;
        bytes32 specHash = keccak256(spec);
        KernelRecord storage k = _kernels[id];
        k.owner = msg.sender;
        k.kind = kind;
        k.fee = uint96(fee);
        k.specHash = specHash;
        k.spec = spec;
        emit KernelRegistered(id, msg.sender, kind, specHash, spec, fee);
    }

    /// The new fee applies from `block.timestamp + noticePeriod`; a later call replaces a pending change.
    function setFee(uint256 id, uint256 fee) external {
        KernelRecord storage k = _ownedKernel(id);
        if (fee > type(uint96).max) revert FeeTooLarge(fee);
        _applyPendingFee(k);
        uint64 effectiveAt = uint64(block.timestamp) + noticePeriod;
        k.pendingFee = uint96(fee);
        k.feeEffectiveAt = effectiveAt;
        emit KernelFeeScheduled(id, fee, effectiveAt);
    }

    /// The kernel stays usable until `block.timestamp + noticePeriod`, then is inactive for good.
    function deactivate(uint256 id) external {
        KernelRecord storage k = _ownedKernel(id);
        if (k.deactivateAt != 0) revert AlreadyDeactivating(id);
        uint64 inactiveAt = uint64(block.timestamp) + noticePeriod;
        k.deactivateAt = inactiveAt;
        emit KernelDeactivationScheduled(id, inactiveAt);
    }

    function transferKernel(uint256 id, address newOwner) external {
        KernelRecord storage k = _ownedKernel(id);
        if (newOwner == address(0)) revert ZeroOwner();
        k.owner = newOwner;
        emit KernelOwnerChanged(id, newOwner);
    }

    function kernel(uint256 id) external view returns (Kernel memory out) {
        KernelRecord storage k = _kernels[id];
        if (k.owner == address(0)) revert UnknownKernel(id);
        out.owner = k.owner;
        out.kind = k.kind;
        out.active = _isActive(k);
        out.fee = _currentFee(k);
        out.specHash = k.specHash;
        out.spec = k.spec;
        if (k.feeEffectiveAt > block.timestamp) {
            out.pendingFee = k.pendingFee;
            out.feeEffectiveAt = k.feeEffectiveAt;
        }
        out.deactivateAt = k.deactivateAt;
    }

    function isActive(uint256 id) external view returns (bool) {
        KernelRecord storage k = _kernels[id];
        return k.owner != address(0) && _isActive(k);
    }

    function feeOf(uint256 id) external view returns (uint256) {
        return _currentFee(_kernels[id]);
    }

    // ---------------------------------------------------------------- node operators

    /// Called by the node's signer key itself, so nobody can claim another node's signatures (and its fees).
    function registerOperator(address payout, string calldata endpoint) external payable {
        if (payout == address(0)) revert ZeroPayout();
        Operator storage o = _operators[msg.sender];
        if (o.payout != address(0)) revert OperatorExists(msg.sender);
        o.payout = payout;
        o.endpoint = endpoint;
        o.stake = msg.value;
        emit OperatorRegistered(msg.sender, payout, endpoint, msg.value);
    }

    function updateOperator(address payout, string calldata endpoint) external {
        if (payout == address(0)) revert ZeroPayout();
        Operator storage o = _registeredOperator(msg.sender);
        o.payout = payout;
        o.endpoint = endpoint;
        emit OperatorUpdated(msg.sender, payout, endpoint);
    }

    function stake() external payable {
        Operator storage o = _registeredOperator(msg.sender);
        o.stake += msg.value;
        emit Staked(msg.sender, msg.value, o.stake);
    }

    /// Moves `amount` out of the active stake; it can be withdrawn `unstakeDelay` from now. A second request
    /// adds to the first and restarts the delay for all of it.
    function requestUnstake(uint256 amount) external {
        Operator storage o = _registeredOperator(msg.sender);
        if (amount == 0) revert NothingToUnstake();
        if (amount > o.stake) revert UnstakeTooLarge(amount, o.stake);
        o.stake -= amount;
        o.unstaking += amount;
        uint64 readyAt = uint64(block.timestamp) + unstakeDelay;
        o.unstakeAt = readyAt;
        emit UnstakeRequested(msg.sender, amount, readyAt);
    }

    /// Pays the matured unstake to the operator's payout address.
    function withdrawStake() external {
        Operator storage o = _registeredOperator(msg.sender);
        uint256 amount = o.unstaking;
        if (amount == 0) revert NothingToUnstake();
        if (block.timestamp < o.unstakeAt) revert UnstakeNotReady(o.unstakeAt);
        o.unstaking = 0;
        o.unstakeAt = 0;
        address to = o.payout;
        emit StakeWithdrawn(msg.sender, to, amount);
        SafeTransferLib.safeTransferETH(to, amount);
    }

    function operator(address signer) external view returns (Operator memory) {
        return _operators[signer];
    }

    function isStakedOperator(address signer) external view returns (bool) {
        Operator storage o = _operators[signer];
        return o.payout != address(0) && o.stake >= minStake;
    }

    /// Where a signer's share of node fees goes: its operator's payout, or the signer itself if unregistered.
    function payoutOf(address signer) public view returns (address) {
        address payout = _operators[signer].payout;
        return payout == address(0) ? signer : payout;
    }

    // ---------------------------------------------------------------- apps

    function registerApp(address app, address tokenAuthority, uint256[] calldata kernelIds) external {
        _requireAppOwner(app);
        App storage a = _apps[app];
        if (a.tokenAuthority != address(0)) revert AppExists(app);
        _setApp(a, app, tokenAuthority, kernelIds);
        emit AppRegistered(app, tokenAuthority, kernelIds);
    }

    /// Replaces the app's token authority and its whole list of allowed kernels.
    function updateApp(address app, address tokenAuthority, uint256[] calldata kernelIds) external {
        _requireAppOwner(app);
        App storage a = _apps[app];
        if (a.tokenAuthority == address(0)) revert UnknownApp(app);
        uint256[] storage old = a.kernelIds;
        for (uint256 i; i < old.length; ++i) {
            delete isAllowed[app][old[i]];
        }
        delete a.kernelIds;
        _setApp(a, app, tokenAuthority, kernelIds);
        emit AppUpdated(app, tokenAuthority, kernelIds);
    }

    function tokenAuthorityOf(address app) external view returns (address) {
        return _apps[app].tokenAuthority;
    }

    function appKernels(address app) external view returns (uint256[] memory) {
        return _apps[app].kernelIds;
    }

    // ---------------------------------------------------------------- settlement (read by the vault)

    /// Everything the vault needs to settle one attestation of `app`, in one call: the app's token authority, the
    /// owner and current fee of each kernel (reverting if one is not allowed for the app or no longer active) and
    /// the payout address of each signer.
    function settlementInfo(address app, uint256[] calldata kernelIds, address[] calldata signers)
        external
        view
        returns (address tokenAuthority, address[] memory owners, uint256[] memory fees, address[] memory payouts)
    {
        tokenAuthority = _apps[app].tokenAuthority;
        owners = new address[](kernelIds.length);
        fees = new uint256[](kernelIds.length);
        mapping(uint256 => bool) storage allowed = isAllowed[app];
        for (uint256 i; i < kernelIds.length; ++i) {
            uint256 id = kernelIds[i];
            if (!allowed[id]) revert KernelNotAllowed(app, id);
            KernelRecord storage k = _kernels[id];
            if (!_isActive(k)) revert KernelInactive(id);
            owners[i] = k.owner;
            fees[i] = _currentFee(k);
        }
        payouts = new address[](signers.length);
        for (uint256 i; i < signers.length; ++i) {
            payouts[i] = payoutOf(signers[i]);
        }
    }

    // ---------------------------------------------------------------- internals

    function _ownedKernel(uint256 id) private view returns (KernelRecord storage k) {
        k = _kernels[id];
        if (k.owner == address(0)) revert UnknownKernel(id);
        if (k.owner != msg.sender) revert NotKernelOwner(id, msg.sender);
    }

    function _registeredOperator(address signer) private view returns (Operator storage o) {
        o = _operators[signer];
        if (o.payout == address(0)) revert UnknownOperator(signer);
    }

    function _isActive(KernelRecord storage k) private view returns (bool) {
        uint64 at = k.deactivateAt;
        return at == 0 || block.timestamp < at;
    }

    function _currentFee(KernelRecord storage k) private view returns (uint256) {
        uint64 at = k.feeEffectiveAt;
        return at != 0 && block.timestamp >= at ? k.pendingFee : k.fee;
    }

    function _applyPendingFee(KernelRecord storage k) private {
        uint64 at = k.feeEffectiveAt;
        if (at != 0 && block.timestamp >= at) k.fee = k.pendingFee;
        k.feeEffectiveAt = 0;
        k.pendingFee = 0;
    }

    /// The caller must be the app contract itself (a smart account, or an EIP-7702 EOA, registering itself) or
    /// its `owner()`. A contract without `owner()` can only register itself; a plain EOA never is an app.
    function _requireAppOwner(address app) private view {
        address owner;
        if (app.code.length != 0) {
            if (msg.sender == app) return;
            try IOwned(app).owner() returns (address o) {
                owner = o;
            } catch {}
        }
        if (owner == address(0) || owner != msg.sender) revert NotAppOwner(app, msg.sender);
    }

    function _servesApp(address tokenAuthority, address app) private view returns (bool serves) {
        try IMultiAppAuthority(tokenAuthority).servesApp(app) returns (bool s) {
            serves = s;
        } catch {}
    }

    function _setApp(App storage a, address app, address tokenAuthority, uint256[] calldata kernelIds) private {
        if (tokenAuthority == address(0)) revert ZeroTokenAuthority();
        address served;
        try ITokenAuthorityApp(tokenAuthority).app() returns (address s) {
            served = s;
        } catch {}
        if (served != app && !_servesApp(tokenAuthority, app)) revert AuthorityForOtherApp(tokenAuthority, app);
        a.tokenAuthority = tokenAuthority;
        mapping(uint256 => bool) storage allowed = isAllowed[app];
        for (uint256 i; i < kernelIds.length; ++i) {
            uint256 id = kernelIds[i];
            if (_kernels[id].owner == address(0)) revert UnknownKernel(id);
            if (!allowed[id]) {
                allowed[id] = true;
                a.kernelIds.push(id);
            }
        }
    }
}

interface ITokenAuthorityApp {
    function app() external view returns (address);
}

/// An authority serving many apps (KrnlValidator: one configuration per account).
interface IMultiAppAuthority {
    function servesApp(address app) external view returns (bool);
}
