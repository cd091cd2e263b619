#include "evm/bls12_381_map.hpp"

#include <type_traits>

namespace krnl::evm::bls12_381 {
namespace {

// ---- constants of RFC 9380 (section 8.8 and appendix E) -----------------------------------

// G1: E': y^2 = x^3 + A'x + B', Z = 11, and the 11-isogeny E' -> E (appendix E.2).
constexpr Fp kSswuA1 = fp_from_hex(
    "0x144698a3b8e9433d693a02c96d4982b0ea985383ee66a8d8e8981aefd881ac98936f8da0e0f97f5cf428082d584c"
    "1d");
constexpr Fp kSswuB1 = fp_from_hex(
    "0x12e2908d11688030018b12e8753eee3b2016c1f0f24f4070a0b9c14fcef35ef55a23215a316ceaa5d1cc48e98e17"
    "2be0");
constexpr Fp kSswuZ1 = fp_from_u64(11);
// sqrt(-Z^3) for the single-exponentiation SSWU below (-Z^3 is a square: Z and -1 are not).
constexpr Fp kSqrtMinusZ1Cubed = pow(-(kSswuZ1 * kSswuZ1 * kSswuZ1), kPPlus1Over4);
static_assert(sqr(kSqrtMinusZ1Cubed) == -(kSswuZ1 * kSswuZ1 * kSswuZ1));

// k_(1,0) .. k_(1,11), lowest degree first.
constexpr Fp kIso11XNum[] = {
    fp_from_hex("0x11a05f2b1e833340b809101dd99815856b303e88a2d7005ff2627b56cdb4e2c85610c2d5f2e62d6e"
                "aeac1662734649b7"),
    fp_from_hex("0x17294ed3e943ab2f0588bab22147a81c7c17e75b2f6a8417f565e33c70d1e86b4838f2a6f318c356"
                "e834eef1b3cb83bb"),
    fp_from_hex("0xd54005db97678ec1d1048c5d10a9a1bce032473295983e56878e501ec68e25c958c3e3d2a09729fe"
                "0179f9dac9edcb0"),
    fp_from_hex("0x1778e7166fcc6db74e0609d307e55412d7f5e4656a8dbf25f1b33289f1b330835336e25ce3107193"
                "c5b388641d9b6861"),
    fp_from_hex("0xe99726a3199f4436642b4b3e4118e5499db995a1257fb3f086eeb65982fac18985a286f301e77c45"
                "1154ce9ac8895d9"),
    fp_from_hex("0x1630c3250d7313ff01d1201bf7a74ab5db3cb17dd952799b9ed3ab9097e68f90a0870d2dcae73d19"
                "cd13c1c66f652983"),
    fp_from_hex("0xd6ed6553fe44d296a3726c38ae652bfb11586264f0f8ce19008e218f9c86b2a8da25128c1052ecad"
                "dd7f225a139ed84"),
    fp_from_hex("0x17b81e7701abdbe2e8743884d1117e53356de5ab275b4db1a682c62ef0f2753339b7c8f8c8f475af"
                "9ccb5618e3f0c88e"),
    fp_from_hex("0x80d3cf1f9a78fc47b90b33563be990dc43b756ce79f5574a2c596c928c5d1de4fa295f296b74e956"
                "d71986a8497e317"),
    fp_from_hex("0x169b1f8e1bcfa7c42e0c37515d138f22dd2ecb803a0c5c99676314baf4bb1b7fa3190b2edc032779"
                "7f241067be390c9e"),
    fp_from_hex("0x10321da079ce07e272d8ec09d2565b0dfa7dccdde6787f96d50af36003b14866f69b771f8c285dec"
                "ca67df3f1605fb7b"),
    fp_from_hex("0x6e08c248e260e70bd1e962381edee3d31d79d7e22c837bc23c0bf1bc24c6b68c24b1b80b64d391fa"
                "9c8ba2e8ba2d229"),
};
// k_(2,0) .. k_(2,9), lowest degree first.
constexpr Fp kIso11XDen[] = {
    fp_from_hex("0x8ca8d548cff19ae18b2e62f4bd3fa6f01d5ef4ba35b48ba9c9588617fc8ac62b558d681be343df89"
                "93cf9fa40d21b1c"),
    fp_from_hex("0x12561a5deb559c4348b4711298e536367041e8ca0cf0800c0126c2588c48bf5713daa8846cb026e9"
                "e5c8276ec82b3bff"),
    fp_from_hex("0xb2962fe57a3225e8137e629bff2991f6f89416f5a718cd1fca64e00b11aceacd6a3d0967c94fedcf"
                "cc239ba5cb83e19"),
    fp_from_hex("0x3425581a58ae2fec83aafef7c40eb545b08243f16b1655154cca8abc28d6fd04976d5243eecf5c41"
                "30de8938dc62cd8"),
    fp_from_hex("0x13a8e162022914a80a6f1d5f43e7a07dffdfc759a12062bb8d6b44e833b306da9bd29ba81f35781d"
                "539d395b3532a21e"),
    fp_from_hex("0xe7355f8e4e667b955390f7f0506c6e9395735e9ce9cad4d0a43bcef24b8982f7400d24bc4228f11c"
                "02df9a29f6304a5"),
    fp_from_hex("0x772caacf16936190f3e0c63e0596721570f5799af53a1894e2e073062aede9cea73b3538f0de06ce"
                "c2574496ee84a3a"),
    fp_from_hex("0x14a7ac2a9d64a8b230b3f5b074cf01996e7f63c21bca68a81996e1cdf9822c580fa5b9489d11e2d3"
                "11f7d99bbdcc5a5e"),
    fp_from_hex("0xa10ecf6ada54f825e920b3dafc7a3cce07f8d1d7161366b74100da67f39883503826692abba43704"
                "776ec3a79a1d641"),
    fp_from_hex("0x95fc13ab9e92ad4476d6e3eb3a56680f682b4ee96f7d03776df533978f31c1593174e4b4b7865002"
                "d6384d168ecdd0a"),
};
// k_(3,0) .. k_(3,15), lowest degree first.
constexpr Fp kIso11YNum[] = {
    fp_from_hex("0x90d97c81ba24ee0259d1f094980dcfa11ad138e48a869522b52af6c956543d3cd0c7aee9b3ba3c2b"
                "e9845719707bb33"),
    fp_from_hex("0x134996a104ee5811d51036d776fb46831223e96c254f383d0f906343eb67ad34d6c56711962fa8bf"
                "e097e75a2e41c696"),
    fp_from_hex("0xcc786baa966e66f4a384c86a3b49942552e2d658a31ce2c344be4b91400da7d26d521628b00523b8"
                "dfe240c72de1f6"),
    fp_from_hex("0x1f86376e8981c217898751ad8746757d42aa7b90eeb791c09e4a3ec03251cf9de405aba9ec61deca"
                "6355c77b0e5f4cb"),
    fp_from_hex("0x8cc03fdefe0ff135caf4fe2a21529c4195536fbe3ce50b879833fd221351adc2ee7f8dc099040a84"
                "1b6daecf2e8fedb"),
    fp_from_hex("0x16603fca40634b6a2211e11db8f0a6a074a7d0d4afadb7bd76505c3d3ad5544e203f6326c95a8072"
                "99b23ab13633a5f0"),
    fp_from_hex("0x4ab0b9bcfac1bbcb2c977d027796b3ce75bb8ca2be184cb5231413c4d634f3747a87ac2460f415ec"
                "961f8855fe9d6f2"),
    fp_from_hex("0x987c8d5333ab86fde9926bd2ca6c674170a05bfe3bdd81ffd038da6c26c842642f64550fedfe935a"
                "15e4ca31870fb29"),
    fp_from_hex("0x9fc4018bd96684be88c9e221e4da1bb8f3abd16679dc26c1e8b6e6a1f20cabe69d65201c78607a36"
                "0370e577bdba587"),
    fp_from_hex("0xe1bba7a1186bdb5223abde7ada14a23c42a0ca7915af6fe06985e7ed1e4d43b9b3f7055dd4eba6f2"
                "bafaaebca731c30"),
    fp_from_hex("0x19713e47937cd1be0dfd0b8f1d43fb93cd2fcbcb6caf493fd1183e416389e61031bf3a5cce3fbafc"
                "e813711ad011c132"),
    fp_from_hex("0x18b46a908f36f6deb918c143fed2edcc523559b8aaf0c2462e6bfe7f911f643249d9cdf41b44d606"
                "ce07c8a4d0074d8e"),
    fp_from_hex("0xb182cac101b9399d155096004f53f447aa7b12a3426b08ec02710e807b4633f06c851c1919211f20"
                "d4c04f00b971ef8"),
    fp_from_hex("0x245a394ad1eca9b72fc00ae7be315dc757b3b080d4c158013e6632d3c40659cc6cf90ad1c232a644"
                "2d9d3f5db980133"),
    fp_from_hex("0x5c129645e44cf1102a159f748c4a3fc5e673d81d7e86568d9ab0f5d396a7ce46ba1049b6579afb78"
                "66b1e715475224b"),
    fp_from_hex("0x15e6be4e990f03ce4ea50b3b42df2eb5cb181d8f84965a3957add4fa95af01b2b665027efec01c77"
                "04b456be69c8b604"),
};
// k_(4,0) .. k_(4,14), lowest degree first.
constexpr Fp kIso11YDen[] = {
    fp_from_hex("0x16112c4c3a9c98b252181140fad0eae9601a6de578980be6eec3232b5be72e7a07f3688ef60c206d"
                "01479253b03663c1"),
    fp_from_hex("0x1962d75c2381201e1a0cbd6c43c348b885c84ff731c4d59ca4a10356f453e01f78a4260763529e35"
                "32f6102c2e49a03d"),
    fp_from_hex("0x58df3306640da276faaae7d6e8eb15778c4855551ae7f310c35a5dd279cd2eca6757cd636f96f891"
                "e2538b53dbf67f2"),
    fp_from_hex("0x16b7d288798e5395f20d23bf89edb4d1d115c5dbddbcd30e123da489e726af41727364f2c28297ad"
                "a8d26d98445f5416"),
    fp_from_hex("0xbe0e079545f43e4b00cc912f8228ddcc6d19c9f0f69bbb0542eda0fc9dec916a20b15dc0fd2ededd"
                "a39142311a5001d"),
    fp_from_hex("0x8d9e5297186db2d9fb266eaac783182b70152c65550d881c5ecd87b6f0f5a6449f38db9dfa9cce20"
                "2c6477faaf9b7ac"),
    fp_from_hex("0x166007c08a99db2fc3ba8734ace9824b5eecfdfa8d0cf8ef5dd365bc400a0051d5fa9c01a58b1fb9"
                "3d1a1399126a775c"),
    fp_from_hex("0x16a3ef08be3ea7ea03bcddfabba6ff6ee5a4375efa1f4fd7feb34fd206357132b920f5b00801dee4"
                "60ee415a15812ed9"),
    fp_from_hex("0x1866c8ed336c61231a1be54fd1d74cc4f9fb0ce4c6af5920abc5750c4bf39b4852cfe2f7bb924883"
                "6b233d9d55535d4a"),
    fp_from_hex("0x167a55cda70a6e1cea820597d94a84903216f763e13d87bb5308592e7ea7d4fbc7385ea3d529b35e"
                "346ef48bb8913f55"),
    fp_from_hex("0x4d2f259eea405bd48f010a01ad2911d9c6dd039bb61a6290e591b36e636a5c871a5c29f4f8306040"
                "0f8b49cba8f6aa8"),
    fp_from_hex("0xaccbb67481d033ff5852c1e48c50c477f94ff8aefce42d28c0f9a88cea7913516f968986f7ebbea9"
                "684b529e2561092"),
    fp_from_hex("0xad6b9514c767fe3c3613144b45f1496543346d98adf02267d5ceef9a00d9b8693000763e3b90ac11"
                "e99b138573345cc"),
    fp_from_hex("0x2660400eb2e4f3b628bdd0d53cd76f2bf565b94e72927c1cb748df27942480e420517bd8714cc80d"
                "1fadc1326ed06f7"),
    fp_from_hex("0xe0fa1d816ddc03e6b24255e0d7819c171c40f65e273b853324efcd6356caa205ca2f570f13497804"
                "415473a1d634b8f"),
};

// G2: E': y^2 = x^3 + 240u x + 1012(1+u), Z = -(2+u), and the 3-isogeny E' -> E (appendix E.3).
constexpr Fp2 kSswuA2 = fp2_from_u64(0, 240);
constexpr Fp2 kSswuB2 = fp2_from_u64(1012, 1012);
constexpr Fp2 kSswuZ2 = -fp2_from_u64(2, 1);

constexpr Fp2 kIso3XNum[] = {
    Fp2{fp_from_hex(
            "0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6"
            "238aaaaaaaa97d6"),
        fp_from_hex(
            "0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6"
            "238aaaaaaaa97d6")},
    Fp2{fp_from_hex("0x0"),
        fp_from_hex(
            "0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d5555"
            "26a9ffffffffc71a")},
    Fp2{fp_from_hex(
            "0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d5555"
            "26a9ffffffffc71e"),
        fp_from_hex(
            "0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9"
            "354ffffffffe38d")},
    Fp2{fp_from_hex(
            "0x171d6541fa38ccfaed6dea691f5fb614cb14b4e7f4e810aa22d6108f142b85757098e38d0f671c71"
            "88e2aaaaaaaa5ed1"),
        fp_from_hex("0x0")},
};
constexpr Fp2 kIso3XDen[] = {
    Fp2{fp_from_hex("0x0"),
        fp_from_hex(
            "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffff"
            "b9feffffffffaa63")},
    Fp2{fp_from_hex("0xc"),
        fp_from_hex(
            "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffff"
            "b9feffffffffaa9f")},
};
constexpr Fp2 kIso3YNum[] = {
    Fp2{fp_from_hex(
            "0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f68"
            "12cfc71c71c6d706"),
        fp_from_hex(
            "0x1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f68"
            "12cfc71c71c6d706")},
    Fp2{fp_from_hex("0x0"),
        fp_from_hex(
            "0x5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6"
            "238aaaaaaaa97be")},
    Fp2{fp_from_hex(
            "0x11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d5555"
            "26a9ffffffffc71c"),
        fp_from_hex(
            "0x8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9"
            "354ffffffffe38f")},
    Fp2{fp_from_hex(
            "0x124c9ad43b6cf79bfbf7043de3811ad0761b0f37a1e26286b0e977c69aa274524e79097a56dc4bd9"
            "e1b371c71c718b10"),
        fp_from_hex("0x0")},
};
constexpr Fp2 kIso3YDen[] = {
    Fp2{fp_from_hex(
            "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffff"
            "b9feffffffffa8fb"),
        fp_from_hex(
            "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffff"
            "b9feffffffffa8fb")},
    Fp2{fp_from_hex("0x0"),
        fp_from_hex(
            "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffff"
            "b9feffffffffa9d3")},
    Fp2{fp_from_hex("0x12"),
        fp_from_hex(
            "0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffff"
            "b9feffffffffaa99")},
};

template <class F, size_t N>
F horner(const F (&coeffs)[N], const F& x, bool monic) {
    F acc = monic ? F::one() : coeffs[N - 1];
    for (size_t i = monic ? N : N - 1; i-- > 0;)
        acc = acc * x + coeffs[i];
    return acc;
}

// The simplified SWU map of RFC 9380 section 6.6.2 onto E': y^2 = x^3 + Ax + B.
template <class F>
Affine<F> simplified_swu(const F& u, const F& a, const F& b, const F& z) {
    const F u2 = sqr(u);
    const F zu2 = z * u2;
    const F tv1 = inverse(sqr(zu2) + zu2);  // inv0(Z^2 u^4 + Z u^2)
    F x1 = tv1.is_zero() ? b * inverse(z * a) : (-b * inverse(a)) * (F::one() + tv1);
    auto g = [&](const F& x) { return (sqr(x) + a) * x + b; };
    F y;
    F x = x1;
    const F gx1 = g(x1);
    if constexpr (std::is_same_v<F, Fp>) {
        // One exponentiation for both candidates: when gx1 is not a square, y1 = gx1^((p+1)/4)
        // squares to -gx1, and since g(x2) = Z^3 u^6 g(x1), sqrt(-Z^3) u^3 y1 is a root of g(x2).
        y = pow(gx1, kPPlus1Over4);
        if (!(sqr(y) == gx1)) {
            x = zu2 * x1;
            y = kSqrtMinusZ1Cubed * u2 * u * y;
        }
    } else {
        if (!sqrt(gx1, y)) {
            x = zu2 * x1;
            sqrt(g(x), y);  // g(x2) is a square when g(x1) is not (Z is a non-square)
        }
    }
    if (sgn0(u) != sgn0(y)) y = -y;
    return {x, y, false};
}

// The isogeny's rational maps; a zero denominator is the point at infinity.
template <class F, size_t XN, size_t XD, size_t YN, size_t YD>
Jacobian<F> iso_map(const Affine<F>& p, const F (&x_num)[XN], const F (&x_den)[XD],
                    const F (&y_num)[YN], const F (&y_den)[YD]) {
    const F xd = horner(x_den, p.x, true);
    const F yd = horner(y_den, p.x, true);
    if (xd.is_zero() || yd.is_zero()) return Jacobian<F>::infinity();
    const F x = horner(x_num, p.x, false) * inverse(xd);
    const F y = p.y * horner(y_num, p.x, false) * inverse(yd);
    return Jacobian<F>::from_affine({x, y, false});
}

}  // namespace

G1 map_to_g1(const Fp& u) {
    const G1Affine q = simplified_swu(u, kSswuA1, kSswuB1, kSswuZ1);
    return clear_cofactor(iso_map(q, kIso11XNum, kIso11XDen, kIso11YNum, kIso11YDen));
}

G2 map_to_g2(const Fp2& u) {
    const G2Affine q = simplified_swu(u, kSswuA2, kSswuB2, kSswuZ2);
    return clear_cofactor(iso_map(q, kIso3XNum, kIso3XDen, kIso3YNum, kIso3YDen));
}

}  // namespace krnl::evm::bls12_381
