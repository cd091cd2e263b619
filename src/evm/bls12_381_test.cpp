#include "evm/bls12_381.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "evm/bls12_381_map.hpp"
#include "evm/bls12_381_pairing.hpp"
#include "evm/precompiles.hpp"

using namespace krnl;
using namespace krnl::evm::bls12_381;

namespace {

bytes hex(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b.has_value()) << s;
    return b.value_or(bytes{});
}

// Deterministic pseudo-random numbers (splitmix64).
struct Rng {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Below 2^380 < p.
    Fp fp() {
        Limbs l;
        for (uint64_t& w : l.w)
            w = next();
        l.w[5] &= 0x0fffffffffffffffULL;
        return fp_from_limbs(l);
    }
    Fp2 fp2() { return {fp(), fp()}; }
    Fp12 fp12() { return {{fp2(), fp2(), fp2()}, {fp2(), fp2(), fp2()}}; }
    Limbs scalar() { return Limbs{{next(), next(), next(), next()}}; }
};

// A point of E(Fp) or E'(Fp2) found from a random x: almost never in the order-r subgroup, as
// the cofactors are large.
template <class F>
Affine<F> random_curve_point(Rng& rng, const F& b) {
    for (;;) {
        F x;
        if constexpr (std::is_same_v<F, Fp>)
            x = rng.fp();
        else
            x = rng.fp2();
        F y;
        if (sqrt(sqr(x) * x + b, y)) return {x, y, false};
    }
}

evm::PrecompileResult run(uint8_t n, bytes_view input, evm::Revision rev = evm::Revision::Prague) {
    address a{};
    a[19] = n;
    return evm::run_precompile(a, input, 100'000'000, rev);
}

struct EipVector {
    const char* name;
    uint8_t address;
    const char* input;
    const char* expected;
    int64_t gas;
};

