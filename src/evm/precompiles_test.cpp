#include "evm/precompiles.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>

#include "common/keccak.hpp"
#include "common/secp256k1.hpp"

using namespace krnl;
using namespace krnl::evm;

namespace {

constexpr int64_t kMaxGas = std::numeric_limits<int64_t>::max();

address precompile(uint8_t n) {
    address a;
    a[19] = n;
    return a;
}

bytes hex(std::string_view h) {
    auto b = from_hex(h);
    EXPECT_TRUE(b) << h;
    return b.value_or(bytes{});
}

std::string out_hex(const PrecompileResult& r) {
    return to_hex(r.output, false);
}

PrecompileResult run(uint8_t n, bytes_view input, int64_t gas = 10'000'000,
                     Revision rev = Revision::Cancun) {
    return run_precompile(precompile(n), input, gas, rev);
}

void expect_failure(const PrecompileResult& r, int64_t gas_limit) {
    EXPECT_FALSE(r.success);
    EXPECT_EQ(r.gas_used, gas_limit);
    EXPECT_TRUE(r.output.empty());
}

std::string word(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return std::string(48, '0') + buf;
}

}  // namespace

// ---- addresses --------------------------------------------------------------------------------

TEST(Precompiles, ActivationByRevision) {
    for (uint8_t n = 1; n <= 4; ++n)
        EXPECT_TRUE(is_precompile(precompile(n), Revision::Frontier));
    EXPECT_FALSE(is_precompile(precompile(5), Revision::SpuriousDragon));
    for (uint8_t n = 5; n <= 8; ++n)
        EXPECT_TRUE(is_precompile(precompile(n), Revision::Byzantium));
    EXPECT_FALSE(is_precompile(precompile(9), Revision::Petersburg));
    EXPECT_TRUE(is_precompile(precompile(9), Revision::Istanbul));
    EXPECT_FALSE(is_precompile(precompile(0x0a), Revision::Shanghai));
    EXPECT_TRUE(is_precompile(precompile(0x0a), Revision::Cancun));
    EXPECT_TRUE(is_precompile(precompile(0x0a), Revision::Prague));
    EXPECT_FALSE(is_precompile(precompile(0x0b), Revision::Cancun));
    for (uint8_t n = 0x0b; n <= 0x11; ++n)
        EXPECT_TRUE(is_precompile(precompile(n), Revision::Prague));
    EXPECT_FALSE(is_precompile(precompile(0x12), Revision::Osaka));
    EXPECT_FALSE(is_precompile(precompile(0), Revision::Prague));

    address high = precompile(1);
    high[0] = 1;
    EXPECT_FALSE(is_precompile(high, Revision::Prague));
    address middle = precompile(1);
    middle[18] = 1;  // 0x...0101
    EXPECT_FALSE(is_precompile(middle, Revision::Prague));
}

TEST(Precompiles, NonPrecompileAddressIsInvalid) {
    expect_failure(run_precompile(precompile(5), {}, 1000, Revision::Homestead), 1000);
    expect_failure(run_precompile(precompile(0x0b), {}, 1000, Revision::Cancun), 1000);
    expect_failure(run_precompile(precompile(0x12), {}, 1000, Revision::Osaka), 1000);
}

TEST(Precompiles, NegativeGasLimitFailsWithoutChargingNegativeGas) {
    const auto r = run(4, {}, -5);
    EXPECT_FALSE(r.success);
    EXPECT_EQ(r.gas_used, 0);
}

