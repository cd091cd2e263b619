// docs/kernel-spec.examples.json against the engine's parser: every valid example parses, every
// invalid one is refused. tests/krnl/suite/kernel-spec-schema.test.mjs checks the same examples
// against docs/kernel-spec.schema.json, so the schema and the parser agree on them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/kernel_spec.hpp"

namespace krnl::engine {
namespace {

json examples() {
    std::ifstream in(std::string(KRNL_SOURCE_DIR) + "/docs/kernel-spec.examples.json");
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

TEST(KernelSpecExamples, EveryValidExampleParses) {
    const json all = examples();
    ASSERT_GE(all["valid"].size(), 3u);
    std::set<std::string> kinds;
    for (const json& spec : all["valid"]) {
        auto parsed = parse_kernel_spec(spec);
        ASSERT_TRUE(parsed) << spec.dump() << "\n  " << parsed.error();
        kinds.insert(std::string(kind_name(parsed->kind())));
        // Registration stores the canonical text: it parses to the same spec.
        auto again = parse_kernel_spec(std::string_view(parsed->canonical));
        ASSERT_TRUE(again) << again.error();
        EXPECT_EQ(again->hash, parsed->hash);
    }
    EXPECT_EQ(kinds, (std::set<std::string>{"evm-read", "http", "evm-compute"}));
}

TEST(KernelSpecExamples, EveryInvalidExampleIsRefused) {
    const json all = examples();
    ASSERT_GE(all["invalid"].size(), 10u);
    for (const json& example : all["invalid"]) {
        ASSERT_TRUE(example.contains("why")) << example.dump();
        auto parsed = parse_kernel_spec(example["spec"]);
        EXPECT_FALSE(parsed) << "accepted, but " << example["why"].get<std::string>() << ": "
                             << example["spec"].dump().substr(0, 300);
    }
}

}  // namespace
}  // namespace krnl::engine
