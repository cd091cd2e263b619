#include "state/database.hpp"

#include <lmdb.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

namespace krnl::state {
namespace {

constexpr std::string_view kWhatToDo =
    "restore it from a backup or remove the directory to start a new chain";

MDB_val to_val(bytes_view v) {
    return {v.size(), const_cast<uint8_t*>(v.data())};
}

bytes_view from_val(const MDB_val& v) {
    return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

// Return codes that say the file's contents are damaged, not that one operation failed.
bool is_corruption(int rc) {
    // MDB_BAD_TXN: an earlier operation of the transaction met damage LMDB flagged without
    // returning it (every error krnld sees ends its transaction).
    return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ||
           rc == MDB_VERSION_MISMATCH || rc == MDB_BAD_TXN;
}

std::string lmdb_error(const char* what, int rc) {
    return std::string(what) + ": " + mdb_strerror(rc);
}

std::string corrupted_message(const std::string& file, const std::string& why) {
    return file + " is corrupted (" + why + "): " + std::string(kWhatToDo);
}

// The memory maps of the open databases, for the fault handler: written before a map is used,
// read from a signal handler (lock-free, fixed size).
struct MappedFile {
    std::atomic<uintptr_t> begin{0};
    std::atomic<uintptr_t> end{0};
    char path[512] = {};
};
std::array<MappedFile, 64> mapped_files;

void register_map(const void* map, size_t size, const std::string& file) {
    const auto begin = reinterpret_cast<uintptr_t>(map);
    for (MappedFile& m : mapped_files) {
        uintptr_t expected = 0;
        // Claim the slot with a placeholder, fill it in, then publish the real range.
        if (!m.begin.compare_exchange_strong(expected, 1)) continue;
        std::snprintf(m.path, sizeof m.path, "%s", file.c_str());
        m.end.store(begin + size);
        m.begin.store(begin);
        return;
    }
}

void unregister_map(const void* map) {
    const auto begin = reinterpret_cast<uintptr_t>(map);
    for (MappedFile& m : mapped_files)
        if (m.begin.load() == begin) {
            m.end.store(0);
            m.begin.store(0);
        }
}

// Where the process maps the file with descriptor `fd` (LMDB does not say unless the map is at a
// fixed address): the first mapping of its device and inode in /proc/self/maps.
std::optional<std::pair<uintptr_t, uintptr_t>> find_map(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return std::nullopt;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        unsigned long long begin = 0, end = 0, offset = 0, inode = 0;
        unsigned major = 0, minor = 0;
        char perms[8] = {};
        if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu", &begin, &end, perms, &offset,
                        &major, &minor, &inode) != 7)
            continue;
        if (inode == st.st_ino && makedev(major, minor) == st.st_dev && offset == 0)
            return std::pair{static_cast<uintptr_t>(begin), static_cast<uintptr_t>(end)};
    }
    return std::nullopt;
}

// LMDB calls this where it finds its own structures inconsistent, and aborts when it returns.
// Its in-memory state is then unusable, so krnld ends with the file named instead of a signal;
// nothing uncommitted was acknowledged, and the committed pages are left as they were.
void on_lmdb_assert(MDB_env* env, const char* message) {
    const auto* db = static_cast<const Database*>(mdb_env_get_userctx(env));
    const std::string file = db != nullptr ? db->file() : std::string("the database");
    std::fprintf(stderr, "krnld: %s\n",
                 corrupted_message(file, std::string("LMDB: ") + message).c_str());
    std::fflush(stderr);
    std::_Exit(1);
}

// The data file of the LMDB call this thread is in, for the fault handler: LMDB follows page
// numbers and offsets read from the file, and damaged ones can send it outside the map.
thread_local const char* file_in_use = nullptr;

class InLmdb {
public:
    explicit InLmdb(const std::string& file) : previous_(file_in_use) {
        file_in_use = file.c_str();
    }
    ~InLmdb() { file_in_use = previous_; }
    InLmdb(const InLmdb&) = delete;
    InLmdb& operator=(const InLmdb&) = delete;

private:
    const char* previous_;
};

struct sigaction previous_bus_action, previous_segv_action;

void write_stderr(const char* text) {
    size_t left = std::strlen(text);
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, text, left);
        if (n <= 0) return;
        text += n;
        left -= static_cast<size_t>(n);
    }
}

