// The ABI decoder. Input: a type list, a newline, then the data ("(address,bytes)[2],uint8\n...").
// A type list that parses keeps its meaning through its canonical spelling; values that decode
// encode back to data that decodes to the same values. The data alone is also read as a revert
// payload.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "common/abi.hpp"

using namespace krnl;

namespace {

std::string canonical_list(const std::vector<abi::Type>& types) {
    std::string out = "(";
    for (size_t i = 0; i < types.size(); ++i) {
        if (i) out += ',';
        out += types[i].canonical();
    }
    return out + ")";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const size_t newline = text.find('\n');
    const std::string_view type_text = text.substr(0, newline);
    const bytes_view payload = newline == std::string_view::npos
                                   ? bytes_view{}
                                   : bytes_view(data + newline + 1, size - newline - 1);

    (void)abi::revert_reason_text(payload);
    (void)abi::parse_function(type_text);

    auto types = abi::parse_types(type_text);
    if (!types) return 0;
    const std::string canonical = canonical_list(*types);
    auto reparsed = abi::parse_types(canonical);
    FUZZ_CHECK(reparsed.has_value());
    FUZZ_CHECK(*reparsed == *types);
    FUZZ_CHECK(canonical_list(*reparsed) == canonical);

    auto values = abi::decode(*types, payload);
    if (!values) return 0;
    FUZZ_CHECK(values->size() == types->size());
    auto encoded = abi::encode(*types, *values);
    FUZZ_CHECK(encoded.has_value());
    auto decoded_again = abi::decode(*types, *encoded);
    FUZZ_CHECK(decoded_again.has_value());
    FUZZ_CHECK(*decoded_again == *values);
    auto encoded_again = abi::encode(*types, *decoded_again);
    FUZZ_CHECK(encoded_again.has_value() && *encoded_again == *encoded);
    return 0;
}
