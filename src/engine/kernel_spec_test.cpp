#include "engine/kernel_spec.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "common/keccak.hpp"

namespace krnl::engine {
namespace {

json evm_read() {
    return json::parse(R"J({
        "kind": "evm-read", "chainId": 31337, "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "function": "isApproved(address,uint)", "args": ["$sender", "$args[0]"], "outputs": ["bool"],
        "block": "latest"})J");
}

json http_spec() {
    return json::parse(R"J({
        "kind": "http", "method": "GET", "url": "http://127.0.0.1:8080/assets/{{$args[1]}}/meta",
        "headers": {"Authorization": "Bearer k"}, "query": {"wallet": "{{$sender}}"},
        "outputs": [{"path": "$.data.active", "type": "bool"},
                    {"path": "$.price", "type": "uint256", "decimals": 8},
                    {"path": "$['odd key'][0]", "type": "string"}],
        "timeoutMs": 2000, "maxBytes": 65536})J");
}

json evm_compute() {
    return json::parse(R"J({
        "kind": "evm-compute", "code": "0x6024356004350160005260206000f3",
        "function": "add(uint256,uint256)", "args": ["$input[0]", 1], "outputs": ["uint256"], "gas": 100000})J");
}

std::string error_of(const json& spec) {
    auto r = parse_kernel_spec(spec);
    return r ? std::string("(parsed)") : r.error();
}

TEST(KernelSpec, ParsesEvmRead) {
    auto spec = parse_kernel_spec(evm_read());
    ASSERT_TRUE(spec) << spec.error();
    ASSERT_EQ(spec->kind(), KernelKind::EvmRead);
    const auto& s = std::get<EvmReadSpec>(spec->body);
    EXPECT_EQ(s.chain_id, 31337u);
    EXPECT_EQ(to_hex(s.to), "0x5fbdb2315678afecb367f032d93f642f64180aa3");
    EXPECT_EQ(s.signature, "isApproved(address,uint256)");
    EXPECT_EQ(s.args.size(), 2u);
    EXPECT_FALSE(s.block.has_value());
    ASSERT_EQ(spec->output_types().size(), 1u);
    EXPECT_EQ(spec->output_types()[0].canonical(), "bool");

    json at_block = evm_read();
    at_block["block"] = 12;
    EXPECT_EQ(std::get<EvmReadSpec>(parse_kernel_spec(at_block)->body).block, 12u);
}

TEST(KernelSpec, ParsesHttp) {
    auto spec = parse_kernel_spec(http_spec());
    ASSERT_TRUE(spec) << spec.error();
    const auto& s = std::get<HttpSpec>(spec->body);
    EXPECT_EQ(s.method, "GET");
    EXPECT_EQ(s.timeout.count(), 2000);
    EXPECT_EQ(s.max_bytes, 65536u);
    ASSERT_EQ(s.outputs.size(), 3u);
    EXPECT_EQ(s.outputs[1].decimals, 8u);
    ASSERT_EQ(s.outputs[2].path.steps.size(), 2u);
    EXPECT_EQ(std::get<std::string>(s.outputs[2].path.steps[0].key), "odd key");
    EXPECT_EQ(std::get<size_t>(s.outputs[2].path.steps[1].key), 0u);
    EXPECT_EQ(s.query.size(), 1u);
}

TEST(KernelSpec, ParsesEvmCompute) {
    auto spec = parse_kernel_spec(evm_compute());
    ASSERT_TRUE(spec) << spec.error();
    const auto& s = std::get<EvmComputeSpec>(spec->body);
    EXPECT_EQ(s.code.size(), 15u);
    EXPECT_EQ(s.gas, 100000u);
    EXPECT_EQ(s.inputs.size(), 2u);

    json no_gas = evm_compute();
    no_gas.erase("gas");
    EXPECT_EQ(std::get<EvmComputeSpec>(parse_kernel_spec(no_gas)->body).gas, kMaxComputeGas);

    json raw = json::parse(
        R"J({"kind":"evm-compute","code":"0x00","inputs":["uint256"],"args":[5],"outputs":[]})J");
    auto raw_spec = parse_kernel_spec(raw);
    ASSERT_TRUE(raw_spec) << raw_spec.error();
    EXPECT_FALSE(std::get<EvmComputeSpec>(raw_spec->body).function.has_value());
}

