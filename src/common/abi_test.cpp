#include "common/abi.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace krnl;
using namespace krnl::abi;

namespace {

bytes hex(std::string_view h) {
    auto b = from_hex(h);
    EXPECT_TRUE(b.has_value()) << h;
    return b.value_or(bytes{});
}

// 32-byte words given as right-aligned numbers ("45") or as left-aligned text ("L:616263").
bytes words(std::initializer_list<std::string_view> items) {
    bytes out;
    for (std::string_view item : items) {
        if (item.starts_with("L:")) {
            bytes b = hex(item.substr(2));
            b.resize(32, 0);
            out += b;
        } else {
            std::string padded(64 - item.size(), '0');
            padded += item;
            out += hex(padded);
        }
    }
    return out;
}

std::vector<Type> types(std::string_view text) {
    auto t = parse_types(text);
    EXPECT_TRUE(t.has_value()) << text << ": " << (t ? "" : t.error());
    return t.value_or(std::vector<Type>{});
}

bytes text_bytes(std::string_view s) {
    return bytes(as_bytes(s));
}

}  // namespace

TEST(AbiType, ParsesAndCanonicalises) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"uint", "uint256"},
        {"int", "int256"},
        {"uint8", "uint8"},
        {"int24", "int24"},
        {"address", "address"},
        {"bool", "bool"},
        {"bytes1", "bytes1"},
        {"bytes32", "bytes32"},
        {"bytes", "bytes"},
        {"string", "string"},
        {"uint[]", "uint256[]"},
        {"uint256[2][]", "uint256[2][]"},
        {"(uint,address)[3]", "(uint256,address)[3]"},
        {"((bytes,int)[],bool)", "((bytes,int256)[],bool)"},
    };
    for (const auto& [text, canonical] : cases) {
        auto t = parse_type(text);
        ASSERT_TRUE(t.has_value()) << text << ": " << t.error();
        EXPECT_EQ(t->canonical(), canonical);
    }
}

TEST(AbiType, ArraySuffixesApplyInnermostFirst) {
    auto t = parse_type("uint8[2][]");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->kind, Type::Kind::Array);
    EXPECT_EQ(t->components[0].kind, Type::Kind::FixedArray);
    EXPECT_EQ(t->components[0].size, 2u);
    EXPECT_TRUE(t->is_dynamic());
    EXPECT_FALSE(t->components[0].is_dynamic());
    EXPECT_EQ(t->components[0].head_size(), 64u);
}

TEST(AbiType, RejectsBadTypes) {
    for (const char* text : {"",
                             "uint7",
                             "uint264",
                             "uint0",
                             "int7",
                             "bytes0",
                             "bytes33",
                             "uint256[0]",
                             "uint256[01]",
                             "uint256[",
                             "uint256]",
                             "(uint256",
                             "(uint256,)",
                             "()",
                             "foo",
                             "address payable",
                             "uint256[99999999999999999999]",
                             "uint256 ",
                             "(,)",
                             "bytes[-1]"}) {
        EXPECT_FALSE(parse_type(text).has_value()) << text;
    }
    // Hostile nesting is refused instead of recursing without bound.
    EXPECT_FALSE(parse_type(std::string(10000, '(') + "uint256" + std::string(10000, ')')));
    std::string deep_array = "uint256";
    for (int i = 0; i < 10000; ++i)
        deep_array += "[]";
    EXPECT_FALSE(parse_type(deep_array).has_value());
}

TEST(AbiType, ParsesLists) {
    EXPECT_EQ(types("").size(), 0u);
    EXPECT_EQ(types("()").size(), 0u);
    EXPECT_EQ(types("address,uint256").size(), 2u);
    EXPECT_EQ(types("(address,uint256)").size(), 2u);
    // A single tuple member needs its own parentheses inside the list's.
    auto one_tuple = types("((address,uint256))");
    ASSERT_EQ(one_tuple.size(), 1u);
    EXPECT_EQ(one_tuple[0].kind, Type::Kind::Tuple);
    auto leading_tuple = types("(address,uint256),bool");
    ASSERT_EQ(leading_tuple.size(), 2u);
    EXPECT_EQ(leading_tuple[0].canonical(), "(address,uint256)");
}

