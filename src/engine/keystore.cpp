#include "engine/keystore.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <memory>

#include "common/keccak.hpp"
#include "common/secp256k1.hpp"

namespace krnl::engine {
namespace {

using json = nlohmann::json;

std::expected<bytes, std::string> hex_field(const json& obj, const char* name) {
    if (!obj.is_object() || !obj.contains(name) || !obj[name].is_string())
        return std::unexpected(std::string("keystore: missing ") + name);
    auto b = from_hex(obj[name].get<std::string>());
    if (!b) return std::unexpected(std::string("keystore: ") + name + " is not hex");
    return std::move(*b);
}

std::expected<uint64_t, std::string> uint_field(const json& obj, const char* name) {
    if (!obj.is_object() || !obj.contains(name) || !obj[name].is_number_integer() ||
        obj[name].get<int64_t>() < 0)
        return std::unexpected(std::string("keystore: missing ") + name);
    return obj[name].get<uint64_t>();
}

// AES-128-CTR is its own inverse.
std::expected<bytes, std::string> aes128_ctr(bytes_view key, bytes_view iv, bytes_view data) {
    if (key.size() != 16 || iv.size() != 16) return std::unexpected("keystore: bad key or iv size");
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        EVP_CIPHER_CTX_free);
    bytes out(data.size(), 0);
    int len = 0;
    if (!ctx ||
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key.data(), iv.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out.data(), &len, data.data(),
                          static_cast<int>(data.size())) != 1)
        return std::unexpected("keystore: AES failed");
    return out;
}

std::expected<bytes, std::string> scrypt(std::string_view password, bytes_view salt, uint64_t n,
                                         uint64_t r, uint64_t p, size_t dklen) {
    // Memory is 128 * r * n bytes (plus p blocks); bound it so a hostile file cannot exhaust it.
    constexpr uint64_t kMaxMemory = uint64_t{2} << 30;
    if (n < 2 || (n & (n - 1)) != 0)
        return std::unexpected("keystore: scrypt n must be a power of 2");
    if (r == 0 || p == 0 || r > 64 || p > 64 || n > (uint64_t{1} << 24) ||
        128 * r * n > kMaxMemory / 2)
        return std::unexpected("keystore: scrypt parameters out of range");
    // libsodium, not OpenSSL: OpenSSL enforces RFC 7914's N < 2^(16 r), which geth's standard
    // "light" and test parameters (n = 262144 with r = 1) break.
    bytes out(dklen, 0);
    if (sodium_init() < 0 || crypto_pwhash_scryptsalsa208sha256_ll(
                                 reinterpret_cast<const uint8_t*>(password.data()), password.size(),
                                 salt.data(), salt.size(), n, static_cast<uint32_t>(r),
                                 static_cast<uint32_t>(p), out.data(), dklen) != 0)
        return std::unexpected("keystore: scrypt failed");
    return out;
}

}  // namespace

