#include "common/secp256k1.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/keccak.hpp"

using namespace krnl;
using namespace krnl::secp256k1;

namespace {

bytes32 b32(std::string_view hex) {
    return *fixed_from_hex<32>(hex);
}

bytes32 scalar(uint64_t v) {
    bytes32 out;
    for (int i = 0; i < 8; ++i)
        out[31 - i] = static_cast<uint8_t>(v >> (8 * i));
    return out;
}

// The key the ethereum/tests fixtures fund as their default sender.
const bytes32 kFixtureKey =
    b32("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
constexpr std::string_view kFixtureAddress = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";

}  // namespace

TEST(Secp256k1, CurveOrderConstants) {
    EXPECT_EQ(to_hex(kCurveOrder),
              "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    EXPECT_EQ(to_hex(kHalfCurveOrder),
              "0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
}

TEST(Secp256k1, AddressFromSecret) {
    EXPECT_EQ(to_hex(*address_from_secret(kFixtureKey)), kFixtureAddress);
    // Keys 1 and 2: the generator G and 2G.
    EXPECT_EQ(to_hex(*address_from_secret(scalar(1))),
              "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    EXPECT_EQ(to_hex(*address_from_secret(scalar(2))),
              "0x2b5ad5c4795c026514f8317c7a215e218dccd6cf");
}

TEST(Secp256k1, AddressFromSecretRejectsOutOfRangeKeys) {
    EXPECT_FALSE(address_from_secret(bytes32{}));
    EXPECT_FALSE(address_from_secret(kCurveOrder));
    EXPECT_FALSE(address_from_secret(
        b32("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")));
    // n - 1 is the largest valid key.
    bytes32 n_minus_1 = kCurveOrder;
    n_minus_1[31] -= 1;
    EXPECT_TRUE(address_from_secret(n_minus_1));
}

TEST(Secp256k1, AddressFromPublicKeyOfGenerator) {
    const auto g = *from_hex(
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
    EXPECT_EQ(to_hex(address_from_public_key(g.data())),
              "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
}

TEST(Secp256k1, Eip155ExampleSignatureIsDeterministic) {
    // EIP-155's worked example: key 0x4646..46 signs the legacy transaction hash below and gets
    // v = 37 (chain id 1, so y_parity 0) with these r and s.
    const auto key = b32("0x4646464646464646464646464646464646464646464646464646464646464646");
    const auto digest = b32("0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    const auto sig = sign(digest, key);
    ASSERT_TRUE(sig);
    EXPECT_EQ(to_hex(sig->r), "0x28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276");
    EXPECT_EQ(to_hex(sig->s), "0x67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
    EXPECT_EQ(sig->y_parity, 0);
    EXPECT_EQ(to_hex(*recover_address(digest, sig->r, sig->s, sig->y_parity)),
              "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
    EXPECT_EQ(*address_from_secret(key), *recover_address(digest, sig->r, sig->s, sig->y_parity));
}

TEST(Secp256k1, RecoversFixtureSignatureWithHighS) {
    // From ethereum/tests CallEcrecover0: s > n/2, which ecrecover (unlike transactions) accepts.
    const auto digest = b32("0x18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c");
    const auto r = b32("0x73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f");
    const auto s = b32("0xeeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549");
    EXPECT_GT(s, kHalfCurveOrder);
    EXPECT_EQ(to_hex(*recover_address(digest, r, s, 1)), kFixtureAddress);
    // The other parity recovers a different key.
    auto other = recover_address(digest, r, s, 0);
    if (other) {
        EXPECT_NE(to_hex(*other), kFixtureAddress);
    }
}

TEST(Secp256k1, SignRecoverRoundTripsWithLowS) {
    const auto expected = *address_from_secret(kFixtureKey);
    for (int i = 0; i < 64; ++i) {
        const std::string msg = "message " + std::to_string(i);
        const hash256 digest = keccak256(as_bytes(msg));
        const auto sig = sign(digest, kFixtureKey);
        ASSERT_TRUE(sig);
        EXPECT_LE(sig->s, kHalfCurveOrder);
        EXPECT_LE(sig->y_parity, 1);
        const auto recovered = recover_address(digest, sig->r, sig->s, sig->y_parity);
        ASSERT_TRUE(recovered);
        EXPECT_EQ(*recovered, expected);
        // Deterministic: the same digest and key always give the same signature.
        const auto again = sign(digest, kFixtureKey);
        EXPECT_EQ(again->r, sig->r);
        EXPECT_EQ(again->s, sig->s);
        // A different digest does not recover the same signer.
        hash256 tampered = digest;
        tampered[0] ^= 1;
        const auto wrong = recover_address(tampered, sig->r, sig->s, sig->y_parity);
        if (wrong) {
            EXPECT_NE(*wrong, expected);
        }
    }
}

TEST(Secp256k1, SignRejectsInvalidKeys) {
    const hash256 digest = keccak256(as_bytes("x"));
    EXPECT_FALSE(sign(digest, bytes32{}));
    EXPECT_FALSE(sign(digest, kCurveOrder));
}

TEST(Secp256k1, RecoverRejectsOutOfRangeInputs) {
    const hash256 digest = keccak256(as_bytes("hello"));
    const auto sig = *sign(digest, kFixtureKey);
    ASSERT_TRUE(recover_address(digest, sig.r, sig.s, sig.y_parity));

    EXPECT_FALSE(recover_address(digest, bytes32{}, sig.s, sig.y_parity));    // r = 0
    EXPECT_FALSE(recover_address(digest, sig.r, bytes32{}, sig.y_parity));    // s = 0
    EXPECT_FALSE(recover_address(digest, kCurveOrder, sig.s, sig.y_parity));  // r = n
    EXPECT_FALSE(recover_address(digest, sig.r, kCurveOrder, sig.y_parity));  // s = n
    const auto all_ff = b32("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    EXPECT_FALSE(recover_address(digest, all_ff, sig.s, sig.y_parity));
    EXPECT_FALSE(recover_address(digest, sig.r, all_ff, sig.y_parity));
    EXPECT_FALSE(recover_address(digest, sig.r, sig.s, 2));
    EXPECT_FALSE(recover_address(digest, sig.r, sig.s, 27));
}

TEST(Secp256k1, RecoverFailsWhenRIsNotAnXCoordinate) {
    // x = 5 has no point on y^2 = x^3 + 7 (132 is not a square mod p), so nothing can be recovered.
    const hash256 digest = keccak256(as_bytes("hello"));
    EXPECT_FALSE(recover_address(digest, scalar(5), scalar(1), 0));
    EXPECT_FALSE(recover_address(digest, scalar(5), scalar(1), 1));
}

TEST(Secp256k1, ConcurrentUseOfTheSharedContext) {
    const auto expected = *address_from_secret(kFixtureKey);
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                const hash256 digest = keccak256(as_bytes(std::to_string(t * 1000 + i)));
                const auto sig = sign(digest, kFixtureKey);
                const auto got =
                    sig ? recover_address(digest, sig->r, sig->s, sig->y_parity) : std::nullopt;
                if (!got || *got != expected) ++failures[t];
            }
        });
    }
    for (auto& th : threads)
        th.join();
    for (int f : failures)
        EXPECT_EQ(f, 0);
}
