#include "aa/mempool.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::aa;

namespace {

address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

// An op of `sender` with nonce key ‖ sequence; every op gets its own hash.
PooledUserOp make(uint8_t sender, uint64_t key, uint64_t sequence, uint64_t fee = 100,
                  uint64_t tip = 10) {
    static uint16_t serial = 0;
    PooledUserOp p;
    p.op.sender = addr(sender);
    p.op.nonce = uint256(sequence, key, 0, 0);
    p.op.max_fee_per_gas = fee;
    p.op.max_priority_fee_per_gas = tip;
    p.entry_point = kEntryPointV07;
    p.version = EntryPointVersion::V07;
    p.encoded_size = 100;
    p.max_gas = 1000;
    p.entities = entities_of(p.op, std::nullopt);
    ++serial;
    p.hash.bytes[0] = sender;
    p.hash.bytes[30] = static_cast<uint8_t>(serial >> 8);
    p.hash.bytes[31] = static_cast<uint8_t>(serial);
    return p;
}

PooledUserOp with_paymaster(PooledUserOp p, uint8_t paymaster, bool staked = false) {
    p.op.paymaster = addr(paymaster);
    p.entities.paymaster = Entity{addr(paymaster), staked};
    return p;
}

PooledUserOp with_factory(PooledUserOp p, uint8_t factory, bool staked = false) {
    p.op.factory = addr(factory);
    p.entities.factory = Entity{addr(factory), staked};
    return p;
}

PooledUserOp staked_sender(PooledUserOp p) {
    p.entities.sender.staked = true;
    return p;
}

void set_reputation(Reputation& r, uint8_t entity, uint64_t seen, uint64_t included) {
    const ReputationEntry e{addr(entity), seen, included};
    r.set({&e, 1});
}

template <typename T>
void expect_error(const std::expected<T, rpc::RpcError>& result, int code,
                  const std::string& text) {
    ASSERT_FALSE(result.has_value()) << "expected error " << code << " (" << text << ")";
    EXPECT_EQ(result.error().code, code) << result.error().message;
    EXPECT_NE(result.error().message.find(text), std::string::npos) << result.error().message;
}

std::vector<hash256> hashes(const std::vector<const PooledUserOp*>& ops) {
    std::vector<hash256> out;
    for (const auto* p : ops)
        out.push_back(p->hash);
    return out;
}

BundleRequest bundle(uint256 base_fee = 0, uint256 max_gas = 1'000'000) {
    return BundleRequest{kEntryPointV07, base_fee, 1000, max_gas};
}

}  // namespace

// --- storage and lookups ---

TEST(Mempool, AddFindRemoveDump) {
    Mempool pool;
    Reputation rep;
    const auto a = make(1, 0, 0);
    const auto b = make(2, 0, 0);
    ASSERT_TRUE(pool.add(a, rep));
    ASSERT_TRUE(pool.add(b, rep));
    EXPECT_EQ(pool.size(), 2u);
    EXPECT_EQ(pool.bytes(), 200u);
    ASSERT_NE(pool.find(a.hash), nullptr);
    EXPECT_EQ(pool.find(a.hash)->op, a.op);
    EXPECT_EQ(pool.find(kEntryPointV07, addr(2), 0), pool.find(b.hash));
    EXPECT_EQ(pool.find(kEntryPointV08, addr(2), 0), nullptr);
    EXPECT_EQ(hashes(pool.dump()), (std::vector<hash256>{a.hash, b.hash}));
    ASSERT_TRUE(pool.remove(a.hash));
    EXPECT_FALSE(pool.remove(a.hash));
    EXPECT_EQ(pool.find(a.hash), nullptr);
    EXPECT_EQ(pool.bytes(), 100u);
    pool.clear();
    EXPECT_EQ(pool.size(), 0u);
    EXPECT_EQ(pool.bytes(), 0u);
    EXPECT_EQ(pool.entity_count(addr(2)), 0u);
    EXPECT_TRUE(pool.add(b, rep));  // nothing left behind by clear
}

TEST(Mempool, TheSameOpTwiceIsAlreadyKnown) {
    Mempool pool;
    Reputation rep;
    const auto a = make(1, 0, 0);
    ASSERT_TRUE(pool.add(a, rep));
    expect_error(pool.add(a, rep), -32602, "already known");
}

