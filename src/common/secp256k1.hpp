// ECDSA over secp256k1 as Ethereum uses it: signing with recoverable signatures (r, s, y_parity)
// and recovery of the signer's address. Backed by libsecp256k1.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace krnl::secp256k1 {

// The group order n and floor(n / 2), big-endian. EIP-2 requires s <= n/2 in transactions.
inline constexpr bytes32 kCurveOrder{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                      0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
                                      0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41}};
inline constexpr bytes32 kHalfCurveOrder{{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d,
                                          0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0}};

struct Signature {
    bytes32 r;
    bytes32 s;
    uint8_t y_parity;  // 0 or 1: the parity of the y coordinate of the nonce point R
};

// Recovers the signer's address. Returns nullopt if r or s is zero or >= the curve order n, if
// y_parity > 1, or if recovery fails. (Does NOT enforce low-s; callers do that where EIP-2
// applies.)
std::optional<address> recover_address(const hash256& digest, const bytes32& r, const bytes32& s,
                                       uint8_t y_parity);

// Signs with an RFC 6979 deterministic nonce; s is always in the lower half (s <= n/2).
// nullopt if the secret key is zero or >= n.
std::optional<Signature> sign(const hash256& digest, const bytes32& secret_key);

// The address of the key pair; nullopt if the secret key is zero or >= n.
std::optional<address> address_from_secret(const bytes32& secret_key);

// The 33-byte SEC1 compressed public key; nullopt if the secret key is zero or >= n.
std::optional<fixed_bytes<33>> compressed_public_key(const bytes32& secret_key);

// (secret_key + tweak) mod n, as BIP-32 derives child keys; nullopt if the tweak is >= n or the
// sum is zero.
std::optional<bytes32> add_to_secret(const bytes32& secret_key, const bytes32& tweak);

// keccak256 of the 64-byte uncompressed public key (x || y, without the 0x04 prefix), last 20
// bytes.
address address_from_public_key(const uint8_t* xy64);

}  // namespace krnl::secp256k1
