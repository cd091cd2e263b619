// The blob parameters of a block (EIP-4844, EIP-7691, EIP-7840): its target and maximum blob count
// and the blob base fee's update fraction. A revision has defaults; a chain's blob schedule may
// override them from a timestamp on (EIP-7892's blob-parameter-only forks), so block execution
// takes them beside the revision.
#pragma once

#include <cstdint>

#include "evm/revision.hpp"

namespace krnl::chain {

struct BlobParams {
    uint64_t target_blobs = 0;
    uint64_t max_blobs = 0;
    uint64_t base_fee_update_fraction = 0;
    bool operator==(const BlobParams&) const = default;
};

// Mainnet's parameters at `rev`: Cancun 3/6 (EIP-4844), Prague and Osaka 6/9 (EIP-7691); none
// before Cancun.
constexpr BlobParams default_blob_params(evm::Revision rev) {
    if (rev >= evm::Revision::Prague) return {6, 9, 5007716};
    if (rev >= evm::Revision::Cancun) return {3, 6, 3338477};
    return {};
}

}  // namespace krnl::chain
