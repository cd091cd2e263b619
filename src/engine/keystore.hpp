// Web3 Secret Storage (keystore v3): the encrypted key files of geth, clef and every wallet.
// The node operator's attestation key lives in one.
#pragma once

#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"

namespace krnl::engine {

// Decrypts a keystore v3 object (kdf scrypt or pbkdf2/hmac-sha256, cipher aes-128-ctr). Errors say
// what is wrong: a missing field, an unsupported kdf or cipher, or "wrong password" when the MAC
// does not match.
std::expected<bytes32, std::string> decrypt_keystore(const nlohmann::json& keystore,
                                                     std::string_view password);

struct ScryptParams {
    uint64_t n = 262144;  // the standard strength; tests and dev keys may use less
    uint32_t r = 8;
    uint32_t p = 1;
};

// Encrypts `secret` with scrypt and a random salt and IV; the result decrypts with the password.
std::expected<nlohmann::json, std::string> encrypt_keystore(const bytes32& secret,
                                                            std::string_view password,
                                                            const ScryptParams& params = {});

}  // namespace krnl::engine
