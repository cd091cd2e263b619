#include "engine/service.hpp"

#include <algorithm>
#include <charconv>

#include "common/secp256k1.hpp"
#include "engine/service_detail.hpp"
#include "rpc/params.hpp"

namespace krnl::engine {

using namespace detail;

namespace {

using Clock = std::chrono::steady_clock;

abi::Type type_of(std::string_view text) {
    return *abi::parse_type(text);
}

// Bounds of the per-block read cache (apps and kernels must be registered to be cached).
constexpr size_t kMaxCachedApps = 4096;
constexpr size_t kMaxCachedKernels = 4096;

const abi::Type& kernel_type() {
    static const abi::Type t =
        type_of("(address,uint8,bool,uint256,bytes32,bytes,uint256,uint64,uint64)");
    return t;
}

const abi::Type& responses_type() {
    static const abi::Type t = type_of("(uint256,bytes,string)[]");
    return t;
}

abi::Value responses_value(const std::vector<KernelResponse>& responses) {
    abi::ValueList list;
    for (const auto& r : responses)
        list.push_back(abi::ValueList{r.kernel_id, r.result, r.err});
    return list;
}

uint64_t u64_of(const abi::Value& v) {
    return v.as_uint()->low64();
}

std::optional<KernelInfo> kernel_from_value(const uint256& id, const abi::Value& v) {
    const auto* f = v.as_list();
    if (!f || f->size() != 9) return std::nullopt;
    KernelInfo k;
    k.id = id;
    k.owner = *(*f)[0].as_address();
    k.kind = static_cast<uint8_t>(u64_of((*f)[1]));
    k.active = *(*f)[2].as_bool();
    k.fee = *(*f)[3].as_uint();
    k.spec_hash = hash256::from_view(*(*f)[4].as_bytes());
    k.spec = *(*f)[5].as_bytes();
    k.pending_fee = *(*f)[6].as_uint();
    k.fee_effective_at = u64_of((*f)[7]);
    k.deactivate_at = u64_of((*f)[8]);
    return k;
}

uint64_t ms_since(Clock::time_point start) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

}  // namespace

std::expected<std::shared_ptr<KrnlService>, std::string> KrnlService::create(
    ServiceConfig config, std::shared_ptr<ChainAccess> chains) {
    const auto signer = secp256k1::address_from_secret(config.operator_key);
    if (!signer) return std::unexpected("invalid operator key");
    return std::shared_ptr<KrnlService>(
        new KrnlService(std::move(config), std::move(chains), *signer));
}

KrnlService::KrnlService(ServiceConfig config, std::shared_ptr<ChainAccess> chains, address signer)
    : config_(std::move(config)),
      chains_(chains),
      signer_(signer),
      orchestrator_(std::make_shared<KernelRunner>(chains, config_.runner), config_.orchestrator),
      request_slots_(std::make_shared<InFlightLimit>(config_.max_requests_in_flight)),
      kernel_slots_(std::make_shared<InFlightLimit>(config_.max_kernels_in_flight)),
      nonces_(config_.max_cosign_nonces),
      executions_(std::make_unique<ExecutionLog>(config_.recent_executions)) {
    for (const auto& url : config_.peers)
        peers_.push_back(std::make_shared<rpc::Client>(url, config_.peer_timeout));
}

ServiceResult<bytes> KrnlService::view(const address& to, bytes data,
                                       std::optional<uint64_t> block) const {
    if (!chains_) return fail(krnl_code::kChainUnavailable, "no chain access");
    auto r = chains_->call(config_.home_chain_id, to, std::move(data), block);
    if (!r) {
        std::string message = "view call to " + to_hex(to) + " on chain " +
                              std::to_string(config_.home_chain_id) +
                              " failed: " + r.error().message;
        if (r.error().revert_data) message += " (" + describe_revert(*r.error().revert_data) + ")";
        json data = json::object();
        if (r.error().revert_data) data["revertData"] = to_hex(*r.error().revert_data);
        return fail(krnl_code::kChainUnavailable, message, data);
    }
    return std::move(*r);
}

ServiceResult<KernelInfo> KrnlService::kernel(const uint256& id,
                                              std::optional<uint64_t> block) const {
    if (!chains_) return fail(krnl_code::kChainUnavailable, "no chain access");
    auto call = abi::encode_call("kernel(uint256)", std::vector<abi::Value>{id});
    auto r = chains_->call(config_.home_chain_id, config_.registry, std::move(*call), block);
    if (!r) {
        const auto& rd = r.error().revert_data;
        const auto unknown = abi::selector("UnknownKernel(uint256)");
        if (rd && rd->size() >= 4 && std::equal(unknown.bytes, unknown.bytes + 4, rd->begin()))
            return fail(krnl_code::kUnknownKernel,
                        "unknown kernel " + dec(id) + ": the registry has no kernel with this id");
        return fail(krnl_code::kChainUnavailable,
                    "reading kernel " + dec(id) + " from the registry failed: " +
                        r.error().message + (rd ? " (" + describe_revert(*rd) + ")" : ""));
    }
    auto decoded = abi::decode(kernel_type(), *r);
    std::optional<KernelInfo> info;
    if (decoded) info = kernel_from_value(id, *decoded);
    if (!info)
        return fail(krnl_code::kChainUnavailable, "the registry's answer for kernel " + dec(id) +
                                                      " does not decode" +
                                                      (decoded ? "" : ": " + decoded.error()));
    return *info;
}

ServiceResult<std::vector<KernelInfo>> KrnlService::list_kernels() const {
    auto call = abi::encode_call("kernelCount()", {});
    KRNL_RPC_TRY(out, view(config_.registry, *call));
    auto count = abi::decode(std::vector<abi::Type>{type_of("uint256")}, out);
    if (!count) return fail(krnl_code::kChainUnavailable, "kernelCount() does not decode");
    const uint256 n = *(*count)[0].as_uint();
    if (!n.fits_u64() || n.low64() > 100'000)
        return fail(krnl_code::kChainUnavailable, "the registry reports " + dec(n) + " kernels");
    std::vector<KernelInfo> all;
    for (uint64_t id = 1; id <= n.low64(); ++id) {
        KRNL_RPC_TRY(k, kernel(uint256(id)));
        all.push_back(std::move(k));
    }
    return all;
}

ServiceResult<std::shared_ptr<const KernelSpec>> KrnlService::spec_of(
    const KernelInfo& info) const {
    {
        std::lock_guard lock(spec_mutex_);
        if (auto it = spec_cache_.find(info.spec_hash); it != spec_cache_.end()) return it->second;
    }
    const std::string_view text(reinterpret_cast<const char*>(info.spec.data()), info.spec.size());
    auto spec = parse_kernel_spec(text);
    if (!spec)
        return fail(krnl_code::kBadSpec,
                    "kernel " + dec(info.id) + " has a spec this node cannot run: " + spec.error());
    if (static_cast<uint8_t>(spec->kind()) != info.kind)
        return fail(krnl_code::kBadSpec, "kernel " + dec(info.id) + " is registered as kind " +
                                             std::to_string(info.kind) + " but its spec is " +
                                             std::string(kind_name(spec->kind())));
    auto shared = std::make_shared<const KernelSpec>(std::move(*spec));
    std::lock_guard lock(spec_mutex_);
    spec_cache_.emplace(info.spec_hash, shared);
    return shared;
}

namespace {

// A kernel input must be a reference to something the attestation binds (the sender, the app, an
// argument of the authorised call, another kernel's response): a literal chosen by the requester
// would change what a kernel checked without the contract seeing it.
ServiceResult<void> check_inputs_bound(const ExecuteRequest& request) {
    for (size_t k = 0; k < request.kernels.size(); ++k) {
        const auto& inputs = request.kernels[k].inputs;
        for (size_t i = 0; i < inputs.size(); ++i) {
            const json& input = inputs[i];
            const std::string where =
                "kernels[" + std::to_string(k) + "].inputs[" + std::to_string(i) + "]";
            if (!input.is_string() || !is_reference_text(input.get_ref<const std::string&>()))
                return fail(krnl_code::kBadRequest,
                            where + ": " + input.dump() +
                                " is a literal, which the attestation does not bind (the contract "
                                "sees only the responses): pass the value as an argument of the "
                                "app's function and use \"$args[i]\", or \"$sender\", \"$app\", "
                                "\"$kernel:<k>[<j>]\"");
            auto ref = parse_reference(input.get_ref<const std::string&>());
            if (!ref) return fail(krnl_code::kBadRequest, where + ": " + ref.error());
            if (ref->kind == Reference::Kind::Input)
                return fail(krnl_code::kBadRequest,
                            where + ": $input references belong in kernel specs");
        }
    }
    return {};
}

template <typename T>
ServiceResult<T> decode_one(const bytes& out, const char* type, const char* what) {
    auto v = abi::decode(std::vector<abi::Type>{type_of(type)}, out);
    if (!v) return fail(krnl_code::kChainUnavailable, std::string(what) + " does not decode");
    if constexpr (std::is_same_v<T, address>)
        return *(*v)[0].as_address();
    else if constexpr (std::is_same_v<T, uint256>)
        return *(*v)[0].as_uint();
    else
        return std::move((*v)[0]);
}

}  // namespace

ServiceResult<BlockRef> KrnlService::pin(uint64_t chain_id, const ExecuteRequest& request,
                                         bool pins_from_request) const {
    if (!chains_) return fail(krnl_code::kChainUnavailable, "no chain access");
    auto head = chains_->head(chain_id);
    if (!head)
        return fail(krnl_code::kChainUnavailable,
                    "chain " + std::to_string(chain_id) +
                        ": reading its head failed: " + head.error().message);
    if (!pins_from_request) return *head;
    auto it = request.blocks.find(chain_id);
    if (it == request.blocks.end()) return *head;
    if (it->second > head->number)
        return fail(krnl_code::kChainUnavailable, "block " + std::to_string(it->second) +
                                                      " of chain " + std::to_string(chain_id) +
                                                      " is not on this node's chain yet (head " +
                                                      std::to_string(head->number) + ")");
    if (head->number - it->second > config_.pin_window.max_blocks)
        return fail(krnl_code::kPinsOutsideWindow,
                    "block " + std::to_string(it->second) + " of chain " +
                        std::to_string(chain_id) + " is " +
                        std::to_string(head->number - it->second) +
                        " blocks behind the head; this node reads at most " +
                        std::to_string(config_.pin_window.max_blocks) + " behind");
    return BlockRef{it->second, head->timestamp, hash256{}};  // no state id: never cached
}

ServiceResult<KrnlService::Prepared> KrnlService::prepare(const ExecuteRequest& request,
                                                          bool pins_from_request) const {
    if (request.chain_id != config_.home_chain_id)
        return fail(krnl_code::kBadRequest,
                    "chainId " + std::to_string(request.chain_id) +
                        " is not this node's home chain " + std::to_string(config_.home_chain_id) +
                        ": send the request to a node whose registry lives on the app's chain");
    if (!pins_from_request && !request.blocks.empty())
        return fail(krnl_code::kBadRequest,
                    "request.blocks: the executing node chooses the blocks it reads (the latest); "
                    "leave it out");
    if (request.kernels.empty())
        return fail(krnl_code::kBadRequest, "kernels is empty: name at least one kernel");
    if (request.kernels.size() > config_.orchestrator.max_kernels)
        return fail(krnl_code::kBadRequest,
                    "too many kernels: " + std::to_string(request.kernels.size()) + ", at most " +
                        std::to_string(config_.orchestrator.max_kernels));
    if (auto bound = check_inputs_bound(request); !bound) return std::unexpected(bound.error());
    Prepared p;
    auto function = abi::parse_function(request.function);
    if (!function)
        return fail(krnl_code::kBadRequest,
                    "function \"" + request.function + "\": " + function.error());
    p.selector = abi::selector(function->canonical());
    abi::Function authorised = *function;
    if (request.binding == Binding::Payload) {
        // The dApp's function takes the payload as its last parameter (KrnlConsumer checks
        // msg.sig); argsHash covers the parameters before it, which `args` encodes.
        if (function->inputs.empty() || function->inputs.back().kind != abi::Type::Kind::Bytes)
            return fail(krnl_code::kBadRequest,
                        "function \"" + request.function +
                            "\" must take the payload as its last parameter (bytes), as "
                            "KrnlConsumer.onlyKrnl expects: e.g. trade(uint256,uint256,bytes)");
        authorised.inputs.pop_back();
    }
    auto args = decode_call_args(authorised.canonical(), request.args);
    if (!args)
        return fail(krnl_code::kBadRequest,
                    "args do not decode as the parameters of " + function->canonical() +
                        (request.binding == Binding::Payload ? " before the payload: " : ": ") +
                        args.error());
    p.args = std::move(*args);
    p.sender = request.sender;
    p.encoded_args = request.args;

    // Every read below is at one block of the home chain.
    KRNL_RPC_TRY(home, pin(config_.home_chain_id, request, pins_from_request));
    p.home = home;
    p.blocks[config_.home_chain_id] = home.number;
    p.pins[config_.home_chain_id] = Pin{home.number, home.hash};
    KRNL_RPC_TRY(app, app_view(request.app, home));
    p.token_authority = app.token_authority;
    p.policy = app.policy;
    p.threshold = app.threshold;
    p.signer_trusted = app.signer_trusted;
    for (const auto& k : request.kernels) {
        KRNL_RPC_TRY(info, kernel_view(k.id, home));
        if (std::ranges::find(app.allowed, k.id) == app.allowed.end())
            return fail(krnl_code::kKernelNotAllowed,
                        "kernel " + dec(k.id) + " not allowed for app " + to_hex(request.app) +
                            ": add it with KernelRegistry.updateApp");
        if (!info.active)
            return fail(krnl_code::kKernelInactive,
                        "kernel " + dec(k.id) + " is inactive (deactivated by its owner)");
        KRNL_RPC_TRY(spec, spec_of(info));
        // evm-read kernels without a block of their own read their chain at one pinned block
        // too. A chain that cannot be reached is left unpinned: the kernel answers the error.
        if (const auto* read = std::get_if<EvmReadSpec>(&spec->body);
            read && !read->block && !p.blocks.contains(read->chain_id)) {
            auto pinned = pin(read->chain_id, request, pins_from_request);
            if (pinned) {
                p.blocks[read->chain_id] = pinned->number;
                p.pins[read->chain_id] = Pin{pinned->number, pinned->hash};
            } else if (pins_from_request && request.blocks.contains(read->chain_id))
                return std::unexpected(pinned.error());
        }
        p.specs.push_back(spec);
        p.fees.kernel_ids.push_back(k.id);
        p.fees.kernel_fees.push_back(info.fee);
        p.kernels.push_back(std::move(info));
    }
    p.fees.node_fee = config_.node_fee;

    // The deposit must cover everything the attestation will charge.
    uint256 needed = p.fees.node_fee;
    for (const auto& f : p.fees.kernel_fees)
        needed += f;
    if (app.deposit < needed)
        return fail(krnl_code::kDepositTooLow,
                    "deposit too low: needed " + dec(needed) + ", available " + dec(app.deposit) +
                        " (fund it with KrnlVault.deposit(" + to_hex(request.app) + "))",
                    json{{"needed", rpc::to_quantity(needed)},
                         {"available", rpc::to_quantity(app.deposit)}});
    return p;
}

ServiceResult<KrnlService::AppView> KrnlService::app_view(const address& app,
                                                          const BlockRef& home) const {
    const bool cacheable = home.state_id != hash256{};
    if (cacheable) {
        std::lock_guard lock(cache_mutex_);
        if (cache_.state_id == home.state_id) {
            if (auto it = cache_.apps.find(app); it != cache_.apps.end()) return it->second;
        }
    }
    const auto at = std::optional<uint64_t>(home.number);
    AppView v;
    auto ta_call = abi::encode_call("tokenAuthorityOf(address)", std::vector<abi::Value>{app});
    KRNL_RPC_TRY(ta_out, view(config_.registry, *ta_call, at));
    KRNL_RPC_TRY(ta, decode_one<address>(ta_out, "address", "tokenAuthorityOf()"));
    v.token_authority = ta;
    if (v.token_authority.is_zero())
        return fail(krnl_code::kAppNotRegistered,
                    "app not registered: " + to_hex(app) +
                        " has no token authority in the KernelRegistry at " +
                        to_hex(config_.registry) + " (registerApp first)");
    auto ak_call = abi::encode_call("appKernels(address)", std::vector<abi::Value>{app});
    KRNL_RPC_TRY(ak_out, view(config_.registry, *ak_call, at));
    KRNL_RPC_TRY(allowed, decode_one<abi::Value>(ak_out, "uint256[]", "appKernels()"));
    for (const auto& id : *allowed.as_list())
        v.allowed.push_back(*id.as_uint());
    auto dep_call = abi::encode_call("depositOf(address)", std::vector<abi::Value>{app});
    KRNL_RPC_TRY(dep_out, view(config_.vault, *dep_call, at));
    KRNL_RPC_TRY(deposit, decode_one<uint256>(dep_out, "uint256", "depositOf()"));
    v.deposit = deposit;
    // Authorities are read per app: a TokenAuthority serves one app, the KRNL validator every
    // account that installed it.
    auto pol_call = abi::encode_call("policyFor(address)", std::vector<abi::Value>{app});
    KRNL_RPC_TRY(pol_out, view(v.token_authority, *pol_call, at));
    KRNL_RPC_TRY(policy, decode_one<address>(pol_out, "address", "policyFor()"));
    v.policy = policy;
    auto k_call = abi::encode_call("thresholdFor(address)", std::vector<abi::Value>{app});
    KRNL_RPC_TRY(k_out, view(v.token_authority, *k_call, at));
    KRNL_RPC_TRY(k, decode_one<uint256>(k_out, "uint256", "thresholdFor()"));
    if (!k || !k.fits_u64() || k.low64() > 256)
        return fail(
            krnl_code::kChainUnavailable,
            "the token authority " + to_hex(v.token_authority) + " reports threshold " + dec(k));
    v.threshold = k.low64();
    KRNL_RPC_TRY(trusted, is_trusted(v.token_authority, app, signer_, home.number));
    v.signer_trusted = trusted;
    if (cacheable) {
        std::lock_guard lock(cache_mutex_);
        if (cache_.state_id != home.state_id) cache_ = ReadCache{home.state_id, {}, {}};
        if (cache_.apps.size() < kMaxCachedApps) cache_.apps.emplace(app, v);
    }
    return v;
}

ServiceResult<KernelInfo> KrnlService::kernel_view(const uint256& id, const BlockRef& home) const {
    const bool cacheable = home.state_id != hash256{};
    if (cacheable) {
        std::lock_guard lock(cache_mutex_);
        if (cache_.state_id == home.state_id) {
            if (auto it = cache_.kernels.find(id); it != cache_.kernels.end()) return it->second;
        }
    }
    KRNL_RPC_TRY(info, kernel(id, home.number));
    if (cacheable) {
        std::lock_guard lock(cache_mutex_);
        if (cache_.state_id != home.state_id) cache_ = ReadCache{home.state_id, {}, {}};
        if (cache_.kernels.size() < kMaxCachedKernels) cache_.kernels.emplace(id, info);
    }
    return info;
}

ServiceResult<bool> KrnlService::is_trusted(const address& authority, const address& app,
                                            const address& signer, uint64_t block) const {
    auto call =
        abi::encode_call("isSignerFor(address,address)", std::vector<abi::Value>{app, signer});
    KRNL_RPC_TRY(out, view(authority, *call, block));
    KRNL_RPC_TRY(trusted, decode_one<abi::Value>(out, "bool", "isSignerFor()"));
    return *trusted.as_bool();
}

ServiceResult<std::vector<KernelResult>> KrnlService::run(const Prepared& p,
                                                          const ExecuteRequest& request) const {
    ExecutionRequest er;
    er.app = request.app;
    er.sender = request.sender;
    er.args = p.args;
    er.blocks = p.blocks;
    for (size_t i = 0; i < request.kernels.size(); ++i)
        er.kernels.push_back(
            KernelCall{request.kernels[i].id, p.specs[i], request.kernels[i].inputs});
    // Every kernel holds a slot until it ends, a kernel outliving its request's deadline too.
    if (!kernel_slots_->try_acquire(request.kernels.size()))
        return fail(krnl_code::kEngineBusy,
                    "the node is busy: " + std::to_string(kernel_slots_->in_flight()) +
                        " kernels are running, and " + std::to_string(request.kernels.size()) +
                        " more would pass its bound of " + std::to_string(kernel_slots_->limit()) +
                        " (engine.max_kernels_in_flight); retry later",
                    json{{"limit", "max_kernels_in_flight"},
                         {"inFlight", kernel_slots_->in_flight()},
                         {"max", kernel_slots_->limit()}});
    er.slots = kernel_slots_;
    auto results = orchestrator_.execute(er);
    if (!results) return fail(krnl_code::kBadRequest, "kernels: " + results.error());
    for (size_t i = 0; i < results->size(); ++i) {
        if (request.kernels[i].required && !(*results)[i].err.empty()) {
            std::vector<KernelResponse> responses;
            for (const auto& r : *results)
                responses.push_back({r.kernel_id, r.result, r.err});
            return fail(krnl_code::kKernelFailed,
                        "kernel " + dec((*results)[i].kernel_id) + " (position " +
                            std::to_string(i) + ") is required and failed: " + (*results)[i].err,
                        json{{"responses", responses_to_json(responses)}});
        }
    }
    return std::move(*results);
}

namespace {

// IKrnlPolicy.evaluate(sender, selector, args, responses) as call data.
bytes policy_call(const address& sender, const fixed_bytes<4>& selector, const bytes& args,
                  const std::vector<KernelResponse>& responses) {
    static const std::vector<abi::Type> types = {type_of("address"), type_of("bytes4"),
                                                 type_of("bytes"), responses_type()};
    const std::vector<abi::Value> values = {sender, bytes(selector.view()), args,
                                            responses_value(responses)};
    const auto sel = abi::selector("evaluate(address,bytes4,bytes,(uint256,bytes,string)[])");
    bytes data(sel.view());
    data += *abi::encode(types, values);
    return data;
}

}  // namespace

ServiceResult<void> KrnlService::evaluate_policy(
    const Prepared& p, const std::vector<KernelResponse>& responses) const {
    if (p.policy.is_zero()) return {};  // no policy: the kernels' responses are the whole rule
    auto out =
        chains_->call(config_.home_chain_id, p.policy,
                      policy_call(p.sender, p.selector, p.encoded_args, responses), p.home.number);
    const json data = {{"responses", responses_to_json(responses)}};
    if (!out) {
        if (out.error().revert_data)
            return fail(krnl_code::kPolicyRefused,
                        "policy refused: the policy " + to_hex(p.policy) + " reverted (" +
                            describe_revert(*out.error().revert_data) + ")",
                        data);
        if (out.error().unreachable)
            return fail(
                krnl_code::kChainUnavailable,
                "policy " + to_hex(p.policy) + " could not be called: " + out.error().message);
        // The policy ran and failed (out of gas, invalid code): the app's policy refuses.
        return fail(
            krnl_code::kPolicyRefused,
            "policy refused: the policy " + to_hex(p.policy) + " failed: " + out.error().message,
            data);
    }
    if (out->empty())
        return fail(krnl_code::kPolicyRefused,
                    "policy refused: there is no contract at the policy address " +
                        to_hex(p.policy) + " on chain " + std::to_string(config_.home_chain_id) +
                        " (set it with TokenAuthority.setPolicy)",
                    data);
    auto verdict = abi::decode(std::vector<abi::Type>{type_of("bool"), type_of("string")}, *out);
    if (!verdict)
        return fail(krnl_code::kPolicyRefused,
                    "policy refused: the policy " + to_hex(p.policy) +
                        " returned something other than (bool, string): " + verdict.error(),
                    data);
    if (!*(*verdict)[0].as_bool()) {
        json refused = data;
        refused["reason"] = *(*verdict)[1].as_string();
        return fail(krnl_code::kPolicyRefused, "policy refused: " + *(*verdict)[1].as_string(),
                    refused);
    }
    return {};
}

NodeInfo KrnlService::node_info() const {
    return NodeInfo{signer_,       config_.home_chain_id, config_.registry,
                    config_.vault, config_.version,       peers_.size()};
}

namespace {

// The attestation's expiry and what it charges per kernel. It must stay valid until it expires,
// so it ends before a kernel's deactivation and before a fee rise (the vault refuses to charge
// less than the fee registered when it settles); a rise closer than the minimum lifetime is
// charged at once instead, and a deactivation that close refuses.
struct Terms {
    uint64_t expiry = 0;
    std::vector<uint256> kernel_fees;
};

ServiceResult<Terms> attestation_terms(const std::vector<KernelInfo>& kernels, uint64_t now,
                                       uint64_t lifetime, uint64_t min_lifetime) {
    Terms t;
    t.expiry = now + lifetime;
    const uint64_t earliest = now + min_lifetime;
    for (const auto& k : kernels) {
        if (k.deactivate_at == 0) continue;
        if (k.deactivate_at <= earliest)
            return fail(krnl_code::kKernelInactive,
                        "kernel " + dec(k.id) + " is deactivated at " +
                            std::to_string(k.deactivate_at) + ", " +
                            std::to_string(k.deactivate_at - std::min(k.deactivate_at, now)) +
                            " s from now: too soon for an attestation to be used");
        t.expiry = std::min(t.expiry, k.deactivate_at - 1);
    }
    for (const auto& k : kernels)
        if (k.fee_effective_at > earliest && k.pending_fee > k.fee)
            t.expiry = std::min(t.expiry, k.fee_effective_at - 1);
    for (const auto& k : kernels)
        t.kernel_fees.push_back(fee_until(k, t.expiry));
    return t;
}

}  // namespace

ServiceResult<Quote> KrnlService::quote(const address& app,
                                        const std::vector<uint256>& kernel_ids) const {
    // Validation as in execute, except the deposit: a quote tells what to deposit.
    if (!chains_) return fail(krnl_code::kChainUnavailable, "no chain access");
    auto head = chains_->head(config_.home_chain_id);
    if (!head)
        return fail(krnl_code::kChainUnavailable, "the home chain's head: " + head.error().message);
    KRNL_RPC_TRY(state, app_view(app, *head));
    std::vector<KernelInfo> kernels;
    for (const auto& id : kernel_ids) {
        KRNL_RPC_TRY(info, kernel_view(id, *head));
        if (std::ranges::find(state.allowed, id) == state.allowed.end())
            return fail(krnl_code::kKernelNotAllowed,
                        "kernel " + dec(id) + " not allowed for app " + to_hex(app));
        if (!info.active)
            return fail(krnl_code::kKernelInactive, "kernel " + dec(id) + " is inactive");
        kernels.push_back(std::move(info));
    }
    // What an execution now would attest, fee notices included.
    KRNL_RPC_TRY(terms, attestation_terms(kernels, chain_now(*head), config_.attestation_lifetime_s,
                                          config_.min_lifetime_s));
    Quote q;
    q.fees.kernel_ids = kernel_ids;
    q.fees.kernel_fees = terms.kernel_fees;
    q.fees.node_fee = config_.node_fee;
    q.total = config_.node_fee;
    for (const auto& f : terms.kernel_fees)
        q.total += f;
    q.expiry = terms.expiry;
    return q;
}

std::unexpected<ServiceError> KrnlService::busy_requests() const {
    return fail(krnl_code::kEngineBusy,
                "the node is busy: " + std::to_string(request_slots_->limit()) +
                    " engine requests are running (engine.max_requests_in_flight); retry later",
                json{{"limit", "max_requests_in_flight"},
                     {"inFlight", request_slots_->in_flight()},
                     {"max", request_slots_->limit()}});
}

ServiceResult<InFlightLimit::Ticket> KrnlService::admit() const {
    auto ticket = request_slots_->ticket();
    if (!ticket) return busy_requests();
    return std::move(*ticket);
}

namespace {

// What the log keeps of an execution's outcome (the kernels were noted as they answered).
void complete_record(ExecutionRecord& record, const ServiceResult<ExecuteResult>& result) {
    record.timestamp_ms =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    if (result) {
        record.verdict = ExecutionRecord::Verdict::Approved;
        record.attested = true;
        record.signers = result->signers;
        record.nonce = result->nonce;
        record.expiry = result->expiry;
        record.digest = result->digest;
        record.fee_total = result->fees.node_fee;
        for (const auto& fee : result->fees.kernel_fees)
            record.fee_total += fee;
        return;
    }
    const ServiceError& e = result.error();
    record.error_code = e.code;
    record.verdict = e.code == krnl_code::kPolicyRefused ? ExecutionRecord::Verdict::Refused
                                                         : ExecutionRecord::Verdict::Failed;
    record.reason = e.message;
    if (e.data && e.data->is_object()) {
        if (auto it = e.data->find("reason"); it != e.data->end() && it->is_string())
            record.reason = it->get<std::string>();
        // A required kernel that failed answers its responses in the error only.
        if (record.kernels.empty())
            if (auto it = e.data->find("responses"); it != e.data->end())
                if (auto responses = responses_from_json(*it))
                    for (auto& r : *responses)
                        record.kernels.push_back(
                            {r.kernel_id, std::move(r.result), false, std::move(r.err), {}});
    }
}

}  // namespace

ServiceResult<ExecuteResult> KrnlService::execute(const ExecuteRequest& request) const {
    const auto start = Clock::now();
    ExecutionRecord record;
    record.app = request.app;
    record.sender = request.sender;
    record.chain_id = request.chain_id;
    record.function = request.function;
    record.call_binding = request.binding == Binding::Call;
    auto result = execute_traced(request, record);
    record.total_ms = ms_since(start);
    complete_record(record, result);
    executions_->record(std::move(record));
    return result;
}

ServiceResult<ExecuteResult> KrnlService::execute_traced(const ExecuteRequest& request,
                                                         ExecutionRecord& record) const {
    const auto start = Clock::now();
    auto admitted = request_slots_->ticket();
    if (!admitted) return busy_requests();
    KRNL_RPC_TRY(p, prepare(request, /*pins_from_request=*/false));
    if (!p.signer_trusted)
        return fail(krnl_code::kSignerNotTrusted,
                    "this node's signer " + to_hex(signer_) +
                        " is not a signer of the token authority " + to_hex(p.token_authority) +
                        " of app " + to_hex(request.app) +
                        " (its owner adds it with TokenAuthority.addSigner)");
    if (p.threshold > 1 + peers_.size())
        return fail(krnl_code::kQuorumNotReached,
                    "quorum unreachable: the token authority " + to_hex(p.token_authority) +
                        " needs " + std::to_string(p.threshold) +
                        " signatures, and this node signs once and has " +
                        std::to_string(peers_.size()) + " peers (engine.peers)",
                    json{{"threshold", p.threshold}, {"peers", peers_.size()}});
    KRNL_RPC_TRY(results, run(p, request));
    ExecuteResult out;
    out.responses = to_responses(results);
    for (const auto& r : results) {
        out.kernel_ms.push_back(r.ms);
        record.kernels.push_back({r.kernel_id, r.result, false, r.err, r.ms});
    }
    if (auto ok = evaluate_policy(p, out.responses); !ok) return std::unexpected(ok.error());
    KRNL_RPC_TRY(terms, attestation_terms(p.kernels, chain_now(p.home),
                                          config_.attestation_lifetime_s, config_.min_lifetime_s));

    Attestation a;
    a.chain_id = uint256(config_.home_chain_id);
    a.token_authority = p.token_authority;
    a.app = request.app;
    a.sender = request.sender;
    a.selector = p.selector;
    a.args_hash = args_hash(request.args);
    a.responses = out.responses;
    a.nonce = request.nonce.value_or(random_nonce());
    a.expiry = terms.expiry;
    a.fees = p.fees;
    a.fees.kernel_fees = terms.kernel_fees;
    const hash256 digest = attestation_digest(a);
    auto own = sign_digest(digest, config_.operator_key);
    if (!own) return fail(rpc::code::kInternalError, "signing failed: " + own.error());

    std::vector<bytes> signatures{*own};
    if (p.threshold > 1) {
        // Peers re-run the kernels at the same blocks (the pins); k - 1 trusted co-signatures
        // complete the payload (more would only cost the app gas).
        out.peers = gather(p, request, a, digest, signatures);
        if (signatures.size() < p.threshold) {
            std::string why;
            json peers = json::array();
            for (const auto& o : out.peers) {
                why += "; " + o.url + ": " + o.error;
                peers.push_back({{"url", o.url}, {"error", o.error}});
            }
            return fail(krnl_code::kQuorumNotReached,
                        "quorum not reached: the token authority needs " +
                            std::to_string(p.threshold) + " signatures, " +
                            std::to_string(signatures.size()) + " gathered" + why,
                        json{{"threshold", p.threshold},
                             {"signatures", signatures.size()},
                             {"peers", peers},
                             {"responses", responses_to_json(out.responses)}});
        }
    }
    auto bundle = bundle_signatures(digest, signatures);
    if (!bundle) return fail(rpc::code::kInternalError, "assembling signatures: " + bundle.error());
    out.signers = std::move(bundle->signers);
    out.payload = encode_payload(a, bundle->signatures);
    out.signatures = std::move(bundle->signatures);
    out.digest = digest;
    out.fees = a.fees;
    out.nonce = a.nonce;
    out.expiry = a.expiry;
    out.token_authority = a.token_authority;
    out.threshold = p.threshold;
    out.blocks = p.blocks;
    out.total_ms = ms_since(start);
    return out;
}

}  // namespace krnl::engine
