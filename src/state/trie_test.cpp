#include "state/trie.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>

#include "common/keccak.hpp"
#include "common/rlp.hpp"

namespace krnl::state {
namespace {

using Entries = std::vector<std::pair<bytes, bytes>>;

bytes str(std::string_view s) {
    return bytes(as_bytes(s));
}

hash256 hash_hex(std::string_view s) {
    auto h = fixed_from_hex<32>(s);
    EXPECT_TRUE(h.has_value()) << s;
    return h.value_or(hash256{});
}

// An independent, deliberately naive reference: a plain 16-ary trie with one node per nibble,
// compressed into leaf / extension / branch nodes only while being encoded, with every node
// built in its own buffer. Different structure from trie_root, same specification.
class ReferenceTrie {
public:
    void put(bytes_view key, bytes_view value) {
        Node* node = &root_;
        for (size_t i = 0; i < key.size() * 2; ++i) {
            const uint8_t n = i % 2 == 0 ? key[i / 2] >> 4 : key[i / 2] & 0x0f;
            if (!node->children[n]) node->children[n] = std::make_unique<Node>();
            node = node->children[n].get();
        }
        node->value = bytes(value);
        node->has_value = true;
    }

    hash256 root() const {
        if (!root_.has_value && child_count(root_) == 0) return kEmptyTrieRoot;
        return keccak256(encode(root_, {}));
    }

private:
    struct Node {
        std::unique_ptr<Node> children[16];
        bytes value;
        bool has_value = false;
    };
    Node root_;

    static int child_count(const Node& node) {
        int count = 0;
        for (const auto& c : node.children)
            count += c != nullptr;
        return count;
    }

    static bytes hex_prefix(const std::vector<uint8_t>& nibbles, bool leaf) {
        bytes out;
        const bool odd = nibbles.size() % 2 == 1;
        size_t i = 0;
        uint8_t first = static_cast<uint8_t>(((leaf ? 2 : 0) + (odd ? 1 : 0)) << 4);
        if (odd) first |= nibbles[i++];
        out.push_back(first);
        for (; i < nibbles.size(); i += 2)
            out.push_back(static_cast<uint8_t>(nibbles[i] << 4 | nibbles[i + 1]));
        return out;
    }

    static bytes reference(const bytes& encoded) {
        if (encoded.size() < 32) return encoded;
        bytes out;
        rlp::encode_string(out, keccak256(encoded).view());
        return out;
    }