TEST(Precompiles, RandomInputsKeepResultInvariants) {
    // Whatever the input, a failure takes all the gas and returns nothing, and a success never
    // charges more than the limit. Modexp headers get small lengths half the time so that the
    // arithmetic, not just the pricing, is exercised.
    std::mt19937_64 rng(42);
    for (int i = 0; i < 3000; ++i) {
        const uint8_t n = static_cast<uint8_t>(1 + rng() % 10);
        bytes input(rng() % 400, 0);
        for (auto& b : input)
            b = static_cast<uint8_t>(rng());
        if (n == 5 && input.size() >= 96 && rng() % 2) {
            for (int w = 0; w < 3; ++w) {
                std::fill_n(input.begin() + 32 * w, 32, 0);
                input[32 * w + 31] = static_cast<uint8_t>(rng() % 80);
            }
        }
        if (n == 9 && rng() % 2) {
            input.resize(213);
            input[0] = input[1] = input[2] = 0;
            input[212] = static_cast<uint8_t>(rng() % 3);
        }
        const int64_t gas = static_cast<int64_t>(rng() % 200'000);
        const auto r = run(n, input, gas);
        if (r.success) {
            EXPECT_LE(r.gas_used, gas);
            EXPECT_GE(r.gas_used, 0);
        } else {
            EXPECT_EQ(r.gas_used, gas);
            EXPECT_TRUE(r.output.empty());
        }
    }
}

// ---- 0x01 ecrecover -------------------------------------------------------------------------

namespace {
// ethereum/tests CallEcrecover0: hash, v = 28, r, s (s in the upper half), signed by the fixtures'
// default sender key.
constexpr std::string_view kEcrecoverHash =
    "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c";
constexpr std::string_view kEcrecoverR =
    "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f";
constexpr std::string_view kEcrecoverS =
    "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549";
constexpr std::string_view kEcrecoverSigner =
    "000000000000000000000000a94f5374fce5edbc8e2a8697c15331677e6ebf0b";

bytes ecrecover_input(std::string_view v_word, std::string_view r = kEcrecoverR,
                      std::string_view s = kEcrecoverS) {
    return hex(std::string(kEcrecoverHash) + std::string(v_word) + std::string(r) + std::string(s));
}
}  // namespace

TEST(Ecrecover, RecoversKnownSigner) {
    const auto r = run(1, ecrecover_input(word(28)));
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 3000);
    EXPECT_EQ(out_hex(r), kEcrecoverSigner);
}

TEST(Ecrecover, IgnoresBytesBeyond128) {
    bytes input = ecrecover_input(word(28));
    input += hex("deadbeef");
    EXPECT_EQ(out_hex(run(1, input)), kEcrecoverSigner);
}

