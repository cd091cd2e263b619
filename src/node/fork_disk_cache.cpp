#include "node/fork_disk_cache.hpp"

#include <array>

namespace krnl::node {
namespace {

constexpr std::array<std::string_view, 5> kTables = {"meta", "accounts", "slots", "codes",
                                                     "block_hashes"};
constexpr std::string_view kPointKey = "point";

bytes_view text(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bytes word(const uint256& v) {
    uint8_t out[32];
    v.store_be(out);
    return bytes(out, 32);
}

// nonce ‖ balance ‖ code hash ‖ has_storage; empty for an absent account.
bytes encode_account(const std::optional<state::AccountInfo>& info) {
    if (!info) return {};
    bytes out;
    state::append_be64(out, info->nonce);
    out += word(info->balance);
    out += info->code_hash.view();
    out.push_back(info->has_storage ? 1 : 0);
    return out;
}

std::optional<std::optional<state::AccountInfo>> decode_account(bytes_view v) {
    if (v.empty()) return std::optional<state::AccountInfo>{};
    if (v.size() != 8 + 32 + 32 + 1) return std::nullopt;
    state::AccountInfo info;
    info.nonce = state::load_be64(v.substr(0, 8));
    info.balance = uint256::from_be(v.substr(8, 32));
    info.code_hash = hash256::from_view(v.substr(40, 32));
    info.has_storage = v[72] != 0;
    return std::optional(info);
}

}  // namespace

std::expected<std::unique_ptr<ForkDiskCache>, std::string> ForkDiskCache::open(
    const std::filesystem::path& dir, uint64_t max_bytes) {
    // Not flushed on each write: after a crash the cache may lack the last entries, which are
    // simply fetched again. The map size is a hard bound on the file as well: a write past it
    // fails (MDB_MAP_FULL), which put() takes as a miss.
    auto db = state::Database::open(
        {.dir = dir, .durable = false, .map_size = static_cast<size_t>(max_bytes)}, kTables);
    if (!db) return std::unexpected(db.error());
    return std::unique_ptr<ForkDiskCache>(new ForkDiskCache(std::move(*db), max_bytes));
}

ForkDiskCache::ForkDiskCache(std::unique_ptr<state::Database> db, uint64_t max_bytes)
    : db_(std::move(db)),
      max_bytes_(max_bytes),
      meta_(db_->table("meta")),
      accounts_(db_->table("accounts")),
      slots_(db_->table("slots")),
      codes_(db_->table("codes")),
      block_hashes_(db_->table("block_hashes")) {}

std::optional<bytes> ForkDiskCache::get(state::Table table, bytes_view key) const {
    if (!usable_) return std::nullopt;
    try {
        auto txn = db_->read();
        auto v = txn.get(table, key);
        return v ? std::optional(bytes(*v)) : std::nullopt;
    } catch (const state::DatabaseError&) {
        return std::nullopt;
    }
}

bool ForkDiskCache::has_room() const {
    try {
        return usable_ && db_->data_bytes() < max_bytes_ / 8 * 7;
    } catch (const state::DatabaseError&) {
        return false;
    }
}

void ForkDiskCache::put(state::Table table, bytes_view key, bytes_view value) {
    if (!has_room()) return;
    try {
        auto txn = db_->write();
        txn.put(table, key, value);
        txn.commit();
    } catch (const state::DatabaseError&) {
    }
}

void ForkDiskCache::set_point(const hash256& point) {
    try {
        auto txn = db_->write();
        auto stored = txn.get(meta_, text(kPointKey));
        if (stored && *stored == point.view()) {
            usable_ = true;
            return;
        }
        for (state::Table t : {accounts_, slots_, codes_, block_hashes_}) {
            state::Cursor cursor(txn, t);
            while (cursor.first())
                cursor.del();
        }
        txn.put(meta_, text(kPointKey), point.view());
        txn.commit();
        usable_ = true;
    } catch (const state::DatabaseError&) {
        usable_ = false;
    }
}

std::optional<std::optional<state::AccountInfo>> ForkDiskCache::account(const address& addr) const {
    auto v = get(accounts_, addr.view());
    return v ? decode_account(*v) : std::nullopt;
}

void ForkDiskCache::put_accounts(
    std::span<const std::pair<address, std::optional<state::AccountInfo>>> accounts) {
    if (!has_room()) return;
    try {
        auto txn = db_->write();
        for (const auto& [addr, info] : accounts)
            txn.put(accounts_, addr.view(), encode_account(info));
        txn.commit();
    } catch (const state::DatabaseError&) {
    }
}

std::optional<uint256> ForkDiskCache::slot(const address& addr, const uint256& key) const {
    bytes k(addr.view());
    k += word(key);
    auto v = get(slots_, k);
    if (!v || v->size() != 32) return std::nullopt;
    return uint256::from_be(*v);
}

void ForkDiskCache::put_slot(const address& addr, const uint256& key, const uint256& value) {
    bytes k(addr.view());
    k += word(key);
    put(slots_, k, word(value));
}

std::optional<bytes> ForkDiskCache::code(const hash256& code_hash) const {
    return get(codes_, code_hash.view());
}

void ForkDiskCache::put_code(const hash256& code_hash, bytes_view code) {
    put(codes_, code_hash.view(), code);
}

std::optional<hash256> ForkDiskCache::block_hash(uint64_t number) const {
    bytes k;
    state::append_be64(k, number);
    auto v = get(block_hashes_, k);
    if (!v || v->size() != 32) return std::nullopt;
    return hash256::from_view(*v);
}

void ForkDiskCache::put_block_hash(uint64_t number, const hash256& hash) {
    bytes k;
    state::append_be64(k, number);
    put(block_hashes_, k, hash.view());
}

}  // namespace krnl::node
