// User operations as eth_sendUserOperation and eth_estimateUserOperationGas receive them (JSON).
// An op that parses packs and unpacks to itself, prints to JSON that parses to itself, and hashes
// the same for both EntryPoints however it travelled; its size is its ABI encoding's.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aa/user_operation_json.hpp"
#include "check.hpp"

using namespace krnl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) return 0;
    for (const aa::GasFields fields : {aa::GasFields::Required, aa::GasFields::Optional}) {
        auto op = aa::parse_user_operation(doc, fields);
        if (!op) continue;
        auto packed = aa::pack(*op);
        FUZZ_CHECK(packed.has_value());  // parse refuses what cannot be packed
        auto unpacked = aa::unpack(*packed);
        FUZZ_CHECK(unpacked.has_value());
        // eip7702Auth travels beside the packed op, not in it.
        unpacked->eip7702_auth = op->eip7702_auth;
        FUZZ_CHECK(*unpacked == *op);

        auto again = aa::parse_user_operation(aa::user_operation_json(*op), fields);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(*again == *op);

        FUZZ_CHECK(aa::encoded_size(*op) + 32 == aa::encode_packed_tuple(*packed).size());
        for (const auto version : {aa::EntryPointVersion::V07, aa::EntryPointVersion::V08})
            FUZZ_CHECK(aa::user_operation_hash(*op, version, 31337) ==
                       aa::user_operation_hash(*unpacked, version, 31337));
    }
    return 0;
}