TEST(Ecrecover, RoundTripsWithOurSigner) {
    const auto key =
        *fixed_from_hex<32>("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
    const hash256 digest = keccak256(as_bytes("precompile"));
    const auto sig = *secp256k1::sign(digest, key);
    bytes input(digest.view());
    input += hex(word(27 + sig.y_parity));
    input += sig.r.view();
    input += sig.s.view();
    EXPECT_EQ(out_hex(run(1, input)), kEcrecoverSigner);
}

TEST(Ecrecover, InvalidInputsSucceedWithEmptyOutput) {
    const auto check_empty = [](const bytes& input) {
        const auto r = run(1, input);
        EXPECT_TRUE(r.success);
        EXPECT_EQ(r.gas_used, 3000);
        EXPECT_TRUE(r.output.empty()) << to_hex(r.output);
    };
    check_empty({});  // all zeros after padding: v = 0
    check_empty(ecrecover_input(word(29)));
    check_empty(ecrecover_input(word(0)));
    check_empty(ecrecover_input(word(1)));  // a raw y_parity is not accepted
    // v = 28 with stray high bits (go-ethereum's InvalidHighV vectors).
    check_empty(
        ecrecover_input("100000000000000000000000000000000000000000000000000000000000001c"));
    check_empty(
        ecrecover_input("000000000000000000000000000000000000001000000000000000000000001c"));
    check_empty(
        ecrecover_input("000000000000000000000000000000000000000000000000000000000000011c"));
    const std::string zero(64, '0');
    const std::string order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    check_empty(ecrecover_input(word(28), zero, kEcrecoverS));
    check_empty(ecrecover_input(word(28), kEcrecoverR, zero));
    check_empty(ecrecover_input(word(28), order, kEcrecoverS));
    check_empty(ecrecover_input(word(28), kEcrecoverR, order));
    // Truncated input: s becomes zero after padding.
    check_empty(hex(std::string(kEcrecoverHash) + word(28) + std::string(kEcrecoverR)));
    // ethereum/tests CallEcrecoverUnrecoverableKey: r is not the x coordinate of any curve point.
    check_empty(
        hex("a8b53bdf3306a35a7103ab5504a0c9b492295564b6202b1942a84ef300107281"
            "000000000000000000000000000000000000000000000000000000000000001b"
            "3078356531653033663533636531386237373263636230303933666637316633"
            "6635336635633735623734646362333161383561613862383839326234653862"));
}

TEST(Ecrecover, OutOfGas) {
    expect_failure(run(1, ecrecover_input(word(28)), 2999), 2999);
    expect_failure(run(1, {}, 0), 0);
}

// ---- 0x02 sha256, 0x03 ripemd160, 0x04 identity --------------------------------------------

TEST(Sha256Precompile, VectorsAndGas) {
    auto r = run(2, {});
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 60);
    EXPECT_EQ(out_hex(r), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    r = run(2, as_bytes("abc"));
    EXPECT_EQ(r.gas_used, 72);
    EXPECT_EQ(out_hex(r), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    EXPECT_EQ(run(2, bytes(32, 0)).gas_used, 72);
    EXPECT_EQ(run(2, bytes(33, 0)).gas_used, 84);
    EXPECT_EQ(run(2, bytes(64, 0)).gas_used, 84);
    EXPECT_EQ(run(2, bytes(1000, 0), 10'000'000, Revision::Frontier).gas_used, 60 + 12 * 32);
}

TEST(Sha256Precompile, OutOfGas) {
    expect_failure(run(2, {}, 59), 59);
    expect_failure(run(2, bytes(32, 0), 71), 71);
    EXPECT_TRUE(run(2, bytes(32, 0), 72).success);
}

TEST(Ripemd160Precompile, VectorsAndGas) {
    auto r = run(3, {});
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 600);
    EXPECT_EQ(out_hex(r), "0000000000000000000000009c1185a5c5e9fc54612808977ee8f548b2258d31");

    r = run(3, as_bytes("abc"));
    EXPECT_EQ(r.gas_used, 720);
    EXPECT_EQ(out_hex(r), "0000000000000000000000008eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
    EXPECT_EQ(run(3, bytes(33, 0)).gas_used, 840);
}

TEST(Ripemd160Precompile, OutOfGas) {
    // ethereum/tests CallRipemd160_4_gas719: one word costs 720.
    expect_failure(run(3, bytes(32, 0xff), 719), 719);
    EXPECT_TRUE(run(3, bytes(32, 0xff), 720).success);
}

TEST(IdentityPrecompile, CopiesInput) {
    auto r = run(4, {});
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 15);
    EXPECT_TRUE(r.output.empty());

    const bytes data = hex("f34578907f");
    r = run(4, data);
    EXPECT_EQ(r.output, data);
    EXPECT_EQ(r.gas_used, 18);

    bytes big(100, 0);
    for (size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<uint8_t>(i);
    r = run(4, big);
    EXPECT_EQ(r.output, big);
    EXPECT_EQ(r.gas_used, 15 + 3 * 4);
}

TEST(IdentityPrecompile, OutOfGas) {
    // ethereum/tests CallIdentity_4_gas17 / _gas18.
    expect_failure(run(4, bytes(32, 1), 17), 17);
    EXPECT_TRUE(run(4, bytes(32, 1), 18).success);
}

// ---- 0x05 modexp ----------------------------------------------------------------------------

namespace {

struct ModexpCase {
    std::string_view name;
    std::string_view input;
    std::string_view expected;
    int64_t byzantium_gas;  // EIP-198 pricing
    int64_t berlin_gas;     // EIP-2565 pricing
};

// EIP-198's worked examples, with their gas under both pricings.
const ModexpCase kEip198Examples[] = {
    {"fermat",
     "0000000000000000000000000000000000000000000000000000000000000001"
     "0000000000000000000000000000000000000000000000000000000000000020"
     "0000000000000000000000000000000000000000000000000000000000000020"
     "03"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
     "0000000000000000000000000000000000000000000000000000000000000001", 13056, 1360},
    {"zero_length_base",
     "0000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000020"
     "0000000000000000000000000000000000000000000000000000000000000020"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
     "0000000000000000000000000000000000000000000000000000000000000000", 13056, 1360},
    {"excess_data_ignored",
     "0000000000000000000000000000000000000000000000000000000000000001"
     "0000000000000000000000000000000000000000000000000000000000000002"
     "0000000000000000000000000000000000000000000000000000000000000020"
     "03"
     "ffff"
     "8000000000000000000000000000000000000000000000000000000000000000"
     "07",
     "3b01b01ac41f2d6e917c6d6a221ce793802469026d9ab7578fa2e79e4da6aaab", 768, 200},
    {"modulus_right_padded",
     "0000000000000000000000000000000000000000000000000000000000000001"
     "0000000000000000000000000000000000000000000000000000000000000002"
     "0000000000000000000000000000000000000000000000000000000000000020"
     "03"
     "ffff"
     "80",
     "3b01b01ac41f2d6e917c6d6a221ce793802469026d9ab7578fa2e79e4da6aaab", 768, 200},
};

// The "nagydani" vectors that EIP-2565 reprices (go-ethereum's precompile test data).
const ModexpCase kNagydani[] = {
    {"nagydani-1-square",
     "0000000000000000000000000000000000000000000000000000000000000040"
     "0000000000000000000000000000000000000000000000000000000000000001"
     "0000000000000000000000000000000000000000000000000000000000000040"
     "e09ad9675465c53a109fac66a445c91b292d2bb2c5268addb30cd82f80fcb0033ff97c80a5fc6f39193ae969c6ede"
     "6710a6b7ac27078a06d90ef1c72e5c85fb5"
     "02"
     "fc9e1f6beb81516545975218075ec2af118cd8798df6e08a147c60fd6095ac2bb02c2908cf4dd7c81f11c289e4bce"
     "98f3553768f392a80ce22bf5c4f4a248c6b",
     "60008f1614cc01dcfb6bfb09c625cf90b47d4468db81b5f8b7a39d42f332eab9b2da8f2d95311648a8f243f4bb13c"
     "fb3d8f7f2a3c014122ebb3ed41b02783adc",
     204, 200},
    {"nagydani-1-qube",
     "0000000000000000000000000000000000000000000000000000000000000040"
     "0000000000000000000000000000000000000000000000000000000000000001"
     "0000000000000000000000000000000000000000000000000000000000000040"
     "e09ad9675465c53a109fac66a445c91b292d2bb2c5268addb30cd82f80fcb0033ff97c80a5fc6f39193ae969c6ede"
     "6710a6b7ac27078a06d90ef1c72e5c85fb5"
     "03"
     "fc9e1f6beb81516545975218075ec2af118cd8798df6e08a147c60fd6095ac2bb02c2908cf4dd7c81f11c289e4bce"
     "98f3553768f392a80ce22bf5c4f4a248c6b",
     "4834a46ba565db27903b1c720c9d593e84e4cbd6ad2e64b31885d944f68cd801f92225a8961c952ddf2797fa4701b"
     "330c85c4b363798100b921a1a22a46a7fec",
     204, 200},
    {"nagydani-1-pow0x10001",
     "0000000000000000000000000000000000000000000000000000000000000040"
     "0000000000000000000000000000000000000000000000000000000000000003"
     "0000000000000000000000000000000000000000000000000000000000000040"
     "e09ad9675465c53a109fac66a445c91b292d2bb2c5268addb30cd82f80fcb0033ff97c80a5fc6f39193ae969c6ede"
     "6710a6b7ac27078a06d90ef1c72e5c85fb5"
     "010001"
     "fc9e1f6beb81516545975218075ec2af118cd8798df6e08a147c60fd6095ac2bb02c2908cf4dd7c81f11c289e4bce"
     "98f3553768f392a80ce22bf5c4f4a248c6b",
     "c36d804180c35d4426b57b50c5bfcca5c01856d104564cd513b461d3c8b8409128a5573e416d0ebe38f5f736766d9"
     "dc27143e4da981dfa4d67f7dc474cbee6d2",
     3276, 341},
    {"nagydani-2-pow0x10001",
     "0000000000000000000000000000000000000000000000000000000000000080"
     "0000000000000000000000000000000000000000000000000000000000000003"
     "0000000000000000000000000000000000000000000000000000000000000080"
     "cad7d991a00047dd54d3399b6b0b937c718abddef7917c75b6681f40cc15e2be0003657d8d4c34167b2f0bbbca0cc"
     "aa407c2a6a07d50f1517a8f22979ce12a81dc"
     "af707cc0cebfc0ce2ee84ee7f77c38b9281b9822a8d3de62784c089c9b18dcb9a2a5eecbede90ea788a862a9ddd9d"
     "609c2c52972d63e289e28f6a590ffbf51"
     "010001"
     "e6d893b80aeed5e6e9ce9afa8a5d5675c93a32ac05554cb20e9951b2c140e3ef4e433068cf0fb73bc9f33af1853f6"
     "4aa27a0028cbf570d7ac9048eae5dc7b2"
     "8c87c31e5810f1e7fa2cda6adf9f1076dbc1ec1238560071e7efc4e9565c49be9e7656951985860a558a754594115"
     "830bcdb421f741408346dd5997bb01c287087",
     "ad85e8ef13fd1dd46eae44af8b91ad1ccae5b7a1c92944f92a19f21b0b658139e0cabe9c1f679507c2de354bf2c91"
     "ebd965d1e633978a830d517d2f6f8dd5fd5"
     "8065d58559de7e2334a878f8ec6992d9b9e77430d4764e863d77c0f87beede8f2f7f2ab2e7222f85cc9d98b8467f4"
     "bb72e87ef2882423ebdb6daf02dddac6db2",
     10649, 1365},
};

void check_modexp_case(const ModexpCase& c) {
    SCOPED_TRACE(std::string(c.name));
    const bytes input = hex(c.input);
    const auto byz = run(5, input, 10'000'000, Revision::Byzantium);
    EXPECT_TRUE(byz.success);
    EXPECT_EQ(byz.gas_used, c.byzantium_gas);
    EXPECT_EQ(out_hex(byz), c.expected);

    const auto berlin = run(5, input, 10'000'000, Revision::Berlin);
    EXPECT_TRUE(berlin.success);
    EXPECT_EQ(berlin.gas_used, c.berlin_gas);
    EXPECT_EQ(out_hex(berlin), c.expected);

    // One gas short of the price fails and takes everything offered.
    expect_failure(run(5, input, c.berlin_gas - 1, Revision::Berlin), c.berlin_gas - 1);
    expect_failure(run(5, input, c.byzantium_gas - 1, Revision::Byzantium), c.byzantium_gas - 1);
}

std::string modexp_header(std::string_view base_len, std::string_view exp_len,
                          std::string_view mod_len) {
    return std::string(base_len) + std::string(exp_len) + std::string(mod_len);
}

const std::string kMaxWord(64, 'f');

}  // namespace

TEST(Modexp, Eip198Examples) {
    for (const auto& c : kEip198Examples)
        check_modexp_case(c);
}

TEST(Modexp, NagydaniVectorsWithBothPricings) {
    for (const auto& c : kNagydani)
        check_modexp_case(c);
}

TEST(Modexp, Eip198HugeModulusLengthCannotBePaidFor) {
    // EIP-198's third example: modulus length 2^256 - 1.
    const bytes input =
        hex("0000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000020"
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe"
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd");
    expect_failure(run(5, input, kMaxGas, Revision::Berlin), kMaxGas);
    expect_failure(run(5, input, kMaxGas, Revision::Byzantium), kMaxGas);
}

TEST(Modexp, HugeLengthsNeverAllocate) {
    // Each length alone at 2^256 - 1 must price beyond any gas limit.
    const std::string one = word(1);
    for (const auto& header : {modexp_header(kMaxWord, one, one), modexp_header(one, kMaxWord, one),
                               modexp_header(one, one, kMaxWord)}) {
        for (Revision rev : {Revision::Byzantium, Revision::Berlin, Revision::Prague}) {
            expect_failure(run(5, hex(header + "0203"), kMaxGas, rev), kMaxGas);
        }
    }
}

TEST(Modexp, ExponentLengthBeyond64BitsIsPricedExactly) {
    // exp_len = 2^64, exponent head 0x03 00..00 (highest bit index 249). Under EIP-198 that costs
    // (8 * (2^64 - 32) + 249) / 20 = 7378697629483820646 gas, which an int64 limit can just pay;
    // the modulus then lies in the zero padding, so the result is one zero byte.
    const std::string exp_len = std::string(47, '0') + "1" + std::string(16, '0');
    const bytes input = hex(modexp_header(word(1), exp_len, word(1)) + "0203");
    const auto r = run(5, input, kMaxGas, Revision::Byzantium);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 7378697629483820646);
    EXPECT_EQ(out_hex(r), "00");
    expect_failure(run(5, input, 7378697629483820645, Revision::Byzantium), 7378697629483820645);
    // Under EIP-2565 (divisor 3) the same call costs more than any int64.
    expect_failure(run(5, input, kMaxGas, Revision::Berlin), kMaxGas);
}

TEST(Modexp, ZeroLengthBaseAndModulusWithHugeExponentIsCheap) {
    // Complexity is zero, so only the EIP-2565 floor (or nothing, under EIP-198) is charged, and
    // the result is empty.
    const bytes input = hex(modexp_header(word(0), kMaxWord, word(0)));
    auto r = run(5, input, 1000, Revision::Berlin);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 200);
    EXPECT_TRUE(r.output.empty());
    r = run(5, input, 1000, Revision::Byzantium);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 0);
    EXPECT_TRUE(r.output.empty());
}

