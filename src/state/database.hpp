// A thin layer over LMDB: one environment per chain, named tables, transactions and cursors.
// LMDB gives what a node needs: one writer at a time, readers that see a consistent committed
// snapshot without locking it, and a commit that is atomic across every table.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.hpp"

typedef struct MDB_env MDB_env;
typedef struct MDB_txn MDB_txn;
typedef struct MDB_cursor MDB_cursor;

namespace krnl::state {

// A failure of the storage engine itself (disk full, I/O error, a damaged file): not something a
// caller can fix, so it is thrown, and the transaction it interrupts is never committed. Its
// message names the file and what an operator can do.
class DatabaseError : public std::runtime_error {
public:
    // Io: the operation failed (disk full, I/O error); a later one may succeed.
    // Corrupted: the file's contents are damaged; the database refuses writes from then on.
    enum class Kind { Io, Corrupted };
    explicit DatabaseError(const std::string& message, Kind kind = Kind::Io)
        : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

using Table = unsigned int;

class Database {
public:
    struct Options {
        // Empty: an ephemeral database in a temporary directory, removed as soon as it is open.
        std::filesystem::path dir;
        // Without it commits are not flushed to disk (ephemeral databases, tests).
        bool durable = true;
        size_t map_size = size_t{1} << 40;  // address space only; the file grows as needed
        // An existing database up to this size is read through at open (every entry of every
        // table), so damaged pages are found at start rather than by a later request; larger
        // ones get only the checks of the file size, the meta pages and the table of tables.
        size_t verify_up_to_bytes = size_t{256} << 20;
    };

    // Opens (or creates) the database. A data file that exists but fails the checks (empty,
    // shorter than its own pages, pages LMDB finds damaged) is refused with a message naming it;
    // a missing file is a new database.
    static std::expected<std::unique_ptr<Database>, std::string> open(
        const Options& options, std::span<const std::string_view> table_names);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // The handle of a table named at open.
    Table table(std::string_view name) const;
    // The data file ("<dir>/data.mdb"), or a description of an in-memory database.
    const std::string& file() const { return file_; }
    // The bytes of the pages the tables' entries take (their B-trees and overflow pages), which
    // deletions give back; the data file's high-water mark does not shrink.
    uint64_t data_bytes() const;

    // Marks the database damaged (a record that does not decode, an LMDB corruption code): every
    // later write transaction is refused with this message. Returns the error to throw.
    DatabaseError corrupted(const std::string& what) const;
    // Why writes are refused, if they are.
    std::optional<std::string> failure() const;

    class Txn {
    public:
        Txn(Txn&& other) noexcept
            : txn_(std::exchange(other.txn_, nullptr)), db_(other.db_), read_(other.read_) {}
        Txn& operator=(Txn&&) = delete;
        ~Txn();

        // The value is valid until the transaction ends or, in a write transaction, the next write.
        std::optional<bytes_view> get(Table table, bytes_view key) const;
        void put(Table table, bytes_view key, bytes_view value);
        // Puts only when the key is absent; true when it was put.
        bool put_if_absent(Table table, bytes_view key, bytes_view value);
        bool del(Table table, bytes_view key);
        void commit();
        MDB_txn* handle() const { return txn_; }
        const Database& database() const { return *db_; }

    private:
        friend class Database;
        friend class Cursor;
        Txn(MDB_txn* txn, const Database* db, bool read) : txn_(txn), db_(db), read_(read) {}
        MDB_txn* txn_;
        const Database* db_;
        bool read_;  // read transactions go back to the database's pool
    };

    // Entries in a table.
    uint64_t entries(const Txn& txn, Table table) const;

    // Many read transactions may be open at once, on any threads.
    Txn read() const;
    // One write transaction at a time: a second caller blocks until the first ends. Refused
    // (DatabaseError) once the database is marked damaged.
    Txn write();

    // Throws the DatabaseError for LMDB's return code `rc` from `what`; a corruption code marks
    // the database damaged.
    [[noreturn]] void fail(int rc, const char* what, bool writing) const;

private:
    Database() = default;
    void recycle(MDB_txn* txn) const;
    // Reads every entry of LMDB's own tables and, with `own_tables`, of the named ones.
    std::expected<void, std::string> verify(bool own_tables) const;

    MDB_env* env_ = nullptr;
    const void* map_ = nullptr;
    std::string file_;
    mutable std::mutex failure_mutex_;
    mutable std::optional<std::string> failure_;
    // Read transactions, reset and kept for reuse: renewing one skips the allocation and the
    // reader-table lock that beginning one costs (a measurable share of a simple RPC read).
    mutable std::mutex readers_mutex_;
    mutable std::vector<MDB_txn*> idle_readers_;
    std::vector<std::pair<std::string, Table>> tables_;
};

// Walks one table in key order.
class Cursor {
public:
    Cursor(const Database::Txn& txn, Table table);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    using Entry = std::pair<bytes_view, bytes_view>;
    // The first entry whose key is >= `key`.
    std::optional<Entry> seek(bytes_view key);
    std::optional<Entry> first();
    std::optional<Entry> last();
    std::optional<Entry> next();
    std::optional<Entry> prev();
    // Deletes the entry the cursor is on (write transactions).
    void del();

private:
    std::optional<Entry> get(bytes_view key, int op);
    MDB_cursor* cursor_ = nullptr;
    const Database* db_;
    bool writing_;
};

// For a SIGBUS or SIGSEGV handler: the data file whose memory map holds `address`, or null.
// Async-signal-safe.
const char* mapped_database_file(const void* address) noexcept;

// Makes a fault inside a database's memory map (its file truncated behind krnld's back, a disk
// error, pages too damaged for LMDB's checks) end the process with a message naming the file and
// exit status 1 instead of a signal. Other faults keep their previous handling.
void install_database_fault_handler();

inline void append_be64(bytes& out, uint64_t v) {
    for (int i = 7; i >= 0; --i)
        out.push_back(static_cast<uint8_t>(v >> (i * 8)));
}
inline uint64_t load_be64(bytes_view in) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i)
        v = (v << 8) | in[i];
    return v;
}

}  // namespace krnl::state
