// Fork mode: the state of another node at one block (the fork block), read lazily when a key is
// absent locally. The state layer does no network I/O: it only calls this interface, which a
// higher layer implements (src/node/fork_source.*) over JSON-RPC with its own cache and bounds.
#pragma once

#include <optional>
#include <span>

#include "state/database.hpp"
#include "state/state.hpp"

namespace krnl::state {

// The upstream could not answer (unreachable, timed out, malformed reply) after its retries. A
// kind of storage failure: the operation it interrupts is abandoned and nothing is committed,
// exactly as for a failing disk, and a later attempt may succeed.
class RemoteStateError : public DatabaseError {
public:
    explicit RemoteStateError(const std::string& message) : DatabaseError(message, Kind::Io) {}
};

class RemoteSource {
public:
    virtual ~RemoteSource() = default;
    // All at the fork block. `has_storage` is whether the upstream's storage root is non-empty.
    // Throw RemoteStateError when the upstream cannot answer.
    virtual std::optional<AccountInfo> account(const address& addr) const = 0;
    virtual uint256 storage(const address& addr, const uint256& key) const = 0;
    // Code of an account already read with account(): an implementation keys it by hash.
    virtual bytes code(const hash256& code_hash) const = 0;
    // The hash of upstream block `number` (at most the fork block).
    virtual std::optional<hash256> block_hash(uint64_t number) const = 0;
    // A hint that these accounts are about to be read: fetch them in one round trip.
    virtual void prefetch(std::span<const address> addrs) const { (void)addrs; }
    virtual uint64_t fork_block() const = 0;
};

}  // namespace krnl::state
