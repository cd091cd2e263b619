// The raw getters against what the block commits to (the receipts root, the block hash, the
// transactions root), and geth's EIP-55 keys in the txpool_* answers.
#include <gtest/gtest.h>

#include "chain/receipt.hpp"
#include "common/keccak.hpp"
#include "common/rlp.hpp"
#include "rpc/eth_api.hpp"
#include "state/trie.hpp"

using namespace krnl;

namespace {

// EIP-55's own examples: the all-mixed-case spellings.
const address kSender = *rpc::parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
constexpr std::string_view kSenderEip55 = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const address kRecipient = *rpc::parse_address("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359");
constexpr std::string_view kRecipientEip55 = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
// LOG1 with topic 0x2a and no data.
const address kLogger{{0xa1}};

class RawGetters : public ::testing::Test {
protected:
    void SetUp() override {
        chain::ChainConfig config;
        config.alloc[kSender].balance = uint256(1'000'000'000'000'000'000);
        config.alloc[kLogger].code = *from_hex("602a60006000a100");
        auto opened = chain::Chain::open(config, {.durable = false});
        ASSERT_TRUE(opened.has_value()) << opened.error();
        chain_ = std::move(*opened);
        api_ = std::make_unique<rpc::EthApi>(*chain_, std::vector<rpc::DevAccount>{});
        api_->register_methods(methods_);
        chain_->impersonate(kSender, true);
    }

    // Sends from kSender (impersonated): a legacy transfer, or a dynamic-fee call to kLogger.
    hash256 send(uint64_t nonce, bool legacy) {
        chain::Transaction tx;
        tx.type = legacy ? chain::TxType::Legacy : chain::TxType::DynamicFee;
        tx.chain_id = 31337;
        tx.nonce = nonce;
        tx.max_fee_per_gas = 5'000'000'000;
        tx.max_priority_fee_per_gas = legacy ? 5'000'000'000 : 1;
        tx.gas_limit = 100'000;
        tx.to = legacy ? kRecipient : kLogger;
        tx.value = legacy ? 7 : 0;
        auto hash = chain_->submit_as(tx, kSender);
        EXPECT_TRUE(hash.has_value()) << (hash ? "" : hash.error().message);
        return hash.value_or(hash256{});
    }

