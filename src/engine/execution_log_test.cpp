#include "engine/execution_log.hpp"

#include <gtest/gtest.h>

namespace krnl::engine {
namespace {

ExecutionRecord refused(std::string reason) {
    ExecutionRecord r;
    r.verdict = ExecutionRecord::Verdict::Refused;
    r.reason = std::move(reason);
    r.kernels.push_back({uint256(7), bytes(40, 0xab), false, "", 12});
    return r;
}

TEST(ExecutionLog, NewestFirstWithIncreasingIds) {
    ExecutionLog log(4);
    EXPECT_EQ(log.record(refused("a")), 1u);
    EXPECT_EQ(log.record(refused("b")), 2u);
    EXPECT_EQ(log.record(refused("c")), 3u);
    const auto two = log.recent(2);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].id, 3u);
    EXPECT_EQ(two[0].reason, "c");
    EXPECT_EQ(two[1].id, 2u);
    EXPECT_EQ(log.recent(100).size(), 3u);
    EXPECT_TRUE(log.recent(0).empty());
}

TEST(ExecutionLog, DropsTheOldestPastItsCapacity) {
    ExecutionLog log(3);
    for (int i = 0; i < 10; ++i)
        log.record(refused(std::to_string(i)));
    const auto all = log.recent(log.capacity());
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].id, 10u);
    EXPECT_EQ(all[2].id, 8u);
    EXPECT_EQ(all[2].reason, "7");
}

TEST(ExecutionLog, CutsLongResultsAndReasons) {
    ExecutionLog log(2);
    ExecutionRecord r = refused(std::string(5000, 'x'));
    r.kernels[0].result = bytes(ExecutionLog::kMaxResultBytes + 1, 0x01);
    r.kernels[0].err = std::string(5000, 'e');
    log.record(std::move(r));
    const auto kept = log.recent(1).at(0);
    EXPECT_EQ(kept.reason.size(), ExecutionLog::kMaxReasonBytes);
    EXPECT_EQ(kept.kernels[0].result.size(), ExecutionLog::kMaxResultBytes);
    EXPECT_TRUE(kept.kernels[0].result_truncated);
    EXPECT_EQ(kept.kernels[0].err.size(), ExecutionLog::kMaxReasonBytes);
}

TEST(ExecutionLog, JsonCarriesVerdictReasonAndKernelTimes) {
    ExecutionLog log;
    ExecutionRecord r = refused("score below 700");
    r.error_code = -33003;
    r.function = "trade(uint256,uint256)";
    log.record(r);
    ExecutionRecord ok;
    ok.verdict = ExecutionRecord::Verdict::Approved;
    ok.attested = true;
    ok.signers.push_back(address{});
    ok.kernels.push_back({uint256(1), bytes{0x01}, false, "", std::nullopt});
    log.record(ok);
    const auto entries = log.recent(2);
    const auto approved = execution_record_to_json(entries[0]);
    const auto refusal = execution_record_to_json(entries[1]);
    EXPECT_EQ(approved["verdict"], "approved");
    EXPECT_TRUE(approved["attested"].get<bool>());
    EXPECT_EQ(approved["signers"].size(), 1u);
    EXPECT_TRUE(approved["kernels"][0]["ms"].is_null());
    EXPECT_TRUE(approved.contains("digest"));
    EXPECT_EQ(refusal["verdict"], "refused");
    EXPECT_EQ(refusal["reason"], "score below 700");
    EXPECT_EQ(refusal["errorCode"], -33003);
    EXPECT_EQ(refusal["kernels"][0]["kernelId"], "0x7");
    EXPECT_EQ(refusal["kernels"][0]["ms"], 12);
    EXPECT_FALSE(refusal.contains("digest"));
}

}  // namespace
}  // namespace krnl::engine
