// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "solady/auth/Ownable.sol";
import {KernelResponse, KrnlPayload} from "./KrnlTypes.sol";
import {KrnlAttestation} from "./KrnlAttestation.sol";
import {KrnlVault} from "./KrnlVault.sol";
import {KrnlSignatures} from "./KrnlSignatures.sol";

/// One app's token authority: which node signers it trusts, how many of them must sign (k), which policy the
/// engine evaluates before signing, and the one-time consumption of attestations (docs/attestation.md).
///
/// Signatures are k or more 65-byte (r, s, v) ECDSA signatures over the EIP-712 digest, concatenated with
/// their signers in strictly ascending order (KrnlSignatures, shared with KrnlValidator).
contract TokenAuthority is Ownable {
    bytes4 internal constant ERC1271_MAGIC = 0x1626ba7e;
    bytes4 internal constant ERC1271_INVALID = 0xffffffff;

    // Errors of consumption, in the order they are checked.
    error NotApp(address caller);
    /// `block.timestamp` is past the payload's `expiry`.
    error Expired(uint64 expiry, uint256 timestamp);
    /// This nonce was consumed before (a replay).
    error NonceUsed(uint256 nonce);
    /// `responses`, `kernelIds` and `kernelFees` must list the same kernels in the same order.
    error ResponsesDoNotMatchFees();
    // Signature errors (KrnlSignatures): MalformedSignatures, NotEnoughSignatures, InvalidSignature,
    // UntrustedSigner, DuplicateOrUnsortedSigner.

    // Errors of administration.
    error AlreadySigner(address signer);
    error NotSigner(address signer);
    error BadThreshold(uint256 threshold, uint256 signers);

    event SignerAdded(address indexed signer);
    event SignerRemoved(address indexed signer);
    event ThresholdChanged(uint256 threshold);
    event PolicyChanged(address indexed policy);
    event AttestationConsumed(
        uint256 indexed nonce, address indexed sender, bytes4 selector, bytes32 digest, address[] signers, uint256 charged
    );

    address public immutable app;
    KrnlVault public immutable vault;
    address public policy;
    uint256 public threshold;

    address[] internal _signerList;
    mapping(address => uint256) internal _signerPosition; // 1-based index into _signerList; 0: not trusted
    mapping(uint256 nonce => bool) public nonceUsed;

    constructor(
        address app_,
        address owner_,
        KrnlVault vault_,
        address policy_,
        address[] memory signers_,
        uint256 threshold_
    ) {
        _initializeOwner(owner_);
        app = app_;
        vault = vault_;
        policy = policy_;
        emit PolicyChanged(policy_);
        for (uint256 i; i < signers_.length; ++i) {
            _addSigner(signers_[i]);
        }
        _setThreshold(threshold_);
    }

    // ---------------------------------------------------------------- administration

    function addSigner(address signer) external onlyOwner {
        _addSigner(signer);
    }

    function removeSigner(address signer) external onlyOwner {
        uint256 position = _signerPosition[signer];
        if (position == 0) revert NotSigner(signer);
        if (_signerList.length - 1 < threshold) revert BadThreshold(threshold, _signerList.length - 1);
        address last = _signerList[_signerList.length - 1];
        _signerList[position - 1] = last;
        _signerPosition[last] = position;
        _signerList.pop();
        delete _signerPosition[signer];
        emit SignerRemoved(signer);
    }

    function setThreshold(uint256 threshold_) external onlyOwner {
        _setThreshold(threshold_);
    }

    function setPolicy(address policy_) external onlyOwner {
        policy = policy_;
        emit PolicyChanged(policy_);
    }

    function signers() external view returns (address[] memory) {
        return _signerList;
    }

    function isSigner(address signer) external view returns (bool) {
        return _signerPosition[signer] != 0;
    }

    // The engine reads every authority (a TokenAuthority, or the KrnlValidator of an account) one way:
    // these take the app and answer 0 / 0 / false for an app this authority does not serve.

    function thresholdFor(address app_) external view returns (uint256) {
        return app_ == app ? threshold : 0;
    }

    function policyFor(address app_) external view returns (address) {
        return app_ == app ? policy : address(0);
    }

    function isSignerFor(address app_, address signer) external view returns (bool) {
        return app_ == app && _signerPosition[signer] != 0;
    }

    // ---------------------------------------------------------------- verification

    /// ERC-1271: the magic value only if `signatures` holds at least `threshold` valid signatures of `digest` by
    /// distinct trusted signers in ascending order.
    function isValidSignature(bytes32 digest, bytes calldata signatures) external view returns (bytes4) {
        (KrnlSignatures.Check result,,) = KrnlSignatures.check(digest, signatures, threshold, _isTrusted);
        return result == KrnlSignatures.Check.Ok ? ERC1271_MAGIC : ERC1271_INVALID;
    }

    /// Consumes one attestation for the app: checks expiry, nonce and signatures, marks the nonce used and
    /// settles the attested fees from the app's deposit. The app checked chain, app, sender, selector and
    /// arguments against its own call before calling (KrnlConsumer).
    function consume(KrnlPayload calldata p) external returns (address[] memory signers_) {
        if (msg.sender != app) revert NotApp(msg.sender);
        if (block.timestamp > p.expiry) revert Expired(p.expiry, block.timestamp);
        if (nonceUsed[p.nonce]) revert NonceUsed(p.nonce);

        uint256 n = p.responses.length;
        if (p.kernelIds.length != n || p.kernelFees.length != n) revert ResponsesDoNotMatchFees();
        for (uint256 i; i < n; ++i) {
            if (p.responses[i].kernelId != p.kernelIds[i]) revert ResponsesDoNotMatchFees();
        }

        bytes32 digest = KrnlAttestation.digest(
            KrnlAttestation.domainSeparator(block.chainid, address(this)),
            KrnlAttestation.structHash(
                app,
                p.sender,
                p.selector,
                p.argsHash,
                KrnlAttestation.responsesHashCalldata(p.responses),
                p.nonce,
                p.expiry,
                KrnlAttestation.feesHashCalldata(p.kernelIds, p.kernelFees, p.nodeFee)
            )
        );
        signers_ = KrnlSignatures.verify(digest, p.signatures, threshold, _isTrusted);

        nonceUsed[p.nonce] = true;
        uint256 charged = vault.settle(app, p.kernelIds, p.kernelFees, p.nodeFee, signers_);
        emit AttestationConsumed(p.nonce, p.sender, p.selector, digest, signers_, charged);
    }

    // ---------------------------------------------------------------- hashing (for the engine, tools and tests)

    /// The digest the nodes sign for this authority on this chain.
    function attestationDigest(
        address app_,
        address sender,
        bytes4 selector,
        bytes32 argsHash,
        bytes32 responsesHash,
        uint256 nonce,
        uint64 expiry,
        bytes32 feesHash
    ) external view returns (bytes32) {
        return KrnlAttestation.digest(
            KrnlAttestation.domainSeparator(block.chainid, address(this)),
            KrnlAttestation.structHash(app_, sender, selector, argsHash, responsesHash, nonce, expiry, feesHash)
        );
    }

    function domainSeparator() external view returns (bytes32) {
        return KrnlAttestation.domainSeparator(block.chainid, address(this));
    }

    /// The same digest for any chain and token authority address (test vectors).
    function digestFor(
        uint256 chainId,
        address tokenAuthority,
        address app_,
        address sender,
        bytes4 selector,
        bytes32 argsHash,
        bytes32 responsesHash,
        uint256 nonce,
        uint64 expiry,
        bytes32 feesHash
    ) external pure returns (bytes32 domain, bytes32 structHash, bytes32 digest) {
        domain = KrnlAttestation.domainSeparator(chainId, tokenAuthority);
        structHash = KrnlAttestation.structHash(app_, sender, selector, argsHash, responsesHash, nonce, expiry, feesHash);
        digest = KrnlAttestation.digest(domain, structHash);
    }

    function hashResponses(KernelResponse[] calldata responses) external pure returns (bytes32) {
        return KrnlAttestation.responsesHashCalldata(responses);
    }

    function hashFees(uint256[] calldata kernelIds, uint256[] calldata kernelFees, uint256 nodeFee)
        external
        pure
        returns (bytes32)
    {
        return KrnlAttestation.feesHashCalldata(kernelIds, kernelFees, nodeFee);
    }

    // ---------------------------------------------------------------- internals

    function _isTrusted(address signer) private view returns (bool) {
        return _signerPosition[signer] != 0;
    }

    function _addSigner(address signer) private {
        if (signer == address(0) || _signerPosition[signer] != 0) revert AlreadySigner(signer);
        _signerList.push(signer);
        _signerPosition[signer] = _signerList.length;
        emit SignerAdded(signer);
    }

    function _setThreshold(uint256 threshold_) private {
        if (threshold_ == 0 || threshold_ > _signerList.length) revert BadThreshold(threshold_, _signerList.length);
        threshold = threshold_;
        emit ThresholdChanged(threshold_);
    }
}