// --- replacement ---

TEST(Mempool, ReplacementNeedsBothFeesUpByTenPercent) {
    Mempool pool;
    Reputation rep;
    const auto original = make(1, 0, 0, 1000, 100);
    ASSERT_TRUE(pool.add(original, rep));
    const std::string text = "replacement op must increase maxFeePerGas and MaxPriorityFeePerGas";
    expect_error(pool.add(make(1, 0, 0, 1099, 110), rep), -32602, text);  // fee 9.9%
    expect_error(pool.add(make(1, 0, 0, 1100, 109), rep), -32602, text);  // tip 9%
    expect_error(pool.add(make(1, 0, 0, 5000, 100), rep), -32602, text);  // tip unchanged
    expect_error(pool.add(make(1, 0, 0, 1000, 500), rep), -32602, text);  // fee unchanged
    expect_error(pool.add(make(1, 0, 0, 1100, 109), rep), -32602, "send at least 1100 and 110");
    EXPECT_EQ(pool.find(kEntryPointV07, addr(1), 0)->hash, original.hash);

    const auto replacement = make(1, 0, 0, 1100, 110);  // exactly 10%
    const auto replaced = pool.add(replacement, rep);
    ASSERT_TRUE(replaced);
    EXPECT_EQ(*replaced, std::optional<hash256>(original.hash));
    EXPECT_EQ(pool.size(), 1u);
    EXPECT_EQ(pool.find(original.hash), nullptr);
    EXPECT_EQ(pool.find(kEntryPointV07, addr(1), 0)->hash, replacement.hash);
}

TEST(Mempool, ReplacementBumpRoundsUp) {
    Mempool pool;
    Reputation rep;
    ASSERT_TRUE(pool.add(make(1, 0, 0, 105, 15), rep));
    // 10% of 105 is 10.5 and of 15 is 1.5: 116 and 17 are the least that qualify.
    expect_error(pool.add(make(1, 0, 0, 115, 17), rep), -32602, "replacement op");
    expect_error(pool.add(make(1, 0, 0, 116, 16), rep), -32602, "replacement op");
    EXPECT_TRUE(pool.add(make(1, 0, 0, 116, 17), rep));
}

TEST(Mempool, ReplacementKeepsItsPlaceInArrivalOrder) {
    Mempool pool;
    Reputation rep;
    const auto a = make(1, 0, 0);
    const auto b = make(2, 0, 0);
    ASSERT_TRUE(pool.add(a, rep));
    ASSERT_TRUE(pool.add(b, rep));
    const auto a2 = make(1, 0, 0, 200, 20);
    ASSERT_TRUE(pool.add(a2, rep));
    EXPECT_EQ(hashes(pool.dump()), (std::vector<hash256>{a2.hash, b.hash}));
}

TEST(Mempool, ReplacementMovesTheSeenCountToTheNewPaymaster) {
    Mempool pool;
    Reputation rep;
    ASSERT_TRUE(pool.add(with_paymaster(make(1, 0, 0, 100, 10), 50), rep));
    EXPECT_EQ(rep.find(addr(50))->ops_seen, 1u);
    ASSERT_TRUE(pool.add(with_paymaster(make(1, 0, 0, 110, 11), 50), rep));
    EXPECT_EQ(rep.find(addr(50))->ops_seen, 1u);  // replaced by an op with the same paymaster
    ASSERT_TRUE(pool.add(with_paymaster(make(1, 0, 0, 121, 13), 51), rep));
    EXPECT_EQ(rep.find(addr(50))->ops_seen, 0u);
    EXPECT_EQ(rep.find(addr(51))->ops_seen, 1u);
    ASSERT_TRUE(pool.add(make(1, 0, 0, 134, 15), rep));
    EXPECT_EQ(rep.find(addr(51))->ops_seen, 0u);
    EXPECT_EQ(pool.entity_count(addr(51)), 0u);
}

// --- nonces ---

