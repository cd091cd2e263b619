#include "engine/account_attestation.hpp"

#include <algorithm>

#include "common/abi.hpp"
#include "common/keccak.hpp"
#include "engine/service_detail.hpp"

namespace krnl::engine {

using detail::fail;

namespace {

// What the account and the validator answer, read at the head of the home chain. The sender is
// anyone's contract: its answer gets the gas of a few storage reads, not an eth_call's cap.
constexpr uint64_t kBindingReadGas = 100'000;
// A requirement is a string in storage: 3M gas reads about 45 KB of it.
constexpr uint64_t kRequirementReadGas = 3'000'000;

std::expected<bytes, CallError> read(ChainAccess& chains, uint64_t chain_id, const address& to,
                                     std::string_view signature, std::vector<abi::Value> args,
                                     uint64_t gas) {
    auto call = abi::encode_call(signature, args);
    if (!call) return std::unexpected(CallError{call.error(), std::nullopt, false});
    return chains.call_with_gas(chain_id, to, std::move(*call), std::nullopt, gas);
}

uint32_t mode_of(bytes_view signature) {
    return signature.size() < 4 ? UINT32_MAX
                                : (uint32_t{signature[0]} << 24) | (uint32_t{signature[1]} << 16) |
                                      (uint32_t{signature[2]} << 8) | signature[3];
}

}  // namespace

bytes_view authorised_call(bytes_view call_data) {
    if (call_data.size() >= 4 &&
        std::equal(call_data.begin(), call_data.begin() + 4, std::begin(kExecuteUserOpSelector)))
        return call_data.substr(4);
    return call_data;
}

bytes encode_account_attestation(const ExecuteResult& r) {
    std::vector<abi::Value> ids, fees;
    for (const auto& id : r.fees.kernel_ids)
        ids.emplace_back(id);
    for (const auto& fee : r.fees.kernel_fees)
        fees.emplace_back(fee);
    const hash256 responses = responses_hash(r.responses);
    auto types =
        abi::parse_types("(bytes32,uint256,uint64,uint256[],uint256[],uint256,bytes)").value();
    std::vector<abi::Value> values{bytes(responses.view()),
                                   r.nonce,
                                   uint256(r.expiry),
                                   abi::ValueList(std::move(ids)),
                                   abi::ValueList(std::move(fees)),
                                   r.fees.node_fee,
                                   r.signatures};
    // Every value matches its type by construction.
    return abi::encode(types, values).value();
}

AccountAttester::AccountAttester(std::shared_ptr<const KrnlService> service,
                                 std::shared_ptr<ChainAccess> chains, address krnl_validator)
    : service_(std::move(service)), chains_(std::move(chains)), validator_(krnl_validator) {}

ServiceResult<std::optional<bytes>> AccountAttester::attest(const AccountOperation& op) const {
    // Only the owner's signature behind the plugin mode: anything longer is attested already,
    // and a renewal keeps just that part.
    bytes_view owner_signed = op.signature;
    if (op.renewal && owner_signed.size() > 4 + kOwnerSignatureSize)
        owner_signed = owner_signed.substr(0, 4 + kOwnerSignatureSize);
    if (mode_of(owner_signed) != kPluginMode || owner_signed.size() != 4 + kOwnerSignatureSize)
        return std::nullopt;
    const bytes_view call = authorised_call(op.call_data);
    if (call.size() < 4) return std::nullopt;
    const bytes selector(call.substr(0, 4));
    const uint64_t home = service_->config().home_chain_id;

    // The account's binding of the selector: (executor, validator, validAfter, validUntil). An
    // address without code (a counterfactual account) answers nothing and is not attested.
    auto bound = read(*chains_, home, op.sender, "executionOf(bytes4)",
                      std::vector<abi::Value>{selector}, kBindingReadGas);
    if (!bound || bound->size() < 64) return std::nullopt;
    auto binding = abi::decode(abi::parse_types("(address,address,uint48,uint48)").value(), *bound);
    if (!binding) return std::nullopt;
    const address* validator = (*binding)[1].as_address();
    if (!validator || *validator != validator_) return std::nullopt;

    auto requirement = read(*chains_, home, validator_, "requirementOf(address,bytes4)",
                            std::vector<abi::Value>{op.sender, selector}, kRequirementReadGas);
    if (!requirement)
        return fail(krnl_code::kChainUnavailable, "KrnlValidator.requirementOf(" +
                                                      to_hex(op.sender) + ", " + to_hex(selector) +
                                                      "): " + requirement.error().message);
    auto text = abi::decode(abi::parse_type("string").value(), *requirement);
    if (!text || text->as_string()->empty())
        return fail(krnl_code::kBadRequest,
                    "the account " + to_hex(op.sender) + " routes " + to_hex(selector) +
                        " to the KRNL validator but names no kernels for it (install the "
                        "validator with a requirement for this selector)");
    const json spec = json::parse(*text->as_string(), nullptr, false);
    if (!spec.is_object() || !spec.contains("function") || !spec.contains("kernels"))
        return fail(krnl_code::kBadRequest,
                    "the KRNL requirement of " + to_hex(op.sender) + " for " + to_hex(selector) +
                        " is not {\"function\": ..., \"kernels\": [...]}: " +
                        text->as_string()->substr(0, 200));
    // The request the account's configuration describes, for this very call: the account is
    // both the app and the sender; the op's EntryPoint nonce is the attestation's.
    json request = {{"app", to_hex(op.sender)},
                    {"chainId", home},
                    {"sender", to_hex(op.sender)},
                    {"function", spec["function"]},
                    {"args", to_hex(call.substr(4))},
                    {"kernels", spec["kernels"]},
                    {"binding", "call"}};
    KRNL_RPC_TRY(parsed, request_from_json(request));
    auto function = abi::parse_function(parsed.function);
    if (!function)
        return fail(krnl_code::kBadRequest, "the KRNL requirement's function \"" + parsed.function +
                                                "\": " + function.error());
    if (bytes_view(abi::selector(function->canonical())) != bytes_view(selector))
        return fail(krnl_code::kBadRequest, "the KRNL requirement of " + to_hex(op.sender) +
                                                " for " + to_hex(selector) + " names function " +
                                                parsed.function + ", whose selector differs");
    parsed.nonce = op.nonce;

    // What the attestation binds: the account, its EntryPoint nonce and the call.
    bytes bound_by(op.sender.view());
    const auto nonce_word = op.nonce.to_bytes32();
    bound_by.insert(bound_by.end(), nonce_word.bytes, nonce_word.bytes + 32);
    bound_by.insert(bound_by.end(), op.call_data.begin(), op.call_data.end());
    const hash256 key = keccak256(bound_by);
    auto head = chains_->head(home);
    const uint64_t now = detail::chain_now(head ? *head : BlockRef{});
    bytes attestation;
    if (auto reused = op.renewal ? std::nullopt : cached(key, now)) {
        attestation = std::move(*reused);
    } else {
        KRNL_RPC_TRY(result, service_->execute(parsed));
        attestation = encode_account_attestation(result);
        remember(key, attestation, result.expiry);
    }
    bytes signature(owner_signed);
    signature.insert(signature.end(), attestation.begin(), attestation.end());
    return signature;
}

std::optional<bytes> AccountAttester::cached(const hash256& key, uint64_t now) const {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it == cache_.end() || it->second.expiry < now + kReuseMarginS) return std::nullopt;
    return it->second.attestation;
}

void AccountAttester::remember(const hash256& key, bytes attestation, uint64_t expiry) const {
    std::lock_guard lock(cache_mutex_);
    if (cache_.contains(key)) {
        cache_[key] = Cached{std::move(attestation), expiry};
        return;
    }
    while (cache_.size() >= kMaxCached) {
        cache_.erase(cache_order_.front());
        cache_order_.pop_front();
    }
    cache_.emplace(key, Cached{std::move(attestation), expiry});
    cache_order_.push_back(key);
}

}  // namespace krnl::engine
