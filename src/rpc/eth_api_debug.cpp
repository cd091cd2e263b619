// debug_trace* with geth's tracers.
#include "rpc/eth_api.hpp"

namespace krnl::rpc {

void EthApi::register_debug(MethodTable&) {}

}  // namespace krnl::rpc