TEST(Mempool, NonceKeysAreIndependentQueues) {
    Mempool pool;
    Reputation rep;
    const auto k0 = make(1, 0, 0, 100, 10);
    const auto k1 = make(1, 1, 0, 100, 10);  // same sequence, another key: no replacement
    ASSERT_TRUE(pool.add(k0, rep));
    const auto added = pool.add(k1, rep);
    ASSERT_TRUE(added);
    EXPECT_FALSE(added->has_value());
    EXPECT_EQ(pool.size(), 2u);
    EXPECT_EQ(pool.find(kEntryPointV07, addr(1), uint256(0, 1, 0, 0))->hash, k1.hash);
    EXPECT_EQ(pool.find(kEntryPointV07, addr(1), 0)->hash, k0.hash);
    // The same sender and nonce at the other EntryPoint is another op too.
    auto v08 = make(1, 0, 0);
    v08.entry_point = kEntryPointV08;
    v08.version = EntryPointVersion::V08;
    ASSERT_TRUE(pool.add(v08, rep));
    EXPECT_EQ(pool.size(), 3u);
}

// --- limits ---

TEST(Mempool, UnstakedSenderHasAtMostFourOps) {
    Mempool pool;
    Reputation rep;
    for (uint64_t key = 0; key < 4; ++key)
        ASSERT_TRUE(pool.add(make(1, key, 0), rep));
    const auto fifth = pool.add(make(1, 4, 0), rep);
    expect_error(fifth, -32505, "sender " + to_hex(addr(1)) + " is unstaked");
    EXPECT_EQ(fifth.error().data->at("sender"), to_hex(addr(1)));
    EXPECT_EQ(pool.size(), 4u);
    // Replacing one of the four adds nothing and is allowed.
    EXPECT_TRUE(pool.add(make(1, 3, 0, 200, 20), rep));
}

TEST(Mempool, StakedSenderIsNotLimited) {
    Mempool pool;
    Reputation rep;
    for (uint64_t key = 0; key < 12; ++key)
        ASSERT_TRUE(pool.add(staked_sender(make(1, key, 0)), rep));
    EXPECT_EQ(rep.find(addr(1))->ops_seen, 12u);
}

TEST(Mempool, UnstakedPaymasterAllowanceFollowsItsReputation) {
    Mempool pool;
    Reputation rep;
    for (uint8_t s = 1; s <= 10; ++s)
        ASSERT_TRUE(pool.add(with_paymaster(make(s, 0, 0), 50), rep));
    expect_error(pool.add(with_paymaster(make(11, 0, 0), 50), rep), -32505,
                 "paymaster " + to_hex(addr(50)) + " is unstaked");
    // opsSeen 10, opsIncluded 1: 10 + 0.1 allows an 11th, not a 12th.
    set_reputation(rep, 50, 10, 1);
    ASSERT_TRUE(pool.add(with_paymaster(make(11, 0, 0), 50), rep));
    expect_error(pool.add(with_paymaster(make(12, 0, 0), 50), rep), -32505, "UREP-020");
    // The same holds for an unstaked factory.
    Mempool other;
    for (uint8_t s = 1; s <= 10; ++s)
        ASSERT_TRUE(other.add(with_factory(make(s, 0, 0), 60), rep));
    expect_error(other.add(with_factory(make(11, 0, 0), 60), rep), -32505, "factory");
}

TEST(Mempool, StakedPaymasterIsNotLimited) {
    Mempool pool;
    Reputation rep;
    for (uint8_t s = 1; s <= 15; ++s)
        ASSERT_TRUE(pool.add(with_paymaster(make(s, 0, 0), 50, true), rep));
}

TEST(Mempool, StakeErrorSaysWhatStakeLiftsTheLimit) {
    Mempool::Limits limits;
    limits.min_stake = 1'000'000'000'000'000'000ULL;
    limits.min_unstake_delay = 86400;
    Mempool pool(limits);
    Reputation rep;
    for (uint64_t key = 0; key < 4; ++key)
        ASSERT_TRUE(pool.add(make(1, key, 0), rep));
    const auto refused = pool.add(make(1, 4, 0), rep);
    expect_error(refused, -32505,
                 "at least 1000000000000000000 wei and an unstake delay of at least 86400");
    EXPECT_EQ(refused.error().data->at("minimumStake"), "0xde0b6b3a7640000");
}

