// The kernel service: what krnl_executeKernels does. It validates a request against the on-chain
// registry and vault of the node's home chain, runs the kernels, asks the app's policy, signs the
// attestation with the operator key and collects co-signatures from peer nodes.
//
// Registry reads are view calls through ChainAccess (`tokenAuthorityOf`, `appKernels`,
// `kernel(id)`, `kernelCount`), the deposit is `KrnlVault.depositOf(app)`, the policy is
// `TokenAuthority.policy()` then `IKrnlPolicy.evaluate` (a zero policy accepts everything).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/attestation.hpp"
#include "engine/chain_access.hpp"
#include "engine/execution_log.hpp"
#include "engine/in_flight.hpp"
#include "engine/orchestrator.hpp"
#include "engine/peer_protocol.hpp"
#include "engine/request.hpp"
#include "engine/runners.hpp"
#include "rpc/client.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::engine {

// A kernel as `kernel(uint256)` returns it.
struct KernelInfo {
    uint256 id;
    address owner;
    uint8_t kind = 0;
    bool active = false;
    uint256 fee;
    hash256 spec_hash;
    bytes spec;
    uint256 pending_fee;
    uint64_t fee_effective_at = 0;
    uint64_t deactivate_at = 0;
};

struct PeerOutcome {
    std::string url;
    std::optional<address> signer;  // set when the peer co-signed
    std::string error;              // why not, otherwise
};

struct ExecuteResult {
    std::vector<KernelResponse> responses;
    bytes payload;     // abi.encode(KrnlPayload)
    bytes signatures;  // the k signatures of the payload, signers ascending
    hash256 digest;
    std::vector<address> signers;         // ascending, as in the payload
    uint64_t threshold = 1;               // k of the app's token authority
    std::map<uint64_t, uint64_t> blocks;  // what every read of the request saw
    Fees fees;
    uint256 nonce;
    uint64_t expiry = 0;
    address token_authority;
    std::vector<uint64_t> kernel_ms;  // per kernel, request order
    uint64_t total_ms = 0;
    std::vector<PeerOutcome> peers;
};

struct CosignResult {
    address signer;
    bytes signature;
    hash256 digest;
};

struct Quote {
    Fees fees;
    uint256 total;
    uint64_t expiry = 0;  // of an attestation made now (shorter when a fee rises or a kernel goes)
};

struct NodeInfo {
    address signer;
    uint64_t home_chain_id = 0;
    address registry;
    address vault;
    std::string version;
    size_t peers = 0;
};

struct DryRunContext;
struct DryRunResult;

struct ServiceConfig {
    uint64_t home_chain_id = 0;
    address registry;
    address vault;
    bytes32 operator_key;
    std::vector<std::string> peers;  // JSON-RPC URLs of other nodes
    uint256 node_fee;                // wei per execution
    uint64_t attestation_lifetime_s = 300;
    // An attestation ends before a kernel's deactivation or fee rise takes effect, but lives at
    // least this long (a rise closer than this is charged at once; a deactivation refuses).
    uint64_t min_lifetime_s = 30;
    // How far the executing node's pins and request time may be from a peer's own view.
    PinWindow pin_window;
    // Unexpired (token authority, nonce) pairs a peer remembers having co-signed; past it, it
    // refuses to co-sign (-33018) rather than forget one.
    size_t max_cosign_nonces = 65'536;
    // Engine requests (krnl_* calls that read chains or run kernels) and kernels running at
    // once, this node's and its peers' together; past either, -33017. 0: unbounded.
    size_t max_requests_in_flight = 64;
    size_t max_kernels_in_flight = 256;
    RunnerOptions runner;
    OrchestratorOptions orchestrator;
    std::chrono::milliseconds peer_timeout{75'000};  // peers re-run the kernels
    // Executions krnl_recentExecutions keeps (engine/execution_log.hpp).
    size_t recent_executions = ExecutionLog::kDefaultCapacity;
    std::string version = "0.1.0";
};

class KrnlService {
public:
    // Fails for an invalid operator key.
    static std::expected<std::shared_ptr<KrnlService>, std::string> create(
        ServiceConfig config, std::shared_ptr<ChainAccess> chains);

