#include "common/hd_wallet.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "common/secp256k1.hpp"

namespace krnl::hd {
namespace {

constexpr uint32_t kHardened = 0x80000000;

fixed_bytes<64> hmac_sha512(bytes_view key, bytes_view data) {
    fixed_bytes<64> out;
    unsigned int len = 64;
    HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
         out.data(), &len);
    return out;
}

void split(const fixed_bytes<64>& i, bytes32& left, bytes32& right) {
    std::copy_n(i.data(), 32, left.data());
    std::copy_n(i.data() + 32, 32, right.data());
}

}  // namespace

fixed_bytes<64> mnemonic_to_seed(std::string_view mnemonic, std::string_view passphrase) {
    const std::string salt = "mnemonic" + std::string(passphrase);
    fixed_bytes<64> seed;
    PKCS5_PBKDF2_HMAC(mnemonic.data(), static_cast<int>(mnemonic.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), 2048, EVP_sha512(), 64, seed.data());
    return seed;
}

ExtendedKey master_key(bytes_view seed) {
    static constexpr std::string_view kKey = "Bitcoin seed";
    ExtendedKey k;
    split(hmac_sha512({reinterpret_cast<const uint8_t*>(kKey.data()), kKey.size()}, seed), k.secret,
          k.chain_code);
    return k;
}

std::expected<ExtendedKey, std::string> derive_child(const ExtendedKey& parent, uint32_t index) {
    bytes data;
    if (index >= kHardened) {
        data.push_back(0);
        data.append(parent.secret.view());
    } else {
        auto pub = secp256k1::compressed_public_key(parent.secret);
        if (!pub) return std::unexpected("invalid parent key");
        data.append(pub->view());
    }
    for (int shift = 24; shift >= 0; shift -= 8)
        data.push_back(static_cast<uint8_t>(index >> shift));
    ExtendedKey child;
    bytes32 tweak;
    split(hmac_sha512(parent.chain_code.view(), data), tweak, child.chain_code);
    auto secret = secp256k1::add_to_secret(parent.secret, tweak);
    if (!secret) return std::unexpected("index " + std::to_string(index) + " gives no valid key");
    child.secret = *secret;
    return child;
}

std::expected<ExtendedKey, std::string> derive_path(const ExtendedKey& master,
                                                    std::string_view path) {
    if (path.empty() || path[0] != 'm') return std::unexpected("a path starts with m");
    ExtendedKey key = master;
    path.remove_prefix(1);
    while (!path.empty()) {
        if (path[0] != '/') return std::unexpected("expected / in the path");
        path.remove_prefix(1);
        uint32_t index = 0;
        const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), index);
        if (ec != std::errc{} || index >= kHardened) return std::unexpected("bad path index");
        path.remove_prefix(static_cast<size_t>(end - path.data()));
        if (!path.empty() && (path[0] == '\'' || path[0] == 'h')) {
            index |= kHardened;
            path.remove_prefix(1);
        }
        auto child = derive_child(key, index);
        if (!child) return child;
        key = *child;
    }
    return key;
}

std::expected<bytes32, std::string> ethereum_account_key(std::string_view mnemonic, uint32_t index,
                                                         std::string_view passphrase) {
    const auto seed = mnemonic_to_seed(mnemonic, passphrase);
    auto key = derive_path(master_key(seed.view()), "m/44'/60'/0'/0/" + std::to_string(index));
    if (!key) return std::unexpected(key.error());
    return key->secret;
}

}  // namespace krnl::hd
