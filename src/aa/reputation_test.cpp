#include "aa/reputation.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::aa;

namespace {

address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

Reputation with(const address& a, uint64_t seen, uint64_t included,
                ReputationParams params = kBundlerReputationParams) {
    Reputation r(params);
    const ReputationEntry entry{a, seen, included};
    r.set({&entry, 1});
    return r;
}

OpEntities entities(bool sender_staked, std::optional<bool> factory_staked,
                    std::optional<bool> paymaster_staked) {
    OpEntities e;
    e.sender = {addr(1), sender_staked};
    if (factory_staked) e.factory = Entity{addr(2), *factory_staked};
    if (paymaster_staked) e.paymaster = Entity{addr(3), *paymaster_staked};
    return e;
}

}  // namespace

TEST(Reputation, SpecConstants) {
    // ERC-7562's table; a changed value changes what the node enforces.
    EXPECT_EQ(kBundlerReputationParams.min_inclusion_rate_denominator, 10u);
    EXPECT_EQ(kClientReputationParams.min_inclusion_rate_denominator, 100u);
    EXPECT_EQ(kBundlerReputationParams.throttling_slack, 10u);
    EXPECT_EQ(kBundlerReputationParams.ban_slack, 50u);
    EXPECT_EQ(kSameSenderMempoolCount, 4u);
    EXPECT_EQ(kSameUnstakedEntityMempoolCount, 10u);
    EXPECT_EQ(kThrottledEntityMempoolCount, 4u);
    EXPECT_EQ(kThrottledEntityBundleCount, 4u);
    EXPECT_EQ(kThrottledEntityLiveBlocks, 10u);
    EXPECT_EQ(kBanOpsSeenPenalty, 10000u);
    EXPECT_EQ(kMaxOpsAllowedUnstakedEntity, 10000u);
    EXPECT_EQ(kMinUnstakeDelay, 86400u);
}

TEST(Reputation, UnknownEntityIsOk) {
    Reputation r;
    EXPECT_EQ(r.status(addr(1)), ReputationStatus::Ok);
    EXPECT_FALSE(r.find(addr(1)));
}

TEST(Reputation, ThrottledJustPastThrottlingSlack) {
    // max_seen = opsSeen / 10; THROTTLED when max_seen > opsIncluded + 10.
    EXPECT_EQ(with(addr(1), 109, 0).status(addr(1)), ReputationStatus::Ok);
    EXPECT_EQ(with(addr(1), 110, 0).status(addr(1)), ReputationStatus::Throttled);
    EXPECT_EQ(with(addr(1), 139, 3).status(addr(1)), ReputationStatus::Ok);
    EXPECT_EQ(with(addr(1), 140, 3).status(addr(1)), ReputationStatus::Throttled);
}

TEST(Reputation, BannedJustPastBanSlack) {
    EXPECT_EQ(with(addr(1), 509, 0).status(addr(1)), ReputationStatus::Throttled);
    EXPECT_EQ(with(addr(1), 510, 0).status(addr(1)), ReputationStatus::Banned);
    EXPECT_EQ(with(addr(1), 529, 2).status(addr(1)), ReputationStatus::Throttled);
    EXPECT_EQ(with(addr(1), 530, 2).status(addr(1)), ReputationStatus::Banned);
}

TEST(Reputation, ClientParamsExpectFewerInclusions) {
    EXPECT_EQ(with(addr(1), 1099, 0, kClientReputationParams).status(addr(1)),
              ReputationStatus::Ok);
    EXPECT_EQ(with(addr(1), 1100, 0, kClientReputationParams).status(addr(1)),
              ReputationStatus::Throttled);
    EXPECT_EQ(with(addr(1), 5100, 0, kClientReputationParams).status(addr(1)),
              ReputationStatus::Banned);
    // The same counters ban for a bundler.
    EXPECT_EQ(with(addr(1), 1099, 0).status(addr(1)), ReputationStatus::Banned);
}

TEST(Reputation, SeenAndIncludedCount) {
    Reputation r;
    for (int i = 0; i < 110; ++i)
        r.add_seen(addr(1));
    EXPECT_EQ(r.status(addr(1)), ReputationStatus::Throttled);
    r.add_included(addr(1));
    EXPECT_EQ(r.status(addr(1)), ReputationStatus::Ok);
    EXPECT_EQ(r.find(addr(1)), (ReputationEntry{addr(1), 110, 1, ReputationStatus::Ok}));
}

