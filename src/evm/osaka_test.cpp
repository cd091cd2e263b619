// Osaka's EVM changes: CLZ (EIP-7939), MODEXP bounds (EIP-7823) and pricing (EIP-7883), and
// P256VERIFY (EIP-7951) at its Osaka address and gas.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <map>
#include <string>

#include "common/hash.hpp"
#include "evm/instructions.hpp"
#include "evm/interpreter.hpp"
#include "evm/mini_host_test_support.hpp"
#include "evm/precompiles.hpp"

using namespace krnl;
using namespace krnl::evm;

namespace {

Result run_code(const bytes& code, Revision rev, int64_t gas = 100'000) {
    fake::MiniHost host;
    CodeAnalysis analysis(code);
    Message msg;
    msg.gas = gas;
    return execute(host, rev, msg, analysis);
}

// PUSH32 x CLZ PUSH0 MSTORE PUSH1 32 PUSH0 RETURN: returns CLZ(x) as a word.
bytes clz_program(const uint256& x) {
    bytes code{OP_PUSH32};
    const bytes32 be = x.to_bytes32();
    code.insert(code.end(), be.bytes, be.bytes + 32);
    for (uint8_t b : {uint8_t{OP_CLZ}, uint8_t{OP_PUSH0}, uint8_t{OP_MSTORE}, uint8_t{OP_PUSH1},
                      uint8_t{32}, uint8_t{OP_PUSH0}, uint8_t{OP_RETURN}})
        code.push_back(b);
    return code;
}

uint256 clz_of(const uint256& x) {
    const Result r = run_code(clz_program(x), Revision::Osaka);
    EXPECT_EQ(r.status, StatusCode::Success);
    if (r.output.size() != 32) return uint256{12345};
    return uint256::load_be(r.output.data());
}

bytes hex(std::string_view h) {
    auto b = from_hex(h);
    EXPECT_TRUE(b) << h;
    return b.value_or(bytes{});
}

std::string word(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return std::string(48, '0') + buf;
}

address precompile(uint8_t n) {
    address a;
    a[19] = n;
    return a;
}

PrecompileResult modexp(const bytes& input, Revision rev, int64_t gas = 10'000'000) {
    return run_precompile(precompile(5), input, gas, rev);
}

}  // namespace

// ---- EIP-7939 CLZ -------------------------------------------------------------------------------

TEST(Clz, EdgeValues) {
    EXPECT_EQ(clz_of(uint256{0}), uint256{256});
    EXPECT_EQ(clz_of(uint256{1}), uint256{255});
    EXPECT_EQ(clz_of(uint256{1} << 255), uint256{0});
    EXPECT_EQ(clz_of(~uint256{0}), uint256{0});
    EXPECT_EQ(clz_of(uint256{0x6ff}), uint256{245});
    EXPECT_EQ(clz_of((uint256{1} << 128) - 1), uint256{128});
    EXPECT_EQ(clz_of(uint256{1} << 64), uint256{191});
}