// Found by fuzz_abi: a list parsed with and without its parentheses must nest equally deep, or the
// canonical spelling of an accepted list is refused.
TEST(AbiType, ListNestingIsTheSameWithOrWithoutParentheses) {
    std::string deepest = "bytes";
    for (int i = 0; i < 32; ++i)
        deepest += "[2]";
    EXPECT_EQ(types(deepest).size(), 1u);
    EXPECT_EQ(types("(" + deepest + ")").size(), 1u);
    EXPECT_FALSE(parse_types(deepest + "[2]").has_value());
    EXPECT_FALSE(parse_types("(" + deepest + "[2])").has_value());
}

TEST(AbiSelector, KnownSelectors) {
    EXPECT_EQ(to_hex(selector("transfer(address,uint256)")), "0xa9059cbb");
    EXPECT_EQ(to_hex(selector("baz(uint32,bool)")), "0xcdcd77c0");
    EXPECT_EQ(to_hex(selector("Error(string)")), to_hex(kErrorSelector));
    EXPECT_EQ(to_hex(selector("Panic(uint256)")), to_hex(kPanicSelector));
    auto f = parse_function("transfer(address,uint)");
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->canonical(), "transfer(address,uint256)");
    EXPECT_FALSE(parse_function("(uint256)").has_value());
    EXPECT_FALSE(parse_function("f(uint256").has_value());
    EXPECT_FALSE(parse_function("f g(uint256)").has_value());
}

// The examples of the Solidity ABI specification.
TEST(AbiEncode, SpecBaz) {
    auto call =
        encode_call("baz(uint32,bool)", std::vector<Value>{Value(uint64_t{69}), Value(true)});
    ASSERT_TRUE(call.has_value()) << call.error();
    EXPECT_EQ(*call, hex("cdcd77c0") + words({"45", "1"}));
}

TEST(AbiEncode, SpecBar) {
    auto call = encode_call("bar(bytes3[2])",
                            std::vector<Value>{ValueList{text_bytes("abc"), text_bytes("def")}});
    ASSERT_TRUE(call.has_value()) << call.error();
    EXPECT_EQ(*call, hex("fce353f6") + words({"L:616263", "L:646566"}));
}

TEST(AbiEncode, SpecSam) {
    const std::vector<Value> args = {text_bytes("dave"), Value(true),
                                     ValueList{uint64_t{1}, uint64_t{2}, uint64_t{3}}};
    auto call = encode_call("sam(bytes,bool,uint256[])", args);
    ASSERT_TRUE(call.has_value()) << call.error();
    const bytes body = words({"60", "1", "a0", "4", "L:64617665", "3", "1", "2", "3"});
    EXPECT_EQ(*call, hex("a5643bf2") + body);

    auto decoded = decode(types("bytes,bool,uint256[]"), body);
    ASSERT_TRUE(decoded.has_value()) << decoded.error();
    EXPECT_EQ(*decoded, args);
}

TEST(AbiEncode, SpecDynamicF) {
    const std::vector<Value> args = {uint64_t{0x123}, ValueList{uint64_t{0x456}, uint64_t{0x789}},
                                     text_bytes("1234567890"), text_bytes("Hello, world!")};
    auto call = encode_call("f(uint256,uint32[],bytes10,bytes)", args);
    ASSERT_TRUE(call.has_value()) << call.error();
    const bytes body = words({"123", "80", "L:31323334353637383930", "e0", "2", "456", "789", "d",
                              "L:48656c6c6f2c20776f726c6421"});
    EXPECT_EQ(*call, hex("8be65246") + body);
    auto decoded = decode(types("uint256,uint32[],bytes10,bytes"), body);
    ASSERT_TRUE(decoded.has_value()) << decoded.error();
    EXPECT_EQ(*decoded, args);
}

