// ethereum/tests TransactionTests: every fixture file, every fork it lists. A valid case must
// decode, pass the static checks, and give the expected sender, hash and intrinsic gas; an invalid
// case must fail decoding or the static checks. The `Cancun` instantiation holds the expectation
// for Cancun, or for the newest fork a fixture lists when it stops before Cancun; `OtherForks`
// holds the rest.
#include <gtest/gtest.h>

#include "fixture_files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chain/transaction.hpp"

namespace krnl::chain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kFixtureChainId = 1;

struct Case {
    std::string id;  // file stem / test name / fork, for messages
    std::string test_name;
    std::string txbytes;
    evm::Revision rev;
    std::string exception;  // empty: valid
    std::string sender;
    std::string hash;
    std::string intrinsic_gas;
    bool primary;
};

// Failure messages name the case instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.id;
}

std::string sanitize(std::string s) {
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

// Problems met while loading, reported by a test (assertions cannot run during registration).
std::vector<std::string>& load_problems() {
    static std::vector<std::string> problems;
    return problems;
}

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    const fs::path root = fs::path(KRNL_FIXTURES) / "ethereum-tests" / "TransactionTests";
    for (const auto& file : fixtures::json_files(root)) {
        std::ifstream in(file);
        const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (!doc.is_object() || doc.empty()) {
            load_problems().push_back("unreadable fixture " + file.string());
            continue;
        }
        for (const auto& [name, test] : doc.items()) {
            const auto& results = test.at("result");
            std::optional<evm::Revision> newest;
            for (const auto& [fork, _] : results.items()) {
                auto rev = evm::parse_revision(fork);
                if (rev && *rev <= evm::Revision::Cancun && (!newest || *rev > *newest))
                    newest = rev;
            }
            for (const auto& [fork, result] : results.items()) {
                auto rev = evm::parse_revision(fork);
                if (!rev) {
                    load_problems().push_back("unknown fork " + fork + " in " + file.string());
                    continue;
                }
                // Name by file, and by test too when it differs (one file reuses another's name).
                const std::string stem = file.stem().string();
                const std::string path = file.parent_path().filename().string() + "/" + stem +
                                         (name == stem ? "" : "/" + name);
                Case c;
                c.test_name = sanitize(path + "_" + fork);
                c.id = path + " @" + fork;
                c.txbytes = test.at("txbytes").get<std::string>();
                c.rev = *rev;
                c.exception = result.value("exception", "");
                c.sender = result.value("sender", "");
                c.hash = result.value("hash", "");
                c.intrinsic_gas = result.value("intrinsicGas", "0x00");
                c.primary = newest && *rev == *newest;
                cases.push_back(std::move(c));
            }
        }
    }
    return cases;
}

const std::vector<Case>& all_cases() {
    static const std::vector<Case> cases = load_cases();
    return cases;
}

std::vector<Case> select(bool primary) {
    std::vector<Case> out;
    for (const auto& c : all_cases())
        if (c.primary == primary) out.push_back(c);
    return out;
}

int64_t parse_gas(const std::string& hex) {
    auto v = parse_uint256(hex);
    return v ? static_cast<int64_t>(v->w[0]) : -1;
}

class TransactionFixture : public ::testing::TestWithParam<Case> {};

TEST_P(TransactionFixture, Matches) {
    const Case& c = GetParam();
    SCOPED_TRACE(c.id);
    const auto encoded = from_hex(c.txbytes);
    ASSERT_TRUE(encoded) << "bad txbytes hex";

    const auto tx = decode_transaction(*encoded);
    if (c.exception.empty()) {
        ASSERT_TRUE(tx) << "decode failed: " << decode_error_message(tx.error());
        const auto sender = check_transaction(*tx, c.rev, kFixtureChainId);
        ASSERT_TRUE(sender) << "rejected: " << tx_error_message(sender.error());
        EXPECT_EQ(to_hex(*sender), c.sender);
        EXPECT_EQ(to_hex(transaction_hash(*tx)), c.hash);
        EXPECT_EQ(encode_transaction(*tx), *encoded) << "re-encoding differs";
        EXPECT_EQ(intrinsic_gas(*tx, c.rev), parse_gas(c.intrinsic_gas));
        return;
    }

    if (!tx) return;  // rejected by decoding, as expected
    // Strict decoding means whatever decodes is canonical and re-encodes to the same bytes.
    EXPECT_EQ(encode_transaction(*tx), *encoded) << "re-encoding differs";
    const auto sender = check_transaction(*tx, c.rev, kFixtureChainId);
    EXPECT_FALSE(sender) << "accepted, expected " << c.exception << "; sender " << to_hex(*sender);
    // The fixtures report intrinsic gas for transactions that decode; 0 means "not computed".
    const int64_t expected_gas = parse_gas(c.intrinsic_gas);
    if (expected_gas != 0 && c.exception != "TransactionException.TYPE_NOT_SUPPORTED") {
        EXPECT_EQ(intrinsic_gas(*tx, c.rev), expected_gas);
    }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    return info.param.test_name;
}

INSTANTIATE_TEST_SUITE_P(Cancun, TransactionFixture, ::testing::ValuesIn(select(true)), case_name);
INSTANTIATE_TEST_SUITE_P(OtherForks, TransactionFixture, ::testing::ValuesIn(select(false)),
                         case_name);

TEST(TransactionFixtures, AllFilesLoaded) {
    // 210 fixture files with one test each at the time of writing; an empty set means a bad path.
    size_t primary = 0;
    for (const auto& c : all_cases())
        primary += c.primary;
    EXPECT_GE(primary, 200u);
    for (const auto& problem : load_problems())
        ADD_FAILURE() << problem;
}

// Every truncation and many single-byte mutations of every fixture: decoding never misbehaves, and
// whatever decodes is canonical, i.e. re-encodes to exactly the input.
TEST(TransactionFixtures, MutatedInputsDecodeCanonicallyOrFail) {
    size_t decoded = 0, tried = 0;
    auto check = [&](const bytes& input) {
        ++tried;
        auto tx = decode_transaction(input);
        if (!tx) return;
        ++decoded;
        EXPECT_EQ(to_hex(encode_transaction(*tx)), to_hex(input));
    };
    for (const auto& c : all_cases()) {
        if (!c.primary) continue;
        const auto encoded = from_hex(c.txbytes);
        if (!encoded) continue;
        for (size_t len = 0; len < encoded->size(); ++len)
            check(encoded->substr(0, len));
        for (size_t i = 0; i < std::min<size_t>(encoded->size(), 64); ++i) {
            for (uint8_t delta : {uint8_t{1}, uint8_t{0x80}}) {
                bytes mutated = *encoded;
                mutated[i] ^= delta;
                check(mutated);
            }
        }
    }
    EXPECT_GT(tried, 10000u);
    EXPECT_GT(decoded, 0u);
}

}  // namespace
}  // namespace krnl::chain
