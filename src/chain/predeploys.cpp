#include "chain/predeploys.hpp"

#include "chain/simulation.hpp"
#include "chain/system_contracts.hpp"

namespace krnl::chain {

std::expected<void, std::string> install_predeploys(state::State& state, evm::Revision rev,
                                                    uint64_t chain_id, uint64_t timestamp,
                                                    uint64_t gas_limit,
                                                    const std::vector<Predeploy>& predeploys,
                                                    evm::AnalysisCache& cache) {
    BlockInfo block;
    block.timestamp = static_cast<int64_t>(timestamp);
    block.gas_limit = static_cast<int64_t>(gas_limit);
    block.chain_id = chain_id;  // base fee 0: the replay pays only what the transactions price
    for (const Predeploy& p : predeploys) {
        auto fail = [&](const std::string& why) {
            return std::unexpected("predeploy " + p.name + ": " + why);
        };
        if (const state::Account* existing = state.find(p.expected_address);
            existing != nullptr && !existing->code.empty())
            return fail("its address " + to_hex(p.expected_address) + " already has code");
        if (p.presigned) {
            const auto sender = recover_sender(*p.presigned);
            if (!sender) return fail("the presigned transaction has no valid signature");
            state.add_balance(*sender, p.funding);
            state.finalize_transaction(false);
            auto receipt = apply_transaction(state, rev, block, *p.presigned, *sender, cache);
            if (!receipt) return fail(std::string(tx_error_message(receipt.error())));
            if (receipt->status != evm::StatusCode::Success) return fail("the deployment failed");
        } else {
            CallRequest call;
            // Any account may call: a CREATE2 address does not depend on the caller. The system
            // address is the chain's own (EIP-4788 calls come from it too).
            call.from = kSystemAddress;
            call.to = p.deployer;
            call.data.assign(p.salt.view());
            call.data += p.init_code;
            auto out = simulate_call(state, rev, block, call, gas_limit, cache, {});
            if (!out) return fail(out.error());
            if (out->status != evm::StatusCode::Success) return fail("the deployment reverted");
        }
        const state::Account* deployed = state.find(p.expected_address);
        if (deployed == nullptr || deployed->code.empty())
            return fail("nothing was deployed at " + to_hex(p.expected_address));
    }
    return {};
}

}  // namespace krnl::chain
