// The tracers driven the way the node drives them: on_tx_start, the real host and interpreter
// (chain::apply_transaction), then result().
#include "rpc/tracers.hpp"

#include <gtest/gtest.h>

#include "chain/execution.hpp"
#include "common/abi.hpp"
#include "common/keccak.hpp"

using namespace krnl;
using namespace krnl::rpc;

namespace {

// A tiny assembler for test contracts.
struct Asm {
    bytes code;
    Asm& op(uint8_t o) {
        code.push_back(o);
        return *this;
    }
    Asm& push(const uint256& v) {
        const bytes32 w = v.to_bytes32();
        size_t first = 0;
        while (first < 31 && w[first] == 0)
            ++first;
        code.push_back(static_cast<uint8_t>(0x60 + (31 - first)));
        code.append(w.data() + first, 32 - first);
        return *this;
    }
    Asm& push(const address& a) {
        code.push_back(0x73);  // PUSH20
        code.append(a.view());
        return *this;
    }
    // CALL-like: retSize, retOffset, argsSize, argsOffset, [value], addr, gas.
    Asm& call(uint8_t opcode, const address& to, uint64_t gas, std::optional<uint64_t> value,
              uint64_t args_offset, uint64_t args_size, uint64_t ret_offset, uint64_t ret_size) {
        push(ret_size).push(ret_offset).push(args_size).push(args_offset);
        if (value) push(*value);
        push(to).push(gas).op(opcode);
        return *this;
    }
};

constexpr uint8_t ADD = 0x01, POP = 0x50, MSTORE = 0x52, SLOAD = 0x54, SSTORE = 0x55, STOP = 0x00,
                  LOG1 = 0xa1, CALL = 0xf1, STATICCALL = 0xfa, DELEGATECALL = 0xf4, RETURN = 0xf3,
                  REVERT = 0xfd, CODECOPY = 0x39, INVALID = 0xfe, CREATE = 0xf0, CREATE2 = 0xf5,
                  SELFDESTRUCT = 0xff, BALANCE = 0x31;

// Code that returns (or reverts with) `payload`.
bytes code_returning(bytes_view payload, bool revert = false) {
    // PUSH2 len PUSH1 offset PUSH1 0 CODECOPY PUSH2 len PUSH1 0 RETURN|REVERT: 14 bytes.
    const uint8_t header = 14;
    bytes c = {0x61,
               static_cast<uint8_t>(payload.size() >> 8),
               static_cast<uint8_t>(payload.size()),
               0x60,
               header,
               0x60,
               0x00,
               CODECOPY,
               0x61,
               static_cast<uint8_t>(payload.size() >> 8),
               static_cast<uint8_t>(payload.size()),
               0x60,
               0x00};
    c.push_back(revert ? REVERT : RETURN);
    c.append(payload);
    return c;
}

address addr(uint8_t tag) {
    address a;
    for (auto& b : a.bytes)
        b = tag;
    return a;
}

address precompile(uint8_t n) {
    address a;
    a[19] = n;
    return a;
}

const address kSender = addr(0x5e);
const address kCoinbase = addr(0xcb);
const uint256 kSenderBalance = uint256(1'000'000'000'000'000'000ULL);

struct Traced {
    json result;
    chain::Receipt receipt;
};

// Runs one transaction from kSender on `state` with the tracer made from `options`.
Traced trace(state::State& state, const json& options, std::optional<address> to, bytes data,
             uint64_t value = 0, uint64_t gas_limit = 1'000'000) {
    auto tracer = make_tracer(options, state);
    EXPECT_TRUE(tracer.has_value()) << (tracer ? "" : tracer.error());
    chain::Transaction tx;
    tx.type = chain::TxType::Legacy;
    tx.nonce = state.find(kSender) ? state.find(kSender)->nonce : 0;
    tx.max_fee_per_gas = tx.max_priority_fee_per_gas = 10;
    tx.gas_limit = gas_limit;
    tx.to = to;
    tx.value = value;
    tx.data = std::move(data);
    chain::BlockInfo block;
    block.number = 1;
    block.timestamp = 1000;
    block.gas_limit = 30'000'000;
    block.coinbase = kCoinbase;
    block.base_fee = 7;
    evm::AnalysisCache cache;

    TraceTxInfo info{kSender, tx.to,        tx.nonce,  tx.value,
                     tx.data, tx.gas_limit, kCoinbase, evm::Revision::Cancun};
    (*tracer)->on_tx_start(info);
    auto receipt = chain::apply_transaction(state, evm::Revision::Cancun, block, tx, kSender, cache,
                                            {}, tracer->get());
    EXPECT_TRUE(receipt.has_value());
    if (!receipt) return {};
    const TraceTxOutcome outcome{receipt->status, receipt->output,
                                 static_cast<uint64_t>(receipt->gas_used)};
    return {(*tracer)->result(outcome), *receipt};
}

state::Account with_code(bytes code, uint256 balance = 0) {
    state::Account acc;
    acc.set_code(std::move(code));
    acc.balance = balance;
    acc.nonce = 1;
    return acc;
}

// A world with a main contract A that writes and reads storage, logs, calls a reverting B, the
// identity precompile, delegatecalls C (which writes A's slot 5) and pays an EOA E, then returns
// the word 0x1234.
struct World {
    state::State state;
    address a = addr(0xaa), b = addr(0xbb), c = addr(0xcc), e = addr(0xee);
    bytes revert_payload;
    bytes32 topic;

