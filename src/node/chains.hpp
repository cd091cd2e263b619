// The chains kernels read, behind the engine's ChainAccess: the ones krnld serves (a view call on
// a committed snapshot, in process) and the ones it reaches upstream over JSON-RPC.
#pragma once

#include <map>
#include <memory>

#include "chain/chain.hpp"
#include "engine/chain_access.hpp"
#include "rpc/client.hpp"

namespace krnl::node {

class ChainRouter final : public engine::ChainAccess {
public:
    void add_embedded(chain::Chain& chain);
    void add_upstream(uint64_t chain_id, const std::string& url);

    std::expected<bytes, engine::CallError> call(uint64_t chain_id, const address& to, bytes data,
                                                 std::optional<uint64_t> block) override;
    std::expected<bytes, engine::CallError> call_with_gas(uint64_t chain_id, const address& to,
                                                          bytes data, std::optional<uint64_t> block,
                                                          uint64_t gas) override;
    std::expected<engine::BlockRef, engine::CallError> head(uint64_t chain_id) override;
    std::expected<engine::BlockRef, engine::CallError> block_at(uint64_t chain_id,
                                                                uint64_t number) override;
    bool reaches(uint64_t chain_id) const {
        return embedded_.contains(chain_id) || upstream_.contains(chain_id);
    }

private:
    std::map<uint64_t, chain::Chain*> embedded_;
    std::map<uint64_t, std::unique_ptr<rpc::Client>> upstream_;
};

}  // namespace krnl::node
