#include "state/trie_proof.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "common/keccak.hpp"
#include "common/rlp.hpp"
#include "state/trie.hpp"

using namespace krnl;
using namespace krnl::state;

namespace {

using Entries = std::vector<std::pair<bytes, bytes>>;

bytes text(std::string_view s) {
    return bytes(as_bytes(s));
}

// Every key proves its value, and the proof has the shape eth_getProof gives: root first, every
// listed node hashed by its parent's reference (so at least 32 bytes, except a small root).
void expect_proves(const Entries& entries, const std::map<bytes, bytes>& expected,
                   const std::vector<bytes>& absent_keys) {
    const hash256 root = trie_root(entries);
    for (const auto& [key, value] : expected) {
        const auto proof = trie_proof(entries, key);
        ASSERT_FALSE(proof.empty());
        EXPECT_EQ(keccak256(proof[0]), root);
        for (size_t i = 1; i < proof.size(); ++i)
            EXPECT_GE(proof[i].size(), 32u);
        const auto proven = verify_proof(root, key, proof);
        ASSERT_TRUE(proven.has_value()) << to_hex(key);
        EXPECT_EQ(*proven, value) << to_hex(key);
    }
    for (const bytes& key : absent_keys) {
        const auto proof = trie_proof(entries, key);
        const auto proven = verify_proof(root, key, proof);
        ASSERT_TRUE(proven.has_value()) << to_hex(key);
        EXPECT_TRUE(proven->empty()) << to_hex(key);
    }
}

}  // namespace

// Small tries of ethereum/tests TrieTests (trieanyorder.json), with keys that are prefixes of
// others (values in branches) and nodes small enough to be embedded in their parents.
TEST(TrieProof, HandmadeTries) {
    struct Case {
        std::vector<std::pair<std::string, std::string>> in;
        std::string root;
        std::vector<std::string> absent;
    };
    const std::vector<Case> cases = {
        {{{"do", "verb"}, {"horse", "stallion"}, {"doge", "coin"}, {"dog", "puppy"}},
         "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84",
         {"d", "dogs", "doggy", "cat", "horses", "hors", ""}},
        {{{"doe", "reindeer"}, {"dog", "puppy"}, {"dogglesworth", "cat"}},
         "0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3",
         {"do", "dogg", "doggleswort", "dogglesworthy", "e"}},
        {{{"foo", "bar"}, {"food", "bass"}},
         "0x17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3",
         {"fo", "fooe", "good"}},
        {{{"be", "e"}, {"dog", "puppy"}, {"bed", "d"}},
         "0x3f67c7a47520f79faa29255d2d3c084a7a6df0453116ed7232ff10277a8be68b",
         {"b", "bee", "beds", "do"}},
        {{{"test", "test"}, {"te", "testy"}},
         "0x8452568af70d8d140f58d941338542f645fcca50094b20f3c3d8c3df49337928",
         {"t", "tes", "tests"}},
        {{{"A", std::string(50, 'a')}},
         "0xd23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab",
         {"B", "AA", ""}},
    };
    for (const Case& c : cases) {
        Entries entries;
        std::map<bytes, bytes> expected;
        for (const auto& [k, v] : c.in) {
            entries.emplace_back(text(k), text(v));
            expected[text(k)] = text(v);
        }
        ASSERT_EQ(to_hex(trie_root(entries)), c.root);
        std::vector<bytes> absent;
        for (const auto& k : c.absent)
            absent.push_back(text(k));
        expect_proves(entries, expected, absent);
    }
}

TEST(TrieProof, PuppyProofHasEmbeddedNodes) {
    // do/dog/doge/horse: an extension over the shared nibble 6, then a branch; the "horse" leaf
    // is small enough to be embedded in that branch, so its proof ends there.
    const Entries entries = {{text("do"), text("verb")},
                             {text("dog"), text("puppy")},
                             {text("doge"), text("coin")},
                             {text("horse"), text("stallion")}};
    const auto horse = trie_proof(entries, text("horse"));
    ASSERT_EQ(horse.size(), 2u);
    EXPECT_NE(horse[1].find(text("stallion")), bytes::npos);
    const auto dog = trie_proof(entries, text("dog"));
    EXPECT_GT(dog.size(), horse.size());
}