    World() {
        state::Account sender;
        sender.balance = kSenderBalance;
        state.put(kSender, sender);

        revert_payload = *::krnl::abi::encode_call(
            "Error(string)", std::vector<::krnl::abi::Value>{::krnl::abi::Value("nope")});
        state.put(b, with_code(code_returning(revert_payload, true)));

        Asm c_code;
        c_code.push(7).push(5).op(SSTORE).op(STOP);
        state.put(c, with_code(c_code.code));

        topic = keccak256(as_bytes("Topic()"));
        Asm m;
        m.push(0x2a).push(1).op(SSTORE);    // slot 1 = 42
        m.push(2).op(SLOAD).op(POP);        // read slot 2
        m.push(0x1234).push(0).op(MSTORE);  // memory[0..32) = 0x1234
        m.push(uint256::from_bytes32(topic)).push(32).push(0).op(LOG1);
        m.call(CALL, b, 0xffff, 0, 0, 0, 0, 0).op(POP);
        m.call(STATICCALL, precompile(4), 0xffff, std::nullopt, 0, 32, 0, 32).op(POP);
        m.call(DELEGATECALL, c, 0xffff, std::nullopt, 0, 0, 0, 0).op(POP);
        m.call(CALL, e, 0, 5, 0, 0, 0, 0).op(POP);
        m.push(32).push(0).op(RETURN);
        state::Account main = with_code(m.code, 100);
        state.put(a, main);
        state.set_storage(a, 2, 9);
        state.finalize_transaction(true);
    }
};

std::string word_hex(uint64_t v) {
    return to_hex(uint256(v).to_bytes32());
}

}  // namespace

