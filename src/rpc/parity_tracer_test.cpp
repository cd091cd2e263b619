// Parity's shapes from geth's tracer output: the flat call list (trace addresses, subtraces,
// errors, creations, selfdestructs, precompiles left out) and the state diff.
#include "rpc/parity_tracer.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::rpc;

namespace {

const std::string kA = "0x00000000000000000000000000000000000000aa";
const std::string kB = "0x00000000000000000000000000000000000000bb";
const std::string kC = "0x00000000000000000000000000000000000000cc";
const std::string kEcrecover = "0x0000000000000000000000000000000000000001";

std::string word(uint64_t v) {
    char buf[67];
    std::snprintf(buf, sizeof buf, "0x%064llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

TEST(ParityTracer, TraceTypes) {
    auto both = parse_parity_trace_types(json::array({"trace", "stateDiff"}));
    ASSERT_TRUE(both);
    EXPECT_TRUE(both->trace);
    EXPECT_TRUE(both->state_diff);
    auto none = parse_parity_trace_types(json::array());
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->trace || none->state_diff);
    auto vm = parse_parity_trace_types(json::array({"vmTrace"}));
    ASSERT_FALSE(vm);
    EXPECT_NE(vm.error().find("not supported"), std::string::npos);
    EXPECT_FALSE(parse_parity_trace_types(json::array({"bogus"})));
    EXPECT_FALSE(parse_parity_trace_types("trace"));
}

TEST(ParityTracer, ErrorWords) {
    EXPECT_EQ(parity_error("execution reverted"), "Reverted");
    EXPECT_EQ(parity_error("out of gas"), "Out of gas");
    EXPECT_EQ(parity_error("contract creation code storage out of gas"), "Out of gas");
    EXPECT_EQ(parity_error("invalid jump destination"), "Bad jump destination");
    EXPECT_EQ(parity_error("invalid opcode: INVALID"), "Bad instruction");
    EXPECT_EQ(parity_error("stack underflow (0 <=> 2)"), "Stack underflow");
    EXPECT_EQ(parity_error("stack limit reached 1024 (1023)"), "Out of stack");
    EXPECT_EQ(parity_error("something new"), "something new");
}

TEST(ParityTracer, FlattensTheCallTreeDepthFirst) {
    // A calls B (which calls C, then reverts an inner call) and C; B's STATICCALL to ecrecover is
    // a precompile and is left out.
    const json frame = {{"type", "CALL"},
                        {"from", kA},
                        {"to", kB},
                        {"gas", "0x10000"},
                        {"gasUsed", "0x5000"},
                        {"input", "0x1234"},
                        {"output", "0xabcd"},
                        {"value", "0x5"},
                        {"calls", json::array({{{"type", "STATICCALL"},
                                                {"from", kB},
                                                {"to", kEcrecover},
                                                {"gas", "0x100"},
                                                {"gasUsed", "0x10"},
                                                {"input", "0x"}},
                                               {{"type", "DELEGATECALL"},
                                                {"from", kB},
                                                {"to", kC},
                                                {"gas", "0x800"},
                                                {"gasUsed", "0x20"},
                                                {"input", "0x01"},
                                                {"value", "0x5"},
                                                {"calls", json::array({{{"type", "CALL"},
                                                                        {"from", kB},
                                                                        {"to", kA},
                                                                        {"gas", "0x40"},
                                                                        {"gasUsed", "0x40"},
                                                                        {"input", "0x"},
                                                                        {"error", "out of gas"},
                                                                        {"value", "0x0"}}})}},
                                               {{"type", "CREATE2"},
                                                {"from", kB},
                                                {"to", kC},
                                                {"gas", "0x900"},
                                                {"gasUsed", "0x90"},
                                                {"input", "0x6000"},
                                                {"output", "0x00"},
                                                {"value", "0x0"}},
                                               {{"type", "CALL"},
                                                {"from", kB},
                                                {"to", kC},
                                                {"gas", "0x50"},
                                                {"gasUsed", "0x30"},
                                                {"input", "0x"},
                                                {"output", "0x08c379a0"},
                                                {"error", "execution reverted"},
                                                {"value", "0x0"}},
                                               {{"type", "SELFDESTRUCT"},
                                                {"from", kB},
                                                {"to", kA},
                                                {"value", "0x7"},
                                                {"gas", "0x0"},
                                                {"gasUsed", "0x0"},
                                                {"input", "0x"}}})}};
    const json traces = parity_traces(frame, evm::Revision::Prague, 0xf000, 0x4000);
    ASSERT_EQ(traces.size(), 6u);

    EXPECT_EQ(traces[0]["type"], "call");
    EXPECT_EQ(traces[0]["action"]["callType"], "call");
    EXPECT_EQ(traces[0]["action"]["gas"], "0xf000") << "the top call's gas after intrinsic gas";
    EXPECT_EQ(traces[0]["result"]["gasUsed"], "0x4000");
    EXPECT_EQ(traces[0]["result"]["output"], "0xabcd");
    EXPECT_EQ(traces[0]["subtraces"], 4) << "the precompile call is not counted";
    EXPECT_EQ(traces[0]["traceAddress"], json::array());
    EXPECT_FALSE(traces[0].contains("error"));

    EXPECT_EQ(traces[1]["action"]["callType"], "delegatecall");
    EXPECT_EQ(traces[1]["traceAddress"], json::array({0}));
    EXPECT_EQ(traces[1]["subtraces"], 1);
    EXPECT_EQ(traces[2]["traceAddress"], json::array({0, 0}));
    EXPECT_EQ(traces[2]["error"], "Out of gas");
    EXPECT_TRUE(traces[2]["result"].is_null()) << "a failure other than a revert has no result";

    EXPECT_EQ(traces[3]["type"], "create");
    EXPECT_EQ(traces[3]["action"]["creationMethod"], "create2");
    EXPECT_EQ(traces[3]["action"]["init"], "0x6000");
    EXPECT_EQ(traces[3]["result"]["address"], kC);
    EXPECT_EQ(traces[3]["result"]["code"], "0x00");
    EXPECT_EQ(traces[3]["traceAddress"], json::array({1}));

    EXPECT_EQ(traces[4]["error"], "Reverted");
    EXPECT_EQ(traces[4]["result"]["output"], "0x08c379a0") << "a revert keeps its output";

    EXPECT_EQ(traces[5]["type"], "suicide");
    EXPECT_EQ(traces[5]["action"]["address"], kB);
    EXPECT_EQ(traces[5]["action"]["refundAddress"], kA);
    EXPECT_EQ(traces[5]["action"]["balance"], "0x7");
    EXPECT_TRUE(traces[5]["result"].is_null());

    EXPECT_TRUE(parity_traces(json::object(), evm::Revision::Prague).empty());
}

TEST(ParityTracer, StateDiffFromThePrestateDiff) {
    const json diff = {{"pre",
                        {{kA, {{"balance", "0x100"}, {"nonce", 1}}},
                         {kB,
                          {{"balance", "0x5"},
                           {"code", "0x6000"},
                           {"storage", {{word(1), word(9)}, {word(2), word(4)}}}}},
                         {kC, {{"balance", "0x3"}, {"storage", {{word(7), word(1)}}}}}}},
                       {"post",
                        {{kA, {{"balance", "0x90"}, {"nonce", 2}}},
                         {kB, {{"storage", {{word(1), word(10)}, {word(3), word(6)}}}}},
                         {"0x00000000000000000000000000000000000000dd",
                          {{"balance", "0x1"},
                           {"nonce", 1},
                           {"code", "0x00"},
                           {"storage", {{word(0), word(5)}}}}}}}};
    const json out = parity_state_diff(diff);
    ASSERT_EQ(out.size(), 4u);

    EXPECT_EQ(out[kA]["balance"], json({{"*", {{"from", "0x100"}, {"to", "0x90"}}}}));
    EXPECT_EQ(out[kA]["nonce"], json({{"*", {{"from", "0x1"}, {"to", "0x2"}}}}));
    EXPECT_EQ(out[kA]["code"], "=");
    EXPECT_EQ(out[kA]["storage"], json::object());

    EXPECT_EQ(out[kB]["balance"], "=");
    EXPECT_EQ(out[kB]["nonce"], "=");
    EXPECT_EQ(out[kB]["storage"][word(1)], json({{"*", {{"from", word(9)}, {"to", word(10)}}}}));
    EXPECT_EQ(out[kB]["storage"][word(2)], json({{"*", {{"from", word(4)}, {"to", word(0)}}}}))
        << "cleared: absent from the post state";
    EXPECT_EQ(out[kB]["storage"][word(3)], json({{"*", {{"from", word(0)}, {"to", word(6)}}}}))
        << "set from zero: absent from the pre state";

    const json& created = out["0x00000000000000000000000000000000000000dd"];
    EXPECT_EQ(created["balance"], json({{"+", "0x1"}}));
    EXPECT_EQ(created["nonce"], json({{"+", "0x1"}}));
    EXPECT_EQ(created["code"], json({{"+", "0x00"}}));
    EXPECT_EQ(created["storage"][word(0)], json({{"+", word(5)}}));

    EXPECT_EQ(out[kC]["balance"], json({{"-", "0x3"}})) << "destroyed: in pre, not in post";
    EXPECT_EQ(out[kC]["nonce"], json({{"-", "0x0"}}));
    EXPECT_EQ(out[kC]["storage"][word(7)], json({{"-", word(1)}}));
}

TEST(ParityTracer, Localizes) {
    json trace = json::object();
    hash256 block_hash, tx_hash;
    block_hash.bytes[0] = 1;
    tx_hash.bytes[31] = 2;
    localize_trace(trace, block_hash, 7, tx_hash, 3);
    EXPECT_EQ(trace["blockNumber"], 7);
    EXPECT_EQ(trace["transactionPosition"], 3);
    EXPECT_EQ(trace["blockHash"], to_hex(block_hash));
    EXPECT_EQ(trace["transactionHash"], to_hex(tx_hash));
}
