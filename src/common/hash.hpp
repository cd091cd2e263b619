// SHA-256 and RIPEMD-160 (the 0x02 and 0x03 precompiles, and anything else that needs them),
// computed by OpenSSL 3.
#pragma once

#include "common/bytes.hpp"

namespace krnl {

hash256 sha256(bytes_view data);
fixed_bytes<20> ripemd160(bytes_view data);

}  // namespace krnl
