// BIP-39 seeds and BIP-32 key derivation: enough to give a dev chain the same accounts every
// Ethereum tool derives from a mnemonic (m/44'/60'/0'/0/i).
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace krnl::hd {

// The standard development mnemonic used by Hardhat, anvil and Ganache.
inline constexpr std::string_view kTestMnemonic =
    "test test test test test test test test test test test junk";

// BIP-39: PBKDF2-HMAC-SHA512 of the mnemonic with salt "mnemonic" + passphrase, 2048 rounds. The
// mnemonic is used as given (ASCII words need no normalisation); its checksum is not checked.
fixed_bytes<64> mnemonic_to_seed(std::string_view mnemonic, std::string_view passphrase = {});

struct ExtendedKey {
    bytes32 secret;
    bytes32 chain_code;
};

ExtendedKey master_key(bytes_view seed);

// One derivation step; indexes >= 2^31 are hardened. Fails (with probability ~2^-127) when the
// step gives an invalid key, as BIP-32 allows.
std::expected<ExtendedKey, std::string> derive_child(const ExtendedKey& parent, uint32_t index);

// A path such as "m/44'/60'/0'/0/3".
std::expected<ExtendedKey, std::string> derive_path(const ExtendedKey& master,
                                                    std::string_view path);

// The secret key of account `index` on Ethereum's default path m/44'/60'/0'/0/index.
std::expected<bytes32, std::string> ethereum_account_key(std::string_view mnemonic, uint32_t index,
                                                         std::string_view passphrase = {});

}  // namespace krnl::hd