TEST(TrieProof, EmptyTrie) {
    EXPECT_TRUE(trie_proof({}, text("x")).empty());
    const auto v = verify_proof(kEmptyTrieRoot, text("x"), {});
    ASSERT_TRUE(v.has_value());
    EXPECT_TRUE(v->empty());
    // An empty proof proves nothing about a non-empty trie.
    EXPECT_FALSE(verify_proof(keccak256(text("x")), text("x"), {}).has_value());
}

TEST(TrieProof, SameRulesAsTrieRoot) {
    // Empty values are absent and the later of repeated keys wins, as trie_root has it.
    const Entries entries = {{text("a"), text("1")},
                             {text("b"), text("2")},
                             {text("a"), text("3")},
                             {text("c"), bytes{}}};
    const hash256 root = trie_root(entries);
    EXPECT_EQ(verify_proof(root, text("a"), trie_proof(entries, text("a"))), text("3"));
    EXPECT_EQ(verify_proof(root, text("c"), trie_proof(entries, text("c"))), bytes{});
}

TEST(TrieProof, RandomSecureTries) {
    std::mt19937_64 rng(1186);
    for (const size_t size : {1u, 2u, 3u, 17u, 300u, 4000u}) {
        Entries entries;
        std::map<bytes, bytes> expected;
        for (size_t i = 0; i < size; ++i) {
            const uint64_t seed = rng();
            bytes key(keccak256(bytes_view(reinterpret_cast<const uint8_t*>(&seed), 8)).view());
            // Storage-like values: RLP of a number of 1 to 32 bytes.
            bytes number(1 + rng() % 32, 0);
            for (auto& b : number)
                b = static_cast<uint8_t>(rng());
            number[0] |= 1;
            bytes value;
            rlp::encode_string(value, number);
            entries.emplace_back(key, value);
            expected[key] = value;
        }
        std::vector<bytes> absent;
        for (size_t i = 0; i < (size > 300 ? 60u : 200u); ++i) {
            const uint64_t seed = rng();
            absent.emplace_back(
                keccak256(bytes_view(reinterpret_cast<const uint8_t*>(&seed), 8)).view());
        }
        // Keys sharing a long prefix with a present one, differing at the end.
        for (auto it = expected.begin();
             it != expected.end() && absent.size() < (size > 300 ? 100u : 260u); ++it) {
            bytes near = it->first;
            near.back() ^= 1;
            if (!expected.contains(near)) absent.push_back(near);
        }
        if (size > 300) {
            // Proving every one of 4000 keys costs 4000 full rebuilds; a sample of 100 suffices.
            std::map<bytes, bytes> sample;
            for (auto it = expected.begin(); it != expected.end();
                 std::advance(it, std::min<size_t>(40, std::distance(it, expected.end()))))
                sample.insert(*it);
            expect_proves(entries, sample, absent);
        } else {
            expect_proves(entries, expected, absent);
        }
    }
}

TEST(TrieProof, RandomShortKeysWithEmbeddedNodes) {
    // Short keys of mixed lengths and one-byte values give small, embedded nodes and values in
    // branches.
    std::mt19937_64 rng(42);
    for (int round = 0; round < 50; ++round) {
        Entries entries;
        std::map<bytes, bytes> expected;
        const size_t n = 1 + rng() % 60;
        for (size_t i = 0; i < n; ++i) {
            bytes key(1 + rng() % 3, 0);
            for (auto& b : key)
                b = static_cast<uint8_t>(rng() % 4);  // few distinct bytes: deep sharing
            const bytes value(1 + rng() % 3, static_cast<uint8_t>(1 + rng() % 200));
            entries.emplace_back(key, value);
            expected[key] = value;  // later wins, as in the trie
        }
        std::vector<bytes> absent;
        for (int i = 0; i < 30; ++i) {
            bytes key(rng() % 5, 0);
            for (auto& b : key)
                b = static_cast<uint8_t>(rng() % 5);
            if (!expected.contains(key)) absent.push_back(key);
        }
        expect_proves(entries, expected, absent);
    }
}

