// Runners: the code that executes one kernel of each kind behind one interface. A failing kernel is
// an outcome with an error (timeout, HTTP status, revert, bad input), never an exception.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/abi.hpp"
#include "engine/chain_access.hpp"
#include "engine/http_client.hpp"
#include "engine/kernel_spec.hpp"
#include "evm/analysis.hpp"
#include "evm/revision.hpp"

namespace krnl::engine {

struct TypedValue {
    abi::Type type;
    abi::Value value;
};

// A value a template reference stands for: a JSON literal (converted to the ABI type of the place
// it fills when it is used) or a typed ABI value (an argument of the call, another kernel's
// output).
using InputValue = std::variant<json, TypedValue>;

// What a kernel's templates resolve against.
struct KernelContext {
    address sender;
    address app;
    std::vector<TypedValue> args;    // $args[i]: the decoded arguments of the call being authorised
    std::vector<InputValue> inputs;  // $input[i]: the request's inputs for this kernel
    // The block each chain is read at when a spec names none (the request's pins).
    std::map<uint64_t, uint64_t> blocks;
};

// Template resolution (used by the runners; exposed for the orchestrator and tests).
// The value a reference stands for; $kernel references are resolved by the orchestrator, not here.
std::expected<InputValue, std::string> resolve_reference(const Reference& ref,
                                                         const KernelContext& ctx);
// An argument template as a value of `type`: a literal, a reference, or an array of them.
std::expected<abi::Value, std::string> resolve_arg(const abi::Type& type, const json& arg,
                                                   const KernelContext& ctx);
// A text template with "{{ref}}" placeholders; each value's text is percent-encoded when
// `url_encode` (for URLs), else inserted as it is (header values: control characters refused).
std::expected<std::string, std::string> interpolate(std::string_view text, const KernelContext& ctx,
                                                    bool url_encode);
// An HTTP body template: strings that are exactly a reference become the value's JSON form, other
// strings are interpolated.
std::expected<json, std::string> resolve_body(const json& body, const KernelContext& ctx);
// The value at a JSON path of `document`; nullptr when the path does not exist.
const json* find_json_path(const json& document, const JsonPath& path,
                           std::string* pointer = nullptr);

struct KernelOutcome {
    bytes abi_result;       // abi.encode of the output values; empty on error
    abi::ValueList values;  // the output values (for kernels that depend on this one)
    std::string error;      // empty on success
    std::chrono::microseconds elapsed{0};

    bool ok() const { return error.empty(); }
};

struct RunnerOptions {
    HttpPolicy http;
    // Fixed, not the home chain's: every node of a quorum must compute the same bytes.
    evm::Revision compute_revision = evm::Revision::Osaka;
};

// The sandbox of evm-compute: the code runs at this address, called by kComputeCaller.
inline constexpr address kComputeAddress{
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xde}};
inline constexpr address kComputeCaller{
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xca, 0x11}};

class KernelRunner {
public:
    // `chains` serves evm-read kernels (may be null: they then fail with "no chain access").
    KernelRunner(std::shared_ptr<ChainAccess> chains, RunnerOptions options = {});

    // Runs one kernel. Never throws. `deadline` bounds http kernels (together with the spec's own
    // timeoutMs) and is checked before evm kernels start; an evm-read call itself is bounded by its
    // ChainAccess, an evm-compute by its gas. Safe to call from several threads at once.
    KernelOutcome run(const KernelSpec& spec, const KernelContext& ctx,
                      std::chrono::steady_clock::time_point deadline) const noexcept;

    const RunnerOptions& options() const { return options_; }

private:
    std::expected<abi::ValueList, std::string> run_evm_read(const EvmReadSpec& spec,
                                                            const KernelContext& ctx) const;
    std::expected<abi::ValueList, std::string> run_http(
        const HttpSpec& spec, const KernelContext& ctx,
        std::chrono::steady_clock::time_point deadline) const;
    std::expected<abi::ValueList, std::string> run_evm_compute(const EvmComputeSpec& spec,
                                                               const KernelContext& ctx) const;

    std::shared_ptr<ChainAccess> chains_;
    RunnerOptions options_;
    mutable evm::AnalysisCache analysis_cache_{256};
};

// The reason text of a reverted call: the Error(string) message, the panic description, "custom
// error 0x<selector>" or "no reason".
std::string describe_revert(bytes_view revert_data);

}  // namespace krnl::engine
