#include "node/fork_disk_cache.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace krnl::node {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("krnl-fork-disk-cache-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    return dir;
}

// The disk the cache's files take (allocated blocks: the data file is sparse).
uint64_t allocated_bytes(const std::filesystem::path& dir) {
    uint64_t total = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        struct stat st {};
        if (::stat(entry.path().c_str(), &st) == 0)
            total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
    return total;
}

address addr(uint8_t n) {
    address a{};
    a[19] = n;
    return a;
}

TEST(ForkDiskCache, StopsGrowingAtItsBoundAndStillServesWhatItKept) {
    const auto dir = fresh_dir("bound");
    constexpr uint64_t kMax = uint64_t{1} << 20;
    auto opened = ForkDiskCache::open(dir, kMax);
    ASSERT_TRUE(opened) << opened.error();
    ForkDiskCache& cache = **opened;
    cache.set_point(hash256{});
    // A caller asking for slot after slot: 40,000 entries of about 90 bytes would take 3.6 MB.
    for (uint32_t i = 0; i < 40'000; ++i)
        cache.put_slot(addr(1), uint256{i}, uint256{i + 1});
    EXPECT_LE(allocated_bytes(dir), kMax);
    EXPECT_EQ(cache.slot(addr(1), uint256{0}), uint256{1});          // kept from before the bound
    EXPECT_FALSE(cache.slot(addr(1), uint256{39'999}).has_value());  // a miss, not an error
    EXPECT_TRUE(cache.usable());

    // The room kept back empties it for another fork point, which then fills again.
    hash256 other{};
    other[0] = 1;
    cache.set_point(other);
    EXPECT_TRUE(cache.usable());
    EXPECT_FALSE(cache.slot(addr(1), uint256{0}).has_value());
    cache.put_slot(addr(1), uint256{7}, uint256{8});
    EXPECT_EQ(cache.slot(addr(1), uint256{7}), uint256{8});
    std::filesystem::remove_all(dir);
}

TEST(ForkDiskCache, ARestartAtTheSamePointKeepsItsEntries) {
    const auto dir = fresh_dir("restart");
    hash256 point{};
    point[31] = 9;
    {
        auto opened = ForkDiskCache::open(dir);
        ASSERT_TRUE(opened) << opened.error();
        (*opened)->set_point(point);
        (*opened)->put_block_hash(3, point);
        (*opened)->put_code(point, bytes{0x60, 0x00});
    }
    auto opened = ForkDiskCache::open(dir);
    ASSERT_TRUE(opened) << opened.error();
    (*opened)->set_point(point);
    EXPECT_EQ((*opened)->block_hash(3), point);
    EXPECT_EQ((*opened)->code(point), (bytes{0x60, 0x00}));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace krnl::node