TEST(Clz, CostsFiveGasFromOsakaAndIsUndefinedBefore) {
    EXPECT_EQ(kInstructionTraits[0x1e].name, "CLZ");
    EXPECT_EQ(gas_table(Revision::Osaka)[OP_CLZ], 5);
    EXPECT_EQ(gas_table(Revision::Prague)[OP_CLZ], kUndefined);

    // PUSH32 (3) + CLZ (5) + PUSH0 (2) + MSTORE (3 + 3 memory) + PUSH1 (3) + PUSH0 (2) = 21.
    const bytes code = clz_program(uint256{7});
    const Result osaka = run_code(code, Revision::Osaka);
    ASSERT_EQ(osaka.status, StatusCode::Success);
    EXPECT_EQ(osaka.gas_left, 100'000 - 21);
    EXPECT_EQ(run_code(code, Revision::Osaka, 7).status, StatusCode::OutOfGas);
    EXPECT_EQ(run_code(code, Revision::Prague).status, StatusCode::UndefinedInstruction);
    // CLZ on an empty stack.
    EXPECT_EQ(run_code(bytes{OP_CLZ}, Revision::Osaka).status, StatusCode::StackUnderflow);
}

// ---- EIP-7823 and EIP-7883 MODEXP
// -----------------------------------------------------------------

// EIP-198's "fermat" example: base 3, exponent p - 2, modulus p = 2^256 - 2^32 - 977.
const std::string kFermat = word(1) + word(32) + word(32) + "03" +
                            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
                            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";

TEST(ModexpOsaka, Eip7883Pricing) {
    // Operands of at most 32 bytes: complexity 16; 255 iterations (the exponent's top bit).
    const auto fermat = modexp(hex(kFermat), Revision::Osaka);
    EXPECT_TRUE(fermat.success);
    EXPECT_EQ(fermat.gas_used, 16 * 255);
    EXPECT_EQ(modexp(hex(kFermat), Revision::Prague).gas_used, 1360);  // EIP-2565 unchanged

    // The floor is 500 (was 200): a 1-byte exponent of 1 over 32-byte operands.
    const bytes small =
        hex(word(1) + word(1) + word(32) + "02" + "01" + std::string(62, '0') + "07");
    EXPECT_EQ(modexp(small, Revision::Osaka).gas_used, 500);
    EXPECT_EQ(modexp(small, Revision::Prague).gas_used, 200);

    // Above 32 bytes, twice the 64-bit words squared: 64-byte modulus, 8 words -> 128, exponent
    // 0x10001 -> 16 iterations (nagydani-1-pow0x10001, EIP-2565 price 341).
    const bytes mid = hex(word(64) + word(3) + word(64) + std::string(128, '1') + "010001" +
                          std::string(126, '0') + "ff");
    EXPECT_EQ(modexp(mid, Revision::Osaka).gas_used, 128 * 16);
    EXPECT_EQ(modexp(mid, Revision::Prague).gas_used, 341);

    // Exponent bytes beyond 32 count 16 iterations each (EIP-2565: 8): a 40-byte exponent whose
    // first 32 bytes are 1 -> 16 * 8 + 0 = 128 iterations, times complexity 16.
    const bytes long_exp = hex(word(1) + word(40) + word(1) + "02" + std::string(62, '0') + "01" +
                               std::string(16, '0') + "05");
    EXPECT_EQ(modexp(long_exp, Revision::Osaka).gas_used, 16 * 128);
    EXPECT_EQ(modexp(long_exp, Revision::Prague).gas_used, 200);  // max(200, 1 * 64 / 3)
}

TEST(ModexpOsaka, Eip7823LengthsAbove1024BytesFail) {
    // 1024 bytes each is allowed; the result is computed.
    const std::string one_k = word(1024);
    bytes at_bound = hex(word(1) + word(1) + one_k + "03" + "02");
    at_bound.resize(at_bound.size() + 1024, 0);
    at_bound.back() = 7;  // modulus 7: 3^2 mod 7 = 2
    const auto ok = modexp(at_bound, Revision::Osaka);
    ASSERT_TRUE(ok.success);
    ASSERT_EQ(ok.output.size(), 1024u);
    EXPECT_EQ(ok.output.back(), 2);

    // 1025 bytes of base, exponent or modulus: the call fails and takes all the gas it was given,
    // although Prague would run it.
    const std::string over = word(1025);
    for (const auto& header :
         {over + word(1) + word(1), word(1) + over + word(1), word(1) + word(1) + over}) {
        const bytes input = hex(header + "0203");
        const auto r = modexp(input, Revision::Osaka, 1'000'000);
        EXPECT_FALSE(r.success);
        EXPECT_EQ(r.gas_used, 1'000'000);
        EXPECT_TRUE(modexp(input, Revision::Prague, 1'000'000).success);
    }
    // A length over 2^64, which must not wrap into range.
    const auto huge = modexp(hex(std::string(64, 'f') + word(1) + word(1)), Revision::Osaka, 5000);
    EXPECT_FALSE(huge.success);
}

// ---- EIP-7951 P256VERIFY ----------------------------------------------------------------------

namespace {

// A signature of `hash` by a fresh key, made by OpenSSL's signer: the 160-byte precompile input.
bytes p256_input_signed_by_new_key(const bytes32& hash) {
    EVP_PKEY* key = EVP_EC_gen("prime256v1");
    uint8_t point[65];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    EXPECT_EQ(len, 65u);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    EVP_PKEY_sign_init(ctx);
    uint8_t der[80];
    size_t der_len = sizeof der;
    EXPECT_EQ(EVP_PKEY_sign(ctx, der, &der_len, hash.data(), 32), 1);
    const uint8_t* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
    bytes input(160, 0);
    std::copy_n(hash.data(), 32, input.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), input.data() + 32, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), input.data() + 64, 32);
    std::copy_n(point + 1, 64, input.data() + 96);
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return input;
}

}  // namespace

TEST(P256VerifyOsaka, At0x100For6900Gas) {
    ASSERT_TRUE(is_precompile(kP256VerifyAddress, Revision::Osaka));
    const bytes32 hash = sha256(bytes(3, 0x42));
    bytes input = p256_input_signed_by_new_key(hash);

    const auto valid = run_precompile(kP256VerifyAddress, input, 10'000, Revision::Osaka);
    ASSERT_TRUE(valid.success);
    EXPECT_EQ(valid.gas_used, 6900);
    ASSERT_EQ(valid.output.size(), 32u);
    EXPECT_EQ(valid.output[31], 1);

    EXPECT_FALSE(run_precompile(kP256VerifyAddress, input, 6899, Revision::Osaka).success);

    input[0] ^= 1;  // another message: a successful call with empty output, still 6900 gas
    const auto invalid = run_precompile(kP256VerifyAddress, input, 10'000, Revision::Osaka);
    EXPECT_TRUE(invalid.success);
    EXPECT_EQ(invalid.gas_used, 6900);
    EXPECT_TRUE(invalid.output.empty());
}
