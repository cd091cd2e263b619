// The attestation (Proof of Provenance), exactly as docs/attestation.md defines it: the EIP-712
// digest the node signs, the k-of-n signature bundle, and the KrnlPayload a dApp passes on-chain.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/uint256.hpp"

namespace krnl::engine {

struct KernelResponse {
    uint256 kernel_id;
    bytes result;     // ABI encoding of the kernel's outputs
    std::string err;  // empty on success
    friend bool operator==(const KernelResponse&, const KernelResponse&) = default;
};

struct Fees {
    std::vector<uint256> kernel_ids;
    std::vector<uint256> kernel_fees;  // wei, to the owner of kernel_ids[i]
    uint256 node_fee;                  // wei, split between the accepted signers
    friend bool operator==(const Fees&, const Fees&) = default;
};

// Everything the digest and the payload carry except the signatures.
struct Attestation {
    uint256 chain_id;
    address token_authority;  // the EIP-712 verifying contract
    address app;
    address sender;
    fixed_bytes<4> selector;
    hash256 args_hash;
    std::vector<KernelResponse> responses;
    uint256 nonce;
    uint64_t expiry = 0;  // unix seconds, valid while block.timestamp <= expiry
    Fees fees;
    friend bool operator==(const Attestation&, const Attestation&) = default;
};

inline constexpr std::string_view kAttestationType =
    "KernelAttestation(address app,address sender,bytes4 selector,bytes32 argsHash,"
    "bytes32 responsesHash,uint256 nonce,uint64 expiry,bytes32 feesHash)";

// keccak256(abi.encode(args...)): pass the encoded arguments of the call being authorised.
hash256 args_hash(bytes_view encoded_args);
// keccak256(abi.encode(KernelResponse[])).
hash256 responses_hash(std::span<const KernelResponse> responses);
// keccak256(abi.encode(uint256[] kernelIds, uint256[] kernelFees, uint256 nodeFee)).
hash256 fees_hash(const Fees& fees);
// The domain {name "KRNL", version "1", chainId, verifyingContract tokenAuthority}.
hash256 domain_separator(const uint256& chain_id, const address& token_authority);
hash256 struct_hash(const Attestation& a);
// keccak256(0x1901 ‖ domainSeparator ‖ structHash): what the signers sign.
hash256 attestation_digest(const Attestation& a);

// A 65-byte signature r ‖ s ‖ v (v = 27 or 28, low s) over `digest`; an error for an invalid key.
std::expected<bytes, std::string> sign_digest(const hash256& digest, const bytes32& secret_key);

// The signer of a 65-byte signature (v 27/28 or 0/1, low s), or an error.
std::expected<address, std::string> recover_signer(const hash256& digest, bytes_view signature);

// The signature bundle of the payload: every signature recovered against `digest`, ordered by
// signer address ascending, concatenated. Errors for a malformed signature or two signatures
// from the same signer.
std::expected<bytes, std::string> assemble_signatures(const hash256& digest,
                                                      std::span<const bytes> signatures);
// The same bundle with its signers (ascending), each recovered once.
struct SignatureBundle {
    bytes signatures;
    std::vector<address> signers;
};
std::expected<SignatureBundle, std::string> bundle_signatures(const hash256& digest,
                                                              std::span<const bytes> signatures);

// abi.encode(KrnlPayload) with the given signature bundle.
bytes encode_payload(const Attestation& a, bytes_view signatures);

struct DecodedPayload {
    Attestation attestation;  // token_authority is not in the payload and stays zero
    bytes signatures;
};
std::expected<DecodedPayload, std::string> decode_payload(bytes_view payload);

// A fresh random 256-bit nonce (from the system's CSPRNG).
uint256 random_nonce();

}  // namespace krnl::engine
