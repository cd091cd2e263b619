// krnl-bench: the evm-benchmarks inputs (state-test format, labelled inputs) on our interpreter.
// For every labelled input: gas used, code analysis time, execution time and Mgas/s, as evmone
// reports them (analysis timed apart from execution); then the geometric mean over the main set.
//
//   krnl-bench [--filter RE] [--min-time SECONDS] [DIR...]

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <regex>

#include "evm/interpreter.hpp"
#include "fixture_files.hpp"
#include "statetest.hpp"

namespace fs = std::filesystem;
using namespace krnl;
// CPU time of this thread: stable when the machine runs other work, and the quantity that matters.
struct Clock {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<Clock, duration>;
    static time_point now() {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point(duration(int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
    }
};

namespace {

// evmone's baseline interpreter (v0.23, GCC 12, -O3) on a machine of this kind, execution only,
// as the foundation issue states them. Reference figures, not measured by this program.
const std::map<std::string, double> kEvmoneReference = {
    {"snailtracer/benchmark", 9100}, {"sha1_divs/5311", 1000}, {"weierstrudel/15", 430}};
constexpr double kEvmoneGeomeanReference = 1850;
constexpr int kMainInputs = 14;  // the set the reference geometric mean is taken over

struct Measurement {
    std::string name;
    int64_t gas_used = 0;
    double analysis_us = 0;
    double exec_us = 0;
    double mgas_per_s() const { return exec_us > 0 ? gas_used / exec_us : 0; }
};

template <typename F>
double time_per_call_us(F&& f, double min_seconds) {
    // Warm up once, then time batches that double in length until one lasts min_seconds / 4 and
    // the total min_seconds; reading the clock per call would cost more than a short input.
    f();
    size_t batch = 1, calls = 0;
    double total = 0;
    while (total < min_seconds) {
        const auto start = Clock::now();
        for (size_t i = 0; i < batch; ++i)
            f();
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        total += seconds;
        calls += batch;
        if (seconds < min_seconds / 4) batch *= 2;
    }
    return total * 1e6 / double(calls);
}

std::optional<Measurement> bench_input(const statetest::StateTest& test, size_t data_index,
                                       const std::string& name, double min_seconds) {
    const statetest::TxTemplate& t = test.tx;
    if (!t.base.to) return std::nullopt;
    state::State st = test.pre;
    const state::Account* target = st.find(*t.base.to);
    if (target == nullptr || target->code.empty()) return std::nullopt;
    const bytes code = target->code;

    evm::TxContext ctx;
    ctx.gas_price = t.base.max_fee_per_gas;
    ctx.origin = t.sender;
    ctx.coinbase = test.block.coinbase;
    ctx.number = test.block.number;
    ctx.timestamp = test.block.timestamp;
    ctx.gas_limit = test.block.gas_limit;
    ctx.prev_randao = test.block.prev_randao;
    ctx.chain_id = test.block.chain_id;
    ctx.base_fee = test.block.base_fee;
    evm::AnalysisCache cache;
    chain::Host host(st, evm::Revision::Cancun, ctx, cache, statetest::test_block_hash);

    evm::Message msg;
    msg.kind = evm::CallKind::Call;
    msg.gas = static_cast<int64_t>(t.gas_limits.at(0));
    msg.sender = t.sender;
    msg.recipient = msg.code_address = *t.base.to;
    msg.input = t.data.at(data_index);

    Measurement m;
    m.name = name;
    m.analysis_us = time_per_call_us([&] { evm::CodeAnalysis a(code); }, min_seconds / 10);
    const evm::CodeAnalysis analysis(code);
    const auto checkpoint = st.checkpoint();
    auto run_once = [&] {
        evm::Result r = evm::execute(host, evm::Revision::Cancun, msg, analysis);
        st.rollback(checkpoint);
        return r;
    };
    const evm::Result first = run_once();
    if (first.status != evm::StatusCode::Success) {
        std::cerr << name << ": execution failed: " << evm::status_name(first.status) << "\n";
        return std::nullopt;
    }
    m.gas_used = msg.gas - first.gas_left;
    m.exec_us = time_per_call_us(run_once, min_seconds);
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<std::regex> filter;
    double min_seconds = 0.5;
    std::vector<fs::path> dirs;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--filter" && i + 1 < argc)
            filter.emplace(argv[++i]);
        else if (arg == "--min-time" && i + 1 < argc)
            min_seconds = std::atof(argv[++i]);
        else if (arg.starts_with("--")) {
            std::cerr << "usage: krnl-bench [--filter RE] [--min-time SECONDS] [DIR...]\n";
            return 2;
        } else
            dirs.emplace_back(arg);
    }
    if (dirs.empty()) {
        const fs::path root = fs::path(KRNL_FIXTURES) / "evm-benchmarks" / "benchmarks";
        dirs = {root / "main", root / "micro"};
    }

    std::printf("%-40s %12s %12s %14s %10s %12s\n", "input", "gas used", "analysis us",
                "execution us", "Mgas/s", "vs evmone*");
    double log_sum = 0;
    int main_count = 0;
    for (const fs::path& dir : dirs) {
        const std::vector<fs::path> files = fixtures::json_files(dir);
        const std::string group = dir.filename().string();
        for (const fs::path& file : files) {
            // The fixtures carry London post states; the inputs are what matters here.
            auto tests = statetest::load_file(file, "London");
            if (!tests) {
                std::cerr << file.string() << ": " << tests.error() << "\n";
                continue;
            }
            for (const statetest::StateTest& test : *tests) {
                for (size_t i = 0; i < test.tx.data.size(); ++i) {
                    std::string label =
                        i < test.tx.data_labels.size() && !test.tx.data_labels[i].empty()
                            ? test.tx.data_labels[i]
                            : std::to_string(i);
                    const std::string name = test.name + "/" + label;
                    if (filter && !std::regex_search(group + "/" + name, *filter)) continue;
                    auto m = bench_input(test, i, name, min_seconds);
                    if (!m) continue;
                    std::string ratio = "";
                    if (auto it = kEvmoneReference.find(name); it != kEvmoneReference.end()) {
                        char buf[32];
                        std::snprintf(buf, sizeof buf, "%.2fx", m->mgas_per_s() / it->second);
                        ratio = buf;
                    }
                    std::printf("%-40s %12lld %12.2f %14.2f %10.1f %12s\n",
                                (group + "/" + name).c_str(), (long long)m->gas_used,
                                m->analysis_us, m->exec_us, m->mgas_per_s(), ratio.c_str());
                    std::fflush(stdout);
                    if (group == "main") {
                        log_sum += std::log(m->mgas_per_s());
                        ++main_count;
                    }
                }
            }
        }
    }
    std::printf(
        "* evmone baseline figures as the foundation issue states them (v0.23, GCC 12, -O3; "
        "geomean %.0f Mgas/s): a reference, not measured by this run\n",
        kEvmoneGeomeanReference);
    if (main_count > 0) {
        // The summary comes last, in the form tools and the issue expect.
        const double geomean = std::exp(log_sum / main_count);
        std::printf("main inputs: %d", main_count);
        if (main_count == kMainInputs)
            std::printf(", %.2fx the evmone reference", geomean / kEvmoneGeomeanReference);
        std::printf("\ngeometric mean (main): %.1f Mgas/s\n", geomean);
    }
    return 0;
}
