#include "common/hd_wallet.hpp"

#include <gtest/gtest.h>

#include "common/secp256k1.hpp"

using namespace krnl;

// The accounts every Ethereum dev node derives from the test mnemonic (Hardhat, anvil).
TEST(HdWallet, TestMnemonicGivesTheWellKnownDevAccounts) {
    auto key0 = hd::ethereum_account_key(hd::kTestMnemonic, 0);
    ASSERT_TRUE(key0.has_value());
    EXPECT_EQ(to_hex(*key0), "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    EXPECT_EQ(to_hex(*secp256k1::address_from_secret(*key0)),
              "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    auto key9 = hd::ethereum_account_key(hd::kTestMnemonic, 9);
    EXPECT_EQ(to_hex(*secp256k1::address_from_secret(*key9)),
              "0xa0ee7a142d267c1f36714e4a8f75612f20a79720");
}

// BIP-32 test vector 1 (seed 000102...0f), chain m/0'/1.
TEST(HdWallet, Bip32Vector1) {
    bytes seed;
    for (uint8_t i = 0; i < 16; ++i)
        seed.push_back(i);
    const auto master = hd::master_key(seed);
    EXPECT_EQ(to_hex(master.secret),
              "0xe8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35");
    auto child = hd::derive_path(master, "m/0'/1");
    ASSERT_TRUE(child.has_value());
    EXPECT_EQ(to_hex(child->secret),
              "0x3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368");
}

TEST(HdWallet, BadPathsAreErrors) {
    const auto master = hd::master_key(bytes(16, 1));
    EXPECT_FALSE(hd::derive_path(master, "44'/60'").has_value());
    EXPECT_FALSE(hd::derive_path(master, "m/x").has_value());
    EXPECT_FALSE(hd::derive_path(master, "m/4294967295").has_value());
}
