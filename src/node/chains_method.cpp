#include "node/chains_method.hpp"

#include "rpc/params.hpp"

namespace krnl::node {

nlohmann::json chains_to_json(const std::vector<ServedChain>& chains) {
    nlohmann::json out = nlohmann::json::array();
    for (const ServedChain& c : chains) {
        const auto reader = c.chain->reader();
        const uint64_t head = reader.head();
        const auto header = reader.header(head);
        out.push_back({{"chainId", rpc::to_quantity(c.chain_id)},
                       {"name", c.name},
                       {"port", c.port},
                       {"head", rpc::to_quantity(head)},
                       {"timestamp", rpc::to_quantity(header ? header->timestamp : 0)}});
    }
    return out;
}

void register_chains_method(rpc::MethodTable& methods, std::vector<ServedChain> chains) {
    methods.add("krnl_chains",
                [chains = std::move(chains)](const nlohmann::json& params,
                                             rpc::CallContext&) -> rpc::Result<nlohmann::json> {
                    rpc::Params p(params);
                    if (auto r = p.at_most(0); !r) return std::unexpected(r.error());
                    return chains_to_json(chains);
                });
}

}  // namespace krnl::node
