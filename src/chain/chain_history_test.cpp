// Edits of the chain's history and identity: rollback, reorg, reset (anvil_rollback, anvil_reorg,
// anvil_reset) and a changed chain id (anvil_setChainId).
#include <gtest/gtest.h>

#include "chain/chain.hpp"
#include "chain/chain_test_support.hpp"

using namespace krnl;
using namespace krnl::chain;

namespace {

using testing_support::dev_key;
using testing_support::DevKey;
using testing_support::transfer;

const address kRecipient{{0xaa}};

std::unique_ptr<Chain> open_chain(const DevKey& key) {
    auto chain = Chain::open(testing_support::funded_config({key}), {.durable = false});
    EXPECT_TRUE(chain.has_value()) << chain.error();
    return std::move(*chain);
}

uint256 balance_of(const Chain& chain, const address& a) {
    auto r = chain.reader();
    auto account = r.state_at(r.head())->read_account(a);
    return account ? account->balance : uint256{};
}

uint64_t nonce_of(const Chain& chain, const address& a) {
    auto r = chain.reader();
    auto account = r.state_at(r.head())->read_account(a);
    return account ? account->nonce : 0;
}

PooledTx pooled(const DevKey& key, const Transaction& tx) {
    return {tx, key.addr, transaction_hash(tx)};
}

}  // namespace

TEST(ChainHistory, RollbackRemovesBlocksAndTheirState) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    const auto first = chain->submit(transfer(key, 0, kRecipient, 1));
    ASSERT_TRUE(first);
    const auto second = chain->submit(transfer(key, 1, kRecipient, 2));
    ASSERT_TRUE(second);
    const hash256 block1 = *chain->reader().hash(1);
    ASSERT_EQ(chain->reader().head(), 2u);

    ASSERT_TRUE(chain->rollback(1));
    auto r = chain->reader();
    EXPECT_EQ(r.head(), 1u);
    EXPECT_EQ(*r.hash(1), block1);
    EXPECT_FALSE(r.header(2).has_value());
    EXPECT_FALSE(r.find_transaction(*second).has_value());
    EXPECT_TRUE(r.find_transaction(*first).has_value());
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(1));
    EXPECT_EQ(nonce_of(*chain, key.addr), 1u);
    // Dropped as anvil drops them: not back in the pool.
    EXPECT_TRUE(chain->pool_contents().empty());
    // The nonce is free again, and the next block is number 2.
    ASSERT_TRUE(chain->submit(transfer(key, 1, kRecipient, 5)));
    EXPECT_EQ(chain->reader().head(), 2u);
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(6));
}

TEST(ChainHistory, ResetStartsOverAndTellsItsListenersOnce) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    const hash256 genesis = *chain->reader().hash(0);
    int resets = 0;
    chain->on_reset([&] { ++resets; });
    const auto mined = chain->submit(transfer(key, 0, kRecipient, 1));
    ASSERT_TRUE(mined);
    chain->set_automine(false);
    ASSERT_TRUE(chain->submit(transfer(key, 1, kRecipient, 2)));
    ASSERT_EQ(chain->pool_contents().size(), 1u);
    EXPECT_EQ(resets, 0);

    ASSERT_TRUE(chain->reset(std::nullopt, std::nullopt));
    EXPECT_EQ(resets, 1);
    auto r = chain->reader();
    EXPECT_EQ(r.head(), 0u);
    EXPECT_EQ(*r.hash(0), genesis);
    EXPECT_FALSE(r.find_transaction(*mined).has_value());
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256{});
    EXPECT_EQ(nonce_of(*chain, key.addr), 0u);
    EXPECT_TRUE(chain->pool_contents().empty());
}

TEST(ChainHistory, RollbackKeepsDevEditsMadeBeforeTheRemovedBlocks) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    chain->set_balance(kRecipient, 100);
    ASSERT_TRUE(chain->mine());
    chain->set_balance(kRecipient, 200);  // after block 1, before block 2
    ASSERT_TRUE(chain->mine());
    chain->set_balance(kRecipient, 300);  // after the head: undone with block 2
    ASSERT_TRUE(chain->rollback(1));
    EXPECT_EQ(chain->reader().head(), 1u);
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(200));
    ASSERT_TRUE(chain->rollback(1));
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(100));
}

TEST(ChainHistory, RollbackRefusesPastGenesisAndZeroIsANoOp) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    ASSERT_TRUE(chain->mine());
    const auto refused = chain->rollback(2);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(),
              "rollback depth must not exceed the current chain height: height 1, depth 2");
    ASSERT_TRUE(chain->rollback(0));
    EXPECT_EQ(chain->reader().head(), 1u);
    ASSERT_TRUE(chain->rollback(1));
    EXPECT_EQ(chain->reader().head(), 0u);
}

TEST(ChainHistory, RollbackUsesUpSnapshotsOfRemovedStates) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    const uint64_t before = chain->snapshot();
    ASSERT_TRUE(chain->mine());
    ASSERT_TRUE(chain->mine());
    const uint64_t after = chain->snapshot();
    ASSERT_TRUE(chain->rollback(1));
    EXPECT_FALSE(chain->revert(after));
    EXPECT_TRUE(chain->revert(before));
    EXPECT_EQ(chain->reader().head(), 0u);
}

TEST(ChainHistory, RollbackLeavesPooledTransactionsWaiting) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));
    chain->set_automine(false);
    ASSERT_TRUE(chain->submit(transfer(key, 1, kRecipient, 2)));
    ASSERT_TRUE(chain->rollback(1));
    EXPECT_EQ(chain->pool_contents().size(), 1u);  // waits for nonce 0 again
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(chain->reader().receipts(1)->size(), 0u);
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 4)));
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(chain->reader().receipts(2)->size(), 2u);
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(6));
}

