#include "common/rlp.hpp"

namespace krnl::rlp {
namespace {

// Prefix bytes: strings start at 0x80, lists at 0xc0; lengths up to 55 fit in the prefix itself.
constexpr uint8_t kStringOffset = 0x80;
constexpr uint8_t kListOffset = 0xc0;
constexpr size_t kMaxShortLength = 55;

size_t byte_width(uint64_t v) {
    return v == 0 ? 0 : static_cast<size_t>(8 - __builtin_clzll(v) / 8);
}

void append_be(bytes& out, uint64_t v, size_t width) {
    for (size_t i = width; i-- > 0;)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void encode_length(bytes& out, uint8_t offset, size_t length) {
    if (length <= kMaxShortLength) {
        out.push_back(static_cast<uint8_t>(offset + length));
    } else {
        const size_t width = byte_width(length);
        out.push_back(static_cast<uint8_t>(offset + kMaxShortLength + width));
        append_be(out, length, width);
    }
}

size_t header_length(size_t payload_length) {
    return payload_length <= kMaxShortLength ? 1 : 1 + byte_width(payload_length);
}

// The payload of a string item that must hold a canonical unsigned integer of at most
// `max_bytes` bytes.
std::expected<bytes_view, Error> decode_integer_bytes(bytes_view& in, size_t max_bytes) {
    auto payload = decode_string(in);
    if (!payload) return payload;
    if (!payload->empty() && (*payload)[0] == 0) return std::unexpected(Error::LeadingZero);
    if (payload->size() > max_bytes) return std::unexpected(Error::Overflow);
    return payload;
}

}  // namespace

std::string_view error_message(Error e) {
    switch (e) {
        case Error::InputTooShort:
            return "rlp: input too short";
        case Error::InputTooLong:
            return "rlp: trailing bytes after item";
        case Error::LeadingZero:
            return "rlp: integer has leading zero bytes";
        case Error::NonCanonicalSize:
            return "rlp: non-canonical size";
        case Error::UnexpectedList:
            return "rlp: expected string, found list";
        case Error::UnexpectedString:
            return "rlp: expected list, found string";
        case Error::Overflow:
            return "rlp: integer too large for target type";
        case Error::UnexpectedLength:
            return "rlp: field has unexpected length";
    }
    return "rlp: unknown error";
}

std::expected<Header, Error> decode_header(bytes_view& in) {
    if (in.empty()) return std::unexpected(Error::InputTooShort);
    const uint8_t prefix = in[0];
    if (prefix < kStringOffset) return Header{false, 1};

    const bool list = prefix >= kListOffset;
    const uint8_t short_limit = (list ? kListOffset : kStringOffset) + kMaxShortLength;
    size_t length;
    size_t consumed;
    if (prefix <= short_limit) {
        length = prefix - (list ? kListOffset : kStringOffset);
        consumed = 1;
        // A lone byte below 0x80 encodes itself; wrapping it in a header is not canonical.
        if (!list && length == 1) {
            if (in.size() < 2) return std::unexpected(Error::InputTooShort);
            if (in[1] < kStringOffset) return std::unexpected(Error::NonCanonicalSize);
        }
    } else {
        const size_t width = prefix - short_limit;  // 1..8 length bytes
        if (in.size() < 1 + width) return std::unexpected(Error::InputTooShort);
        if (in[1] == 0) return std::unexpected(Error::NonCanonicalSize);
        uint64_t value = 0;
        for (size_t i = 0; i < width; ++i)
            value = value << 8 | in[1 + i];
        if (value <= kMaxShortLength) return std::unexpected(Error::NonCanonicalSize);
        length = value;
        consumed = 1 + width;
    }
    // Compared against what remains so a huge announced length cannot overflow an addition.
    if (length > in.size() - consumed) return std::unexpected(Error::InputTooShort);
    in.remove_prefix(consumed);
    return Header{list, length};
}

std::expected<bytes_view, Error> decode_string(bytes_view& in) {
    bytes_view cursor = in;
    auto header = decode_header(cursor);
    if (!header) return std::unexpected(header.error());
    if (header->list) return std::unexpected(Error::UnexpectedList);
    const bytes_view payload = cursor.substr(0, header->payload_length);
    cursor.remove_prefix(header->payload_length);
    in = cursor;
    return payload;
}

std::expected<bytes_view, Error> decode_list(bytes_view& in) {
    bytes_view cursor = in;
    auto header = decode_header(cursor);
    if (!header) return std::unexpected(header.error());
    if (!header->list) return std::unexpected(Error::UnexpectedString);
    const bytes_view payload = cursor.substr(0, header->payload_length);
    cursor.remove_prefix(header->payload_length);
    in = cursor;
    return payload;
}

std::expected<uint64_t, Error> decode_u64(bytes_view& in) {
    bytes_view cursor = in;
    auto payload = decode_integer_bytes(cursor, 8);
    if (!payload) return std::unexpected(payload.error());
    uint64_t value = 0;
    for (uint8_t b : *payload)
        value = value << 8 | b;
    in = cursor;
    return value;
}

std::expected<uint256, Error> decode_uint256(bytes_view& in) {
    bytes_view cursor = in;
    auto payload = decode_integer_bytes(cursor, 32);
    if (!payload) return std::unexpected(payload.error());
    in = cursor;
    return uint256::from_be(*payload);
}

std::expected<bytes_view, Error> decode_item(bytes_view& in) {
    bytes_view cursor = in;
    auto header = decode_header(cursor);
    if (!header) return std::unexpected(header.error());
    cursor.remove_prefix(header->payload_length);
    const bytes_view item = in.substr(0, in.size() - cursor.size());
    in = cursor;
    return item;
}

void encode_string(bytes& out, bytes_view s) {
    if (s.size() == 1 && s[0] < kStringOffset) {
        out.push_back(s[0]);
        return;
    }
    encode_length(out, kStringOffset, s.size());
    out.append(s);
}

void encode_uint(bytes& out, uint64_t v) {
    if (v != 0 && v < kStringOffset) {
        out.push_back(static_cast<uint8_t>(v));
        return;
    }
    const size_t width = byte_width(v);
    out.push_back(static_cast<uint8_t>(kStringOffset + width));
    append_be(out, v, width);
}

void encode_uint(bytes& out, const uint256& v) {
    if (v.fits_u64()) {
        encode_uint(out, v.low64());
        return;
    }
    uint8_t buffer[32];
    v.store_be(buffer);
    const size_t width = count_significant_bytes(v);
    out.push_back(static_cast<uint8_t>(kStringOffset + width));
    out.append(buffer + 32 - width, width);
}

void encode_list_header(bytes& out, size_t payload_length) {
    encode_length(out, kListOffset, payload_length);
}

bytes wrap_list(bytes_view payload) {
    bytes out;
    out.reserve(list_length(payload.size()));
    encode_list_header(out, payload.size());
    out.append(payload);
    return out;
}

size_t string_length(bytes_view s) {
    if (s.size() == 1 && s[0] < kStringOffset) return 1;
    return header_length(s.size()) + s.size();
}

size_t list_length(size_t payload_length) {
    return header_length(payload_length) + payload_length;
}

}  // namespace krnl::rlp
