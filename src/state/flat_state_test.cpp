#include "state/flat_state.hpp"

#include <gtest/gtest.h>

#include "state/flat_state_test_support.hpp"

using namespace krnl;
using namespace krnl::state;
using namespace krnl::state::testing;

TEST(FlatState, RootMatchesTheInMemoryStateAndPastBlocksStayReadable) {
    auto db = open_ephemeral();
    FlatState flat(*db);
    State reference;
    auto genesis = [](State& st) {
        st.add_balance(addr(1), 1000);
        st.set_code(addr(2), bytes{0x60, 0x01});
        st.set_storage(addr(2), 7, 70);
        st.set_storage(addr(2), 8, 80);
    };
    auto block1 = [](State& st) {
        st.sub_balance(addr(1), 10);
        st.add_balance(addr(3), 10);
        st.set_storage(addr(2), 7, 0);
        st.set_storage(addr(2), 9, 90);
    };
    genesis(reference);
    reference.finalize_transaction(true);
    const hash256 root0 = commit_block(*db, flat, 0, genesis);
    EXPECT_EQ(root0, state_root(reference));
    block1(reference);
    reference.finalize_transaction(true);
    const hash256 root1 = commit_block(*db, flat, 1, block1);
    EXPECT_EQ(root1, state_root(reference));
    EXPECT_NE(root0, root1);

    auto txn = db->read();
    StateView latest(flat, txn);
    EXPECT_EQ(latest.read_account(addr(1))->balance, uint256(990));
    EXPECT_EQ(latest.read_account(addr(3))->balance, uint256(10));
    EXPECT_EQ(latest.read_storage(addr(2), 7), uint256(0));
    EXPECT_EQ(latest.read_storage(addr(2), 9), uint256(90));
    EXPECT_EQ(latest.read_code(latest.read_account(addr(2))->code_hash), (bytes{0x60, 0x01}));
    EXPECT_TRUE(latest.read_account(addr(2))->has_storage);

    StateView at0(flat, txn, 0);
    EXPECT_EQ(at0.read_account(addr(1))->balance, uint256(1000));
    EXPECT_FALSE(at0.read_account(addr(3)).has_value());
    EXPECT_EQ(at0.read_storage(addr(2), 7), uint256(70));
    EXPECT_EQ(at0.read_storage(addr(2), 9), uint256(0));
    std::vector<std::pair<uint256, uint256>> slots;
    at0.for_each_slot(addr(2),
                      [&](const uint256& k, const uint256& v) { slots.emplace_back(k, v); });
    EXPECT_EQ(slots, (std::vector<std::pair<uint256, uint256>>{{7, 70}, {8, 80}}));
    State only_slots_at0;
    only_slots_at0.set_storage(addr(2), 7, 70);
    only_slots_at0.set_storage(addr(2), 8, 80);
    EXPECT_EQ(at0.read_record(addr(2))->storage_root, storage_root(*only_slots_at0.find(addr(2))));
}

TEST(FlatState, RemovedAccountsLoseTheirStorage) {
    auto db = open_ephemeral();
    FlatState flat(*db);
    commit_block(*db, flat, 0, [](State& st) {
        st.add_balance(addr(5), 1);
        st.set_storage(addr(5), 1, 11);
    });
    Account replacement;
    replacement.balance = 2;
    commit_block(*db, flat, 1, [&](State& st) { st.put(addr(5), replacement); });
    auto txn = db->read();
    StateView latest(flat, txn);
    EXPECT_EQ(latest.read_storage(addr(5), 1), uint256(0));
    EXPECT_FALSE(latest.read_account(addr(5))->has_storage);
    EXPECT_EQ(StateView(flat, txn, 0).read_storage(addr(5), 1), uint256(11));
}

