#include "common/rlp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace krnl::rlp {
namespace {

bytes hex(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b.has_value()) << s;
    return b.value_or(bytes{});
}

bytes str(std::string_view s) {
    return bytes(as_bytes(s));
}

bytes encoded_string(std::string_view s) {
    bytes out;
    encode_string(out, as_bytes(s));
    return out;
}

bytes encoded_uint(uint64_t v) {
    bytes out;
    encode_uint(out, v);
    return out;
}

bytes encoded_uint(const uint256& v) {
    bytes out;
    encode_uint(out, v);
    return out;
}

// Examples from the Ethereum RLP specification (ethereum.org "Recursive-length prefix").
TEST(Rlp, EncodesSpecExamples) {
    EXPECT_EQ(encoded_string("dog"), hex("83646f67"));
    EXPECT_EQ(encoded_string(""), hex("80"));
    EXPECT_EQ(encoded_uint(uint64_t{0}), hex("80"));
    EXPECT_EQ(encoded_string(std::string_view("\0", 1)), hex("00"));
    EXPECT_EQ(encoded_string("\x0f"), hex("0f"));
    EXPECT_EQ(encoded_uint(uint64_t{15}), hex("0f"));
    EXPECT_EQ(encoded_uint(uint64_t{1024}), hex("820400"));
    EXPECT_EQ(encoded_string("Lorem ipsum dolor sit amet, consectetur adipisicing elit"),
              hex("b838") + str("Lorem ipsum dolor sit amet, consectetur adipisicing elit"));

    // ["cat", "dog"]
    bytes payload = encoded_string("cat") + encoded_string("dog");
    EXPECT_EQ(wrap_list(payload), hex("c88363617483646f67"));
    EXPECT_EQ(wrap_list({}), hex("c0"));

    // The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ].
    const bytes empty = wrap_list({});
    const bytes one = wrap_list(empty);
    const bytes two = wrap_list(empty + one);
    EXPECT_EQ(wrap_list(empty + one + two), hex("c7c0c1c0c3c0c1c0"));
}

TEST(Rlp, EncodesIntegerBoundaries) {
    EXPECT_EQ(encoded_uint(uint64_t{0x7f}), hex("7f"));
    EXPECT_EQ(encoded_uint(uint64_t{0x80}), hex("8180"));
    EXPECT_EQ(encoded_uint(uint64_t{0xff}), hex("81ff"));
    EXPECT_EQ(encoded_uint(uint64_t{0x100}), hex("820100"));
    EXPECT_EQ(encoded_uint(~uint64_t{0}), hex("88ffffffffffffffff"));

    EXPECT_EQ(encoded_uint(uint256{0}), hex("80"));
    EXPECT_EQ(encoded_uint(uint256{0x7f}), hex("7f"));
    EXPECT_EQ(encoded_uint(uint256{0x80}), hex("8180"));
    EXPECT_EQ(encoded_uint(uint256{0, 1, 0, 0}), hex("89010000000000000000"));
    const uint256 max{~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}};
    EXPECT_EQ(encoded_uint(max), hex("a0") + bytes(32, 0xff));
}

TEST(Rlp, EncodesLongLengths) {
    bytes out;
    encode_list_header(out, 55);
    EXPECT_EQ(out, hex("f7"));
    out.clear();
    encode_list_header(out, 56);
    EXPECT_EQ(out, hex("f838"));
    out.clear();
    encode_list_header(out, 0x10000);
    EXPECT_EQ(out, hex("fa010000"));

    const bytes big(1024, 0xaa);
    out.clear();
    encode_string(out, big);
    EXPECT_EQ(out.substr(0, 3), hex("b90400"));
    EXPECT_EQ(out.size(), 3 + big.size());
}

TEST(Rlp, LengthsMatchEncodings) {
    for (size_t n : {0, 1, 2, 55, 56, 255, 256, 70000}) {
        const bytes s(n, 0x90);
        bytes out;
        encode_string(out, s);
        EXPECT_EQ(string_length(s), out.size()) << n;

        out.clear();
        encode_list_header(out, n);
        EXPECT_EQ(list_length(n), out.size() + n) << n;
    }
    EXPECT_EQ(string_length(hex("05")), 1u);
    EXPECT_EQ(string_length(hex("80")), 2u);
}

TEST(Rlp, DecodesHeaders) {
    bytes_view in;
    const bytes single = hex("7f");
    in = single;
    auto h = decode_header(in);
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->list);
    EXPECT_EQ(h->payload_length, 1u);
    EXPECT_EQ(in.size(), 1u);  // the byte is its own payload

    const bytes list = hex("c88363617483646f67");
    in = list;
    h = decode_header(in);
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->list);
    EXPECT_EQ(h->payload_length, 8u);
    EXPECT_EQ(in.size(), 8u);

    const bytes long_string = hex("b838") + bytes(56, 'a');
    in = long_string;
    h = decode_header(in);
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->list);
    EXPECT_EQ(h->payload_length, 56u);
    EXPECT_EQ(in.size(), 56u);
}