// From the EIP's test vectors (github.com/ethereum/EIPs, assets/eip-2537/*.json): name,
// precompile address, input, expected output, gas.
const EipVector kEipVectors[] = {
    {"bls_g1add_g1+p1", 0x0b,
     "0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f17"
     "1bac586c55e83ff97a1aeffb3af00adb22c6bb0000000000000000000000000000000008b3f481e3aaa0f1a09e"
     "30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e100000000000000"
     "000000000000000000112b98340eee2777cc3c14163dea3ec97977ac3dc5c70da32e6e87578f44912e902ccef9"
     "efe28d4a78b8999dfbca942600000000000000000000000000000000186b28d92356c4dfec4b5201ad099dbded"
     "e3781f8998ddf929b4cd7756192185ca7b8f4ef7088f813270ac3d48868a21",
     "000000000000000000000000000000000a40300ce2dec9888b60690e9a41d3004fda4886854573974fab73b046"
     "d3147ba5b7a5bde85279ffede1b45b3918d82d0000000000000000000000000000000006d3d887e9f53b9ec4eb"
     "6cedf5607226754b07c01ace7834f57f3e7315faefb739e59018e22c492006190fba4a870025",
     375},
    {"bls_g2add_g2+p2", 0x0d,
     "00000000000000000000000000000000024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647a"
     "e3d1770bac0326a805bbefd48056c8c121bdb80000000000000000000000000000000013e02b6052719f607dac"
     "d3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e00000000000000"
     "0000000000000000000ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc"
     "3baca289e193548608b82801000000000000000000000000000000000606c4a02ea734cc32acd2b02bc28b99cb"
     "3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be0000000000000000000000000000"
     "0000103121a2ceaae586d240843a398967325f8eb5a93e8fea99b62b9f88d8556c80dd726a4b30e84a36eeabaf"
     "3592937f2700000000000000000000000000000000086b990f3da2aeac0a36143b7d7c824428215140db1bb859"
     "338764cb58458f081d92664f9053b50b3fbd2e4723121b68000000000000000000000000000000000f9e7ba9a8"
     "6a8f7624aa2b42dcc8772e1af4ae115685e60abc2c9b90242167acef3d0be4050bf935eed7c3b6fc7ba77e0000"
     "00000000000000000000000000000d22c3652d0dc6f0fc9316e14268477c2049ef772e852108d269d9c38dba1d"
     "4802e8dae479818184c08f9a569d878451",
     "000000000000000000000000000000000b54a8a7b08bd6827ed9a797de216b8c9057b3a9ca93e2f88e7f04f19a"
     "ccc42da90d883632b9ca4dc38d013f71ede4db00000000000000000000000000000000077eba4eecf0bd764dce"
     "8ed5f45040dd8f3b3427cb35230509482c14651713282946306247866dfe39a8e33016fcbe5200000000000000"
     "00000000000000000014e60a76a29ef85cbd69f251b9f29147b67cfe3ed2823d3f9776b3a0efd2731941d47436"
     "dc6d2b58d9e65f8438bad073000000000000000000000000000000001586c3c910d95754fef7a732df78e279c3"
     "d37431c6a2b77e67a00c7c130a8fcd4d19f159cbeb997a178108fffffcbd20",
     600},
    {"bls_g1msm_random*p1_unnormalized_scalar", 0x0c,
     "00000000000000000000000000000000112b98340eee2777cc3c14163dea3ec97977ac3dc5c70da32e6e87578f"
     "44912e902ccef9efe28d4a78b8999dfbca942600000000000000000000000000000000186b28d92356c4dfec4b"
     "5201ad099dbdede3781f8998ddf929b4cd7756192185ca7b8f4ef7088f813270ac3d48868a219a2b64cc58f899"
     "2cb21237914262ca9ada6cb13dc7b7d3f11c278fe0462040e4",
     "0000000000000000000000000000000006ee9c9331228753bcb148d0ca8623447701bb0aa6eafb0340aa7f8154"
     "3923474e00f2a225de65c62dd1d8303270220c0000000000000000000000000000000018dd7be47eb4e80985d7"
     "a0d2cc96c8b004250b36a5c3ec0217705d453d3ecc6d0d3d1588722da51b40728baba1e93804",
     12000},
    {"bls_g1msm_(2g1+2p1)", 0x0c,
     "0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f17"
     "1bac586c55e83ff97a1aeffb3af00adb22c6bb0000000000000000000000000000000008b3f481e3aaa0f1a09e"
     "30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e100000000000000"
     "0000000000000000000000000000000000000000000000000200000000000000000000000000000000112b9834"
     "0eee2777cc3c14163dea3ec97977ac3dc5c70da32e6e87578f44912e902ccef9efe28d4a78b8999dfbca942600"
     "000000000000000000000000000000186b28d92356c4dfec4b5201ad099dbdede3781f8998ddf929b4cd775619"
     "2185ca7b8f4ef7088f813270ac3d48868a21000000000000000000000000000000000000000000000000000000"
     "0000000002",
     "00000000000000000000000000000000148f92dced907361b4782ab542a75281d4b6f71f65c8abf94a5a908238"
     "8c64662d30fd6a01ced724feef3e284752038c0000000000000000000000000000000015c3634c3b67bc18e191"
     "50e12bfd8a1769306ed010f59be645a0823acb5b38f39e8e0d86e59b6353fdafc59ca971b769",
     22776},
    {"bls_g2mul_random*p2_unnormalized_scalar", 0x0e,
     "00000000000000000000000000000000103121a2ceaae586d240843a398967325f8eb5a93e8fea99b62b9f88d8"
     "556c80dd726a4b30e84a36eeabaf3592937f2700000000000000000000000000000000086b990f3da2aeac0a36"
     "143b7d7c824428215140db1bb859338764cb58458f081d92664f9053b50b3fbd2e4723121b6800000000000000"
     "0000000000000000000f9e7ba9a86a8f7624aa2b42dcc8772e1af4ae115685e60abc2c9b90242167acef3d0be4"
     "050bf935eed7c3b6fc7ba77e000000000000000000000000000000000d22c3652d0dc6f0fc9316e14268477c20"
     "49ef772e852108d269d9c38dba1d4802e8dae479818184c08f9a569d8784519a2b64cc58f8992cb21237914262"
     "ca9ada6cb13dc7b7d3f11c278fe0462040e4",
     "00000000000000000000000000000000036074dcbbd0e987531bfe0e45ddfbe09fd015665990ee0c352e8e403f"
     "e6af971d8f42141970d9ab14b4dd04874409e600000000000000000000000000000000019705637f24ba2f398f"
     "32c3a3e20d6a1cd0fd63e6f8f071cf603a8334f255744927e7bfdfdb18519e019c49ff6e914500000000000000"
     "000000000000000000008e74fcff4c4278c9accfb60809ed69bbcbe3d6213ef2304e078d15ec7d6decb4f462b2"
     "4b8e7cc38cc11b6f2c9e0486000000000000000000000000000000001331d40100f38c1070afd832445881b47c"
     "f4d63894666d9907c85ac66604aab5ad329980938cc3c167ccc5b6bc1b8f30",
     22500},
    {"bls_pairing_e(aG1,bG2)=e(abG1,G2)", 0x0f,
     "000000000000000000000000000000000491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9"
     "a6e20fd6e10c1b77654d067c0618f6e5a7f79a0000000000000000000000000000000017cd7061575d3e8034fc"
     "ea62adaa1a3bc38dca4b50e4c5c01d04dd78037c9cee914e17944ea99e7ad84278e5d49f36c400000000000000"
     "0000000000000000000bc2357c6782bbb6a078d9e171fc7a81f7bd8ca73eb485e76317359908bb09bd372fd362"
     "a637512a9d48019b383e54890000000000000000000000000000000004b8f49c3bac0247a09487049492b0ed99"
     "cf90c56263141daa35f011330d3ced3f3ad78d252c51a3bb42fc7d8f1825940000000000000000000000000000"
     "00000982d17b17404ac198a0ff5f2dffa56a328d95ec4732d9cca9da420ec7cf716dc63d56d0f5179a8b1ec71f"
     "e0328fe88200000000000000000000000000000000147c92cb19e43943bb20c5360a6c4347411eb8ffb3d6f19c"
     "c428a8dc0cb3fd1eb3ad02b1c21e21c78f65a7691ee63de90000000000000000000000000000000016cae74dc6"
     "523e5273dbd2d9d25c53f1e2c453e6d9ba3f605021cfb514fa0bdf721b05f2200f32591d733e739fabf4380000"
     "00000000000000000000000000001405df65fb71b738510b3a2fc31c33ef3d884ccc84efb1017341a368bf4072"
     "7b7ad8cdc8e3fd6b0eb94102488c5cb77000000000000000000000000000000000024aa2b2f08f0a9126080527"
     "2dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8000000000000000000"
     "0000000000000013e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf1121394"
     "5d57e5ac7d055d042b7e000000000000000000000000000000000d1b3cc2c7027888be51d9ef691d77bcb679af"
     "da66c73f17f9ee3837a55024f78c71363275a75d75d86bab79f74782aa00000000000000000000000000000000"
     "13fa4d4a0ad8b1ce186ed5061789213d993923066dddaf1040bc3ff59f825c78df74f2d75467e25e0f55f8a00f"
     "a030ed",
     "0000000000000000000000000000000000000000000000000000000000000001", 102900},
    {"bls_pairing_non-degeneracy_e(P,Q)!= 1", 0x0f,
     "0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f17"
     "1bac586c55e83ff97a1aeffb3af00adb22c6bb0000000000000000000000000000000008b3f481e3aaa0f1a09e"
     "30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e100000000000000"
     "000000000000000000024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326"
     "a805bbefd48056c8c121bdb80000000000000000000000000000000013e02b6052719f607dacd3a088274f6559"
     "6bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e0000000000000000000000000000"
     "00000ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e19354"
     "8608b82801000000000000000000000000000000000606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af"
     "267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be",
     "0000000000000000000000000000000000000000000000000000000000000000", 70300},
    {"bls_g1map_616263", 0x10,
     "00000000000000000000000000000000147e1ed29f06e4c5079b9d14fc89d2820d32419b990c1c7bb7dbea2a36"
     "a045124b31ffbde7c99329c05c559af1c6cc82",
     "00000000000000000000000000000000009769f3ab59bfd551d53a5f846b9984c59b97d6842b20a2c565baa167"
     "945e3d026a3755b6345df8ec7e6acb6868ae6d000000000000000000000000000000001532c00cf61aa3d0ce3e"
     "5aa20c3b531a2abd2c770a790a2613818303c6b830ffc0ecf6c357af3317b9575c567f11cd2c",
     5500},
    {"bls_g2map_616263", 0x11,
     "00000000000000000000000000000000138879a9559e24cecee8697b8b4ad32cced053138ab913b99872772dc7"
     "53a2967ed50aabc907937aefb2439ba06cc50c000000000000000000000000000000000a1ae7999ea9bab1dcc9"
     "ef8887a6cb6e8f1e22566015428d220b7eec90ffa70ad1f624018a9ad11e78d588bd3617f9f2",
     "00000000000000000000000000000000108ed59fd9fae381abfd1d6bce2fd2fa220990f0f837fa30e0f27914ed"
     "6e1454db0d1ee957b219f61da6ff8be0d6441f000000000000000000000000000000000296238ea82c6d4adb3c"
     "838ee3cb2346049c90b96d602d7bb1b469b905c9228be25c627bffee872def773d5b2a2eb57d00000000000000"
     "000000000000000000033f90f6057aadacae7963b0a0b379dd46750c1c94a6357c99b65f63b79e321ff50fe305"
     "3330911c56b6ceea08fee65600000000000000000000000000000000153606c417e59fb331b7ae6bce4fbf7c51"
     "90c33ce9402b5ebe2b70e44fca614f3f1382a3625ed5493843d0b0a652fc3f",
     23800},
};

}  // namespace