TEST(TrieProof, ManyKeysInOnePass) {
    // trie_proofs gives each key the proof trie_proof gives it alone, and proves every key of a
    // 5000-entry trie (plus absent ones) at the cost of one pass.
    std::mt19937_64 rng(99);
    Entries entries;
    std::vector<bytes> keys;
    for (int i = 0; i < 5000; ++i) {
        const uint64_t seed = rng();
        bytes key(keccak256(bytes_view(reinterpret_cast<const uint8_t*>(&seed), 8)).view());
        entries.emplace_back(key, text("v" + std::to_string(i)));
        keys.push_back(key);
    }
    for (int i = 0; i < 500; ++i) {
        const uint64_t seed = rng();
        keys.emplace_back(keccak256(bytes_view(reinterpret_cast<const uint8_t*>(&seed), 8)).view());
    }
    keys.push_back(keys[0]);  // a key asked twice gets its proof twice
    const hash256 root = trie_root(entries);
    const auto proofs = trie_proofs(entries, keys);
    ASSERT_EQ(proofs.size(), keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        const auto proven = verify_proof(root, keys[i], proofs[i]);
        ASSERT_TRUE(proven.has_value()) << i;
        const size_t index = i == keys.size() - 1 ? 0 : i;
        if (index < 5000)
            EXPECT_EQ(*proven, text("v" + std::to_string(index))) << i;
        else
            EXPECT_TRUE(proven->empty()) << i;
    }
    for (size_t i = 0; i < keys.size(); i += 250)
        EXPECT_EQ(proofs[i], trie_proof(entries, keys[i])) << i;
    EXPECT_TRUE(trie_proofs(entries, {}).empty());
    EXPECT_EQ(trie_proofs({}, {keys[0]}), std::vector<std::vector<bytes>>(1));
}

TEST(TrieProof, RejectsTamperedProofs) {
    Entries entries;
    for (int i = 0; i < 500; ++i) {
        const uint32_t seed = static_cast<uint32_t>(i);
        entries.emplace_back(
            bytes(keccak256(bytes_view(reinterpret_cast<const uint8_t*>(&seed), 4)).view()),
            text("value " + std::to_string(i)));
    }
    const hash256 root = trie_root(entries);
    const bytes key = entries[123].first;
    const auto proof = trie_proof(entries, key);
    ASSERT_GE(proof.size(), 2u);
    ASSERT_EQ(verify_proof(root, key, proof), text("value 123"));

    // A changed byte anywhere breaks the hash chain.
    for (size_t node = 0; node < proof.size(); ++node) {
        for (size_t at : {size_t{0}, proof[node].size() / 2, proof[node].size() - 1}) {
            auto tampered = proof;
            tampered[node][at] ^= 0x01;
            EXPECT_FALSE(verify_proof(root, key, tampered).has_value()) << node << " " << at;
        }
    }
    // A missing node, an extra node, another root.
    auto shorter = proof;
    shorter.pop_back();
    EXPECT_FALSE(verify_proof(root, key, shorter).has_value());
    auto longer = proof;
    longer.push_back(proof.back());
    EXPECT_FALSE(verify_proof(root, key, longer).has_value());
    hash256 other = root;
    other[0] ^= 1;
    EXPECT_FALSE(verify_proof(other, key, proof).has_value());
    // A proof of one key does not prove a different key's value.
    const bytes other_key = entries[124].first;
    EXPECT_FALSE(verify_proof(root, other_key, proof).has_value());
    // Garbage never crashes.
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2000; ++i) {
        std::vector<bytes> junk(1 + rng() % 3);
        for (auto& n : junk) {
            n.resize(rng() % 80);
            for (auto& b : n)
                b = static_cast<uint8_t>(rng());
        }
        junk[0] = proof[0];  // past the root check, into the parser
        EXPECT_FALSE(verify_proof(root, key, junk).has_value());
    }
}
