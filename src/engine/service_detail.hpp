// What the service's two halves share (service.cpp executes, service_cosign.cpp asks and answers
// peers): the prepared form of a request and small helpers. Not part of the engine's interface.
#pragma once

#include <algorithm>
#include <chrono>

#include "engine/service.hpp"

namespace krnl::engine {

struct KrnlService::Prepared {
    BlockRef home;                        // every registry, vault and policy read is at this block
    std::map<uint64_t, uint64_t> blocks;  // and every evm-read kernel at its chain's pin
    Pins pins;                            // the same blocks with their hashes (for peers)
    address token_authority;
    address policy;
    uint64_t threshold = 1;
    bool signer_trusted = false;
    std::vector<KernelInfo> kernels;
    std::vector<std::shared_ptr<const KernelSpec>> specs;
    std::vector<TypedValue> args;
    fixed_bytes<4> selector;
    address sender;
    bytes encoded_args;
    Fees fees;
};

namespace detail {

inline std::unexpected<ServiceError> fail(int code, std::string message,
                                          std::optional<json> data = std::nullopt) {
    return std::unexpected(ServiceError{code, std::move(message), std::move(data)});
}

inline std::string dec(const uint256& v) {
    return to_string(v);
}

inline uint64_t unix_now() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

// The time attestations are dated by: the home chain's, which a devnet may have moved ahead.
inline uint64_t chain_now(const BlockRef& home) {
    return std::max(unix_now(), home.timestamp);
}

inline std::vector<KernelResponse> to_responses(const std::vector<KernelResult>& results) {
    std::vector<KernelResponse> out;
    for (const auto& r : results)
        out.push_back({r.kernel_id, r.result, r.err});
    return out;
}

inline std::string describe_response(const KernelResponse& r) {
    return r.err.empty() ? "result " + to_hex(r.result) : "error \"" + r.err + "\"";
}

// The fee an attestation valid until `expiry` must carry: the highest the registry may ask
// before then.
inline uint256 fee_until(const KernelInfo& k, uint64_t expiry) {
    if (k.fee_effective_at != 0 && k.fee_effective_at <= expiry)
        return std::max(k.fee, k.pending_fee);
    return k.fee;
}

}  // namespace detail
}  // namespace krnl::engine
