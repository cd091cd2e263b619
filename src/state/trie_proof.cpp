#include "state/trie_proof.hpp"

#include <algorithm>
#include <cstring>

#include "common/keccak.hpp"
#include "common/rlp.hpp"

namespace krnl::state {
namespace {

using Entry = std::pair<bytes, bytes>;

constexpr size_t kHashedNodeMinSize = 32;
constexpr uint8_t kEmptyString = 0x80;

size_t nibble_count(bytes_view key) {
    return key.size() * 2;
}

uint8_t nibble(bytes_view key, size_t index) {
    const uint8_t b = key[index / 2];
    return index % 2 == 0 ? b >> 4 : b & 0x0f;
}

size_t common_prefix(bytes_view a, bytes_view b, size_t from) {
    const size_t limit = std::min(nibble_count(a), nibble_count(b));
    size_t i = from;
    while (i < limit && nibble(a, i) == nibble(b, i))
        ++i;
    return i;
}

// Hex-prefix encoding (Yellow Paper, appendix C) of nibbles [from, to) of `key`.
bytes hex_prefix(bytes_view key, size_t from, size_t to, bool leaf) {
    const size_t count = to - from;
    const bool odd = count % 2 == 1;
    bytes out;
    out.push_back(static_cast<uint8_t>(((leaf ? 2 : 0) | (odd ? 1 : 0)) << 4));
    size_t i = from;
    if (odd) out[0] |= nibble(key, i++);
    for (; i < to; i += 2)
        out.push_back(static_cast<uint8_t>(nibble(key, i) << 4 | nibble(key, i + 1)));
    return out;
}

bytes list_of(const std::vector<bytes>& items) {
    bytes payload;
    for (const bytes& item : items)
        payload += item;
    return rlp::wrap_list(payload);
}

bytes rlp_string(bytes_view s) {
    bytes out;
    rlp::encode_string(out, s);
    return out;
}

// Builds the trie of the sorted, distinct, non-empty entries node by node, recording for each
// target key the encodings of the hashed nodes that lie on its path. One pass serves every key.
class ProofBuilder {
public:
    // Indices into the targets of the keys whose path runs through a node.
    using Targets = std::vector<uint32_t>;

    ProofBuilder(const std::vector<const Entry*>& entries, const std::vector<bytes>& targets)
        : entries_(entries), targets_(targets), recorded_(targets.size()) {}

    std::vector<std::vector<bytes>> prove() {
        if (entries_.empty()) return recorded_;
        Targets all(targets_.size());
        for (uint32_t i = 0; i < all.size(); ++i)
            all[i] = i;
        const bytes root = node(0, entries_.size(), 0, all);
        for (auto& proof : recorded_) {
            // The root is referenced by hash whatever its size, so it is always listed.
            proof.push_back(root);
            std::reverse(proof.begin(), proof.end());  // recorded bottom-up
        }
        return std::move(recorded_);
    }

private:
    const std::vector<const Entry*>& entries_;
    const std::vector<bytes>& targets_;
    std::vector<std::vector<bytes>> recorded_;

    bytes_view key(size_t i) const { return entries_[i]->first; }

    // The targets that continue through nibble `slot` at `depth`.
    Targets taking(const Targets& on_path, size_t depth, uint8_t slot) const {
        Targets out;
        for (uint32_t t : on_path)
            if (depth < nibble_count(targets_[t]) && nibble(targets_[t], depth) == slot)
                out.push_back(t);
        return out;
    }

    // The reference to a node in its parent: the node itself when small, else its hash.
    bytes reference(bytes encoded, const Targets& on_path) {
        if (encoded.size() < kHashedNodeMinSize) return encoded;
        const hash256 h = keccak256(encoded);
        for (uint32_t t : on_path)
            recorded_[t].push_back(encoded);
        return rlp_string(h.view());
    }

    // The encoding of the node of entries [lo, hi), which share their first `depth` nibbles.
    // Hashed nodes on a path are recorded by the reference their parent takes.
    bytes node(size_t lo, size_t hi, size_t depth, const Targets& on_path) {
        if (hi - lo == 1) {
            const bytes_view k = key(lo);
            return list_of({rlp_string(hex_prefix(k, depth, nibble_count(k), true)),
                            rlp_string(entries_[lo]->second)});
        }
        const size_t split = common_prefix(key(lo), key(hi - 1), depth);
        if (split == depth) return branch(lo, hi, depth, on_path);
        Targets through;
        for (uint32_t t : on_path)
            if (common_prefix(key(lo), targets_[t], depth) >= split) through.push_back(t);
        bytes child = reference(branch(lo, hi, split, through), through);
        return list_of({rlp_string(hex_prefix(key(lo), depth, split, false)), std::move(child)});
    }

