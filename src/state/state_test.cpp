#include "state/state.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::state;

namespace {
address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}
}  // namespace

TEST(State, RollbackUndoesEveryKindOfChange) {
    State st;
    Account acc;
    acc.balance = 100;
    acc.storage[1] = {7, 7};
    st.put(addr(1), acc);

    const auto cp = st.checkpoint();
    st.add_balance(addr(1), 5);
    st.bump_nonce(addr(1));
    st.set_storage(addr(1), 1, 9);
    st.set_transient(addr(1), 2, 3);
    st.set_code(addr(1), bytes{0x60, 0x00});
    st.add_balance(addr(2), 1);  // creates an account
    st.mark_destructed(addr(1));
    EXPECT_TRUE(st.warm_account(addr(3)));
    EXPECT_TRUE(st.warm_slot(addr(1), 4));
    st.rollback(cp);

    const Account* a = st.find(addr(1));
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->balance, uint256(100));
    EXPECT_EQ(a->nonce, 0u);
    EXPECT_EQ(st.get_storage(addr(1), 1), uint256(7));
    EXPECT_EQ(st.get_transient(addr(1), 2), uint256(0));
    EXPECT_TRUE(a->code.empty());
    EXPECT_EQ(a->code_hash, kEmptyKeccak);
    EXPECT_FALSE(a->destructed);
    EXPECT_EQ(st.find(addr(2)), nullptr);
    EXPECT_TRUE(st.warm_account(addr(3)));  // cold again after the rollback
    EXPECT_TRUE(st.warm_slot(addr(1), 4));
}

TEST(State, WarmthIsPerTransaction) {
    State st;
    st.put(addr(1), Account{.nonce = 1});
    EXPECT_TRUE(st.warm_slot(addr(1), 5));
    EXPECT_FALSE(st.warm_slot(addr(1), 5));
    EXPECT_TRUE(st.warm_account(addr(9)));
    EXPECT_FALSE(st.warm_account(addr(9)));
    st.finalize_transaction(true);
    EXPECT_TRUE(st.warm_slot(addr(1), 5));
    EXPECT_TRUE(st.warm_account(addr(9)));
}

TEST(State, WarmingAnAbsentAccountCreatesNothing) {
    State st;
    EXPECT_TRUE(st.warm_account(addr(7)));
    EXPECT_TRUE(st.warm_slot(addr(7), 1));
    EXPECT_EQ(st.find(addr(7)), nullptr);
    // A slot warmed before its account exists stays warm once the account is created.
    st.add_balance(addr(7), 1);
    EXPECT_FALSE(st.warm_slot(addr(7), 1));
    st.finalize_transaction(true);
    EXPECT_NE(st.find(addr(7)), nullptr);
}

TEST(State, FinalizeRemovesTouchedEmptyAndDestructedAccounts) {
    State st;
    st.put(addr(1), Account{});              // empty, untouched: stays
    st.put(addr(2), Account{});              // empty, touched: removed
    st.put(addr(3), Account{.balance = 5});  // destructed: removed
    st.put(addr(4), Account{.balance = 1});
    st.touch(addr(2));
    st.mark_destructed(addr(3));
    st.set_storage(addr(4), 1, 0);  // zero slots leave the trie
    st.finalize_transaction(true);
    EXPECT_NE(st.find(addr(1)), nullptr);
    EXPECT_EQ(st.find(addr(2)), nullptr);
    EXPECT_EQ(st.find(addr(3)), nullptr);
    EXPECT_TRUE(st.find(addr(4))->storage.empty());
}

TEST(State, OriginalValueIsFixedForTheTransaction) {
    State st;
    st.put(addr(1), Account{.nonce = 1});
    st.set_storage(addr(1), 1, 5);
    EXPECT_EQ(st.slot(addr(1), 1).original, uint256(0));
    st.finalize_transaction(true);
    EXPECT_EQ(st.slot(addr(1), 1).original, uint256(5));
}

TEST(State, CopiesDoNotShareTheLookupCache) {
    State a;
    a.put(addr(1), Account{.balance = 1});
    ASSERT_NE(a.find(addr(1)), nullptr);  // primes a's cache
    State b = a;
    b.add_balance(addr(1), 1);
    EXPECT_EQ(a.find(addr(1))->balance, uint256(1));
    EXPECT_EQ(b.find(addr(1))->balance, uint256(2));
}

TEST(StateRoot, EmptyStateIsTheEmptyTrie) {
    EXPECT_EQ(state_root(State{}), kEmptyTrieRoot);
}
