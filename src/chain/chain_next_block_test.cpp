// The dev controls of the next block (coinbase, base fee, gas limit, timestamp interval) and of
// the pool (dropping transactions, the minimum gas price).
#include <gtest/gtest.h>

#include <filesystem>

#include "chain/chain.hpp"
#include "chain/chain_test_support.hpp"

using namespace krnl;
using namespace krnl::chain;

namespace {

using testing_support::dev_key;
using testing_support::DevKey;

ChainConfig config_with(std::initializer_list<DevKey> keys) {
    return testing_support::funded_config(keys);
}

const address kRecipient{{0xaa}};

Transaction transfer(const DevKey& from, uint64_t nonce, uint64_t fee_cap = 2'000'000'000) {
    return testing_support::transfer(from, nonce, kRecipient, 1, fee_cap);
}

std::unique_ptr<Chain> open_chain(const ChainConfig& config,
                                  const state::Database::Options& options = {.durable = false}) {
    auto chain = Chain::open(config, options);
    EXPECT_TRUE(chain.has_value()) << chain.error();
    return std::move(*chain);
}

BlockHeader head_header(const Chain& chain) {
    auto r = chain.reader();
    return *r.header(r.head());
}

}  // namespace

TEST(ChainNextBlock, CoinbaseAndGasLimitApplyToTheNextBlocks) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with({key}));
    const address miner{{0x11}};
    chain->set_coinbase(miner);
    ASSERT_TRUE(chain->set_block_gas_limit(25'000'000));
    EXPECT_EQ(chain->coinbase(), miner);
    EXPECT_EQ(chain->block_gas_limit(), 25'000'000u);
    ASSERT_TRUE(chain->submit(transfer(key, 0)));
    const BlockHeader h = head_header(*chain);
    EXPECT_EQ(h.coinbase, miner);
    EXPECT_EQ(h.gas_limit, 25'000'000u);

    // Below one transfer's gas, no block could hold a transaction.
    EXPECT_FALSE(chain->set_block_gas_limit(20'999));
    EXPECT_EQ(chain->block_gas_limit(), 25'000'000u);
    // A transaction asking for more than the new limit is refused at the door.
    ASSERT_TRUE(chain->set_block_gas_limit(21'000));
    Transaction big = transfer(key, 1);
    big.gas_limit = 30'000;
    ASSERT_TRUE(sign_transaction(big, key.secret));
    auto refused = chain->submit(big);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "exceeds block gas limit");
}

TEST(ChainNextBlock, TheBaseFeeSetIsTheNextBlocksOnly) {
    auto chain = open_chain(config_with({}));
    const uint256 eip1559 = next_base_fee(head_header(*chain));
    EXPECT_EQ(chain->next_block_base_fee(), eip1559);
    ASSERT_TRUE(chain->set_next_block_base_fee(uint256(7'000'000'000)));
    EXPECT_EQ(chain->next_block_base_fee(), uint256(7'000'000'000));
    ASSERT_TRUE(chain->mine());
    const BlockHeader first = head_header(*chain);
    EXPECT_EQ(first.base_fee_per_gas, uint256(7'000'000'000));
    // The block after follows EIP-1559 from it again.
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(head_header(*chain).base_fee_per_gas, next_base_fee(first));
}

TEST(ChainNextBlock, AutomineRefusesAFeeCapBelowTheBaseFeeSet) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with({key}));
    ASSERT_TRUE(chain->set_next_block_base_fee(uint256(5'000'000'000)));
    auto refused = chain->submit(transfer(key, 0, 2'000'000'000));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("baseFee: 5000000000"), std::string::npos)
        << refused.error().message;
}

TEST(ChainNextBlock, BaseFeeAndMinGasPriceDependOnLondon) {
    auto london = open_chain(config_with({}));
    auto refused = london->set_min_gas_price(uint256(1));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), "anvil_setMinGasPrice is not supported when EIP-1559 is active");

    ChainConfig config = config_with({});
    config.revision = evm::Revision::Berlin;
    auto berlin = open_chain(config);
    EXPECT_FALSE(berlin->set_next_block_base_fee(uint256(1)));
    EXPECT_EQ(berlin->next_block_base_fee(), uint256{});
    ASSERT_TRUE(berlin->set_min_gas_price(uint256(3'000'000'000)));
    const DevKey key = dev_key(0);
    Transaction legacy;
    legacy.type = TxType::Legacy;
    legacy.chain_id = 31337;
    legacy.gas_limit = 21000;
    legacy.to = kRecipient;
    legacy.max_fee_per_gas = legacy.max_priority_fee_per_gas = 2'000'000'000;
    ASSERT_TRUE(sign_transaction(legacy, key.secret));
    auto underpriced = berlin->submit_as(legacy, key.addr);
    ASSERT_FALSE(underpriced);
    EXPECT_TRUE(underpriced.error().message.starts_with("transaction underpriced"))
        << underpriced.error().message;
}

TEST(ChainNextBlock, TimestampIntervalSpacesBlocksUntilRemoved) {
    auto chain = open_chain(config_with({}));
    chain->set_block_timestamp_interval(1000);
    const uint64_t start = head_header(*chain).timestamp;
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(head_header(*chain).timestamp, start + 1000);
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(head_header(*chain).timestamp, start + 2000);
    // An explicit time comes first; the interval runs on from it.
    ASSERT_TRUE(chain->set_next_timestamp(start + 5000));
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(head_header(*chain).timestamp, start + 5000);
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(head_header(*chain).timestamp, start + 6000);
    // Removed, block time runs on from the last block rather than falling back to the clock.
    chain->set_block_timestamp_interval(std::nullopt);
    ASSERT_TRUE(chain->mine());
    EXPECT_GT(head_header(*chain).timestamp, start + 6000);
}

TEST(ChainNextBlock, DropsRemoveFromThePoolAndItsTable) {
    const auto dir = std::filesystem::temp_directory_path() / "krnl-chain-next-block-test";
    std::filesystem::remove_all(dir);
    const DevKey a = dev_key(0), b = dev_key(1);
    hash256 a0, a1, b0;
    {
        auto chain = open_chain(config_with({a, b}), {.dir = dir});
        chain->set_automine(false);
        a0 = *chain->submit(transfer(a, 0));
        a1 = *chain->submit(transfer(a, 1));
        b0 = *chain->submit(transfer(b, 0));
        EXPECT_TRUE(chain->drop_transaction(a1));
        EXPECT_FALSE(chain->drop_transaction(a1));  // gone already
        EXPECT_FALSE(chain->pooled(a1));
    }
    {
        // The drop was durable: a reopened chain does not bring a1 back.
        auto chain = open_chain(config_with({a, b}), {.dir = dir});
        EXPECT_TRUE(chain->pooled(a0));
        EXPECT_FALSE(chain->pooled(a1));
        EXPECT_EQ(chain->drop_transactions_from(a.addr), std::vector<hash256>{a0});
        EXPECT_FALSE(chain->pooled(a0));
        EXPECT_TRUE(chain->pooled(b0));
        EXPECT_EQ(chain->drop_all_transactions(), std::vector<hash256>{b0});
        EXPECT_TRUE(chain->pool_contents().empty());
        ASSERT_TRUE(chain->mine());
        EXPECT_TRUE(chain->reader().block(1)->transactions.empty());
    }
    std::filesystem::remove_all(dir);
}
