#include "engine/abi_json.hpp"

#include <gtest/gtest.h>

namespace krnl::engine {
namespace {

abi::Type T(const char* s) {
    return *abi::parse_type(s);
}

TEST(ScaleDecimal, IsExact) {
    struct Case {
        const char* text;
        unsigned decimals;
        const char* expected;
        bool negative;
    };
    const Case cases[] = {
        {"12.345", 8, "1234500000", false},
        {"12.345", 3, "12345", false},
        {"0.1", 18, "100000000000000000", false},
        {"-7", 2, "700", true},
        {"1e3", 0, "1000", false},
        {"1.5E-2", 3, "15", false},
        {"2.50", 1, "25", false},  // trailing zeros beyond the precision are fine
        {"0", 5, "0", false},
        {"-0.0", 2, "0", false},
        {"123456789012345678901234567890", 0, "123456789012345678901234567890", false},
        {"115792089237316195423570985008687907853269984665640564039457584007913129639935", 0,
         "115792089237316195423570985008687907853269984665640564039457584007913129639935", false},
    };
    for (const Case& c : cases) {
        auto r = scale_decimal(c.text, c.decimals);
        ASSERT_TRUE(r) << c.text << ": " << r.error();
        EXPECT_EQ(to_string(r->magnitude), c.expected) << c.text;
        EXPECT_EQ(r->negative, c.negative) << c.text;
    }
}

TEST(ScaleDecimal, RefusesWhatIsNotExact) {
    EXPECT_NE(scale_decimal("12.3456", 3).error().find("more than 3 decimal places"),
              std::string::npos);
    EXPECT_NE(
        scale_decimal(
            "115792089237316195423570985008687907853269984665640564039457584007913129639936", 0)
            .error()
            .find("does not fit"),
        std::string::npos);
    EXPECT_NE(scale_decimal("1", 78).error().find("does not fit"), std::string::npos);
    for (const char* bad :
         {"", "-", "1.", ".5", "1e", "1e+", "0x10", "1,5", " 1", "1 ", "+1", "NaN", "1.2.3"})
        EXPECT_FALSE(scale_decimal(bad, 2)) << bad;
}

TEST(ExactJson, KeepsTheTextOfInexactNumbers) {
    auto doc = parse_exact_json(R"({"a":{"price":12.345,"n":3},"list":[1.5,{"x/y":1e400000}]})");
    EXPECT_FALSE(doc);  // 1e400000 overflows a double, which nlohmann refuses
    doc = parse_exact_json(
        R"({"a":{"price":12.345,"n":3},"list":[1.5,{"x/y":123456789012345678901234567890}]})");
    ASSERT_TRUE(doc) << doc.error();
    EXPECT_EQ(doc->raw_numbers.at("/a/price"), "12.345");
    EXPECT_EQ(doc->raw_numbers.at("/list/0"), "1.5");
    EXPECT_EQ(doc->raw_numbers.at("/list/1/x~1y"), "123456789012345678901234567890");
    EXPECT_FALSE(doc->raw_numbers.contains("/a/n"));
    EXPECT_EQ(doc->value["a"]["n"], 3);
}

TEST(ExactJson, RejectsBadAndDeepDocuments) {
    EXPECT_FALSE(parse_exact_json("{\"ok\": tru"));
    EXPECT_FALSE(parse_exact_json("[1,]"));
    EXPECT_FALSE(parse_exact_json(""));
    const std::string deep = std::string(200, '[') + std::string(200, ']');
    auto r = parse_exact_json(deep, 128);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("deeper than 128"), std::string::npos);
    EXPECT_TRUE(parse_exact_json(deep, 256));
}

TEST(JsonToAbi, ConvertsEveryKind) {
    EXPECT_EQ(*json_to_abi(T("uint256"), json(42)), abi::Value(uint64_t{42}));
    EXPECT_EQ(*json_to_abi(T("uint256"), json("0x2a")), abi::Value(uint64_t{42}));
    EXPECT_EQ(*json_to_abi(T("uint256"), json("1000")), abi::Value(uint64_t{1000}));
    EXPECT_EQ(*json_to_abi(T("int8"), json(-128)), abi::Value::signed_int(-128));
    EXPECT_EQ(*json_to_abi(T("int256"), json("-5")), abi::Value::signed_int(-5));
    EXPECT_EQ(*json_to_abi(T("bool"), json(true)), abi::Value(true));
    const address a = *fixed_from_hex<20>("0x00000000000000000000000000000000000000aa");
    EXPECT_EQ(*json_to_abi(T("address"), json("0x00000000000000000000000000000000000000aA")),
              abi::Value(a));
    EXPECT_EQ(*json_to_abi(T("bytes2"), json("0xbeef")), abi::Value(bytes{0xbe, 0xef}));
    EXPECT_EQ(*json_to_abi(T("bytes"), json("0x")), abi::Value(bytes{}));
    EXPECT_EQ(*json_to_abi(T("string"), json("hi")), abi::Value("hi"));
    EXPECT_EQ(*json_to_abi(T("uint8[]"), json::array({1, 2})),
              abi::Value(abi::ValueList{uint64_t{1}, uint64_t{2}}));
    EXPECT_EQ(*json_to_abi(T("(bool,string)"), json::array({false, "x"})),
              abi::Value(abi::ValueList{abi::Value(false), abi::Value("x")}));

    JsonToAbiOptions scaled;
    scaled.decimals = 8;
    EXPECT_EQ(*json_to_abi(T("uint256"), json("12.345"), scaled), abi::Value(uint64_t{1234500000}));
    EXPECT_EQ(*json_to_abi(T("uint256"), json(12.5), scaled), abi::Value(uint64_t{1250000000}));
    EXPECT_EQ(*json_to_abi(T("uint64[]"), json::array({"1", 2.25}), scaled),
              abi::Value(abi::ValueList{uint64_t{100000000}, uint64_t{225000000}}));
}

TEST(JsonToAbi, NamesTheMismatch) {
    EXPECT_NE(json_to_abi(T("uint8"), json(256)).error().find("does not fit uint8"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("int8"), json(128)).error().find("does not fit int8"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("int8"), json(-129)).error().find("does not fit int8"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("uint256"), json(-1)).error().find("negative"), std::string::npos);
    EXPECT_NE(json_to_abi(T("uint256"), json(true)).error().find("not a boolean"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("bool"), json("true")).error().find("not a string"), std::string::npos);
    EXPECT_NE(json_to_abi(T("address"), json("0x1234")).error().find("20-byte"), std::string::npos);
    EXPECT_NE(json_to_abi(T("address"), json("00000000000000000000000000000000000000aa"))
                  .error()
                  .find("0x prefix"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("bytes4"), json("0xbeef")).error().find("exactly 4 bytes"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("string"), json(1)).error().find("JSON string"), std::string::npos);
    EXPECT_NE(json_to_abi(T("uint8[2]"), json::array({1})).error().find("needs 2 elements"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("uint8[]"), json::array({1, "x"})).error().find("[1]"),
              std::string::npos);
    JsonToAbiOptions scaled;
    scaled.decimals = 2;
    EXPECT_NE(json_to_abi(T("uint256"), json("0x10"), scaled).error().find("hex"),
              std::string::npos);
    EXPECT_NE(json_to_abi(T("uint256"), json("1.234"), scaled).error().find("decimal places"),
              std::string::npos);
}

TEST(JsonToAbi, UsesTheRawTextOfNumbers) {
    auto doc = *parse_exact_json(R"({"p":0.1,"big":123456789012345678901234567890})");
    JsonToAbiOptions o;
    o.raw_numbers = &doc.raw_numbers;
    o.decimals = 18;
    o.pointer = "/p";
    EXPECT_EQ(to_string(*json_to_abi(T("uint256"), doc.value["p"], o)->as_uint()),
              "100000000000000000");
    o.decimals = 0;
    o.pointer = "/big";
    EXPECT_EQ(to_string(*json_to_abi(T("uint256"), doc.value["big"], o)->as_uint()),
              "123456789012345678901234567890");
}

TEST(AbiToJson, RoundTrips) {
    const abi::Type t = T("(uint256,int16,address,bool,bytes2,string,uint8[])");
    const json j = json::array({"7", "-3", "0x00000000000000000000000000000000000000aa", true,
                                "0xbeef", "s", json::array({"1", "2"})});
    auto v = json_to_abi(t, j);
    ASSERT_TRUE(v) << v.error();
    EXPECT_EQ(abi_to_json(t, *v), j);
    EXPECT_EQ(abi_to_text(T("int16"), abi::Value::signed_int(-3)), "-3");
    EXPECT_EQ(abi_to_text(T("string"), abi::Value("a b")), "a b");
}

}  // namespace
}  // namespace krnl::engine
