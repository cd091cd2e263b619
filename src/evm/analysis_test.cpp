#include "evm/analysis.hpp"

#include <gtest/gtest.h>

#include "common/keccak.hpp"

using namespace krnl;
using namespace krnl::evm;

namespace {

// `size` bytes of JUMPDEST-and-STOP code, distinct per `tag`.
bytes code_of(size_t size, uint8_t tag) {
    bytes code(size, 0x5b);
    code[0] = tag;
    return code;
}

std::shared_ptr<const CodeAnalysis> get(AnalysisCache& cache, const bytes& code) {
    return cache.get(keccak256(code), code);
}

}  // namespace

TEST(CodeAnalysis, CountsPaddedCodeAndJumpMap) {
    const CodeAnalysis a(code_of(64 * 1024, 0));
    // The padded copy and one bit per byte of code, at least.
    EXPECT_GE(a.heap_bytes(), 64 * 1024 + 33 + 64 * 1024 / 8);
    EXPECT_TRUE(a.is_jumpdest(1));
}

TEST(AnalysisCache, StaysWithinItsBytes) {
    constexpr size_t kBudget = 4 << 20;
    AnalysisCache cache(kBudget);
    // 40 distinct 1 MiB codes: a count bound of 4,096 would have kept all 40 MiB and more.
    for (uint8_t i = 0; i < 40; ++i) {
        const bytes code = code_of(1 << 20, i);
        const auto analysis = get(cache, code);
        EXPECT_EQ(analysis->code_size(), code.size());
        EXPECT_LE(cache.bytes(), kBudget);
    }
    EXPECT_GE(cache.size(), 1u);
    EXPECT_LE(cache.size(), 3u);  // each costs over 1 MiB
    // Small codes share the budget with what is left.
    for (uint8_t i = 0; i < 200; ++i)
        get(cache, code_of(100, i));
    EXPECT_LE(cache.bytes(), kBudget);
}

TEST(AnalysisCache, EvictsTheLeastRecentlyUsed) {
    const bytes a = code_of(100'000, 1), b = code_of(100'000, 2), c = code_of(100'000, 3),
                d = code_of(100'000, 4);
    AnalysisCache probe;
    const size_t each = (get(probe, a), probe.bytes());
    AnalysisCache cache(3 * each);  // room for three
    const auto first_a = get(cache, a);
    const auto first_b = get(cache, b);
    get(cache, c);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(get(cache, a), first_a);  // a is now the most recent
    get(cache, d);                      // evicts b, the least recent
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(get(cache, a), first_a);
    EXPECT_NE(get(cache, b), first_b);          // analysed again
    EXPECT_EQ(first_b->code_size(), b.size());  // an evicted analysis in use stays valid
}

TEST(AnalysisCache, LargerThanTheBudgetIsServedNotKept) {
    AnalysisCache cache(1 << 20);
    const bytes big = code_of(2 << 20, 7);
    const auto analysis = get(cache, big);
    EXPECT_EQ(analysis->code_size(), big.size());
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.bytes(), 0u);
}

TEST(AnalysisCache, ShrinkingEvictsAtOnce) {
    AnalysisCache cache;
    for (uint8_t i = 0; i < 10; ++i)
        get(cache, code_of(100'000, i));
    EXPECT_EQ(cache.size(), 10u);
    cache.set_max_bytes(250'000);
    EXPECT_LE(cache.bytes(), 250'000u);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.max_bytes(), 250'000u);
}