TEST(AbiEncode, SpecNestedG) {
    const std::vector<Value> args = {
        ValueList{ValueList{uint64_t{1}, uint64_t{2}}, ValueList{uint64_t{3}}},
        ValueList{Value("one"), Value("two"), Value("three")}};
    auto call = encode_call("g(uint256[][],string[])", args);
    ASSERT_TRUE(call.has_value()) << call.error();
    const bytes body =
        words({"40", "140", "2",  "40", "a0", "2",        "1", "2",        "1", "3",
               "3",  "60",  "a0", "e0", "3",  "L:6f6e65", "3", "L:74776f", "5", "L:7468726565"});
    EXPECT_EQ(*call, hex("2289b18c") + body);
    auto decoded = decode(types("uint256[][],string[]"), body);
    ASSERT_TRUE(decoded.has_value()) << decoded.error();
    EXPECT_EQ(*decoded, args);
}

TEST(AbiEncode, TuplesAndSignedIntegers) {
    // (int8,(address,bytes)) with -1 and a dynamic inner tuple.
    address a;
    a[19] = 0x42;
    const std::vector<Value> args = {Value::signed_int(-1), ValueList{a, text_bytes("xy")}};
    auto encoded = encode(types("int8,(address,bytes)"), args);
    ASSERT_TRUE(encoded.has_value()) << encoded.error();
    EXPECT_EQ(*encoded, words({"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                               "40", "42", "40", "2", "L:7879"}));
    auto decoded = decode(types("int8,(address,bytes)"), *encoded);
    ASSERT_TRUE(decoded.has_value()) << decoded.error();
    EXPECT_EQ(*decoded, args);
}

TEST(AbiEncode, RejectsValuesThatDoNotFit) {
    const Type u8 = *parse_type("uint8");
    EXPECT_TRUE(encode(u8, Value(uint64_t{255})).has_value());
    EXPECT_FALSE(encode(u8, Value(uint64_t{256})).has_value());
    const Type i8 = *parse_type("int8");
    EXPECT_TRUE(encode(i8, Value::signed_int(-128)).has_value());
    EXPECT_TRUE(encode(i8, Value::signed_int(127)).has_value());
    EXPECT_FALSE(encode(i8, Value::signed_int(-129)).has_value());
    EXPECT_FALSE(encode(i8, Value::signed_int(128)).has_value());
    EXPECT_FALSE(encode(*parse_type("bytes4"), Value(text_bytes("abc"))).has_value());
    EXPECT_FALSE(encode(*parse_type("uint256[2]"), Value(ValueList{uint64_t{1}})).has_value());
    EXPECT_FALSE(encode(*parse_type("address"), Value(uint64_t{1})).has_value());
    EXPECT_FALSE(encode(*parse_type("(uint256,bool)"), Value(ValueList{uint64_t{1}})).has_value());
    EXPECT_FALSE(encode(types("uint256,uint256"), std::vector<Value>{uint64_t{1}}).has_value());
}

TEST(AbiDecode, RejectsBadPadding) {
    // The high bytes of a word must be zero (or the sign) for narrower types.
    const bytes big = words({"100"});
    EXPECT_FALSE(decode(*parse_type("uint8"), big).has_value());
    EXPECT_TRUE(decode(*parse_type("uint16"), big).has_value());
    EXPECT_FALSE(decode(*parse_type("bool"), words({"2"})).has_value());
    EXPECT_TRUE(decode(*parse_type("bool"), words({"1"})).has_value());
    EXPECT_FALSE(
        decode(*parse_type("address"), words({"10000000000000000000000000000000000000000"}))
            .has_value());
    EXPECT_FALSE(decode(*parse_type("bytes2"), words({"L:616263"})).has_value());
    EXPECT_TRUE(decode(*parse_type("bytes3"), words({"L:616263"})).has_value());
    // int8: 0x80 alone is not the sign extension of a negative byte.
    EXPECT_FALSE(decode(*parse_type("int8"), words({"80"})).has_value());
    auto minus_128 =
        decode(*parse_type("int8"),
               words({"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80"}));
    ASSERT_TRUE(minus_128.has_value());
    EXPECT_EQ(*minus_128, Value::signed_int(-128));
}

TEST(AbiDecode, RejectsOffsetsAndLengthsOutsideTheData) {
    const auto t = types("bytes");
    EXPECT_FALSE(decode(t, words({"20"})).has_value());                // no length word
    EXPECT_FALSE(decode(t, words({"40", "0"})).has_value());           // offset past the end
    EXPECT_FALSE(decode(t, words({"20", "21", "L:00"})).has_value());  // 33 bytes promised
    EXPECT_TRUE(decode(t, words({"20", "20", "L:00"})).has_value());
    EXPECT_FALSE(decode(t, words({"ffffffffffffffffffffffffffffffff", "0"})).has_value());
    EXPECT_FALSE(decode(types("uint256[]"), words({"20", "ffffffff"})).has_value());
    EXPECT_FALSE(decode(types("uint256,uint256"), words({"1"})).has_value());
    EXPECT_FALSE(decode(types("uint256[3]"), words({"1", "2"})).has_value());
    EXPECT_TRUE(decode(types("uint256"), words({"1", "2"})).has_value());  // trailing data is fine
}

TEST(AbiDecode, RefusesDataReusedIntoHugeTrees) {
    // Every element offset points at the same inner array: a small input would otherwise
    // decode into n^3 values.
    const size_t n = 200;
    bytes data = words({"20", std::to_string(n)});
    // Outer array of n offsets, all to one inner array placed after them.
    auto hex_word = [](size_t v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%zx", v);
        return std::string(buf);
    };
    for (size_t i = 0; i < n; ++i)
        data += words({hex_word(n * 32)});
    data += words({hex_word(n)});
    for (size_t i = 0; i < n; ++i)
        data += words({hex_word(n * 32)});
    data += words({hex_word(n)});
    for (size_t i = 0; i < n; ++i)
        data += words({"7"});
    auto r = decode(types("uint256[][][]"), data);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), "encoding reuses its data too many times");
    // The same shape without sharing decodes.
    auto fine = encode(types("uint256[][][]"),
                       std::vector<Value>{ValueList{ValueList{ValueList{uint64_t{7}}}}});
    ASSERT_TRUE(fine.has_value());
    EXPECT_TRUE(decode(types("uint256[][][]"), *fine).has_value());
}

TEST(AbiDecode, MutatedInputNeverCrashes) {
    std::mt19937_64 rng(7);
    const auto t = types("(uint8,bytes,string[],(address,bool)[2])[],bytes32,int16[]");
    address a;
    a[19] = 1;
    const std::vector<Value> values = {
        ValueList{ValueList{Value(uint64_t{5}), Value(text_bytes("payload")),
                            ValueList{Value("x"), Value("yz")},
                            ValueList{ValueList{a, Value(true)}, ValueList{a, Value(false)}}}},
        Value(bytes(32, 0xab)), ValueList{Value::signed_int(-3), Value::signed_int(4)}};
    const bytes valid = *encode(t, values);
    size_t accepted = 0, rejected = 0;
    for (int round = 0; round < 20000; ++round) {
        bytes data = valid;
        // A few bytes changed, mostly in the low byte of a word where offsets and lengths live.
        for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
            const size_t word = rng() % (data.size() / 32);
            const size_t at = rng() % 4 == 0 ? word * 32 + rng() % 32 : word * 32 + 31;
            data[at] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 0x200);
        }
        if (rng() % 8 == 0) data.resize(rng() % data.size());
        // Whatever is accepted is a well-typed value: it encodes again.
        if (auto v = decode(t, data)) {
            ++accepted;
            EXPECT_TRUE(encode(t, *v).has_value());
        } else {
            ++rejected;
        }
    }
    EXPECT_GT(accepted, 0u);
    EXPECT_GT(rejected, 0u);
}

