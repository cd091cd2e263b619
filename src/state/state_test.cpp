#include "state/state.hpp"

#include <gtest/gtest.h>

#include <map>

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

// A base that counts its reads, to show each account and slot is loaded once.
class MapReader : public StateReader {
public:
    std::unordered_map<address, AccountInfo> accounts;
    std::unordered_map<hash256, bytes> code;
    std::map<std::pair<address, uint256>, uint256> storage;
    mutable int account_reads = 0;
    mutable int storage_reads = 0;

    std::optional<AccountInfo> read_account(const address& a) const override {
        ++account_reads;
        auto it = accounts.find(a);
        if (it == accounts.end()) return std::nullopt;
        return it->second;
    }
    uint256 read_storage(const address& a, const uint256& key) const override {
        ++storage_reads;
        auto it = storage.find({a, key});
        return it != storage.end() ? it->second : uint256{};
    }
    bytes read_code(const hash256& h) const override { return code.at(h); }
};

TEST(StateOverBase, LoadsOnFirstTouchAndReportsOnlyChanges) {
    MapReader base;
    const bytes code{0x60, 0x00};
    base.code[keccak256(code)] = code;
    base.accounts[addr(1)] = {
        .nonce = 3, .balance = 100, .code_hash = keccak256(code), .has_storage = true};
    base.accounts[addr(2)] = {.nonce = 0, .balance = 7};
    base.storage[{addr(1), 5}] = 55;

    State st(base);
    ASSERT_NE(st.find(addr(1)), nullptr);
    EXPECT_EQ(st.find(addr(1))->code, code);
    EXPECT_EQ(st.get_storage(addr(1), 5), uint256(55));
    EXPECT_EQ(st.get_storage(addr(1), 5), uint256(55));
    EXPECT_EQ(st.get_storage(addr(1), 6), uint256(0));
    EXPECT_EQ(base.storage_reads, 2);
    EXPECT_EQ(st.find(addr(9)), nullptr);
    EXPECT_EQ(st.find(addr(9)), nullptr);
    EXPECT_EQ(base.account_reads, 2);
    EXPECT_EQ(st.slot(addr(1), 5).original, uint256(55));

    st.set_storage(addr(1), 5, 0);
    st.add_balance(addr(2), 1);
    st.add_balance(addr(3), 9);  // new account: its storage is never looked up
    EXPECT_EQ(st.get_storage(addr(3), 1), uint256(0));
    EXPECT_EQ(base.storage_reads, 2);
    st.finalize_transaction(true);
    // The zeroed slot stays known: reading it again must not bring the base's value back.
    EXPECT_EQ(st.get_storage(addr(1), 5), uint256(0));

    std::map<address, AccountChange> changes;
    for (AccountChange& c : st.changes())
        changes[c.addr] = std::move(c);
    ASSERT_EQ(changes.size(), 3u);
    ASSERT_EQ(changes[addr(1)].storage.size(), 1u);
    EXPECT_EQ(changes[addr(1)].storage[0], std::make_pair(uint256(5), uint256(0)));
    EXPECT_EQ(changes[addr(2)].info->balance, uint256(8));
    EXPECT_EQ(changes[addr(3)].info->balance, uint256(9));
    EXPECT_FALSE(changes[addr(2)].storage_cleared);
}

TEST(StateOverBase, RemovedAccountsStayRemoved) {
    MapReader base;
    base.accounts[addr(1)] = {.nonce = 0, .balance = 0};
    State st(base);
    st.touch(addr(1));
    st.finalize_transaction(true);  // touched and empty: removed (EIP-158)
    EXPECT_EQ(st.find(addr(1)), nullptr);
    auto changes = st.changes();
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].addr, addr(1));
    EXPECT_FALSE(changes[0].info.has_value());
    EXPECT_TRUE(changes[0].storage_cleared);
}

TEST(StateOverBase, RollbackOfACreationDoesNotReload) {
    MapReader base;
    State st(base);
    const auto cp = st.checkpoint();
    st.add_balance(addr(4), 1);
    st.rollback(cp);
    EXPECT_EQ(st.find(addr(4)), nullptr);
    EXPECT_EQ(base.account_reads, 1);
}