TEST(Bls12381Field, BatchedGcdInverseOnExtremeInputs) {
    // Raw Montgomery representations (the inverse runs on them): 1, 2^k, p - 1, p - 2^k and
    // values with long runs of equal bits, where the 64-bit approximations are coarsest.
    std::vector<Limbs> raws = {Limbs{{1}}, Limbs{{2}}};
    for (unsigned k : {31u, 62u, 63u, 64u, 200u, 379u, 380u}) {
        Limbs l{};
        l.w[k / 64] = uint64_t{1} << (k % 64);
        raws.push_back(l);
        Limbs below_p;
        limbs_sub(below_p, kP, l);
        raws.push_back(below_p);
    }
    Limbs p_minus_1;
    limbs_sub(p_minus_1, kP, Limbs{{1}});
    raws.push_back(p_minus_1);
    raws.push_back(
        Limbs{{~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, 0}});
    for (const Limbs& raw : raws) {
        const Fp a{raw};
        EXPECT_EQ(inverse(a), inverse_by_fermat(a));
        EXPECT_EQ(a * inverse(a), Fp::one());
    }
}

TEST(Bls12381Field, MontgomeryInverseAndSquareRoots) {
    Rng rng{1};
    for (int i = 0; i < 20; ++i) {
        const Fp a = rng.fp();
        EXPECT_EQ(fp_from_limbs(fp_to_limbs(a)), a);
        EXPECT_EQ(inverse(a), inverse_by_fermat(a));
        EXPECT_EQ(a * inverse(a), Fp::one());
        Fp root;
        EXPECT_TRUE(sqrt(sqr(a), root));
        EXPECT_TRUE(root == a || root == -a);
        const Fp2 b = rng.fp2();
        EXPECT_EQ(b * inverse(b), Fp2::one());
        EXPECT_EQ(sqr(b), b * b);
        Fp2 root2;
        EXPECT_TRUE(sqrt(sqr(b), root2));
        EXPECT_TRUE(root2 == b || root2 == -b);
        // Half of the random elements are non-squares: both square roots must agree on which.
        const Fp2 c = rng.fp2();
        Fp2 by_norm, by_fp2_pow;
        const bool square = sqrt(c, by_norm);
        EXPECT_EQ(square, sqrt_by_fp2_pow(c, by_fp2_pow));
        if (square) EXPECT_EQ(sqr(by_norm), c);
        const Fp2 real{c.c0, Fp::zero()};  // the a1 = 0 branch
        EXPECT_TRUE(sqrt(real, by_norm));
        EXPECT_EQ(sqr(by_norm), real);
    }
    // -1 is not a square in Fp (p = 3 mod 4), but u^2 = -1 in Fp2.
    Fp r;
    EXPECT_FALSE(sqrt(-Fp::one(), r));
    Fp2 r2;
    EXPECT_TRUE(sqrt(-Fp2::one(), r2));
    EXPECT_EQ(sqr(r2), -Fp2::one());
    EXPECT_EQ(fp_to_limbs(fp_from_u64(7)), (Limbs{{7}}));
    EXPECT_EQ(fp_to_limbs(-Fp::one()).w[0], kP.w[0] - 1);
}

