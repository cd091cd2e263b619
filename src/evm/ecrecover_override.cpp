#include "evm/ecrecover_override.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace krnl::evm {
namespace {

struct Table {
    std::atomic<bool> any{false};
    std::shared_mutex mutex;
    std::map<std::pair<uint64_t, RecoverSignature>, address> signers;
};

Table& table() {
    static Table t;
    return t;
}

}  // namespace

bool add_recover_override(uint64_t chain_id, const RecoverSignature& signature,
                          const address& signer) {
    Table& t = table();
    std::unique_lock lock(t.mutex);
    const auto key = std::pair{chain_id, signature};
    if (t.signers.size() >= kMaxRecoverOverrides && !t.signers.contains(key)) return false;
    t.signers[key] = signer;
    t.any.store(true, std::memory_order_release);
    return true;
}

std::optional<address> recover_override(uint64_t chain_id, bytes_view input) {
    Table& t = table();
    if (!t.any.load(std::memory_order_acquire)) return std::nullopt;
    uint8_t padded[128] = {};
    std::copy_n(input.data(), std::min<size_t>(input.size(), sizeof padded), padded);
    std::pair<uint64_t, RecoverSignature> key{chain_id, {}};
    std::copy_n(padded + 64, 64, key.second.begin());  // r ‖ s
    key.second[64] = padded[63];                       // v's last byte
    std::shared_lock lock(t.mutex);
    const auto it = t.signers.find(key);
    if (it == t.signers.end()) return std::nullopt;
    return it->second;
}

size_t recover_override_count() {
    Table& t = table();
    std::shared_lock lock(t.mutex);
    return t.signers.size();
}

void clear_recover_overrides(uint64_t chain_id) {
    Table& t = table();
    std::unique_lock lock(t.mutex);
    std::erase_if(t.signers, [&](const auto& entry) { return entry.first.first == chain_id; });
    t.any.store(!t.signers.empty(), std::memory_order_release);
}

void clear_recover_overrides() {
    Table& t = table();
    std::unique_lock lock(t.mutex);
    t.signers.clear();
    t.any.store(false, std::memory_order_release);
}

}  // namespace krnl::evm
