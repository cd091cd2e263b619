// Reading the fields of an RLP list one by one, with errors that name the field: shared by the
// transaction and block codecs of this layer.
#pragma once

#include <expected>
#include <optional>
#include <string_view>

#include "chain/transaction.hpp"
#include "common/rlp.hpp"

namespace krnl::chain {

// Assigns the value of an expected to `dst`, or returns its error from the enclosing function.
#define KRNL_TRY_ASSIGN(dst, expr)                                               \
    do {                                                                         \
        auto krnl_try_result_ = (expr);                                          \
        if (!krnl_try_result_) return std::unexpected(krnl_try_result_.error()); \
        dst = std::move(*krnl_try_result_);                                      \
    } while (false)

// Reads the fields of one RLP list payload in order, naming each so errors say which one failed.
class FieldReader {
public:
    explicit FieldReader(bytes_view payload) : in_(payload) {}

    bool done() const { return in_.empty(); }
    // What is left to read, for callers that inspect an item before choosing how to read it.
    bytes_view remaining() const { return in_; }

    std::expected<uint64_t, DecodeError> u64(std::string_view field) {
        if (in_.empty()) return missing(field);
        auto r = rlp::decode_u64(in_);
        if (!r) return rlp_error(r.error(), field);
        return *r;
    }

    std::expected<uint256, DecodeError> u256(std::string_view field) {
        if (in_.empty()) return missing(field);
        auto r = rlp::decode_uint256(in_);
        if (!r) return rlp_error(r.error(), field);
        return *r;
    }

    std::expected<bytes_view, DecodeError> string(std::string_view field) {
        if (in_.empty()) return missing(field);
        auto r = rlp::decode_string(in_);
        if (!r) return rlp_error(r.error(), field);
        return *r;
    }

    std::expected<bytes_view, DecodeError> list(std::string_view field) {
        if (in_.empty()) return missing(field);
        auto r = rlp::decode_list(in_);
        if (!r) return rlp_error(r.error(), field);
        return *r;
    }

    std::expected<address, DecodeError> addr(std::string_view field) {
        auto s = string(field);
        if (!s) return std::unexpected(s.error());
        if (s->size() != address::size())
            return std::unexpected(DecodeError{DecodeErrorCode::BadAddress, {}, field});
        return address::from_view(*s);
    }

    // A destination that may be empty (contract creation).
    std::expected<std::optional<address>, DecodeError> optional_addr(std::string_view field) {
        auto s = string(field);
        if (!s) return std::unexpected(s.error());
        if (s->empty()) return std::optional<address>{};
        if (s->size() != address::size())
            return std::unexpected(DecodeError{DecodeErrorCode::BadAddress, {}, field});
        return std::optional<address>{address::from_view(*s)};
    }

    std::expected<bytes32, DecodeError> word(std::string_view field) {
        auto s = string(field);
        if (!s) return std::unexpected(s.error());
        if (s->size() != bytes32::size())
            return std::unexpected(DecodeError{DecodeErrorCode::BadHash, {}, field});
        return bytes32::from_view(*s);
    }

private:
    static std::unexpected<DecodeError> missing(std::string_view field) {
        return std::unexpected(DecodeError{DecodeErrorCode::WrongFieldCount, {}, field});
    }
    static std::unexpected<DecodeError> rlp_error(rlp::Error e, std::string_view field) {
        return std::unexpected(DecodeError{DecodeErrorCode::Rlp, e, field});
    }

    bytes_view in_;
};

// Fails when fields remain after the last one expected.
inline std::expected<void, DecodeError> expect_end(const FieldReader& r, std::string_view what) {
    if (!r.done()) return std::unexpected(DecodeError{DecodeErrorCode::WrongFieldCount, {}, what});
    return {};
}

}  // namespace krnl::chain
