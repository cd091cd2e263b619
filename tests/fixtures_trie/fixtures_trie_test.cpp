// Runs every case of ethereum/tests TrieTests, each as its own test named <file>_<case>.
//
// Keys and values are hex when "0x"-prefixed (or when the case says "hexEncoded"), otherwise the
// ASCII string. A list "in" is a sequence of writes where null deletes; an object "in" is a set of
// pairs in any order. Files with "secure" in their name hash every key with keccak256. Cases
// without a "root" (trietestnextprev.json tests key iteration, which a root-only trie does not
// have) are reported as skipped.
#include <gtest/gtest.h>

#include "fixture_files.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/keccak.hpp"
#include "state/trie.hpp"

namespace krnl::state {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Case {
    std::string name;  // unique test name: file and case
    json test;
    bool secure = false;
    std::string load_error;
};

std::string sanitize(std::string_view s) {
    std::string out;
    for (char c : s)
        out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
}

std::string lowercase(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    const fs::path root = fs::path(KRNL_FIXTURES) / "ethereum-tests" / "TrieTests";
    try {
        for (const auto& file : fixtures::json_files(root)) {
            std::ifstream stream(file);
            const json doc = json::parse(stream);
            const std::string stem = fs::relative(file, root).replace_extension().string();
            const bool secure = lowercase(stem).find("secure") != std::string::npos;
            for (const auto& [key, test] : doc.items())
                cases.push_back({sanitize(stem) + "_" + sanitize(key), test, secure, {}});
        }
    } catch (const std::exception& e) {
        cases.push_back({"load_error", nullptr, false, e.what()});
    }
    if (cases.empty())
        cases.push_back({"load_error", nullptr, false, "no fixtures under " + root.string()});
    return cases;
}

std::optional<bytes> decode_text(const std::string& s, bool hex_encoded) {
    if (hex_encoded || s.starts_with("0x")) return from_hex(s);
    return bytes(as_bytes(s));
}

class TrieFixture : public testing::TestWithParam<Case> {};

TEST_P(TrieFixture, Case) {
    const Case& c = GetParam();
    ASSERT_TRUE(c.load_error.empty()) << c.load_error;
    if (!c.test.contains("root")) GTEST_SKIP() << "no root to check (key iteration test)";
    const auto expected = fixed_from_hex<32>(c.test["root"].get<std::string>());
    ASSERT_TRUE(expected) << "bad root in fixture";
    const bool hex_encoded = c.test.value("hexEncoded", false);

    // The final contents after applying every write in order, and the raw writes themselves.
    std::map<bytes, bytes> contents;
    std::vector<std::pair<bytes, bytes>> writes;
    auto apply = [&](const std::string& key_text, const json& value) {
        auto key = decode_text(key_text, hex_encoded);
        ASSERT_TRUE(key) << "bad key " << key_text;
        if (c.secure) *key = bytes(keccak256(*key).view());
        bytes data;
        if (!value.is_null()) {
            auto decoded = decode_text(value.get<std::string>(), hex_encoded);
            ASSERT_TRUE(decoded) << "bad value " << value;
            data = std::move(*decoded);
        }
        writes.push_back({*key, data});
        if (data.empty())
            contents.erase(*key);  // null (or empty) deletes
        else
            contents[*key] = data;
    };
    const json& in = c.test["in"];
    if (in.is_array()) {
        for (const auto& pair : in) {
            ASSERT_TRUE(pair.is_array() && pair.size() == 2) << pair;
            apply(pair[0].get<std::string>(), pair[1]);
        }
    } else {
        for (const auto& [key, value] : in.items())
            apply(key, value);
    }

    std::vector<std::pair<bytes, bytes>> entries(contents.begin(), contents.end());
    std::reverse(entries.begin(), entries.end());  // the trie must not depend on input order
    EXPECT_EQ(to_hex(trie_root(entries)), to_hex(*expected));

    // trie_root also takes the raw writes: the last write of a key wins and empty means absent.
    EXPECT_EQ(to_hex(trie_root(writes)), to_hex(*expected)) << "from the raw sequence of writes";
}

INSTANTIATE_TEST_SUITE_P(TrieTests, TrieFixture, testing::ValuesIn(load_cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace krnl::state
