// What anvil_reset, hardhat_reset and anvil_setRpcUrl need from fork mode's upstream. The rpc
// layer does no upstream I/O of its own for a chain: the node owns the upstream (node::ForkSource)
// and implements this; the methods (eth_api_fork.cpp) parse, bound and report.
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "chain/chain.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

class ForkControl {
public:
    virtual ~ForkControl() = default;

    // Resets `chain` to what it was created as: the fork block it was started at (over the
    // upstream it was started with), or its genesis when it was not started as a fork.
    virtual Result<void> reset_to_start(chain::Chain& chain) = 0;
    // Resets `chain` to a fork of the node at `url` at `block` (its latest when nullopt), with
    // that node's chain id. The upstream is asked first: when it does not answer (-32010) or has
    // no such block (-32602), the chain is left as it was.
    virtual Result<void> reset_to_fork(chain::Chain& chain, const std::string& url,
                                       std::optional<uint64_t> block) = 0;
    // Lazy reads of the fork block go to `url` from now on (same chain, same block).
    virtual Result<void> set_url(const std::string& url) = 0;
    // The upstream read now, if `chain` is a fork.
    virtual std::optional<std::string> url() const = 0;
    // eth_getProof of an account the fork has not written: the upstream's proof at the fork
    // block (`keys` as the request gave them), or -32010 when it does not answer.
    virtual Result<json> account_proof(const address& addr, const json& keys) const = 0;
    // The upstream's answer to a historic read (eth_getBlockByNumber/ByHash,
    // eth_getTransactionByHash, eth_getTransactionReceipt with `params`), cached; -32010 when it
    // does not answer. The caller keeps only what is at or below the fork block.
    virtual Result<json> historic(const std::string& method, const json& params) const = 0;
};

}  // namespace krnl::rpc