TEST(Reputation, UndoingSeenStopsAtZeroAndKeepsTheEntry) {
    Reputation r;
    r.add_seen(addr(1));
    r.add_seen(addr(1), -1);
    r.add_seen(addr(1), -1);
    // Kept with zero counts: dumpReputation still lists an entity whose count was undone.
    ASSERT_TRUE(r.find(addr(1)));
    EXPECT_EQ(r.find(addr(1))->ops_seen, 0u);
    r.add_seen(addr(2), INT64_MIN);
    EXPECT_EQ(r.find(addr(2))->ops_seen, 0u);
}

TEST(Reputation, HourlyDecayOnTheCallersClock) {
    Reputation r;
    const ReputationEntry rows[] = {{addr(1), 48, 24}, {addr(2), 1, 0}};
    r.set(rows);
    r.advance_clock(1000);  // sets the clock only
    EXPECT_EQ(r.find(addr(1))->ops_seen, 48u);
    r.advance_clock(1000 + 3599);
    EXPECT_EQ(r.find(addr(1))->ops_seen, 48u);
    r.advance_clock(1000 + 5400);
    // value * 23 // 24
    EXPECT_EQ(r.find(addr(1))->ops_seen, 46u);
    EXPECT_EQ(r.find(addr(1))->ops_included, 23u);
    EXPECT_FALSE(r.find(addr(2)));  // 1 * 23 // 24 = 0: forgotten
    // The half hour past the step counts towards the next one.
    r.advance_clock(1000 + 7199);
    EXPECT_EQ(r.find(addr(1))->ops_seen, 46u);
    r.advance_clock(1000 + 7200);
    EXPECT_EQ(r.find(addr(1))->ops_seen, 44u);
    // Several hours at once decay once per hour.
    r.advance_clock(1000 + 7200 + 2 * 3600);
    EXPECT_EQ(r.find(addr(1))->ops_seen, 40u);  // 44 -> 42 -> 40
    // A clock that goes back does nothing.
    r.advance_clock(5);
    EXPECT_EQ(r.find(addr(1))->ops_seen, 40u);
}

TEST(Reputation, DecayLiftsABan) {
    Reputation r = with(addr(1), kBanOpsSeenPenalty, 0);
    r.advance_clock(0);
    r.advance_clock(3600);
    EXPECT_EQ(r.status(addr(1)), ReputationStatus::Banned);
    r.advance_clock(3600 * 24 * 5);
    EXPECT_EQ(r.status(addr(1)), ReputationStatus::Ok);
}

TEST(Reputation, LongSilenceForgetsEverything) {
    Reputation r = with(addr(1), UINT64_MAX, UINT64_MAX);
    r.advance_clock(0);
    r.advance_clock(uint64_t{3600} * 5000);
    EXPECT_EQ(r.size(), 0u);
}

TEST(Reputation, CrashedHandleOpsBans) {
    Reputation r = with(addr(1), 5, 100);
    EXPECT_EQ(r.status(addr(1)), ReputationStatus::Ok);
    r.crashed_handle_ops(addr(1));
    EXPECT_EQ(r.find(addr(1)),
              (ReputationEntry{addr(1), kBanOpsSeenPenalty, 0, ReputationStatus::Banned}));
    Reputation client(kClientReputationParams);
    client.crashed_handle_ops(addr(1));
    EXPECT_EQ(client.status(addr(1)), ReputationStatus::Banned);
}

TEST(Reputation, SetDumpClear) {
    Reputation r;
    const ReputationEntry rows[] = {{addr(2), 600, 0}, {addr(1), 3, 1}};
    r.set(rows);
    const auto dump = r.dump();
    ASSERT_EQ(dump.size(), 2u);
    EXPECT_EQ(dump[0], (ReputationEntry{addr(1), 3, 1, ReputationStatus::Ok}));
    EXPECT_EQ(dump[1], (ReputationEntry{addr(2), 600, 0, ReputationStatus::Banned}));
    // set replaces an entity's counters; the status given is ignored.
    const ReputationEntry again{addr(2), 7, 7, ReputationStatus::Banned};
    r.set({&again, 1});
    EXPECT_EQ(r.status(addr(2)), ReputationStatus::Ok);
    EXPECT_EQ(r.find(addr(2))->ops_seen, 7u);
    r.clear();
    EXPECT_TRUE(r.dump().empty());
}

