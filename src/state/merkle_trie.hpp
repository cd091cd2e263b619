// A Merkle-Patricia trie kept in memory that rehashes only what changed: the node's state and
// storage roots after a block cost the paths of the keys the block touched, not the whole trie
// (`trie_root` rebuilds from every entry, which a chain cannot afford once contracts such as the
// EIP-2935 history buffer hold thousands of slots).
//
// Keys are 32-byte hashes (secure tries), so every key has the same length, leaves sit at the same
// depth and branches never hold values.
#pragma once

#include <array>
#include <memory>

#include "common/bytes.hpp"

namespace krnl::state {

class MerkleTrie {
public:
    MerkleTrie();
    ~MerkleTrie();
    MerkleTrie(MerkleTrie&&) noexcept;
    MerkleTrie& operator=(MerkleTrie&&) noexcept;

    // Sets the leaf payload of `key` (RLP of an account or a storage value); an empty value
    // removes the key.
    void put(const hash256& key, bytes value);
    void erase(const hash256& key);
    // The root hash; the empty trie's is kEmptyTrieRoot.
    hash256 root();
    size_t size() const { return size_; }

    struct Node;

private:
    std::unique_ptr<Node> root_;
    size_t size_ = 0;
};

}  // namespace krnl::state
