// How evm-read kernels reach a chain: a view call on a chain the node serves (in process) or
// reaches (JSON-RPC upstream). The node provides the implementations; tests use fakes.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "common/bytes.hpp"

namespace krnl::engine {

struct CallError {
    // What went wrong, for a person: "unknown chain 5", "upstream timed out", "execution reverted".
    std::string message;
    // Set when the call ran and reverted: the revert data (possibly empty), which the runner
    // decodes into a reason (Error(string), Panic(uint256) or a custom error selector).
    std::optional<bytes> revert_data;
    // Set when the chain could not be asked at all (unknown, unreachable, a malformed answer),
    // as opposed to a call that ran and failed.
    bool unreachable = false;
};

struct BlockRef {
    uint64_t number = 0;
    uint64_t timestamp = 0;
    // Identifies the state reads at this block see (its hash, and on a devnet whose head takes
    // dev edits, their version too): what caches of those reads are keyed by, as a number can be
    // reorged or reverted. Zero: unknown, never cached.
    hash256 state_id;
    // The block's hash (zero where unknown): what co-signing pins, so a peer on another fork
    // refuses rather than reads other state under the same number.
    hash256 hash;
};

class ChainAccess {
public:
    virtual ~ChainAccess() = default;
    // eth_call of `data` to `to` on `chain_id` at `block` (nullopt: the latest block), from the
    // zero address with no value. The return data on success. Called concurrently from several
    // kernel threads, so implementations must be thread-safe.
    virtual std::expected<bytes, CallError> call(uint64_t chain_id, const address& to, bytes data,
                                                 std::optional<uint64_t> block) = 0;
    // The same with at most `gas`: for calls into contracts a stranger chose (a user operation's
    // sender), which must not cost the node a whole eth_call's gas cap each. Chains that cannot
    // bound it run `call`.
    virtual std::expected<bytes, CallError> call_with_gas(uint64_t chain_id, const address& to,
                                                          bytes data, std::optional<uint64_t> block,
                                                          uint64_t gas) {
        (void)gas;
        return call(chain_id, to, std::move(data), block);
    }
    // The chain's latest block: the engine pins every read of one request to it, so the
    // registry, the kernels, the policy and any co-signing peer see the same state, and dates
    // attestations by the chain's clock (a devnet's time may run ahead of the wall clock).
    virtual std::expected<BlockRef, CallError> head(uint64_t chain_id) = 0;
    // The block `number` of the chain (its hash and timestamp; state_id may stay zero): how a
    // peer checks the executing node's pins. Chains that cannot say answer an error.
    virtual std::expected<BlockRef, CallError> block_at(uint64_t chain_id, uint64_t number) {
        return std::unexpected(CallError{"chain " + std::to_string(chain_id) + ": block " +
                                             std::to_string(number) + " cannot be looked up",
                                         std::nullopt, true});
    }
};

}  // namespace krnl::engine
