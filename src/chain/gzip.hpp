// gzip (RFC 1952) through zlib, for anvil's state files. Inflation stops at a caller's limit, so
// a small input that expands without bound (a gzip bomb) costs no more than the limit.
#pragma once

#include <expected>
#include <string>

#include "common/bytes.hpp"

namespace krnl::chain {

// True when `data` starts with gzip's magic bytes.
bool is_gzip(bytes_view data);
std::expected<bytes, std::string> gzip_compress(bytes_view data);
// Refused past `max_output` bytes of output, on damaged input, or on trailing data.
std::expected<bytes, std::string> gzip_decompress(bytes_view data, size_t max_output);

}  // namespace krnl::chain