TEST(ChainHistory, ReorgReplacesBlocksWithTheGivenTransactions) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    const auto old = chain->submit(transfer(key, 0, kRecipient, 1));
    ASSERT_TRUE(old);
    ASSERT_TRUE(chain->mine());
    const hash256 old_head = *chain->reader().hash(2);

    const Transaction a = transfer(key, 0, kRecipient, 10);
    const Transaction b = transfer(key, 1, kRecipient, 20);
    const Transaction bad = transfer(key, 7, kRecipient, 30);  // nonce gap: left out
    auto head = chain->reorg(3 - 1, {{pooled(key, a)}, {pooled(key, bad), pooled(key, b)}});
    ASSERT_TRUE(head) << head.error();
    EXPECT_EQ(*head, 2u);
    auto r = chain->reader();
    EXPECT_NE(*r.hash(2), old_head);
    EXPECT_EQ(r.header(2)->parent_hash, *r.hash(1));
    EXPECT_FALSE(r.find_transaction(*old).has_value());
    EXPECT_EQ(r.find_transaction(transaction_hash(a))->block_number, 1u);
    EXPECT_EQ(r.find_transaction(transaction_hash(b))->block_number, 2u);
    EXPECT_FALSE(r.find_transaction(transaction_hash(bad)).has_value());
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(30));
}

TEST(ChainHistory, ReorgWithoutTransactionsMinesEmptyBlocks) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));
    auto head = chain->reorg(1, {});
    ASSERT_TRUE(head);
    EXPECT_EQ(*head, 1u);
    EXPECT_EQ(chain->reader().receipts(1)->size(), 0u);
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(0));
}

TEST(ChainHistory, ReorgRefusesBadDepths) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    ASSERT_TRUE(chain->mine());
    EXPECT_EQ(chain->reorg(0, {}).error(), "reorg depth must be at least 1");
    EXPECT_FALSE(chain->reorg(2, {}));
    EXPECT_FALSE(chain->reorg(1, {{}, {}}));  // a block past the depth
    EXPECT_EQ(chain->reader().head(), 1u);    // nothing changed
}

TEST(ChainHistory, ChainIdChangesWhatTransactionsAreSignedFor) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    EXPECT_EQ(chain->chain_id(), 31337u);
    chain->set_chain_id(17);
    EXPECT_EQ(chain->chain_id(), 17u);
    EXPECT_EQ(chain->config().chain_id, 31337u);                      // the configured id is kept
    const auto old = chain->submit(transfer(key, 0, kRecipient, 1));  // signed for 31337
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().message,
              "invalid sender: invalid chain id for signer: have 31337 want 17");
    Transaction tx;
    tx.type = TxType::DynamicFee;
    tx.chain_id = 17;
    tx.max_fee_per_gas = 2'000'000'000;
    tx.max_priority_fee_per_gas = 1;
    tx.gas_limit = 21000;
    tx.to = kRecipient;
    tx.value = 3;
    ASSERT_TRUE(sign_transaction(tx, key.secret));
    ASSERT_TRUE(chain->submit(tx));
    EXPECT_EQ(balance_of(*chain, kRecipient), uint256(3));
}

TEST(ChainHistory, ListenersHearOfRemovedBlocksAndRollbackLetsThemReadWhatWasRemoved) {
    const DevKey key = dev_key(0);
    auto chain = open_chain(key);
    ASSERT_TRUE(chain->submit(transfer(key, 0, kRecipient, 1)));
    const auto removed = chain->submit(transfer(key, 1, kRecipient, 2));
    ASSERT_TRUE(removed);
    const hash256 block2 = *chain->reader().hash(2);
    const uint64_t snapshot = chain->snapshot();
    ASSERT_TRUE(chain->mine());  // block 3

    struct Heard {
        uint64_t first_removed, old_head;
        std::optional<hash256> removed_hash;  // block 2 as the listener read it, when it could
        std::optional<size_t> removed_transactions;
    };
    std::vector<Heard> heard;
    chain->on_rewound([&](const HeadRewound& e) {
        Heard h{e.first_removed, e.old_head, std::nullopt, std::nullopt};
        if (e.before != nullptr) {
            h.removed_hash = e.before->hash(2);
            if (auto block = e.before->block(2))
                h.removed_transactions = block->transactions.size();
        }
        heard.push_back(h);
    });

    ASSERT_TRUE(chain->revert(snapshot));  // removes block 3: a state put back, nothing to read
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_EQ(heard[0].first_removed, 3u);
    EXPECT_EQ(heard[0].old_head, 3u);
    EXPECT_FALSE(heard[0].removed_hash.has_value());

    ASSERT_TRUE(chain->rollback(1));  // removes block 2: its block is still readable for them
    ASSERT_EQ(heard.size(), 2u);
    EXPECT_EQ(heard[1].first_removed, 2u);
    EXPECT_EQ(heard[1].old_head, 2u);
    EXPECT_EQ(heard[1].removed_hash, block2);
    EXPECT_EQ(heard[1].removed_transactions, 1u);
    EXPECT_FALSE(chain->reader().find_transaction(*removed).has_value());

    ASSERT_TRUE(chain->reorg(1, {}));  // block 1 replaced by an empty one
    ASSERT_EQ(heard.size(), 3u);
    EXPECT_EQ(heard[2].first_removed, 1u);
    EXPECT_EQ(heard[2].old_head, 1u);

    ASSERT_TRUE(chain->reset(std::nullopt));
    ASSERT_EQ(heard.size(), 4u);
    EXPECT_EQ(heard[3].first_removed, 1u);
    EXPECT_FALSE(heard[3].removed_hash.has_value());
}