void on_fault(int signal, siginfo_t* info, void*) {
    const char* file = mapped_database_file(info->si_addr);
    if (file == nullptr) file = file_in_use;
    if (file != nullptr) {
        write_stderr("krnld: ");
        write_stderr(file);
        write_stderr(
            " is corrupted (reading it faulted: damaged pages, the file truncated while krnld "
            "ran, or a failing disk): restore it from a backup or remove the directory to start "
            "a new chain\n");
        _exit(1);
    }
    // Not ours: the previous handling, when the instruction faults again on return.
    sigaction(signal, signal == SIGBUS ? &previous_bus_action : &previous_segv_action, nullptr);
}

}  // namespace

const char* mapped_database_file(const void* address) noexcept {
    const auto a = reinterpret_cast<uintptr_t>(address);
    for (const MappedFile& m : mapped_files) {
        const uintptr_t begin = m.begin.load();
        if (begin > 1 && a >= begin && a < m.end.load()) return m.path;
    }
    return nullptr;
}

void install_database_fault_handler() {
    struct sigaction action = {};
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_bus_action);
    sigaction(SIGSEGV, &action, &previous_segv_action);
}

DatabaseError Database::corrupted(const std::string& what) const {
    std::string message = corrupted_message(file_, what);
    {
        std::lock_guard lock(failure_mutex_);
        if (!failure_) failure_ = message;
    }
    return DatabaseError(message, DatabaseError::Kind::Corrupted);
}

uint64_t Database::data_bytes() const {
    auto txn = read();
    uint64_t pages = 0;
    uint64_t page_size = 0;
    for (const auto& [name, dbi] : tables_) {
        MDB_stat stat{};
        if (mdb_stat(txn.handle(), dbi, &stat) != MDB_SUCCESS) continue;
        pages += stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages;
        page_size = stat.ms_psize;
    }
    return pages * page_size;
}

std::optional<std::string> Database::failure() const {
    std::lock_guard lock(failure_mutex_);
    return failure_;
}

void Database::fail(int rc, const char* what, bool writing) const {
    if (is_corruption(rc)) throw corrupted(lmdb_error(what, rc));
    if (rc == MDB_PANIC) {
        // LMDB refuses every later transaction itself; say so once, and why.
        std::string message = file_ + " cannot be used any more (" + lmdb_error(what, rc) +
                              "): an earlier write failed; check the disk and restart krnld";
        {
            std::lock_guard lock(failure_mutex_);
            if (!failure_) failure_ = message;
        }
        throw DatabaseError(message, DatabaseError::Kind::Corrupted);
    }
    if (writing)
        throw DatabaseError("cannot write " + file_ + " (" + lmdb_error(what, rc) +
                            "): nothing was committed; check the disk (space, errors)");
    throw DatabaseError("cannot read " + file_ + " (" + lmdb_error(what, rc) + ")");
}