TEST(CallTracer, NestedCallsRevertReasonsPrecompilesAndTransfers) {
    World w;
    const Traced run =
        trace(w.state, {{"tracer", "callTracer"}, {"tracerConfig", {{"withLog", true}}}}, w.a, {});
    const json& top = run.result;
    ASSERT_EQ(run.receipt.status, evm::StatusCode::Success);
    EXPECT_EQ(top["type"], "CALL");
    EXPECT_EQ(top["from"], to_hex(kSender));
    EXPECT_EQ(top["to"], to_hex(w.a));
    EXPECT_EQ(top["value"], "0x0");
    EXPECT_EQ(top["gas"], "0xf4240");
    EXPECT_EQ(
        top["gasUsed"], "0x" + [&] {
            char buf[20];
            std::snprintf(buf, sizeof buf, "%llx",
                          static_cast<unsigned long long>(run.receipt.gas_used));
            return std::string(buf);
        }());
    EXPECT_EQ(top["input"], "0x");
    EXPECT_EQ(top["output"], word_hex(0x1234));
    EXPECT_FALSE(top.contains("error"));

    ASSERT_EQ(top["logs"].size(), 1u);
    EXPECT_EQ(top["logs"][0]["address"], to_hex(w.a));
    EXPECT_EQ(top["logs"][0]["topics"], json::array({to_hex(w.topic)}));
    EXPECT_EQ(top["logs"][0]["data"], word_hex(0x1234));
    EXPECT_EQ(top["logs"][0]["position"], "0x0");

    ASSERT_EQ(top["calls"].size(), 4u);
    const json& revert = top["calls"][0];
    EXPECT_EQ(revert["type"], "CALL");
    EXPECT_EQ(revert["from"], to_hex(w.a));
    EXPECT_EQ(revert["to"], to_hex(w.b));
    EXPECT_EQ(revert["gas"], "0xffff");
    EXPECT_EQ(revert["error"], "execution reverted");
    EXPECT_EQ(revert["revertReason"], "nope");
    EXPECT_EQ(revert["output"], to_hex(w.revert_payload));

    const json& identity = top["calls"][1];
    EXPECT_EQ(identity["type"], "STATICCALL");
    EXPECT_EQ(identity["to"], to_hex(precompile(4)));
    EXPECT_FALSE(identity.contains("value"));
    EXPECT_EQ(identity["input"], word_hex(0x1234));
    EXPECT_EQ(identity["output"], word_hex(0x1234));
    EXPECT_EQ(identity["gasUsed"], "0x12");  // 15 + 3 per word

    const json& delegate = top["calls"][2];
    EXPECT_EQ(delegate["type"], "DELEGATECALL");
    EXPECT_EQ(delegate["from"], to_hex(w.a));
    EXPECT_EQ(delegate["to"], to_hex(w.c));
    EXPECT_FALSE(delegate.contains("output"));

    const json& transfer = top["calls"][3];
    EXPECT_EQ(transfer["type"], "CALL");
    EXPECT_EQ(transfer["to"], to_hex(w.e));
    EXPECT_EQ(transfer["value"], "0x5");
    EXPECT_EQ(transfer["gas"], "0x8fc");  // the stipend alone
    EXPECT_EQ(transfer["gasUsed"], "0x0");
}

TEST(CallTracer, OnlyTopCallAndNoLogsByDefault) {
    World w;
    const Traced top_only = trace(
        w.state, {{"tracer", "callTracer"}, {"tracerConfig", {{"onlyTopCall", true}}}}, w.a, {});
    EXPECT_FALSE(top_only.result.contains("calls"));
    EXPECT_FALSE(top_only.result.contains("logs"));
    EXPECT_EQ(top_only.result["output"], word_hex(0x1234));
}

