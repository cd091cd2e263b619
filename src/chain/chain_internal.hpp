// What chain.cpp and chain_history.cpp share (src/chain only).
#pragma once

#include <string_view>
#include <vector>

#include "chain/chain_store.hpp"
#include "state/flat_state.hpp"

namespace krnl::chain::detail {

// Every table a chain's database holds: the flat state's and the block store's.
inline std::vector<std::string_view> all_tables() {
    std::vector<std::string_view> tables(state::FlatState::kTables.begin(),
                                         state::FlatState::kTables.end());
    tables.insert(tables.end(), ChainStore::kTables.begin(), ChainStore::kTables.end());
    return tables;
}

// The state tries in memory follow every commit; if the write transaction around one does not
// commit, they must be rebuilt from the tables.
class TrieGuard {
public:
    explicit TrieGuard(const state::FlatState& flat) : flat_(flat) {}
    ~TrieGuard() {
        if (!committed_) flat_.invalidate_tries();
    }
    void committed() { committed_ = true; }

private:
    const state::FlatState& flat_;
    bool committed_ = false;
};

}  // namespace krnl::chain::detail
