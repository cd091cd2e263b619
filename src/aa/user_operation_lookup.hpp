// Finding included user operations: eth_getUserOperationByHash and eth_getUserOperationReceipt for
// any op an EntryPoint executed on this chain, whoever bundled it. New blocks are indexed as they
// arrive (the EntryPoints' UserOperationEvents); an op missing from the index (mined before a
// restart) is searched in recent blocks, skipping those whose bloom rules it out.
#pragma once

#include <mutex>
#include <unordered_map>

#include "aa/user_operation_json.hpp"
#include "chain/chain.hpp"

namespace krnl::aa {

struct IncludedOp {
    uint64_t block_number = 0;
    uint64_t tx_index = 0;
    address entry_point;
};

class UserOperationLookup {
public:
    UserOperationLookup(chain::Chain& chain, uint64_t lookback_blocks)
        : chain_(chain), lookback_blocks_(lookback_blocks) {}

    // Indexes the UserOperationEvents of a new block.
    void on_block(const chain::BlockEvent& event);
    void clear();
    // Forgets where ops were included in block `first` and later (blocks removed from the head).
    void forget_from(uint64_t first);

    // null when the op is not (yet) in a block.
    json receipt(const hash256& op_hash);
    // The op, its EntryPoint and where it was included; null when not included.
    json by_hash(const hash256& op_hash);

private:
    std::optional<IncludedOp> find(const chain::ChainReader& reader, const hash256& op_hash);

    chain::Chain& chain_;
    const uint64_t lookback_blocks_;
    std::mutex mutex_;
    std::unordered_map<hash256, IncludedOp> index_;
};

// The ops of a handleOps call, from its calldata; nullopt when it is not one.
std::optional<std::vector<PackedUserOperation>> decode_handle_ops(bytes_view call_data);

}  // namespace krnl::aa
