#include "engine/keystore.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "common/secp256k1.hpp"

using namespace krnl;
using nlohmann::json;

namespace {
json fixtures() {
    std::ifstream in(std::string(KRNL_FIXTURES) + "/ethereum-tests/KeyStoreTests/basic_tests.json");
    EXPECT_TRUE(in.good()) << "KeyStoreTests fixture missing";
    return json::parse(in);
}
}  // namespace

// Every vector of the official KeyStoreTests decrypts to its key, and a wrong password is refused.
TEST(Keystore, OfficialVectorsDecrypt) {
    const json tests = fixtures();
    ASSERT_GE(tests.size(), 3u);
    for (const auto& [name, t] : tests.items()) {
        SCOPED_TRACE(name);
        auto key = engine::decrypt_keystore(t["json"], t["password"].get<std::string>());
        ASSERT_TRUE(key.has_value()) << key.error();
        EXPECT_EQ(to_hex(*key, false), t["priv"].get<std::string>());
        auto wrong = engine::decrypt_keystore(t["json"], t["password"].get<std::string>() + "x");
        ASSERT_FALSE(wrong.has_value());
        EXPECT_EQ(wrong.error(), "keystore: wrong password");
    }
}

TEST(Keystore, EncryptThenDecrypt) {
    bytes32 secret;
    secret.bytes[31] = 7;
    auto file = engine::encrypt_keystore(secret, "pw", {.n = 1024, .r = 8, .p = 1});
    ASSERT_TRUE(file.has_value()) << file.error();
    EXPECT_EQ((*file)["address"], to_hex(*secp256k1::address_from_secret(secret), false));
    auto back = engine::decrypt_keystore(*file, "pw");
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(*back, secret);
}

TEST(Keystore, HostileFilesGetErrors) {
    EXPECT_FALSE(engine::decrypt_keystore(json::array(), "x").has_value());
    json t = fixtures().begin().value()["json"];
    t["crypto"]["kdf"] = "argon2";
    EXPECT_EQ(engine::decrypt_keystore(t, "x").error(), "keystore: unsupported kdf argon2");
    json s = json::parse(R"({"version":3,"crypto":{"cipher":"aes-128-ctr","kdf":"scrypt",
        "kdfparams":{"dklen":32,"n":1099511627776,"r":8,"p":1,"salt":"00"},
        "ciphertext":"00","mac":"00","cipherparams":{"iv":"00000000000000000000000000000000"}}})");
    EXPECT_EQ(engine::decrypt_keystore(s, "x").error(), "keystore: scrypt parameters out of range");
}