// operator* may take the mulx/adx assembly; it must agree with the portable code everywhere,
// the largest operands (p - 1, p - 2, ...) included.
TEST(Bls12381Field, FastMultiplicationMatchesPortable) {
    Rng rng{8};
    Limbs p_minus;
    limbs_sub(p_minus, kP, Limbs{{1}});
    const Fp top{p_minus};  // p - 1 in Montgomery representation: the largest limbs
    for (int i = 0; i < 20000; ++i) {
        Fp a = rng.fp(), b = rng.fp();
        if (i % 4 == 1) a = top;
        if (i % 4 == 2) b = top - Fp{Limbs{{static_cast<uint64_t>(i)}}};
        ASSERT_EQ(a * b, mul_portable(a, b)) << i;
        const Fp2 x{a, b}, y{b, a};
        const detail::Wide v0 = detail::mul_wide(x.c0.m, y.c0.m);
        const detail::Wide v1 = detail::mul_wide(x.c1.m, y.c1.m);
        ASSERT_EQ((x * y).c0,
                  detail::redc(detail::wide_sub(detail::wide_add(v0, detail::kPSquared), v1)));
        // Factors up to 2p - 2 (the unreduced sums of Fp2 products) give the same field element.
        const Fp a2 = detail::add_unreduced(a, a), b2 = detail::add_unreduced(b, top);
        ASSERT_EQ(a2 * b2, (a + a) * (b + top)) << i;
        ASSERT_EQ(mul_portable(a2, b2), (a + a) * (b + top)) << i;
    }
}

