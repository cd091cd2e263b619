#include "common/p256.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "common/hash.hpp"

using namespace krnl;

namespace {

// A fresh key pair and a signature of `hash` made by OpenSSL's signer, independent of the
// verifier under test.
struct Signed {
    bytes32 r, s, qx, qy;
};

Signed sign_with_new_key(const bytes32& hash) {
    EVP_PKEY* key = EVP_EC_gen("prime256v1");
    Signed out{};
    uint8_t point[65];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    EXPECT_EQ(len, 65u);
    std::copy_n(point + 1, 32, out.qx.data());
    std::copy_n(point + 33, 32, out.qy.data());
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    EVP_PKEY_sign_init(ctx);
    uint8_t der[80];
    size_t der_len = sizeof der;
    EXPECT_EQ(EVP_PKEY_sign(ctx, der, &der_len, hash.data(), 32), 1);
    const uint8_t* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.r.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.s.data(), 32);
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return out;
}

}  // namespace

TEST(P256, VerifiesSignaturesAndRejectsTampering) {
    for (int i = 0; i < 20; ++i) {
        const bytes32 hash = sha256(bytes(1, static_cast<uint8_t>(i)));
        const Signed sig = sign_with_new_key(hash);
        EXPECT_TRUE(p256::verify(hash, sig.r, sig.s, sig.qx, sig.qy));
        bytes32 other = hash;
        other.bytes[31] ^= 1;
        EXPECT_FALSE(p256::verify(other, sig.r, sig.s, sig.qx, sig.qy));
        bytes32 bad_s = sig.s;
        bad_s.bytes[0] ^= 0x40;
        EXPECT_FALSE(p256::verify(hash, sig.r, bad_s, sig.qx, sig.qy));
        bytes32 off_curve = sig.qy;
        off_curve.bytes[31] ^= 1;
        EXPECT_FALSE(p256::verify(hash, sig.r, sig.s, sig.qx, off_curve));
    }
}

TEST(P256, OutOfRangeValuesAreRejectedWithoutCrashing) {
    const bytes32 hash = sha256(bytes(3, 7));
    const Signed sig = sign_with_new_key(hash);
    bytes32 all_ones;
    std::fill_n(all_ones.data(), 32, 0xff);
    EXPECT_FALSE(p256::verify(hash, bytes32{}, sig.s, sig.qx, sig.qy));
    EXPECT_FALSE(p256::verify(hash, sig.r, bytes32{}, sig.qx, sig.qy));
    EXPECT_FALSE(p256::verify(hash, all_ones, sig.s, sig.qx, sig.qy));
    EXPECT_FALSE(p256::verify(hash, sig.r, sig.s, all_ones, sig.qy));
    EXPECT_FALSE(p256::verify(hash, sig.r, sig.s, bytes32{}, bytes32{}));
}
