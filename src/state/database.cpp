#include "state/database.hpp"

#include <lmdb.h>

#include <unistd.h>

#include <cstdlib>
#include <system_error>

namespace krnl::state {
namespace {

void check(int rc, const char* what) {
    if (rc != MDB_SUCCESS) throw DatabaseError(std::string(what) + ": " + mdb_strerror(rc));
}

MDB_val to_val(bytes_view v) {
    return {v.size(), const_cast<uint8_t*>(v.data())};
}

bytes_view from_val(const MDB_val& v) {
    return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

}  // namespace

std::expected<std::unique_ptr<Database>, std::string> Database::open(
    const Options& options, std::span<const std::string_view> table_names) {
    std::unique_ptr<Database> db(new Database);
    std::filesystem::path dir = options.dir;
    const bool ephemeral = dir.empty();
    if (ephemeral) {
        // Shared memory when the system has it: an ephemeral database need not touch a disk.
        std::error_code shm_error;
        const bool shm =
            std::filesystem::is_directory("/dev/shm", shm_error) && access("/dev/shm", W_OK) == 0;
        std::string pattern =
            ((shm ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path()) /
             "krnl-XXXXXX")
                .string();
        if (mkdtemp(pattern.data()) == nullptr)
            return std::unexpected("cannot create a temporary directory: " +
                                   std::error_code(errno, std::generic_category()).message());
        dir = pattern;
    } else {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) return std::unexpected("cannot create " + dir.string() + ": " + ec.message());
    }

    auto fail = [&](int rc, const std::string& what) {
        if (ephemeral) std::filesystem::remove_all(dir);
        return std::unexpected(what + ": " + mdb_strerror(rc));
    };
    int rc = mdb_env_create(&db->env_);
    if (rc != MDB_SUCCESS) return fail(rc, "mdb_env_create");
    mdb_env_set_maxdbs(db->env_, static_cast<MDB_dbi>(table_names.size()));
    mdb_env_set_mapsize(db->env_, options.map_size);
    mdb_env_set_maxreaders(db->env_, 512);
    unsigned flags = MDB_NOTLS;  // read transactions are not tied to a thread
    // Without durability, pages are written in place through the map (no pwrite per page at
    // commit) and never flushed.
    if (!options.durable) flags |= MDB_NOSYNC | MDB_NOMETASYNC | MDB_WRITEMAP;
    rc = mdb_env_open(db->env_, dir.c_str(), flags, 0644);
    if (rc != MDB_SUCCESS) return fail(rc, "cannot open the database in " + dir.string());
    // The mapping and the open descriptors keep an unlinked database alive; nothing is left
    // behind, even after kill -9.
    if (ephemeral) std::filesystem::remove_all(dir);

    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(db->env_, nullptr, 0, &txn);
    if (rc != MDB_SUCCESS) return fail(rc, "mdb_txn_begin");
    for (std::string_view name : table_names) {
        MDB_dbi dbi = 0;
        rc = mdb_dbi_open(txn, std::string(name).c_str(), MDB_CREATE, &dbi);
        if (rc != MDB_SUCCESS) {
            mdb_txn_abort(txn);
            return fail(rc, "cannot open table " + std::string(name));
        }
        db->tables_.emplace_back(name, dbi);
    }
    rc = mdb_txn_commit(txn);
    if (rc != MDB_SUCCESS) return fail(rc, "mdb_txn_commit");
    return db;
}

Database::~Database() {
    for (MDB_txn* txn : idle_readers_)
        mdb_txn_abort(txn);
    if (env_ != nullptr) mdb_env_close(env_);
}

void Database::recycle(MDB_txn* txn) const {
    mdb_txn_reset(txn);
    std::lock_guard lock(readers_mutex_);
    if (idle_readers_.size() < 64) {
        idle_readers_.push_back(txn);
        return;
    }
    mdb_txn_abort(txn);
}

Table Database::table(std::string_view name) const {
    for (const auto& [n, dbi] : tables_)
        if (n == name) return dbi;
    throw DatabaseError("no table " + std::string(name));
}

Database::Txn Database::read() const {
    MDB_txn* txn = nullptr;
    {
        std::lock_guard lock(readers_mutex_);
        if (!idle_readers_.empty()) {
            txn = idle_readers_.back();
            idle_readers_.pop_back();
        }
    }
    if (txn != nullptr && mdb_txn_renew(txn) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        txn = nullptr;
    }
    if (txn == nullptr) check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "begin read");
    return Txn(txn, this);
}

Database::Txn Database::write() {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env_, nullptr, 0, &txn), "begin write");
    return Txn(txn, nullptr);
}

Database::Txn::~Txn() {
    if (txn_ == nullptr) return;
    if (pool_ != nullptr)
        pool_->recycle(txn_);
    else
        mdb_txn_abort(txn_);
}

std::optional<bytes_view> Database::Txn::get(Table table, bytes_view key) const {
    MDB_val k = to_val(key);
    MDB_val v{};
    const int rc = mdb_get(txn_, table, &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "get");
    return from_val(v);
}

void Database::Txn::put(Table table, bytes_view key, bytes_view value) {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    check(mdb_put(txn_, table, &k, &v, 0), "put");
}

bool Database::Txn::put_if_absent(Table table, bytes_view key, bytes_view value) {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    const int rc = mdb_put(txn_, table, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) return false;
    check(rc, "put");
    return true;
}

bool Database::Txn::del(Table table, bytes_view key) {
    MDB_val k = to_val(key);
    const int rc = mdb_del(txn_, table, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "del");
    return true;
}

void Database::Txn::commit() {
    const int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
    check(rc, "commit");
}

Cursor::Cursor(const Database::Txn& txn, Table table) {
    check(mdb_cursor_open(txn.handle(), table, &cursor_), "cursor");
}

Cursor::~Cursor() {
    mdb_cursor_close(cursor_);
}

std::optional<Cursor::Entry> Cursor::get(bytes_view key, int op) {
    MDB_val k = to_val(key);
    MDB_val v{};
    const int rc = mdb_cursor_get(cursor_, &k, &v, static_cast<MDB_cursor_op>(op));
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "cursor get");
    return Entry{from_val(k), from_val(v)};
}

std::optional<Cursor::Entry> Cursor::seek(bytes_view key) {
    return get(key, MDB_SET_RANGE);
}
std::optional<Cursor::Entry> Cursor::first() {
    return get({}, MDB_FIRST);
}
std::optional<Cursor::Entry> Cursor::last() {
    return get({}, MDB_LAST);
}
std::optional<Cursor::Entry> Cursor::next() {
    return get({}, MDB_NEXT);
}
std::optional<Cursor::Entry> Cursor::prev() {
    return get({}, MDB_PREV);
}
void Cursor::del() {
    check(mdb_cursor_del(cursor_, 0), "cursor del");
}

}  // namespace krnl::state
