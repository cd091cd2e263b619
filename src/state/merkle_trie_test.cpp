#include "state/merkle_trie.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "common/keccak.hpp"
#include "common/rlp.hpp"
#include "state/trie.hpp"

using namespace krnl;
using namespace krnl::state;

namespace {

hash256 key_of(uint64_t i) {
    uint8_t b[8];
    for (int k = 0; k < 8; ++k)
        b[k] = static_cast<uint8_t>(i >> (8 * k));
    return keccak256({b, 8});
}

bytes value_of(uint64_t v) {
    bytes out;
    rlp::encode_uint(out, v + 1);
    return out;
}

hash256 reference_root(const std::map<hash256, bytes>& entries) {
    std::vector<std::pair<bytes, bytes>> list;
    for (const auto& [k, v] : entries)
        list.emplace_back(bytes(k.view()), v);
    return trie_root(std::move(list));
}

}  // namespace

TEST(MerkleTrie, EmptyAndSingle) {
    MerkleTrie t;
    EXPECT_EQ(t.root(), kEmptyTrieRoot);
    t.put(key_of(1), value_of(1));
    EXPECT_EQ(t.root(), reference_root({{key_of(1), value_of(1)}}));
    t.erase(key_of(1));
    EXPECT_EQ(t.root(), kEmptyTrieRoot);
    EXPECT_EQ(t.size(), 0u);
}

// Random puts, overwrites and erases, with the root checked against the from-scratch builder
// after every batch: incremental rehashing must give exactly the same roots.
TEST(MerkleTrie, MatchesTheFullRebuildUnderRandomEdits) {
    std::mt19937_64 rng(7);
    MerkleTrie trie;
    std::map<hash256, bytes> model;
    for (int batch = 0; batch < 60; ++batch) {
        const int edits = 1 + static_cast<int>(rng() % 200);
        for (int e = 0; e < edits; ++e) {
            const uint64_t id = rng() % 3000;
            if (rng() % 4 == 0) {
                trie.erase(key_of(id));
                model.erase(key_of(id));
            } else {
                const bytes v = value_of(rng() % 1'000'000);
                trie.put(key_of(id), v);
                model[key_of(id)] = v;
            }
        }
        ASSERT_EQ(trie.size(), model.size());
        ASSERT_EQ(trie.root(), reference_root(model)) << "batch " << batch;
    }
    // Down to nothing again.
    for (const auto& [k, v] : std::map<hash256, bytes>(model))
        trie.erase(k);
    EXPECT_EQ(trie.root(), kEmptyTrieRoot);
}

TEST(MerkleTrie, EmptyValueRemovesAndUnknownEraseIsHarmless) {
    MerkleTrie t;
    t.put(key_of(1), value_of(1));
    t.put(key_of(2), value_of(2));
    const hash256 both = t.root();
    t.erase(key_of(99));
    EXPECT_EQ(t.root(), both);
    t.put(key_of(2), bytes{});
    EXPECT_EQ(t.root(), reference_root({{key_of(1), value_of(1)}}));
}