TEST(AbiDecode, RoundTripsRandomValues) {
    std::mt19937_64 rng(11);
    const auto t = types("(uint8,bytes,string[],(address,bool)[2])[],bytes32,int16[]");
    for (int round = 0; round < 200; ++round) {
        ValueList outer;
        const size_t n = rng() % 4;
        for (size_t i = 0; i < n; ++i) {
            bytes blob(rng() % 70, static_cast<uint8_t>(rng()));
            ValueList strings;
            for (size_t k = rng() % 3; k > 0; --k)
                strings.emplace_back(std::string(rng() % 40, 'a' + static_cast<char>(k)));
            address a;
            a[static_cast<size_t>(rng() % 20)] = static_cast<uint8_t>(rng());
            outer.push_back(ValueList{
                Value(uint64_t{rng() % 256}), Value(std::move(blob)), Value(std::move(strings)),
                ValueList{ValueList{a, Value(true)}, ValueList{a, Value(false)}}});
        }
        bytes b32(32, static_cast<uint8_t>(rng()));
        ValueList ints;
        for (size_t k = rng() % 5; k > 0; --k)
            ints.push_back(Value::signed_int(static_cast<int64_t>(rng() % 65536) - 32768));
        const std::vector<Value> values = {Value(std::move(outer)), Value(std::move(b32)),
                                           Value(std::move(ints))};
        auto encoded = encode(t, values);
        ASSERT_TRUE(encoded.has_value()) << encoded.error();
        auto decoded = decode(t, *encoded);
        ASSERT_TRUE(decoded.has_value()) << decoded.error();
        ASSERT_EQ(*decoded, values);
        // Any truncation of a non-empty encoding loses data the decoder needs.
        if (encoded->size() > 32) {
            const bytes cut = encoded->substr(0, encoded->size() - 32);
            EXPECT_FALSE(decode(t, cut).has_value() && *decode(t, cut) == values);
        }
    }
}

