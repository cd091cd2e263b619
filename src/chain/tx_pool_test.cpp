#include "chain/tx_pool.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::chain;

namespace {

address sender(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

PooledTx make(uint8_t from, uint64_t nonce, uint64_t fee_cap, uint64_t tip, uint8_t salt = 0) {
    PooledTx p;
    p.tx.type = TxType::DynamicFee;
    p.tx.nonce = nonce;
    p.tx.max_fee_per_gas = fee_cap;
    p.tx.max_priority_fee_per_gas = tip;
    p.sender = sender(from);
    p.hash.bytes[0] = from;
    p.hash.bytes[1] = static_cast<uint8_t>(nonce);
    p.hash.bytes[2] = static_cast<uint8_t>(fee_cap);
    p.hash.bytes[3] = salt;
    return p;
}

}  // namespace

TEST(TxPool, QueuedUntilTheGapIsFilled) {
    TxPool pool;
    auto nonce_of = [](const address&) -> uint64_t { return 0; };
    ASSERT_TRUE(pool.add(make(1, 1, 10, 1), 0));
    EXPECT_TRUE(pool.executable(nonce_of, 1).empty());
    EXPECT_EQ(pool.pending_nonce(sender(1), 0), 0u);
    EXPECT_EQ(pool.counts(nonce_of), std::make_pair(size_t{0}, size_t{1}));
    ASSERT_TRUE(pool.add(make(1, 0, 10, 1), 0));
    const auto order = pool.executable(nonce_of, 1);
    ASSERT_EQ(order.size(), 2u);
    EXPECT_EQ(order[0]->tx.nonce, 0u);
    EXPECT_EQ(order[1]->tx.nonce, 1u);
    EXPECT_EQ(pool.pending_nonce(sender(1), 0), 2u);
}

TEST(TxPool, ReplacementNeedsATenPercentBumpOfBothFees) {
    TxPool pool;
    ASSERT_TRUE(pool.add(make(1, 0, 100, 10), 0));
    EXPECT_EQ(pool.add(make(1, 0, 109, 11, 1), 0).error(), PoolError::ReplacementUnderpriced);
    EXPECT_EQ(pool.add(make(1, 0, 110, 10, 2), 0).error(), PoolError::ReplacementUnderpriced);
    auto replaced = pool.add(make(1, 0, 110, 11, 3), 0);
    ASSERT_TRUE(replaced.has_value());
    EXPECT_EQ(*replaced, make(1, 0, 100, 10).hash);
    EXPECT_EQ(pool.size(), 1u);
    EXPECT_EQ(pool.add(make(1, 0, 110, 11, 3), 0).error(), PoolError::AlreadyKnown);
}

TEST(TxPool, HigherTipsFirstAcrossSendersNonceOrderWithin) {
    TxPool pool;
    auto nonce_of = [](const address&) -> uint64_t { return 0; };
    ASSERT_TRUE(pool.add(make(1, 0, 100, 1), 0));
    ASSERT_TRUE(pool.add(make(1, 1, 100, 50), 0));
    ASSERT_TRUE(pool.add(make(2, 0, 100, 5), 0));
    ASSERT_TRUE(pool.add(make(3, 0, 5, 5), 0));  // fee cap below the base fee: waits
    const auto order = pool.executable(nonce_of, 10);
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[0]->sender, sender(2));
    EXPECT_EQ(order[1]->sender, sender(1));
    EXPECT_EQ(order[1]->tx.nonce, 0u);
    EXPECT_EQ(order[2]->tx.nonce, 1u);  // its tip of 50 only counts once nonce 0 is in
}

TEST(TxPool, BoundsAndMinedRemoval) {
    TxPool pool(TxPool::Limits{.max_transactions = 3, .max_per_sender = 2, .max_nonce_gap = 5});
    ASSERT_TRUE(pool.add(make(1, 0, 10, 1), 0));
    ASSERT_TRUE(pool.add(make(1, 1, 10, 1), 0));
    EXPECT_EQ(pool.add(make(1, 2, 10, 1), 0).error(), PoolError::SenderFull);
    EXPECT_EQ(pool.add(make(2, 6, 10, 1), 0).error(), PoolError::NonceTooFarAhead);
    ASSERT_TRUE(pool.add(make(2, 0, 10, 1), 0));
    EXPECT_EQ(pool.add(make(3, 0, 10, 1), 0).error(), PoolError::PoolFull);
    EXPECT_EQ(pool.remove_below(sender(1), 1).size(), 1u);
    EXPECT_EQ(pool.size(), 2u);
    EXPECT_EQ(pool.find(make(1, 0, 10, 1).hash), nullptr);
    ASSERT_NE(pool.find(make(1, 1, 10, 1).hash), nullptr);
}

TEST(TxPool, BoundedInBytes) {
    // Each transaction carries 100 kB of data; the pool holds 350 kB.
    auto big = [](uint8_t from, uint64_t nonce, uint64_t fee_cap, uint8_t salt = 0) {
        PooledTx p = make(from, nonce, fee_cap, fee_cap / 10, salt);
        p.tx.data.assign(100'000, 0xab);
        return p;
    };
    TxPool::Limits limits;
    limits.max_bytes = 350'000;
    TxPool pool(limits);
    for (uint8_t i = 0; i < 3; ++i)
        ASSERT_TRUE(pool.add(big(i, 0, 10), 0));
    const size_t three = pool.bytes();
    EXPECT_GT(three, 300'000u);
    EXPECT_LE(three, 350'000u);
    // A fourth does not fit; a small one still does.
    EXPECT_EQ(pool.add(big(9, 0, 10), 0).error(), PoolError::PoolBytesFull);
    EXPECT_EQ(pool.size(), 3u);
    EXPECT_EQ(pool.bytes(), three);
    ASSERT_TRUE(pool.add(make(9, 0, 10, 1), 0));
    // A replacement counts in place of the one it replaces.
    ASSERT_TRUE(pool.add(big(0, 0, 20, 1), 0));
    EXPECT_EQ(pool.size(), 4u);
    // Removing frees the bytes, whichever way a transaction leaves.
    EXPECT_TRUE(pool.remove(big(1, 0, 10).hash));
    pool.remove_below(sender(2), 1);
    EXPECT_EQ(pool.size(), 2u);
    EXPECT_LT(pool.bytes(), 150'000u);
    ASSERT_TRUE(pool.add(big(9, 1, 10), 0));
    ASSERT_TRUE(pool.add(big(8, 0, 10), 0));
    EXPECT_EQ(pool.add(big(7, 0, 10), 0).error(), PoolError::PoolBytesFull);
    pool.clear();
    EXPECT_EQ(pool.bytes(), 0u);
    EXPECT_NE(pool_error_message(PoolError::PoolBytesFull).find("txpool is full"),
              std::string_view::npos);
}
