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

// A failure of the storage engine itself (disk full, I/O error): not something a caller can fix,
// so it is thrown, and the transaction it interrupts is never committed.
class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
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
    };

    static std::expected<std::unique_ptr<Database>, std::string> open(
        const Options& options, std::span<const std::string_view> table_names);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // The handle of a table named at open.
    Table table(std::string_view name) const;

    class Txn {
    public:
        Txn(Txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)), pool_(other.pool_) {}
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

    private:
        friend class Database;
        Txn(MDB_txn* txn, const Database* pool) : txn_(txn), pool_(pool) {}
        MDB_txn* txn_;
        const Database* pool_;  // set for read transactions: they go back to its pool
    };

    // Many read transactions may be open at once, on any threads.
    Txn read() const;
    // One write transaction at a time: a second caller blocks until the first ends.
    Txn write();

private:
    Database() = default;
    void recycle(MDB_txn* txn) const;

    MDB_env* env_ = nullptr;
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
};

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
