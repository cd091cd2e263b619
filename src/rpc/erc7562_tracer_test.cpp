// The erc7562Tracer driven through the real host and interpreter; its JSON checked against
// go-ethereum's shape (eth/tracers/native/erc7562.go).
#include "rpc/erc7562_tracer.hpp"

#include <gtest/gtest.h>

#include "common/keccak.hpp"
#include "rpc/erc7562_test_support.hpp"

using namespace krnl;
using namespace krnl::rpc;
using namespace krnl::rpc::testing;

namespace {

constexpr uint8_t STOP = 0x00, ADD = 0x01, ISZERO = 0x15, KECCAK256 = 0x20, EXTCODESIZE = 0x3b,
                  EXTCODEHASH = 0x3f, TIMESTAMP = 0x42, POP = 0x50, MSTORE = 0x52, SLOAD = 0x54,
                  SSTORE = 0x55, JUMP = 0x56, JUMPDEST = 0x5b, GAS = 0x5a, TLOAD = 0x5c,
                  TSTORE = 0x5d, DUP1 = 0x80, LOG1 = 0xa1, CALL = 0xf1, REVERT = 0xfd;

std::string word(uint64_t v) {
    return to_hex(uint256(v).to_bytes32());
}

// An infinite loop: runs out of whatever gas it gets.
bytes loop_code() {
    return {JUMPDEST, 0x60, 0x00, JUMP};
}

struct ShapeWorld {
    state::State state;
    address main = addr(0xaa), child = addr(0xcc), looper = addr(0x10), nocode = addr(0xdd),
            key_owner = addr(0x11);
    bytes child_code;

    ShapeWorld() {
        child_code = Asm().op(TIMESTAMP).op(POP).op(STOP).code;
        state.put(child, with_code(child_code));
        state.put(looper, with_code(loop_code()));

        Asm m;
        m.push(0x2a).push(1).op(SSTORE);           // write slot 1
        m.push(2).op(SLOAD).op(POP);               // read slot 2 (holds 9)
        m.push(1).op(SLOAD).op(POP);               // read of slot 1 after the write: not a read
        m.push(7).push(3).op(TSTORE);              // transient write of slot 3
        m.push(3).op(TLOAD).op(POP);               // transient read of slot 3
        m.push(key_owner).push(0).op(MSTORE);      // memory[0..32) = key_owner padded
        m.push(64).push(0).op(KECCAK256).op(POP);  // keccak(key_owner ‖ 0)
        m.push(child).op(EXTCODESIZE).op(ISZERO).op(POP);  // OP-051 pattern: not recorded
        m.push(child).op(EXTCODEHASH).op(POP);
        m.push(nocode).op(EXTCODESIZE).op(POP);
        m.op(GAS).op(POP);  // GAS not followed by a call: counted
        // CALL child with all gas: GAS right before CALL is not counted.
        m.push(0).push(0).push(0).push(0).push(0).push(child).op(GAS).op(CALL).op(POP);
        m.call(CALL, looper, 3000, 0).op(POP);
        m.push(uint256(0xbeef)).push(0).op(MSTORE);
        m.push(uint256(0x77)).push(32).push(0).op(LOG1);
        m.op(STOP);
        state.put(main, with_code(m.code));
        state.set_storage(main, 2, 9);
        state.finalize_transaction(true);
    }
};

}  // namespace