    // Every execution, approved or not, is kept in executions() as well.
    ServiceResult<ExecuteResult> execute(const ExecuteRequest& request) const;
    // For peers: checks who asks (a signature by a signer of the app's token authority), the
    // pins and the request's time (within config().pin_window of this node's view), the node fee
    // (exactly this node's) and the nonce (never signed before while unexpired); then re-runs
    // the request at the pins and signs the attestation built from `responses` only if this
    // node's own responses are identical and its policy check passes.
    ServiceResult<CosignResult> cosign(const CosignRequest& request) const;
    // A slot for one engine request (krnl_quote, krnl_getKernel, ...; execute and cosign take
    // theirs), or -33017 when max_requests_in_flight are running.
    ServiceResult<InFlightLimit::Ticket> admit() const;
    // The fees an execution of `kernel_ids` for `app` would cost, without running anything.
    ServiceResult<Quote> quote(const address& app, const std::vector<uint256>& kernel_ids) const;
    ServiceResult<KernelInfo> kernel(const uint256& id,
                                     std::optional<uint64_t> block = std::nullopt) const;
    // Every kernel, by iterating ids 1..kernelCount() with kernel(id) (ChainAccess has no logs).
    ServiceResult<std::vector<KernelInfo>> list_kernels() const;
    NodeInfo node_info() const;
    // krnl_dryRunKernel (engine/dry_run.hpp): parses `spec` (-33006 naming the field) and runs it
    // once with this node's runner and bounds, unregistered and unsigned. A kernel that fails is
    // a result with an error.
    ServiceResult<DryRunResult> dry_run(const json& spec, const DryRunContext& context) const;

    const ServiceConfig& config() const { return config_; }
    const ExecutionLog& executions() const { return *executions_; }

private:
    KrnlService(ServiceConfig config, std::shared_ptr<ChainAccess> chains, address signer);

    struct Prepared;
    // execute, noting in `record` what the log keeps of it as it goes (kernels, policy).
    ServiceResult<ExecuteResult> execute_traced(const ExecuteRequest& request,
                                                ExecutionRecord& record) const;
    // Validates a request and reads what it needs from the registry, vault and token authority,
    // all at one block of the home chain. Peers take the executing node's pins from the request.
    ServiceResult<Prepared> prepare(const ExecuteRequest& request, bool pins_from_request) const;
    // The pins and the request's time of a co-sign request against this node's own chains.
    ServiceResult<void> check_pins(const CosignRequest& request) const;
    std::unexpected<ServiceError> busy_requests() const;
    ServiceResult<BlockRef> pin(uint64_t chain_id, const ExecuteRequest& request,
                                bool pins_from_request) const;
    ServiceResult<std::vector<KernelResult>> run(const Prepared& prepared,
                                                 const ExecuteRequest& request) const;
    ServiceResult<void> evaluate_policy(const Prepared& prepared,
                                        const std::vector<KernelResponse>& responses) const;
    ServiceResult<bytes> view(const address& to, bytes data,
                              std::optional<uint64_t> block = std::nullopt) const;
    // Whether the token authority counts `signer`'s signatures (isSigner), at `block`.
    ServiceResult<bool> is_trusted(const address& authority, const address& app,
                                   const address& signer, uint64_t block) const;

    // What the registry, vault and token authority say of one app at one block of the home
    // chain. Read once per block (keyed by BlockRef::state_id, so a reorged or reverted number is
    // not mistaken for it) and shared by every request at that block.
    struct AppView {
        address token_authority;
        std::vector<uint256> allowed;
        uint256 deposit;
        address policy;
        uint64_t threshold = 1;
        bool signer_trusted = false;  // this node's signer, by the token authority
    };
    ServiceResult<AppView> app_view(const address& app, const BlockRef& at) const;
    ServiceResult<KernelInfo> kernel_view(const uint256& id, const BlockRef& at) const;
    ServiceResult<std::shared_ptr<const KernelSpec>> spec_of(const KernelInfo& info) const;
    // Asks every peer to co-sign at once and adds the co-signatures of trusted signers to
    // `signatures` until it holds the threshold: an outcome per peer, in configuration order.
    std::vector<PeerOutcome> gather(const Prepared& prepared, const ExecuteRequest& request,
                                    const Attestation& attestation, const hash256& digest,
                                    std::vector<bytes>& signatures) const;

    ServiceConfig config_;
    std::shared_ptr<ChainAccess> chains_;
    address signer_;
    Orchestrator orchestrator_;
    std::vector<std::shared_ptr<rpc::Client>> peers_;
    std::shared_ptr<InFlightLimit> request_slots_;
    std::shared_ptr<InFlightLimit> kernel_slots_;
    mutable NonceSet nonces_;
    std::unique_ptr<ExecutionLog> executions_;
    struct ReadCache {
        hash256 state_id;  // of the home chain's block the entries were read at
        std::map<address, AppView> apps;
        std::map<uint256, KernelInfo> kernels;
    };
    mutable std::mutex cache_mutex_;
    mutable ReadCache cache_;
    mutable std::mutex spec_mutex_;
    mutable std::map<hash256, std::shared_ptr<const KernelSpec>> spec_cache_;
};

}  // namespace krnl::engine