TEST(Rlp, DecodesListItemsInOrder) {
    const bytes encoded = hex("c88363617483646f67");
    bytes_view in = encoded;
    auto payload = decode_list(in);
    ASSERT_TRUE(payload);
    EXPECT_TRUE(in.empty());
    auto cat = decode_string(*payload);
    auto dog = decode_string(*payload);
    ASSERT_TRUE(cat && dog);
    EXPECT_EQ(bytes(*cat), str("cat"));
    EXPECT_EQ(bytes(*dog), str("dog"));
    EXPECT_TRUE(payload->empty());
    EXPECT_EQ(decode_string(*payload).error(), Error::InputTooShort);
}

TEST(Rlp, DecodesIntegers) {
    const std::pair<const char*, uint64_t> cases[] = {
        {"80", 0},      {"01", 1},        {"7f", 0x7f},
        {"8180", 0x80}, {"820400", 1024}, {"88ffffffffffffffff", ~uint64_t{0}},
    };
    for (const auto& [encoding, value] : cases) {
        const bytes b = hex(encoding);
        bytes_view in = b;
        auto v = decode_u64(in);
        ASSERT_TRUE(v) << encoding;
        EXPECT_EQ(*v, value) << encoding;
        EXPECT_TRUE(in.empty());

        in = b;
        auto w = decode_uint256(in);
        ASSERT_TRUE(w) << encoding;
        EXPECT_EQ(*w, uint256{value}) << encoding;
    }

    const bytes max256 = hex("a0") + bytes(32, 0xff);
    bytes_view in = max256;
    auto w = decode_uint256(in);
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, (uint256{~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}}));
    EXPECT_TRUE(in.empty());
}

TEST(Rlp, IntegersRoundTrip) {
    uint64_t x = 0x9e3779b97f4a7c15;
    for (int i = 0; i < 200; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const uint64_t v = x >> (i % 64);
        const bytes e = encoded_uint(v);
        bytes_view in = e;
        auto d = decode_u64(in);
        ASSERT_TRUE(d);
        EXPECT_EQ(*d, v);

        const uint256 big{x, x >> (i % 64), i % 3 ? x : 0, i % 5 ? x >> (i % 64) : 0};
        const bytes eb = encoded_uint(big);
        in = eb;
        auto db = decode_uint256(in);
        ASSERT_TRUE(db);
        EXPECT_EQ(*db, big);
        EXPECT_TRUE(in.empty());
    }
}

// Each check names the input and the error strict decoding must give.
void expect_error(std::expected<bytes_view, Error> (*decode)(bytes_view&), std::string_view input,
                  Error expected) {
    const bytes b = hex(input);
    bytes_view in = b;
    auto r = decode(in);
    ASSERT_FALSE(r) << input;
    EXPECT_EQ(r.error(), expected) << input << ": " << error_message(r.error());
    EXPECT_EQ(in.size(), b.size()) << "failed decoding must not consume: " << input;
}

TEST(Rlp, RejectsNonCanonicalSizes) {
    expect_error(decode_string, "8100", Error::NonCanonicalSize);
    expect_error(decode_string, "817f", Error::NonCanonicalSize);
    expect_error(decode_string, "b800", Error::NonCanonicalSize);    // leading zero length
    expect_error(decode_string, "b80100", Error::NonCanonicalSize);  // leading zero length
    expect_error(decode_string, "b801ff", Error::NonCanonicalSize);  // long form for 1 byte
    expect_error(decode_string, "b837" + std::string(110, 'a'), Error::NonCanonicalSize);
    expect_error(decode_list, "f800", Error::NonCanonicalSize);
    expect_error(decode_list, "f803112233", Error::NonCanonicalSize);
    expect_error(decode_list, "f90037" + std::string(110, 'a'), Error::NonCanonicalSize);
}

