// krnl-blocktest: runs official blockchain-test fixtures (BlockchainTests) on our chain code.
//   krnl-blocktest PATH... [--fork NETWORK] [--filter RE] [--jobs N] [--verbose]
// Prints each failure with its test name and first difference, and ends with
// "N passed, N failed, N skipped" (skipped = tests of other networks, malformed files).

#include <algorithm>
#include <atomic>
#include <iostream>
#include <regex>
#include <thread>

#include <pthread.h>

#include "blocktest.hpp"
#include "fixture_files.hpp"

namespace fs = std::filesystem;
using namespace krnl;

namespace {

struct FileReport {
    size_t passed = 0, failed = 0, other_network = 0, malformed = 0;
    std::string text;  // failure lines (and, verbose, every rejection), printed in file order
};

void usage() {
    std::cerr << "usage: krnl-blocktest PATH... [--fork NAME] [--filter REGEX] [--jobs N]\n"
                 "  PATH      a blockchain-test JSON file or a folder searched recursively\n"
                 "  --fork    run the tests of this network only (default Cancun); others are\n"
                 "            skipped. A fork (Paris .. Osaka, BPO1 ..) or a transition such as\n"
                 "            PragueToOsakaAtTime15k (the second fork from timestamp 15000)\n"
                 "  --filter  run only tests whose name matches the regular expression\n"
                 "  --jobs    worker threads (default: number of cores)\n"
                 "  --verbose print how each rejected block was rejected\n"
                 "Exit status: 0 when every test run passed and every file was read, else 1;\n"
                 "2 for a usage error.\n";
}

FileReport run_file(const fs::path& file, const std::string& fork,
                    const std::optional<std::regex>& filter, bool verbose,
                    evm::AnalysisCache& cache) {
    FileReport report;
    auto tests = blocktest::load_file(file);
    if (!tests) {
        report.malformed = 1;
        report.text = "MALFORMED " + file.string() + ": " + tests.error() + "\n";
        return report;
    }
    for (const blocktest::BlockchainTest& test : *tests) {
        if (filter && !std::regex_search(test.name, *filter)) continue;
        if (test.network != fork) {
            ++report.other_network;
            continue;
        }
        const std::string where = test.name + " (" + file.string() + ")";
        // Each test carries its own blob schedule in its config.
        const auto schedule = blocktest::fork_schedule(test.network, test.blob_schedule);
        if (!schedule) {
            ++report.failed;
            report.text += "FAIL " + where + ": " + schedule.error() + "\n";
            continue;
        }
        const blocktest::TestResult r = blocktest::run_test(test, *schedule, cache);
        if (verbose)
            for (const std::string& note : r.notes)
                report.text += "  " + where + ": " + note + "\n";
        switch (r.outcome) {
            case blocktest::Outcome::Passed:
                ++report.passed;
                break;
            case blocktest::Outcome::Failed:
                ++report.failed;
                report.text += "FAIL " + where + ": " + r.detail + "\n";
                break;
        }
    }
    return report;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<fs::path> inputs;
    std::string fork = "Cancun";
    std::optional<std::regex> filter;
    unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "krnl-blocktest: " << arg << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--fork") {
            fork = value();
        } else if (arg == "--filter") {
            try {
                filter.emplace(value());
            } catch (const std::regex_error& e) {
                std::cerr << "krnl-blocktest: bad --filter: " << e.what() << "\n";
                return 2;
            }
        } else if (arg == "--jobs") {
            jobs = static_cast<unsigned>(std::max(1, std::atoi(value().c_str())));
        } else if (arg == "--verbose" || arg == "-v") {
            verbose = true;
        } else if (arg == "-h" || arg == "--help") {
            usage();
            return 0;
        } else if (arg.starts_with("--")) {
            std::cerr << "krnl-blocktest: unknown option " << arg << "\n";
            usage();
            return 2;
        } else {
            inputs.emplace_back(arg);
        }
    }
    if (inputs.empty()) {
        usage();
        return 2;
    }
    // A BPO fork's parameters come from each test's blob schedule: give it one to check the name.
    const blocktest::BlobSchedule any_bpo = [] {
        blocktest::BlobSchedule s;
        for (int i = 1; i <= 9; ++i)
            s["BPO" + std::to_string(i)] = chain::default_blob_params(evm::Revision::Osaka);
        return s;
    }();
    if (const auto schedule = blocktest::fork_schedule(fork, any_bpo); !schedule) {
        std::cerr << "krnl-blocktest: " << schedule.error() << "\n";
        return 2;
    }

    std::vector<fs::path> files;
    for (const fs::path& p : inputs) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            const auto found = fixtures::json_files(p);
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(p, ec)) {
            files.push_back(p);
        } else {
            std::cerr << "krnl-blocktest: no such file or folder: " << p.string() << "\n";
            return 2;
        }
    }
    std::sort(files.begin(), files.end());

    std::vector<FileReport> reports(files.size());
    std::atomic<size_t> next{0};
    evm::AnalysisCache cache;
    auto worker = [&] {
        for (size_t i; (i = next.fetch_add(1)) < files.size();)
            reports[i] = run_file(files[i], fork, filter, verbose, cache);
    };
    // Workers run on threads with large stacks: a chain of 1024 nested calls recurses through the
    // interpreter once per level, which needs more than the default 8 MiB under the sanitizers.
    std::vector<pthread_t> threads;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, size_t{1} << 30);
    const size_t num_threads = std::max<size_t>(1, std::min<size_t>(jobs, files.size()));
    for (size_t t = 0; t < num_threads; ++t) {
        pthread_t thread;
        auto start = [](void* fn) -> void* {
            (*static_cast<decltype(worker)*>(fn))();
            return nullptr;
        };
        if (pthread_create(&thread, &attr, start, &worker) != 0) {
            std::cerr << "krnl-blocktest: cannot start a worker thread\n";
            return 2;
        }
        threads.push_back(thread);
    }
    pthread_attr_destroy(&attr);
    for (pthread_t t : threads)
        pthread_join(t, nullptr);

    size_t passed = 0, failed = 0, other_network = 0, malformed = 0;
    for (const FileReport& r : reports) {
        std::cout << r.text;
        passed += r.passed;
        failed += r.failed;
        other_network += r.other_network;
        malformed += r.malformed;
    }
    std::cout << files.size() << " files, network " << fork << ": " << other_network
              << " tests of other networks, " << malformed << " malformed files\n";
    std::cout << passed << " passed, " << failed << " failed, " << other_network + malformed
              << " skipped\n";
    return failed == 0 && malformed == 0 ? 0 : 1;
}