TEST(Bls12381Field, TowerLawsAndFrobenius) {
    Rng rng{2};
    const Fp12 a = rng.fp12(), b = rng.fp12(), c = rng.fp12();
    EXPECT_EQ(a * (b * c), (a * b) * c);
    EXPECT_EQ(sqr(a), a * a);
    EXPECT_EQ(a * inverse(a), Fp12::one());
    // frobenius is the p-th power.
    EXPECT_EQ(frobenius(a), pow(a, kP));
    EXPECT_EQ(frobenius2(a), frobenius(frobenius(a)));
    // A sparse line times f equals the full product.
    const Fp2 la = rng.fp2(), lb = rng.fp2(), lc = rng.fp2();
    const Fp12 line{{la, lb, Fp2::zero()}, {Fp2::zero(), lc, Fp2::zero()}};
    EXPECT_EQ(mul_by_line(a, la, lb, lc), a * line);
    // In the cyclotomic subgroup (after the easy part) the special squaring agrees.
    Fp12 m = conj(a) * inverse(a);
    m = frobenius2(m) * m;
    EXPECT_EQ(cyclotomic_sqr(m), sqr(m));
    // So do runs of Karabina's compressed squarings, decompressed at the end.
    for (int run : {1, 2, 9, 32}) {
        Fp12 squared = m;
        CompressedFp12 c = compress(m);
        for (int i = 0; i < run; ++i) {
            squared = sqr(squared);
            c = cyclotomic_sqr_compressed(c);
        }
        EXPECT_EQ(decompress(c), squared) << run;
    }
    EXPECT_EQ(decompress(compress(Fp12::one())), Fp12::one());
}

TEST(Bls12381Curve, GeneratorsHaveOrderR) {
    const G1 g1 = G1::from_affine(kG1Generator);
    const G2 g2 = G2::from_affine(kG2Generator);
    EXPECT_TRUE(on_curve(kG1Generator, kG1B));
    EXPECT_TRUE(on_curve(kG2Generator, kG2B));
    EXPECT_TRUE(in_subgroup_by_order(g1));
    EXPECT_TRUE(in_subgroup_by_order(g2));
    EXPECT_FALSE(g1.is_infinity());
    EXPECT_TRUE(g1_in_subgroup(g1));
    EXPECT_TRUE(g2_in_subgroup(g2));
    // [r-1]G = -G
    Limbs r_minus_1;
    limbs_sub(r_minus_1, kR, Limbs{{1}});
    EXPECT_TRUE(equal_points(scalar_mul(g1, r_minus_1), negate(g1)));
    EXPECT_TRUE(equal_points(scalar_mul(g2, r_minus_1), negate(g2)));
}

template <class F>
void expect_affine_addition_matches_jacobian(Rng& rng, const F& b) {
    for (int i = 0; i < 20; ++i) {
        const Affine<F> p = random_curve_point(rng, b), q = random_curve_point(rng, b);
        const Affine<F> minus_p{p.x, -p.y, false}, infinity{F::zero(), F::zero(), true};
        const Jacobian<F> pj = Jacobian<F>::from_affine(p);
        auto same = [](const Affine<F>& x, const Jacobian<F>& y) {
            return equal_points(Jacobian<F>::from_affine(x), y);
        };
        EXPECT_TRUE(same(add_affine(p, q), add_mixed(pj, q)));
        EXPECT_TRUE(same(add_affine(p, p), double_point(pj)));
        EXPECT_TRUE(add_affine(p, minus_p).infinity);
        EXPECT_TRUE(same(add_affine(p, infinity), pj));
        EXPECT_TRUE(same(add_affine(infinity, p), pj));
    }
}

TEST(Bls12381Curve, AffineAdditionMatchesJacobian) {
    Rng rng{11};
    expect_affine_addition_matches_jacobian(rng, kG1B);
    expect_affine_addition_matches_jacobian(rng, kG2B);
}

