#include "common/rlp.hpp"
#include "state/state.hpp"
#include "state/trie.hpp"

namespace krnl::state {

hash256 storage_root(const Account& account) {
    std::vector<std::pair<bytes, bytes>> entries;
    entries.reserve(account.storage.size());
    for (const auto& [key, slot] : account.storage) {
        if (!slot.current) continue;
        uint8_t k[32];
        key.store_be(k);
        bytes value;
        rlp::encode_uint(value, slot.current);
        entries.emplace_back(bytes(keccak256({k, 32}).view()), std::move(value));
    }
    return trie_root(std::move(entries));
}

hash256 state_root(const State& state) {
    std::vector<std::pair<bytes, bytes>> entries;
    entries.reserve(state.accounts().size());
    for (const auto& [addr, account] : state.accounts()) {
        const hash256 root = storage_root(account);
        bytes payload;
        rlp::encode_uint(payload, account.nonce);
        rlp::encode_uint(payload, account.balance);
        rlp::encode_string(payload, root.view());
        rlp::encode_string(payload, account.code_hash.view());
        entries.emplace_back(bytes(keccak256(addr.view()).view()), rlp::wrap_list(payload));
    }
    return trie_root(std::move(entries));
}

}  // namespace krnl::state
