#include "node/account_attestation_hook.hpp"

#include "aa/user_operation_json.hpp"

namespace krnl::node {

rpc::RpcError account_attestation_refusal(const rpc::RpcError& engine_error) {
    nlohmann::json data = nlohmann::json::object();
    if (engine_error.data && engine_error.data->is_object()) data = *engine_error.data;
    data["engineCode"] = engine_error.code;
    return rpc::RpcError{aa::code::kRejectedByEntryPoint,
                         "KRNL attestation refused: " + engine_error.message, std::move(data)};
}

aa::SignatureCompleter account_attestation_hook(
    std::shared_ptr<const engine::AccountAttester> attester) {
    return [attester = std::move(attester)](const aa::UserOperation& op,
                                            bool renewal) -> rpc::Result<std::optional<bytes>> {
        auto signature = attester->attest(
            engine::AccountOperation{op.sender, op.call_data, op.signature, op.nonce, renewal});
        if (!signature) return std::unexpected(account_attestation_refusal(signature.error()));
        return std::move(*signature);
    };
}

}  // namespace krnl::node
