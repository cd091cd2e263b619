// What a krnl_* request is: the error codes of the krnl_* methods, the execution request of
// krnl_executeKernels (also what a peer is asked to co-sign), and their JSON forms.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/attestation.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::engine {

using json = nlohmann::json;

// Error codes of the krnl_* methods (-33000 ... -33099). docs/krnl-rpc.md says what to do.
namespace krnl_code {
inline constexpr int kUnknownKernel = -33000;
inline constexpr int kKernelNotAllowed = -33001;
inline constexpr int kDepositTooLow = -33002;
inline constexpr int kPolicyRefused = -33003;
inline constexpr int kKernelFailed = -33004;  // a kernel marked `required` failed or timed out
inline constexpr int kAppNotRegistered = -33005;
inline constexpr int kBadRequest = -33006;
inline constexpr int kKernelInactive = -33007;
inline constexpr int kBadSpec = -33008;           // the registered spec does not parse
inline constexpr int kChainUnavailable = -33009;  // a registry/vault/policy read failed
inline constexpr int kResponsesDiffer = -33010;   // cosign: this node got other responses
inline constexpr int kQuorumNotReached = -33011;  // fewer signatures than the threshold k
inline constexpr int kSignerNotTrusted = -33012;  // this node is not a signer of the authority
// cosign: unsigned, badly signed, or signed by a node the app's authority does not trust
inline constexpr int kRequesterNotTrusted = -33013;
// cosign: a pin or the request's time outside this node's window (or a pin on another fork)
inline constexpr int kPinsOutsideWindow = -33014;
inline constexpr int kNonceReplayed = -33015;    // cosign: this nonce was signed already
inline constexpr int kNodeFeeMismatch = -33016;  // cosign: nodeFee is not this node's fee
// the engine's bound on requests or kernels in flight is reached: retry later
inline constexpr int kEngineBusy = -33017;
inline constexpr int kNonceSetFull = -33018;     // cosign: too many unexpired nonces held
inline constexpr int kCosignNotServed = -33019;  // krnl_cosign is served on the peer port only
}  // namespace krnl_code

using ServiceError = rpc::RpcError;
template <typename T>
using ServiceResult = std::expected<T, ServiceError>;

struct KernelRequest {
    uint256 id;
    std::vector<json> inputs;
    bool required = false;  // a failure of this kernel fails the request (-33004) before signing
};

// What the attestation authorises. `Payload`: a dApp function that takes the payload as its last
// parameter (KrnlConsumer); argsHash covers the arguments before it. `Call`: a smart account's
// call, checked by the KRNL validator (user operations); argsHash covers all its arguments, and
// only the node's bundler makes such requests (krnl_executeKernels refuses them).
enum class Binding : uint8_t { Payload, Call };

struct ExecuteRequest {
    address app;
    uint64_t chain_id = 0;  // the app's chain: must be the node's home chain
    address sender;
    std::string function;  // "trade(uint256,uint256)"
    bytes args;            // abi.encode of the arguments, without the payload
    std::vector<KernelRequest> kernels;
    // The block each chain is read at (chain id -> number). Set by a peer from the executing
    // node's pins; a client leaves it empty.
    std::map<uint64_t, uint64_t> blocks;
    Binding binding = Binding::Payload;
    // The attestation's nonce, set only by the node itself (a user operation's hash); otherwise
    // a random one. Never read from JSON: clients cannot choose it.
    std::optional<uint256> nonce;
};

// JSON forms shared by the service's peers and the RPC API.
// A kernel id: a quantity ("0x1") or a JSON integer.
std::expected<uint256, std::string> parse_kernel_id(const json& value);
json request_to_json(const ExecuteRequest& request);
json blocks_to_json(const std::map<uint64_t, uint64_t>& blocks);
ServiceResult<ExecuteRequest> request_from_json(const json& value);
json responses_to_json(const std::vector<KernelResponse>& responses);
ServiceResult<std::vector<KernelResponse>> responses_from_json(const json& value);

}  // namespace krnl::engine