std::expected<std::unique_ptr<Database>, std::string> Database::open(
    const Options& options, std::span<const std::string_view> table_names) {
    std::unique_ptr<Database> db(new Database);
    std::filesystem::path dir = options.dir;
    const bool ephemeral = dir.empty();
    bool existing = false;
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
        db->file_ = "the in-memory database";
    } else {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) return std::unexpected("cannot create " + dir.string() + ": " + ec.message());
        const std::filesystem::path file = dir / "data.mdb";
        db->file_ = file.string();
        // A missing file is a new database; an existing one must hold one. LMDB would take an
        // empty file for a new database and start a new chain over the one that was there.
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0) {
            existing = true;
            if (!S_ISREG(st.st_mode))
                return std::unexpected(db->file_ +
                                       " is not a regular file: " + std::string(kWhatToDo));
            if (st.st_size == 0)
                return std::unexpected(
                    corrupted_message(db->file_,
                                      "the file is empty, but an existing data file "
                                      "is not a new database"));
        } else if (errno != ENOENT) {
            return std::unexpected("cannot read " + db->file_ + ": " +
                                   std::error_code(errno, std::generic_category()).message());
        }
    }

    auto fail = [&](int rc, const std::string& what) {
        if (ephemeral) std::filesystem::remove_all(dir);
        if (is_corruption(rc))
            return std::unexpected(corrupted_message(db->file_, lmdb_error(what.c_str(), rc)));
        return std::unexpected(db->file_ + ": " + lmdb_error(what.c_str(), rc));
    };
    InLmdb in_lmdb(db->file_);
    int rc = mdb_env_create(&db->env_);
    if (rc != MDB_SUCCESS) return fail(rc, "mdb_env_create");
    mdb_env_set_userctx(db->env_, db.get());
    mdb_env_set_assert(db->env_, on_lmdb_assert);
    mdb_env_set_maxdbs(db->env_, static_cast<MDB_dbi>(table_names.size()));
    mdb_env_set_mapsize(db->env_, options.map_size);
    mdb_env_set_maxreaders(db->env_, 512);
    unsigned flags = MDB_NOTLS;  // read transactions are not tied to a thread
    // Without durability, pages are written in place through the map (no pwrite per page at
    // commit) and never flushed.
    if (!options.durable) flags |= MDB_NOSYNC | MDB_NOMETASYNC | MDB_WRITEMAP;
    rc = mdb_env_open(db->env_, dir.c_str(), flags, 0644);
    if (rc != MDB_SUCCESS) return fail(rc, "cannot open the database");
    // The mapping and the open descriptors keep an unlinked database alive; nothing is left
    // behind, even after kill -9.
    if (ephemeral) std::filesystem::remove_all(dir);
    int dead_readers = 0;
    mdb_reader_check(db->env_, &dead_readers);  // slots of processes that died reading

    MDB_envinfo info{};
    MDB_stat stat{};
    mdb_env_info(db->env_, &info);
    mdb_env_stat(db->env_, &stat);
    const uint64_t used_bytes = (uint64_t{info.me_last_pgno} + 1) * stat.ms_psize;
    if (existing && !(flags & MDB_WRITEMAP)) {
        // LMDB maps the file without checking that it holds the pages its meta page names: a
        // truncated file would fault (SIGBUS) on the first read past its end.
        mdb_filehandle_t fd = -1;
        struct stat st {};
        if (mdb_env_get_fd(db->env_, &fd) != MDB_SUCCESS || ::fstat(fd, &st) != 0)
            return std::unexpected("cannot read " + db->file_);
        if (static_cast<uint64_t>(st.st_size) < used_bytes)
            return std::unexpected(corrupted_message(
                db->file_, "truncated: the file is " + std::to_string(st.st_size) +
                               " bytes, its pages need " + std::to_string(used_bytes)));
    }
    // An unlinked in-memory database cannot be truncated behind krnld's back: only files are
    // registered (a fault inside LMDB is reported for both, see InLmdb).
    if (mdb_filehandle_t fd = -1; !ephemeral && mdb_env_get_fd(db->env_, &fd) == MDB_SUCCESS) {
        if (auto map = find_map(fd)) {
            db->map_ = reinterpret_cast<const void*>(map->first);
            register_map(db->map_, map->second - map->first, db->file_);
        }
    }

    // LMDB's own tables (free pages, table names) before the first write transaction, which
    // may build on them; our tables, when the file is small enough, once they are open.
    if (existing)
        if (auto verified = db->verify(false); !verified) return std::unexpected(verified.error());
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
    if (existing && used_bytes <= options.verify_up_to_bytes)
        if (auto verified = db->verify(true); !verified) return std::unexpected(verified.error());
    return db;
}

std::expected<void, std::string> Database::verify(bool own_tables) const {
    InLmdb in_lmdb(file_);
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != MDB_SUCCESS)
        return std::unexpected(corrupted_message(file_, lmdb_error("begin read", rc)));
    MDB_envinfo info{};
    MDB_stat stat{};
    mdb_env_info(env_, &info);
    mdb_env_stat(env_, &stat);
    const auto* map_begin = static_cast<const uint8_t*>(map_);
    const uint8_t* map_end = map_begin + (uint64_t{info.me_last_pgno} + 1) * stat.ms_psize;
    auto inside = [&](const MDB_val& v) {
        const auto* p = static_cast<const uint8_t*>(v.mv_data);
        return v.mv_size == 0 || map_ == nullptr ||
               (p >= map_begin && p <= map_end && v.mv_size <= size_t(map_end - p));
    };
    // Every entry of a table: LMDB checks each page it reaches; the entries' bounds are checked
    // here, so a damaged node is found without reading past the file.
    auto walk = [&](MDB_dbi dbi, const std::string& name) -> std::expected<void, std::string> {
        MDB_cursor* cursor = nullptr;
        int rc = mdb_cursor_open(txn, dbi, &cursor);
        if (rc != MDB_SUCCESS)
            return std::unexpected(corrupted_message(file_, lmdb_error(name.c_str(), rc)));
        MDB_val key{}, value{};
        for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == MDB_SUCCESS;
             rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
            if (!inside(key) || !inside(value)) {
                mdb_cursor_close(cursor);
                return std::unexpected(
                    corrupted_message(file_, "table " + name + ": an entry lies outside the file"));
            }
        }
        mdb_cursor_close(cursor);
        if (rc != MDB_NOTFOUND)
            return std::unexpected(
                corrupted_message(file_, lmdb_error(("table " + name).c_str(), rc)));
        return {};
    };
    constexpr MDB_dbi kFreeDbi = 0, kMainDbi = 1;  // LMDB's own tables: free pages, table names
    auto result = walk(kFreeDbi, "of free pages");
    if (result) result = walk(kMainDbi, "of tables");
    if (own_tables)
        for (const auto& [name, dbi] : tables_)
            if (result) result = walk(dbi, name);
    mdb_txn_abort(txn);
    return result;
}

