// krnl_dryRunKernel: one kernel spec run once on this node without registering it, so a kernel
// author can try a spec before paying to register it. It runs on the service's own runner, under
// the rules a registered kernel gets: the HTTP policy (engine.http_allowed_hosts, the node's own
// ports refused), per-kind timeouts, gas caps and response limits, and a slot of
// engine.max_requests_in_flight and of engine.max_kernels_in_flight (-33017 past either). Nothing
// is signed, and neither the registry, the vault nor fees are involved.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/kernel_spec.hpp"
#include "engine/request.hpp"

namespace krnl::engine {

// The canonical form of a spec a dry run accepts, at most (the registry bounds none, but a dry
// run is free for strangers: 24 KiB of evm-compute code is 48 KiB of hex).
inline constexpr size_t kMaxDryRunSpecBytes = 64 * 1024;

// What the spec's references resolve against. The defaults: the zero address, no call, no inputs.
struct DryRunContext {
    address sender;
    address app;
    // The app function's signature, its payload parameter last, and abi.encode of the arguments
    // before the payload: as in krnl_executeKernels' request. Empty: no call ($args[i] fail).
    std::string function;
    bytes args;
    std::vector<json> inputs;  // $input[i]: JSON literals ("$$..." for a string starting with '$')
};

struct DryRunResult {
    KernelKind kind = KernelKind::EvmRead;
    hash256 spec_hash;
    std::string canonical;
    bytes outputs;                        // abi.encode of the outputs, as in a response's result
    json decoded;                         // the outputs as JSON (abi_to_json); null on error
    std::map<uint64_t, uint64_t> blocks;  // what an evm-read kernel read (chain id -> number)
    uint64_t time_ms = 0;
    std::string error;  // empty on success
};

// The context argument of krnl_dryRunKernel: {sender?, app?, function?, args?, inputs?}.
// Errors are bad requests (-33006) naming the field.
ServiceResult<DryRunContext> dry_run_context_from_json(const json& value);

// {kind, specHash, canonical, outputs, decoded, blocks, timeMs, error?}
json dry_run_result_to_json(const DryRunResult& result);

}  // namespace krnl::engine