TEST(CallTracer, CreationsAndSelfdestruct) {
    state::State state;
    state::Account sender;
    sender.balance = kSenderBalance;
    state.put(kSender, sender);

    // Runtime: SELFDESTRUCT to 0xee.. ; init code returns it.
    Asm runtime;
    runtime.push(addr(0xee)).op(SELFDESTRUCT);
    const bytes init = code_returning(runtime.code);
    // Factory: CREATE2 the init code with salt 1 and value 0, then call the child.
    Asm factory;
    // Copy the init code (placed after the factory code) to memory 0.
    const size_t factory_size = 0;  // patched below
    (void)factory_size;
    bytes factory_tail = init;
    Asm head;
    head.push(factory_tail.size()).push(0x40).push(0).op(CODECOPY);      // offset 0x40 fixed below
    head.push(1).push(factory_tail.size()).push(0).push(3).op(CREATE2);  // salt, size, offset,
                                                                         // value
    // Call the created contract (address on the stack): keep it with DUP1.
    head.op(0x80);  // DUP1
    head.code +=
        bytes{0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00};  // ret/args/value
    head.op(0x85);                                                          // DUP6: the address
    head.push(0xffff).op(CALL).op(POP).op(POP).op(STOP);
    ASSERT_LE(head.code.size(), 0x40u);
    bytes factory_code = head.code;
    factory_code.resize(0x40, STOP);
    factory_code += factory_tail;
    // The factory deploys with 3 wei so the child has something to send.
    const Traced run = trace(state, {{"tracer", "callTracer"}}, std::nullopt,
                             code_returning(factory_code), 0, 2'000'000);
    // The outer creation returns the factory as its code; nothing ran yet. Now call it.
    ASSERT_EQ(run.receipt.status, evm::StatusCode::Success);
    EXPECT_EQ(run.result["type"], "CREATE");
    EXPECT_EQ(run.result["to"], to_hex(run.receipt.contract_address));
    EXPECT_EQ(run.result["output"], to_hex(factory_code));

    state.add_balance(run.receipt.contract_address, 3);
    state.finalize_transaction(true);
    const Traced call = trace(state, {{"tracer", "callTracer"}}, run.receipt.contract_address, {});
    ASSERT_EQ(call.receipt.status, evm::StatusCode::Success);
    ASSERT_EQ(call.result["calls"].size(), 2u);
    const json& created = call.result["calls"][0];
    const address child = chain::create2_address(run.receipt.contract_address, 1, init);
    EXPECT_EQ(created["type"], "CREATE2");
    EXPECT_EQ(created["from"], to_hex(run.receipt.contract_address));
    EXPECT_EQ(created["to"], to_hex(child));
    EXPECT_EQ(created["input"], to_hex(init));
    EXPECT_EQ(created["output"], to_hex(runtime.code));
    const json& called = call.result["calls"][1];
    EXPECT_EQ(called["to"], to_hex(child));
    ASSERT_EQ(called["calls"].size(), 1u);
    const json& destruct = called["calls"][0];
    EXPECT_EQ(destruct["type"], "SELFDESTRUCT");
    EXPECT_EQ(destruct["from"], to_hex(child));
    EXPECT_EQ(destruct["to"], to_hex(addr(0xee)));
    EXPECT_EQ(destruct["value"], "0x3");  // what CREATE2 gave it
}

TEST(CallTracer, FailedCreationDropsTo) {
    state::State state;
    state::Account sender;
    sender.balance = kSenderBalance;
    state.put(kSender, sender);
    const Traced run = trace(state, {{"tracer", "callTracer"}}, std::nullopt,
                             code_returning(as_bytes("no"), true));
    EXPECT_EQ(run.result["type"], "CREATE");
    EXPECT_FALSE(run.result.contains("to"));
    EXPECT_EQ(run.result["error"], "execution reverted");
    EXPECT_EQ(run.result["output"], to_hex(as_bytes("no")));
    EXPECT_FALSE(run.result.contains("revertReason"));  // not an Error(string)
}

TEST(StructLogger, StepsGasStackAndStorage) {
    state::State state;
    state::Account sender;
    sender.balance = kSenderBalance;
    state.put(kSender, sender);
    Asm code;
    code.push(1).push(2).op(ADD).push(0).op(SSTORE).op(STOP);
    state.put(addr(0xaa), with_code(code.code));
    state.finalize_transaction(true);

    const Traced run = trace(state, json(nullptr), addr(0xaa), {});
    const json& r = run.result;
    EXPECT_EQ(r["gas"], run.receipt.gas_used);
    EXPECT_EQ(r["failed"], false);
    EXPECT_EQ(r["returnValue"], "");
    const json& logs = r["structLogs"];
    ASSERT_EQ(logs.size(), 6u);
    const std::vector<std::string> ops = {"PUSH1", "PUSH1", "ADD", "PUSH1", "SSTORE", "STOP"};
    const std::vector<uint64_t> pcs = {0, 2, 4, 5, 7, 8};
    const std::vector<uint64_t> costs = {3, 3, 3, 3, 22100, 0};
    uint64_t gas = 1'000'000 - 21000;
    for (size_t i = 0; i < logs.size(); ++i) {
        EXPECT_EQ(logs[i]["op"], ops[i]) << i;
        EXPECT_EQ(logs[i]["pc"], pcs[i]) << i;
        EXPECT_EQ(logs[i]["gas"], gas) << i;
        EXPECT_EQ(logs[i]["gasCost"], costs[i]) << i;
        EXPECT_EQ(logs[i]["depth"], 1) << i;
        EXPECT_FALSE(logs[i].contains("memory"));
        gas -= costs[i];
    }
    EXPECT_EQ(logs[2]["stack"], json::array({"0x1", "0x2"}));
    EXPECT_EQ(logs[4]["stack"], json::array({"0x3", "0x0"}));
    EXPECT_EQ(logs[4]["storage"], json({{std::string(64, '0'), std::string(63, '0') + "3"}}));
    EXPECT_FALSE(logs[3].contains("storage"));
}

