// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "solady/auth/Ownable.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {KernelResponse, KrnlPayload} from "./KrnlTypes.sol";
import {KrnlAttestation} from "./KrnlAttestation.sol";
import {KrnlVault} from "./KrnlVault.sol";

/// One app's token authority: which node signers it trusts, how many of them must sign (k), which policy the
/// engine evaluates before signing, and the one-time consumption of attestations (docs/attestation.md).
///
/// Signatures are k or more 65-byte (r, s, v) ECDSA signatures over the EIP-712 digest, concatenated with
/// their signers in strictly ascending order, which makes "k distinct signers" a single comparison per signature.
contract TokenAuthority is Ownable {
    bytes4 internal constant ERC1271_MAGIC = 0x1626ba7e;
    bytes4 internal constant ERC1271_INVALID = 0xffffffff;
    /// secp256k1 n / 2: signatures with a larger s are the malleated twin of a valid one and are refused.
    uint256 internal constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    // Errors of consumption, in the order they are checked.
    error NotApp(address caller);
    /// `block.timestamp` is past the payload's `expiry`.
    error Expired(uint64 expiry, uint256 timestamp);
    /// This nonce was consumed before (a replay).
    error NonceUsed(uint256 nonce);
    /// `responses`, `kernelIds` and `kernelFees` must list the same kernels in the same order.
    error ResponsesDoNotMatchFees();
    /// `signatures` is not a whole number of 65-byte signatures.
    error MalformedSignatures(uint256 length);
    /// Fewer signatures than the threshold.
    error NotEnoughSignatures(uint256 given, uint256 threshold);
    /// Signature `index` is unusable: high s, v not 27/28, or no key recovers.
    error InvalidSignature(uint256 index);
    /// The signature recovers to a key this authority does not trust. This is also what a signature over other
    /// data gives (another chain, tampered responses, fees or arguments): it recovers to some unrelated key.
    error UntrustedSigner(address signer);
    /// A trusted signer appears twice, or the signers are not in ascending order.
    error DuplicateOrUnsortedSigner(address signer);

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

    // ---------------------------------------------------------------- verification

    /// ERC-1271: the magic value only if `signatures` holds at least `threshold` valid signatures of `digest` by
    /// distinct trusted signers in ascending order.
    function isValidSignature(bytes32 digest, bytes calldata signatures) external view returns (bytes4) {
        (Check result,,) = _verify(digest, signatures);
        return result == Check.Ok ? ERC1271_MAGIC : ERC1271_INVALID;
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
        Check result;
        uint256 index;
        (result, signers_, index) = _verify(digest, p.signatures);
        if (result != Check.Ok) _revertFor(result, signers_, index, p.signatures.length);

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

    enum Check {
        Ok,
        Malformed,
        TooFew,
        Invalid,
        Untrusted,
        Unsorted
    }

    /// Recovers every signature. On failure `index` is the offending signature and, for Untrusted/Unsorted,
    /// `signers_[index]` its signer.
    function _verify(bytes32 digest, bytes calldata signatures)
        internal
        view
        returns (Check result, address[] memory signers_, uint256 index)
    {
        if (signatures.length % 65 != 0) return (Check.Malformed, signers_, 0);
        uint256 count = signatures.length / 65;
        if (count < threshold || count == 0) return (Check.TooFew, signers_, 0);
        signers_ = new address[](count);
        address previous;
        for (uint256 i; i < count; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let at := add(signatures.offset, mul(i, 65))
                r := calldataload(at)
                s := calldataload(add(at, 0x20))
                v := byte(0, calldataload(add(at, 0x40)))
            }
            if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) return (Check.Invalid, signers_, i);
            address signer = ECDSA.tryRecover(digest, v, r, s);
            if (signer == address(0)) return (Check.Invalid, signers_, i);
            signers_[i] = signer;
            if (_signerPosition[signer] == 0) return (Check.Untrusted, signers_, i);
            if (signer <= previous) return (Check.Unsorted, signers_, i);
            previous = signer;
        }
        return (Check.Ok, signers_, 0);
    }

    function _revertFor(Check result, address[] memory signers_, uint256 index, uint256 length) private view {
        if (result == Check.Malformed) revert MalformedSignatures(length);
        if (result == Check.TooFew) revert NotEnoughSignatures(length / 65, threshold);
        if (result == Check.Invalid) revert InvalidSignature(index);
        if (result == Check.Untrusted) revert UntrustedSigner(signers_[index]);
        revert DuplicateOrUnsortedSigner(signers_[index]);
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
