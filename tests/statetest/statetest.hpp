// Loading and running the official state-test format (GeneralStateTests, evm-benchmarks).
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "chain/execution.hpp"
#include "chain/transaction.hpp"
#include "state/state.hpp"

namespace krnl::statetest {

// One post-state expectation: which data/gas/value combination and what must come out.
struct Expectation {
    size_t data_index = 0, gas_index = 0, value_index = 0;
    hash256 state_root;
    hash256 logs_hash;
    std::string expected_exception;  // empty: the transaction must be valid
};

// The transaction section, with its lists of alternatives.
struct TxTemplate {
    chain::Transaction base;  // everything except data, gas limit, value and access list
    address sender;
    std::vector<bytes> data;
    std::vector<std::vector<chain::AccessListEntry>> access_lists;  // per data index, if any
    bool has_access_lists = false;
    std::vector<uint64_t> gas_limits;
    // nullopt: a value the fixture gives beyond 256 bits, which no transaction can encode.
    std::vector<std::optional<uint256>> values;
    std::vector<std::string> data_labels;  // ":label name" of each data entry, if given

    // nullopt when the selected combination cannot form a transaction (value over 256 bits).
    std::optional<chain::Transaction> build(const Expectation& e) const;
};

struct StateTest {
    std::string name;
    state::State pre;
    chain::BlockInfo block;
    TxTemplate tx;
    std::vector<Expectation> expectations;  // for the selected fork
};

// Parses every test in a fixture file, keeping the expectations of `fork`. Errors are messages.
std::expected<std::vector<StateTest>, std::string> load_file(const std::filesystem::path& file,
                                                             std::string_view fork);

// keccak of the RLP list of logs, as state tests record it.
hash256 logs_hash(const std::vector<chain::Log>& logs);

// BLOCKHASH in state tests: keccak256 of the decimal block number.
hash256 test_block_hash(int64_t number);

enum class Outcome { Passed, Failed };

struct VectorResult {
    Outcome outcome;
    std::string detail;  // the first difference, for failures
};

VectorResult run_vector(const StateTest& test, const Expectation& e, evm::Revision rev,
                        evm::AnalysisCache& cache, evm::Tracer* tracer = nullptr);

// Writes one EIP-3155 style JSON line per instruction (pc, op, gas, depth, stack) to `out`.
class JsonLineTracer : public evm::Tracer {
public:
    explicit JsonLineTracer(std::ostream& out) : out_(out) {}
    void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                 std::span<const uint256> stack, bytes_view memory) override;
    void on_exit(const evm::Result& result) override;

private:
    std::ostream& out_;
};

}  // namespace krnl::statetest
