#include "engine/dry_run.hpp"

#include "engine/abi_json.hpp"
#include "engine/service.hpp"
#include "engine/service_detail.hpp"
#include "rpc/params.hpp"

namespace krnl::engine {

using namespace detail;

namespace {

std::unexpected<ServiceError> bad_context(const std::string& field, const std::string& why) {
    return fail(krnl_code::kBadRequest, "context." + field + ": " + why);
}

}  // namespace

ServiceResult<DryRunContext> dry_run_context_from_json(const json& value) {
    DryRunContext context;
    if (value.is_null()) return context;
    if (!value.is_object())
        return fail(krnl_code::kBadRequest,
                    "context must be an object {sender?, app?, function?, args?, inputs?}, not " +
                        json_kind(value));
    for (const auto& [key, _] : value.items())
        if (key != "sender" && key != "app" && key != "function" && key != "args" &&
            key != "inputs")
            return bad_context(key, "unknown field (known: sender, app, function, args, inputs)");
    const auto present = [&](const char* name) -> const json* {
        auto it = value.find(name);
        return it == value.end() || it->is_null() ? nullptr : &*it;
    };
    for (const char* name : {"sender", "app"})
        if (const json* v = present(name)) {
            auto a = rpc::parse_address(*v);
            if (!a) return bad_context(name, a.error());
            (std::string_view(name) == "sender" ? context.sender : context.app) = *a;
        }
    if (const json* v = present("function")) {
        if (!v->is_string()) return bad_context("function", "must be a signature string");
        context.function = v->get<std::string>();
    }
    if (const json* v = present("args")) {
        auto d = rpc::parse_data(*v);
        if (!d) return bad_context("args", d.error());
        if (context.function.empty())
            return bad_context("args",
                               "given without context.function (the signature that "
                               "types them)");
        context.args = std::move(*d);
    }
    if (const json* v = present("inputs")) {
        if (!v->is_array()) return bad_context("inputs", "must be an array of JSON values");
        if (v->size() > kMaxSpecValues)
            return bad_context("inputs", "more than " + std::to_string(kMaxSpecValues));
        for (size_t i = 0; i < v->size(); ++i) {
            const json& input = (*v)[i];
            // The values $input[i] stands for: literals, or what a request could name here too.
            if (input.is_string() && is_reference_text(input.get_ref<const std::string&>())) {
                auto ref = parse_reference(input.get_ref<const std::string&>());
                const std::string where = "inputs[" + std::to_string(i) + "]";
                if (!ref) return bad_context(where, ref.error());
                if (ref->kind == Reference::Kind::KernelOutput ||
                    ref->kind == Reference::Kind::Input)
                    return bad_context(where, "a dry run runs one kernel: " + ref->text() +
                                                  " has nothing to read (pass the value itself)");
            }
            context.inputs.push_back(input);
        }
    }
    return context;
}

json dry_run_result_to_json(const DryRunResult& r) {
    json blocks = json::object();
    for (const auto& [chain, number] : r.blocks)
        blocks[std::to_string(chain)] = rpc::to_quantity(number);
    json out = {{"kind", std::string(kind_name(r.kind))},
                {"specHash", to_hex(r.spec_hash)},
                {"canonical", r.canonical},
                {"outputs", to_hex(r.outputs)},
                {"decoded", r.decoded},
                {"blocks", blocks},
                {"timeMs", r.time_ms}};
    if (!r.error.empty()) out["error"] = r.error;
    return out;
}

ServiceResult<DryRunResult> KrnlService::dry_run(const json& spec_json,
                                                 const DryRunContext& context) const {
    auto admitted = request_slots_->ticket();
    if (!admitted) return busy_requests();

    auto parsed = parse_kernel_spec(spec_json);
    if (!parsed) return fail(krnl_code::kBadRequest, "invalid kernel spec: " + parsed.error());
    if (parsed->canonical.size() > kMaxDryRunSpecBytes)
        return fail(krnl_code::kBadRequest,
                    "invalid kernel spec: its canonical form is " +
                        std::to_string(parsed->canonical.size()) + " bytes, over the " +
                        std::to_string(kMaxDryRunSpecBytes) + " a dry run takes");
    auto spec = std::make_shared<const KernelSpec>(std::move(*parsed));

    ExecutionRequest er;
    er.app = context.app;
    er.sender = context.sender;
    if (!context.function.empty()) {
        // As krnl_executeKernels reads its request: the payload parameter comes last, and args
        // encode the parameters before it.
        auto function = abi::parse_function(context.function);
        if (!function)
            return fail(krnl_code::kBadRequest,
                        "context.function \"" + context.function + "\": " + function.error());
        if (function->inputs.empty() || function->inputs.back().kind != abi::Type::Kind::Bytes)
            return fail(krnl_code::kBadRequest,
                        "context.function \"" + context.function +
                            "\" must take the payload as its last parameter (bytes), as "
                            "krnl_executeKernels expects: e.g. trade(uint256,uint256,bytes)");
        function->inputs.pop_back();
        auto args = decode_call_args(function->canonical(), context.args);
        if (!args)
            return fail(krnl_code::kBadRequest, "context.args do not decode as the parameters of " +
                                                    context.function +
                                                    " before the payload: " + args.error());
        er.args = std::move(*args);
    }
    // An evm-read without a block of its own reads its chain's head, pinned as a request would.
    if (const auto* read = std::get_if<EvmReadSpec>(&spec->body); read && !read->block && chains_)
        if (auto head = chains_->head(read->chain_id)) er.blocks[read->chain_id] = head->number;
    er.kernels.push_back(KernelCall{uint256(0), spec, context.inputs});

    if (!kernel_slots_->try_acquire(1))
        return fail(krnl_code::kEngineBusy,
                    "the node is busy: " + std::to_string(kernel_slots_->in_flight()) +
                        " kernels are running, the bound of " +
                        std::to_string(kernel_slots_->limit()) +
                        " (engine.max_kernels_in_flight); retry later",
                    json{{"limit", "max_kernels_in_flight"},
                         {"inFlight", kernel_slots_->in_flight()},
                         {"max", kernel_slots_->limit()}});
    er.slots = kernel_slots_;
    auto results = orchestrator_.execute(er);
    if (!results) return fail(krnl_code::kBadRequest, "context: " + results.error());
    const KernelResult& r = results->front();

    DryRunResult out;
    out.kind = spec->kind();
    out.spec_hash = spec->hash;
    out.canonical = spec->canonical;
    out.time_ms = r.ms;
    out.error = r.err;
    if (const auto* read = std::get_if<EvmReadSpec>(&spec->body)) {
        if (read->block)
            out.blocks[read->chain_id] = *read->block;
        else if (er.blocks.contains(read->chain_id))
            out.blocks[read->chain_id] = er.blocks.at(read->chain_id);
    }
    if (r.err.empty()) {
        out.outputs = r.result;
        out.decoded = json::array();
        const auto types = spec->output_types();
        for (size_t i = 0; i < types.size() && i < r.values.size(); ++i)
            out.decoded.push_back(abi_to_json(types[i], r.values[i]));
    }
    return out;
}

}  // namespace krnl::engine
