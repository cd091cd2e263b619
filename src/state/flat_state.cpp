#include "state/flat_state.hpp"

#include <algorithm>
#include "common/rlp.hpp"

#include "state/trie.hpp"

namespace krnl::state {
namespace {

bytes slot_key(const address& addr, const uint256& key) {
    bytes k(addr.view());
    k.resize(52);
    key.store_be(k.data() + 20);
    return k;
}

bytes history_key(bytes_view key, uint64_t block) {
    bytes k(key);
    append_be64(k, block);
    return k;
}

bytes encode_record(const AccountInfo& info, const hash256& storage_root) {
    bytes payload;
    rlp::encode_uint(payload, info.nonce);
    rlp::encode_uint(payload, info.balance);
    rlp::encode_string(payload, storage_root.view());
    rlp::encode_string(payload, info.code_hash.view());
    return rlp::wrap_list(payload);
}

StateView::AccountRecord decode_record(const Database& db, bytes_view encoded) {
    auto fail = [&] [[noreturn]] { throw db.corrupted("an account record does not decode"); };
    auto list = rlp::decode_list(encoded);
    if (!list) fail();
    bytes_view in = *list;
    auto nonce = rlp::decode_u64(in);
    auto balance = rlp::decode_uint256(in);
    auto root = rlp::decode_fixed<32>(in);
    auto code_hash = rlp::decode_fixed<32>(in);
    if (!nonce || !balance || !root || !code_hash) fail();
    return {{*nonce, *balance, *code_hash, *root != kEmptyTrieRoot}, *root};
}

uint256 decode_value(const Database& db, bytes_view encoded) {
    auto v = rlp::decode_uint256(encoded);
    if (!v) throw db.corrupted("a storage value does not decode");
    return *v;
}

bytes encode_value(const uint256& v) {
    bytes out;
    rlp::encode_uint(out, v);
    return out;
}

// The value of `key` as of `block` from a history table: the first record after the block holds
// it. Null when nothing changed since, so the latest value applies.
std::optional<bytes_view> value_at(const Database::Txn& txn, Table history, bytes_view key,
                                   uint64_t block) {
    Cursor cursor(txn, history);
    auto entry = cursor.seek(history_key(key, block + 1));
    if (!entry || entry->first.size() != key.size() + 8 ||
        entry->first.substr(0, key.size()) != key)
        return std::nullopt;
    return entry->second;
}

}  // namespace

FlatState::FlatState(const Database& db)
    : db_(db),
      accounts_(db.table("accounts")),
      storage_(db.table("storage")),
      code_(db.table("code")),
      account_history_(db.table("account_history")),
      storage_history_(db.table("storage_history")),
      block_changes_(db.table("block_changes")) {}

void FlatState::record_history(Database::Txn& txn, Table history, bytes_view key, uint64_t block,
                               bytes_view previous) const {
    if (!txn.put_if_absent(history, history_key(key, block), previous)) return;
    const bytes block_key = history_key({}, block);
    bytes keys(txn.get(block_changes_, block_key).value_or(bytes_view{}));
    keys.push_back(static_cast<uint8_t>(key.size()));
    keys.append(key);
    txn.put(block_changes_, block_key, keys);
}

void FlatState::revert_to(Database::Txn& txn, uint64_t target, uint64_t head) const {
    invalidate_tries();
    for (uint64_t block = head; block > target; --block) {
        const bytes block_key = history_key({}, block);
        const bytes keys(txn.get(block_changes_, block_key).value_or(bytes_view{}));
        for (size_t i = 0; i < keys.size(); i += 1 + keys[i]) {
            const bytes_view key = bytes_view(keys).substr(i + 1, keys[i]);
            const bool is_account = key.size() == 20;
            const Table history = is_account ? account_history_ : storage_history_;
            const Table current = is_account ? accounts_ : storage_;
            const bytes hkey = history_key(key, block);
            const bytes previous(txn.get(history, hkey).value_or(bytes_view{}));
            if (previous.empty())
                txn.del(current, key);
            else
                txn.put(current, key, previous);
            txn.del(history, hkey);
        }
        txn.del(block_changes_, block_key);
    }
}

MerkleTrie& FlatState::storage_trie(const Database::Txn& txn, const address& addr) const {
    auto [it, inserted] = storage_tries_.try_emplace(addr);
    if (inserted) {
        Cursor cursor(txn, storage_);
        for (auto e = cursor.seek(addr.view()); e && e->first.substr(0, 20) == addr.view();
             e = cursor.next())
            it->second.put(keccak256(e->first.substr(20)), bytes(e->second));
    }
    return it->second;
}

MerkleTrie& FlatState::account_trie(const Database::Txn& txn) const {
    if (!account_trie_) {
        account_trie_ = std::make_unique<MerkleTrie>();
        Cursor cursor(txn, accounts_);
        for (auto e = cursor.first(); e; e = cursor.next())
            account_trie_->put(keccak256(e->first), bytes(e->second));
    }
    return *account_trie_;
}

void FlatState::invalidate_tries() const {
    account_trie_.reset();
    storage_tries_.clear();
}

hash256 FlatState::commit(Database::Txn& txn, uint64_t number,
                          std::span<const AccountChange> changes) const {
    // Both tries load from the tables as they were before this commit's writes.
    MerkleTrie& accounts_trie = account_trie(txn);
    for (const AccountChange& change : changes) {
        const address& addr = change.addr;
        MerkleTrie* slots = change.storage_cleared || !change.storage.empty() || !change.info
                                ? &storage_trie(txn, addr)
                                : nullptr;
        const std::optional<bytes_view> old_view = txn.get(accounts_, addr.view());
        const bytes old_record = old_view ? bytes(*old_view) : bytes{};
        bool storage_changed = false;

        if (change.storage_cleared) {
            Cursor cursor(txn, storage_);
            for (auto e = cursor.seek(addr.view()); e && e->first.substr(0, 20) == addr.view();
                 e = cursor.seek(addr.view())) {
                record_history(txn, storage_history_, bytes(e->first), number, bytes(e->second));
                cursor.del();
                storage_changed = true;
            }
            *slots = MerkleTrie();
        }
        for (const auto& [key, value] : change.storage) {
            const bytes skey = slot_key(addr, key);
            const std::optional<bytes_view> old = txn.get(storage_, skey);
            const bytes encoded = value ? encode_value(value) : bytes{};
            // Forked, a zero written over an absent key may delete an upstream value: it is
            // recorded, so that reads know the key is local now.
            if (old ? *old == encoded : encoded.empty() && remote_ == nullptr) continue;
            record_history(txn, storage_history_, skey, number, old ? bytes(*old) : bytes{});
            if (encoded.empty())
                txn.del(storage_, skey);
            else
                txn.put(storage_, skey, encoded);
            uint8_t k[32];
            key.store_be(k);
            slots->put(keccak256({k, 32}), encoded);
            storage_changed = true;
        }

        bytes new_record;
        if (change.info) {
            const hash256 root = storage_changed      ? slots->root()
                                 : old_record.empty() ? kEmptyTrieRoot
                                                      : decode_record(db_, old_record).storage_root;
            new_record = encode_record(*change.info, root);
            if (change.code != nullptr)
                txn.put_if_absent(code_, change.info->code_hash.view(), *change.code);
        }
        if (new_record == old_record && !(remote_ != nullptr && new_record.empty())) continue;
        record_history(txn, account_history_, addr.view(), number, old_record);
        if (new_record.empty()) {
            txn.del(accounts_, addr.view());
            storage_tries_.erase(addr);
        } else {
            txn.put(accounts_, addr.view(), new_record);
        }
        accounts_trie.put(keccak256(addr.view()), new_record);
    }
    return accounts_trie.root();
}

hash256 FlatState::root(const Database::Txn& txn) const {
    std::vector<std::pair<bytes, bytes>> entries;
    Cursor cursor(txn, accounts_);
    for (auto e = cursor.first(); e; e = cursor.next())
        entries.emplace_back(bytes(keccak256(e->first).view()), bytes(e->second));
    return trie_root(std::move(entries));
}

std::optional<StateView::AccountRecord> StateView::read_record(const address& addr) const {
    std::optional<bytes_view> record;
    if (block_) record = value_at(txn_, flat_.account_history(), addr.view(), *block_);
    if (!record) record = txn_.get(flat_.accounts(), addr.view());
    if (!record || record->empty()) return std::nullopt;
    return decode_record(flat_.database(), *record);
}

bool StateView::written_locally(Table history, bytes_view key) const {
    Cursor cursor(txn_, history);
    auto entry = cursor.seek(history_key(key, 0));
    if (!entry || entry->first.size() != key.size() + 8 ||
        entry->first.substr(0, key.size()) != key)
        return false;
    return !block_ || load_be64(entry->first.substr(key.size())) <= *block_;
}

std::optional<AccountInfo> StateView::read_account(const address& addr) const {
    auto record = read_record(addr);
    const RemoteSource* remote = flat_.remote();
    if (remote == nullptr) return record ? std::optional(record->info) : std::nullopt;
    if (record) {
        // The local record's storage root covers the slots written here only; the upstream's
        // slots of the same account are still readable.
        AccountInfo info = record->info;
        if (!info.has_storage)
            if (auto upstream = remote->account(addr)) info.has_storage = upstream->has_storage;
        return info;
    }
    if (written_locally(flat_.account_history(), addr.view())) return std::nullopt;
    return remote->account(addr);
}

uint256 StateView::read_storage(const address& addr, const uint256& key) const {
    const bytes skey = slot_key(addr, key);
    std::optional<bytes_view> value;
    if (block_) value = value_at(txn_, flat_.storage_history(), skey, *block_);
    if (!value) value = txn_.get(flat_.storage(), skey);
    if (value && !value->empty()) return decode_value(flat_.database(), *value);
    const RemoteSource* remote = flat_.remote();
    if (remote == nullptr || written_locally(flat_.storage_history(), skey)) return {};
    // Contracts created here and accounts without storage upstream cost no request per slot.
    const std::optional<AccountInfo> upstream = remote->account(addr);
    if (!upstream || !upstream->has_storage) return {};
    return remote->storage(addr, key);
}

bytes StateView::read_code(const hash256& code_hash) const {
    auto code = txn_.get(flat_.code(), code_hash.view());
    if (code) return bytes(*code);
    const RemoteSource* remote = flat_.remote();
    return remote != nullptr ? remote->code(code_hash) : bytes{};
}

std::vector<std::pair<bytes, bytes>> StateView::account_leaves() const {
    std::vector<std::pair<bytes, bytes>> out;
    // The accounts now, plus (for a past block) those changed since; each read as of the block.
    std::vector<address> addresses;
    for (Table t : {flat_.accounts(), flat_.account_history()}) {
        if (t == flat_.account_history() && !block_) break;
        Cursor cursor(txn_, t);
        for (auto e = cursor.first(); e; e = cursor.next())
            addresses.push_back(address::from_view(e->first.substr(0, 20)));
    }
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    for (const address& a : addresses)
        if (auto record = read_record(a))
            out.emplace_back(bytes(keccak256(a.view()).view()),
                             encode_record(record->info, record->storage_root));
    return out;
}

std::vector<std::pair<bytes, bytes>> StateView::storage_leaves(const address& addr) const {
    std::vector<std::pair<bytes, bytes>> out;
    for_each_slot(addr, [&](const uint256& key, const uint256& value) {
        uint8_t k[32];
        key.store_be(k);
        out.emplace_back(bytes(keccak256({k, 32}).view()), encode_value(value));
    });
    return out;
}

void StateView::for_each_slot(const address& addr,
                              const std::function<void(const uint256&, const uint256&)>& fn) const {
    if (!block_) {
        Cursor cursor(txn_, flat_.storage());
        for (auto e = cursor.seek(addr.view()); e && e->first.substr(0, 20) == addr.view();
             e = cursor.next())
            fn(uint256::load_be(e->first.data() + 20), decode_value(flat_.database(), e->second));
        return;
    }
    // A past block: the keys now present plus those changed since, each read as of the block.
    std::vector<uint256> keys;
    for (Table t : {flat_.storage(), flat_.storage_history()}) {
        Cursor cursor(txn_, t);
        for (auto e = cursor.seek(addr.view()); e && e->first.substr(0, 20) == addr.view();
             e = cursor.next())
            keys.push_back(uint256::load_be(e->first.data() + 20));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const uint256& key : keys)
        if (const uint256 v = read_storage(addr, key); !!v) fn(key, v);
}

}  // namespace krnl::state
