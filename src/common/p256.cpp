#include "common/p256.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace krnl::p256 {
namespace {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Sig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

// The group order n of P-256, big-endian.
constexpr bytes32 kOrder{{0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                          0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51}};
// The field prime p of P-256, big-endian.
constexpr bytes32 kPrime{{0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

Pkey public_key(const bytes32& qx, const bytes32& qy) {
    uint8_t point[65];
    point[0] = 0x04;  // uncompressed
    std::copy_n(qx.data(), 32, point + 1);
    std::copy_n(qy.data(), 32, point + 33);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (bld == nullptr) return nullptr;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    OSSL_PARAM_BLD_free(bld);
    if (params == nullptr) return nullptr;
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    // fromdata decodes the point and refuses one that is not on the curve.
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = nullptr;
    OSSL_PARAM_free(params);
    return Pkey(key);
}

}  // namespace

bool verify(const bytes32& hash, const bytes32& r, const bytes32& s, const bytes32& qx,
            const bytes32& qy) {
    if (r.is_zero() || s.is_zero() || !(r < kOrder) || !(s < kOrder)) return false;
    if (!(qx < kPrime) || !(qy < kPrime)) return false;
    if (qx.is_zero() && qy.is_zero()) return false;  // the point at infinity has no encoding
    Pkey key = public_key(qx, qy);
    if (!key) return false;

    Sig sig(ECDSA_SIG_new());
    BIGNUM* br = BN_bin2bn(r.data(), 32, nullptr);
    BIGNUM* bs = BN_bin2bn(s.data(), 32, nullptr);
    if (!sig || br == nullptr || bs == nullptr || ECDSA_SIG_set0(sig.get(), br, bs) != 1) {
        BN_free(br);
        BN_free(bs);
        return false;
    }
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) return false;
    PkeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
    const bool ok =
        ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
        EVP_PKEY_verify(ctx.get(), der, static_cast<size_t>(der_len), hash.data(), 32) == 1;
    OPENSSL_free(der);
    return ok;
}

}  // namespace krnl::p256