TEST(StructLogger, OptionsMemoryAndDisabledStack) {
    World w;
    const Traced run =
        trace(w.state, {{"enableMemory", true}, {"disableStack", true}, {"disableStorage", true}},
              w.a, {});
    const json& logs = run.result["structLogs"];
    ASSERT_FALSE(logs.empty());
    bool saw_memory = false;
    size_t depth2 = 0;
    for (const json& log : logs) {
        EXPECT_FALSE(log.contains("stack"));
        EXPECT_FALSE(log.contains("storage"));
        if (log["depth"] == 2) ++depth2;
        if (log["op"] == "LOG1" && log["depth"] == 1) {
            ASSERT_EQ(log["memory"].size(), 1u);
            EXPECT_EQ(log["memory"][0], word_hex(0x1234).substr(2));
            saw_memory = true;
        }
    }
    EXPECT_TRUE(saw_memory);
    EXPECT_GT(depth2, 0u);  // B's and C's steps
    EXPECT_EQ(run.result["returnValue"], word_hex(0x1234).substr(2));
}

TEST(StructLogger, CallCostIncludesTheGasGiven) {
    World w;
    const Traced run = trace(w.state, json::object(), w.a, {});
    const json& logs = run.result["structLogs"];
    int seen = 0;
    for (const json& log : logs) {
        if (log["op"] == "STATICCALL") {
            ++seen;
            // Warm precompile (100) plus the 0xffff handed over; memory was already 32 bytes.
            EXPECT_EQ(log["gasCost"], 100 + 0xffff);
        }
        if (log["op"] == "DELEGATECALL") {
            ++seen;
            // Cold account access (2600) plus the 0xffff handed over.
            EXPECT_EQ(log["gasCost"], 2600 + 0xffff);
        }
    }
    EXPECT_EQ(seen, 2);
}

TEST(StructLogger, FailedStepCarriesTheError) {
    state::State state;
    state::Account sender;
    sender.balance = kSenderBalance;
    state.put(kSender, sender);
    state.put(addr(0xaa), with_code(bytes{0x60, 0x01, INVALID}));
    state.finalize_transaction(true);
    const Traced run = trace(state, json(nullptr), addr(0xaa), {});
    const json& logs = run.result["structLogs"];
    ASSERT_EQ(logs.size(), 2u);
    EXPECT_EQ(logs[1]["op"], "INVALID");
    EXPECT_EQ(logs[1]["error"], "invalid opcode: INVALID");
    EXPECT_EQ(run.result["failed"], true);
    EXPECT_EQ(run.result["returnValue"], "");
}

TEST(PrestateTracer, TouchedAccountsAndSlots) {
    World w;
    const Traced run = trace(w.state, {{"tracer", "prestateTracer"}}, w.a, {});
    const json& pre = run.result;
    for (const address& a : {kSender, w.a, w.b, w.c, w.e, precompile(4), kCoinbase})
        EXPECT_TRUE(pre.contains(to_hex(a))) << to_hex(a);
    EXPECT_EQ(pre.size(), 7u);
    const json& sender = pre[to_hex(kSender)];
    EXPECT_EQ(sender["balance"], to_hex(kSenderBalance));
    EXPECT_FALSE(sender.contains("nonce"));
    const json& main = pre[to_hex(w.a)];
    EXPECT_EQ(main["balance"], "0x64");
    EXPECT_EQ(main["nonce"], 1);
    EXPECT_EQ(main["code"], to_hex(w.state.find(w.a)->code));
    EXPECT_EQ(
        main["storage"],
        json({{word_hex(1), word_hex(0)}, {word_hex(2), word_hex(9)}, {word_hex(5), word_hex(0)}}));
    EXPECT_EQ(pre[to_hex(w.e)], json({{"balance", "0x0"}}));
}

