// Loading and running the official blockchain-test format (BlockchainTests): a genesis, a list of
// blocks as RLP (some of which must be rejected), the expected head and post-state.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chain/block_execution.hpp"
#include "state/state.hpp"

namespace krnl::blocktest {

struct BlockEntry {
    bytes rlp;  // empty with `rlp_invalid` when the fixture's hex is unusable
    bool rlp_invalid = false;
    std::string expected_exception;        // empty: the block must import
    std::optional<hash256> expected_hash;  // blockHeader.hash, given for valid blocks
};

struct BlockchainTest {
    std::string name;
    std::string network;
    state::State pre;
    bytes genesis_rlp;
    hash256 genesis_hash;  // genesisBlockHeader.hash
    std::vector<BlockEntry> blocks;
    hash256 last_block_hash;
    std::optional<state::State> post_state;
    std::optional<hash256> post_state_hash;
};

// Parses every test of a fixture file. Errors are messages naming what is wrong.
std::expected<std::vector<BlockchainTest>, std::string> load_file(
    const std::filesystem::path& file);

enum class Outcome { Passed, Failed };

struct TestResult {
    Outcome outcome = Outcome::Passed;
    std::string detail;              // the first failure
    std::vector<std::string> notes;  // per block: how each rejected block was rejected
};

// Runs `test` at `rev` with chain id 1 (the fixtures' chain).
TestResult run_test(const BlockchainTest& test, evm::Revision rev, evm::AnalysisCache& cache);

}  // namespace krnl::blocktest
