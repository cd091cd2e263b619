#include "node/fork_control.hpp"

namespace krnl::node {

ChainForkControl::ChainForkControl(ForkSource& source)
    : source_(source), start_(source.upstream()) {}

rpc::Result<void> ChainForkControl::switch_to(
    chain::Chain& chain, std::shared_ptr<const ForkSource::Upstream> upstream) {
    std::optional<chain::ChainConfig::Fork> fork;
    std::optional<uint64_t> chain_id;
    if (upstream) {
        fork = chain::ChainConfig::Fork{&source_, upstream->header, upstream->hash};
        chain_id = upstream->chain_id;
    }
    // Installed before the reset: the new first block funds the dev accounts over the new
    // upstream's state, read through the source.
    auto previous = source_.install(upstream);
    if (auto r = chain.reset(std::move(fork), chain_id); !r) {
        source_.restore(std::move(previous));
        const bool upstream_failed = r.error().starts_with("fork upstream");
        return std::unexpected(rpc::RpcError{
            upstream_failed ? rpc::code::kUpstreamUnavailable : rpc::code::kInternalError,
            "reset failed, the chain is as it was: " + r.error()});
    }
    return {};
}

rpc::Result<void> ChainForkControl::reset_to_start(chain::Chain& chain) {
    std::lock_guard lock(mutex_);
    return switch_to(chain, start_);
}

rpc::Result<void> ChainForkControl::reset_to_fork(chain::Chain& chain, const std::string& url,
                                                  std::optional<uint64_t> block) {
    std::lock_guard lock(mutex_);
    auto upstream = ForkSource::connect(source_.options(), url, block);
    if (!upstream)
        return std::unexpected(rpc::RpcError{upstream.error().unreachable
                                                 ? rpc::code::kUpstreamUnavailable
                                                 : rpc::code::kInvalidParams,
                                             upstream.error().message});
    return switch_to(chain, std::move(*upstream));
}

rpc::Result<void> ChainForkControl::set_url(const std::string& url) {
    std::lock_guard lock(mutex_);
    if (auto r = source_.set_url(url); !r)
        return std::unexpected(rpc::RpcError{
            r.error().unreachable ? rpc::code::kUpstreamUnavailable : rpc::code::kInvalidParams,
            r.error().message});
    return {};
}

std::optional<std::string> ChainForkControl::url() const {
    auto up = source_.upstream();
    return up ? std::optional(up->url) : std::nullopt;
}

rpc::Result<rpc::json> ChainForkControl::account_proof(const address& addr,
                                                       const rpc::json& keys) const {
    try {
        return source_.proof(addr, keys);
    } catch (const state::RemoteStateError& e) {
        return std::unexpected(rpc::RpcError{rpc::code::kUpstreamUnavailable, e.what()});
    }
}

rpc::Result<rpc::json> ChainForkControl::historic(const std::string& method,
                                                  const rpc::json& params) const {
    try {
        return source_.historic(method, params);
    } catch (const state::RemoteStateError& e) {
        return std::unexpected(rpc::RpcError{rpc::code::kUpstreamUnavailable, e.what()});
    }
}

}  // namespace krnl::node
