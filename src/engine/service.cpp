#include "engine/service.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>

#include "common/secp256k1.hpp"
#include "common/thread.hpp"
#include "rpc/params.hpp"

namespace krnl::engine {

namespace {

using Clock = std::chrono::steady_clock;

abi::Type type_of(std::string_view text) {
    return *abi::parse_type(text);
}

std::unexpected<ServiceError> fail(int code, std::string message,
                                   std::optional<json> data = std::nullopt) {
    return std::unexpected(ServiceError{code, std::move(message), std::move(data)});
}

std::string dec(const uint256& v) {
    return to_string(v);
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

struct KrnlService::Prepared {
    BlockRef home;                        // every registry, vault and policy read is at this block
    std::map<uint64_t, uint64_t> blocks;  // and every evm-read kernel at its chain's pin
    address token_authority;
    address policy;
    uint64_t threshold = 1;
    bool signer_trusted = false;
    std::vector<KernelInfo> kernels;
    std::vector<std::shared_ptr<const KernelSpec>> specs;
    std::vector<TypedValue> args;
    fixed_bytes<4> selector;
    address sender;
    bytes encoded_args;
    Fees fees;
};

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
      orchestrator_(std::make_shared<KernelRunner>(chains, config_.runner), config_.orchestrator) {
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
    if (head->number - it->second > config_.max_pin_lag_blocks)
        return fail(krnl_code::kBadRequest,
                    "block " + std::to_string(it->second) + " of chain " +
                        std::to_string(chain_id) + " is " +
                        std::to_string(head->number - it->second) +
                        " blocks behind the head; this node reads at most " +
                        std::to_string(config_.max_pin_lag_blocks) + " behind");
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
    // The dApp's function takes the payload as its last parameter (KrnlConsumer checks msg.sig);
    // argsHash covers the parameters before it, which `args` encodes.
    if (function->inputs.empty() || function->inputs.back().kind != abi::Type::Kind::Bytes)
        return fail(krnl_code::kBadRequest,
                    "function \"" + request.function +
                        "\" must take the payload as its last parameter (bytes), as "
                        "KrnlConsumer.onlyKrnl expects: e.g. trade(uint256,uint256,bytes)");
    p.selector = abi::selector(function->canonical());
    abi::Function authorised = *function;
    authorised.inputs.pop_back();
    auto args = decode_call_args(authorised.canonical(), request.args);
    if (!args)
        return fail(krnl_code::kBadRequest, "args do not decode as the parameters of " +
                                                function->canonical() +
                                                " before the payload: " + args.error());
    p.args = std::move(*args);
    p.sender = request.sender;
    p.encoded_args = request.args;

    // Every read below is at one block of the home chain.
    KRNL_RPC_TRY(home, pin(config_.home_chain_id, request, pins_from_request));
    p.home = home;
    p.blocks[config_.home_chain_id] = home.number;
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
            if (pinned)
                p.blocks[read->chain_id] = pinned->number;
            else if (pins_from_request && request.blocks.contains(read->chain_id))
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
    auto pol_call = abi::encode_call("policy()", {});
    KRNL_RPC_TRY(pol_out, view(v.token_authority, *pol_call, at));
    KRNL_RPC_TRY(policy, decode_one<address>(pol_out, "address", "TokenAuthority.policy()"));
    v.policy = policy;
    auto k_call = abi::encode_call("threshold()", {});
    KRNL_RPC_TRY(k_out, view(v.token_authority, *k_call, at));
    KRNL_RPC_TRY(k, decode_one<uint256>(k_out, "uint256", "TokenAuthority.threshold()"));
    if (!k || !k.fits_u64() || k.low64() > 256)
        return fail(
            krnl_code::kChainUnavailable,
            "the token authority " + to_hex(v.token_authority) + " reports threshold " + dec(k));
    v.threshold = k.low64();
    KRNL_RPC_TRY(trusted, is_trusted(v.token_authority, signer_, home.number));
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

ServiceResult<bool> KrnlService::is_trusted(const address& authority, const address& signer,
                                            uint64_t block) const {
    auto call = abi::encode_call("isSigner(address)", std::vector<abi::Value>{signer});
    KRNL_RPC_TRY(out, view(authority, *call, block));
    KRNL_RPC_TRY(trusted, decode_one<abi::Value>(out, "bool", "TokenAuthority.isSigner()"));
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
    if (!*(*verdict)[0].as_bool())
        return fail(krnl_code::kPolicyRefused, "policy refused: " + *(*verdict)[1].as_string(),
                    data);
    return {};
}

NodeInfo KrnlService::node_info() const {
    return NodeInfo{signer_,       config_.home_chain_id, config_.registry,
                    config_.vault, config_.version,       peers_.size()};
}

namespace {

uint64_t unix_now() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

std::vector<KernelResponse> to_responses(const std::vector<KernelResult>& results) {
    std::vector<KernelResponse> out;
    for (const auto& r : results)
        out.push_back({r.kernel_id, r.result, r.err});
    return out;
}

std::string describe_response(const KernelResponse& r) {
    return r.err.empty() ? "result " + to_hex(r.result) : "error \"" + r.err + "\"";
}

}  // namespace

namespace {

// The attestation's expiry and what it charges per kernel. It must stay valid until it expires,
// so it ends before a kernel's deactivation and before a fee rise (the vault refuses to charge
// less than the fee registered when it settles); a rise closer than the minimum lifetime is
// charged at once instead, and a deactivation that close refuses.
struct Terms {
    uint64_t expiry = 0;
    std::vector<uint256> kernel_fees;
};

// The fee an attestation valid until `expiry` must carry: the highest the registry may ask
// before then.
uint256 fee_until(const KernelInfo& k, uint64_t expiry) {
    if (k.fee_effective_at != 0 && k.fee_effective_at <= expiry)
        return std::max(k.fee, k.pending_fee);
    return k.fee;
}

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

// The time attestations are dated by: the home chain's, which a devnet may have moved ahead.
uint64_t chain_now(const BlockRef& home) {
    return std::max(unix_now(), home.timestamp);
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

ServiceResult<ExecuteResult> KrnlService::execute(const ExecuteRequest& request) const {
    const auto start = Clock::now();
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
    for (const auto& r : results)
        out.kernel_ms.push_back(r.ms);
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
    a.nonce = random_nonce();
    a.expiry = terms.expiry;
    a.fees = p.fees;
    a.fees.kernel_fees = terms.kernel_fees;
    const hash256 digest = attestation_digest(a);
    auto own = sign_digest(digest, config_.operator_key);
    if (!own) return fail(rpc::code::kInternalError, "signing failed: " + own.error());

    std::vector<bytes> signatures{*own};
    if (p.threshold > 1) {
        // Peers re-run the kernels at the same blocks; k - 1 trusted co-signatures complete the
        // payload (more would only cost the app gas).
        ExecuteRequest pinned = request;
        pinned.blocks = p.blocks;
        out.peers = gather(p, pinned, a, digest, signatures);
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
    auto bundle = assemble_signatures(digest, signatures);
    if (!bundle) return fail(rpc::code::kInternalError, "assembling signatures: " + bundle.error());
    for (size_t i = 0; i + 65 <= bundle->size(); i += 65)
        out.signers.push_back(*recover_signer(digest, bytes_view(*bundle).substr(i, 65)));

    out.payload = encode_payload(a, *bundle);
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

namespace {

struct PeerAnswer {
    PeerOutcome outcome;
    bytes signature;
};

// One peer's co-signature of `digest`, checked: it must recover to the signer the peer names and
// not to this node's own.
PeerAnswer ask_peer(rpc::Client& peer, const json& params, const hash256& digest,
                    const address& own_signer) {
    PeerAnswer a{{peer.url(), std::nullopt, {}}, {}};
    PeerOutcome& o = a.outcome;
    auto r = peer.call("krnl_cosign", params);
    if (!r) {
        // The client reports transport failures as internal errors naming the URL.
        o.error =
            r.error().code == rpc::code::kInternalError
                ? "peer unreachable or failed: " + r.error().message
                : "peer refused (" + std::to_string(r.error().code) + "): " + r.error().message;
        return a;
    }
    const json& v = *r;
    if (!v.is_object() || !v.contains("signature")) {
        o.error = "peer answered without a signature";
        return a;
    }
    auto sig = rpc::parse_data(v["signature"]);
    if (!sig) {
        o.error = "peer's signature: " + sig.error();
        return a;
    }
    auto signer = recover_signer(digest, *sig);
    if (!signer) {
        o.error = "peer's signature does not recover: " + signer.error();
        return a;
    }
    // A signature over another digest recovers to some unrelated address: compare with the claim.
    if (v.contains("signer")) {
        auto claimed = rpc::parse_address(v["signer"]);
        if (!claimed || *claimed != *signer) {
            o.error = "peer signed another digest (its signature recovers to " + to_hex(*signer) +
                      ", not the signer it names)";
            return a;
        }
    }
    if (*signer == own_signer) {
        o.error = "peer signs with this node's own key";
        return a;
    }
    o.signer = *signer;
    a.signature = std::move(*sig);
    return a;
}

// The answers of one round of co-signing, filled in by the peer threads. Shared, so a peer that
// answers after the quorum was reached writes into something still alive.
struct Gathering {
    std::mutex mutex;
    std::condition_variable answered;
    std::vector<std::optional<PeerAnswer>> answers;
};

// Peers of every request share one pool, never destroyed (a peer may outlive its request).
ThreadPool& peer_threads() {
    static ThreadPool* pool = new ThreadPool(256);
    return *pool;
}

}  // namespace

std::vector<PeerOutcome> KrnlService::gather(const Prepared& p, const ExecuteRequest& request,
                                             const Attestation& a, const hash256& digest,
                                             std::vector<bytes>& signatures) const {
    // Peers re-run the kernels, so they are all asked at once, and the payload is complete as
    // soon as k - 1 of those the token authority trusts co-signed: a slow or hanging peer costs
    // nothing while enough others answer.
    const size_t n = peers_.size();
    auto round = std::make_shared<Gathering>();
    round->answers.resize(n);
    const json params = json::array({request_to_json(request), responses_to_json(a.responses),
                                     rpc::to_quantity(a.nonce), rpc::to_quantity(a.expiry),
                                     rpc::to_quantity(a.fees.node_fee)});
    for (size_t i = 0; i < n; ++i) {
        const bool posted =
            peer_threads().post([round, i, client = peers_[i], params, digest, own = signer_] {
                PeerAnswer answer = ask_peer(*client, params, digest, own);
                std::lock_guard lock(round->mutex);
                round->answers[i] = std::move(answer);
                round->answered.notify_all();
            });
        if (!posted) {
            std::lock_guard lock(round->mutex);
            round->answers[i] = PeerAnswer{
                {peers_[i]->url(), std::nullopt, "the node could not start a thread"}, {}};
        }
    }
    std::vector<PeerOutcome> outcomes(n);
    std::vector<bool> handled(n, false);
    size_t remaining = n;
    std::unique_lock lock(round->mutex);
    while (remaining > 0 && signatures.size() < p.threshold) {
        round->answered.wait(lock, [&] {
            for (size_t i = 0; i < n; ++i)
                if (!handled[i] && round->answers[i]) return true;
            return false;
        });
        for (size_t i = 0; i < n && signatures.size() < p.threshold; ++i) {
            if (handled[i] || !round->answers[i]) continue;
            handled[i] = true;
            --remaining;
            PeerAnswer answer = std::move(*round->answers[i]);
            lock.unlock();
            PeerOutcome& o = answer.outcome;
            if (o.signer) {
                auto trusted = is_trusted(p.token_authority, *o.signer, p.home.number);
                if (!trusted) {
                    o.error = trusted.error().message;
                    o.signer.reset();
                } else if (!*trusted) {
                    o.error = "co-signed, but its signer " + to_hex(*o.signer) +
                              " is not a signer of the token authority";
                    o.signer.reset();
                } else {
                    signatures.push_back(std::move(answer.signature));
                }
            }
            outcomes[i] = std::move(o);
            lock.lock();
        }
    }
    for (size_t i = 0; i < n; ++i)
        if (!handled[i])
            outcomes[i] = {peers_[i]->url(), std::nullopt,
                           "not waited for: the threshold was reached first"};
    return outcomes;
}

ServiceResult<CosignResult> KrnlService::cosign(const ExecuteRequest& request,
                                                const std::vector<KernelResponse>& responses,
                                                const uint256& nonce, uint64_t expiry,
                                                const uint256& node_fee) const {
    if (node_fee < config_.node_fee)
        return fail(
            krnl_code::kBadRequest,
            "node fee " + dec(node_fee) + " is below this node's fee " + dec(config_.node_fee));
    if (responses.size() != request.kernels.size())
        return fail(krnl_code::kBadRequest,
                    "responses (" + std::to_string(responses.size()) + ") and kernels (" +
                        std::to_string(request.kernels.size()) + ") differ in number");
    KRNL_RPC_TRY(p, prepare(request, /*pins_from_request=*/true));
    const uint64_t now = chain_now(p.home);
    if (expiry < now)
        return fail(krnl_code::kBadRequest, "expiry " + std::to_string(expiry) + " has passed");
    if (expiry > now + config_.attestation_lifetime_s + 60)
        return fail(krnl_code::kBadRequest,
                    "expiry " + std::to_string(expiry) + " is further away than this node's " +
                        std::to_string(config_.attestation_lifetime_s) + " s lifetime");
    for (const auto& k : p.kernels)
        if (k.deactivate_at != 0 && k.deactivate_at <= expiry)
            return fail(krnl_code::kKernelInactive, "kernel " + dec(k.id) + " is deactivated at " +
                                                        std::to_string(k.deactivate_at) +
                                                        ", before the expiry " +
                                                        std::to_string(expiry));
    KRNL_RPC_TRY(results, run(p, request));
    const auto mine = to_responses(results);
    for (size_t i = 0; i < mine.size(); ++i) {
        if (mine[i] == responses[i]) continue;
        return fail(krnl_code::kResponsesDiffer,
                    "kernel " + dec(mine[i].kernel_id) + " (position " + std::to_string(i) +
                        ") differs: this node got " + describe_response(mine[i]) +
                        ", the request carries " + describe_response(responses[i]),
                    json{{"position", i}, {"responses", responses_to_json(mine)}});
    }
    if (auto ok = evaluate_policy(p, mine); !ok) return std::unexpected(ok.error());

    Attestation a;
    a.chain_id = uint256(config_.home_chain_id);
    a.token_authority = p.token_authority;
    a.app = request.app;
    a.sender = request.sender;
    a.selector = p.selector;
    a.args_hash = args_hash(request.args);
    a.responses = mine;
    a.nonce = nonce;
    a.expiry = expiry;
    a.fees = p.fees;
    for (size_t i = 0; i < p.kernels.size(); ++i)
        a.fees.kernel_fees[i] = fee_until(p.kernels[i], expiry);
    a.fees.node_fee = node_fee;
    const hash256 digest = attestation_digest(a);
    auto sig = sign_digest(digest, config_.operator_key);
    if (!sig) return fail(rpc::code::kInternalError, "signing failed: " + sig.error());
    return CosignResult{signer_, std::move(*sig), digest};
}

// ---- JSON forms

namespace {

std::unexpected<ServiceError> bad_field(const std::string& field, const std::string& why) {
    return fail(krnl_code::kBadRequest, "request." + field + ": " + why);
}

}  // namespace

std::expected<uint256, std::string> parse_kernel_id(const json& value) {
    if (value.is_number_unsigned()) return uint256(value.get<uint64_t>());
    if (value.is_number_integer()) {
        if (value.get<int64_t>() < 0) return std::unexpected("a kernel id cannot be negative");
        return uint256(static_cast<uint64_t>(value.get<int64_t>()));
    }
    return rpc::parse_quantity(value);
}

json blocks_to_json(const std::map<uint64_t, uint64_t>& blocks) {
    json out = json::object();
    for (const auto& [chain, number] : blocks)
        out[std::to_string(chain)] = rpc::to_quantity(number);
    return out;
}

json request_to_json(const ExecuteRequest& r) {
    json kernels = json::array();
    for (const auto& k : r.kernels) {
        json o = {{"id", rpc::to_quantity(k.id)}, {"inputs", k.inputs}};
        if (k.required) o["required"] = true;
        kernels.push_back(std::move(o));
    }
    json out = {{"app", to_hex(r.app)},       {"chainId", rpc::to_quantity(r.chain_id)},
                {"sender", to_hex(r.sender)}, {"function", r.function},
                {"args", to_hex(r.args)},     {"kernels", std::move(kernels)}};
    if (!r.blocks.empty()) out["blocks"] = blocks_to_json(r.blocks);
    return out;
}

ServiceResult<ExecuteRequest> request_from_json(const json& v) {
    if (!v.is_object()) return fail(krnl_code::kBadRequest, "request must be an object");
    for (const auto& [key, _] : v.items()) {
        static const char* known[] = {"app",  "chainId", "sender", "function",
                                      "args", "kernels", "blocks"};
        if (std::ranges::find(known, key) == std::end(known))
            return bad_field(key, "unknown field");
    }
    ExecuteRequest r;
    const auto need = [&](const char* name) -> ServiceResult<const json*> {
        auto it = v.find(name);
        if (it == v.end() || it->is_null()) return bad_field(name, "missing");
        return &*it;
    };
    KRNL_RPC_TRY(app, need("app"));
    auto a = rpc::parse_address(*app);
    if (!a) return bad_field("app", a.error());
    r.app = *a;
    KRNL_RPC_TRY(chain, need("chainId"));
    // A chain id as a quantity ("0x7a69") or a plain number (31337), as people write it.
    if (chain->is_number_unsigned()) {
        r.chain_id = chain->get<uint64_t>();
    } else {
        auto c = rpc::parse_u64(*chain);
        if (!c) return bad_field("chainId", c.error());
        r.chain_id = *c;
    }
    KRNL_RPC_TRY(sender, need("sender"));
    auto s = rpc::parse_address(*sender);
    if (!s) return bad_field("sender", s.error());
    r.sender = *s;
    KRNL_RPC_TRY(function, need("function"));
    if (!function->is_string()) return bad_field("function", "must be a signature string");
    r.function = function->get<std::string>();
    if (auto it = v.find("args"); it != v.end() && !it->is_null()) {
        auto d = rpc::parse_data(*it);
        if (!d) return bad_field("args", d.error());
        r.args = std::move(*d);
    }
    KRNL_RPC_TRY(kernels, need("kernels"));
    if (!kernels->is_array()) return bad_field("kernels", "must be an array");
    for (size_t i = 0; i < kernels->size(); ++i) {
        const json& k = (*kernels)[i];
        const std::string where = "kernels[" + std::to_string(i) + "]";
        if (!k.is_object()) return bad_field(where, "must be an object {id, inputs}");
        KernelRequest kr;
        for (const auto& [key, _] : k.items())
            if (key != "id" && key != "inputs" && key != "required")
                return bad_field(where + "." + key, "unknown field");
        if (!k.contains("id")) return bad_field(where + ".id", "missing");
        auto id = parse_kernel_id(k["id"]);
        if (!id) return bad_field(where + ".id", id.error());
        kr.id = *id;
        if (auto it = k.find("inputs"); it != k.end() && !it->is_null()) {
            if (!it->is_array()) return bad_field(where + ".inputs", "must be an array");
            kr.inputs.assign(it->begin(), it->end());
        }
        if (auto it = k.find("required"); it != k.end() && !it->is_null()) {
            if (!it->is_boolean()) return bad_field(where + ".required", "must be a boolean");
            kr.required = it->get<bool>();
        }
        r.kernels.push_back(std::move(kr));
    }
    if (auto it = v.find("blocks"); it != v.end() && !it->is_null()) {
        if (!it->is_object())
            return bad_field("blocks", "must be an object {\"<chain id>\": \"0x<block>\"}");
        for (const auto& [key, value] : it->items()) {
            uint64_t chain = 0;
            const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), chain);
            if (ec != std::errc{} || end != key.data() + key.size())
                return bad_field("blocks." + key, "the key must be a decimal chain id");
            auto number = rpc::parse_u64(value);
            if (!number) return bad_field("blocks." + key, number.error());
            r.blocks[chain] = *number;
        }
    }
    return r;
}

json responses_to_json(const std::vector<KernelResponse>& responses) {
    json out = json::array();
    for (const auto& r : responses)
        out.push_back({{"kernelId", rpc::to_quantity(r.kernel_id)},
                       {"result", to_hex(r.result)},
                       {"err", r.err}});
    return out;
}

ServiceResult<std::vector<KernelResponse>> responses_from_json(const json& v) {
    if (!v.is_array()) return fail(krnl_code::kBadRequest, "responses must be an array");
    std::vector<KernelResponse> out;
    for (size_t i = 0; i < v.size(); ++i) {
        const json& r = v[i];
        const std::string where = "responses[" + std::to_string(i) + "]";
        if (!r.is_object() || !r.contains("kernelId") || !r.contains("result") ||
            !r.contains("err") || !r["err"].is_string())
            return fail(krnl_code::kBadRequest, where + " must be {kernelId, result, err}");
        auto id = rpc::parse_quantity(r["kernelId"]);
        if (!id) return fail(krnl_code::kBadRequest, where + ".kernelId: " + id.error());
        auto result = rpc::parse_data(r["result"]);
        if (!result) return fail(krnl_code::kBadRequest, where + ".result: " + result.error());
        out.push_back({*id, std::move(*result), r["err"].get<std::string>()});
    }
    return out;
}

}  // namespace krnl::engine