TEST(Modexp, EmptyInput) {
    const auto r = run(5, {}, 1000, Revision::Cancun);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 200);
    EXPECT_TRUE(r.output.empty());
}

TEST(Modexp, ZeroModulusLengthGivesEmptyOutput) {
    const auto r = run(5, hex(modexp_header(word(1), word(1), word(0)) + "0203"));
    EXPECT_TRUE(r.success);
    EXPECT_TRUE(r.output.empty());
}

TEST(Modexp, ModulusZeroOrOne) {
    // x mod 0 = 0 for any x, padded to the modulus length.
    auto r = run(5, hex(modexp_header(word(1), word(1), word(4)) + "02" + "03" + "00000000"));
    EXPECT_TRUE(r.success);
    EXPECT_EQ(out_hex(r), "00000000");
    // Anything mod 1, including 0^0, is 0.
    r = run(5, hex(modexp_header(word(1), word(1), word(2)) + "00" + "00" + "0001"));
    EXPECT_EQ(out_hex(r), "0000");
    r = run(5, hex(modexp_header(word(1), word(1), word(1)) + "07" + "05" + "01"));
    EXPECT_EQ(out_hex(r), "00");
}

TEST(Modexp, ZeroExponentGivesOne) {
    auto r = run(5, hex(modexp_header(word(1), word(1), word(2)) + "07" + "00" + "0005"));
    EXPECT_EQ(out_hex(r), "0001");
    // 0^0 = 1 as well.
    r = run(5, hex(modexp_header(word(0), word(0), word(1)) + "05"));
    EXPECT_EQ(out_hex(r), "01");
}

