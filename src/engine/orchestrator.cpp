#include "engine/orchestrator.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/thread.hpp"
#include "engine/worker_pool.hpp"

namespace krnl::engine {

namespace {

using Error = std::unexpected<std::string>;
using Clock = std::chrono::steady_clock;

std::string kernel_name(const ExecutionRequest& request, size_t k) {
    return "kernel " + std::to_string(k) + " (id " + to_string(request.kernels[k].kernel_id) + ")";
}

enum class Phase { Waiting, Running, Done };

// Kernels of every request share one pool, never destroyed: a kernel still running after its
// request's deadline keeps its thread until it finishes on its own. The service bounds kernels in
// flight (engine.max_kernels_in_flight), so the maximum here is a backstop; idle threads end.
WorkerPool& kernel_threads() {
    static WorkerPool* pool = new WorkerPool(1024, std::chrono::seconds(5));
    return *pool;
}

// Everything the kernel threads touch; shared so threads still running after the deadline keep it
// alive.
struct Run {
    ExecutionRequest request;
    std::shared_ptr<const KernelRunner> runner;
    std::vector<std::vector<size_t>> deps;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Phase> phase;
    std::vector<KernelOutcome> outcomes;
    std::vector<Clock::time_point> started;
};

// The kernel's inputs with $kernel references replaced by the outputs they name. The caller holds
// the lock, and every dependency is Done without error.
std::vector<InputValue> kernel_inputs(const Run& run, size_t k) {
    std::vector<InputValue> inputs;
    for (const json& input : run.request.kernels[k].inputs) {
        if (input.is_string() && is_reference_text(input.get_ref<const std::string&>())) {
            const Reference ref = *parse_reference(input.get_ref<const std::string&>());
            switch (ref.kind) {
                case Reference::Kind::KernelOutput: {
                    const auto types = run.request.kernels[ref.index].spec->output_types();
                    inputs.push_back(
                        TypedValue{types[ref.output], run.outcomes[ref.index].values[ref.output]});
                    break;
                }
                case Reference::Kind::Sender:
                    inputs.push_back(TypedValue{abi::Type{abi::Type::Kind::Address, 160, {}},
                                                run.request.sender});
                    break;
                case Reference::Kind::App:
                    inputs.push_back(
                        TypedValue{abi::Type{abi::Type::Kind::Address, 160, {}}, run.request.app});
                    break;
                case Reference::Kind::Arg:
                    inputs.push_back(run.request.args[ref.index]);
                    break;
                case Reference::Kind::Input:
                    break;  // rejected by kernel_dependencies
            }
        } else if (input.is_string() && input.get_ref<const std::string&>().starts_with("$$")) {
            inputs.push_back(json(input.get<std::string>().substr(1)));
        } else {
            inputs.push_back(input);
        }
    }
    return inputs;
}

}  // namespace

std::expected<std::vector<std::vector<size_t>>, std::string> kernel_dependencies(
    const ExecutionRequest& request) {
    const size_t n = request.kernels.size();
    std::vector<std::vector<size_t>> deps(n);
    for (size_t k = 0; k < n; ++k) {
        const KernelCall& call = request.kernels[k];
        if (!call.spec) return Error(kernel_name(request, k) + ": no spec");
        for (size_t i = 0; i < call.inputs.size(); ++i) {
            const json& input = call.inputs[i];
            if (!input.is_string() || !is_reference_text(input.get_ref<const std::string&>()))
                continue;
            const std::string where = kernel_name(request, k) + " input " + std::to_string(i);
            auto ref = parse_reference(input.get_ref<const std::string&>());
            if (!ref) return Error(where + ": " + ref.error());
            switch (ref->kind) {
                case Reference::Kind::Input:
                    return Error(where + ": $input references belong in kernel specs");
                case Reference::Kind::Arg:
                    if (ref->index >= request.args.size())
                        return Error(where + ": " + ref->text() + " but the call has " +
                                     std::to_string(request.args.size()) + " arguments");
                    break;
                case Reference::Kind::KernelOutput: {
                    if (ref->index >= n)
                        return Error(where + ": " + ref->text() +
                                     " names an unknown kernel (the request has " +
                                     std::to_string(n) + ")");
                    if (ref->index == k)
                        return Error(where + ": a kernel cannot read its own output");
                    const auto& target = request.kernels[ref->index];
                    const size_t outputs = target.spec ? target.spec->output_types().size() : 0;
                    if (ref->output >= outputs)
                        return Error(where + ": " + ref->text() + " but " +
                                     kernel_name(request, ref->index) + " has " +
                                     std::to_string(outputs) + " outputs");
                    if (std::find(deps[k].begin(), deps[k].end(), ref->index) == deps[k].end())
                        deps[k].push_back(ref->index);
                    break;
                }
                default:
                    break;
            }
        }
    }
    // Kahn's algorithm: whatever cannot be ordered sits on a cycle (or depends on one).
    std::vector<size_t> missing(n);
    std::vector<std::vector<size_t>> dependents(n);
    for (size_t k = 0; k < n; ++k) {
        missing[k] = deps[k].size();
        for (size_t d : deps[k])
            dependents[d].push_back(k);
    }
    std::vector<size_t> ready;
    for (size_t k = 0; k < n; ++k)
        if (missing[k] == 0) ready.push_back(k);
    size_t ordered = 0;
    while (!ready.empty()) {
        const size_t k = ready.back();
        ready.pop_back();
        ++ordered;
        for (size_t d : dependents[k])
            if (--missing[d] == 0) ready.push_back(d);
    }
    if (ordered != n) {
        std::string names;
        for (size_t k = 0; k < n; ++k)
            if (missing[k] != 0) names += (names.empty() ? "" : ", ") + std::to_string(k);
        return Error("the kernels' inputs form a cycle (kernels " + names + ")");
    }
    return deps;
}

Orchestrator::Orchestrator(std::shared_ptr<const KernelRunner> runner, OrchestratorOptions options)
    : runner_(std::move(runner)), options_(options) {}

std::expected<std::vector<KernelResult>, std::string> Orchestrator::execute(
    const ExecutionRequest& request) const {
    // The caller's slots: a kernel's is given back when it ends, a kernel never started's below.
    const size_t n = request.kernels.size();
    std::vector<bool> posted(n, false);
    struct GiveBack {
        const ExecutionRequest& request;
        const std::vector<bool>& posted;
        ~GiveBack() {
            if (request.slots)
                request.slots->release(static_cast<size_t>(std::ranges::count(posted, false)));
        }
    } give_back{request, posted};
    if (request.kernels.size() > options_.max_kernels)
        return Error("too many kernels: " + std::to_string(request.kernels.size()) + " (at most " +
                     std::to_string(options_.max_kernels) + ")");
    auto deps = kernel_dependencies(request);
    if (!deps) return Error(deps.error());

    auto run = std::make_shared<Run>();
    run->request = request;
    run->runner = runner_;
    run->deps = std::move(*deps);
    run->phase.assign(n, Phase::Waiting);
    run->outcomes.resize(n);
    run->started.assign(n, Clock::time_point{});
    const auto request_start = Clock::now();
    const auto deadline = request_start + options_.request_deadline;

    const auto running = [&run] {
        return static_cast<size_t>(std::ranges::count(run->phase, Phase::Running));
    };
    std::unique_lock lock(run->mutex);
    for (;;) {
        // Start what is ready; answer what can no longer run. Repeat until nothing changes, as
        // a failure cascades down the graph.
        bool progressed = true;
        while (progressed) {
            progressed = false;
            for (size_t k = 0; k < n; ++k) {
                if (run->phase[k] != Phase::Waiting) continue;
                std::optional<size_t> failed;
                bool ready = true;
                for (size_t d : run->deps[k]) {
                    if (run->phase[d] != Phase::Done)
                        ready = false;
                    else if (!run->outcomes[d].ok())
                        failed = d;
                }
                if (failed) {
                    run->phase[k] = Phase::Done;
                    run->outcomes[k].error = "dependency " + kernel_name(request, *failed) +
                                             " failed: " + run->outcomes[*failed].error;
                    progressed = true;
                    continue;
                }
                if (!ready) continue;
                if (options_.max_parallel != 0 && running() >= options_.max_parallel) continue;
                run->phase[k] = Phase::Running;
                run->started[k] = Clock::now();
                KernelContext ctx{request.sender, request.app, request.args, kernel_inputs(*run, k),
                                  request.blocks};
                // An http kernel has the timeout its spec names (its runner reports it first);
                // the others the orchestrator's.
                auto limit = options_.kernel_timeout;
                if (const auto* h = std::get_if<HttpSpec>(&request.kernels[k].spec->body))
                    limit = std::max(limit, h->timeout + std::chrono::milliseconds(1000));
                const auto kernel_deadline = std::min(deadline, run->started[k] + limit);
                const bool started =
                    kernel_threads().post([run, k, ctx = std::move(ctx), kernel_deadline] {
                        KernelOutcome outcome =
                            run->runner->run(*run->request.kernels[k].spec, ctx, kernel_deadline);
                        // The slot comes back before the kernel counts as done, so that a
                        // request which has all its answers never leaves slots held behind it
                        // (a next request was refused as busy when this ran after it).
                        if (run->request.slots) run->request.slots->release(1);
                        {
                            std::lock_guard guard(run->mutex);
                            run->outcomes[k] = std::move(outcome);
                            run->phase[k] = Phase::Done;
                            run->changed.notify_all();
                        }
                    });
                posted[k] = started;
                if (!started) {
                    run->phase[k] = Phase::Done;
                    run->outcomes[k].error = "the node could not start a thread for it";
                }
                progressed = true;
            }
        }
        bool all_done = true;
        for (Phase p : run->phase)
            all_done = all_done && p == Phase::Done;
        if (all_done) break;
        // A kernel that finishes exactly at the deadline is still counted: phases are read below
        // under the same lock.
        if (run->changed.wait_until(lock, deadline) == std::cv_status::timeout) break;
    }

    const auto now = Clock::now();
    std::vector<KernelResult> results(n);
    for (size_t k = 0; k < n; ++k) {
        KernelResult& r = results[k];
        r.kernel_id = request.kernels[k].kernel_id;
        switch (run->phase[k]) {
            case Phase::Done:
                r.err = run->outcomes[k].error;
                if (r.err.empty()) {
                    r.result = run->outcomes[k].abi_result;
                    r.values = run->outcomes[k].values;
                }
                r.ms = static_cast<uint64_t>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(run->outcomes[k].elapsed)
                        .count());
                break;
            case Phase::Running:
                r.err = "timed out (request deadline)";
                r.ms = static_cast<uint64_t>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - run->started[k])
                        .count());
                break;
            case Phase::Waiting:
                r.err = "not started: the request deadline passed first";
                break;
        }
    }
    return results;
}

std::expected<std::vector<TypedValue>, std::string> decode_call_args(std::string_view signature,
                                                                     bytes_view encoded_args) {
    auto function = abi::parse_function(signature);
    if (!function) return Error("bad function signature: " + function.error());
    auto values = abi::decode(function->inputs, encoded_args);
    if (!values)
        return Error("cannot decode the arguments of " + function->canonical() + ": " +
                     values.error());
    std::vector<TypedValue> out;
    for (size_t i = 0; i < values->size(); ++i)
        out.push_back(TypedValue{function->inputs[i], (*values)[i]});
    return out;
}

}  // namespace krnl::engine