TEST(Reputation, UnstakedEntityAllowance) {
    Reputation r;
    EXPECT_EQ(r.unstaked_entity_allowance(addr(1)), 10u);
    // 10 + (1/10) * min(1, 10000) = 10.1: an 11th op fits (bundler-spec-tests' UREP-020 case).
    EXPECT_EQ(with(addr(1), 10, 1).unstaked_entity_allowance(addr(1)), 11u);
    EXPECT_EQ(with(addr(1), 100, 100).unstaked_entity_allowance(addr(1)), 110u);
    EXPECT_EQ(with(addr(1), 100, 50).unstaked_entity_allowance(addr(1)), 35u);
    // min(opsIncluded, MAX_OPS_ALLOWED_UNSTAKED_ENTITY)
    EXPECT_EQ(with(addr(1), 50000, 50000).unstaked_entity_allowance(addr(1)), 10010u);
    // The inclusion rate is capped at 1 (counters set by hand can say otherwise).
    EXPECT_EQ(with(addr(1), 3, 9).unstaked_entity_allowance(addr(1)), 19u);
    EXPECT_EQ(r.unstaked_entity_allowance(addr(1), 7), 7u);
}

TEST(Reputation, BlameFollowsTheAccountableEntity) {
    // EREP-015: a factory failure (AA1x) is the factory's.
    EXPECT_EQ(entity_to_blame("AA13 initCode failed or OOG", entities(false, false, true)),
              addr(2));
    EXPECT_EQ(entity_to_blame("AA13 initCode failed", entities(false, std::nullopt, true)),
              std::nullopt);
    // EREP-020: an account failure is a staked factory's, else the account's.
    EXPECT_EQ(entity_to_blame("AA23 reverted", entities(false, true, true)), addr(2));
    EXPECT_EQ(entity_to_blame("AA23 reverted", entities(false, false, true)), addr(1));
    EXPECT_EQ(entity_to_blame("AA24 signature error", entities(false, std::nullopt, true)),
              addr(1));
    // EREP-030: a paymaster failure is a staked account's, else the paymaster's.
    EXPECT_EQ(entity_to_blame("AA31 paymaster deposit too low", entities(true, std::nullopt, true)),
              addr(1));
    EXPECT_EQ(entity_to_blame("AA33 reverted", entities(false, std::nullopt, true)), addr(3));
    EXPECT_EQ(entity_to_blame(EntityRole::Aggregator, entities(false, std::nullopt, true)),
              std::nullopt);
    // Nobody answers for gas limits or anything that is not an AA code.
    EXPECT_EQ(entity_to_blame("AA40 over verificationGasLimit", entities(true, true, true)),
              std::nullopt);
    EXPECT_EQ(entity_to_blame("reverted", entities(true, true, true)), std::nullopt);
    EXPECT_EQ(entity_to_blame("", entities(true, true, true)), std::nullopt);
}

TEST(Reputation, AddressesAnOpCountsTowards) {
    // An unstaked account is not an entity for reputation; each address once.
    EXPECT_EQ(reputation_addresses(entities(false, false, true)),
              (std::vector<address>{addr(2), addr(3)}));
    EXPECT_EQ(reputation_addresses(entities(true, std::nullopt, std::nullopt)),
              (std::vector<address>{addr(1)}));
    OpEntities self_paying = entities(true, std::nullopt, std::nullopt);
    self_paying.paymaster = Entity{addr(1), true};
    EXPECT_EQ(reputation_addresses(self_paying), (std::vector<address>{addr(1)}));
}

TEST(Reputation, EntitiesOfAnOp) {
    UserOperation op;
    op.sender = addr(1);
    op.factory = addr(2);
    op.paymaster = addr(3);
    const OpEntities e = entities_of(op, addr(4));
    EXPECT_EQ(e.sender.addr, addr(1));
    EXPECT_EQ(e.factory->addr, addr(2));
    EXPECT_EQ(e.paymaster->addr, addr(3));
    EXPECT_EQ(e.aggregator->addr, addr(4));
    EXPECT_EQ(e.all().size(), 4u);
    // The EIP-7702 marker names no factory contract.
    op.factory = kEip7702FactoryMarker;
    EXPECT_FALSE(entities_of(op, std::nullopt).factory);
}