TEST(Erc7562Tracer, FrameFieldsMatchGethShape) {
    ShapeWorld w;
    Erc7562TracerConfig config;
    config.with_log = true;
    const Erc7562Run run = trace_erc7562(w.state, w.main, {}, 1'000'000, config);
    ASSERT_EQ(run.receipt.status, evm::StatusCode::Success);
    const json& top = run.result;

    EXPECT_EQ(top["type"], "CALL");
    EXPECT_EQ(top["from"], to_hex(kTxSender));
    EXPECT_EQ(top["to"], to_hex(w.main));
    EXPECT_EQ(top["gas"], "0xf4240");
    EXPECT_EQ(top["input"], "0x");
    EXPECT_EQ(top["value"], "0x0");
    EXPECT_EQ(top["outOfGas"], false);

    const json& slots = top["accessedSlots"];
    EXPECT_EQ(slots["reads"], json({{word(2), json::array({word(9)})}}));
    EXPECT_EQ(slots["writes"], json({{word(1), 1}}));
    EXPECT_EQ(slots["transientReads"], json({{word(3), 1}}));
    EXPECT_EQ(slots["transientWrites"], json({{word(3), 1}}));

    bytes preimage(64, 0);
    std::memcpy(preimage.data() + 12, w.key_owner.bytes, 20);
    EXPECT_EQ(top["keccak"], json::array({to_hex(preimage)}));

    EXPECT_EQ(top["extCodeAccessInfo"], json::array({to_hex(w.child), to_hex(w.nocode)}));
    const json& sizes = top["contractSize"];
    EXPECT_EQ(sizes[to_hex(w.child)],
              json({{"contractSize", w.child_code.size()}, {"opcode", EXTCODESIZE}}));
    EXPECT_EQ(sizes[to_hex(w.nocode)], json({{"contractSize", 0}, {"opcode", EXTCODESIZE}}));
    EXPECT_EQ(sizes[to_hex(w.looper)]["opcode"], CALL);

    const json& used = top["usedOpcodes"];
    EXPECT_EQ(used["0x5a"], 1);  // the GAS before POP only
    EXPECT_EQ(used["0x54"], 2);
    EXPECT_EQ(used["0x55"], 1);
    EXPECT_EQ(used["0x20"], 1);
    EXPECT_EQ(used["0xf1"], 2);
    EXPECT_FALSE(used.contains("0x60"));  // PUSH1: ignored by default
    EXPECT_FALSE(used.contains("0x50"));  // POP: ignored by default

    ASSERT_EQ(top["logs"].size(), 1u);
    EXPECT_EQ(top["logs"][0]["address"], to_hex(w.main));
    EXPECT_EQ(top["logs"][0]["topics"], json::array({word(0x77)}));
    EXPECT_EQ(top["logs"][0]["position"], "0x2");

    ASSERT_EQ(top["calls"].size(), 2u);
    const json& child = top["calls"][0];
    EXPECT_EQ(child["type"], "CALL");
    EXPECT_EQ(child["to"], to_hex(w.child));
    EXPECT_EQ(child["usedOpcodes"], json({{"0x42", 1}, {"0x0", 1}}));
    EXPECT_EQ(child["outOfGas"], false);
    EXPECT_FALSE(child.contains("keccak"));  // preimages live in the top frame only
    const json& looper = top["calls"][1];
    EXPECT_EQ(looper["outOfGas"], true);
    EXPECT_EQ(looper["error"], "out of gas");
    EXPECT_EQ(looper["gas"], "0xbb8");
    EXPECT_EQ(looper["gasUsed"], "0xbb8");

    // The C++ tree carries the same facts.
    EXPECT_EQ(run.root.calls.size(), 2u);
    EXPECT_TRUE(run.root.calls[1].out_of_gas);
    EXPECT_EQ(run.root.storage_address, w.main);
    EXPECT_EQ(run.root.contract_size.at(w.child).code_hash, keccak256(w.child_code));
}

TEST(Erc7562Tracer, IgnoredOpcodesAndLogsFollowConfig) {
    ShapeWorld w;
    auto config = Erc7562TracerConfig::parse({{"ignoredOpcodes", json::array({"0x54"})}});
    ASSERT_TRUE(config.has_value());
    const Erc7562Run run = trace_erc7562(w.state, w.main, {}, 1'000'000, *config);
    const json& used = run.result["usedOpcodes"];
    EXPECT_FALSE(used.contains("0x54"));
    EXPECT_GT(used["0x60"].get<int>(), 10);     // PUSH1 counts once only SLOAD is ignored
    EXPECT_FALSE(run.result.contains("logs"));  // withLog defaults to false

    EXPECT_FALSE(Erc7562TracerConfig::parse({{"ignoredOpcodes", "0x54"}}).has_value());
    EXPECT_FALSE(
        Erc7562TracerConfig::parse({{"ignoredOpcodes", json::array({"0x100"})}}).has_value());
    EXPECT_FALSE(Erc7562TracerConfig::parse({{"withLog", 1}}).has_value());
}

