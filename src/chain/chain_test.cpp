#include "chain/chain.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <thread>

#include "chain/chain_test_support.hpp"

using namespace krnl;
using namespace krnl::chain;

namespace {

using testing_support::dev_key;
using testing_support::DevKey;
using testing_support::transfer;

ChainConfig config_with(const DevKey& key) {
    return testing_support::funded_config({key});
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

TEST(Chain, ADataDirKeepsItsHardfork) {
    const auto dir = std::filesystem::temp_directory_path() / "krnl-chain-hardfork-test";
    std::filesystem::remove_all(dir);
    const DevKey key = dev_key(0);
    ChainConfig prague = config_with(key);
    prague.revision = evm::Revision::Prague;
    {
        auto chain = open_chain(prague, {.dir = dir});
        ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)).has_value());
    }
    ChainConfig osaka = prague;
    osaka.revision = evm::Revision::Osaka;
    auto refused = Chain::open(osaka, {.dir = dir});
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().find("run at Prague, not Osaka"), std::string::npos)
        << refused.error();
    auto reopened = open_chain(prague, {.dir = dir});
    EXPECT_EQ(reopened->reader().head(), 1u);
    reopened.reset();
    std::filesystem::remove_all(dir);
}

TEST(Chain, BlockTimestampsNeverWrap) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    ASSERT_TRUE(chain->set_next_timestamp(kMax));
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(chain->reader().header(1)->timestamp, kMax);
    // No timestamp is after it: the block is refused, not stamped 0.
    auto refused = chain->mine();
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().find("the largest a block can carry"), std::string::npos)
        << refused.error();
    EXPECT_EQ(chain->reader().head(), 1u);
    EXPECT_FALSE(chain->submit(transfer(key, 0, kRecipient, 1)).has_value());  // automine
    EXPECT_EQ(chain->reader().head(), 1u);
}

TEST(Chain, TheTimeOffsetIsRefusedPastWhatATimestampCanHold) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    constexpr uint64_t kHalf = uint64_t{std::numeric_limits<int64_t>::max()};
    auto first = chain->increase_time(kHalf);
    ASSERT_TRUE(first.has_value()) << first.error();
    EXPECT_EQ(*first, std::numeric_limits<int64_t>::max());
    auto second = chain->increase_time(kHalf);
    ASSERT_FALSE(second.has_value());
    EXPECT_NE(second.error().find("it is 9223372036854775807 s now"), std::string::npos)
        << second.error();
    EXPECT_FALSE(chain->increase_time(1).has_value());
    EXPECT_EQ(*chain->increase_time(0), std::numeric_limits<int64_t>::max());  // unchanged
    // Block time is the clock plus the offset, well inside 64 bits, and it keeps increasing.
    ASSERT_TRUE(chain->mine());
    ASSERT_TRUE(chain->mine());
    const uint64_t t1 = chain->reader().header(1)->timestamp;
    EXPECT_GT(t1, kHalf);
    EXPECT_GT(chain->reader().header(2)->timestamp, t1);

    // A value above int64 (once read as -1 s, moving time back) is refused too.
    auto other = open_chain(config_with(key));
    EXPECT_FALSE(other->increase_time(std::numeric_limits<uint64_t>::max()).has_value());
}

TEST(Chain, ReplayStateOfABlockHasTheDevEditsMadeBeforeIt) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    const address target{{0xcc}};
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));  // block 1
    chain->set_code(target, bytes{0xfe});                         // INVALID
    chain->set_storage(target, 1, 2);
    chain->set_balance(target, 3);
    chain->set_nonce(target, 4);
    ASSERT_TRUE(chain->submit(transfer(key, 1, kRecipient, 1)));  // block 2
    chain->set_code(target, bytes{0x00});                         // after block 2: not in it
    auto r = chain->reader();
    ASSERT_EQ(r.head(), 2u);
    // The state after block 1 is what block 1 left; block 2 was built on it plus the edits.
    EXPECT_FALSE(r.state_at(1)->read_account(target).has_value());
    auto before = r.state_before(2);
    const auto account = before->read_account(target);
    ASSERT_TRUE(account.has_value());
    EXPECT_EQ(before->read_code(account->code_hash), bytes{0xfe});
    EXPECT_EQ(before->read_storage(target, 1), uint256(2));
    EXPECT_EQ(account->balance, uint256(3));
    EXPECT_EQ(account->nonce, 4u);
    // Block 1 had no edits before it: its pre-state is genesis.
    EXPECT_EQ(r.state_before(1)->read_account(key.addr)->nonce, 0u);
    EXPECT_EQ(r.state_before(2)->read_account(key.addr)->nonce, 1u);
}

