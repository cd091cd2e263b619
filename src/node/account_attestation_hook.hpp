// The bundler's way into the kernel engine: user operations of accounts that route their call to
// the KRNL validator get their attestation appended before validation (DESIGN.md, "User
// operation"). The engine's refusals become ERC-7769 errors.
#pragma once

#include <memory>

#include "aa/bundler.hpp"
#include "engine/account_attestation.hpp"

namespace krnl::node {

// -32500 ("rejected by the account": the KRNL validator would refuse the op without an
// attestation) with the engine's message; `data` carries the engine's code and its data (the
// policy's reason and the kernel responses, the deposit needed and available, ...).
rpc::RpcError account_attestation_refusal(const rpc::RpcError& engine_error);

aa::SignatureCompleter account_attestation_hook(
    std::shared_ptr<const engine::AccountAttester> attester);

}  // namespace krnl::node
