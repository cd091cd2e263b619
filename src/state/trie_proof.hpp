// Merkle-Patricia proofs (EIP-1186 eth_getProof): the nodes on the path to a key, and their check.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "common/bytes.hpp"

namespace krnl::state {

// The RLP encodings of the trie nodes on the path from the root towards `key`, root first, in the
// trie that `trie_root(entries)` hashes (same rules: keys used as given, values are leaf payloads,
// empty values ignored, the later of repeated keys wins). Nodes shorter than 32 bytes sit inside
// their parent and are not listed separately; the root is always listed. For an absent key the
// path ends at the node that proves the absence. An empty trie gives an empty proof.
//
// Cost is linear in the number of entries (every sibling subtree is hashed).
std::vector<bytes> trie_proof(std::vector<std::pair<bytes, bytes>> entries, bytes_view key);

// The proofs of several keys of one trie in one pass (eth_getProof's storage keys): the same
// as calling trie_proof for each key, at the cost of one.
std::vector<std::vector<bytes>> trie_proofs(std::vector<std::pair<bytes, bytes>> entries,
                                            const std::vector<bytes>& keys);

// Checks `proof` against `root` for `key`: the value stored at the key, an empty value when the
// proof shows the key is absent, and nullopt when the proof is not a valid path from that root
// (a node that does not hash to its reference, a missing node, an unused extra node, bad RLP).
std::optional<bytes> verify_proof(const hash256& root, bytes_view key,
                                  const std::vector<bytes>& proof);

}  // namespace krnl::state