    // The RLP of the node reached after following `path` (nibbles not yet consumed) from `node`.
    static bytes encode(const Node& node, std::vector<uint8_t> path) {
        const Node* at = &node;
        // Walk down single-child chains without values: they collapse into one path.
        while (!at->has_value && child_count(*at) == 1) {
            for (uint8_t n = 0; n < 16; ++n)
                if (at->children[n]) {
                    path.push_back(n);
                    at = at->children[n].get();
                    break;
                }
        }
        bytes payload;
        if (child_count(*at) == 0) {  // leaf
            rlp::encode_string(payload, hex_prefix(path, true));
            rlp::encode_string(payload, at->value);
            return rlp::wrap_list(payload);
        }
        bytes branch_payload;
        for (const auto& child : at->children) {
            if (child)
                branch_payload += reference(encode(*child, {}));
            else
                rlp::encode_string(branch_payload, {});
        }
        rlp::encode_string(branch_payload, at->has_value ? bytes_view(at->value) : bytes_view{});
        const bytes branch = rlp::wrap_list(branch_payload);
        if (path.empty()) return branch;
        rlp::encode_string(payload, hex_prefix(path, false));
        payload += reference(branch);
        return rlp::wrap_list(payload);
    }
};

hash256 reference_root(const Entries& entries) {
    ReferenceTrie trie;
    for (const auto& [k, v] : entries)
        trie.put(k, v);
    return trie.root();
}

TEST(Trie, EmptyTrieHasTheEmptyRoot) {
    EXPECT_EQ(trie_root({}), kEmptyTrieRoot);
    EXPECT_EQ(kEmptyTrieRoot, keccak256(bytes{0x80}));
    // Empty values mean absent.
    EXPECT_EQ(trie_root({{str("a"), bytes{}}}), kEmptyTrieRoot);
}

// Examples from the Ethereum wiki's Patricia tree page (also the TrieTests "dogs" and "puppy").
TEST(Trie, KnownRoots) {
    EXPECT_EQ(trie_root({{str("doe"), str("reindeer")},
                         {str("dog"), str("puppy")},
                         {str("dogglesworth"), str("cat")}}),
              hash_hex("0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3"));
    EXPECT_EQ(trie_root({{str("do"), str("verb")},
                         {str("horse"), str("stallion")},
                         {str("doge"), str("coin")},
                         {str("dog"), str("puppy")}}),
              hash_hex("0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84"));
}

TEST(Trie, SingleSmallLeafIsStillHashedAtTheRoot) {
    // Leaf [0x20 || "a", "b"] encodes to 4 bytes; the root is its hash, not the bytes.
    bytes leaf;
    rlp::encode_string(leaf, str(" a"));
    rlp::encode_string(leaf, str("b"));
    leaf = rlp::wrap_list(leaf);
    ASSERT_EQ(leaf, (bytes{0xc4, 0x82, 0x20, 'a', 'b'}));
    EXPECT_EQ(trie_root({{str("a"), str("b")}}), keccak256(leaf));
}

TEST(Trie, OrderAndRepeatsFollowTheLastWrite) {
    const Entries forward = {{str("abc"), str("1")}, {str("abd"), str("2")}, {str("b"), str("3")}};
    Entries backward(forward.rbegin(), forward.rend());
    EXPECT_EQ(trie_root(forward), trie_root(backward));

    Entries repeated = forward;
    repeated.insert(repeated.begin(), {str("abc"), str("old")});
    EXPECT_EQ(trie_root(repeated), trie_root(forward));
    repeated.push_back({str("b"), bytes{}});  // a later empty value deletes
    EXPECT_EQ(trie_root(repeated), trie_root({forward[0], forward[1]}));
}

Entries random_entries(std::mt19937_64& rng, size_t count, size_t min_key, size_t max_key,
                       size_t max_value, int alphabet) {
    std::map<bytes, bytes> unique;
    std::uniform_int_distribution<size_t> key_len(min_key, max_key);
    std::uniform_int_distribution<size_t> value_len(1, max_value);
    // Short keys over a small alphabet may not offer `count` distinct keys: bound the attempts.
    for (size_t attempt = 0; unique.size() < count && attempt < 20 * count; ++attempt) {
        bytes k(key_len(rng), 0);
        // A small nibble alphabet makes shared prefixes, prefix keys and odd-nibble splits common.
        for (auto& b : k)
            b = alphabet >= 16 ? static_cast<uint8_t>(rng())
                               : static_cast<uint8_t>((rng() % alphabet) << 4 | (rng() % alphabet));
        bytes v(value_len(rng), 0);
        for (auto& b : v)
            b = static_cast<uint8_t>(rng());
        unique[k] = v;
    }
    return Entries(unique.begin(), unique.end());
}

TEST(Trie, MatchesReferenceOnRandomTries) {
    std::mt19937_64 rng(20240601);
    for (int round = 0; round < 300; ++round) {
        const size_t count = 1 + rng() % 40;
        const int alphabet = round % 3 == 0 ? 256 : 2 + round % 4;
        // Values from 1 to 40 bytes cross the 32-byte embedding threshold both ways.
        Entries entries =
            random_entries(rng, count, round % 2 ? 0 : 1, 1 + round % 8, 40, alphabet);
        const hash256 expected = reference_root(entries);
        std::shuffle(entries.begin(), entries.end(), rng);
        ASSERT_EQ(trie_root(entries), expected) << "round " << round;
    }
}

TEST(Trie, MatchesReferenceWithLongKeysAndValues) {
    std::mt19937_64 rng(7);
    // 100-byte keys sharing long prefixes give hex-prefix strings longer than 55 bytes.
    Entries entries = random_entries(rng, 50, 100, 100, 300, 2);
    EXPECT_EQ(trie_root(entries), reference_root(entries));
    entries = random_entries(rng, 3, 200, 200, 5, 256);
    EXPECT_EQ(trie_root(entries), reference_root(entries));
}

TEST(Trie, MatchesReferenceOnSecureStyleTries) {
    std::mt19937_64 rng(99);
    Entries entries;
    for (uint64_t i = 0; i < 3000; ++i) {
        bytes key(8, 0);
        for (int b = 0; b < 8; ++b)
            key[b] = static_cast<uint8_t>(i >> (8 * b));
        bytes value;
        rlp::encode_uint(value, rng() >> (rng() % 64));
        entries.push_back({bytes(keccak256(key).view()), value});
    }
    EXPECT_EQ(trie_root(entries), reference_root(entries));
}

TEST(Trie, HandlesTensOfThousandsOfEntries) {
    std::mt19937_64 rng(1);
    Entries entries;
    for (int i = 0; i < 50000; ++i) {
        bytes key(32, 0), value(70, 0);
        for (auto& b : key)
            b = static_cast<uint8_t>(rng());
        for (auto& b : value)
            b = static_cast<uint8_t>(rng());
        entries.push_back({key, value});
    }
    const auto start = std::chrono::steady_clock::now();
    const hash256 root = trie_root(entries);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    std::cout << "trie_root of 50000 entries: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
    // The reference would need gigabytes here; it checks 3000 hashed keys above. At this size,
    // check that the order of input and the split of work between calls do not matter.
    std::shuffle(entries.begin(), entries.end(), rng);
    EXPECT_EQ(trie_root(entries), root);
    entries.resize(25000);
    EXPECT_NE(trie_root(entries), root);
}

}  // namespace
}  // namespace krnl::state