TEST(Mempool, BannedEntitiesAreRefused) {
    Reputation rep;
    set_reputation(rep, 1, 100000, 0);
    set_reputation(rep, 50, 100000, 0);
    set_reputation(rep, 60, 100000, 0);
    Mempool pool;
    const auto sender = pool.add(make(1, 0, 0), rep);
    expect_error(sender, -32504, "sender " + to_hex(addr(1)) + " is banned");
    expect_error(pool.add(with_paymaster(make(2, 0, 0), 50, true), rep), -32504,
                 "paymaster " + to_hex(addr(50)) + " is banned");
    expect_error(pool.add(with_factory(make(3, 0, 0), 60, true), rep), -32504,
                 "factory " + to_hex(addr(60)) + " is banned");
    EXPECT_EQ(pool.size(), 0u);
    // debug_bundler_addUserOps skips the reputation rules.
    EXPECT_TRUE(pool.add(make(1, 0, 0), rep, {.unchecked = true}));
    EXPECT_TRUE(pool.dump()[0]->unchecked);
}

TEST(Mempool, ThrottledEntityHasAtMostFourOps) {
    Reputation rep;
    set_reputation(rep, 50, 120, 1);  // max_seen 12 > 1 + 10
    ASSERT_EQ(rep.status(addr(50)), ReputationStatus::Throttled);
    Mempool pool;
    for (uint8_t s = 1; s <= 4; ++s)
        ASSERT_TRUE(pool.add(with_paymaster(make(s, 0, 0), 50, true), rep));
    expect_error(pool.add(with_paymaster(make(5, 0, 0), 50, true), rep), -32504,
                 "paymaster " + to_hex(addr(50)) + " is throttled");
}

TEST(Mempool, SenderMayNotBeAnotherOpsEntity) {
    Reputation rep;
    Mempool pool;
    // A sender first, then an op that uses it as a paymaster.
    ASSERT_TRUE(pool.add(make(1, 0, 0), rep));
    const auto as_paymaster = pool.add(with_paymaster(make(2, 0, 0), 1, true), rep);
    expect_error(as_paymaster, -32502,
                 "is used as a sender entity in another UserOperation currently in mempool");
    expect_error(pool.add(with_factory(make(2, 0, 0), 1, true), rep), -32502,
                 "The factory " + to_hex(addr(1)) + " in this UserOperation");
    auto aggregated = make(2, 0, 0);
    aggregated.entities.aggregator = Entity{addr(1), true};
    expect_error(pool.add(aggregated, rep), -32502, "The aggregator " + to_hex(addr(1)));
    // The other way round.
    pool.clear();
    ASSERT_TRUE(pool.add(with_paymaster(make(2, 0, 0), 1, true), rep));
    expect_error(pool.add(make(1, 0, 0), rep), -32502,
                 "is used as a different entity in another UserOperation currently in mempool");
    auto aggregated_first = make(4, 0, 0);
    aggregated_first.entities.aggregator = Entity{addr(5), true};
    ASSERT_TRUE(pool.add(aggregated_first, rep));
    expect_error(pool.add(make(5, 0, 0), rep), -32502, "The sender address " + to_hex(addr(5)));
    // An op may name its own sender as its paymaster.
    pool.clear();
    EXPECT_TRUE(pool.add(with_paymaster(make(3, 0, 0), 3, true), rep));
    EXPECT_TRUE(pool.add(with_paymaster(make(3, 0, 0, 200, 20), 3, true), rep));
}

TEST(Mempool, CountBound) {
    Mempool::Limits limits;
    limits.max_ops = 2;
    Mempool pool(limits);
    Reputation rep;
    ASSERT_TRUE(pool.add(make(1, 0, 0), rep));
    ASSERT_TRUE(pool.add(make(2, 0, 0), rep));
    expect_error(pool.add(make(3, 0, 0), rep), -32005, "mempool is full");
    EXPECT_TRUE(pool.add(make(2, 0, 0, 200, 20), rep));  // a replacement still fits
}