TEST(KernelSpec, CanonicalFormAndHash) {
    const std::string text =
        R"J({ "outputs" : ["bool"], "kind":"evm-read", "to":"0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "chainId": 1, "function": "f(uint256)", "args": [ "7" ] })J";
    auto spec = parse_kernel_spec(std::string_view(text));
    ASSERT_TRUE(spec) << spec.error();
    const std::string expected =
        R"J({"args":["7"],"chainId":1,"function":"f(uint256)","kind":"evm-read","outputs":["bool"],)J"
        R"J("to":"0x5FbDB2315678afecb367f032d93F642f64180aa3"})J";
    EXPECT_EQ(spec->canonical, expected);
    EXPECT_EQ(spec->hash, keccak256(as_bytes(expected)));
    // Key order and whitespace do not matter; content does.
    auto same = parse_kernel_spec(json::parse(expected));
    EXPECT_EQ(same->hash, spec->hash);
    json changed = json::parse(expected);
    changed["chainId"] = 2;
    EXPECT_NE(parse_kernel_spec(changed)->hash, spec->hash);
    // Non-ASCII text is kept as UTF-8, not escaped.
    EXPECT_EQ(*canonical_json(json::parse(R"J({"b":"é","a":[1,-2,"\n"]})J")),
              "{\"a\":[1,-2,\"\\n\"],\"b\":\"é\"}");
    EXPECT_FALSE(canonical_json(json::parse(R"J({"x":1.5})J")));
}

TEST(KernelSpec, ErrorsNameTheField) {
    struct Case {
        std::function<void(json&)> edit;
        json (*base)();
        const char* expected;
    };
    const Case cases[] = {
        {[](json& j) { j["extra"] = 1; }, evm_read, "extra: unknown field"},
        {[](json& j) { j.erase("to"); }, evm_read, "to: missing"},
        {[](json& j) { j["to"] = "0x1234"; }, evm_read,
         "to: must be a 0x-prefixed 20-byte address"},
        {[](json& j) { j["chainId"] = "1"; }, evm_read,
         "chainId: must be a non-negative integer, not a string"},
        {[](json& j) { j["chainId"] = 0; }, evm_read, "chainId: must be between 1"},
        {[](json& j) { j["function"] = "isApproved(address,uint7)"; }, evm_read, "function:"},
        {[](json& j) { j["args"] = json::array({"$sender"}); }, evm_read,
         "args: 2 arguments needed, 1 given"},
        {[](json& j) { j["args"][1] = "$nope"; }, evm_read, "args[1]: bad reference \"$nope\""},
        {[](json& j) { j["args"][1] = "$kernel:0[0]"; }, evm_read, "args[1]: kernel outputs"},
        {[](json& j) { j["args"][0] = "0x12"; }, evm_read, "args[0]:"},
        {[](json& j) { j["args"][1] = 1.5; }, evm_read, "fractional numbers are not allowed"},
        {[](json& j) {
             j["outputs"] = json::array({"bool", "uint300"});
         },
         evm_read, "outputs[1]: bad ABI type"},
        {[](json& j) { j["outputs"] = "bool"; }, evm_read, "outputs: must be an array"},
        {[](json& j) { j["block"] = "pending"; }, evm_read,
         "block: must be \"latest\" or a block number"},
        {[](json& j) { j["kind"] = "wasm"; }, evm_read, "kind: unknown kind \"wasm\""},
        {[](json& j) { j["method"] = "PUT"; }, http_spec, "method: must be \"GET\" or \"POST\""},
        {[](json& j) { j["url"] = "ftp://x/"; }, http_spec,
         "url: URL \"ftp://x/\" must start with http://"},
        {[](json& j) { j["url"] = "http://{{$sender}}/x"; }, http_spec,
         "url: placeholders are only allowed"},
        {[](json& j) { j["url"] = "http://h/{{$sender"; }, http_spec, "url: unterminated"},
        {[](json& j) { j["url"] = "http://h/{{$who}}"; }, http_spec, "url: bad reference"},
        {[](json& j) { j["headers"]["Host"] = "x"; }, http_spec,
         "headers.Host: this header is set by the engine"},
        {[](json& j) { j["headers"]["X"] = 1; }, http_spec, "headers.X: must be a string"},
        {[](json& j) { j["query"]["q"] = "a\nb"; }, http_spec, "query.q: control characters"},
        {[](json& j) { j["body"] = json::object(); }, http_spec, "body: only a POST has a body"},
        {[](json& j) { j["outputs"][1]["decimals"] = 80; }, http_spec,
         "outputs[1].decimals: must be between 0 and 77"},
        {[](json& j) { j["outputs"][0]["decimals"] = 2; }, http_spec,
         "outputs[0].decimals: only integer types"},
        {[](json& j) { j["outputs"][0]["path"] = "data.active"; }, http_spec,
         "outputs[0].path: a JSON path starts"},
        {[](json& j) { j["outputs"][0]["path"] = "$.a[x]"; }, http_spec,
         "outputs[0].path: bad array index"},
        {[](json& j) { j["outputs"][0]["extra"] = true; }, http_spec,
         "outputs[0].extra: unknown field"},
        {[](json& j) { j["outputs"][0]["type"] = "boolean"; }, http_spec,
         "outputs[0].type: bad ABI type"},
        {[](json& j) { j["timeoutMs"] = 0; }, http_spec, "timeoutMs: must be between 1 and 60000"},
        {[](json& j) { j["maxBytes"] = -1; }, http_spec,
         "maxBytes: must be a non-negative integer"},
        {[](json& j) { j["code"] = "6000"; }, evm_compute, "code: must be 0x-prefixed hex"},
        {[](json& j) { j["code"] = "0x"; }, evm_compute, "code: is empty"},
        {[](json& j) { j["gas"] = 10000001; }, evm_compute, "gas: must be between 1 and 10000000"},
        {[](json& j) { j["inputs"] = json::array({"uint256"}); }, evm_compute,
         "inputs: not allowed with a function"},
        {[](json& j) { j["args"] = json::array({1}); }, evm_compute,
         "args: 2 arguments needed, 1 given"},
    };
    for (const Case& c : cases) {
        json j = c.base();
        c.edit(j);
        const std::string err = error_of(j);
        EXPECT_NE(err.find(c.expected), std::string::npos)
            << "expected \"" << c.expected << "\", got \"" << err << "\"";
    }
    EXPECT_EQ(error_of(json::array()), "a kernel spec is a JSON object, not an array");
    EXPECT_FALSE(parse_kernel_spec(std::string_view("{not json")));
}