// A block commits and takes its transactions out of the pool under the chain's lock; a pending
// nonce read straddling that (state before, pool after) used to miss the block's transactions.
TEST(Chain, PendingNonceCountsAcknowledgedTransactionsWhileTheirBlockIsSealed) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(config_with(key));
    chain->set_automine(false);
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));  // acknowledged, pooled
    chain->set_automine(true);
    // The next submission seals a block with both; its pending listener runs under the lock
    // before that block commits: a nonce read starts then.
    std::optional<uint64_t> seen;
    std::thread reader;
    chain->on_pending_transaction([&](const PooledTx& tx) {
        if (tx.tx.nonce != 1) return;
        reader = std::thread([&] { seen = chain->pending_nonce(key.addr); });
        // Time for the read to take its snapshot, if it takes it before the lock.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    });
    ASSERT_TRUE(chain->submit(transfer(key, 1, kRecipient, 1)));
    reader.join();
    EXPECT_EQ(chain->reader().head(), 1u);
    ASSERT_TRUE(seen.has_value());
    EXPECT_GE(*seen, 1u);  // nonce 0 was acknowledged before the read began
}

TEST(Chain, AFailedWriteIsAnErrorAndNothingIsAcknowledged) {
    const DevKey key = dev_key(0);
    // A map of 4 MiB fills after a few blocks of 120 KB transactions, as a full disk would.
    auto opened = Chain::open(config_with(key), {.durable = false, .map_size = size_t{4} << 20});
    ASSERT_TRUE(opened.has_value()) << opened.error();
    Chain& chain = **opened;
    std::optional<SubmitError> failure;
    uint64_t acknowledged = 0;
    while (acknowledged < 100 && !failure) {
        Transaction tx = transfer(key, acknowledged, kRecipient, 1);
        tx.data = bytes(120'000, 0x00);
        tx.gas_limit = 2'000'000;
        EXPECT_TRUE(sign_transaction(tx, key.secret));
        auto submitted = chain.submit(tx);
        if (submitted)
            ++acknowledged;
        else
            failure = submitted.error();
    }
    ASSERT_TRUE(failure.has_value()) << "100 transactions of 120 KB fit in a 4 MiB map";
    EXPECT_EQ(failure->kind, SubmitError::Kind::Storage);
    EXPECT_NE(failure->message.find("cannot write the in-memory database"), std::string::npos)
        << failure->message;
    EXPECT_TRUE(chain.pool_contents().empty());  // not acknowledged, not pooled
    // Every acknowledged transaction is in its block (automine: one each), and only those.
    auto r = chain.reader();
    EXPECT_EQ(r.head(), acknowledged);
    EXPECT_EQ(r.state_at(r.head())->read_account(key.addr)->nonce, acknowledged);
}

TEST(Chain, ADataDirWithDataButNoChainIsRefused) {
    const auto dir = std::filesystem::temp_directory_path() / "krnl-chain-test-damaged";
    std::filesystem::remove_all(dir);
    const DevKey key = dev_key(0);
    open_chain(config_with(key), {.dir = dir}).reset();
    std::vector<std::string_view> tables(state::FlatState::kTables.begin(),
                                         state::FlatState::kTables.end());
    tables.insert(tables.end(), ChainStore::kTables.begin(), ChainStore::kTables.end());
    auto erase = [&](std::string_view key_name) {
        auto db = state::Database::open({.dir = dir}, tables);
        ASSERT_TRUE(db.has_value()) << db.error();
        auto txn = (*db)->write();
        txn.del((*db)->table("meta"),
                bytes_view(reinterpret_cast<const uint8_t*>(key_name.data()), key_name.size()));
        txn.commit();
    };
    erase("chain_id");
    auto opened = Chain::open(config_with(key), {.dir = dir});
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error(), (dir / "data.mdb").string() +
                                  " is corrupted (it has blocks but no chain id record): restore "
                                  "it from a backup or remove the directory to start a new chain");
    erase("head");
    opened = Chain::open(config_with(key), {.dir = dir});
    ASSERT_FALSE(opened.has_value());
    EXPECT_NE(opened.error().find("but no head block"), std::string::npos) << opened.error();
    std::filesystem::remove_all(dir);
}
