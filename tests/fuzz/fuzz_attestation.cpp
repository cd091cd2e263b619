// The attestation payload decoder (abi.decode of KrnlPayload, as the token authority reads it
// on-chain): what decodes re-encodes canonically to a payload that decodes to the same
// attestation and signatures, and its digest can be computed.
#include <cstddef>
#include <cstdint>

#include "check.hpp"
#include "engine/attestation.hpp"

using namespace krnl;
using namespace krnl::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const bytes_view input(data, size);
    auto decoded = decode_payload(input);
    if (!decoded) return 0;
    FUZZ_CHECK(decoded->attestation.token_authority == address{});
    const bytes encoded = encode_payload(decoded->attestation, decoded->signatures);
    auto again = decode_payload(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->attestation == decoded->attestation);
    FUZZ_CHECK(again->signatures == decoded->signatures);
    FUZZ_CHECK(encode_payload(again->attestation, again->signatures) == encoded);
    FUZZ_CHECK(attestation_digest(again->attestation) == attestation_digest(decoded->attestation));
    // The signature bundle is read 65 bytes at a time by the contract; recovery must only refuse.
    const hash256 digest = attestation_digest(decoded->attestation);
    for (size_t at = 0; at + 65 <= decoded->signatures.size() && at < 65 * 4; at += 65) {
        (void)recover_signer(digest, bytes_view(decoded->signatures).substr(at, 65));
    }
    return 0;
}