TEST(FlatState, ASecondCommitOfTheSameBlockKeepsTheFirstHistory) {
    auto db = open_ephemeral();
    FlatState flat(*db);
    commit_block(*db, flat, 0, [](State& st) { st.add_balance(addr(1), 1); });
    commit_block(*db, flat, 1, [](State& st) { st.add_balance(addr(1), 1); });
    commit_block(*db, flat, 1, [](State& st) { st.add_balance(addr(1), 1); });  // a dev edit
    auto txn = db->read();
    EXPECT_EQ(StateView(flat, txn, 0).read_account(addr(1))->balance, uint256(1));
    EXPECT_EQ(StateView(flat, txn).read_account(addr(1))->balance, uint256(3));
}

TEST(Database, DurableDatabaseKeepsCommittedDataAcrossReopen) {
    const auto dir = std::filesystem::temp_directory_path() / "krnl-db-test";
    std::filesystem::remove_all(dir);
    const std::string_view tables[] = {"t"};
    {
        auto db = Database::open({.dir = dir}, tables);
        ASSERT_TRUE(db.has_value()) << db.error();
        auto txn = (*db)->write();
        txn.put((*db)->table("t"), bytes{1}, bytes{2});
        txn.commit();
        auto aborted = (*db)->write();
        aborted.put((*db)->table("t"), bytes{3}, bytes{4});  // never committed
    }
    auto db = Database::open({.dir = dir}, tables);
    ASSERT_TRUE(db.has_value());
    auto txn = (*db)->read();
    EXPECT_EQ(txn.get((*db)->table("t"), bytes{1}), bytes_view(bytes{2}));
    EXPECT_FALSE(txn.get((*db)->table("t"), bytes{3}).has_value());
    std::filesystem::remove_all(dir);
}

TEST(FlatState, RevertRestoresAnEarlierBlockExactly) {
    auto db = open_ephemeral();
    FlatState flat(*db);
    const hash256 root0 = commit_block(*db, flat, 0, [](State& st) {
        st.add_balance(addr(1), 100);
        st.set_storage(addr(1), 1, 10);
    });
    commit_block(*db, flat, 1, [](State& st) {
        st.sub_balance(addr(1), 1);
        st.set_storage(addr(1), 1, 0);
        st.set_storage(addr(1), 2, 20);
        st.add_balance(addr(2), 1);
    });
    commit_block(*db, flat, 2, [](State& st) { st.add_balance(addr(2), 1); });
    {
        auto txn = db->write();
        flat.revert_to(txn, 0, 2);
        EXPECT_EQ(flat.root(txn), root0);
        txn.commit();
    }
    auto txn = db->read();
    StateView latest(flat, txn);
    EXPECT_EQ(latest.read_account(addr(1))->balance, uint256(100));
    EXPECT_EQ(latest.read_storage(addr(1), 1), uint256(10));
    EXPECT_EQ(latest.read_storage(addr(1), 2), uint256(0));
    EXPECT_FALSE(latest.read_account(addr(2)).has_value());
}

TEST(FlatState, CachedTriesFollowCommitsAndAnAbortedWriteIsForgotten) {
    auto db = open_ephemeral();
    FlatState flat(*db);
    commit_block(*db, flat, 0, [](State& st) {
        for (uint8_t i = 1; i < 40; ++i)
            st.set_storage(addr(7), i, i);
    });
    {
        auto txn = db->write();
        StateView view(flat, txn);
        State st(view);
        st.set_storage(addr(7), 3, 0);
        st.add_balance(addr(8), 5);
        st.finalize_transaction(true);
        flat.commit(txn, 1, st.changes());
        // Never committed: the tries now describe a state the database does not hold.
        flat.invalidate_tries();
    }
    const hash256 root =
        commit_block(*db, flat, 1, [](State& st) { st.set_storage(addr(7), 4, 0); });
    auto txn = db->read();
    EXPECT_EQ(root, flat.root(txn));
    EXPECT_EQ(StateView(flat, txn).read_storage(addr(7), 3), uint256(3));
}