Database::~Database() {
    if (map_ != nullptr) unregister_map(map_);
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

uint64_t Database::entries(const Txn& txn, Table table) const {
    InLmdb in_lmdb(file_);
    MDB_stat stat{};
    if (int rc = mdb_stat(txn.handle(), table, &stat); rc != MDB_SUCCESS)
        fail(rc, "stat", !txn.read_);
    return stat.ms_entries;
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
    InLmdb in_lmdb(file_);
    if (txn != nullptr && mdb_txn_renew(txn) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        txn = nullptr;
    }
    if (txn == nullptr) {
        if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != MDB_SUCCESS)
            fail(rc, "begin read", false);
    }
    return Txn(txn, this, true);
}

Database::Txn Database::write() {
    // A damaged database is not written to: LMDB would build on the damaged pages (and may free
    // or overwrite pages still in use), which could lose what is intact.
    if (auto failed = failure())
        throw DatabaseError(*failed + " (krnld refuses writes to it)",
                            DatabaseError::Kind::Corrupted);
    InLmdb in_lmdb(file_);
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != MDB_SUCCESS)
        fail(rc, "begin write", true);
    return Txn(txn, this, false);
}

Database::Txn::~Txn() {
    if (txn_ == nullptr) return;
    if (read_)
        db_->recycle(txn_);
    else
        mdb_txn_abort(txn_);
}

std::optional<bytes_view> Database::Txn::get(Table table, bytes_view key) const {
    MDB_val k = to_val(key);
    MDB_val v{};
    InLmdb in_lmdb(db_->file());
    const int rc = mdb_get(txn_, table, &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != MDB_SUCCESS) db_->fail(rc, "get", !read_);
    return from_val(v);
}

void Database::Txn::put(Table table, bytes_view key, bytes_view value) {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    InLmdb in_lmdb(db_->file());
    if (int rc = mdb_put(txn_, table, &k, &v, 0); rc != MDB_SUCCESS) db_->fail(rc, "put", true);
}

bool Database::Txn::put_if_absent(Table table, bytes_view key, bytes_view value) {
    MDB_val k = to_val(key);
    MDB_val v = to_val(value);
    InLmdb in_lmdb(db_->file());
    const int rc = mdb_put(txn_, table, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) return false;
    if (rc != MDB_SUCCESS) db_->fail(rc, "put", true);
    return true;
}

bool Database::Txn::del(Table table, bytes_view key) {
    MDB_val k = to_val(key);
    InLmdb in_lmdb(db_->file());
    const int rc = mdb_del(txn_, table, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != MDB_SUCCESS) db_->fail(rc, "del", true);
    return true;
}

void Database::Txn::commit() {
    // The transaction is gone whether the commit succeeds or not.
    InLmdb in_lmdb(db_->file());
    const int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
    if (rc != MDB_SUCCESS) db_->fail(rc, "commit", true);
}

Cursor::Cursor(const Database::Txn& txn, Table table) : db_(&txn.database()), writing_(!txn.read_) {
    InLmdb in_lmdb(db_->file());
    if (int rc = mdb_cursor_open(txn.handle(), table, &cursor_); rc != MDB_SUCCESS)
        db_->fail(rc, "cursor", writing_);
}

Cursor::~Cursor() {
    mdb_cursor_close(cursor_);
}

std::optional<Cursor::Entry> Cursor::get(bytes_view key, int op) {
    MDB_val k = to_val(key);
    MDB_val v{};
    InLmdb in_lmdb(db_->file());
    const int rc = mdb_cursor_get(cursor_, &k, &v, static_cast<MDB_cursor_op>(op));
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != MDB_SUCCESS) db_->fail(rc, "cursor get", writing_);
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
    InLmdb in_lmdb(db_->file());
    if (int rc = mdb_cursor_del(cursor_, 0); rc != MDB_SUCCESS) db_->fail(rc, "cursor del", true);
}

}  // namespace krnl::state
