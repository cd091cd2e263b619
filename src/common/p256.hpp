// ECDSA verification over NIST P-256 (secp256r1), as the P256VERIFY precompile (EIP-7951) and
// passkeys (WebAuthn) need it. Backed by OpenSSL.
#pragma once

#include "common/bytes.hpp"

namespace krnl::p256 {

// True when (r, s) is a valid signature of the 32-byte `hash` (used as is, not hashed again) by
// the public key (qx, qy). False for r or s outside [1, n-1], coordinates outside the field, a
// point not on the curve or at infinity, or a signature that does not verify.
bool verify(const bytes32& hash, const bytes32& r, const bytes32& s, const bytes32& qx,
            const bytes32& qy);

}  // namespace krnl::p256
