#include "evm/kzg.hpp"

#include <gtest/gtest.h>

#include "common/hash.hpp"
#include "evm/precompiles.hpp"

using namespace krnl;
namespace kzg = krnl::evm::kzg;
namespace evm = krnl::evm;

namespace {

bytes hex(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b.has_value()) << s;
    return b.value_or(bytes{});
}

bytes be32(uint64_t v) {
    bytes out(32, 0);
    for (int i = 0; i < 8; ++i)
        out[31 - i] = static_cast<uint8_t>(v >> (8 * i));
    return out;
}

bytes versioned_hash(const bytes& commitment) {
    hash256 h = sha256(commitment);
    h[0] = 0x01;
    return bytes(h.view());
}

bytes input(const bytes& commitment, uint64_t z, uint64_t y, const bytes& proof) {
    return versioned_hash(commitment) + be32(z) + be32(y) + commitment + proof;
}

// From the KZG ceremony's setup (c-kzg-4844, src/trusted_setup.txt, the monomial G1 points at
// lines 4164 and 4165): [1]G1 and [tau]G1, compressed.
const bytes kG1 =
    hex("97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb"
        "22c6bb");
const bytes kTauG1 =
    hex("ad3eb50121139aa34db1d545093ac9374ab7bca2c0f3bf28e27c8dcd8fc7cb42d25926fc0c97b336e9f0fb35e5"
        "a04c81");
const bytes kInfinity = [] {
    bytes b(48, 0);
    b[0] = 0xc0;
    return b;
}();

const std::string kSuccessOutput =
    "0x0000000000000000000000000000000000000000000000000000000000001000"
    "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001";

}  // namespace

// p(X) = X commits to [tau]G1; opening at z gives y = z with the quotient 1, so the proof is
// [1]G1. This ties the embedded [tau]G2 to the ceremony's [tau]G1.
TEST(Kzg, OpensTheIdentityPolynomial) {
    const auto out = kzg::point_evaluation(input(kTauG1, 5, 5, kG1));
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(to_hex(*out), kSuccessOutput);
    EXPECT_FALSE(kzg::point_evaluation(input(kTauG1, 5, 6, kG1)).has_value());
    EXPECT_FALSE(kzg::point_evaluation(input(kTauG1, 6, 5, kG1)).has_value());
    EXPECT_FALSE(kzg::point_evaluation(input(kTauG1, 5, 5, kTauG1)).has_value());
}

// The zero polynomial: commitment and proof at infinity, y = 0 at any z.
TEST(Kzg, ZeroPolynomialAndThePrecompileWrapper) {
    const bytes in = input(kInfinity, 123456789, 0, kInfinity);
    const auto r =
        evm::run_precompile(address{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 0, 0, evm::kPointEvaluationAddress}},
                            in, 60000, evm::Revision::Cancun);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 50000);
    EXPECT_EQ(to_hex(r.output), kSuccessOutput);
    EXPECT_FALSE(kzg::point_evaluation(input(kInfinity, 1, 1, kInfinity)).has_value());
}

TEST(Kzg, RejectsMalformedInput) {
    bytes in = input(kTauG1, 5, 5, kG1);
    // Wrong versioned hash version byte.
    bytes wrong_version = in;
    wrong_version[0] = 0x02;
    EXPECT_FALSE(kzg::point_evaluation(wrong_version).has_value());
    // z = BLS modulus (not canonical).
    bytes big_z = in;
    const bytes r = hex("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
    std::copy(r.begin(), r.end(), big_z.begin() + 32);
    EXPECT_FALSE(kzg::point_evaluation(big_z).has_value());
    // A proof without the compression flag.
    bytes uncompressed_flag = in;
    uncompressed_flag[144] &= 0x7f;
    EXPECT_FALSE(kzg::point_evaluation(uncompressed_flag).has_value());
    // Infinity with a stray bit.
    bytes bad_infinity = kInfinity;
    bad_infinity[47] = 1;
    EXPECT_FALSE(kzg::point_evaluation(input(bad_infinity, 0, 0, kInfinity)).has_value());
    EXPECT_FALSE(kzg::point_evaluation(in.substr(0, 191)).has_value());
    EXPECT_FALSE(kzg::point_evaluation(in + bytes(1, 0)).has_value());
}
