#include "aa/bundler_api.hpp"

#include "rpc/eth_json.hpp"

namespace krnl::aa {
namespace {

using rpc::CallContext;
using rpc::Params;

Result<address> entry_point_param(const Params& p, size_t i) {
    KRNL_RPC_TRY(ep, p.address(i));
    if (!entry_point_version(ep))
        return rpc::error(rpc::code::kInvalidParams, "unsupported EntryPoint " + to_hex(ep) +
                                                         ": this node supports " +
                                                         to_hex(kEntryPointV07) + " (v0.7) and " +
                                                         to_hex(kEntryPointV08) + " (v0.8)");
    return ep;
}

Result<UserOperation> op_param(const Params& p, size_t i, GasFields gas_fields) {
    if (!p.has(i)) return rpc::error(rpc::code::kInvalidParams, "missing user operation");
    return parse_user_operation(p.at(i), gas_fields);
}

}  // namespace

void register_bundler_methods(rpc::MethodTable& m, Bundler& bundler) {
    m.add("eth_supportedEntryPoints", [](const json&, CallContext&) -> Result<json> {
        return json::array({to_hex(kEntryPointV07), to_hex(kEntryPointV08)});
    });

    // Validation runs the EVM: admitted as the other EVM methods are.
    m.add_evm("eth_sendUserOperation",
              [&bundler](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
                  KRNL_RPC_TRY(op, op_param(p, 0, GasFields::Required));
                  KRNL_RPC_TRY(ep, entry_point_param(p, 1));
                  KRNL_RPC_TRY(hash, bundler.send(op, ep));
                  return to_hex(hash);
              });

    m.add_evm("eth_estimateUserOperationGas",
              [&bundler](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
                  KRNL_RPC_TRY(op, op_param(p, 0, GasFields::Optional));
                  KRNL_RPC_TRY(ep, entry_point_param(p, 1));
                  std::vector<std::pair<address, chain::AccountOverride>> overrides;
                  if (p.has(2)) {
                      KRNL_RPC_TRY(o, rpc::parse_state_overrides(p.at(2)));
                      overrides = std::move(o);
                  }
                  KRNL_RPC_TRY(estimate, bundler.estimate(op, ep, overrides));
                  return gas_estimate_json(estimate);
              });

    m.add("eth_getUserOperationByHash",
          [&bundler](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
              KRNL_RPC_TRY(hash, p.hash(0));
              json found = bundler.lookup().by_hash(hash);
              if (!found.is_null()) return found;
              for (const address& ep : {kEntryPointV07, kEntryPointV08})
                  for (const PendingOp& pending : bundler.pending(ep))
                      if (pending.hash == hash)
                          return json{{"userOperation", user_operation_json(pending.op)},
                                      {"entryPoint", to_hex(ep)},
                                      {"transactionHash", nullptr},
                                      {"blockHash", nullptr},
                                      {"blockNumber", nullptr}};
              return nullptr;
          });

    m.add("eth_getUserOperationReceipt",
          [&bundler](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
              KRNL_RPC_TRY(hash, p.hash(0));
              return bundler.lookup().receipt(hash);
          });

    m.add_evm("debug_bundler_sendBundleNow", [&bundler](const json&, CallContext&) -> Result<json> {
        KRNL_RPC_TRY(sent, bundler.bundle_now());
        if (sent.empty()) return nullptr;
        return to_hex(sent.front());
    });

    m.add("debug_bundler_setBundlingMode",
          [&bundler](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (!p.has(0) || !p.at(0).is_string())
                  return rpc::error(rpc::code::kInvalidParams,
                                    "bundling mode must be \"auto\" or \"manual\"");
              const std::string mode = p.at(0).get<std::string>();
              if (mode != "auto" && mode != "manual")
                  return rpc::error(
                      rpc::code::kInvalidParams,
                      "bundling mode must be \"auto\" or \"manual\", not \"" + mode + "\"");
              bundler.set_mode(mode == "auto" ? BundlingMode::Auto : BundlingMode::Manual);
              return "ok";
          });

    m.add("debug_bundler_dumpMempool",
          [&bundler](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              KRNL_RPC_TRY(ep, entry_point_param(p, 0));
              json out = json::array();
              for (const PendingOp& pending : bundler.pending(ep))
                  out.push_back(user_operation_json(pending.op));
              return out;
          });

    m.add("debug_bundler_clearMempool", [&bundler](const json&, CallContext&) -> Result<json> {
        bundler.clear_pending();
        return "ok";
    });

    m.add("debug_bundler_clearState", [&bundler](const json&, CallContext&) -> Result<json> {
        bundler.clear_pending();
        return "ok";
    });

    m.add("debug_bundler_addUserOps", [&bundler](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (!p.has(0) || !p.at(0).is_array())
            return rpc::error(rpc::code::kInvalidParams, "expected a list of user operations");
        KRNL_RPC_TRY(ep, entry_point_param(p, 1));
        for (const json& item : p.at(0)) {
            KRNL_RPC_TRY(op, parse_user_operation(item, GasFields::Required));
            if (auto r = bundler.add_unchecked(op, ep); !r) return std::unexpected(r.error());
        }
        return "ok";
    });
}

}  // namespace krnl::aa
