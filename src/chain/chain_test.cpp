#include "chain/chain.hpp"

#include <gtest/gtest.h>

#include "common/hd_wallet.hpp"
#include "common/secp256k1.hpp"

using namespace krnl;
using namespace krnl::chain;

namespace {

struct DevKey {
    bytes32 secret;
    address addr;
};

DevKey dev_key(uint32_t i) {
    const bytes32 secret = *hd::ethereum_account_key(hd::kTestMnemonic, i);
    return {secret, *secp256k1::address_from_secret(secret)};
}

ChainConfig config_with(const DevKey& key) {
    ChainConfig config;
    config.alloc[key.addr].balance = uint256(1'000'000) * uint256(1'000'000'000'000'000'000);
    return config;
}

Transaction transfer(const DevKey& from, uint64_t nonce, const address& to, uint64_t value,
                     uint64_t fee_cap = 2'000'000'000, uint64_t tip = 1) {
    Transaction tx;
    tx.type = TxType::DynamicFee;
    tx.chain_id = 31337;
    tx.nonce = nonce;
    tx.max_fee_per_gas = fee_cap;
    tx.max_priority_fee_per_gas = tip;
    tx.gas_limit = 21000;
    tx.to = to;
    tx.value = value;
    EXPECT_TRUE(sign_transaction(tx, from.secret));
    return tx;
}

uint256 balance_of(const Chain& chain, const address& a) {
    auto r = chain.reader();
    auto account = r.state_at(r.head())->read_account(a);
    return account ? account->balance : uint256{};
}

std::unique_ptr<Chain> open_chain(const ChainConfig& config,
                                  const state::Database::Options& options = {.durable = false}) {
    auto chain = Chain::open(config, options);
    EXPECT_TRUE(chain.has_value()) << chain.error();
    return std::move(*chain);
}

const address kRecipient{{0xaa}};

}  // namespace

TEST(Chain, GenesisHasTheAllocAndSystemContracts) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    auto r = chain->reader();
    EXPECT_EQ(r.head(), 0u);
    const auto genesis = r.header(0);
    ASSERT_TRUE(genesis.has_value());
    EXPECT_EQ(genesis->base_fee_per_gas, uint256(1'000'000'000));
    EXPECT_TRUE(genesis->requests_hash.has_value());
    auto state = r.state_at(0);
    EXPECT_TRUE(state->read_account(key.addr).has_value());
    EXPECT_TRUE(state->read_account(kHistoryStorageAddress).has_value());
    EXPECT_EQ(r.number_of(*r.hash(0)), 0u);
}

TEST(Chain, AutomineMinesABlockPerTransaction) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    std::vector<BlockEvent> events;
    chain->on_block([&](const BlockEvent& e) { events.push_back(e); });
    auto hash = chain->submit(transfer(key, 0, kRecipient, 1000));
    ASSERT_TRUE(hash.has_value()) << hash.error().message;
    auto r = chain->reader();
    EXPECT_EQ(r.head(), 1u);
    const auto location = r.find_transaction(*hash);
    ASSERT_TRUE(location.has_value());
    EXPECT_EQ(location->block_number, 1u);
    const auto receipts = r.receipts(1);
    ASSERT_EQ(receipts->size(), 1u);
    EXPECT_TRUE((*receipts)[0].success);
    EXPECT_EQ((*receipts)[0].gas_used, 21000u);
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(1000));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].hash, *r.hash(1));
    EXPECT_GT(r.header(1)->timestamp, r.header(0)->timestamp);
    // The past state is still readable.
    EXPECT_FALSE(r.state_at(0)->read_account(kRecipient).has_value());
}

TEST(Chain, PoolErrorsUseGethMessages) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));
    EXPECT_EQ(chain->submit(transfer(key, 0, kRecipient, 2)).error().message,
              "nonce too low: next nonce 1, tx nonce 0");
    const DevKey poor = dev_key(1);
    EXPECT_TRUE(chain->submit(transfer(poor, 0, kRecipient, 1))
                    .error()
                    .message.starts_with("insufficient funds for gas * price + value: balance 0"));
    chain->set_automine(false);
    ASSERT_TRUE(chain->submit(transfer(key, 1, kRecipient, 1, 2'000'000'000, 10)));
    EXPECT_EQ(chain->submit(transfer(key, 1, kRecipient, 9, 2'000'000'000, 10)).error().message,
              "replacement transaction underpriced");
    ASSERT_TRUE(chain->submit(transfer(key, 1, kRecipient, 9, 2'200'000'000, 11)));
    EXPECT_EQ(chain->pool_contents().size(), 1u);
}

TEST(Chain, QueuedTransactionWaitsForTheGap) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    chain->set_automine(false);
    auto later = chain->submit(transfer(key, 1, kRecipient, 1));
    ASSERT_TRUE(later);
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(chain->reader().receipts(1)->size(), 0u);  // nonce 0 missing: nothing to mine
    EXPECT_EQ(chain->pending_nonce(key.addr), 0u);
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));
    EXPECT_EQ(chain->pending_nonce(key.addr), 2u);
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(chain->reader().receipts(2)->size(), 2u);
    EXPECT_TRUE(chain->pool_contents().empty());
}

TEST(Chain, SnapshotRevertRestoresBlocksStateAndEdits) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    chain->set_balance(kRecipient, 5);
    const uint64_t snap = chain->snapshot();
    chain->set_balance(kRecipient, 7);
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(8));
    ASSERT_TRUE(chain->revert(snap));
    EXPECT_EQ(chain->reader().head(), 0u);
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(5));
    EXPECT_FALSE(chain->revert(snap));                            // used up
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));  // the nonce is free again
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(6));
}

TEST(Chain, TimeControls) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    const uint64_t genesis_time = chain->reader().header(0)->timestamp;
    EXPECT_FALSE(chain->set_next_timestamp(genesis_time).has_value());
    ASSERT_TRUE(chain->set_next_timestamp(genesis_time + 1000));
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(chain->reader().header(1)->timestamp, genesis_time + 1000);
    ASSERT_TRUE(chain->mine());
    EXPECT_GE(chain->reader().header(2)->timestamp, genesis_time + 1001);
    EXPECT_FALSE(chain->mine(genesis_time).has_value());
}

TEST(Chain, DurableChainResumesWithItsBlocksAndPool) {
    const auto dir = std::filesystem::temp_directory_path() / "krnl-chain-test";
    std::filesystem::remove_all(dir);
    const DevKey key = dev_key(0);
    hash256 mined, pooled;
    {
        auto chain = open_chain(config_with(key), {.dir = dir});
        mined = *chain->submit(transfer(key, 0, kRecipient, 1));
        chain->set_automine(false);
        pooled = *chain->submit(transfer(key, 1, kRecipient, 1));
    }
    auto chain = open_chain(config_with(key), {.dir = dir});
    EXPECT_EQ(chain->reader().head(), 1u);
    EXPECT_TRUE(chain->reader().find_transaction(mined).has_value());
    EXPECT_TRUE(chain->pooled(pooled).has_value());
    ChainConfig other = config_with(key);
    other.chain_id = 5;
    chain.reset();
    EXPECT_FALSE(Chain::open(other, {.dir = dir}).has_value());
    std::filesystem::remove_all(dir);
}