TEST(PrestateTracer, DiffMode) {
    World w;
    const Traced run = trace(
        w.state, {{"tracer", "prestateTracer"}, {"tracerConfig", {{"diffMode", true}}}}, w.a, {});
    const json& pre = run.result["pre"];
    const json& post = run.result["post"];
    // B reverted and C's code ran on A's storage: neither changed.
    EXPECT_FALSE(pre.contains(to_hex(w.b)));
    EXPECT_FALSE(post.contains(to_hex(w.c)));
    EXPECT_EQ(post[to_hex(w.a)]["storage"],
              json({{word_hex(1), word_hex(0x2a)}, {word_hex(5), word_hex(7)}}));
    EXPECT_EQ(post[to_hex(w.a)]["balance"], "0x5f");     // 100 - 5
    EXPECT_FALSE(pre[to_hex(w.a)].contains("storage"));  // both slots were zero before
    EXPECT_EQ(post[to_hex(w.e)], json({{"balance", "0x5"}}));
    EXPECT_EQ(pre[to_hex(w.e)], json({{"balance", "0x0"}}));
    EXPECT_EQ(post[to_hex(kSender)]["nonce"], 1);
    EXPECT_TRUE(post.contains(to_hex(kCoinbase)));  // paid the priority fee
}

TEST(AccessListTracer, TouchedAddressesAndSlots) {
    World w;
    AccessListTracer tracer;
    chain::Transaction tx;
    tx.max_fee_per_gas = tx.max_priority_fee_per_gas = 10;
    tx.gas_limit = 1'000'000;
    tx.to = w.a;
    chain::BlockInfo block;
    block.gas_limit = 30'000'000;
    block.coinbase = kCoinbase;
    block.base_fee = 7;
    evm::AnalysisCache cache;
    tracer.on_tx_start({kSender, w.a, 0, 0, {}, tx.gas_limit, kCoinbase, evm::Revision::Cancun});
    auto receipt = chain::apply_transaction(w.state, evm::Revision::Cancun, block, tx, kSender,
                                            cache, {}, &tracer);
    ASSERT_TRUE(receipt.has_value());
    const json r = tracer.result({receipt->status, receipt->output, uint64_t(receipt->gas_used)});
    // Sorted by address: A (slots only, as the recipient), B, C, E; no precompile, no sender.
    const json expected = json::array({
        {{"address", to_hex(w.a)},
         {"storageKeys", json::array({word_hex(1), word_hex(2), word_hex(5)})}},
        {{"address", to_hex(w.b)}, {"storageKeys", json::array()}},
        {{"address", to_hex(w.c)}, {"storageKeys", json::array()}},
        {{"address", to_hex(w.e)}, {"storageKeys", json::array()}},
    });
    EXPECT_EQ(r["accessList"], expected);
    EXPECT_FALSE(r.contains("error"));
}

TEST(FourByteTracer, CountsSelectorsAndSizes) {
    World w;
    bytes input = *::krnl::abi::encode_call(
        "transfer(address,uint256)",
        std::vector<::krnl::abi::Value>{::krnl::abi::Value(w.e), ::krnl::abi::Value(uint64_t{1})});
    const Traced run = trace(w.state, {{"tracer", "4byteTracer"}}, w.a, input);
    // The transaction itself; B, C and E got empty input, the precompile is skipped.
    EXPECT_EQ(run.result, json({{"0xa9059cbb-64", 1}}));
}

