// The krnl_* JSON-RPC methods over a KrnlService:
//   krnl_executeKernels [request]       -> responses, payload, digest, signers, fees, ...
//   krnl_cosign [request, responses, nonce, expiry, nodeFee, {pins, timestamp, signature}]
//                                       -> {signer, signature, digest} (for peer nodes)
//   krnl_getKernel [id]                 -> {id, owner, kind, fee, active, spec, specHash}
//   krnl_listKernels []                 -> [kernel...] (ids 1..kernelCount() via kernel(id))
//   krnl_quote [app, [ids]]             -> {kernelIds, kernelFees, nodeFee, total}
//   krnl_nodeInfo []                    -> {signer, chainId, registry, vault, version}
//   krnl_recentExecutions [limit?]      -> [execution...], newest first (engine/execution_log.hpp)
//   krnl_dryRunKernel [spec, context?]  -> {kind, specHash, canonical, outputs, decoded, timeMs,
//                                          error?} (engine/dry_run.hpp)
// Errors carry the codes of engine::krnl_code (-33000 ...) or -32602 for malformed parameters.
#pragma once

#include <memory>

#include "engine/service.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::engine {

// Where krnl_cosign is served: a port that does not serve it answers -33019 naming where it is.
enum class Cosign { Served, NotServed };
void register_krnl_api(rpc::MethodTable& methods, std::shared_ptr<KrnlService> service,
                       Cosign cosign = Cosign::Served);
// A port for peers: krnl_cosign (and krnl_nodeInfo) only.
void register_peer_api(rpc::MethodTable& methods, std::shared_ptr<KrnlService> service);

// The JSON forms the methods answer with (exposed for the CLI and tests).
json kernel_to_json(const KernelInfo& k);
json execute_result_to_json(const ExecuteResult& r);

}  // namespace krnl::engine
