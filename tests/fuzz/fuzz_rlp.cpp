// RLP: every item the strict decoder accepts is canonical, so re-encoding its decoded tree must
// give back the same bytes; integers and fixed strings that decode re-encode to their item too.
#include <cstddef>
#include <cstdint>

#include "check.hpp"
#include "common/rlp.hpp"

using namespace krnl;

namespace {

// Deep nesting costs one frame per level; past this the tree is not rebuilt (the decoder itself
// is iterative per level and was already exercised).
constexpr int kMaxDepth = 512;

// Rebuilds the item at the front of `in` from its decoded parts into `out`; false when some nested
// item does not decode (allowed: decode_item checks only the outer header).
bool rebuild(bytes_view& in, bytes& out, int depth) {
    if (depth > kMaxDepth) return false;
    bytes_view probe = in;
    auto header = rlp::decode_header(probe);
    if (!header) return false;
    if (!header->list) {
        auto payload = rlp::decode_string(in);
        FUZZ_CHECK(payload.has_value());  // decode_header accepted it as a string
        rlp::encode_string(out, *payload);
        return true;
    }
    auto payload = rlp::decode_list(in);
    FUZZ_CHECK(payload.has_value());
    bytes items;
    while (!payload->empty()) {
        if (!rebuild(*payload, items, depth + 1)) return false;
    }
    FUZZ_CHECK(rlp::list_length(items.size()) == rlp::list_length(header->payload_length));
    const bytes wrapped = rlp::wrap_list(items);
    out.insert(out.end(), wrapped.begin(), wrapped.end());
    return true;
}

template <typename Decoded>
void check_failure_leaves_view(const Decoded& decoded, bytes_view before, bytes_view after) {
    if (!decoded) FUZZ_CHECK(before.data() == after.data() && before.size() == after.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const bytes_view input(data, size);

    // Whole items, one after the other, as a list payload is read.
    bytes_view rest = input;
    while (!rest.empty()) {
        bytes_view before = rest;
        auto item = rlp::decode_item(rest);
        check_failure_leaves_view(item, before, rest);
        if (!item) break;
        FUZZ_CHECK(item->data() == before.data());
        FUZZ_CHECK(rest.size() + item->size() == before.size());
        bytes_view cursor = *item;
        bytes rebuilt;
        if (rebuild(cursor, rebuilt, 0)) {
            FUZZ_CHECK(cursor.empty());
            FUZZ_CHECK(bytes_view(rebuilt) == *item);
            FUZZ_CHECK(rlp::string_length(bytes_view(rebuilt)) >= rebuilt.size());
        }
    }

    // Integers and fixed-size strings.
    {
        bytes_view cursor = input;
        auto value = rlp::decode_u64(cursor);
        check_failure_leaves_view(value, input, cursor);
        if (value) {
            bytes encoded;
            rlp::encode_uint(encoded, *value);
            FUZZ_CHECK(bytes_view(encoded) == input.substr(0, input.size() - cursor.size()));
        }
    }
    {
        bytes_view cursor = input;
        auto value = rlp::decode_uint256(cursor);
        check_failure_leaves_view(value, input, cursor);
        if (value) {
            bytes encoded;
            rlp::encode_uint(encoded, *value);
            FUZZ_CHECK(bytes_view(encoded) == input.substr(0, input.size() - cursor.size()));
        }
    }
    {
        bytes_view cursor = input;
        auto value = rlp::decode_fixed<20>(cursor);
        check_failure_leaves_view(value, input, cursor);
        if (value) {
            bytes encoded;
            rlp::encode_string(encoded, bytes_view(value->bytes, 20));
            FUZZ_CHECK(bytes_view(encoded) == input.substr(0, input.size() - cursor.size()));
        }
    }
    return 0;
}
