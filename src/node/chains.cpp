#include "node/chains.hpp"

#include "chain/simulation.hpp"
#include "rpc/params.hpp"

namespace krnl::node {

void ChainRouter::add_embedded(chain::Chain& chain) {
    embedded_[chain.config().chain_id] = &chain;
}

void ChainRouter::add_upstream(uint64_t chain_id, const std::string& url) {
    upstream_[chain_id] = std::make_unique<rpc::Client>(url, std::chrono::seconds(10));
}

std::expected<bytes, engine::CallError> ChainRouter::call(uint64_t chain_id, const address& to,
                                                          bytes data,
                                                          std::optional<uint64_t> block) {
    if (auto it = embedded_.find(chain_id); it != embedded_.end()) {
        chain::Chain& c = *it->second;
        auto reader = c.reader();
        const uint64_t number = block.value_or(reader.head());
        if (number > reader.head())
            return std::unexpected(engine::CallError{
                "block " + std::to_string(number) + " is not on chain " + std::to_string(chain_id) +
                    " yet (head " + std::to_string(reader.head()) + ")",
                std::nullopt});
        auto view = reader.state_at(number);
        state::State st(*view);
        chain::CallRequest request;
        request.to = to;
        request.data = std::move(data);
        auto out = chain::simulate_call(
            st, c.config().revision, chain::block_info(*reader.header(number), chain_id), request,
            c.config().call_gas_cap, c.analysis_cache(), reader.block_hashes());
        if (!out) return std::unexpected(engine::CallError{out.error(), std::nullopt});
        if (out->status == evm::StatusCode::Revert)
            return std::unexpected(engine::CallError{"execution reverted", out->output});
        if (out->status != evm::StatusCode::Success)
            return std::unexpected(
                engine::CallError{"the call failed (out of gas or invalid code)", std::nullopt});
        return std::move(out->output);
    }
    auto it = upstream_.find(chain_id);
    if (it == upstream_.end())
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " is neither served nor reachable by this node",
            std::nullopt});
    const rpc::json call = {{"to", to_hex(to)}, {"data", to_hex(data)}};
    auto result = it->second->call(
        "eth_call", rpc::json::array(
                        {call, block ? rpc::json(rpc::to_quantity(*block)) : rpc::json("latest")}));
    if (!result) {
        const rpc::RpcError& e = result.error();
        if (e.code == rpc::code::kExecutionReverted && e.data && e.data->is_string())
            if (auto revert = from_hex(e.data->get<std::string>()))
                return std::unexpected(engine::CallError{"execution reverted", std::move(*revert)});
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " upstream: " + e.message, std::nullopt});
    }
    if (!result->is_string())
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " upstream: eth_call result is not hex",
            std::nullopt});
    auto out = from_hex(result->get<std::string>());
    if (!out)
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " upstream: eth_call result is not hex",
            std::nullopt});
    return std::move(*out);
}

}  // namespace krnl::node
