// Contracts every embedded chain has from genesis (the deterministic deployment proxy, the
// ERC-4337 EntryPoints, the account and its plugins), installed by replaying how they reach their
// canonical addresses on public networks, so those addresses hold here as well.
#pragma once

#include "chain/execution.hpp"

namespace krnl::chain {

struct Predeploy {
    std::string name;
    address expected_address;
    // Either a presigned transaction (Nick's method: no chain id, a signer nobody holds the key
    // of), replayed after funding its signer...
    std::optional<Transaction> presigned;
    uint256 funding;
    // ...or a CREATE2 through a deployer contract: calldata salt ‖ init code.
    address deployer;
    bytes32 salt;
    bytes init_code;
};

// Replays each predeploy in order on `state` (a genesis being built) and checks the contract
// landed at its expected address; an error names the predeploy.
std::expected<void, std::string> install_predeploys(state::State& state, evm::Revision rev,
                                                    uint64_t chain_id, uint64_t timestamp,
                                                    uint64_t gas_limit,
                                                    const std::vector<Predeploy>& predeploys,
                                                    evm::AnalysisCache& cache);

}  // namespace krnl::chain
