// Fork mode's read-through: a StateView over a FlatState with a remote source reads what was
// never written locally from the remote, and what was written (even deleted since) locally.
#include "state/remote_source.hpp"

#include <gtest/gtest.h>

#include <map>

#include "state/flat_state.hpp"
#include "state/flat_state_test_support.hpp"

using namespace krnl;
using namespace krnl::state;
using namespace krnl::state::testing;

namespace {

// The upstream at the fork block, counting what is asked.
class FakeRemote final : public RemoteSource {
public:
    std::map<address, AccountInfo> accounts;
    std::map<std::pair<address, uint256>, uint256> slots;
    std::map<hash256, bytes> codes;
    bool gone = false;
    mutable int account_reads = 0, storage_reads = 0;

    std::optional<AccountInfo> account(const address& a) const override {
        if (gone) throw RemoteStateError("fork upstream unavailable: test");
        ++account_reads;
        auto it = accounts.find(a);
        return it != accounts.end() ? std::optional(it->second) : std::nullopt;
    }
    uint256 storage(const address& a, const uint256& key) const override {
        if (gone) throw RemoteStateError("fork upstream unavailable: test");
        ++storage_reads;
        auto it = slots.find({a, key});
        return it != slots.end() ? it->second : uint256{};
    }
    bytes code(const hash256& h) const override {
        auto it = codes.find(h);
        return it != codes.end() ? it->second : bytes{};
    }
    std::optional<hash256> block_hash(uint64_t) const override { return std::nullopt; }
    uint64_t fork_block() const override { return 100; }
};

class RemoteReadThrough : public ::testing::Test {
protected:
    void SetUp() override {
        const bytes contract_code{0x60, 0x00, 0x54};
        remote.codes[keccak256(contract_code)] = contract_code;
        remote.accounts[addr(1)] = {5, 1000, kEmptyKeccak, false};          // an EOA
        remote.accounts[addr(2)] = {1, 0, keccak256(contract_code), true};  // a contract
        remote.slots[{addr(2), 7}] = 70;
        remote.slots[{addr(2), 8}] = 80;
        flat.set_remote(&remote);
    }
    FakeRemote remote;
    std::unique_ptr<Database> db = open_ephemeral();
    FlatState flat{*db};
};

}  // namespace

TEST_F(RemoteReadThrough, AbsentKeysComeFromTheRemote) {
    auto txn = db->read();
    StateView view(flat, txn);
    auto eoa = view.read_account(addr(1));
    ASSERT_TRUE(eoa);
    EXPECT_EQ(eoa->nonce, 5u);
    EXPECT_EQ(eoa->balance, 1000);
    EXPECT_FALSE(view.read_account(addr(9)));
    State st(view);
    EXPECT_EQ(st.get_storage(addr(2), 7), 70);
    EXPECT_EQ(st.find(addr(2))->code, (bytes{0x60, 0x00, 0x54}));
    // An account whose storage root is empty upstream never asks for slots.
    const int storage_reads = remote.storage_reads;
    EXPECT_EQ(st.get_storage(addr(1), 7), 0);
    EXPECT_EQ(view.read_storage(addr(1), 7), 0);
    EXPECT_EQ(view.read_storage(addr(9), 7), 0);  // no account upstream (one created here)
    EXPECT_EQ(remote.storage_reads, storage_reads);
    EXPECT_EQ(view.read_storage(addr(2), 8), 80);
    EXPECT_EQ(remote.storage_reads, storage_reads + 1);
}

TEST_F(RemoteReadThrough, LocalWritesWinAndLocalDeletionsStayDeleted) {
    commit_block(*db, flat, 1, [](State& st) {
        st.add_balance(addr(1), 1);     // an upstream account changed here
        st.set_storage(addr(2), 7, 0);  // an upstream slot deleted here
        st.set_storage(addr(2), 9, 90);
    });
    auto txn = db->read();
    StateView view(flat, txn);
    auto eoa = view.read_account(addr(1));
    ASSERT_TRUE(eoa);
    EXPECT_EQ(eoa->balance, 1001);
    EXPECT_EQ(eoa->nonce, 5u);
    EXPECT_EQ(view.read_storage(addr(2), 7), 0);   // deleted locally: not the remote's 70
    EXPECT_EQ(view.read_storage(addr(2), 8), 80);  // never written: the remote's
    EXPECT_EQ(view.read_storage(addr(2), 9), 90);
    // A zero written straight over an upstream value is recorded as well.
    commit_block(*db, flat, 2, [](State& st) { st.set_storage(addr(2), 8, 0); });
    auto txn1 = db->read();
    EXPECT_EQ(StateView(flat, txn1).read_storage(addr(2), 8), 0);
    remote.accounts[addr(4)] = {1, 0, kEmptyKeccak, true};
    remote.slots[{addr(4), 10}] = 100;
    // The local record holds no slot of its own, yet the upstream's remain readable.
    commit_block(*db, flat, 3, [](State& st) { st.add_balance(addr(4), 3); });
    auto txn2 = db->read();
    StateView latest(flat, txn2);
    auto contract = latest.read_account(addr(4));
    ASSERT_TRUE(contract);
    EXPECT_EQ(contract->balance, 3);
    EXPECT_TRUE(contract->has_storage);
    State st(latest);
    EXPECT_EQ(st.get_storage(addr(4), 10), 100);
}

TEST_F(RemoteReadThrough, PastVersionsReadTheRemoteBeforeALocalWrite) {
    commit_block(*db, flat, 0, [](State&) {});
    commit_block(*db, flat, 3, [](State& st) { st.set_storage(addr(2), 8, 0); });
    auto txn = db->read();
    EXPECT_EQ(StateView(flat, txn, 2).read_storage(addr(2), 8), 80);
    EXPECT_EQ(StateView(flat, txn, 3).read_storage(addr(2), 8), 0);
    EXPECT_EQ(StateView(flat, txn).read_storage(addr(2), 8), 0);
}

TEST_F(RemoteReadThrough, AnAccountRemovedLocallyIsAbsent) {
    remote.accounts[addr(3)] = {0, 50, kEmptyKeccak, false};
    commit_block(*db, flat, 1, [](State& st) {
        st.sub_balance(addr(3), 50);  // empty now: EIP-158 removes it
        st.touch(addr(3));
    });
    auto txn = db->read();
    EXPECT_FALSE(StateView(flat, txn).read_account(addr(3)));
}

TEST_F(RemoteReadThrough, AnUnreachableRemoteThrowsAStorageError) {
    remote.gone = true;
    auto txn = db->read();
    StateView view(flat, txn);
    EXPECT_THROW(view.read_account(addr(1)), RemoteStateError);
    EXPECT_THROW(view.read_storage(addr(2), 7), DatabaseError);
}

TEST_F(RemoteReadThrough, WithoutARemoteAbsentIsAbsent) {
    flat.set_remote(nullptr);
    auto txn = db->read();
    StateView view(flat, txn);
    EXPECT_FALSE(view.read_account(addr(1)));
    EXPECT_EQ(view.read_storage(addr(2), 7), 0);
}
