#include "chain/receipt.hpp"

#include <gtest/gtest.h>

#include "common/keccak.hpp"

using namespace krnl;
using namespace krnl::chain;

namespace {

size_t popcount(const Bloom& b) {
    size_t n = 0;
    for (uint8_t byte : b.bytes)
        n += static_cast<size_t>(__builtin_popcount(byte));
    return n;
}

Log log_of(uint8_t addr_byte, std::vector<hash256> topics, bytes data = {}) {
    Log log;
    log.addr.bytes[19] = addr_byte;
    log.topics = std::move(topics);
    log.data = std::move(data);
    return log;
}

}  // namespace

TEST(Bloom, SetsTheBitsOfTheFirstThreeHashPairs) {
    // keccak256("") = c5d2 4601 86f7 ...: bits 0x5d2 = 1490, 0x601 = 1537, 0x6f7 = 1783, counted
    // from the last byte of the big-endian filter.
    Bloom bloom;
    bloom_add(bloom, {});
    EXPECT_EQ(popcount(bloom), 3u);
    EXPECT_EQ(bloom.bytes[255 - 1490 / 8], 1 << (1490 % 8));
    EXPECT_EQ(bloom.bytes[255 - 1537 / 8], 1 << (1537 % 8));
    EXPECT_EQ(bloom.bytes[255 - 1783 / 8], 1 << (1783 % 8));
}

TEST(Bloom, LogsBloomCoversAddressesAndTopicsNotData) {
    hash256 topic;
    topic.bytes[0] = 0x77;
    const Log log = log_of(0x10, {topic}, bytes{1, 2, 3});
    const Bloom bloom = logs_bloom({log});
    EXPECT_TRUE(bloom_contains(bloom, log.addr.view()));
    EXPECT_TRUE(bloom_contains(bloom, topic.view()));
    EXPECT_LE(popcount(bloom), 6u);
    EXPECT_GE(popcount(bloom), 2u);

    Bloom addr_only;
    bloom_add(addr_only, log.addr.view());
    Bloom topic_only;
    bloom_add(topic_only, topic.view());
    bloom_merge(addr_only, topic_only);
    EXPECT_EQ(addr_only, bloom);
    EXPECT_EQ(logs_bloom({}), Bloom{});
}

TEST(Receipt, LegacyEncodingIsTheBareList) {
    Receipt r;
    r.status = evm::StatusCode::Success;
    r.cumulative_gas_used = 21000;
    const bytes enc = encode_receipt(r);
    // Payload: 0x01, 0x825208, 0xb90100 + 256 zero bytes, 0xc0 = 264 bytes.
    ASSERT_EQ(enc.size(), 3u + 264u);
    EXPECT_EQ(enc.substr(0, 3), (bytes{0xf9, 0x01, 0x08}));
    EXPECT_EQ(enc.substr(3, 4), (bytes{0x01, 0x82, 0x52, 0x08}));
    EXPECT_EQ(enc.back(), 0xc0);
}

TEST(Receipt, TypedEncodingPrefixesTheTypeAndFailureIsStatusZero) {
    Receipt r;
    r.type = TxType::DynamicFee;
    r.status = evm::StatusCode::Revert;
    r.cumulative_gas_used = 0;
    const bytes enc = encode_receipt(r);
    EXPECT_EQ(enc[0], 0x02);
    // Payload: 0x80 (status 0), 0x80 (no gas), 259 bloom bytes, 0xc0 = 262 bytes.
    EXPECT_EQ(enc.substr(1, 5), (bytes{0xf9, 0x01, 0x06, 0x80, 0x80}));
}

TEST(Receipt, LogEncoding) {
    hash256 topic;
    topic.bytes[31] = 1;
    const bytes enc = encode_log(log_of(0x10, {topic}, bytes{0xab}));
    // [addr (21), [topic (33)] (34), 0x81ab (2)] = 57 payload bytes.
    ASSERT_EQ(enc.size(), 2u + 57u);
    EXPECT_EQ(enc.substr(0, 3), (bytes{0xf8, 57, 0x94}));
    EXPECT_EQ(enc.substr(enc.size() - 2), (bytes{0x81, 0xab}));
}

TEST(Receipt, RootOfNoReceiptsIsTheEmptyTrie) {
    EXPECT_EQ(receipts_root({}), kEmptyTrieRoot);
    Receipt a, b;
    a.cumulative_gas_used = 1;
    b.cumulative_gas_used = 2;
    // The root depends on order: keys are rlp(index).
    EXPECT_NE(receipts_root({a, b}), receipts_root({b, a}));
}
