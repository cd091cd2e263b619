// The orchestrator: runs the kernels of one request as a dependency graph. Every kernel whose
// inputs are ready starts at once on its own thread, each under its own timeout and all under the
// request's deadline; a kernel whose dependency failed is answered with an error naming it.
#pragma once

#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/in_flight.hpp"
#include "engine/runners.hpp"

namespace krnl::engine {

struct KernelCall {
    uint256 kernel_id;  // the registry's id, echoed in the response
    std::shared_ptr<const KernelSpec> spec;
    // The kernel's $input[i]: JSON literals ("$$..." for a literal string starting with '$'), or
    // one of the references "$sender", "$app", "$args[i]", "$kernel:<k>[<j>]" (output j of the
    // request's kernel at position k, which then runs first).
    std::vector<json> inputs;
};

struct ExecutionRequest {
    address app;
    address sender;
    std::vector<TypedValue> args;  // decoded arguments of the call being authorised
    std::vector<KernelCall> kernels;
    std::map<uint64_t, uint64_t> blocks;  // chain id -> the block evm-read kernels read
    // Slots the caller took, one per kernel: each is given back when its kernel ends (after the
    // request's deadline for a kernel still running then), or at once for a kernel never started.
    std::shared_ptr<InFlightLimit> slots;
};

struct KernelResult {
    uint256 kernel_id;
    bytes result;  // ABI-encoded outputs; empty when err is set
    std::string err;
    uint64_t ms = 0;
    abi::ValueList values;  // the decoded outputs (for policy evaluation)
};

struct OrchestratorOptions {
    // Each kernel, from its start (an http kernel: its spec's timeout if longer).
    std::chrono::milliseconds kernel_timeout{10'000};
    // The whole request: room for the longest http timeout a spec may name (60 s).
    std::chrono::milliseconds request_deadline{65'000};
    size_t max_kernels = 32;
    // Kernels running at once; 0: every ready kernel starts. 1 runs them one after another, in
    // request order (the serial baseline of the engine's benchmark).
    size_t max_parallel = 0;
};

// One kernel's dependencies (positions of kernels whose outputs it reads), or an error for
// unknown references, self references and cycles. Exposed for validation before execution.
std::expected<std::vector<std::vector<size_t>>, std::string> kernel_dependencies(
    const ExecutionRequest& request);

class Orchestrator {
public:
    explicit Orchestrator(std::shared_ptr<const KernelRunner> runner,
                          OrchestratorOptions options = {});

    // Validates the request (an error for a bad graph or reference, before anything runs) and
    // runs it: one result per kernel, in request order. Returns when every kernel finished or the
    // deadline passed (kernels still running are then answered "timed out" and left to finish
    // on their own threads, which own what they use).
    std::expected<std::vector<KernelResult>, std::string> execute(
        const ExecutionRequest& request) const;

private:
    std::shared_ptr<const KernelRunner> runner_;
    OrchestratorOptions options_;
};

// The decoded arguments of a call, from its signature and abi.encode(args) (the bytes argsHash is
// taken over), as $args[i] values.
std::expected<std::vector<TypedValue>, std::string> decode_call_args(std::string_view signature,
                                                                     bytes_view encoded_args);

}  // namespace krnl::engine