TEST(Modexp, ExponentRunningPastInputMeansZeroModulus) {
    // exp_len = 2^64 but the input stops inside the exponent: the modulus lies wholly in the zero
    // padding, so the result is mod_len zero bytes, after paying for the huge exponent.
    const std::string big_exp_len = std::string(47, '0') + "1" + std::string(16, '0');
    const bytes input = hex(modexp_header(word(1), big_exp_len, word(3)) + "02" + "ff");
    EXPECT_FALSE(run(5, input, 10'000'000, Revision::Berlin).success);
    // A modest exponent length that still runs past the input.
    const bytes small = hex(modexp_header(word(1), word(40), word(3)) + "02" + "ffff");
    const auto r = run(5, small, 10'000'000, Revision::Berlin);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(out_hex(r), "000000");
}

TEST(Modexp, GasOfLongExponent) {
    // A 100-byte exponent 00 00 01 00..00: its first 32 bytes are 2^232, so the adjusted length is
    // 8 * (100 - 32) + 232 = 776. (EIP-198's prose example says 253 and 797 for this input, which
    // contradicts its own "index of the highest bit" rule; clients follow the rule.)
    std::string input = modexp_header(word(1), word(100), word(1)) + "02" + "000001" +
                        std::string(97 * 2, '0') + "07";
    const bytes in = hex(input);
    const auto byz = run(5, in, kMaxGas, Revision::Byzantium);
    EXPECT_EQ(byz.gas_used, 1 * 776 / 20);
    // The exponent is 2^776; 2 has order 3 mod 7 and 2^776 = 1 (mod 3), so 2^(2^776) = 2 (mod 7).
    EXPECT_EQ(out_hex(byz), "02");
    EXPECT_EQ(run(5, in, kMaxGas, Revision::Berlin).gas_used, 1 * 776 / 3);
    // A 64-byte exponent whose first 32 bytes are zero adds nothing for the head: 8 * 32 = 256.
    const bytes zero_head = hex(modexp_header(word(1), word(64), word(1)) + "02" +
                                std::string(63 * 2, '0') + "01" + "07");
    EXPECT_EQ(run(5, zero_head, kMaxGas, Revision::Byzantium).gas_used, 256 / 20);
    EXPECT_EQ(run(5, zero_head, kMaxGas, Revision::Berlin).gas_used,
              200);  // 256 / 3 is under the floor
}

