// The node's side of anvil_reset / hardhat_reset / anvil_setRpcUrl for one chain: its
// ForkSource (which the chain reads through, installed or not) and the fork it started with.
#pragma once

#include <mutex>

#include "node/fork_source.hpp"
#include "rpc/fork_control.hpp"

namespace krnl::node {

class ChainForkControl final : public rpc::ForkControl {
public:
    // `source` must outlive this and the chain; it holds the upstream the chain started with, or
    // none for a chain started as its own.
    explicit ChainForkControl(ForkSource& source);

    rpc::Result<void> reset_to_start(chain::Chain& chain) override;
    rpc::Result<void> reset_to_fork(chain::Chain& chain, const std::string& url,
                                    std::optional<uint64_t> block) override;
    rpc::Result<void> set_url(const std::string& url) override;
    std::optional<std::string> url() const override;
    rpc::Result<rpc::json> account_proof(const address& addr, const rpc::json& keys) const override;
    rpc::Result<rpc::json> historic(const std::string& method,
                                    const rpc::json& params) const override;

private:
    // Installs `upstream` (null: none) and resets `chain` onto it; on an error puts the previous
    // upstream back, so the chain and its reads are as they were.
    rpc::Result<void> switch_to(chain::Chain& chain,
                                std::shared_ptr<const ForkSource::Upstream> upstream);

    ForkSource& source_;
    const std::shared_ptr<const ForkSource::Upstream> start_;
    std::mutex mutex_;  // one reset at a time
};

}  // namespace krnl::node
