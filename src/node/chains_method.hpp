// krnl_chains []: the chains this node serves, each with its port and head, on every chain's port.
// The dashboard lists them from it (so a page served by one chain's port shows all three chains
// without connecting to the others: its Content-Security-Policy allows its own origin only).
//   -> [{chainId, name, port, head, timestamp}]  (quantities, except port; timestamp of the head)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::node {

struct ServedChain {
    uint64_t chain_id = 0;
    std::string name;
    uint16_t port = 0;
    const chain::Chain* chain = nullptr;  // outlives the method table
};

nlohmann::json chains_to_json(const std::vector<ServedChain>& chains);
void register_chains_method(rpc::MethodTable& methods, std::vector<ServedChain> chains);

}  // namespace krnl::node