TEST(References, Parse) {
    EXPECT_EQ(parse_reference("$sender")->kind, Reference::Kind::Sender);
    EXPECT_EQ(parse_reference("$app")->kind, Reference::Kind::App);
    auto arg = parse_reference("$args[12]");
    ASSERT_TRUE(arg);
    EXPECT_EQ(arg->kind, Reference::Kind::Arg);
    EXPECT_EQ(arg->index, 12u);
    auto k = parse_reference("$kernel:3[1]");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->kind, Reference::Kind::KernelOutput);
    EXPECT_EQ(k->index, 3u);
    EXPECT_EQ(k->output, 1u);
    EXPECT_EQ(k->text(), "$kernel:3[1]");
    for (const char* bad :
         {"$", "$senders", "$args", "$args[]", "$args[01]", "$args[1", "$args[1]x", "$kernel:1",
          "$kernel:[0]", "$kernel:1[0][1]", "$input[-1]", "$args[5000]", "sender"})
        EXPECT_FALSE(parse_reference(bad)) << bad;
    EXPECT_TRUE(is_reference_text("$x"));
    EXPECT_FALSE(is_reference_text("$$x"));
    EXPECT_FALSE(is_reference_text("x$"));
}

TEST(JsonPaths, Parse) {
    auto p = parse_json_path("$.a.b[2]['c d'][\"e\"]");
    ASSERT_TRUE(p) << p.error();
    ASSERT_EQ(p->steps.size(), 5u);
    EXPECT_EQ(std::get<std::string>(p->steps[3].key), "c d");
    EXPECT_EQ(std::get<size_t>(p->steps[2].key), 2u);
    EXPECT_TRUE(parse_json_path("$"));
    for (const char* bad : {"", "a", "$.", "$..a", "$[", "$[a]", "$['a'", "$.a b", "$[01]"})
        EXPECT_FALSE(parse_json_path(bad)) << bad;
}

}  // namespace
}  // namespace krnl::engine
