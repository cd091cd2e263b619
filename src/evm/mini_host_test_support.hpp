// A host for interpreter-level tests (interpreter_test, osaka_test): storage in a map, every
// account and slot warm, calls answered as empty successes.
#pragma once

#include <map>

#include "evm/interpreter.hpp"

namespace krnl::evm::fake {

class MiniHost : public Host {
public:
    std::map<uint256, uint256> storage;
    TxContext ctx;
    bool account_exists(const address&) override { return false; }
    uint256 get_storage(const address&, const uint256& k) override { return storage[k]; }
    StorageStatus set_storage(const address&, const uint256& k, const uint256& v) override {
        const bool was_zero = !storage[k];
        storage[k] = v;
        return was_zero ? StorageStatus::Added : StorageStatus::Modified;
    }
    uint256 get_transient_storage(const address&, const uint256&) override { return {}; }
    void set_transient_storage(const address&, const uint256&, const uint256&) override {}
    uint256 get_balance(const address&) override { return {}; }
    size_t get_code_size(const address&) override { return 0; }
    hash256 get_code_hash(const address&) override { return {}; }
    bytes_view get_code(const address&) override { return {}; }
    bool selfdestruct(const address&, const address&) override { return true; }
    Result call(const Message& m) override { return {StatusCode::Success, m.gas, 0, {}, {}}; }
    const TxContext& tx_context() override { return ctx; }
    hash256 get_block_hash(int64_t) override { return {}; }
    void emit_log(const address&, bytes_view, const uint256*, size_t) override {}
    AccessStatus access_account(const address&) override { return AccessStatus::Warm; }
    AccessStatus access_storage(const address&, const uint256&) override {
        return AccessStatus::Warm;
    }
};

}  // namespace krnl::evm::fake
