#include "common/secp256k1.hpp"

#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "common/keccak.hpp"

namespace krnl::secp256k1 {
namespace {

// One context for the whole process. After creation (and blinding) libsecp256k1 only reads it,
// so concurrent signing and recovery are safe; the function-local static makes creation race-free.
const secp256k1_context* context() {
    static const secp256k1_context* const ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        // Blinding the signing computation is a side-channel hardening, not a correctness need:
        // without entropy the context still works, so a failed RAND_bytes just skips it.
        unsigned char seed[32];
        if (RAND_bytes(seed, sizeof seed) == 1) {
            [[maybe_unused]] const int blinded = secp256k1_context_randomize(c, seed);
        }
        return c;
    }();
    return ctx;
}

bool is_valid_scalar(const bytes32& v) {
    return !v.is_zero() && v < kCurveOrder;
}

std::optional<secp256k1_pubkey> public_key_of(const bytes32& secret_key) {
    if (!is_valid_scalar(secret_key)) return std::nullopt;
    secp256k1_pubkey pubkey;
    if (secp256k1_ec_pubkey_create(context(), &pubkey, secret_key.data()) != 1) return std::nullopt;
    return pubkey;
}

address address_from_pubkey(const secp256k1_pubkey& pubkey) {
    uint8_t serialized[65];
    size_t len = sizeof serialized;
    secp256k1_ec_pubkey_serialize(context(), serialized, &len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
    return address_from_public_key(serialized + 1);  // skip the 0x04 "uncompressed" tag
}

}  // namespace

address address_from_public_key(const uint8_t* xy64) {
    return address::from_view(keccak256({xy64, 64}).view());
}

std::optional<address> recover_address(const hash256& digest, const bytes32& r, const bytes32& s,
                                       uint8_t y_parity) {
    if (y_parity > 1 || !is_valid_scalar(r) || !is_valid_scalar(s)) return std::nullopt;

    uint8_t compact[64];
    std::memcpy(compact, r.data(), 32);
    std::memcpy(compact + 32, s.data(), 32);
    secp256k1_ecdsa_recoverable_signature sig;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &sig, compact, y_parity) !=
        1)
        return std::nullopt;

    secp256k1_pubkey pubkey;
    if (secp256k1_ecdsa_recover(context(), &pubkey, &sig, digest.data()) != 1) return std::nullopt;
    return address_from_pubkey(pubkey);
}

std::optional<Signature> sign(const hash256& digest, const bytes32& secret_key) {
    if (!is_valid_scalar(secret_key)) return std::nullopt;

    secp256k1_ecdsa_recoverable_signature sig;
    // A null nonce function selects RFC 6979; libsecp256k1 always emits the low-s form.
    if (secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), secret_key.data(), nullptr,
                                         nullptr) != 1)
        return std::nullopt;

    uint8_t compact[64];
    int recovery_id = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recovery_id, &sig);
    // Ids 2 and 3 mean R.x >= n (probability ~2^-127); Ethereum cannot encode them.
    if (recovery_id > 1) return std::nullopt;

    Signature out;
    std::memcpy(out.r.data(), compact, 32);
    std::memcpy(out.s.data(), compact + 32, 32);
    out.y_parity = static_cast<uint8_t>(recovery_id);
    return out;
}

std::optional<address> address_from_secret(const bytes32& secret_key) {
    auto pubkey = public_key_of(secret_key);
    if (!pubkey) return std::nullopt;
    return address_from_pubkey(*pubkey);
}

std::optional<fixed_bytes<33>> compressed_public_key(const bytes32& secret_key) {
    auto pubkey = public_key_of(secret_key);
    if (!pubkey) return std::nullopt;
    fixed_bytes<33> out;
    size_t len = 33;
    secp256k1_ec_pubkey_serialize(context(), out.data(), &len, &*pubkey, SECP256K1_EC_COMPRESSED);
    return out;
}

std::optional<bytes32> add_to_secret(const bytes32& secret_key, const bytes32& tweak) {
    if (!is_valid_scalar(secret_key)) return std::nullopt;
    bytes32 out = secret_key;
    if (secp256k1_ec_seckey_tweak_add(context(), out.data(), tweak.data()) != 1)
        return std::nullopt;
    return out;
}

}  // namespace krnl::secp256k1
