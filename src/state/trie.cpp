#include "state/trie.hpp"

#include <algorithm>

#include "common/keccak.hpp"
#include "common/rlp.hpp"

namespace krnl::state {
namespace {

using Entry = std::pair<bytes, bytes>;

// Nodes whose encoding is shorter than a hash are embedded in their parent instead.
constexpr size_t kHashedNodeMinSize = 32;
constexpr uint8_t kEmptyString = 0x80;
constexpr uint8_t kHashReferencePrefix = 0x80 + 32;

uint8_t nibble(bytes_view key, size_t index) {
    const uint8_t b = key[index / 2];
    return index % 2 == 0 ? b >> 4 : b & 0x0f;
}

// First nibble index at or after `from` where a and b differ, or the shorter one's nibble length.
size_t mismatch_nibble(bytes_view a, bytes_view b, size_t from) {
    const size_t limit = std::min(a.size(), b.size()) * 2;
    size_t i = from;
    if (i < limit && i % 2 == 1) {
        if (nibble(a, i) != nibble(b, i)) return i;
        ++i;
    }
    size_t byte = i / 2;
    while (byte < limit / 2 && a[byte] == b[byte])
        ++byte;
    i = byte * 2;
    if (i < limit && nibble(a, i) == nibble(b, i)) ++i;
    return std::min(i, limit);
}

bool key_less(const Entry* a, const Entry* b) {
    const size_t common = std::min(a->first.size(), b->first.size());
    const int order = common == 0 ? 0 : std::memcmp(a->first.data(), b->first.data(), common);
    return order != 0 ? order < 0 : a->first.size() < b->first.size();
}

// Writes each node straight into one growing buffer: a node's children are encoded first and
// leave only their references (embedded RLP or 0xa0 || hash) behind, which become the parent's
// payload once its list header is put in front. No per-node allocation.
class RootBuilder {
public:
    explicit RootBuilder(const std::vector<const Entry*>& entries) : entries_(entries) {
        arena_.reserve(1024);
    }

    hash256 root() {
        if (entries_.empty()) return kEmptyTrieRoot;
        build(0, entries_.size(), 0);
        // The root is referenced by hash even when it is small enough to embed.
        if (arena_.size() == 1 + kHashedNodeMinSize)
            return hash256::from_view(bytes_view(arena_).substr(1));
        return keccak256(arena_);
    }

private:
    const std::vector<const Entry*>& entries_;
    bytes arena_;

    bytes_view key(size_t i) const { return entries_[i]->first; }

    // The node of entries [lo, hi), which share their first `depth` nibbles.
    void build(size_t lo, size_t hi, size_t depth) {
        if (hi - lo == 1) {
            leaf(entries_[lo]->first, entries_[lo]->second, depth);
            return;
        }
        // Sorted keys: the prefix shared by the first and last is shared by all.
        const size_t split = mismatch_nibble(key(lo), key(hi - 1), depth);
        if (split == depth) {
            branch(lo, hi, depth);
            return;
        }
        const size_t start = arena_.size();
        append_hex_prefix(key(lo), depth, split, false);
        branch(lo, hi, split);
        close_list(start);
    }

    void leaf(bytes_view key, bytes_view value, size_t depth) {
        const size_t start = arena_.size();
        const size_t path_nibbles = key.size() * 2 - depth;
        const size_t payload = hex_prefix_string_length(path_nibbles) + rlp::string_length(value);
        rlp::encode_list_header(arena_, payload);
        append_hex_prefix(key, depth, key.size() * 2, true);
        rlp::encode_string(arena_, value);
        finish_node(start);
    }

    void branch(size_t lo, size_t hi, size_t depth) {
        const size_t start = arena_.size();
        const bytes* value = nullptr;
        size_t i = lo;
        // Only the first (smallest) key can end here: any other would equal it.
        if (key(lo).size() * 2 == depth) {
            value = &entries_[lo]->second;
            ++i;
        }
        for (uint8_t slot = 0; slot < 16; ++slot) {
            size_t end = i;
            while (end < hi && nibble(key(end), depth) == slot)
                ++end;
            if (end > i)
                build(i, end, depth + 1);
            else
                arena_.push_back(kEmptyString);
            i = end;
        }
        if (value)
            rlp::encode_string(arena_, *value);
        else
            arena_.push_back(kEmptyString);
        close_list(start);
    }

    // Puts the list header in front of the payload written since `start`, then finishes the node.
    void close_list(size_t start) {
        bytes header;  // at most 9 bytes: stays in the small-string buffer
        rlp::encode_list_header(header, arena_.size() - start);
        arena_.insert(start, header);
        finish_node(start);
    }

    // Replaces the node encoded at `start` by its hash reference when it is too large to embed.
    void finish_node(size_t start) {
        if (arena_.size() - start < kHashedNodeMinSize) return;
        const hash256 hash = keccak256(bytes_view(arena_).substr(start));
        arena_.resize(start);
        arena_.push_back(kHashReferencePrefix);
        arena_.append(hash.data(), hash.size());
    }

    static size_t hex_prefix_string_length(size_t nibbles) {
        const size_t length = nibbles / 2 + 1;
        if (length == 1) return 1;  // the flag byte alone is below 0x80
        return (length <= 55 ? 1 : 1 + (64 - __builtin_clzll(length) + 7) / 8) + length;
    }

    // The nibbles [from, to) of `key` in hex-prefix form (Yellow Paper, appendix C), as an RLP
    // string.
    void append_hex_prefix(bytes_view key, size_t from, size_t to, bool leaf) {
        const size_t nibbles = to - from;
        const size_t length = nibbles / 2 + 1;
        if (length > 1) {
            // String header written by hand: the payload is built in place below.
            if (length <= 55) {
                arena_.push_back(static_cast<uint8_t>(0x80 + length));
            } else {
                const size_t width = (64 - __builtin_clzll(length) + 7) / 8;
                arena_.push_back(static_cast<uint8_t>(0xb7 + width));
                for (size_t b = width; b-- > 0;)
                    arena_.push_back(static_cast<uint8_t>(length >> (8 * b)));
            }
        }
        const bool odd = nibbles % 2 == 1;
        const uint8_t flags = static_cast<uint8_t>((leaf ? 2 : 0) | (odd ? 1 : 0));
        size_t i = from;
        if (odd) {
            arena_.push_back(static_cast<uint8_t>(flags << 4 | nibble(key, i)));
            ++i;
        } else {
            arena_.push_back(static_cast<uint8_t>(flags << 4));
        }
        if (i % 2 == 0) {
            // Byte-aligned in the key: copy whole bytes.
            arena_.append(key.data() + i / 2, (to - i) / 2);
        } else {
            for (; i < to; i += 2)
                arena_.push_back(static_cast<uint8_t>(nibble(key, i) << 4 | nibble(key, i + 1)));
        }
    }
};

}  // namespace

hash256 trie_root(std::vector<std::pair<bytes, bytes>> entries) {
    std::vector<const Entry*> sorted;
    sorted.reserve(entries.size());
    for (const auto& entry : entries)
        sorted.push_back(&entry);
    std::stable_sort(sorted.begin(), sorted.end(), key_less);

    // Of equal keys keep the last given; then drop empty values, which mean "absent".
    size_t kept = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
        const bool superseded = i + 1 < sorted.size() && sorted[i]->first == sorted[i + 1]->first;
        if (!superseded && !sorted[i]->second.empty()) sorted[kept++] = sorted[i];
    }
    sorted.resize(kept);

    return RootBuilder(sorted).root();
}

}  // namespace krnl::state