TEST(Mempool, BytesBound) {
    Mempool::Limits limits;
    limits.max_bytes = 250;
    Mempool pool(limits);
    Reputation rep;
    ASSERT_TRUE(pool.add(make(1, 0, 0), rep));
    ASSERT_TRUE(pool.add(make(2, 0, 0), rep));
    expect_error(pool.add(make(3, 0, 0), rep), -32005, "bundler.max_pool_bytes");
    // A replacement counts its own size in place of the old one's.
    auto bigger = make(2, 0, 0, 200, 20);
    bigger.encoded_size = 151;
    expect_error(pool.add(bigger, rep), -32005, "bytes");
    bigger.encoded_size = 150;
    EXPECT_TRUE(pool.add(bigger, rep));
    EXPECT_EQ(pool.bytes(), 250u);
}

TEST(Mempool, PaymasterDepositCoversItsPendingOps) {
    Mempool pool;
    Reputation rep;
    const Mempool::AddOptions deposit{.paymaster_deposit = uint256(2500)};
    // Each op may cost 1000 gas * 1 wei.
    ASSERT_TRUE(pool.add(with_paymaster(make(1, 0, 0, 1, 1), 50, true), rep, deposit));
    ASSERT_TRUE(pool.add(with_paymaster(make(2, 0, 0, 1, 1), 50, true), rep, deposit));
    EXPECT_EQ(pool.paymaster_pending_cost(kEntryPointV07, addr(50)), 2000);
    expect_error(pool.add(with_paymaster(make(3, 0, 0, 1, 1), 50, true), rep, deposit), -32508,
                 "3 pending UserOperations");
    // Ops at the other EntryPoint draw on another deposit.
    auto v08 = with_paymaster(make(3, 0, 0, 1, 1), 50, true);
    v08.entry_point = kEntryPointV08;
    EXPECT_TRUE(pool.add(v08, rep, deposit));
    // A replacement counts in place of the op it replaces: 1000 + 2000, not 1000 + 1000 + 2000.
    EXPECT_TRUE(pool.add(with_paymaster(make(2, 0, 0, 2, 2), 50, true), rep,
                         {.paymaster_deposit = uint256(3000)}));
}

// --- reputation bookkeeping ---

TEST(Mempool, SeenAndIncludedCounts) {
    Mempool pool;
    Reputation rep;
    const auto op = with_factory(with_paymaster(make(1, 0, 0), 50), 60);
    ASSERT_TRUE(pool.add(op, rep));
    EXPECT_FALSE(rep.find(addr(1)));  // an unstaked account is no entity
    EXPECT_EQ(rep.find(addr(50))->ops_seen, 1u);
    EXPECT_EQ(rep.find(addr(60))->ops_seen, 1u);
    ASSERT_TRUE(pool.remove_included(op.hash, rep));
    EXPECT_EQ(pool.size(), 0u);
    EXPECT_EQ(rep.find(addr(50))->ops_included, 1u);
    EXPECT_EQ(rep.find(addr(60))->ops_included, 1u);
}

TEST(Mempool, FailedSecondValidationChargesOnlyTheBlamed) {
    // EREP-015: the account fails, so its paymaster's opsSeen comes back to what it was.
    Mempool pool;
    Reputation rep;
    set_reputation(rep, 50, 5, 2);
    const auto op = with_paymaster(make(1, 0, 0), 50, true);
    ASSERT_TRUE(pool.add(op, rep));
    EXPECT_EQ(rep.find(addr(50))->ops_seen, 6u);
    const auto blamed = entity_to_blame("AA23 reverted", op.entities);
    ASSERT_TRUE(pool.drop_failed_validation(op.hash, blamed, rep));
    EXPECT_EQ(pool.size(), 0u);
    EXPECT_EQ(rep.find(addr(50)), (ReputationEntry{addr(50), 5, 2, ReputationStatus::Ok}));
    EXPECT_EQ(rep.find(addr(1))->ops_seen, 1u);
}