TEST(MakeTracer, RejectsUnknownTracersAndBadOptions) {
    state::State state;
    auto unknown = make_tracer({{"tracer", "jsTracer"}}, state);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().find("\"jsTracer\""), std::string::npos);
    EXPECT_FALSE(make_tracer({{"tracer", 5}}, state).has_value());
    EXPECT_FALSE(make_tracer({{"enableMemory", "yes"}}, state).has_value());
    EXPECT_FALSE(
        make_tracer({{"tracer", "callTracer"}, {"tracerConfig", {{"onlyTopCall", 1}}}}, state)
            .has_value());
    EXPECT_FALSE(make_tracer(json::array(), state).has_value());
    EXPECT_TRUE(make_tracer(json(nullptr), state).has_value());
    EXPECT_TRUE(make_tracer({{"tracer", "noopTracer"}}, state).has_value());
}

TEST(GethWording, OpcodeNamesAndErrors) {
    EXPECT_EQ(opcode_name(0x20), "KECCAK256");
    EXPECT_EQ(opcode_name(0x7f), "PUSH32");
    EXPECT_EQ(opcode_name(0x8f), "DUP16");
    EXPECT_EQ(opcode_name(0x9f), "SWAP16");
    EXPECT_EQ(opcode_name(0x5f), "PUSH0");
    EXPECT_EQ(opcode_name(0xef), "opcode 0xef not defined");
    EXPECT_EQ(geth_error(evm::StatusCode::UndefinedInstruction, 0xef),
              "invalid opcode: opcode 0xef not defined");
    EXPECT_EQ(geth_error(evm::StatusCode::StackUnderflow, 0x01, 1), "stack underflow (1 <=> 2)");
    EXPECT_EQ(geth_error(evm::StatusCode::StackOverflow, 0x60, 1024),
              "stack limit reached 1024 (1023)");
}

TEST(Tracers, HostileMemoryRangesDoNotAllocate) {
    // LOG0 and CREATE2 over 2^40 bytes: the instruction runs out of gas; the tracers, which look at
    // the range before the interpreter charges for it, must not try to copy it.
    state::State state;
    state::Account sender;
    sender.balance = kSenderBalance;
    state.put(kSender, sender);
    const uint256 huge = uint256(1) << 40;
    Asm log;
    log.push(huge).push(0).op(0xa0);  // LOG0(offset 0, size 2^40)
    state.put(addr(0xaa), with_code(log.code));
    Asm create;
    create.push(0).push(huge).push(0).push(0).op(CREATE2);  // salt, size, offset, value
    state.put(addr(0xab), with_code(create.code));
    state.finalize_transaction(true);

    const Traced logged = trace(
        state, {{"tracer", "callTracer"}, {"tracerConfig", {{"withLog", true}}}}, addr(0xaa), {});
    EXPECT_EQ(logged.result["error"], "out of gas");
    EXPECT_FALSE(logged.result.contains("logs"));
    const Traced created = trace(state, {{"tracer", "prestateTracer"}}, addr(0xab), {});
    EXPECT_EQ(created.receipt.status, evm::StatusCode::OutOfGas);
    EXPECT_TRUE(created.result.contains(to_hex(addr(0xab))));
}

TEST(StructLogger, LimitAndReturnData) {
    World limited;
    // geth's limit is bytes of output: recording stops once it is passed, without an error.
    const Traced first = trace(limited.state, {{"limit", 5}}, limited.a, {});
    EXPECT_EQ(first.result["structLogs"].size(), 1u);
    World some;
    const size_t all = trace(some.state, json::object(), some.a, {}).result["structLogs"].size();
    World limited_more;
    const size_t within = trace(limited_more.state, {{"limit", 2000}}, limited_more.a, {})
                              .result["structLogs"]
                              .size();
    EXPECT_GT(within, 1u);
    EXPECT_LT(within, all);

    World w;
    const Traced run = trace(w.state, {{"enableReturnData", true}}, w.a, {});
    const json& logs = run.result["structLogs"];
    // The instruction after the STATICCALL to the identity precompile sees its output.
    bool checked = false;
    for (size_t i = 0; i + 1 < logs.size(); ++i) {
        if (logs[i]["op"] == "STATICCALL") {
            EXPECT_EQ(logs[i + 1]["returnData"], word_hex(0x1234));
            checked = true;
        }
    }
    EXPECT_TRUE(checked);
    EXPECT_FALSE(logs[0].contains("returnData"));
}

