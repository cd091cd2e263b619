// Kernel specs: a spec that parses has one canonical form, which parses to the same spec (same
// canonical text, same hash). The same text is tried as a template reference and a JSON path,
// whose parsers a spec reaches through its fields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "engine/kernel_spec.hpp"

using namespace krnl;
using namespace krnl::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto reference = parse_reference(text)) {
        auto again = parse_reference(reference->text());
        FUZZ_CHECK(again.has_value() && *again == *reference);
    }
    if (auto path = parse_json_path(text)) {
        auto again = parse_json_path(path->text);
        FUZZ_CHECK(again.has_value() && again->steps.size() == path->steps.size());
    }

    auto spec = parse_kernel_spec(text);
    if (!spec) {
        // Any valid JSON still has a canonical form or a reason it has none.
        json document = json::parse(text, nullptr, false);
        if (!document.is_discarded()) {
            if (auto canonical = canonical_json(document)) {
                json reparsed = json::parse(*canonical, nullptr, false);
                FUZZ_CHECK(!reparsed.is_discarded());
                auto twice = canonical_json(reparsed);
                FUZZ_CHECK(twice.has_value() && *twice == *canonical);
            }
        }
        return 0;
    }
    auto again = parse_kernel_spec(std::string_view(spec->canonical));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->canonical == spec->canonical);
    FUZZ_CHECK(again->hash == spec->hash);
    FUZZ_CHECK(again->kind() == spec->kind());
    FUZZ_CHECK(again->output_types() == spec->output_types());
    return 0;
}
