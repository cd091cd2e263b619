// anvil's state files over RPC: anvil_dumpState hands out the latest state as gzip-compressed
// JSON in hex, anvil_loadState merges one (gzip or plain) into this chain (chain/state_dump.hpp).
#include "chain/gzip.hpp"
#include "chain/state_dump.hpp"
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {

// What anvil_loadState inflates to at most. A request body is far smaller (server.hpp's
// max_body_bytes), so this bounds only what gzip can expand it to.
constexpr size_t kMaxLoadStateBytes = size_t{64} << 20;

}  // namespace

void EthApi::register_state_file(MethodTable& m) {
    // Both walk the whole state (and loading may mine up to 10,000 blocks): on the pool, so that
    // no I/O thread, nor the connections it serves, waits for them.
    // [preserveHistoricalStates?]: anvil's flag; krnld keeps no historical states to add.
    m.add_blocking("anvil_dumpState", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (p.has(0) && !p.at(0).is_boolean())
            return std::unexpected(Params::invalid(0, "expected a boolean"));
        std::expected<json, std::string> state;
        try {
            state = chain::dump_state(chain_);
        } catch (const state::DatabaseError& e) {
            return error(code::kServerError, std::string("reading the state failed: ") + e.what());
        }
        if (!state) return error(code::kServerError, state.error());
        const std::string text = state->dump();
        auto zipped =
            chain::gzip_compress({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
        if (!zipped) return error(code::kServerError, zipped.error());
        return to_hex(*zipped);
    });
    // [state]: the hex of anvil's JSON, gzip-compressed or not.
    m.add_blocking("anvil_loadState", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(data, p.data(0));
        auto file = chain::parse_state_bytes(data, kMaxLoadStateBytes);
        if (!file) return std::unexpected(Params::invalid(0, file.error()));
        const uint64_t fill =
            std::min(chain::kMaxStateFillBlocks, options_.max_blocks_mined_per_request);
        auto loaded = chain::load_state(chain_, *file, fill);
        if (!loaded) return error(code::kServerError, loaded.error());
        return true;
    });
}

}  // namespace krnl::rpc
