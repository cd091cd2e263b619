// Merkle-Patricia trie root (Yellow Paper, appendix D), computed in one pass over sorted entries.
#pragma once

#include <utility>
#include <vector>

#include "common/bytes.hpp"

namespace krnl::state {

// Root of the Merkle-Patricia trie holding these (key, value) pairs.
//
// Keys are used as given: callers hash them for secure tries. Each value is the leaf payload as
// the Yellow Paper stores it (account RLP, the RLP of a storage value, a receipt, ...); the trie
// wraps it as an RLP string. Order of input does not matter. Empty values mean "absent" and are
// ignored, as a trie cannot hold them; if a key repeats, the later entry wins.
hash256 trie_root(std::vector<std::pair<bytes, bytes>> entries);

}  // namespace krnl::state
