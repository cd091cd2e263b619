#include "chain/state_dump.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "chain/gzip.hpp"
#include "state/flat_state.hpp"

namespace krnl::chain {
namespace {

using nlohmann::json;

std::unique_ptr<Chain> open_chain(ChainConfig config = {}) {
    config.genesis_timestamp = 1'700'000'000;
    return std::move(*Chain::open(std::move(config), {.durable = false}));
}

const address kHolder = *fixed_from_hex<20>("0x1111111111111111111111111111111111111111");
const address kContract = *fixed_from_hex<20>("0x2222222222222222222222222222222222222222");

bytes text_bytes(std::string_view s) {
    return bytes(reinterpret_cast<const uint8_t*>(s.data()),
                 reinterpret_cast<const uint8_t*>(s.data()) + s.size());
}

struct Seen {
    uint256 balance;
    uint64_t nonce;
    bytes code;
    uint256 slot;
};

Seen read(const Chain& chain, const address& addr, const uint256& slot) {
    const ChainReader r = chain.reader();
    auto view = r.state_at(r.head());
    auto info = view->read_account(addr).value_or(state::AccountInfo{});
    return {info.balance, info.nonce,
            info.code_hash == kEmptyKeccak ? bytes{} : view->read_code(info.code_hash),
            view->read_storage(addr, slot)};
}

TEST(StateDump, RoundTripsBalancesNonceCodeAndStorage) {
    auto source = open_chain();
    source->set_balance(kHolder, uint256{12345});
    source->set_nonce(kHolder, 7);
    source->set_code(kContract, bytes{0x60, 0x01, 0x00});
    source->set_storage(kContract, uint256{5}, uint256{0xff});
    ASSERT_TRUE(source->mine());
    ASSERT_TRUE(source->mine());

    auto dumped = dump_state(*source);
    ASSERT_TRUE(dumped) << dumped.error();
    const json& j = *dumped;
    EXPECT_EQ(j["best_block_number"], 2);
    EXPECT_EQ(j["block"]["number"], "0x2");
    // anvil needs the block of best_block_number: the head's header goes along, under its fields.
    ASSERT_EQ(j["blocks"].size(), 1u);
    EXPECT_EQ(j["blocks"][0]["header"]["number"], "0x2");
    const ChainReader sr = source->reader();
    EXPECT_EQ(j["blocks"][0]["header"]["parentHash"], to_hex(*sr.hash(1)));
    EXPECT_EQ(j["accounts"]["0x2222222222222222222222222222222222222222"]["storage"]
               ["0x0000000000000000000000000000000000000000000000000000000000000005"],
              "0x00000000000000000000000000000000000000000000000000000000000000ff");
    EXPECT_EQ(j["accounts"]["0x1111111111111111111111111111111111111111"]["nonce"], 7);

    // Through gzip, as anvil_dumpState hands it out.
    const std::string text = j.dump();
    auto zipped = gzip_compress(text_bytes(text));
    ASSERT_TRUE(zipped);
    auto parsed = parse_state_bytes(*zipped);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->block_number, 2u);

    auto target = open_chain();
    auto loaded = load_state(*target, *parsed);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->blocks_mined, 2u);
    EXPECT_EQ(target->reader().head(), 2u);
    const Seen holder = read(*target, kHolder, uint256{});
    EXPECT_EQ(holder.balance, uint256{12345});
    EXPECT_EQ(holder.nonce, 7u);
    const Seen contract = read(*target, kContract, uint256{5});
    EXPECT_EQ(contract.code, (bytes{0x60, 0x01, 0x00}));
    EXPECT_EQ(contract.slot, uint256{0xff});
    // The block time continues from the file's.
    const ChainReader r = target->reader();
    EXPECT_GE(r.header(r.head())->timestamp, *parsed->timestamp);
}