TEST(Rlp, RejectsTruncatedInput) {
    expect_error(decode_string, "", Error::InputTooShort);
    expect_error(decode_string, "81", Error::InputTooShort);
    expect_error(decode_string, "83646f", Error::InputTooShort);
    expect_error(decode_string, "b8", Error::InputTooShort);
    expect_error(decode_string, "b9ff", Error::InputTooShort);
    expect_error(decode_string, "b840ffeeddccbbaa99887766554433221100", Error::InputTooShort);
    expect_error(decode_string, "bfffffffffffffffff00", Error::InputTooShort);  // 2^64-1 bytes
    expect_error(decode_list, "c5010203", Error::InputTooShort);
    expect_error(decode_list, "ffffffffffffffffff0001020304050607", Error::InputTooShort);

    // Every strict prefix of a valid nested encoding fails the same way.
    const bytes full =
        wrap_list(encoded_string("Lorem ipsum dolor sit amet, consectetur adipisicing elit") +
                  wrap_list(encoded_uint(uint64_t{1024})));
    for (size_t n = 0; n < full.size(); ++n) {
        bytes_view in = bytes_view(full).substr(0, n);
        EXPECT_EQ(decode_item(in).error(), Error::InputTooShort) << n;
    }
    bytes_view whole = full;
    EXPECT_TRUE(decode_item(whole));
    EXPECT_TRUE(whole.empty());
}

TEST(Rlp, RejectsWrongKinds) {
    expect_error(decode_string, "c0", Error::UnexpectedList);
    expect_error(decode_list, "80", Error::UnexpectedString);
    expect_error(decode_list, "01", Error::UnexpectedString);

    const bytes list = hex("c0");
    bytes_view in = list;
    EXPECT_EQ(decode_u64(in).error(), Error::UnexpectedList);
    in = list;
    EXPECT_EQ(decode_uint256(in).error(), Error::UnexpectedList);
    in = list;
    EXPECT_EQ(decode_fixed<20>(in).error(), Error::UnexpectedList);
}

TEST(Rlp, RejectsNonCanonicalIntegers) {
    const std::pair<const char*, Error> u64_cases[] = {
        {"00", Error::LeadingZero},                    // zero must be 0x80
        {"820001", Error::LeadingZero},                // leading zero byte
        {"89010000000000000000", Error::Overflow},     // 2^64
        {"8900ffffffffffffffff", Error::LeadingZero},  // fits only after stripping the zero
    };
    for (const auto& [input, error] : u64_cases) {
        const bytes b = hex(input);
        bytes_view in = b;
        auto r = decode_u64(in);
        ASSERT_FALSE(r) << input;
        EXPECT_EQ(r.error(), error) << input;
        EXPECT_EQ(in.size(), b.size());
    }

    const bytes too_wide = hex("a101") + bytes(32, 0);  // 2^256
    bytes_view in = too_wide;
    EXPECT_EQ(decode_uint256(in).error(), Error::Overflow);
    const bytes padded = hex("a0") + bytes(31, 0) + hex("01");
    in = padded;
    EXPECT_EQ(decode_uint256(in).error(), Error::LeadingZero);
}

TEST(Rlp, DecodesFixedSizeFields) {
    const bytes addr_bytes = hex("d8dA6BF26964aF9D7eEd9e03E53415D37aA96045");
    bytes encoded;
    encode_string(encoded, addr_bytes);
    EXPECT_EQ(encoded.size(), 21u);

    bytes_view in = encoded;
    auto a = decode_fixed<20>(in);
    ASSERT_TRUE(a);
    EXPECT_EQ(bytes(a->view()), addr_bytes);
    EXPECT_TRUE(in.empty());

    in = encoded;
    EXPECT_EQ(decode_fixed<32>(in).error(), Error::UnexpectedLength);
    EXPECT_EQ(in.size(), encoded.size());

    const bytes small = hex("05");
    in = small;
    auto one = decode_fixed<1>(in);
    ASSERT_TRUE(one);
    EXPECT_EQ((*one)[0], 0x05);
}

TEST(Rlp, DecodeItemReturnsWholeEncoding) {
    const bytes first = wrap_list(encoded_string("cat") + encoded_uint(uint64_t{1024}));
    const bytes second = hex("05");
    const bytes both = first + second;
    bytes_view in = both;
    auto item = decode_item(in);
    ASSERT_TRUE(item);
    EXPECT_EQ(bytes(*item), first);
    item = decode_item(in);
    ASSERT_TRUE(item);
    EXPECT_EQ(bytes(*item), second);
    EXPECT_TRUE(in.empty());
}

TEST(Rlp, ErrorMessagesAreDistinct) {
    const Error all[] = {Error::InputTooShort,    Error::InputTooLong,    Error::LeadingZero,
                         Error::NonCanonicalSize, Error::UnexpectedList,  Error::UnexpectedString,
                         Error::Overflow,         Error::UnexpectedLength};
    for (Error a : all) {
        EXPECT_FALSE(error_message(a).empty());
        for (Error b : all)
            if (a != b) {
                EXPECT_NE(error_message(a), error_message(b));
            }
    }
}

}  // namespace
}  // namespace krnl::rlp
