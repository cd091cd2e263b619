#include "state/database.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

using namespace krnl;
using namespace krnl::state;

namespace {

const std::string_view kTables[] = {"t"};

// A directory of its own per test, removed at the end.
class DatabaseFiles : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("krnl-database-test-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path data_file() const { return dir_ / "data.mdb"; }

    // A database of `count` entries of `value_size` bytes, closed again.
    void fill(int count, size_t value_size = 200) {
        auto db = Database::open({.dir = dir_}, kTables);
        ASSERT_TRUE(db.has_value()) << db.error();
        auto txn = (*db)->write();
        for (int i = 0; i < count; ++i) {
            bytes key;
            append_be64(key, static_cast<uint64_t>(i));
            txn.put((*db)->table("t"), key, bytes(value_size, static_cast<uint8_t>(i)));
        }
        txn.commit();
    }

    std::filesystem::path dir_;
};

// How a child process that opens the database (and reads it through) ended.
struct Outcome {
    bool exited = false;  // false: killed by a signal
    int status = -1;
    std::string output;
};

// Opens the database in a child process, as krnld does (with the fault handler), and reads every
// entry; the child exits 0 when all is readable, 1 with the message when it is refused.
Outcome open_in_child(const std::filesystem::path& dir) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        install_database_fault_handler();
        auto db = Database::open({.dir = dir}, kTables);
        if (!db) {
            std::fprintf(stderr, "%s\n", db.error().c_str());
            _exit(1);
        }
        try {
            auto txn = (*db)->read();
            Cursor cursor(txn, (*db)->table("t"));
            for (auto e = cursor.first(); e; e = cursor.next()) {
            }
        } catch (const DatabaseError& e) {
            std::fprintf(stderr, "%s\n", e.what());
            _exit(1);
        }
        _exit(0);
    }
    close(pipe_fds[1]);
    Outcome out;
    char buffer[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        out.output.append(buffer, static_cast<size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    out.exited = WIFEXITED(status);
    out.status = out.exited ? WEXITSTATUS(status) : WTERMSIG(status);
    return out;
}

}  // namespace

TEST_F(DatabaseFiles, AMissingFileIsANewDatabase) {
    auto db = Database::open({.dir = dir_}, kTables);
    ASSERT_TRUE(db.has_value()) << db.error();
    EXPECT_EQ((*db)->file(), data_file().string());
}

TEST_F(DatabaseFiles, AnEmptyDataFileIsRefusedNotTakenForANewDatabase) {
    std::filesystem::create_directories(dir_);
    std::ofstream(data_file()).flush();
    auto db = Database::open({.dir = dir_}, kTables);
    ASSERT_FALSE(db.has_value());
    EXPECT_NE(db.error().find(data_file().string() + " is corrupted"), std::string::npos)
        << db.error();
    EXPECT_NE(db.error().find("empty"), std::string::npos) << db.error();
    EXPECT_NE(db.error().find("restore it from a backup"), std::string::npos) << db.error();
    EXPECT_EQ(std::filesystem::file_size(data_file()), 0u);  // left as it was
}

TEST_F(DatabaseFiles, ATruncatedDataFileIsRefusedBeforeAnyPageIsRead) {
    fill(5000);
    const auto size = std::filesystem::file_size(data_file());
    std::filesystem::resize_file(data_file(), size / 2);
    // In this process: a read past the end of the file would be a SIGBUS, not a value.
    auto db = Database::open({.dir = dir_}, kTables);
    ASSERT_FALSE(db.has_value());
    EXPECT_NE(db.error().find(data_file().string() + " is corrupted (truncated: the file is " +
                              std::to_string(size / 2) + " bytes"),
              std::string::npos)
        << db.error();
}

TEST_F(DatabaseFiles, AFileTooShortForItsMetaPagesIsRefused) {
    fill(10);
    std::filesystem::resize_file(data_file(), 100);
    auto db = Database::open({.dir = dir_}, kTables);
    ASSERT_FALSE(db.has_value());
    EXPECT_NE(db.error().find(data_file().string() + " is corrupted"), std::string::npos)
        << db.error();
}

