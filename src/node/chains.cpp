#include "node/chains.hpp"

#include "chain/simulation.hpp"
#include "common/keccak.hpp"
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
    return call_with_gas(chain_id, to, std::move(data), block, UINT64_MAX);
}

std::expected<bytes, engine::CallError> ChainRouter::call_with_gas(uint64_t chain_id,
                                                                   const address& to, bytes data,
                                                                   std::optional<uint64_t> block,
                                                                   uint64_t gas) {
    if (auto it = embedded_.find(chain_id); it != embedded_.end()) {
        chain::Chain& c = *it->second;
        auto reader = c.reader();
        const uint64_t number = block.value_or(reader.head());
        if (number > reader.head())
            return std::unexpected(engine::CallError{
                "block " + std::to_string(number) + " is not on chain " + std::to_string(chain_id) +
                    " yet (head " + std::to_string(reader.head()) + ")",
                std::nullopt, true});
        auto view = reader.state_at(number);
        state::State st(*view);
        chain::CallRequest request;
        request.to = to;
        request.data = std::move(data);
        auto out = chain::simulate_call(
            st, c.config().revision, chain::block_info(*reader.header(number), chain_id), request,
            std::min(gas, c.config().call_gas_cap), c.analysis_cache(), reader.block_hashes());
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
            std::nullopt, true});
    rpc::json call = {{"to", to_hex(to)}, {"data", to_hex(data)}};
    if (gas != UINT64_MAX) call["gas"] = rpc::to_quantity(gas);
    auto result = it->second->call(
        "eth_call", rpc::json::array(
                        {call, block ? rpc::json(rpc::to_quantity(*block)) : rpc::json("latest")}));
    if (!result) {
        // geth answers a revert with code 3 and the data as a string; Hardhat with -32603 and
        // {message, data}.
        const rpc::RpcError& e = result.error();
        const rpc::json* data = e.data ? &*e.data : nullptr;
        if (data && data->is_object() && data->contains("data")) data = &(*data)["data"];
        if (data && data->is_string() &&
            (e.code == rpc::code::kExecutionReverted ||
             e.message.find("revert") != std::string::npos))
            if (auto revert = from_hex(data->get<std::string>()))
                return std::unexpected(engine::CallError{"execution reverted", std::move(*revert)});
        // Hardhat reports a call that ran out of gas as an error too; a transport failure comes
        // from our client as an internal error naming the URL.
        return std::unexpected(
            engine::CallError{"chain " + std::to_string(chain_id) + " upstream: " + e.message,
                              std::nullopt, e.code == rpc::code::kInternalError});
    }
    if (!result->is_string())
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " upstream: eth_call result is not hex",
            std::nullopt, true});
    auto out = from_hex(result->get<std::string>());
    if (!out)
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " upstream: eth_call result is not hex",
            std::nullopt, true});
    return std::move(*out);
}

std::expected<engine::BlockRef, engine::CallError> ChainRouter::head(uint64_t chain_id) {
    if (auto it = embedded_.find(chain_id); it != embedded_.end()) {
        auto reader = it->second->reader();
        const uint64_t head = reader.head();
        const auto header = reader.header(head);
        // The head's state takes dev edits (anvil_setStorageAt, ...) without a new block.
        bytes id(reader.hash(head).value_or(hash256{}).view());
        id += uint256(reader.state_version()).to_bytes32().view();
        return engine::BlockRef{head, header ? header->timestamp : 0, keccak256(id),
                                reader.hash(head).value_or(hash256{})};
    }
    auto it = upstream_.find(chain_id);
    const auto upstream_error = [chain_id](const std::string& why) {
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " upstream: " + why, std::nullopt, true});
    };
    if (it == upstream_.end())
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " is neither served nor reachable by this node",
            std::nullopt, true});
    auto block = it->second->call("eth_getBlockByNumber", rpc::json::array({"latest", false}));
    if (!block) return upstream_error(block.error().message);
    if (!block->is_object()) return upstream_error("eth_getBlockByNumber returned no block");
    auto number = rpc::parse_u64(block->value("number", rpc::json()));
    auto timestamp = rpc::parse_u64(block->value("timestamp", rpc::json()));
    auto hash = rpc::parse_data(block->value("hash", rpc::json()));
    if (!number || !timestamp || !hash || hash->size() != 32)
        return upstream_error("eth_getBlockByNumber: the block has no number, timestamp or hash");
    // An upstream node's head may take dev edits too (hardhat_setStorageAt): its reads are keyed
    // by the block hash alone, so such edits show from the next block on.
    return engine::BlockRef{*number, *timestamp, hash256::from_view(*hash),
                            hash256::from_view(*hash)};
}

std::expected<engine::BlockRef, engine::CallError> ChainRouter::block_at(uint64_t chain_id,
                                                                         uint64_t number) {
    if (auto it = embedded_.find(chain_id); it != embedded_.end()) {
        auto reader = it->second->reader();
        const auto hash = reader.hash(number);
        const auto header = reader.header(number);
        if (!hash || !header)
            return std::unexpected(engine::CallError{
                "chain " + std::to_string(chain_id) + " has no block " + std::to_string(number),
                std::nullopt, true});
        return engine::BlockRef{number, header->timestamp, hash256{}, *hash};
    }
    auto it = upstream_.find(chain_id);
    if (it == upstream_.end())
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " is neither served nor reachable by this node",
            std::nullopt, true});
    const auto upstream_error = [chain_id](const std::string& why) {
        return std::unexpected(engine::CallError{
            "chain " + std::to_string(chain_id) + " upstream: " + why, std::nullopt, true});
    };
    auto block = it->second->call("eth_getBlockByNumber",
                                  rpc::json::array({rpc::to_quantity(number), false}));
    if (!block) return upstream_error(block.error().message);
    if (!block->is_object())
        return upstream_error("no block " + std::to_string(number) + " (eth_getBlockByNumber)");
    auto timestamp = rpc::parse_u64(block->value("timestamp", rpc::json()));
    auto hash = rpc::parse_data(block->value("hash", rpc::json()));
    if (!timestamp || !hash || hash->size() != 32)
        return upstream_error("eth_getBlockByNumber: the block has no timestamp or hash");
    return engine::BlockRef{number, *timestamp, hash256{}, hash256::from_view(*hash)};
}

}  // namespace krnl::node
