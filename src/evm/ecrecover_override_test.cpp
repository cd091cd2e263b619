#include "evm/ecrecover_override.hpp"

#include <gtest/gtest.h>

#include "evm/precompiles.hpp"

using namespace krnl;
using namespace krnl::evm;

namespace {

const address kEcrecover{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};

// ecrecover's input: digest, v (27 + parity in the last byte), r, s.
bytes ecrecover_input(uint8_t digest_byte, uint8_t v, uint8_t r_byte, uint8_t s_byte) {
    bytes in(128, 0);
    in[0] = digest_byte;
    in[63] = v;
    in[64] = r_byte;
    in[127] = s_byte;
    return in;
}

RecoverSignature signature(uint8_t r_byte, uint8_t s_byte, uint8_t v) {
    RecoverSignature sig{};
    sig[0] = r_byte;
    sig[63] = s_byte;
    sig[64] = v;
    return sig;
}

constexpr uint64_t kChain = 31337;

class EcrecoverOverride : public ::testing::Test {
protected:
    void TearDown() override { clear_recover_overrides(); }
};

}  // namespace

TEST_F(EcrecoverOverride, RegisteredSignatureRecoversToItsSignerWhateverTheDigest) {
    const address signer{{0xab, 0xcd}};
    ASSERT_TRUE(add_recover_override(kChain, signature(0x11, 0x22, 27), signer));
    for (uint8_t digest : {uint8_t{0}, uint8_t{7}}) {
        const auto out = run_precompile(kEcrecover, ecrecover_input(digest, 27, 0x11, 0x22), 100000,
                                        Revision::Osaka, kChain);
        ASSERT_TRUE(out.success);
        EXPECT_EQ(out.gas_used, 3000);
        ASSERT_EQ(out.output.size(), 32u);
        EXPECT_EQ(address::from_view(bytes_view(out.output).substr(12)), signer);
    }
}

TEST_F(EcrecoverOverride, OtherSignaturesRecoverAsBefore) {
    auto run = [](uint8_t v, uint64_t chain_id = kChain) {
        return run_precompile(kEcrecover, ecrecover_input(0, v, 0x11, 0x22), 100000,
                              Revision::Osaka, chain_id)
            .output;
    };
    const bytes before27 = run(27);
    const bytes before28 = run(28);
    const address signer{{0xab}};
    ASSERT_TRUE(add_recover_override(kChain, signature(0x11, 0x22, 27), signer));
    EXPECT_EQ(run(28), before28);              // another v is another signature
    EXPECT_EQ(run(27, kChain + 1), before27);  // another chain of the node is untouched
    bytes expected(12, 0);
    expected += signer.view();
    EXPECT_EQ(run(27), expected);
    clear_recover_overrides();
    EXPECT_EQ(run(27), before27);
}

TEST_F(EcrecoverOverride, TableIsBounded) {
    for (size_t i = 0; i < kMaxRecoverOverrides; ++i) {
        RecoverSignature sig{};
        sig[0] = static_cast<uint8_t>(i);
        sig[1] = static_cast<uint8_t>(i >> 8);
        ASSERT_TRUE(add_recover_override(kChain, sig, address{}));
    }
    EXPECT_EQ(recover_override_count(), kMaxRecoverOverrides);
    EXPECT_FALSE(add_recover_override(kChain, signature(0xff, 0xff, 28), address{}));
    RecoverSignature existing{};
    EXPECT_TRUE(add_recover_override(kChain, existing, address{{1}}));  // a replacement still fits
}

TEST_F(EcrecoverOverride, ClearingOneChainLeavesTheOthers) {
    const address signer{{0xab, 0xcd}};
    const RecoverSignature sig = signature(0x11, 0x22, 27);
    ASSERT_TRUE(add_recover_override(kChain, sig, signer));
    ASSERT_TRUE(add_recover_override(kChain + 1, sig, signer));
    clear_recover_overrides(kChain);
    const bytes input = ecrecover_input(0, 27, 0x11, 0x22);
    EXPECT_FALSE(recover_override(kChain, input));
    EXPECT_EQ(recover_override(kChain + 1, input), signer);
    EXPECT_EQ(recover_override_count(), 1u);
    clear_recover_overrides(kChain + 1);
    EXPECT_EQ(recover_override_count(), 0u);
    EXPECT_FALSE(recover_override(kChain + 1, input));
}