TEST(Modexp, MatchesNaiveModPowOnRandomSmallOperands) {
    std::mt19937_64 rng(1234);
    for (int i = 0; i < 300; ++i) {
        const uint64_t base = rng(), exp = rng() >> (rng() % 64), mod = rng() >> (rng() % 63);
        unsigned __int128 expected = mod == 0 ? 0 : 1 % mod;
        unsigned __int128 b = mod == 0 ? 0 : base % mod;
        for (uint64_t e = exp; e != 0 && mod != 0; e >>= 1) {
            if (e & 1) expected = expected * b % mod;
            b = b * b % mod;
        }
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(expected));
        const std::string input = modexp_header(word(8), word(8), word(8)) + word(base).substr(48) +
                                  word(exp).substr(48) + word(mod).substr(48);
        const auto r = run(5, hex(input));
        ASSERT_TRUE(r.success);
        EXPECT_EQ(out_hex(r), buf) << base << "^" << exp << " mod " << mod;
    }
}

// ---- 0x06..0x08 bn254 -----------------------------------------------------------------------

namespace {
const std::string kG1 = word(1) + word(2);
const std::string kTwoG1 =
    "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
    "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4";
}  // namespace

TEST(Bn254Precompiles, AddGasAndResult) {
    auto r = run(6, hex(kG1 + kG1), 150, Revision::Istanbul);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 150);
    EXPECT_EQ(out_hex(r), kTwoG1);
    r = run(6, hex(kG1 + kG1), 500, Revision::Byzantium);
    EXPECT_EQ(r.gas_used, 500);
    EXPECT_EQ(out_hex(r), kTwoG1);
    expect_failure(run(6, hex(kG1 + kG1), 149, Revision::Istanbul), 149);
    expect_failure(run(6, hex(kG1 + kG1), 499, Revision::Byzantium), 499);
    // Empty input is infinity + infinity.
    r = run(6, {});
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.output, bytes(64, 0));
    // (1, 3) is not on the curve.
    expect_failure(run(6, hex(word(1) + word(3)), 10000), 10000);
}

