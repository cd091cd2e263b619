#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "chain/block.hpp"
#include "common/keccak.hpp"
#include "common/rlp.hpp"
#include "fixture_files.hpp"

using namespace krnl;
using namespace krnl::chain;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

hash256 hash_of(const json& j) {
    return *fixed_from_hex<32>(j.get<std::string>());
}
uint64_t u64_of(const json& j) {
    return parse_uint256(j.get<std::string>())->low64();
}

struct Counts {
    size_t headers = 0;
    size_t transactions = 0;
};

// Checks one encoded block: [header, transactions, ommers, (withdrawals)].
void check_block(const std::string& where, bytes_view block_rlp, const json& expected_header,
                 const json* expected_txs, Counts& counts) {
    bytes_view in = block_rlp;
    auto block = rlp::decode_list(in);
    ASSERT_TRUE(block && in.empty()) << where << ": block is not one RLP list";
    bytes_view items = *block;
    auto header_item = rlp::decode_item(items);
    ASSERT_TRUE(header_item) << where;

    auto header = decode_block_header(*header_item);
    ASSERT_TRUE(header) << where << ": " << decode_error_message(header.error());
    EXPECT_EQ(encode_block_header(*header), bytes(*header_item))
        << where << ": re-encoding differs";
    EXPECT_EQ(block_hash(*header), hash_of(expected_header.at("hash"))) << where;
    EXPECT_EQ(header->number, u64_of(expected_header.at("number"))) << where;
    EXPECT_EQ(header->gas_used, u64_of(expected_header.at("gasUsed"))) << where;
    EXPECT_EQ(header->state_root, hash_of(expected_header.at("stateRoot"))) << where;
    if (expected_header.contains("excessBlobGas"))
        EXPECT_EQ(header->excess_blob_gas, u64_of(expected_header.at("excessBlobGas"))) << where;
    ++counts.headers;

    auto txs = rlp::decode_list(items);
    ASSERT_TRUE(txs) << where << ": transaction list";
    size_t n = 0;
    for (bytes_view rest = *txs; !rest.empty(); ++n) {
        auto item = rlp::decode_item(rest);
        ASSERT_TRUE(item) << where;
        // Typed transactions travel as an RLP string holding type || payload.
        bytes_view encoded = *item;
        if (encoded[0] < 0xc0) {
            bytes_view string_item = encoded;
            auto payload = rlp::decode_string(string_item);
            ASSERT_TRUE(payload) << where;
            encoded = *payload;
        }
        auto tx = decode_transaction(encoded);
        EXPECT_TRUE(tx) << where << ": transaction " << n << ": "
                        << (tx ? "" : decode_error_message(tx.error()));
        ++counts.transactions;
    }
    if (expected_txs != nullptr) EXPECT_EQ(n, expected_txs->size()) << where;
}

}  // namespace

TEST(BlockHeaderFixtures, ValidBlocksDecodeReencodeAndHash) {
    const fs::path root =
        fs::path(KRNL_FIXTURES) / "ethereum-tests" / "BlockchainTests" / "ValidBlocks";
    const auto files = fixtures::json_files(root);
    ASSERT_FALSE(files.empty()) << "no fixtures under " << root;
    Counts counts;
    for (const fs::path& file : files) {
        std::ifstream stream(file);
        const json doc = json::parse(stream, nullptr, /*allow_exceptions=*/false);
        ASSERT_FALSE(doc.is_discarded()) << file;
        for (const auto& [name, test] : doc.items()) {
            const std::string where = fs::relative(file, root).string() + " " + name;
            const bytes genesis = *from_hex(test.at("genesisRLP").get<std::string>());
            check_block(where + " genesis", genesis, test.at("genesisBlockHeader"), nullptr,
                        counts);
            for (const auto& block : test.at("blocks")) {
                if (!block.contains("blockHeader")) continue;  // an invalid block of the chain
                const bytes encoded = *from_hex(block.at("rlp").get<std::string>());
                const json* txs =
                    block.contains("transactions") ? &block.at("transactions") : nullptr;
                check_block(where, encoded, block.at("blockHeader"), txs, counts);
            }
        }
    }
    std::cout << counts.headers << " headers, " << counts.transactions << " transactions checked\n";
    EXPECT_GT(counts.headers, 1000u);
}

TEST(BlockHeader, RejectsBadInput) {
    EXPECT_EQ(decode_block_header({}).error().code, DecodeErrorCode::Empty);
    const uint8_t not_a_list[] = {0x83, 1, 2, 3};
    EXPECT_EQ(decode_block_header({not_a_list, 4}).error().code, DecodeErrorCode::Rlp);
    const uint8_t too_short[] = {0xc1, 0x80};
    EXPECT_EQ(decode_block_header({too_short, 2}).error().code, DecodeErrorCode::BadHash);
}

TEST(BlockHeader, OptionalFieldsAreASuffix) {
    BlockHeader h;
    h.base_fee_per_gas = 7;
    h.withdrawals_root = kEmptyTrieRoot;
    const bytes encoded = encode_block_header(h);
    auto back = decode_block_header(encoded);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->base_fee_per_gas, uint256(7));
    EXPECT_EQ(back->withdrawals_root, kEmptyTrieRoot);
    EXPECT_FALSE(back->blob_gas_used);
    bytes trailing = encoded;
    trailing.push_back(0x80);
    EXPECT_EQ(decode_block_header(trailing).error().code, DecodeErrorCode::TrailingBytes);
}
