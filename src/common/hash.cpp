#include "common/hash.hpp"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <cstdio>
#include <cstdlib>

namespace krnl {
namespace {

// Fetching an EVP_MD walks the provider tables under a lock; fetch each once and keep it for the
// life of the process (never freed: other threads may be hashing during static destruction).
const EVP_MD* fetch_or_die(const char* name) {
    if (EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr)) return md;
    // OpenSSL before 3.0.7 kept RIPEMD-160 only in the legacy provider. try_load with
    // retain_fallbacks=1 keeps the default provider available alongside it.
    if (OSSL_PROVIDER_try_load(nullptr, "legacy", 1) != nullptr) {
        if (EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr)) return md;
    }
    // A missing digest means a broken OpenSSL installation, not bad input: nothing sensible to
    // return, and silently returning a wrong hash would be worse than stopping.
    std::fprintf(stderr, "krnl: OpenSSL provides no %s digest\n", name);
    std::abort();
}

template <size_t N>
fixed_bytes<N> digest(const EVP_MD* md, bytes_view data) {
    fixed_bytes<N> out;
    unsigned int len = 0;
    // Some OpenSSL versions dislike a null pointer even with length 0.
    static const uint8_t empty = 0;
    const void* ptr = data.empty() ? &empty : data.data();
    if (EVP_Digest(ptr, data.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
        std::fprintf(stderr, "krnl: EVP_Digest failed\n");
        std::abort();
    }
    return out;
}

}  // namespace

hash256 sha256(bytes_view data) {
    static const EVP_MD* const md = fetch_or_die("SHA256");
    return digest<32>(md, data);
}

fixed_bytes<20> ripemd160(bytes_view data) {
    static const EVP_MD* const md = fetch_or_die("RIPEMD160");
    return digest<20>(md, data);
}

}  // namespace krnl
