#include "engine/peer_protocol.hpp"

#include <gtest/gtest.h>

#include "common/eip712.hpp"
#include "common/secp256k1.hpp"
#include "rpc/params.hpp"

namespace krnl::engine {
namespace {

bytes32 key(uint8_t last) {
    bytes32 k;
    k[31] = last;
    return k;
}
address addr(uint8_t last) {
    address a;
    a[19] = last;
    return a;
}
hash256 h(uint8_t fill) {
    return hash256::from_view(bytes(32, fill));
}

CosignRequest sample() {
    CosignRequest r;
    r.request.app = addr(0xb1);
    r.request.chain_id = 31337;
    r.request.sender = addr(0xc1);
    r.request.function = "trade(uint256,uint256,bytes)";
    r.request.args = bytes(64, 0x01);
    r.request.kernels = {{uint256(1), {json("$sender")}, false},
                         {uint256(2), {json("$args[0]"), json("$kernel:0[0]")}, true}};
    r.responses = {{uint256(1), bytes(32, 0x07), ""}, {uint256(2), {}, "timed out"}};
    r.nonce = uint256(0x1234);
    r.expiry = 1'700'000'300;
    r.node_fee = uint256(3500);
    r.pins = {{31337, Pin{40, h(0x40)}}, {31338, Pin{12, h(0x12)}}};
    r.timestamp = 1'700'000'000;
    return r;
}

TEST(CosignRequest, SignedByTheRequesterAndRecovered) {
    CosignRequest r = sample();
    EXPECT_FALSE(cosign_requester(r));  // unsigned
    ASSERT_TRUE(sign_cosign_request(r, key(7)));
    const address signer = *secp256k1::address_from_secret(key(7));
    auto recovered = cosign_requester(r);
    ASSERT_TRUE(recovered) << recovered.error();
    EXPECT_EQ(*recovered, signer);

    // The params round-trip, signature included.
    auto parsed = cosign_request_from_params(cosign_params(r));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->pins, r.pins);
    EXPECT_EQ(parsed->timestamp, r.timestamp);
    EXPECT_EQ(*cosign_requester(*parsed), signer);
}

TEST(CosignRequest, EveryFieldIsCoveredByTheSignature) {
    CosignRequest base = sample();
    ASSERT_TRUE(sign_cosign_request(base, key(7)));
    const address signer = *cosign_requester(base);
    const std::vector<std::pair<const char*, void (*)(CosignRequest&)>> tamper = {
        {"app", [](CosignRequest& r) { r.request.app = addr(0xb2); }},
        {"chainId", [](CosignRequest& r) { r.request.chain_id = 1; }},
        {"sender", [](CosignRequest& r) { r.request.sender = addr(0xc2); }},
        {"function", [](CosignRequest& r) { r.request.function = "trade(uint256,bytes)"; }},
        {"args", [](CosignRequest& r) { r.request.args[0] = 0x02; }},
        {"kernel id", [](CosignRequest& r) { r.request.kernels[0].id = uint256(9); }},
        {"kernel input", [](CosignRequest& r) { r.request.kernels[1].inputs[0] = "$app"; }},
        {"required", [](CosignRequest& r) { r.request.kernels[0].required = true; }},
        {"response", [](CosignRequest& r) { r.responses[0].result[0] = 0x08; }},
        {"response err", [](CosignRequest& r) { r.responses[1].err = ""; }},
        {"nonce", [](CosignRequest& r) { r.nonce = uint256(0x1235); }},
        {"expiry", [](CosignRequest& r) { r.expiry += 1; }},
        {"nodeFee", [](CosignRequest& r) { r.node_fee = uint256(3501); }},
        {"pin number", [](CosignRequest& r) { r.pins[31337].number = 39; }},
        {"pin hash", [](CosignRequest& r) { r.pins[31338].hash = h(0x13); }},
        {"pin added",
         [](CosignRequest& r) {
             r.pins[1] = Pin{5, h(5)};
         }},
        {"timestamp", [](CosignRequest& r) { r.timestamp += 1; }},
    };
    for (const auto& [what, change] : tamper) {
        CosignRequest r = base;
        change(r);
        auto recovered = cosign_requester(r);
        // A changed field recovers to some other address (or to none): never the requester.
        EXPECT_TRUE(!recovered || *recovered != signer) << what;
    }
    CosignRequest r = base;
    r.signature[5] ^= 1;
    auto recovered = cosign_requester(r);
    EXPECT_TRUE(!recovered || *recovered != signer);
}

TEST(CosignRequest, TypedDataIsWhatWalletsSign) {
    // The digest is eth_signTypedData_v4's over cosign_typed_data, so any EIP-712 signer
    // (viem's signTypedData in tests/quorum) produces the same signature.
    CosignRequest r = sample();
    auto typed = cosign_typed_data(r);
    ASSERT_TRUE(typed);
    EXPECT_EQ((*typed)["primaryType"], "CosignRequest");
    EXPECT_EQ((*typed)["domain"]["name"], "KRNL co-sign");
    EXPECT_EQ(*eip712::typed_data_digest(*typed), *cosign_request_digest(r));
    r.request.kernels[0].inputs = {json(5)};
    EXPECT_FALSE(cosign_typed_data(r));  // inputs are reference strings
}

TEST(CosignRequest, UnsignedOrMalformedParamsAreRefused) {
    CosignRequest r = sample();
    ASSERT_TRUE(sign_cosign_request(r, key(7)));
    json params = cosign_params(r);

    json unsigned_params = params;
    unsigned_params.erase(5);
    auto refused = cosign_request_from_params(unsigned_params);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, krnl_code::kRequesterNotTrusted);
    json no_signature = params;
    no_signature[5].erase("signature");
    EXPECT_EQ(cosign_request_from_params(no_signature).error().code,
              krnl_code::kRequesterNotTrusted);
    json short_signature = params;
    short_signature[5]["signature"] = "0x1234";
    EXPECT_EQ(cosign_request_from_params(short_signature).error().code,
              krnl_code::kRequesterNotTrusted);
    // The blocks are the signed pins, never the request's own field.
    json blocks = params;
    blocks[0]["blocks"] = {{"31337", "0x1"}};
    EXPECT_EQ(cosign_request_from_params(blocks).error().code, krnl_code::kBadRequest);
    json no_home_pin = params;
    no_home_pin[5]["pins"].erase("31337");
    EXPECT_EQ(cosign_request_from_params(no_home_pin).error().code, krnl_code::kBadRequest);
}

