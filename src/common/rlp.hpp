// Recursive Length Prefix (Yellow Paper, appendix B) with strict, canonical-only decoding.
//
// Decoders take a view and consume the item at its front, so a list payload is read by calling
// them repeatedly until the view is empty. Every decoder checks that the bytes it announces are
// present, so callers never read past the input, and leaves the view untouched when it fails.
#pragma once

#include <cstring>
#include <expected>
#include <string_view>

#include "common/bytes.hpp"
#include "common/uint256.hpp"

namespace krnl::rlp {

enum class Error {
    InputTooShort,
    InputTooLong,      // trailing bytes after an item that should fill its input
    LeadingZero,       // integer with a leading zero byte (0 must be 0x80)
    NonCanonicalSize,  // single byte < 0x80 as a string, long form for < 56 bytes, or a
                       // length with leading zeros
    UnexpectedList,
    UnexpectedString,
    Overflow,          // integer wider than the target type
    UnexpectedLength,  // fixed-size field of the wrong length
};

std::string_view error_message(Error e);

struct Header {
    bool list;
    size_t payload_length;
};

// Reads an item's header and leaves `in` at the payload, which is guaranteed to be present. A
// single byte below 0x80 is its own payload: the header is empty and `in` does not move.
std::expected<Header, Error> decode_header(bytes_view& in);

// The payload of a string item; fails on a list.
std::expected<bytes_view, Error> decode_string(bytes_view& in);

// The payload of a list item (decode its items from it); fails on a string.
std::expected<bytes_view, Error> decode_list(bytes_view& in);

// Canonical integers: big-endian without leading zeros, zero encoded as the empty string.
std::expected<uint64_t, Error> decode_u64(bytes_view& in);
std::expected<uint256, Error> decode_uint256(bytes_view& in);

// A string of exactly N bytes (addresses, hashes).
template <size_t N>
std::expected<fixed_bytes<N>, Error> decode_fixed(bytes_view& in) {
    bytes_view cursor = in;
    auto payload = decode_string(cursor);
    if (!payload) return std::unexpected(payload.error());
    if (payload->size() != N) return std::unexpected(Error::UnexpectedLength);
    fixed_bytes<N> r;
    if constexpr (N > 0) std::memcpy(r.bytes, payload->data(), N);
    in = cursor;
    return r;
}

// The whole encoded item, header included (to re-hash or store it verbatim). Only the outer
// header is checked; nested items are not visited.
std::expected<bytes_view, Error> decode_item(bytes_view& in);

// Encoders append to `out`.
void encode_string(bytes& out, bytes_view s);
void encode_uint(bytes& out, uint64_t v);
void encode_uint(bytes& out, const uint256& v);
void encode_list_header(bytes& out, size_t payload_length);

// A list item from its already-encoded items.
bytes wrap_list(bytes_view payload);

// Encoded sizes, to size buffers and list headers before writing.
size_t string_length(bytes_view s);
size_t list_length(size_t payload_length);

}  // namespace krnl::rlp