TEST(Mempool, FailedInBundleBansTheBlamedAndDropsItsOps) {
    Mempool pool;
    Reputation rep;
    const auto failed = with_paymaster(make(1, 0, 0), 50);
    const auto sibling = with_paymaster(staked_sender(make(2, 0, 0)), 50);
    const auto unrelated = make(3, 0, 0);
    ASSERT_TRUE(pool.add(failed, rep));
    ASSERT_TRUE(pool.add(sibling, rep));
    ASSERT_TRUE(pool.add(unrelated, rep));
    EXPECT_EQ(rep.find(addr(2))->ops_seen, 1u);
    const auto blamed = entity_to_blame("AA33 reverted", failed.entities);
    ASSERT_EQ(blamed, addr(50));
    const auto removed = pool.drop_failed_in_bundle(failed.hash, blamed, rep);
    EXPECT_EQ(removed, (std::vector<hash256>{failed.hash, sibling.hash}));
    EXPECT_EQ(hashes(pool.dump()), (std::vector<hash256>{unrelated.hash}));
    // GREP-040
    EXPECT_EQ(rep.find(addr(50)),
              (ReputationEntry{addr(50), kBanOpsSeenPenalty, 0, ReputationStatus::Banned}));
    EXPECT_EQ(rep.find(addr(2))->ops_seen, 0u);  // the sibling's staked sender is not charged
    expect_error(pool.add(with_paymaster(make(4, 0, 0), 50), rep), -32504, "banned");
    // With nobody to blame only the op goes.
    EXPECT_EQ(pool.drop_failed_in_bundle(unrelated.hash, std::nullopt, rep),
              (std::vector<hash256>{unrelated.hash}));
}

TEST(Mempool, RemoveByEntityAndBanned) {
    Mempool pool;
    Reputation rep;
    const auto a = with_paymaster(make(1, 0, 0), 50);
    const auto b = with_factory(make(2, 0, 0), 60);
    const auto c = make(3, 0, 0);
    ASSERT_TRUE(pool.add(a, rep));
    ASSERT_TRUE(pool.add(b, rep));
    ASSERT_TRUE(pool.add(c, rep));
    EXPECT_EQ(pool.remove_entity(addr(50)), (std::vector<hash256>{a.hash}));
    set_reputation(rep, 60, 100000, 0);
    EXPECT_EQ(pool.remove_banned(rep), (std::vector<hash256>{b.hash}));
    EXPECT_EQ(hashes(pool.dump()), (std::vector<hash256>{c.hash}));
}

TEST(Mempool, ExpiredOpsGo) {
    Mempool pool;
    Reputation rep;
    auto expiring = make(1, 0, 0);
    expiring.valid_until = 100;
    const auto forever = make(2, 0, 0);
    ASSERT_TRUE(pool.add(expiring, rep));
    ASSERT_TRUE(pool.add(forever, rep));
    EXPECT_TRUE(pool.remove_expired(100).empty());
    EXPECT_EQ(pool.remove_expired(101), (std::vector<hash256>{expiring.hash}));
    EXPECT_TRUE(pool.remove_expired(UINT64_MAX).empty());
}

TEST(Mempool, ThrottledOpsLiveTenBlocks) {
    Mempool pool;
    Reputation rep;
    auto throttled = with_paymaster(make(1, 0, 0), 50, true);
    throttled.block_number = 5;
    auto fine = make(2, 0, 0);
    fine.block_number = 5;
    ASSERT_TRUE(pool.add(throttled, rep));
    ASSERT_TRUE(pool.add(fine, rep));
    set_reputation(rep, 50, 120, 1);
    EXPECT_TRUE(pool.remove_stale_throttled(14, rep).empty());
    EXPECT_EQ(pool.remove_stale_throttled(15, rep), (std::vector<hash256>{throttled.hash}));
    EXPECT_TRUE(pool.remove_stale_throttled(1000, rep).empty());
}

// --- time range and re-validation ---

TEST(Mempool, TimeRangeFollowsEachEntryPoint) {
    PooledUserOp op = make(1, 0, 0);
    op.valid_after = 100;
    op.valid_until = 200;
    op.version = EntryPointVersion::V07;
    EXPECT_FALSE(in_time_range(op, 99));
    EXPECT_TRUE(in_time_range(op, 100));
    EXPECT_TRUE(in_time_range(op, 200));
    EXPECT_FALSE(in_time_range(op, 201));
    op.version = EntryPointVersion::V08;  // validAfter exclusive
    EXPECT_FALSE(in_time_range(op, 100));
    EXPECT_TRUE(in_time_range(op, 101));
    EXPECT_TRUE(in_time_range(op, 200));
    op.valid_until = 0;  // no expiry
    EXPECT_TRUE(in_time_range(op, UINT64_MAX));
}

