// EIP-7910's eth_config for one chain: the fork it runs, its blob schedule, fork id, precompiles
// and system contracts. A krnld chain runs one hardfork from genesis, so `current` is that fork
// (activation time 0, as the EIP says for a fork active at genesis) and `next` and `last` are null.
#pragma once

#include "chain/chain.hpp"
#include "rpc/eth_json.hpp"
#include "rpc/params.hpp"

namespace krnl::rpc {

// EIP-6122's FORK_HASH of a chain whose forks are all active at genesis: CRC32 of the genesis
// hash (forks at genesis are not folded in), as "0x" and 8 lowercase hex digits.
std::string fork_id(const hash256& genesis_hash);

// The configuration object of `rev` for chain `chain_id` (EIP-7910's field names).
json fork_config_json(evm::Revision rev, uint64_t chain_id, const hash256& genesis_hash);

// web3_clientVersion's answer: the node's version, then the fork in lower case
// ("krnld/v0.1.0/linux-x86_64/osaka"), so a glance tells what a chain runs.
std::string client_version_with_fork(const std::string& version, evm::Revision rev);

// eth_config's result: {current, next: null, last: null}.
json eth_config_json(evm::Revision rev, uint64_t chain_id, const hash256& genesis_hash);

}  // namespace krnl::rpc