    rpc::json call(const std::string& method, rpc::json params) {
        rpc::CallContext ctx;
        const rpc::json request = {
            {"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
        const rpc::json response =
            rpc::json::parse(methods_.handle(request.dump(), ctx, rpc::Limits{}));
        EXPECT_TRUE(response.contains("result")) << method << ": " << response.dump();
        return response.value("result", rpc::json());
    }

    static bytes decode(const rpc::json& hex) { return *from_hex(hex.get<std::string>()); }

    std::unique_ptr<chain::Chain> chain_;
    std::unique_ptr<rpc::EthApi> api_;
    rpc::MethodTable methods_;
};

}  // namespace

TEST_F(RawGetters, RawReceiptsBuildTheReceiptsRootOfTheirBlock) {
    chain_->set_automine(false);
    send(0, true);
    send(1, false);
    ASSERT_TRUE(chain_->mine().has_value());
    const auto header = chain_->reader().header(1);
    ASSERT_TRUE(header.has_value());

    const rpc::json raw = call("debug_getRawReceipts", {"0x1"});
    ASSERT_TRUE(raw.is_array());
    ASSERT_EQ(raw.size(), 2u);
    std::vector<std::pair<bytes, bytes>> entries;
    for (size_t i = 0; i < raw.size(); ++i) {
        bytes key;
        rlp::encode_uint(key, uint64_t(i));
        entries.emplace_back(std::move(key), decode(raw[i]));
    }
    EXPECT_EQ(decode(raw[0])[0], 0xf9) << "a legacy receipt is a bare RLP list";
    EXPECT_EQ(decode(raw[1])[0], 0x02) << "a typed receipt starts with its type";
    EXPECT_EQ(state::trie_root(std::move(entries)), header->receipts_root);
    EXPECT_NE(header->logs_bloom, chain::Bloom{}) << "the block has the logger's log";
}

TEST_F(RawGetters, RawHeaderAndBlockDecodeToTheCommittedBlock) {
    send(0, false);
    const auto reader = chain_->reader();
    const hash256 hash = *reader.hash(1);

    const bytes header = decode(call("debug_getRawHeader", {"latest"}));
    EXPECT_EQ(keccak256(header), hash);
    EXPECT_EQ(decode(call("debug_getRawHeader", {to_hex(hash)})), header);

    const auto block = chain::decode_block(decode(call("debug_getRawBlock", {"0x1"})));
    ASSERT_TRUE(block.has_value());
    EXPECT_EQ(chain::block_hash(block->header), hash);
    ASSERT_EQ(block->transactions.size(), 1u);
    EXPECT_EQ(chain::transactions_root(block->transactions), block->header.transactions_root);

    const rpc::json envelopes = call("debug_getRawTransactions", {"0x1"});
    ASSERT_EQ(envelopes.size(), 1u);
    EXPECT_EQ(decode(envelopes[0]), chain::encode_transaction(block->transactions[0]));
    EXPECT_EQ(call("eth_getRawTransactionByBlockHashAndIndex", {to_hex(hash), "0x0"}),
              envelopes[0]);

    for (const char* method : {"debug_getRawHeader", "debug_getRawBlock", "debug_getRawReceipts",
                               "debug_getRawTransactions"}) {
        EXPECT_TRUE(call(method, {"0x2"}).is_null()) << method;
        EXPECT_TRUE(call(method, {to_hex(hash256{{0xab}})}).is_null()) << method;
    }
}

TEST_F(RawGetters, TxpoolKeysSendersByEip55AndNonceInDecimal) {
    chain_->set_automine(false);
    const hash256 pending = send(0, true);
    const hash256 queued = send(11, true);  // behind a gap

    const rpc::json content = call("txpool_content", rpc::json::array());
    ASSERT_TRUE(content["pending"].contains(kSenderEip55)) << content.dump();
    EXPECT_EQ(content["pending"][std::string(kSenderEip55)]["0"]["hash"], to_hex(pending));
    EXPECT_EQ(content["queued"][std::string(kSenderEip55)]["11"]["hash"], to_hex(queued));

    const rpc::json inspect = call("txpool_inspect", rpc::json::array());
    EXPECT_EQ(inspect["pending"][std::string(kSenderEip55)]["0"],
              std::string(kRecipientEip55) + ": 7 wei + 100000 gas × 5000000000 wei");

    const rpc::json from = call("txpool_contentFrom", {to_hex(kSender)});
    EXPECT_EQ(from["pending"], content["pending"][std::string(kSenderEip55)]);
    EXPECT_EQ(from["queued"], content["queued"][std::string(kSenderEip55)]);
}

TEST_F(RawGetters, TransactionBySenderAndNonceBisectsTheBlocks) {
    std::vector<hash256> hashes;
    for (uint64_t nonce = 0; nonce < 5; ++nonce) {
        hashes.push_back(send(nonce, nonce % 2 == 0));  // one block each
        ASSERT_TRUE(chain_->mine().has_value());        // and an empty block after each
    }
    for (uint64_t nonce = 0; nonce < 5; ++nonce) {
        const rpc::json tx = call("eth_getTransactionBySenderAndNonce",
                                  {to_hex(kSender), "0x" + std::to_string(nonce)});
        ASSERT_TRUE(tx.is_object()) << nonce;
        EXPECT_EQ(tx["hash"], to_hex(hashes[nonce]));
        EXPECT_EQ(tx["blockNumber"], "0x" + std::to_string(2 * nonce + 1));
    }
    EXPECT_TRUE(call("eth_getTransactionBySenderAndNonce", {to_hex(kSender), "0x5"}).is_null());
    EXPECT_TRUE(call("eth_getTransactionBySenderAndNonce", {to_hex(kRecipient), "0x0"}).is_null());
}