TEST(Mempool, TouchedFindsOpsWhoseReadsChanged) {
    Mempool pool;
    Reputation rep;
    auto a = make(1, 0, 0);
    a.reads.accounts = {addr(90)};
    auto b = make(2, 0, 0);
    bytes32 one;
    one.bytes[31] = 1;
    bytes32 two;
    two.bytes[31] = 2;
    b.reads.slots = {{addr(91), one}};
    ASSERT_TRUE(pool.add(a, rep));
    ASSERT_TRUE(pool.add(b, rep));
    EXPECT_EQ(pool.touched({.accounts = {addr(90)}}), (std::vector<hash256>{a.hash}));
    EXPECT_EQ(pool.touched({.slots = {{addr(91), one}}}), (std::vector<hash256>{b.hash}));
    EXPECT_TRUE(pool.touched({.slots = {{addr(91), two}}}).empty());
    EXPECT_TRUE(pool.touched({.accounts = {addr(91)}}).empty());
    ASSERT_TRUE(pool.update_reads(b.hash, {.accounts = {addr(91)}}));
    EXPECT_EQ(pool.touched({.accounts = {addr(91)}}), (std::vector<hash256>{b.hash}));
    EXPECT_FALSE(pool.update_reads(hash256{}, {}));
}

// --- bundle selection ---

TEST(MempoolBundle, HighestEffectiveTipFirst) {
    Mempool pool;
    Reputation rep;
    const auto capped = make(1, 0, 0, 60, 50);  // tip over base 20: min(50, 40) = 40
    const auto rich = make(2, 0, 0, 100, 45);   // 45
    const auto poor = make(3, 0, 0, 15, 15);    // fee cap below the base fee
    const auto cheap = make(4, 0, 0, 100, 1);   // 1
    for (const auto& op : {capped, rich, poor, cheap})
        ASSERT_TRUE(pool.add(op, rep));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(20), rep)),
              (std::vector<hash256>{rich.hash, capped.hash, cheap.hash}));
    // With no base fee the tips are 50, 45, 15, 1.
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(0), rep)),
              (std::vector<hash256>{capped.hash, rich.hash, poor.hash, cheap.hash}));
}

TEST(MempoolBundle, EqualTipsGoInArrivalOrder) {
    Mempool pool;
    Reputation rep;
    const auto first = make(9, 0, 0);
    const auto second = make(1, 0, 0);
    ASSERT_TRUE(pool.add(first, rep));
    ASSERT_TRUE(pool.add(second, rep));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(), rep)),
              (std::vector<hash256>{first.hash, second.hash}));
}

TEST(MempoolBundle, OneOpPerSenderUnlessAskedForMore) {
    Mempool pool;
    Reputation rep;
    const auto key0 = make(1, 0, 0, 100, 10);
    const auto key1 = make(1, 1, 0, 100, 20);
    ASSERT_TRUE(pool.add(key0, rep));
    ASSERT_TRUE(pool.add(key1, rep));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(), rep)), (std::vector<hash256>{key1.hash}));
    auto request = bundle();
    request.max_ops_per_sender = 2;
    EXPECT_EQ(hashes(pool.select_for_bundle(request, rep)),
              (std::vector<hash256>{key1.hash, key0.hash}));
}

TEST(MempoolBundle, NonceOrderWithinAKeyAndNoGaps) {
    Mempool pool;
    Reputation rep;
    const auto seq0 = make(1, 0, 0, 100, 1);
    const auto seq1 = make(1, 0, 1, 100, 90);  // pays more, but must follow seq0
    const auto seq3 = make(1, 0, 3, 100, 99);  // behind a gap
    const auto other = make(2, 0, 0, 100, 50);
    for (const auto& op : {seq1, seq3, seq0, other})
        ASSERT_TRUE(pool.add(op, rep));
    auto request = bundle();
    request.max_ops_per_sender = 10;
    EXPECT_EQ(hashes(pool.select_for_bundle(request, rep)),
              (std::vector<hash256>{other.hash, seq0.hash, seq1.hash}));
}