TEST(Bn254Precompiles, MulGasAndResult) {
    auto r = run(7, hex(kG1 + word(2)), 6000, Revision::Istanbul);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 6000);
    EXPECT_EQ(out_hex(r), kTwoG1);
    EXPECT_EQ(run(7, hex(kG1 + word(2)), 40000, Revision::Byzantium).gas_used, 40000);
    expect_failure(run(7, hex(kG1 + word(2)), 5999, Revision::Istanbul), 5999);
    expect_failure(run(7, hex(word(1) + word(3) + word(2)), 100000), 100000);
}

TEST(Bn254Precompiles, PairingGasAndLengthRule) {
    auto r = run(8, {}, 45000, Revision::Istanbul);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 45000);
    EXPECT_EQ(out_hex(r), word(1));
    EXPECT_EQ(run(8, {}, 100000, Revision::Byzantium).gas_used, 100000);
    expect_failure(run(8, {}, 44999, Revision::Istanbul), 44999);

    // Two pairs of points at infinity: the product is trivially 1.
    const bytes two_infinite_pairs(2 * 192, 0);
    r = run(8, two_infinite_pairs, 1'000'000, Revision::Istanbul);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 45000 + 2 * 34000);
    EXPECT_EQ(out_hex(r), word(1));
    EXPECT_EQ(run(8, two_infinite_pairs, 1'000'000, Revision::Byzantium).gas_used,
              100000 + 2 * 80000);

    // Not a multiple of 192 bytes.
    expect_failure(run(8, bytes(191, 0), 1'000'000), 1'000'000);
    expect_failure(run(8, bytes(193, 0), 1'000'000), 1'000'000);
}

// ---- 0x09 blake2f (EIP-152) -----------------------------------------------------------------

namespace {
// EIP-152's test vectors share h, m ("abc") and t; they differ in rounds, flag and length.
const std::string kBlake2Payload =
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c6805"
    "9b"
    "6bbd41fbabd9831f79217e1319cde05b" +
    std::string("616263") + std::string(250, '0') + "0300000000000000" + "0000000000000000";
}  // namespace

TEST(Blake2f, Eip152InvalidVectors) {
    // Vector 0: empty; 1: 212 bytes; 2: 214 bytes; 3: final flag 2.
    expect_failure(run(9, {}, 1000), 1000);
    expect_failure(run(9, hex("00000c" + kBlake2Payload + "01"), 1000), 1000);
    expect_failure(run(9, hex("000000000c" + kBlake2Payload + "01"), 1000), 1000);
    expect_failure(run(9, hex("0000000c" + kBlake2Payload + "02"), 1000), 1000);
}

TEST(Blake2f, Eip152ValidVectors) {
    ASSERT_EQ(hex("0000000c" + kBlake2Payload + "01").size(), 213u);
    struct Case {
        std::string_view rounds, flag, expected;
        int64_t gas;
    };
    const Case cases[] = {
        {"00000000", "01",
         "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d282e6ad7f520e511f6c3e2b8"
         "c68059b"
         "9442be0454267ce079217e1319cde05b",
         0},
        {"0000000c", "01",
         "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4"
         "533cc95"
         "18d38aa8dbf1925ab92386edd4009923",
         12},
        {"0000000c", "00",
         "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d2875298743e7f6d5ea2f2d3e8d2260"
         "39cd31b"
         "4e426ac4f2d3d666a610c2116fde4735",
         12},
        {"00000001", "01",
         "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fba551b3a8333bcdf5f2f7e0899"
         "3d53923"
         "de3d64fcc68c034e717b9293fed7a421",
         1},
    };
    for (const auto& c : cases) {
        const auto r =
            run(9, hex(std::string(c.rounds) + kBlake2Payload + std::string(c.flag)), 1000);
        EXPECT_TRUE(r.success);
        EXPECT_EQ(r.gas_used, c.gas);
        EXPECT_EQ(out_hex(r), c.expected);
    }
}

