// State files in anvil's format, so a file moves between krnld and anvil (anvil_dumpState,
// anvil_loadState, --dump-state, --load-state, --state). The JSON object:
//   block              the next block's environment: number, beneficiary, timestamp, gas_limit,
//                      basefee, difficulty, prevrandao, blob_excess_gas_and_price, slot_num
//   accounts           {address: {nonce, balance, code, storage: {slot: value}}}
//   best_block_number  the head block's number
//   blocks             anvil's block history; krnld writes its head block's header (anvil needs
//                      the block of best_block_number), with no transactions; skipped on load
//   transactions       anvil's mined transactions with traces; krnld writes none, skips them
// Loading merges the accounts into the latest state through the dev edits (balance, nonce, code,
// slots), moves block time forward to the file's and mines empty blocks up to its number.
#pragma once

#include <expected>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "chain/chain.hpp"

namespace krnl::chain {

// The largest state file, as JSON text, that krnld writes or reads (and inflates gzip to).
constexpr size_t kMaxStateFileBytes = size_t{256} << 20;
// At most this many empty blocks are mined to reach a loaded file's block number; a file further
// ahead of the chain loads its accounts and time only.
constexpr uint64_t kMaxStateFillBlocks = 10'000;

// The latest state (dev edits included) in anvil's shape. Refused when its JSON text would pass
// `max_bytes`, with the size reached. A storage failure throws state::DatabaseError.
std::expected<nlohmann::json, std::string> dump_state(const Chain& chain,
                                                      size_t max_bytes = kMaxStateFileBytes);

struct StateFile {
    struct Account {
        address addr;
        uint64_t nonce = 0;
        uint256 balance;
        bytes code;
        std::vector<std::pair<uint256, uint256>> storage;
    };
    std::vector<Account> accounts;
    std::optional<uint64_t> block_number;  // block.number, or best_block_number if larger
    std::optional<uint64_t> timestamp;     // block.timestamp
};

// Checks and reads a parsed state object; errors name the field ("accounts.0x…: balance …").
std::expected<StateFile, std::string> parse_state(const nlohmann::json& state);
// Parses a state file's bytes, plain JSON or gzip-compressed (inflated up to `max_bytes`).
std::expected<StateFile, std::string> parse_state_bytes(bytes_view data,
                                                        size_t max_bytes = kMaxStateFileBytes);

struct LoadResult {
    size_t accounts = 0;
    size_t slots = 0;
    uint64_t blocks_mined = 0;
};
// Applies a parsed state to the chain. Errors are storage or mining failures, with what was done.
std::expected<LoadResult, std::string> load_state(Chain& chain, const StateFile& state,
                                                  uint64_t max_fill_blocks = kMaxStateFillBlocks);

// --dump-state and --load-state: the file (or `<dir>/state.json` for a directory, as anvil does).
// Writing goes through a temporary file renamed over the target, so a crash leaves the old file.
std::expected<void, std::string> write_state_file(const Chain& chain,
                                                  const std::filesystem::path& path);
std::expected<LoadResult, std::string> load_state_file(Chain& chain,
                                                       const std::filesystem::path& path);

}  // namespace krnl::chain
