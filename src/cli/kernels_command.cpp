// The kernel author's toolkit: `krnl kernels validate` checks a spec offline with the engine's own
// parser; `krnl kernels test` runs it once on a node (krnl_dryRunKernel) without registering it.
#include <iostream>

#include "cli/cli_support.hpp"
#include "engine/kernel_spec.hpp"

namespace krnl::cli {

namespace {

json read_spec(const std::string& path) {
    json spec = json::parse(read_file(path), nullptr, false);
    if (spec.is_discarded()) fail(path + ": not valid JSON");
    return spec;
}

// An --input value: JSON when it parses as JSON (42, true, "text", [1,2]), else the text itself
// (0x-hex, addresses, words).
json input_value(const std::string& text) {
    json v = json::parse(text, nullptr, false);
    return v.is_discarded() ? json(text) : v;
}

}  // namespace

int kernels_validate(const Args& args) {
    const std::string path = required(args, "spec");
    auto spec = engine::parse_kernel_spec(read_spec(path));
    if (!spec) fail(path + ": invalid kernel spec: " + spec.error());
    const std::string kind(engine::kind_name(spec->kind()));
    if (args.as_json) {
        std::cout << json{{"valid", true},
                          {"kind", kind},
                          {"specHash", to_hex(spec->hash)},
                          {"canonical", spec->canonical}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::cout << path << ": a valid " << kind << " kernel spec\n"
              << "specHash:  " << to_hex(spec->hash) << "\n"
              << "canonical: " << spec->canonical << "\n";
    return 0;
}

int kernels_test(rpc::Client& client, const Args& args) {
    const std::string path = required(args, "spec");
    const json spec = read_spec(path);
    json context = json::object();
    if (auto v = args.option("sender")) context["sender"] = to_hex(parse_addr(*v, "--sender"));
    if (auto v = args.option("app")) context["app"] = to_hex(parse_addr(*v, "--app"));
    if (auto v = args.option("function")) context["function"] = *v;
    if (auto v = args.option("args")) {
        if (!args.option("function"))
            fail("--args needs --function (the signature that types them)", 2);
        context["args"] = *v;
    }
    json inputs = json::array();
    for (const std::string& v : args.all("input"))
        inputs.push_back(input_value(v));
    if (!inputs.empty()) context["inputs"] = inputs;

    const json result = call(client, "krnl_dryRunKernel", json::array({spec, context}));
    const bool failed = result.contains("error");
    if (args.as_json) {
        std::cout << result.dump(2) << "\n";
        return failed ? 1 : 0;
    }
    std::cout << "kind:     " << result.value("kind", std::string()) << "\n"
              << "specHash: " << result.value("specHash", std::string()) << "\n";
    for (const auto& [chain, block] : result.value("blocks", json::object()).items())
        std::cout << "read:     chain " << chain << " at block " << block.get<std::string>()
                  << "\n";
    if (failed) {
        std::cout << "error:    " << result["error"].get<std::string>() << "\n";
    } else {
        // The spec's output types label the decoded values (the node parsed the same spec).
        std::vector<abi::Type> types;
        if (auto parsed = engine::parse_kernel_spec(spec)) types = parsed->output_types();
        const std::string raw = result.value("outputs", std::string("0x"));
        std::cout << "outputs:  " << raw << " (" << (raw.size() - 2) / 2 << " bytes)\n";
        const json decoded = result.value("decoded", json::array());
        for (size_t i = 0; i < decoded.size(); ++i)
            std::cout << "  [" << i << "] " << (i < types.size() ? types[i].canonical() : "?")
                      << " = " << decoded[i].dump() << "\n";
    }
    std::cout << "time:     " << result.value("timeMs", 0) << " ms\n";
    return failed ? 1 : 0;
}

}  // namespace krnl::cli