TEST(AbiRevert, DecodesErrorAndPanic) {
    auto error = encode_call("Error(string)", std::vector<Value>{Value("not owner")});
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(revert_reason_text(*error), "not owner");

    auto panic = encode_call("Panic(uint256)", std::vector<Value>{Value(uint64_t{0x11})});
    ASSERT_TRUE(panic.has_value());
    auto reason = decode_revert(*panic);
    ASSERT_TRUE(reason.has_value());
    EXPECT_TRUE(reason->is_panic);
    EXPECT_EQ(reason->panic_code, uint256(0x11));
    EXPECT_EQ(reason->message, "arithmetic underflow or overflow");

    auto unknown = encode_call("Panic(uint256)", std::vector<Value>{Value(uint64_t{0x99})});
    EXPECT_EQ(revert_reason_text(*unknown), "unknown panic code: 0x99");

    EXPECT_FALSE(revert_reason_text(hex("08c379a0")).has_value());                 // truncated
    EXPECT_FALSE(revert_reason_text(hex("deadbeef") + words({"1"})).has_value());  // custom error
    EXPECT_FALSE(revert_reason_text({}).has_value());
}

TEST(AbiRevert, NamesCustomErrorsItIsTold) {
    constexpr std::string_view known[] = {"NotEnoughSignatures(uint256,uint256)",
                                          "UntrustedSigner(address)", "Nothing()"};
    address signer;
    signer[19] = 0xab;
    auto untrusted = encode_call("UntrustedSigner(address)", std::vector<Value>{signer});
    ASSERT_TRUE(untrusted);
    EXPECT_EQ(custom_error_text(*untrusted, known),
              "UntrustedSigner(0x00000000000000000000000000000000000000ab)");
    auto few = encode_call("NotEnoughSignatures(uint256,uint256)",
                           std::vector<Value>{uint256(1), uint256(2)});
    EXPECT_EQ(custom_error_text(*few, known), "NotEnoughSignatures(1, 2)");
    auto none = encode_call("Nothing()", std::vector<Value>{});
    EXPECT_EQ(custom_error_text(*none, known), "Nothing()");
    // Unknown selectors, truncated arguments and short data are not named.
    auto other = encode_call("Other(uint256)", std::vector<Value>{uint256(1)});
    EXPECT_EQ(custom_error_text(*other, known), std::nullopt);
    EXPECT_EQ(custom_error_text(bytes_view(*few).substr(0, 40), known), std::nullopt);
    EXPECT_EQ(custom_error_text(bytes_view(*few).substr(0, 3), known), std::nullopt);
}
