// What the FlatState tests share: addresses by number, an ephemeral database with the flat
// state's tables, and a block committed from an edit of the latest state.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "state/flat_state.hpp"

namespace krnl::state::testing {

inline address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

inline std::unique_ptr<Database> open_ephemeral() {
    auto db = Database::open({.durable = false}, FlatState::kTables);
    EXPECT_TRUE(db.has_value()) << db.error();
    return std::move(*db);
}

// Commits what `edit` does to a State over the latest committed state, as block `number`.
template <typename Edit>
hash256 commit_block(Database& db, const FlatState& flat, uint64_t number, Edit edit) {
    auto txn = db.write();
    StateView view(flat, txn);
    State st(view);
    edit(st);
    st.finalize_transaction(true);
    const hash256 root = flat.commit(txn, number, st.changes());
    txn.commit();
    return root;
}

}  // namespace krnl::state::testing