TEST(Blake2f, GasIsRounds) {
    const bytes input = hex("0000000c" + kBlake2Payload + "01");
    expect_failure(run(9, input, 11), 11);
    EXPECT_TRUE(run(9, input, 12).success);
    // 2^32 - 1 rounds can never be afforded cheaply.
    expect_failure(run(9, hex("ffffffff" + kBlake2Payload + "01"), 4'294'967'294), 4'294'967'294);
}

TEST(Blake2f, IsTheBlake2bCompressionOfTheEmptyMessage) {
    // BLAKE2b-512("") is one final compression of a zero block with t = 0 starting from
    // h = IV ^ 0x01010040 (digest length 64, no key, fanout 1, depth 1).
    const std::string h =
        "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c"
        "68059b"
        "6bbd41fbabd9831f79217e1319cde05b";
    const auto r =
        run(9, hex("0000000c" + h + std::string(256, '0') + std::string(32, '0') + "01"), 12);
    EXPECT_EQ(out_hex(r),
              "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee58531389"
              "6444934eb04b"
              "903a685b1448b755d56f701afe9be2ce");
}

// EIP-152 vector 8 runs 2^32 - 1 rounds (about a minute); run with --gtest_also_run_disabled_tests.
TEST(Blake2f, DISABLED_Eip152Vector8MaxRounds) {
    const auto r = run(9, hex("ffffffff" + kBlake2Payload + "01"), kMaxGas);
    EXPECT_TRUE(r.success);
    EXPECT_EQ(r.gas_used, 4294967295);
    EXPECT_EQ(out_hex(r),
              "fc59093aafa9ab43daae0e914c57635c5402d8e3d2130eb9b3cc181de7f0ecf9b22bf99a7815ce16419e"
              "200e01846e6b"
              "5df8cc7703041bbceb571de6631d2615");
}

// ---- 0x0a point evaluation --------------------------------------------------------------------

// The verifying cases are in kzg_test.cpp.
TEST(PointEvaluation, MalformedInputFailsWithAllGas) {
    EXPECT_EQ(kPointEvaluationAddress, 0x0a);
    // All zero: the versioned hash is not 0x01 || sha256(commitment)[1:].
    expect_failure(run(kPointEvaluationAddress, bytes(192, 0), 100000, Revision::Cancun), 100000);
    expect_failure(run(kPointEvaluationAddress, {}, 50000, Revision::Prague), 50000);
    // Enough for the price (50000) but the input is short.
    expect_failure(run(kPointEvaluationAddress, bytes(191, 0), 49999, Revision::Cancun), 49999);
}

TEST(P256Verify, OsakaOnlyFixedGasAndEmptyOutputOnFailure) {
    using krnl::evm::kP256VerifyAddress;
    EXPECT_FALSE(krnl::evm::is_precompile(kP256VerifyAddress, krnl::evm::Revision::Cancun));
    EXPECT_FALSE(krnl::evm::is_precompile(kP256VerifyAddress, krnl::evm::Revision::Prague));
    ASSERT_TRUE(krnl::evm::is_precompile(kP256VerifyAddress, krnl::evm::Revision::Osaka));
    const auto short_input = krnl::evm::run_precompile(kP256VerifyAddress, krnl::bytes(159, 1),
                                                       10'000, krnl::evm::Revision::Osaka);
    EXPECT_TRUE(short_input.success);
    EXPECT_EQ(short_input.gas_used, 6900);
    EXPECT_TRUE(short_input.output.empty());
    const auto bad_signature = krnl::evm::run_precompile(kP256VerifyAddress, krnl::bytes(160, 1),
                                                         10'000, krnl::evm::Revision::Osaka);
    EXPECT_TRUE(bad_signature.success);
    EXPECT_TRUE(bad_signature.output.empty());
    const auto out_of_gas = krnl::evm::run_precompile(kP256VerifyAddress, krnl::bytes(160, 1), 6899,
                                                      krnl::evm::Revision::Osaka);
    EXPECT_FALSE(out_of_gas.success);
    krnl::address near = kP256VerifyAddress;
    near.bytes[19] = 0x01;  // 0x101 is nothing
    EXPECT_FALSE(krnl::evm::is_precompile(near, krnl::evm::Revision::Osaka));
}
