#include "engine/attestation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/keccak.hpp"
#include "common/secp256k1.hpp"

namespace krnl::engine {
namespace {

using json = nlohmann::json;

// contracts/test/vectors/attestation.json, written by the Solidity side (TokenAuthority on a node).
std::filesystem::path vectors_path() {
    // Named from the source tree, not __FILE__ (a compiler cache may make that relative).
    return std::filesystem::path(KRNL_SOURCE_DIR) / "contracts" / "test" / "vectors" /
           "attestation.json";
}

uint256 u(const json& v) {
    return *parse_uint256(v.get<std::string>());
}
hash256 h(const json& v) {
    return *fixed_from_hex<32>(v.get<std::string>());
}
address a(const json& v) {
    return *fixed_from_hex<20>(v.get<std::string>());
}
std::string lowercase_hex(const json& v) {
    std::string s = v.get<std::string>();
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Attestation from_inputs(const json& in) {
    Attestation at;
    at.chain_id = u(in["chainId"]);
    at.token_authority = a(in["tokenAuthority"]);
    at.app = a(in["app"]);
    at.sender = a(in["sender"]);
    at.selector = *fixed_from_hex<4>(in["selector"].get<std::string>());
    at.args_hash = args_hash(*from_hex(in["args"].get<std::string>()));
    for (const json& r : in["responses"])
        at.responses.push_back(
            {u(r["kernelId"]), *from_hex(r["result"].get<std::string>()), r["err"]});
    at.nonce = u(in["nonce"]);
    at.expiry = u(in["expiry"]).low64();
    for (const json& id : in["kernelIds"])
        at.fees.kernel_ids.push_back(u(id));
    for (const json& fee : in["kernelFees"])
        at.fees.kernel_fees.push_back(u(fee));
    at.fees.node_fee = u(in["nodeFee"]);
    return at;
}

TEST(AttestationVectors, MatchTheSoliditySide) {
    std::ifstream file(vectors_path());
    ASSERT_TRUE(file.good()) << "vectors missing: " << vectors_path();
    const json doc = json::parse(file);
    EXPECT_EQ(doc["typeString"], std::string(kAttestationType));
    ASSERT_GE(doc["vectors"].size(), 1u) << "vectors missing: the file holds none";
    for (const json& v : doc["vectors"]) {
        SCOPED_TRACE(v["name"].get<std::string>());
        const Attestation at = from_inputs(v["inputs"]);
        const json& out = v["outputs"];
        EXPECT_EQ(at.args_hash, h(out["argsHash"]));
        EXPECT_EQ(responses_hash(at.responses), h(out["responsesHash"]));
        EXPECT_EQ(fees_hash(at.fees), h(out["feesHash"]));
        EXPECT_EQ(domain_separator(at.chain_id, at.token_authority), h(out["domainSeparator"]));
        EXPECT_EQ(struct_hash(at), h(out["structHash"]));
        EXPECT_EQ(attestation_digest(at), h(out["digest"]));
        if (v.contains("signature")) {
            const json& sig = v["signature"];
            const bytes32 key = *fixed_from_hex<32>(sig["privateKey"].get<std::string>());
            auto signature = sign_digest(attestation_digest(at), key);
            ASSERT_TRUE(signature);
            EXPECT_EQ(to_hex(*signature), lowercase_hex(sig["signature"]));
            auto signer = recover_signer(attestation_digest(at), *signature);
            ASSERT_TRUE(signer);
            EXPECT_EQ(*signer, a(sig["signer"]));
        }
    }
}

bytes32 key(uint8_t last) {
    bytes32 k;
    k[31] = last;
    return k;
}

Attestation sample() {
    Attestation at;
    at.chain_id = 31337;
    at.token_authority = *fixed_from_hex<20>("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    at.app = *fixed_from_hex<20>("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
    at.sender = *fixed_from_hex<20>("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    at.selector = fixed_bytes<4>{{0x4a, 0xa8, 0xb6, 0x69}};
    at.args_hash = keccak256(bytes{1, 2, 3});
    at.responses = {{1, bytes(32, 0) + bytes{}, ""}, {2, {}, "timed out"}};
    at.responses[0].result[31] = 1;
    at.nonce = random_nonce();
    at.expiry = 1767225600;
    at.fees = {{1, 2}, {1000, 2000}, 3000};
    return at;
}

TEST(Attestation, SignaturesRecoverToTheSigner) {
    const hash256 digest = attestation_digest(sample());
    auto sig = sign_digest(digest, key(7));
    ASSERT_TRUE(sig);
    ASSERT_EQ(sig->size(), 65u);
    EXPECT_TRUE((*sig)[64] == 27 || (*sig)[64] == 28);
    EXPECT_EQ(*recover_signer(digest, *sig), *secp256k1::address_from_secret(key(7)));

    EXPECT_FALSE(sign_digest(digest, bytes32{}));  // the zero key is invalid
    bytes bad_v = *sig;
    bad_v[64] = 29;
    EXPECT_FALSE(recover_signer(digest, bad_v));
    EXPECT_FALSE(recover_signer(digest, bytes(64, 1)));
    // A different digest recovers someone else.
    hash256 other = digest;
    other[0] ^= 1;
    auto someone = recover_signer(other, *sig);
    ASSERT_TRUE(someone);
    EXPECT_NE(*someone, *secp256k1::address_from_secret(key(7)));
}

TEST(Attestation, HighSIsRefused) {
    const hash256 digest = attestation_digest(sample());
    bytes sig = *sign_digest(digest, key(9));
    // s' = n - s is the malleable twin of a valid signature.
    const uint256 n = uint256::from_bytes32(secp256k1::kCurveOrder);
    const uint256 s = uint256::load_be(sig.data() + 32);
    (n - s).store_be(sig.data() + 32);
    sig[64] = sig[64] == 27 ? 28 : 27;
    auto r = recover_signer(digest, sig);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("lower half"), std::string::npos);
}

TEST(Attestation, AssemblesSignaturesInSignerOrder) {
    const hash256 digest = attestation_digest(sample());
    std::vector<std::pair<address, bytes>> signed_by;
    std::vector<bytes> sigs;
    for (uint8_t k : {3, 1, 4, 5, 9}) {
        sigs.push_back(*sign_digest(digest, key(k)));
        signed_by.emplace_back(*secp256k1::address_from_secret(key(k)), sigs.back());
    }
    auto bundle = assemble_signatures(digest, sigs);
    ASSERT_TRUE(bundle) << bundle.error();
    ASSERT_EQ(bundle->size(), 65u * sigs.size());
    std::sort(signed_by.begin(), signed_by.end());
    for (size_t i = 0; i < signed_by.size(); ++i) {
        const bytes piece = bundle->substr(65 * i, 65);
        EXPECT_EQ(piece, signed_by[i].second);
        EXPECT_EQ(*recover_signer(digest, piece), signed_by[i].first);
        if (i > 0) EXPECT_LT(signed_by[i - 1].first, signed_by[i].first);
    }

    // v = 0/1 is accepted and normalised to 27/28.
    bytes raw_v = sigs[0];
    raw_v[64] -= 27;
    auto normalised = assemble_signatures(digest, std::vector<bytes>{raw_v});
    ASSERT_TRUE(normalised);
    EXPECT_EQ(*normalised, sigs[0]);

    auto dup = assemble_signatures(digest, std::vector<bytes>{sigs[0], sigs[1], sigs[0]});
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().find("two signatures from"), std::string::npos);
    auto short_sig = assemble_signatures(digest, std::vector<bytes>{bytes(10, 0)});
    ASSERT_FALSE(short_sig);
    EXPECT_NE(short_sig.error().find("signature 0"), std::string::npos);
}

TEST(Attestation, PayloadRoundTrips) {
    Attestation at = sample();
    const hash256 digest = attestation_digest(at);
    const bytes sigs = *assemble_signatures(
        digest, std::vector<bytes>{*sign_digest(digest, key(1)), *sign_digest(digest, key(2))});
    const bytes payload = encode_payload(at, sigs);
    // abi.encode of one dynamic struct: a head with the offset 0x20.
    ASSERT_GE(payload.size(), 64u);
    EXPECT_EQ(uint256::load_be(payload.data()), uint256(32));
    EXPECT_EQ(uint256::load_be(payload.data() + 32), at.chain_id);
    EXPECT_EQ(payload.size() % 32, 0u);

    auto decoded = decode_payload(payload);
    ASSERT_TRUE(decoded) << decoded.error();
    Attestation back = decoded->attestation;
    EXPECT_TRUE(back.token_authority.is_zero());
    back.token_authority = at.token_authority;
    EXPECT_EQ(back, at);
    EXPECT_EQ(decoded->signatures, sigs);
    EXPECT_EQ(attestation_digest(back), digest);

    EXPECT_FALSE(decode_payload(payload.substr(0, payload.size() - 40)));
    EXPECT_FALSE(decode_payload(bytes{}));
}

TEST(Attestation, EveryFieldChangesTheDigest) {
    const Attestation base = sample();
    const hash256 d = attestation_digest(base);
    std::vector<Attestation> variants(10, base);
    variants[0].chain_id = 1;
    variants[1].token_authority[0] ^= 1;
    variants[2].app[0] ^= 1;
    variants[3].sender[0] ^= 1;
    variants[4].selector[0] ^= 1;
    variants[5].args_hash[0] ^= 1;
    variants[6].responses[1].err = "other";
    variants[7].nonce = base.nonce + uint256(1);
    variants[8].expiry += 1;
    variants[9].fees.node_fee = 3001;
    for (size_t i = 0; i < variants.size(); ++i)
        EXPECT_NE(attestation_digest(variants[i]), d) << i;
}

TEST(Attestation, NoncesAreFresh) {
    EXPECT_NE(random_nonce(), random_nonce());
}

}  // namespace
}  // namespace krnl::engine