std::expected<bytes32, std::string> decrypt_keystore(const json& keystore,
                                                     std::string_view password) {
    if (!keystore.is_object()) return std::unexpected("keystore: not a JSON object");
    if (keystore.value("version", 0) != 3)
        return std::unexpected("keystore: only version 3 is supported");
    const json& crypto =
        keystore.contains("crypto") ? keystore["crypto"] : keystore.value("Crypto", json());
    if (!crypto.is_object()) return std::unexpected("keystore: missing crypto");
    if (crypto.value("cipher", "") != "aes-128-ctr")
        return std::unexpected("keystore: unsupported cipher " +
                               crypto.value("cipher", std::string("(none)")));
    const json& kdfparams = crypto.value("kdfparams", json());
    auto salt = hex_field(kdfparams, "salt");
    if (!salt) return std::unexpected(salt.error());
    auto dklen = uint_field(kdfparams, "dklen");
    if (!dklen) return std::unexpected(dklen.error());
    if (*dklen < 32 || *dklen > 64) return std::unexpected("keystore: dklen must be 32 to 64");

    const std::string kdf = crypto.value("kdf", "");
    std::expected<bytes, std::string> derived = std::unexpected("keystore: unsupported kdf " + kdf);
    if (kdf == "scrypt") {
        auto n = uint_field(kdfparams, "n");
        auto r = uint_field(kdfparams, "r");
        auto p = uint_field(kdfparams, "p");
        if (!n || !r || !p) return std::unexpected("keystore: scrypt needs n, r and p");
        derived = scrypt(password, *salt, *n, *r, *p, *dklen);
    } else if (kdf == "pbkdf2") {
        if (kdfparams.value("prf", "") != "hmac-sha256")
            return std::unexpected("keystore: pbkdf2 supports only hmac-sha256");
        auto c = uint_field(kdfparams, "c");
        if (!c) return std::unexpected(c.error());
        if (*c == 0 || *c > 100'000'000) return std::unexpected("keystore: pbkdf2 c out of range");
        bytes out(*dklen, 0);
        if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt->data(),
                              static_cast<int>(salt->size()), static_cast<int>(*c), EVP_sha256(),
                              static_cast<int>(*dklen), out.data()) != 1)
            return std::unexpected("keystore: pbkdf2 failed");
        derived = std::move(out);
    }
    if (!derived) return std::unexpected(derived.error());

    auto ciphertext = hex_field(crypto, "ciphertext");
    auto mac = hex_field(crypto, "mac");
    auto iv = hex_field(crypto.value("cipherparams", json()), "iv");
    if (!ciphertext) return std::unexpected(ciphertext.error());
    if (!mac) return std::unexpected(mac.error());
    if (!iv) return std::unexpected(iv.error());
    bytes mac_input(derived->substr(16, 16));
    mac_input += *ciphertext;
    if (keccak256(mac_input).view() != bytes_view(*mac))
        return std::unexpected("keystore: wrong password");
    auto plain = aes128_ctr(derived->substr(0, 16), *iv, *ciphertext);
    if (!plain) return std::unexpected(plain.error());
    if (plain->size() != 32) return std::unexpected("keystore: the key is not 32 bytes");
    return bytes32::from_view(*plain);
}

std::expected<json, std::string> encrypt_keystore(const bytes32& secret, std::string_view password,
                                                  const ScryptParams& params) {
    const auto addr = secp256k1::address_from_secret(secret);
    if (!addr) return std::unexpected("keystore: not a valid secp256k1 key");
    uint8_t salt[32], iv[16], uuid[16];
    if (RAND_bytes(salt, sizeof salt) != 1 || RAND_bytes(iv, sizeof iv) != 1 ||
        RAND_bytes(uuid, sizeof uuid) != 1)
        return std::unexpected("keystore: no randomness");
    auto derived = scrypt(password, {salt, 32}, params.n, params.r, params.p, 32);
    if (!derived) return std::unexpected(derived.error());
    auto ciphertext = aes128_ctr(derived->substr(0, 16), {iv, 16}, secret.view());
    if (!ciphertext) return std::unexpected(ciphertext.error());
    bytes mac_input(derived->substr(16, 16));
    mac_input += *ciphertext;
    uuid[6] = (uuid[6] & 0x0f) | 0x40;  // RFC 4122 version 4
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    const std::string u = to_hex({uuid, 16}, false);
    return json{{"version", 3},
                {"id", u.substr(0, 8) + "-" + u.substr(8, 4) + "-" + u.substr(12, 4) + "-" +
                           u.substr(16, 4) + "-" + u.substr(20)},
                {"address", to_hex(*addr, false)},
                {"crypto",
                 {{"cipher", "aes-128-ctr"},
                  {"cipherparams", {{"iv", to_hex({iv, 16}, false)}}},
                  {"ciphertext", to_hex(*ciphertext, false)},
                  {"kdf", "scrypt"},
                  {"kdfparams",
                   {{"dklen", 32},
                    {"n", params.n},
                    {"r", params.r},
                    {"p", params.p},
                    {"salt", to_hex({salt, 32}, false)}}},
                  {"mac", to_hex(keccak256(mac_input), false)}}}};
}

}  // namespace krnl::engine
