// The ERC-7769 methods of one chain's bundler (eth_sendUserOperation, eth_getUserOperationByHash,
// eth_getUserOperationReceipt, eth_supportedEntryPoints) and the debug_bundler_* methods of the
// bundler spec tests.
#pragma once

#include "aa/bundler.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::aa {

// Registers after the bundler's signature completer is set: it decides how admission runs.
void register_bundler_methods(rpc::MethodTable& methods, Bundler& bundler);

}  // namespace krnl::aa