// ---------------------------------------------------------------- output caps

namespace {

struct Capped {
    std::optional<std::string> failure;
    bool stopped = false;
    chain::Receipt receipt;
};

// Runs `code` (deployed at 0xc0...) under a cancellation scope with the tracer's caps.
Capped trace_capped(const json& options, bytes code, TraceLimits limits, uint64_t gas) {
    state::State state;
    state.put(kSender, [] {
        state::Account a;
        a.balance = kSenderBalance;
        return a;
    }());
    state.put(addr(0xc0), with_code(std::move(code)));
    state.finalize_transaction(false);
    evm::Cancellation cancellation;
    limits.stop = &cancellation;
    auto tracer = make_tracer(options, state, limits);
    EXPECT_TRUE(tracer.has_value());
    chain::Transaction tx;
    tx.type = chain::TxType::Legacy;
    tx.max_fee_per_gas = tx.max_priority_fee_per_gas = 10;
    tx.gas_limit = gas;
    tx.to = addr(0xc0);
    chain::BlockInfo block;
    block.number = 1;
    block.gas_limit = 30'000'000;
    block.base_fee = 7;
    evm::AnalysisCache cache;
    (*tracer)->on_tx_start({kSender, tx.to, 0, 0, {}, gas, kCoinbase, evm::Revision::Cancun});
    evm::CancellationScope scope(cancellation);
    auto receipt = chain::apply_transaction(state, evm::Revision::Cancun, block, tx, kSender, cache,
                                            {}, tracer->get());
    EXPECT_TRUE(receipt.has_value());
    return {(*tracer)->failure(), cancellation.cancelled(), receipt ? *receipt : chain::Receipt{}};
}

// JUMPDEST PUSH1 0 JUMP: loops until the gas runs out.
const bytes kLoop = *from_hex("5b600056");

}  // namespace

TEST(TraceCaps, StructLogsStopAtTheStepCapAndStopTheExecution) {
    const Capped c = trace_capped(json::object(), kLoop, {.max_steps = 1000}, 25'000'000);
    ASSERT_TRUE(c.failure.has_value());
    EXPECT_NE(c.failure->find("limits.trace_max_steps"), std::string::npos);
    EXPECT_TRUE(c.stopped);
    // Without caps the same trace completes (smaller gas: it records every step).
    const Capped free = trace_capped(json::object(), kLoop, {}, 100'000);
    EXPECT_FALSE(free.failure.has_value());
    EXPECT_FALSE(free.stopped);
}

TEST(TraceCaps, StructLogBytesCountStackAndMemory) {
    // With memory captured, entries are larger: the byte cap is reached in fewer steps.
    const Capped plain = trace_capped(json::object(), kLoop, {.max_bytes = 1 << 20}, 25'000'000);
    ASSERT_TRUE(plain.failure.has_value());
    EXPECT_NE(plain.failure->find("limits.trace_max_bytes"), std::string::npos);
    EXPECT_TRUE(plain.stopped);
    // MSTORE at 4 KiB once, then the loop: every entry carries 4 KiB of memory.
    const bytes with_memory = *from_hex("6001610fe0525b600656");
    const Capped memory =
        trace_capped({{"enableMemory", true}}, with_memory, {.max_bytes = 1 << 20}, 25'000'000);
    ASSERT_TRUE(memory.failure.has_value());
    EXPECT_TRUE(memory.stopped);
}

TEST(TraceCaps, CallTracerOutputIsBounded) {
    // JUMPDEST, STATICCALL(gas, identity, 0, 64, 0, 0), POP, PUSH1 0 JUMP: a frame per turn.
    const bytes calls = *from_hex("5b600060006040600060045afa50600056");
    const Capped c =
        trace_capped({{"tracer", "callTracer"}}, calls, {.max_bytes = 100'000}, 25'000'000);
    ASSERT_TRUE(c.failure.has_value());
    EXPECT_NE(c.failure->find("limits.trace_max_bytes"), std::string::npos);
    EXPECT_TRUE(c.stopped);
}
