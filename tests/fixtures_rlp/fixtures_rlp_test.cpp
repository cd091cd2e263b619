// Runs every case of ethereum/tests RLPTests, each as its own test named <file>_<case>.
//
// Valid cases: "out" must decode strictly as one item tree filling the input and re-encode to the
// same bytes; when "in" describes the value (strings, integers, "#<decimal>" big integers and
// lists of them), encoding it must give "out" and the decoded tree must hold exactly it. Invalid
// cases ("in": "INVALID"): strict decoding of the whole tree must fail.
#include <gtest/gtest.h>

#include "fixture_files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/rlp.hpp"

namespace krnl::rlp {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Case {
    std::string name;  // unique test name: file and case
    json test;         // the case object, or null when loading failed
    std::string load_error;
};

std::string sanitize(std::string_view s) {
    std::string out;
    for (char c : s)
        out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
}

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    const fs::path root = fs::path(KRNL_FIXTURES) / "ethereum-tests" / "RLPTests";
    try {
        for (const auto& file : fixtures::json_files(root)) {
            std::ifstream stream(file);
            const json doc = json::parse(stream);
            const std::string prefix =
                sanitize(fs::relative(file, root).replace_extension().string());
            for (const auto& [key, test] : doc.items())
                cases.push_back({prefix + "_" + sanitize(key), test, {}});
        }
    } catch (const std::exception& e) {
        cases.push_back({"load_error", nullptr, e.what()});
    }
    if (cases.empty())
        cases.push_back({"load_error", nullptr, "no fixtures under " + root.string()});
    return cases;
}

// A decoded item: a string's payload, or a list's items.
struct Item {
    bool list = false;
    bytes payload;
    std::vector<Item> items;
};

std::expected<Item, Error> decode_tree(bytes_view& in) {
    bytes_view cursor = in;
    auto header = decode_header(cursor);
    if (!header) return std::unexpected(header.error());
    bytes_view payload = cursor.substr(0, header->payload_length);
    cursor.remove_prefix(header->payload_length);
    Item item;
    item.list = header->list;
    if (!item.list) {
        item.payload = bytes(payload);
    } else {
        while (!payload.empty()) {
            auto child = decode_tree(payload);
            if (!child) return child;
            item.items.push_back(std::move(*child));
        }
    }
    in = cursor;
    return item;
}

// Strict decoding of a whole input: one item, nothing after it.
std::expected<Item, Error> decode_whole(bytes_view in) {
    auto item = decode_tree(in);
    if (item && !in.empty()) return std::unexpected(Error::InputTooLong);
    return item;
}

bytes encode(const Item& item) {
    bytes out;
    if (!item.list) {
        encode_string(out, item.payload);
        return out;
    }
    bytes payload;
    for (const auto& child : item.items)
        payload += encode(child);
    return wrap_list(payload);
}

// Big-endian bytes of a decimal number, without leading zeros (zero is empty).
bytes decimal_to_bytes(std::string_view digits) {
    bytes value;
    for (char c : digits) {
        unsigned carry = static_cast<unsigned>(c - '0');
        for (size_t i = value.size(); i-- > 0;) {
            const unsigned v = value[i] * 10u + carry;
            value[i] = static_cast<uint8_t>(v);
            carry = v >> 8;
        }
        while (carry) {
            value.insert(value.begin(), static_cast<uint8_t>(carry));
            carry >>= 8;
        }
    }
    const size_t first = std::min(value.find_first_not_of(uint8_t{0}), value.size());
    return value.substr(first);
}

bool is_big_integer(const json& in) {
    return in.is_string() && !in.get<std::string>().empty() && in.get<std::string>()[0] == '#';
}

// Encodes the value described by "in" with the library's encoders.
bytes encode_json(const json& in) {
    bytes out;
    if (in.is_array()) {
        bytes payload;
        for (const auto& child : in)
            payload += encode_json(child);
        return wrap_list(payload);
    }
    if (in.is_number_unsigned() || in.is_number_integer()) {
        encode_uint(out, in.get<uint64_t>());
    } else if (is_big_integer(in)) {
        const bytes value = decimal_to_bytes(in.get<std::string>().substr(1));
        if (value.size() <= 32)
            encode_uint(out, uint256::from_be(value));
        else
            encode_string(out, value);  // beyond uint256: an integer is its minimal bytes
    } else {
        encode_string(out, as_bytes(in.get<std::string>()));
    }
    return out;
}

// Checks that the decoded item holds exactly the value described by "in".
void expect_matches(const Item& item, const json& in, const std::string& where) {
    if (in.is_array()) {
        ASSERT_TRUE(item.list) << where << ": expected a list";
        ASSERT_EQ(item.items.size(), in.size()) << where;
        for (size_t i = 0; i < in.size(); ++i)
            expect_matches(item.items[i], in[i], where + "[" + std::to_string(i) + "]");
        return;
    }
    ASSERT_FALSE(item.list) << where << ": expected a string";
    const bytes encoded = encode(item);
    if (in.is_number_unsigned() || in.is_number_integer()) {
        bytes_view view = encoded;
        auto value = decode_u64(view);
        ASSERT_TRUE(value) << where << ": " << error_message(value.error());
        EXPECT_EQ(*value, in.get<uint64_t>()) << where;
    } else if (is_big_integer(in)) {
        const bytes expected = decimal_to_bytes(in.get<std::string>().substr(1));
        EXPECT_EQ(item.payload, expected) << where;
        bytes_view view = encoded;
        auto value = decode_uint256(view);
        if (expected.size() <= 32) {
            ASSERT_TRUE(value) << where << ": " << error_message(value.error());
            EXPECT_EQ(*value, uint256::from_be(expected)) << where;
        } else {
            ASSERT_FALSE(value) << where << ": wider than 256 bits must not decode";
            EXPECT_EQ(value.error(), Error::Overflow) << where;
        }
    } else {
        EXPECT_EQ(item.payload, bytes(as_bytes(in.get<std::string>()))) << where;
    }
}

class RlpFixture : public testing::TestWithParam<Case> {};

TEST_P(RlpFixture, Case) {
    const Case& c = GetParam();
    ASSERT_TRUE(c.load_error.empty()) << c.load_error;
    ASSERT_TRUE(c.test.contains("in") && c.test.contains("out")) << c.test.dump();
    const auto out = from_hex(c.test["out"].get<std::string>());
    ASSERT_TRUE(out) << "bad hex in fixture: " << c.test["out"];
    const json& in = c.test["in"];

    const auto decoded = decode_whole(*out);
    if (in == "INVALID") {
        EXPECT_FALSE(decoded) << "accepted invalid RLP " << to_hex(*out);
        return;
    }
    ASSERT_TRUE(decoded) << "rejected valid RLP: " << error_message(decoded.error());
    EXPECT_EQ(to_hex(encode(*decoded)), to_hex(*out)) << "decode then re-encode";
    if (in == "VALID") return;  // random cases give no value, only the encoding

    EXPECT_EQ(to_hex(encode_json(in)), to_hex(*out)) << "encoding of \"in\"";
    expect_matches(*decoded, in, "in");
}

INSTANTIATE_TEST_SUITE_P(RLPTests, RlpFixture, testing::ValuesIn(load_cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace krnl::rlp