TEST(StateDump, ReadsAnvilShapes) {
    // Short storage keys, hex nonces and decimal strings are all anvil's or its users'.
    const json state = json::parse(R"({
        "block": {"number": "0x3", "timestamp": "0x6b15b0e1"},
        "best_block_number": 5,
        "accounts": {"0x1111111111111111111111111111111111111111":
            {"nonce": "0x2", "balance": "0x10", "code": "0x6001", "storage": {"0x1": "0x2"}}},
        "blocks": [], "transactions": []})");
    auto file = parse_state(state);
    ASSERT_TRUE(file) << file.error();
    EXPECT_EQ(file->block_number, 5u);
    EXPECT_EQ(file->timestamp, 0x6b15b0e1u);
    ASSERT_EQ(file->accounts.size(), 1u);
    EXPECT_EQ(file->accounts[0].nonce, 2u);
    EXPECT_EQ(file->accounts[0].balance, uint256{16});
    ASSERT_EQ(file->accounts[0].storage.size(), 1u);
    EXPECT_EQ(file->accounts[0].storage[0].second, uint256{2});
}

TEST(StateDump, RefusesMalformedStatesNamingTheProblem) {
    auto error_of = [](std::string_view text) {
        auto r = parse_state_bytes(text_bytes(text));
        return r ? std::string("accepted") : r.error();
    };
    EXPECT_NE(error_of("{not json").find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of("[]").find("JSON object"), std::string::npos);
    EXPECT_NE(error_of("{}").find("accounts"), std::string::npos);
    EXPECT_NE(error_of(R"({"accounts": {"0x12": {}}})").find("accounts.0x12"), std::string::npos);
    EXPECT_NE(error_of(R"({"accounts": {"0x1111111111111111111111111111111111111111":
                            {"balance": "lots"}}})")
                  .find("balance"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"accounts": {"0x1111111111111111111111111111111111111111":
                            {"code": "0xzz"}}})")
                  .find("code"),
              std::string::npos);
    EXPECT_NE(
        error_of(R"({"accounts": {}, "block": {"number": "0x10000000000000000"}})").find("64 bits"),
        std::string::npos);
    EXPECT_NE(error_of(std::string(100, '[') + std::string(100, ']')).find("deeper"),
              std::string::npos);
}

TEST(StateDump, StopsAGzipBombAtTheLimit) {
    // 64 MiB of zeros compress to about 64 KiB; inflating stops at the 1 MiB limit.
    const bytes zeros(size_t{64} << 20, '0');
    auto bomb = gzip_compress(zeros);
    ASSERT_TRUE(bomb);
    ASSERT_LT(bomb->size(), size_t{1} << 20);
    auto r = parse_state_bytes(*bomb, size_t{1} << 20);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("past the limit"), std::string::npos) << r.error();

    auto truncated = gzip_compress(text_bytes(R"({"accounts": {}})"));
    ASSERT_TRUE(truncated);
    truncated->resize(truncated->size() - 4);
    auto t = parse_state_bytes(*truncated);
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().find("gzip"), std::string::npos) << t.error();

    bytes damaged = {0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x01, 0x02};
    EXPECT_FALSE(parse_state_bytes(damaged));
}

TEST(StateDump, RefusesADumpPastTheLimit) {
    auto chain = open_chain();
    for (uint64_t i = 0; i < 20; ++i)
        chain->set_storage(kContract, uint256{i}, uint256{i + 1});
    auto dumped = dump_state(*chain, 2048);
    ASSERT_FALSE(dumped);
    EXPECT_NE(dumped.error().find("limit"), std::string::npos);
    EXPECT_TRUE(dump_state(*chain));
}

TEST(StateDump, FilesRoundTripThroughADirectory) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("krnl_state_dump_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto source = open_chain();
    source->set_balance(kHolder, uint256{99});
    ASSERT_TRUE(write_state_file(*source, dir));
    ASSERT_TRUE(std::filesystem::exists(dir / "state.json"));
    auto target = open_chain();
    auto loaded = load_state_file(*target, dir / "state.json");
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(read(*target, kHolder, uint256{}).balance, uint256{99});
    EXPECT_FALSE(load_state_file(*target, dir / "missing.json"));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace krnl::chain