TEST_F(DatabaseFiles, DamagedPagesEndTheOpenWithTheFileNamedNeverASignal) {
    fill(5000);
    const auto size = std::filesystem::file_size(data_file());
    // Pages 0 and 1 are LMDB's meta pages; damage the others in several ways.
    std::mt19937_64 rng(7);
    for (int trial = 0; trial < 12; ++trial) {
        std::filesystem::remove_all(dir_);
        fill(5000);
        {
            std::fstream f(data_file(), std::ios::in | std::ios::out | std::ios::binary);
            const uint64_t pages = size / 4096;
            const uint64_t page = 2 + rng() % (pages - 2);
            std::string junk(trial % 3 == 0 ? 4096 : 64, '\0');
            for (char& c : junk)
                c = trial % 3 == 1 ? '\0' : static_cast<char>(rng());
            f.seekp(static_cast<std::streamoff>(page * 4096 + (trial % 3 == 2 ? 16 : 0)));
            f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
        const Outcome out = open_in_child(dir_);
        ASSERT_TRUE(out.exited) << "trial " << trial << ": killed by signal " << out.status << "\n"
                                << out.output;
        // A damaged page may be a free one (nothing to find): then everything reads back.
        if (out.status != 0) {
            EXPECT_EQ(out.status, 1) << out.output;
            EXPECT_NE(out.output.find(data_file().string()), std::string::npos) << out.output;
            EXPECT_NE(out.output.find("corrupted"), std::string::npos) << out.output;
        }
    }
}

TEST_F(DatabaseFiles, TheMessageOfADamagedTableNamesTheFileAndTheCause) {
    fill(5000);
    // The page after the meta pages holds entries of the table in a database this fresh; zero
    // bytes are no valid page.
    {
        std::fstream f(data_file(), std::ios::in | std::ios::out | std::ios::binary);
        const std::string zeros(4096 * 8, '\0');
        f.seekp(2 * 4096);
        f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
    const Outcome out = open_in_child(dir_);
    ASSERT_TRUE(out.exited) << "killed by signal " << out.status;
    EXPECT_EQ(out.status, 1);
    EXPECT_NE(out.output.find(data_file().string() + " is corrupted ("), std::string::npos)
        << out.output;
}

TEST(Database, ADamagedDatabaseRefusesWritesButStillServesReads) {
    auto db = Database::open({.durable = false}, kTables);
    ASSERT_TRUE(db.has_value()) << db.error();
    const Table t = (*db)->table("t");
    {
        auto txn = (*db)->write();
        txn.put(t, bytes{1}, bytes{2});
        txn.commit();
    }
    EXPECT_FALSE((*db)->failure().has_value());
    const DatabaseError error = (*db)->corrupted("a record does not decode");
    EXPECT_EQ(error.kind(), DatabaseError::Kind::Corrupted);
    try {
        auto txn = (*db)->write();
        FAIL() << "a write transaction began on a damaged database";
    } catch (const DatabaseError& e) {
        EXPECT_EQ(e.kind(), DatabaseError::Kind::Corrupted);
        EXPECT_NE(std::string(e.what()).find("a record does not decode"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("refuses writes"), std::string::npos);
    }
    auto txn = (*db)->read();
    EXPECT_EQ(txn.get(t, bytes{1}), bytes_view(bytes{2}));
}

TEST_F(DatabaseFiles, AFailedWriteIsAnErrorValueAndLeavesTheCommittedDataAndLaterWrites) {
    // A map of 1 MiB: a 2 MiB write cannot fit (as on a full disk).
    const Database::Options options{.dir = dir_, .map_size = size_t{1} << 20};
    auto db = Database::open(options, kTables);
    ASSERT_TRUE(db.has_value()) << db.error();
    const Table t = (*db)->table("t");
    {
        auto txn = (*db)->write();
        txn.put(t, bytes{1}, bytes{2});
        txn.commit();
    }
    try {
        auto txn = (*db)->write();
        txn.put(t, bytes{3}, bytes(size_t{2} << 20, 0xab));
        txn.commit();
        FAIL() << "2 MiB fit in a 1 MiB map";
    } catch (const DatabaseError& e) {
        EXPECT_EQ(e.kind(), DatabaseError::Kind::Io);
        EXPECT_NE(std::string(e.what()).find("cannot write " + data_file().string()),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("nothing was committed"), std::string::npos);
    }
    EXPECT_FALSE((*db)->failure().has_value());  // a full disk is not damage
    {
        auto txn = (*db)->write();
        txn.put(t, bytes{4}, bytes{5});
        txn.commit();
    }
    auto txn = (*db)->read();
    EXPECT_EQ(txn.get(t, bytes{1}), bytes_view(bytes{2}));
    EXPECT_FALSE(txn.get(t, bytes{3}).has_value());
    EXPECT_EQ(txn.get(t, bytes{4}), bytes_view(bytes{5}));
}

TEST_F(DatabaseFiles, AnIntactDatabaseReopensWithItsData) {
    fill(5000);
    const Outcome out = open_in_child(dir_);
    ASSERT_TRUE(out.exited);
    EXPECT_EQ(out.status, 0) << out.output;
}