TEST(MempoolBundle, AWaitingOpHoldsBackItsKey) {
    Mempool pool;
    Reputation rep;
    auto early = make(1, 0, 0);
    early.valid_after = 5000;  // the bundle's block is at 1000
    const auto next = make(1, 0, 1);
    ASSERT_TRUE(pool.add(early, rep));
    ASSERT_TRUE(pool.add(next, rep));
    auto request = bundle();
    request.max_ops_per_sender = 2;
    EXPECT_TRUE(pool.select_for_bundle(request, rep).empty());
    request.timestamp = 5000;
    EXPECT_EQ(pool.select_for_bundle(request, rep).size(), 2u);
}

TEST(MempoolBundle, GasBudgetPassesOverWhatDoesNotFit) {
    Mempool pool;
    Reputation rep;
    auto big = make(1, 0, 0, 100, 30);
    big.max_gas = 60;
    auto medium = make(2, 0, 0, 100, 20);
    medium.max_gas = 50;
    auto small = make(3, 0, 0, 100, 10);
    small.max_gas = 40;
    for (const auto& op : {big, medium, small})
        ASSERT_TRUE(pool.add(op, rep));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(0, 100), rep)),
              (std::vector<hash256>{big.hash, small.hash}));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(0, 99), rep)), (std::vector<hash256>{big.hash}));
    EXPECT_EQ(pool.select_for_bundle(bundle(0, 150), rep).size(), 3u);
    auto request = bundle();
    request.max_ops = 2;
    EXPECT_EQ(hashes(pool.select_for_bundle(request, rep)),
              (std::vector<hash256>{big.hash, medium.hash}));
}

TEST(MempoolBundle, ThrottledEntityLimitedPerBundleAndBannedLeftOut) {
    Mempool pool;
    Reputation rep;
    for (uint8_t s = 1; s <= 6; ++s)
        ASSERT_TRUE(pool.add(with_paymaster(make(s, 0, 0), 50, true), rep));
    const auto free = make(20, 0, 0);
    ASSERT_TRUE(pool.add(free, rep));
    EXPECT_EQ(pool.select_for_bundle(bundle(), rep).size(), 7u);
    set_reputation(rep, 50, 120, 1);  // throttled
    EXPECT_EQ(pool.select_for_bundle(bundle(), rep).size(), 4u + 1u);
    set_reputation(rep, 50, 100000, 0);  // banned
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(), rep)), (std::vector<hash256>{free.hash}));
}

TEST(MempoolBundle, OpReadingAnotherSendersStorageWaits) {
    // STO-041
    Mempool pool;
    Reputation rep;
    const auto token_wallet = make(1, 0, 0, 100, 10);
    auto reader = make(2, 0, 0, 100, 50);
    reader.reads.slots = {{addr(1), bytes32{}}, {addr(2), bytes32{}}};
    ASSERT_TRUE(pool.add(token_wallet, rep));
    ASSERT_TRUE(pool.add(reader, rep));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(), rep)),
              (std::vector<hash256>{token_wallet.hash}));
    ASSERT_TRUE(pool.remove(token_wallet.hash));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(), rep)), (std::vector<hash256>{reader.hash}));
}

TEST(MempoolBundle, OnlyTheRequestedEntryPoint) {
    Mempool pool;
    Reputation rep;
    auto v08 = make(1, 0, 0);
    v08.entry_point = kEntryPointV08;
    v08.version = EntryPointVersion::V08;
    const auto v07 = make(2, 0, 0);
    ASSERT_TRUE(pool.add(v08, rep));
    ASSERT_TRUE(pool.add(v07, rep));
    EXPECT_EQ(hashes(pool.select_for_bundle(bundle(), rep)), (std::vector<hash256>{v07.hash}));
    auto request = bundle();
    request.entry_point = kEntryPointV08;
    EXPECT_EQ(hashes(pool.select_for_bundle(request, rep)), (std::vector<hash256>{v08.hash}));
}
