#include "state/merkle_trie.hpp"

#include "common/keccak.hpp"
#include "common/rlp.hpp"

namespace krnl::state {

using Nibbles = std::basic_string<uint8_t>;

struct MerkleTrie::Node {
    enum class Kind : uint8_t { Leaf, Extension, Branch } kind;
    Nibbles path;                                // leaf and extension
    bytes value;                                 // leaf
    std::unique_ptr<Node> child;                 // extension
    std::array<std::unique_ptr<Node>, 16> kids;  // branch
    bytes ref;                                   // the cached reference: RLP if < 32 bytes, else
                                                 // the RLP string of its hash
    bool dirty = true;

    static std::unique_ptr<Node> leaf(Nibbles path, bytes value) {
        auto n = std::make_unique<Node>();
        n->kind = Kind::Leaf;
        n->path = std::move(path);
        n->value = std::move(value);
        return n;
    }
    static std::unique_ptr<Node> extension(Nibbles path, std::unique_ptr<Node> child) {
        auto n = std::make_unique<Node>();
        n->kind = Kind::Extension;
        n->path = std::move(path);
        n->child = std::move(child);
        return n;
    }
    static std::unique_ptr<Node> branch() {
        auto n = std::make_unique<Node>();
        n->kind = Kind::Branch;
        return n;
    }
};

namespace {

using Node = MerkleTrie::Node;

Nibbles to_nibbles(const hash256& key) {
    Nibbles out(64, 0);
    for (size_t i = 0; i < 32; ++i) {
        out[2 * i] = key.bytes[i] >> 4;
        out[2 * i + 1] = key.bytes[i] & 0x0f;
    }
    return out;
}

size_t common_prefix(const Nibbles& a, const uint8_t* b, size_t b_len) {
    size_t i = 0;
    while (i < a.size() && i < b_len && a[i] == b[i])
        ++i;
    return i;
}

// Yellow Paper appendix C: hex-prefix encoding of a nibble path with the leaf flag.
bytes hex_prefix(const Nibbles& path, bool leaf) {
    bytes out;
    const bool odd = path.size() % 2 == 1;
    uint8_t first = static_cast<uint8_t>((leaf ? 2 : 0) + (odd ? 1 : 0)) << 4;
    size_t i = 0;
    if (odd) first |= path[i++];
    out.push_back(first);
    for (; i < path.size(); i += 2)
        out.push_back(static_cast<uint8_t>(path[i] << 4 | path[i + 1]));
    return out;
}

std::unique_ptr<Node> insert(std::unique_ptr<Node> node, const uint8_t* key, size_t len,
                             bytes& value, bool& added) {
    if (!node) {
        added = true;
        return Node::leaf(Nibbles(key, len), std::move(value));
    }
    node->dirty = true;
    switch (node->kind) {
        case Node::Kind::Leaf: {
            const size_t c = common_prefix(node->path, key, len);
            if (c == node->path.size() && c == len) {
                node->value = std::move(value);
                return node;
            }
            auto branch = Node::branch();
            const uint8_t old_slot = node->path[c];
            node->path.erase(0, c + 1);
            branch->kids[old_slot] = std::move(node);
            added = true;
            branch->kids[key[c]] = Node::leaf(Nibbles(key + c + 1, len - c - 1), std::move(value));
            if (c == 0) return branch;
            return Node::extension(Nibbles(key, c), std::move(branch));
        }
        case Node::Kind::Extension: {
            const size_t c = common_prefix(node->path, key, len);
            if (c == node->path.size()) {
                node->child = insert(std::move(node->child), key + c, len - c, value, added);
                return node;
            }
            auto branch = Node::branch();
            const uint8_t old_slot = node->path[c];
            if (node->path.size() - c - 1 > 0) {
                node->path.erase(0, c + 1);
                branch->kids[old_slot] = std::move(node);
            } else {
                branch->kids[old_slot] = std::move(node->child);
            }
            added = true;
            branch->kids[key[c]] = Node::leaf(Nibbles(key + c + 1, len - c - 1), std::move(value));
            if (c == 0) return branch;
            return Node::extension(Nibbles(key, c), std::move(branch));
        }
        case Node::Kind::Branch:
            node->kids[key[0]] =
                insert(std::move(node->kids[key[0]]), key + 1, len - 1, value, added);
            return node;
    }
    return node;
}

// After a removal below it, an extension or a branch with one child folds into its child.
std::unique_ptr<Node> join(Nibbles prefix, std::unique_ptr<Node> child) {
    if (child->kind == Node::Kind::Branch)
        return Node::extension(std::move(prefix), std::move(child));
    child->path.insert(0, prefix);
    child->dirty = true;
    return child;
}

std::unique_ptr<Node> remove(std::unique_ptr<Node> node, const uint8_t* key, size_t len,
                             bool& removed) {
    if (!node) return node;
    switch (node->kind) {
        case Node::Kind::Leaf:
            if (node->path.size() == len && std::equal(node->path.begin(), node->path.end(), key)) {
                removed = true;
                return nullptr;
            }
            return node;
        case Node::Kind::Extension: {
            const size_t n = node->path.size();
            if (n > len || !std::equal(node->path.begin(), node->path.end(), key)) return node;
            node->child = remove(std::move(node->child), key + n, len - n, removed);
            if (!removed) return node;
            if (!node->child) return nullptr;
            return join(std::move(node->path), std::move(node->child));
        }
        case Node::Kind::Branch: {
            auto& slot = node->kids[key[0]];
            slot = remove(std::move(slot), key + 1, len - 1, removed);
            if (!removed) return node;
            node->dirty = true;
            int count = 0, only = -1;
            for (int i = 0; i < 16; ++i)
                if (node->kids[i]) {
                    ++count;
                    only = i;
                }
            if (count == 0) return nullptr;
            if (count > 1) return node;
            return join(Nibbles(1, static_cast<uint8_t>(only)), std::move(node->kids[only]));
        }
    }
    return node;
}

// The node's RLP; children contribute their cached references, recomputed when dirty.
bytes encode(Node& node);

const bytes& reference(Node& node) {
    if (!node.dirty) return node.ref;
    bytes rlp = encode(node);
    node.ref.clear();
    if (rlp.size() < 32)
        node.ref = std::move(rlp);
    else
        rlp::encode_string(node.ref, keccak256(rlp).view());
    node.dirty = false;
    return node.ref;
}

bytes encode(Node& node) {
    bytes payload;
    switch (node.kind) {
        case Node::Kind::Leaf:
            rlp::encode_string(payload, hex_prefix(node.path, true));
            rlp::encode_string(payload, node.value);
            break;
        case Node::Kind::Extension:
            rlp::encode_string(payload, hex_prefix(node.path, false));
            payload += reference(*node.child);
            break;
        case Node::Kind::Branch:
            for (auto& kid : node.kids) {
                if (kid)
                    payload += reference(*kid);
                else
                    payload.push_back(0x80);
            }
            payload.push_back(0x80);  // no value: keys all have the same length
            break;
    }
    return rlp::wrap_list(payload);
}

}  // namespace

MerkleTrie::MerkleTrie() = default;
MerkleTrie::~MerkleTrie() = default;
MerkleTrie::MerkleTrie(MerkleTrie&&) noexcept = default;
MerkleTrie& MerkleTrie::operator=(MerkleTrie&&) noexcept = default;

void MerkleTrie::put(const hash256& key, bytes value) {
    if (value.empty()) return erase(key);
    const Nibbles path = to_nibbles(key);
    bool added = false;
    root_ = insert(std::move(root_), path.data(), path.size(), value, added);
    if (added) ++size_;
}

void MerkleTrie::erase(const hash256& key) {
    const Nibbles path = to_nibbles(key);
    bool removed = false;
    root_ = remove(std::move(root_), path.data(), path.size(), removed);
    if (removed) --size_;
}

hash256 MerkleTrie::root() {
    if (!root_) return kEmptyTrieRoot;
    const bytes& ref = reference(*root_);
    if (ref.size() == 33 && ref[0] == 0xa0) return hash256::from_view(bytes_view(ref).substr(1));
    return keccak256(ref);  // a root under 32 bytes is hashed all the same
}

}  // namespace krnl::state