TEST(Bls12381Curve, FastSubgroupChecksMatchTheDefinition) {
    Rng rng{3};
    for (int i = 0; i < 8; ++i) {
        const G1 p = G1::from_affine(random_curve_point(rng, kG1B));
        EXPECT_EQ(g1_in_subgroup(p), in_subgroup_by_order(p));
        EXPECT_FALSE(g1_in_subgroup(p));
        const G1 cleared = clear_cofactor(p);
        EXPECT_TRUE(in_subgroup_by_order(cleared));
        EXPECT_TRUE(g1_in_subgroup(cleared));

        const G2 q = G2::from_affine(random_curve_point(rng, kG2B));
        EXPECT_EQ(g2_in_subgroup(q), in_subgroup_by_order(q));
        EXPECT_FALSE(g2_in_subgroup(q));
        const G2 q_cleared = clear_cofactor(q);
        EXPECT_TRUE(in_subgroup_by_order(q_cleared));
        EXPECT_TRUE(g2_in_subgroup(q_cleared));
    }
}

TEST(Bls12381Curve, SubgroupMsmMatchesSumOfProducts) {
    Rng rng{5};
    const G1 g1 = G1::from_affine(kG1Generator);
    const G2 g2 = G2::from_affine(kG2Generator);
    Limbs r_minus_1;
    limbs_sub(r_minus_1, kR, Limbs{{1}});
    Limbs above_r;  // scalars of 256 bits may exceed r
    limbs_add(above_r, kR, Limbs{{12345}});
    // Split Straus up to 4 points, plain Straus up to 63, split Pippenger from 64.
    for (size_t n : {size_t{1}, size_t{2}, size_t{4}, size_t{5}, size_t{64}}) {
        std::vector<G1Affine> ps;
        std::vector<G2Affine> qs;
        std::vector<Limbs> ks;
        G1 expect1 = G1::infinity();
        G2 expect2 = G2::infinity();
        for (size_t i = 0; i < n; ++i) {
            const Limbs k = i == 1 ? r_minus_1 : i == 2 ? above_r : rng.scalar();
            const G1 p = scalar_mul(g1, rng.scalar());
            const G2 q = scalar_mul(g2, rng.scalar());
            ps.push_back(to_affine(p));
            qs.push_back(to_affine(q));
            ks.push_back(k);
            expect1 = add_points(expect1, scalar_mul(p, k));
            expect2 = add_points(expect2, scalar_mul(q, k));
        }
        EXPECT_TRUE(equal_points(msm_subgroup(std::span<const G1Affine>(ps), ks), expect1)) << n;
        EXPECT_TRUE(equal_points(msm_subgroup(std::span<const G2Affine>(qs), ks), expect2)) << n;
    }
}

TEST(Bls12381Curve, GeneratorTableMatchesScalarMul) {
    Rng rng{9};
    const G1 g1 = G1::from_affine(kG1Generator);
    Limbs all_ones;
    for (uint64_t& w : all_ones.w)
        w = 0;
    for (int i = 0; i < 4; ++i)
        all_ones.w[i] = ~uint64_t{0};
    Limbs r_minus_1;
    limbs_sub(r_minus_1, kR, Limbs{{1}});
    for (const Limbs& k : {Limbs{}, Limbs{{1}}, Limbs{{16}}, r_minus_1, kR, all_ones, rng.scalar(),
                           rng.scalar(), rng.scalar()})
        EXPECT_TRUE(equal_points(g1_generator_mul(k), scalar_mul(g1, k)));
}

TEST(Bls12381Curve, MsmMatchesSumOfProducts) {
    Rng rng{4};
    for (size_t n : {size_t{1}, size_t{2}, size_t{7}, size_t{33}, size_t{70}}) {
        std::vector<G1Affine> ps;
        std::vector<G2Affine> qs;
        std::vector<Limbs> ks;
        G1 expect1 = G1::infinity();
        G2 expect2 = G2::infinity();
        for (size_t i = 0; i < n; ++i) {
            const Limbs k = rng.scalar();
            // Points outside the subgroup too: the MSM must not assume the order r.
            ps.push_back(random_curve_point(rng, kG1B));
            qs.push_back(random_curve_point(rng, kG2B));
            ks.push_back(k);
            expect1 = add_points(expect1, scalar_mul(G1::from_affine(ps.back()), k));
            expect2 = add_points(expect2, scalar_mul(G2::from_affine(qs.back()), k));
        }
        EXPECT_TRUE(equal_points(msm(std::span<const G1Affine>(ps), ks), expect1)) << n;
        EXPECT_TRUE(equal_points(msm(std::span<const G2Affine>(qs), ks), expect2)) << n;
    }
}