TEST(PinWindow, OnlyRecentBlocksOfThePeersOwnChain) {
    const PinWindow window{8, 120, 60};
    const BlockRef head{100, 10'000, {}, h(100)};
    const auto block = [](uint64_t n, uint64_t ts) { return BlockRef{n, ts, {}, h(n)}; };
    EXPECT_FALSE(pin_outside_window(1, Pin{100, h(100)}, head, block(100, 10'000), window));
    EXPECT_FALSE(pin_outside_window(1, Pin{92, h(92)}, head, block(92, 9'900), window));
    // Too many blocks behind.
    auto old = pin_outside_window(1, Pin{91, h(91)}, head, block(91, 9'990), window);
    ASSERT_TRUE(old);
    EXPECT_NE(old->find("9 blocks behind"), std::string::npos) << *old;
    // Ahead of the head.
    EXPECT_TRUE(pin_outside_window(1, Pin{101, h(101)}, head, block(101, 10'000), window));
    // Another fork: the number is recent but the block is not this chain's.
    auto fork = pin_outside_window(1, Pin{99, h(0xee)}, head, block(99, 9'990), window);
    ASSERT_TRUE(fork);
    EXPECT_NE(fork->find("another fork"), std::string::npos) << *fork;
    // Too old in chain time, though few blocks behind (a slow chain).
    auto stale = pin_outside_window(1, Pin{98, h(98)}, head, block(98, 9'000), window);
    ASSERT_TRUE(stale);
    EXPECT_NE(stale->find("1000 s older"), std::string::npos) << *stale;

    EXPECT_FALSE(timestamp_outside_window(1000, 1000, window));
    EXPECT_FALSE(timestamp_outside_window(940, 1000, window));
    EXPECT_FALSE(timestamp_outside_window(1060, 1000, window));
    EXPECT_TRUE(timestamp_outside_window(939, 1000, window));
    EXPECT_TRUE(timestamp_outside_window(1061, 1000, window));
}

TEST(NonceSet, OneSignaturePerAuthorityAndNonceWhileUnexpired) {
    NonceSet set(3);
    const address a = addr(1), b = addr(2);
    EXPECT_EQ(set.claim(a, uint256(1), 200, 100), NonceSet::Claim::Claimed);
    EXPECT_EQ(set.claim(a, uint256(1), 300, 100), NonceSet::Claim::Replayed);
    EXPECT_EQ(set.claim(b, uint256(1), 200, 100), NonceSet::Claim::Claimed);  // another authority
    EXPECT_EQ(set.claim(a, uint256(2), 150, 100), NonceSet::Claim::Claimed);
    // Full of unexpired entries: refused rather than grown or forgotten.
    EXPECT_EQ(set.claim(a, uint256(3), 200, 100), NonceSet::Claim::Full);
    EXPECT_EQ(set.size(), 3u);
    EXPECT_EQ(set.claim(a, uint256(1), 300, 120), NonceSet::Claim::Replayed);
    // Once (a, 2) expired (150 < 160) it is dropped, which makes room.
    EXPECT_EQ(set.claim(a, uint256(3), 200, 160), NonceSet::Claim::Claimed);
    EXPECT_EQ(set.size(), 3u);
    // A claim given back (nothing was signed) can be made again.
    set.release(a, uint256(3));
    EXPECT_EQ(set.claim(a, uint256(3), 200, 160), NonceSet::Claim::Claimed);
    // Expired: an attestation past its expiry cannot be consumed, so the nonce may be forgotten.
    EXPECT_EQ(set.claim(a, uint256(1), 400, 201), NonceSet::Claim::Claimed);
}

}  // namespace
}  // namespace krnl::engine
