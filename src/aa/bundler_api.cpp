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

    // Validation runs the EVM: admitted as the other EVM methods are. With the engine attesting
    // ops on the way in, they may also wait on kernels and peers: on the pool, never on an I/O
    // thread.
    // Sending an op or a bundle changes the pool and the chain: those never run twice
    // (add_evm_writer); an estimate may be tried inline and run again.
    enum class Effect { reads, writes };
    const auto add_admission = [&](std::string name, Effect effect, rpc::Method method) {
        if (bundler.completes_signatures())
            m.add_blocking_evm(std::move(name), std::move(method));
        else if (effect == Effect::writes)
            m.add_evm_writer(std::move(name), std::move(method));
        else
            m.add_evm(std::move(name), std::move(method));
    };
    add_admission("eth_sendUserOperation", Effect::writes,
                  [&bundler](const json& params, CallContext&) -> Result<json> {
                      Params p(params);
                      if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
                      KRNL_RPC_TRY(op, op_param(p, 0, GasFields::Required));
                      KRNL_RPC_TRY(ep, entry_point_param(p, 1));
                      KRNL_RPC_TRY(hash, bundler.send(op, ep));
                      return to_hex(hash);
                  });

    add_admission("eth_estimateUserOperationGas", Effect::reads,
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
                  for (const PooledUserOp& pending : bundler.pending(ep))
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

    // A bundle may renew attestations (the engine runs kernels): admitted like the op methods.
    add_admission(
        "debug_bundler_sendBundleNow", Effect::writes,
        [&bundler](const json&, CallContext&) -> Result<json> {
            KRNL_RPC_TRY(outcome, bundler.bundle_now());
            json dropped = json::array();
            for (const auto& [hash, why] : outcome.dropped)
                dropped.push_back({{"userOpHash", to_hex(hash)}, {"reason", why.message}});
            json included = json::array();
            for (const hash256& hash : outcome.included)
                included.push_back(to_hex(hash));
            // As the reference bundler answers (the bundle's transaction and its ops), with the ops
            // the EntryPoint refused and why.
            if (outcome.transactions.empty() && dropped.empty()) return nullptr;
            json out = {{"transactionHash", outcome.transactions.empty()
                                                ? json(nullptr)
                                                : json(to_hex(outcome.transactions.front()))},
                        {"userOpHashes", std::move(included)},
                        {"dropped", std::move(dropped)}};
            return out;
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
              for (const PooledUserOp& pending : bundler.pending(ep))
                  out.push_back(user_operation_json(pending.op));
              return out;
          });

    m.add("debug_bundler_getStakeStatus",
          [&bundler](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
              KRNL_RPC_TRY(entity, p.address(0));
              KRNL_RPC_TRY(ep, entry_point_param(p, 1));
              KRNL_RPC_TRY(info, bundler.deposit_info(entity, ep));
              return json{{"stakeInfo",
                           {{"addr", to_hex(entity)},
                            {"stake", rpc::to_quantity(info.stake.stake)},
                            {"unstakeDelaySec", rpc::to_quantity(info.stake.unstake_delay_sec)}}},
                          {"isStaked", bundler.is_staked(info.stake)}};
          });

    m.add("debug_bundler_clearMempool", [&bundler](const json&, CallContext&) -> Result<json> {
        bundler.clear_pending();
        return "ok";
    });

    m.add("debug_bundler_clearState", [&bundler](const json&, CallContext&) -> Result<json> {
        bundler.clear_pending();
        bundler.clear_reputation();
        return "ok";
    });

    m.add("debug_bundler_clearReputation", [&bundler](const json&, CallContext&) -> Result<json> {
        bundler.clear_reputation();
        return "ok";
    });

    m.add("debug_bundler_dumpReputation",
          [&bundler](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (p.has(0)) {
                  KRNL_RPC_TRY(ep, entry_point_param(p, 0));
                  (void)ep;
              }
              json out = json::array();
              for (const ReputationEntry& e : bundler.dump_reputation())
                  out.push_back({{"address", to_hex(e.entity)},
                                 {"opsSeen", rpc::to_quantity(e.ops_seen)},
                                 {"opsIncluded", rpc::to_quantity(e.ops_included)},
                                 {"status", static_cast<int>(e.status)}});
              return out;
          });

    // [{address, opsSeen, opsIncluded}], entryPoint: as the bundler spec tests set it.
    m.add("debug_bundler_setReputation",
          [&bundler](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (!p.has(0) || !p.at(0).is_array())
                  return rpc::error(rpc::code::kInvalidParams,
                                    "expected a list of {address, opsSeen, opsIncluded}");
              if (p.has(1)) {
                  KRNL_RPC_TRY(ep, entry_point_param(p, 1));
                  (void)ep;
              }
              std::vector<ReputationEntry> entries;
              for (const json& item : p.at(0)) {
                  if (!item.is_object())
                      return rpc::error(rpc::code::kInvalidParams,
                                        "reputation entries are objects");
                  ReputationEntry e;
                  auto addr = rpc::parse_address(item.value("address", json()));
                  auto seen = rpc::parse_u64(item.value("opsSeen", json(0)));
                  auto included = rpc::parse_u64(item.value("opsIncluded", json(0)));
                  if (!addr || !seen || !included)
                      return rpc::error(rpc::code::kInvalidParams,
                                        "reputation entry: address, opsSeen and opsIncluded");
                  e.entity = *addr;
                  e.ops_seen = *seen;
                  e.ops_included = *included;
                  entries.push_back(e);
              }
              bundler.set_reputation(entries);
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