TEST(Bls12381Pairing, BilinearAndNonDegenerate) {
    Rng rng{5};
    const G1 g1 = G1::from_affine(kG1Generator);
    const G2 g2 = G2::from_affine(kG2Generator);
    const G1Affine p1[1] = {kG1Generator};
    const G2Affine q1[1] = {kG2Generator};
    const Fp12 e = final_exponentiation(miller_loop(p1, q1));
    EXPECT_NE(e, Fp12::one());
    EXPECT_EQ(pow(e, kR), Fp12::one());
    const Limbs a{{rng.next(), rng.next()}}, b{{rng.next()}};
    // e([a]P, [b]Q) == e(P, Q)^(ab)
    const G1Affine pa[1] = {to_affine(scalar_mul(g1, a))};
    const G2Affine qb[1] = {to_affine(scalar_mul(g2, b))};
    EXPECT_EQ(final_exponentiation(miller_loop(pa, qb)), pow(pow(e, a), b));
    // e([a]P, [b]Q) * e(-[ab]P, Q) == 1
    const G1Affine ps[2] = {pa[0], to_affine(negate(scalar_mul(scalar_mul(g1, a), b)))};
    const G2Affine qs[2] = {qb[0], kG2Generator};
    EXPECT_TRUE(pairing_product_is_one(ps, qs));
    const G2Affine qs_wrong[2] = {qb[0], to_affine(double_point(g2))};
    EXPECT_FALSE(pairing_product_is_one(ps, qs_wrong));
}

TEST(Bls12381Pairing, PreparedG2MatchesTheDirectMillerLoop) {
    Rng rng{6};
    const G1 g1 = G1::from_affine(kG1Generator);
    const G2 g2 = G2::from_affine(kG2Generator);
    const G1Affine ps[2] = {to_affine(scalar_mul(g1, rng.scalar())),
                            to_affine(scalar_mul(g1, rng.scalar()))};
    const G2Affine qs[2] = {to_affine(scalar_mul(g2, rng.scalar())),
                            to_affine(scalar_mul(g2, rng.scalar()))};
    const PreparedG2 prepared[2] = {prepare_g2(qs[0]), prepare_g2(qs[1])};
    const PreparedG2* const pointers[2] = {&prepared[0], &prepared[1]};
    EXPECT_EQ(miller_loop(ps, pointers), miller_loop(ps, qs));
    // e(P, Q) * e(-P, Q) == 1, and not with another Q.
    const G1Affine p_and_minus_p[2] = {ps[0], {ps[0].x, -ps[0].y, false}};
    const PreparedG2* const same[2] = {&prepared[0], &prepared[0]};
    EXPECT_TRUE(pairing_product_is_one(p_and_minus_p, same));
    EXPECT_FALSE(pairing_product_is_one(p_and_minus_p, pointers));
}

TEST(Bls12381Precompiles, EipTestVectors) {
    for (const EipVector& v : kEipVectors) {
        const auto r = run(v.address, hex(v.input));
        EXPECT_TRUE(r.success) << v.name;
        EXPECT_EQ(to_hex(r.output), "0x" + std::string(v.expected)) << v.name;
        EXPECT_EQ(r.gas_used, v.gas) << v.name;
        // Not there before Prague.
        EXPECT_FALSE(run(v.address, hex(v.input), evm::Revision::Cancun).success) << v.name;
    }
}

// The pairing check answers a product with a single pair free of infinity without a pairing
// (non-degeneracy); the answers must be those of the pairing itself.
TEST(Bls12381Precompiles, SingleFinitePairIsNotOne) {
    const bytes g1 = hex(kEipVectors[0].input).substr(0, 128);  // the generator of G1
    const bytes g2 = [] {
        for (const EipVector& v : kEipVectors)
            if (std::string_view(v.name) == "bls_g2add_g2+p2") return hex(v.input).substr(0, 256);
        return bytes{};
    }();
    ASSERT_EQ(g2.size(), 256u);
    const bytes no_g1(128, 0), no_g2(256, 0);
    auto check = [](const bytes& in) {
        const auto r = pairing_check(in);
        return r ? (*r)[31] : 2;
    };
    EXPECT_EQ(check(g1 + g2), 0);
    EXPECT_EQ(check(no_g1 + g2 + g1 + g2), 0);
    EXPECT_EQ(check(g1 + g2 + g1 + no_g2), 0);
    EXPECT_EQ(check(g1 + no_g2), 1);
    EXPECT_EQ(check(no_g1 + g2 + g1 + no_g2), 1);
    const G1Affine p[1] = {kG1Generator};
    const G2Affine q[1] = {kG2Generator};
    EXPECT_FALSE(pairing_product_is_one(p, q));
}