    bytes branch(size_t lo, size_t hi, size_t depth, const Targets& on_path) {
        std::vector<bytes> items;
        items.reserve(17);
        const bytes* value = nullptr;
        size_t i = lo;
        if (nibble_count(key(lo)) == depth) {
            value = &entries_[lo]->second;
            ++i;
        }
        for (uint8_t slot = 0; slot < 16; ++slot) {
            size_t end = i;
            while (end < hi && nibble(key(end), depth) == slot)
                ++end;
            if (end > i) {
                const Targets through = taking(on_path, depth, slot);
                items.push_back(reference(node(i, end, depth + 1, through), through));
            } else {
                items.push_back(bytes{kEmptyString});
            }
            i = end;
        }
        items.push_back(value != nullptr ? rlp_string(*value) : bytes{kEmptyString});
        return list_of(items);
    }
};

bool key_less(const Entry* a, const Entry* b) {
    return a->first < b->first;
}

// The items of an RLP list node, each as its whole encoding.
std::optional<std::vector<bytes_view>> node_items(bytes_view encoded) {
    bytes_view in = encoded;
    auto payload = rlp::decode_list(in);
    if (!payload || !in.empty()) return std::nullopt;
    std::vector<bytes_view> items;
    bytes_view rest = *payload;
    while (!rest.empty()) {
        auto item = rlp::decode_item(rest);
        if (!item) return std::nullopt;
        items.push_back(*item);
    }
    return items;
}

bool is_list(bytes_view item) {
    return !item.empty() && item[0] >= 0xc0;
}

std::optional<bytes_view> string_payload(bytes_view item) {
    auto s = rlp::decode_string(item);
    if (!s || !item.empty()) return std::nullopt;
    return *s;
}

}  // namespace

std::vector<std::vector<bytes>> trie_proofs(std::vector<std::pair<bytes, bytes>> entries,
                                            const std::vector<bytes>& keys) {
    std::vector<const Entry*> sorted;
    sorted.reserve(entries.size());
    for (const auto& entry : entries)
        sorted.push_back(&entry);
    std::stable_sort(sorted.begin(), sorted.end(), key_less);
    size_t kept = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
        const bool superseded = i + 1 < sorted.size() && sorted[i]->first == sorted[i + 1]->first;
        if (!superseded && !sorted[i]->second.empty()) sorted[kept++] = sorted[i];
    }
    sorted.resize(kept);
    return ProofBuilder(sorted, keys).prove();
}

std::vector<bytes> trie_proof(std::vector<std::pair<bytes, bytes>> entries, bytes_view key) {
    auto proofs = trie_proofs(std::move(entries), {bytes(key)});
    return std::move(proofs[0]);
}

std::optional<bytes> verify_proof(const hash256& root, bytes_view key,
                                  const std::vector<bytes>& proof) {
    if (proof.empty()) {
        if (root == kEmptyTrieRoot) return bytes{};
        return std::nullopt;
    }
    size_t used = 0;
    // The node being walked: its encoding, taken from the proof by hash or embedded in its parent.
    bytes_view current;
    hash256 expected = root;
    bool need_hash = true;
    size_t depth = 0;
    const size_t key_nibbles = nibble_count(key);
    const auto absent = [&]() -> std::optional<bytes> {
        if (used != proof.size()) return std::nullopt;  // nodes left over: not this path
        return bytes{};
    };
    // Never more nodes than proof entries plus embedded ones; the key bounds the walk anyway.
    for (size_t steps = 0; steps <= 2 * key_nibbles + proof.size() + 2; ++steps) {
        if (need_hash) {
            if (used >= proof.size()) return std::nullopt;
            if (keccak256(proof[used]) != expected) return std::nullopt;
            current = proof[used++];
        }
        auto items = node_items(current);
        if (!items) return std::nullopt;

        bytes_view next;  // reference to the child to follow
        if (items->size() == 17) {
            if (depth == key_nibbles) {
                auto value = string_payload((*items)[16]);
                if (!value || used != proof.size()) return std::nullopt;
                return bytes(*value);
            }
            next = (*items)[nibble(key, depth)];
            ++depth;
        } else if (items->size() == 2) {
            auto path = string_payload((*items)[0]);
            if (!path || path->empty()) return std::nullopt;
            const uint8_t flags = (*path)[0] >> 4;
            if (flags > 3) return std::nullopt;
            const bool leaf = (flags & 2) != 0;
            const bool odd = (flags & 1) != 0;
            if (!odd && ((*path)[0] & 0x0f) != 0) return std::nullopt;
            // Compare the node's nibbles with the key's from `depth`.
            const size_t count = (path->size() - 1) * 2 + (odd ? 1 : 0);
            bool matches = depth + count <= key_nibbles;
            for (size_t i = 0; matches && i < count; ++i) {
                const size_t at = odd ? i + 1 : i + 2;  // nibble index inside the path bytes
                if (nibble(*path, at) != nibble(key, depth + i)) matches = false;
            }
            if (leaf) {
                if (!matches || depth + count != key_nibbles) return absent();
                auto value = string_payload((*items)[1]);
                if (!value || used != proof.size()) return std::nullopt;
                return bytes(*value);
            }
            if (!matches) return absent();
            if (count == 0) return std::nullopt;  // an extension always has a path
            depth += count;
            next = (*items)[1];
        } else {
            return std::nullopt;
        }

        if (is_list(next)) {
            current = next;  // embedded node
            need_hash = false;
            continue;
        }
        auto reference = string_payload(next);
        if (!reference) return std::nullopt;
        if (reference->empty()) return absent();
        if (reference->size() != 32) return std::nullopt;
        expected = hash256::from_view(*reference);
        need_hash = true;
    }
    return std::nullopt;
}

}  // namespace krnl::state
