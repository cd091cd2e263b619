#include "engine/krnl_api.hpp"

#include "engine/dry_run.hpp"
#include "engine/kernel_spec.hpp"
#include "rpc/params.hpp"

namespace krnl::engine {

namespace {

json fees_to_json(const Fees& f) {
    json ids = json::array(), fees = json::array();
    uint256 total = f.node_fee;
    for (const auto& id : f.kernel_ids)
        ids.push_back(rpc::to_quantity(id));
    for (const auto& fee : f.kernel_fees) {
        fees.push_back(rpc::to_quantity(fee));
        total += fee;
    }
    return {{"kernelIds", ids},
            {"kernelFees", fees},
            {"nodeFee", rpc::to_quantity(f.node_fee)},
            {"total", rpc::to_quantity(total)}};
}

// Request objects are passed as the first argument; their errors are bad requests (-33006).
rpc::Result<ExecuteRequest> request_arg(const rpc::Params& p, size_t i) {
    if (!p.has(i)) return std::unexpected(rpc::Params::missing(i));
    return request_from_json(p.at(i));
}

void add_cosign(rpc::MethodTable& methods, const std::shared_ptr<KrnlService>& service) {
    methods.add_blocking("krnl_cosign",
                         [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
                             KRNL_RPC_TRY(request, cosign_request_from_params(params));
                             KRNL_RPC_TRY(signed_, service->cosign(request));
                             return json{{"signer", to_hex(signed_.signer)},
                                         {"signature", to_hex(signed_.signature)},
                                         {"digest", to_hex(signed_.digest)}};
                         });
}

void add_node_info(rpc::MethodTable& methods, const std::shared_ptr<KrnlService>& service) {
    methods.add("krnl_nodeInfo",
                [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
                    rpc::Params p(params);
                    if (auto r = p.at_most(0); !r) return std::unexpected(r.error());
                    const auto info = service->node_info();
                    return json{{"signer", to_hex(info.signer)},
                                {"chainId", rpc::to_quantity(info.home_chain_id)},
                                {"registry", to_hex(info.registry)},
                                {"vault", to_hex(info.vault)},
                                {"version", info.version},
                                {"peers", info.peers}};
                });
}

// krnl_recentExecutions [limit?]: the newest executions first, all the log holds by default.
void add_recent_executions(rpc::MethodTable& methods, const std::shared_ptr<KrnlService>& service) {
    methods.add(
        "krnl_recentExecutions",
        [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
            rpc::Params p(params);
            if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
            const ExecutionLog& log = service->executions();
            size_t limit = log.capacity();
            if (p.has(0)) {
                KRNL_RPC_TRY(asked, p.number_u64(0));
                if (asked > log.capacity())
                    return std::unexpected(rpc::Params::invalid(
                        0, "limit " + std::to_string(asked) + " is above the " +
                               std::to_string(log.capacity()) + " executions this node keeps"));
                limit = asked;
            }
            json out = json::array();
            for (const auto& r : log.recent(limit))
                out.push_back(execution_record_to_json(r));
            return out;
        });
}

}  // namespace
json kernel_to_json(const KernelInfo& k) {
    static const char* kinds[] = {"evm-read", "http", "evm-compute"};
    const std::string_view text(reinterpret_cast<const char*>(k.spec.data()), k.spec.size());
    json spec = json::parse(text, nullptr, false);
    json out = {{"id", rpc::to_quantity(k.id)},
                {"owner", to_hex(k.owner)},
                {"kind", k.kind <= 2 ? kinds[k.kind] : std::to_string(k.kind)},
                {"fee", rpc::to_quantity(k.fee)},
                {"active", k.active},
                {"specHash", to_hex(k.spec_hash)},
                {"spec", spec.is_discarded() ? json(std::string(text)) : spec}};
    if (k.fee_effective_at != 0) {
        out["pendingFee"] = rpc::to_quantity(k.pending_fee);
        out["feeEffectiveAt"] = k.fee_effective_at;
    }
    if (k.deactivate_at != 0) out["deactivateAt"] = k.deactivate_at;
    return out;
}

json execute_result_to_json(const ExecuteResult& r) {
    json signers = json::array(), peers = json::array(), kernels = json::array();
    for (const auto& s : r.signers)
        signers.push_back(to_hex(s));
    for (const auto& p : r.peers) {
        json o = {{"url", p.url}};
        if (p.signer)
            o["signer"] = to_hex(*p.signer);
        else
            o["error"] = p.error;
        peers.push_back(std::move(o));
    }
    for (size_t i = 0; i < r.responses.size(); ++i)
        kernels.push_back({{"kernelId", rpc::to_quantity(r.responses[i].kernel_id)},
                           {"ms", i < r.kernel_ms.size() ? r.kernel_ms[i] : 0}});
    return {{"responses", responses_to_json(r.responses)},
            {"payload", to_hex(r.payload)},
            {"digest", to_hex(r.digest)},
            {"signers", signers},
            {"threshold", r.threshold},
            {"blocks", blocks_to_json(r.blocks)},
            {"tokenAuthority", to_hex(r.token_authority)},
            {"fees", fees_to_json(r.fees)},
            {"nonce", rpc::to_quantity(r.nonce)},
            {"expiry", r.expiry},
            {"timings", {{"kernels", kernels}, {"totalMs", r.total_ms}}},
            {"peers", peers}};
}

void register_krnl_api(rpc::MethodTable& methods, std::shared_ptr<KrnlService> service,
                       Cosign cosign) {
    methods.add_blocking("krnl_executeKernels",
                         [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
                             rpc::Params p(params);
                             if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
                             KRNL_RPC_TRY(request, request_arg(p, 0));
                             // A call-bound attestation carries a user operation's hash as its
                             // nonce: only the node's bundler asks for one.
                             if (request.binding == Binding::Call)
                                 return std::unexpected(rpc::RpcError{
                                     krnl_code::kBadRequest,
                                     "binding \"call\" is for user operations: send the op "
                                     "with eth_sendUserOperation and the node attests it",
                                     std::nullopt});
                             KRNL_RPC_TRY(result, service->execute(request));
                             return execute_result_to_json(result);
                         });
    if (cosign == Cosign::Served) {
        add_cosign(methods, service);
    } else {
        methods.add("krnl_cosign", [](const json&, rpc::CallContext&) -> rpc::Result<json> {
            return std::unexpected(rpc::RpcError{
                krnl_code::kCosignNotServed,
                "krnl_cosign is not served on this port: this node answers peers on its "
                "engine.peer_port (engine.cosign_on_public_ports = false)",
                std::nullopt});
        });
    }
    methods.add_blocking("krnl_getKernel",
                         [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
                             rpc::Params p(params);
                             if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
                             if (!p.has(0)) return std::unexpected(rpc::Params::missing(0));
                             auto id = parse_kernel_id(p.at(0));
                             if (!id) return std::unexpected(rpc::Params::invalid(0, id.error()));
                             KRNL_RPC_TRY(admitted, service->admit());
                             KRNL_RPC_TRY(k, service->kernel(*id));
                             return kernel_to_json(k);
                         });
    methods.add_blocking("krnl_listKernels",
                         [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
                             rpc::Params p(params);
                             if (auto r = p.at_most(0); !r) return std::unexpected(r.error());
                             KRNL_RPC_TRY(admitted, service->admit());
                             KRNL_RPC_TRY(all, service->list_kernels());
                             json out = json::array();
                             for (const auto& k : all)
                                 out.push_back(kernel_to_json(k));
                             return out;
                         });
    methods.add_blocking("krnl_quote",
                         [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
                             rpc::Params p(params);
                             if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
                             KRNL_RPC_TRY(app, p.address(0));
                             if (!p.has(1) || !p.at(1).is_array())
                                 return std::unexpected(
                                     rpc::Params::invalid(1, "an array of kernel ids is required"));
                             std::vector<uint256> ids;
                             for (const auto& v : p.at(1)) {
                                 auto id = parse_kernel_id(v);
                                 if (!id)
                                     return std::unexpected(rpc::Params::invalid(1, id.error()));
                                 ids.push_back(*id);
                             }
                             KRNL_RPC_TRY(admitted, service->admit());
                             KRNL_RPC_TRY(q, service->quote(app, ids));
                             json out = fees_to_json(q.fees);
                             out["expiry"] = q.expiry;
                             return out;
                         });
    methods.add_blocking(
        "krnl_dryRunKernel", [service](const json& params, rpc::CallContext&) -> rpc::Result<json> {
            rpc::Params p(params);
            if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
            if (!p.has(0)) return std::unexpected(rpc::Params::missing(0));
            KRNL_RPC_TRY(context, dry_run_context_from_json(p.has(1) ? p.at(1) : json()));
            KRNL_RPC_TRY(result, service->dry_run(p.at(0), context));
            return dry_run_result_to_json(result);
        });
    add_node_info(methods, service);
    add_recent_executions(methods, service);
}

void register_peer_api(rpc::MethodTable& methods, std::shared_ptr<KrnlService> service) {
    add_cosign(methods, service);
    add_node_info(methods, service);
}

}  // namespace krnl::engine