TEST(Bls12381Precompiles, ErrorCases) {
    bytes g1(128, 0);
    bytes g1_bytes = hex(kEipVectors[0].input).substr(0, 128);  // the generator of G1
    // Lengths.
    EXPECT_FALSE(g1_add(g1_bytes).has_value());
    EXPECT_FALSE(g1_add(g1_bytes + g1_bytes + bytes(1, 0)).has_value());
    EXPECT_TRUE(g1_add(g1_bytes + g1).has_value());
    EXPECT_FALSE(g1_msm({}).has_value());
    EXPECT_FALSE(pairing_check({}).has_value());
    EXPECT_FALSE(map_fp_to_g1(bytes(63, 0)).has_value());
    EXPECT_FALSE(map_fp2_to_g2(bytes(129, 0)).has_value());
    // A nonzero top byte of the 64-byte field element, and x = p.
    bytes bad_top = g1_bytes;
    bad_top[0] = 1;
    EXPECT_FALSE(g1_add(bad_top + g1).has_value());
    bytes x_is_p(64, 0);
    for (size_t i = 0; i < 48; ++i)
        x_is_p[16 + i] = static_cast<uint8_t>(kP.w[(47 - i) / 8] >> (8 * ((47 - i) % 8)));
    EXPECT_FALSE(map_fp_to_g1(x_is_p).has_value());
    // Off the curve: y + 1.
    bytes off = g1_bytes;
    off[127] ^= 1;
    EXPECT_FALSE(g1_add(off + g1).has_value());
    // On the curve but outside G1: accepted by ADD, refused by MSM and the pairing.
    Rng rng{6};
    const G1Affine outside = random_curve_point(rng, kG1B);
    bytes outside_bytes(128, 0);
    auto put = [](uint8_t* out, const Fp& a) {
        const Limbs l = fp_to_limbs(a);
        for (size_t i = 0; i < 48; ++i)
            out[16 + i] = static_cast<uint8_t>(l.w[(47 - i) / 8] >> (8 * ((47 - i) % 8)));
    };
    put(outside_bytes.data(), outside.x);
    put(outside_bytes.data() + 64, outside.y);
    EXPECT_TRUE(g1_add(outside_bytes + g1_bytes).has_value());
    EXPECT_FALSE(g1_msm(outside_bytes + bytes(32, 1)).has_value());
    EXPECT_FALSE(pairing_check(outside_bytes + bytes(256, 0)).has_value());
    EXPECT_TRUE(pairing_check(g1_bytes + bytes(256, 0)).has_value());
}

TEST(Bls12381Precompiles, GasSchedule) {
    EXPECT_EQ(g1_msm_gas(0), 0u);
    EXPECT_EQ(g1_msm_gas(159), 0u);
    EXPECT_EQ(g1_msm_gas(160), 12000u);
    EXPECT_EQ(g1_msm_gas(320), 2u * 12000 * 949 / 1000);
    EXPECT_EQ(g1_msm_gas(160 * 128), 128u * 12000 * 519 / 1000);
    EXPECT_EQ(g1_msm_gas(160 * 200), 200u * 12000 * 519 / 1000);
    EXPECT_EQ(g2_msm_gas(288), 22500u);
    EXPECT_EQ(g2_msm_gas(288 * 2), 2u * 22500);
    EXPECT_EQ(g2_msm_gas(288 * 128), 128u * 22500 * 524 / 1000);
    EXPECT_EQ(g2_msm_gas(288 * 129), 129u * 22500 * 524 / 1000);
    EXPECT_EQ(pairing_gas(0), 37700u);
    EXPECT_EQ(pairing_gas(384 * 2), 37700u + 2 * 32600);
}

TEST(Bls12381Map, ResultsAreInTheSubgroup) {
    Rng rng{7};
    for (int i = 0; i < 4; ++i) {
        const G1 p = map_to_g1(rng.fp());
        EXPECT_TRUE(on_curve(to_affine(p), kG1B));
        EXPECT_TRUE(in_subgroup_by_order(p));
        const G2 q = map_to_g2(rng.fp2());
        EXPECT_TRUE(on_curve(to_affine(q), kG2B));
        EXPECT_TRUE(in_subgroup_by_order(q));
    }
    // u = 0 is an exceptional input of SSWU (x1 = B/(Z A)); it still maps into the groups.
    EXPECT_TRUE(in_subgroup_by_order(map_to_g1(Fp::zero())));
    EXPECT_TRUE(in_subgroup_by_order(map_to_g2(Fp2::zero())));
}
