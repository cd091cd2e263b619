#include "engine/attestation.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cstring>

#include "common/abi.hpp"
#include "common/keccak.hpp"
#include "common/secp256k1.hpp"

namespace krnl::engine {

namespace {

using Error = std::unexpected<std::string>;

const abi::Type& responses_type() {
    static const abi::Type t = *abi::parse_type("(uint256,bytes,string)[]");
    return t;
}

const std::vector<abi::Type>& fees_types() {
    static const std::vector<abi::Type> t = *abi::parse_types("uint256[],uint256[],uint256");
    return t;
}

const abi::Type& payload_type() {
    static const abi::Type t = *abi::parse_type(
        "(uint256,address,address,bytes4,bytes32,(uint256,bytes,string)[],uint256,uint64,uint256[],"
        "uint256[],uint256,bytes)");
    return t;
}

abi::Value responses_value(std::span<const KernelResponse> responses) {
    abi::ValueList list;
    list.reserve(responses.size());
    for (const KernelResponse& r : responses)
        list.push_back(
            abi::ValueList{abi::Value(r.kernel_id), abi::Value(r.result), abi::Value(r.err)});
    return abi::Value(std::move(list));
}

abi::Value uint_list(const std::vector<uint256>& values) {
    abi::ValueList list(values.begin(), values.end());
    return abi::Value(std::move(list));
}

hash256 keccak_text(std::string_view s) {
    return keccak256(as_bytes(s));
}

void append_word(bytes& out, const bytes32& word) {
    out.append(word.data(), 32);
}
void append_address(bytes& out, const address& a) {
    out.append(12, 0);
    out.append(a.data(), 20);
}
void append_uint(bytes& out, const uint256& v) {
    append_word(out, v.to_bytes32());
}

std::expected<std::vector<uint256>, std::string> uint_list_of(const abi::Value& v) {
    std::vector<uint256> out;
    for (const abi::Value& e : *v.as_list())
        out.push_back(*e.as_uint());
    return out;
}

}  // namespace

hash256 args_hash(bytes_view encoded_args) {
    return keccak256(encoded_args);
}

hash256 responses_hash(std::span<const KernelResponse> responses) {
    const abi::Value value = responses_value(responses);
    // The types and values are built here to match, so encoding cannot fail.
    return keccak256(*abi::encode(std::span(&responses_type(), 1), std::span(&value, 1)));
}

hash256 fees_hash(const Fees& fees) {
    const std::vector<abi::Value> values = {uint_list(fees.kernel_ids), uint_list(fees.kernel_fees),
                                            abi::Value(fees.node_fee)};
    return keccak256(*abi::encode(fees_types(), values));
}

hash256 domain_separator(const uint256& chain_id, const address& token_authority) {
    bytes enc;
    append_word(
        enc,
        keccak_text(
            "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
    append_word(enc, keccak_text("KRNL"));
    append_word(enc, keccak_text("1"));
    append_uint(enc, chain_id);
    append_address(enc, token_authority);
    return keccak256(enc);
}

hash256 struct_hash(const Attestation& a) {
    bytes enc;
    append_word(enc, keccak_text(kAttestationType));
    append_address(enc, a.app);
    append_address(enc, a.sender);
    bytes32 selector_word;  // bytesN is left-aligned in its word
    std::memcpy(selector_word.data(), a.selector.data(), 4);
    append_word(enc, selector_word);
    append_word(enc, a.args_hash);
    append_word(enc, responses_hash(a.responses));
    append_uint(enc, a.nonce);
    append_uint(enc, uint256(a.expiry));
    append_word(enc, fees_hash(a.fees));
    return keccak256(enc);
}

hash256 attestation_digest(const Attestation& a) {
    bytes enc{0x19, 0x01};
    append_word(enc, domain_separator(a.chain_id, a.token_authority));
    append_word(enc, struct_hash(a));
    return keccak256(enc);
}

std::expected<bytes, std::string> sign_digest(const hash256& digest, const bytes32& secret_key) {
    auto sig = secp256k1::sign(digest, secret_key);
    if (!sig) return Error("invalid signing key");
    bytes out(sig->r.view());
    out += sig->s.view();
    out.push_back(static_cast<uint8_t>(27 + sig->y_parity));
    return out;
}

std::expected<address, std::string> recover_signer(const hash256& digest, bytes_view signature) {
    if (signature.size() != 65)
        return Error("a signature is 65 bytes, not " + std::to_string(signature.size()));
    const bytes32 r = bytes32::from_view(signature.substr(0, 32));
    const bytes32 s = bytes32::from_view(signature.substr(32, 32));
    uint8_t v = signature[64];
    if (v == 27 || v == 28) v -= 27;
    if (v > 1) return Error("signature v must be 27 or 28");
    if (s > secp256k1::kHalfCurveOrder)
        return Error("signature s is not in the lower half of the curve order");
    auto signer = secp256k1::recover_address(digest, r, s, v);
    if (!signer) return Error("signature does not recover");
    return *signer;
}

std::expected<bytes, std::string> assemble_signatures(const hash256& digest,
                                                      std::span<const bytes> signatures) {
    auto bundle = bundle_signatures(digest, signatures);
    if (!bundle) return std::unexpected(bundle.error());
    return std::move(bundle->signatures);
}

std::expected<SignatureBundle, std::string> bundle_signatures(const hash256& digest,
                                                              std::span<const bytes> signatures) {
    std::vector<std::pair<address, bytes>> signed_by;
    for (size_t i = 0; i < signatures.size(); ++i) {
        auto signer = recover_signer(digest, signatures[i]);
        if (!signer) return Error("signature " + std::to_string(i) + ": " + signer.error());
        bytes normalised = signatures[i];
        if (normalised[64] < 27) normalised[64] += 27;
        signed_by.emplace_back(*signer, std::move(normalised));
    }
    std::sort(signed_by.begin(), signed_by.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    SignatureBundle out;
    for (size_t i = 0; i < signed_by.size(); ++i) {
        if (i > 0 && signed_by[i].first == signed_by[i - 1].first)
            return Error("two signatures from " + to_hex(signed_by[i].first));
        out.signatures += signed_by[i].second;
        out.signers.push_back(signed_by[i].first);
    }
    return out;
}

bytes encode_payload(const Attestation& a, bytes_view signatures) {
    const abi::Value payload(abi::ValueList{
        abi::Value(a.chain_id), abi::Value(a.app), abi::Value(a.sender),
        abi::Value(bytes(a.selector.view())), abi::Value(bytes(a.args_hash.view())),
        responses_value(a.responses), abi::Value(a.nonce), abi::Value(uint256(a.expiry)),
        uint_list(a.fees.kernel_ids), uint_list(a.fees.kernel_fees), abi::Value(a.fees.node_fee),
        abi::Value(bytes(signatures))});
    return *abi::encode(std::span(&payload_type(), 1), std::span(&payload, 1));
}

std::expected<DecodedPayload, std::string> decode_payload(bytes_view payload) {
    auto decoded = abi::decode(std::span(&payload_type(), 1), payload);
    if (!decoded) return Error("not a KrnlPayload: " + decoded.error());
    const abi::ValueList& f = *(*decoded)[0].as_list();
    DecodedPayload out;
    Attestation& a = out.attestation;
    a.chain_id = *f[0].as_uint();
    a.app = *f[1].as_address();
    a.sender = *f[2].as_address();
    a.selector = fixed_bytes<4>::from_view(*f[3].as_bytes());
    a.args_hash = bytes32::from_view(*f[4].as_bytes());
    for (const abi::Value& r : *f[5].as_list()) {
        const abi::ValueList& t = *r.as_list();
        a.responses.push_back(KernelResponse{*t[0].as_uint(), *t[1].as_bytes(), *t[2].as_string()});
    }
    a.nonce = *f[6].as_uint();
    a.expiry = f[7].as_uint()->low64();
    a.fees.kernel_ids = *uint_list_of(f[8]);
    a.fees.kernel_fees = *uint_list_of(f[9]);
    a.fees.node_fee = *f[10].as_uint();
    out.signatures = *f[11].as_bytes();
    return out;
}

uint256 random_nonce() {
    uint8_t buf[32];
    size_t filled = 0;
    while (filled < sizeof buf) {
        const ssize_t n = getrandom(buf + filled, sizeof buf - filled, 0);
        if (n > 0) filled += static_cast<size_t>(n);
    }
    return uint256::load_be(buf);
}

}  // namespace krnl::engine
