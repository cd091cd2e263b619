// Loading and running the official blockchain-test format (BlockchainTests): a genesis, a list of
// blocks as RLP (some of which must be rejected), the expected head and post-state.
#pragma once

#include <expected>
#include <filesystem>
#include <map>
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

// A fork by name: its revision and blob parameters. EIP-7892's blob-parameter-only forks
// (BPO1, BPO2, ...) keep Osaka's rules and change only the blob parameters.
struct Fork {
    std::string name;
    evm::Revision revision = evm::Revision::Cancun;
    chain::BlobParams blob;
};

// A fixture network: one fork, or a transition "<A>To<B>AtTime15k" from fork A to fork B at
// timestamp 15,000 (blocks with a timestamp of 15,000 or more run under B).
struct ForkSchedule {
    Fork before;
    std::optional<Fork> after;
    uint64_t transition_time = 0;

    const Fork& at(uint64_t timestamp) const {
        return after && timestamp >= transition_time ? *after : before;
    }
};

// The fixture config's "blobSchedule": blob parameters by fork name.
using BlobSchedule = std::map<std::string, chain::BlobParams>;

// The schedule of `network`. Each fork's blob parameters come from `blob_schedule` when it names
// the fork, else the revision's defaults (a BPO fork must be named there). Fails for a network
// this tool does not know, or one before Paris.
std::expected<ForkSchedule, std::string> fork_schedule(const std::string& network,
                                                       const BlobSchedule& blob_schedule = {});

struct BlockchainTest {
    std::string name;
    std::string network;
    BlobSchedule blob_schedule;
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

// Runs `test` under `schedule` (picking each block's fork by its timestamp) with chain id 1 and
// mainnet's deposit contract, as the fixtures are filled.
TestResult run_test(const BlockchainTest& test, const ForkSchedule& schedule,
                    evm::AnalysisCache& cache);

}  // namespace krnl::blocktest