TEST(Erc7562Tracer, MadeByNameWithTracerConfig) {
    state::State state;
    auto tracer =
        make_tracer({{"tracer", "erc7562Tracer"}, {"tracerConfig", {{"withLog", true}}}}, state);
    ASSERT_TRUE(tracer.has_value()) << tracer.error();
    EXPECT_NE(dynamic_cast<Erc7562Tracer*>(tracer->get()), nullptr);
    auto bad = make_tracer({{"tracer", "erc7562Tracer"}, {"tracerConfig", {{"ignoredOpcodes", 5}}}},
                           state);
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().find("ignoredOpcodes"), std::string::npos);
}

TEST(Erc7562Tracer, RevertedCreationAndDelegateStorageOwner) {
    state::State state;
    const address lib = addr(0x1b), main = addr(0xab);
    state.put(lib, with_code(Asm().push(5).op(SLOAD).op(POP).op(STOP).code));
    Asm m;
    m.call(0xf4, lib, 50'000, std::nullopt).op(POP);  // DELEGATECALL: reads main's slot 5
    // CREATE of init code that reverts: memory[0..2) = REVERT(0,0) preceded by PUSH0s.
    const bytes init = {0x5f, 0x5f, REVERT};
    m.mstore_bytes(init);
    m.push(init.size()).push(0).push(0).op(0xf0).op(POP);
    m.op(STOP);
    state.put(main, with_code(m.code));
    state.set_storage(main, 5, 0x55);
    state.finalize_transaction(true);
    const Erc7562Run run = trace_erc7562(state, main);
    ASSERT_EQ(run.root.calls.size(), 2u);
    const Erc7562Frame& dc = run.root.calls[0];
    EXPECT_EQ(dc.storage_address, main);
    EXPECT_EQ(dc.reads.at(uint256(5).to_bytes32()), uint256(0x55).to_bytes32());
    const json& dc_json = run.result["calls"][0];
    EXPECT_EQ(dc_json["type"], "DELEGATECALL");
    EXPECT_EQ(dc_json["to"], to_hex(lib));
    const json& create = run.result["calls"][1];
    EXPECT_EQ(create["type"], "CREATE");
    EXPECT_EQ(create["error"], "execution reverted");
    EXPECT_FALSE(create.contains("to"));  // geth drops the address of a failed creation
    EXPECT_TRUE(run.root.calls[1].to.has_value());
}

TEST(Erc7562Tracer, AbandonsPastTheByteCap) {
    state::State state;
    const address writer = addr(0xab);
    // slot[i] = i for i = 0, 1, 2, ... until gas runs out: one new slot per iteration.
    Asm m;
    m.push(0).op(JUMPDEST).op(DUP1).op(DUP1).op(SSTORE).push(1).op(ADD).push(2).op(JUMP);
    state.put(writer, with_code(m.code));
    state.finalize_transaction(true);
    const Erc7562Run capped = trace_erc7562(state, writer, {}, 10'000'000, {}, {.max_bytes = 5000});
    ASSERT_TRUE(capped.failure.has_value());
    EXPECT_NE(capped.failure->find("limits.trace_max_bytes"), std::string::npos);

    state::State fresh;
    fresh.put(writer, with_code(m.code));
    fresh.finalize_transaction(true);
    const Erc7562Run full = trace_erc7562(fresh, writer, {}, 1'000'000, {}, {.max_bytes = 1 << 22});
    EXPECT_FALSE(full.failure.has_value());
    EXPECT_GT(full.root.writes.size(), 10u);
}

TEST(Erc7562Tracer, LogsOfRevertedFramesAreDropped) {
    state::State state;
    const address logger = addr(0x1a), main = addr(0xab);
    // Logs, then reverts.
    state.put(logger,
              with_code(Asm().push(1).push(0).push(0).op(LOG1).push(0).push(0).op(REVERT).code));
    Asm m;
    m.call(CALL, logger, 50'000, 0).op(POP);
    m.push(2).push(0).push(0).op(LOG1).op(STOP);
    state.put(main, with_code(m.code));
    state.finalize_transaction(true);
    Erc7562TracerConfig config;
    config.with_log = true;
    const Erc7562Run run = trace_erc7562(state, main, {}, 1'000'000, config);
    ASSERT_EQ(run.result["calls"].size(), 1u);
    EXPECT_EQ(run.result["calls"][0]["error"], "execution reverted");
    EXPECT_FALSE(run.result["calls"][0].contains("logs"));
    ASSERT_EQ(run.result["logs"].size(), 1u);
    EXPECT_EQ(run.result["logs"][0]["topics"], json::array({word(2)}));
}
