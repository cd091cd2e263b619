// The ERC-7562 rules on traces of hand-assembled validations: a stand-in EntryPoint (called by the
// test's transaction) calls SenderCreator -> factory, then the sender, then the paymaster, as
// simulateValidation does; each test changes one entity's code and checks the rule it breaks.
#include "aa/validation_rules.hpp"

#include <gtest/gtest.h>

#include "chain/host.hpp"
#include "common/keccak.hpp"
#include "rpc/erc7562_test_support.hpp"

using namespace krnl;
using namespace krnl::aa;
using namespace krnl::rpc;
using namespace krnl::rpc::testing;

namespace {

constexpr uint8_t STOP = 0x00, ISZERO = 0x15, KECCAK256 = 0x20, BALANCE = 0x31, ORIGIN = 0x32,
                  CALLER = 0x33, GASPRICE = 0x3a, EXTCODESIZE = 0x3b, EXTCODEHASH = 0x3f,
                  BLOCKHASH = 0x40, COINBASE = 0x41, TIMESTAMP = 0x42, NUMBER = 0x43,
                  PREVRANDAO = 0x44, GASLIMIT = 0x45, SELFBALANCE = 0x47, BASEFEE = 0x48,
                  BLOBBASEFEE = 0x4a, POP = 0x50, MSTORE = 0x52, SLOAD = 0x54, SSTORE = 0x55,
                  JUMP = 0x56, JUMPI = 0x57, JUMPDEST = 0x5b, GAS = 0x5a, TLOAD = 0x5c,
                  TSTORE = 0x5d, PUSH0 = 0x5f, CREATE = 0xf0, CALL = 0xf1, CREATE2 = 0xf5,
                  STATICCALL = 0xfa, INVALID = 0xfe, SELFDESTRUCT = 0xff, EQ = 0x14, ADD = 0x01;

const uint256 kEther = uint256(1'000'000'000'000'000'000ULL);
const StakeInfo kStaked{kEther, 86400};

bytes selector(std::string_view signature) {
    const hash256 h = keccak256(as_bytes(signature));
    return bytes(h.data(), 4);
}

// Init code that deploys the one-byte runtime STOP.
const bytes kInitCode = {0x60, 0x00, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3};

struct Scenario {
    state::State state;
    address ep = addr(0xe0);
    address creator = chain::create_address(ep, 1);
    address sender = addr(0x5a), factory = addr(0xfa), paymaster = addr(0x9a), token = addr(0x70),
            target = addr(0x77), nocode = addr(0xdd), looper = addr(0x10);
    Asm sender_code, factory_code, paymaster_code;
    bool has_factory = false, has_paymaster = false, deploy_sender = true;
    ValidationEntities e;
    RuleConfig c;

    Scenario() {
        c.min_stake_value = kEther;
        sender_code.op(STOP);
        state.put(token, with_code(Asm().op(STOP).code));
        state.put(target, with_code(Asm().op(STOP).code));
        state.put(looper, with_code({JUMPDEST, 0x60, 0x00, JUMP}));
    }

    // The sender an op with this factory deploys by CREATE2 (salt 1) of kInitCode.
    address counterfactual_sender() const { return chain::create2_address(factory, 1, kInitCode); }

    Erc7562Run run() {
        Asm ep_code;
        // Only the test's transaction runs the validation; calls from entities just stop.
        ep_code.op(CALLER).push(kTxSender).op(EQ).push(uint256(0x1b)).op(JUMPI).op(STOP);
        EXPECT_EQ(ep_code.size(), 0x1bu);
        ep_code.op(JUMPDEST);
        if (has_factory) ep_code.call(CALL, creator, 1'000'000, 0).op(POP);
        ep_code.call(CALL, sender, 1'000'000, 0).op(POP);
        if (has_paymaster) ep_code.call(CALL, paymaster, 1'000'000, 0).op(POP);
        ep_code.op(STOP);
        state.put(ep, with_code(ep_code.code));
        state.put(creator, with_code(Asm().call(CALL, factory, 900'000, 0).op(POP).op(STOP).code));
        if (deploy_sender) state.put(sender, with_code(sender_code.code, 1000));
        if (has_factory) state.put(factory, with_code(factory_code.code));
        if (has_paymaster) state.put(paymaster, with_code(paymaster_code.code));
        state.finalize_transaction(true);

        e.entry_point = ep;
        e.sender = sender;
        if (has_factory) e.factory = factory;
        e.sender_created = has_factory;
        if (has_paymaster) e.paymaster = paymaster;
        return trace_erc7562(state, ep);
    }

    std::vector<RuleViolation> check() {
        const Erc7562Run r = run();
        return check_validation_rules(r.root, e, c);
    }
};

std::string describe(const std::vector<RuleViolation>& v) {
    std::string s;
    for (const RuleViolation& x : v)
        s += std::to_string(x.code) + " " + x.message + "\n";
    return s;
}

bool has_rule(const std::vector<RuleViolation>& v, std::string_view rule) {
    return std::any_of(v.begin(), v.end(), [&](const RuleViolation& x) { return x.rule == rule; });
}

// A paymaster whose code reads (or writes) `slot` of `owner` by calling a helper would need more
// contracts; the paymaster reads the token's storage by STATICCALL to a reader deployed at token.
// The token runs: SLOAD(slot) where slot = keccak(word0 ‖ word1) + offset, word0/word1 passed in
// calldata; or SSTORE when `write`.
bytes token_code(bool write) {
    Asm t;
    t.push(0).op(0x35).push(0).op(MSTORE);     // memory[0] = calldata[0..32)
    t.push(32).op(0x35).push(32).op(MSTORE);   // memory[32] = calldata[32..64)
    t.push(64).op(0x35);                       // offset
    t.push(64).push(0).op(KECCAK256).op(ADD);  // slot = keccak + offset
    if (write)
        t.push(1).op(0x90).op(SSTORE);  // SWAP1: SSTORE(slot, 1)
    else
        t.op(SLOAD).op(POP);
    t.op(STOP);
    return t.code;
}

// Calls the token with (key, index, offset) as calldata: it touches keccak(key ‖ index) + offset.
Asm& call_token(Asm& a, const address& token, const uint256& key, uint64_t index, uint64_t offset) {
    a.push(key).push(0).op(MSTORE).push(index).push(32).op(MSTORE).push(offset).push(64).op(MSTORE);
    return a.call(CALL, token, 200'000, 0, 0, 96, 0, 0).op(POP);
}

uint256 word_of(const address& a) {
    return uint256::from_bytes32(bytes32::from_view(a.view()));
}

}  // namespace

TEST(ValidationRules, CleanValidationHasNoViolations) {
    Scenario s;
    s.sender_code = Asm();
    s.sender_code.push(0).op(SLOAD).op(POP).push(1).push(0).op(SSTORE).op(STOP);  // STO-010
    s.has_paymaster = true;
    s.paymaster_code.push(s.sender).op(EXTCODEHASH).op(POP).op(STOP);
    const auto v = s.check();
    EXPECT_TRUE(v.empty()) << describe(v);
}

TEST(ValidationRules, BannedOpcodesForEveryEntity) {
    for (uint8_t op : {ORIGIN, GASPRICE, BLOCKHASH, COINBASE, TIMESTAMP, NUMBER, PREVRANDAO,
                       GASLIMIT, BASEFEE, BLOBBASEFEE}) {
        Scenario s;
        s.sender_code = Asm();
        s.sender_code.op(PUSH0).op(op).op(POP).op(STOP);
        const auto v = s.check();
        ASSERT_EQ(v.size(), 1u) << opcode_name(op) << "\n" << describe(v);
        EXPECT_EQ(v[0].rule, "OP-011");
        EXPECT_EQ(v[0].code, -32502);
        EXPECT_EQ(v[0].entity, "account");
        // Worded as reference bundlers word it, which bundler test suites match.
        EXPECT_NE(v[0].message.find("account uses banned opcode: " + opcode_name(op)),
                  std::string::npos)
            << v[0].message;
    }
    Scenario pm;
    pm.has_paymaster = true;
    pm.paymaster_code.op(TIMESTAMP).op(POP).op(STOP);
    auto v = pm.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].entity, "paymaster");
    EXPECT_EQ(v[0].entity_address, pm.paymaster);

    Scenario f;
    f.has_factory = true;
    f.factory_code.op(NUMBER).op(POP).op(STOP);
    v = f.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].entity, "factory");
    EXPECT_NE(v[0].message.find("NUMBER"), std::string::npos);

    // Banned in a contract the account calls: still the account's violation.
    Scenario nested;
    nested.state.put(nested.target, with_code(Asm().op(COINBASE).op(POP).op(STOP).code));
    nested.sender_code = Asm();
    nested.sender_code.call(STATICCALL, nested.target, 100'000, std::nullopt).op(POP).op(STOP);
    v = nested.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].entity, "account");
    EXPECT_NE(v[0].message.find("COINBASE"), std::string::npos);
}

TEST(ValidationRules, InvalidSelfdestructAndUnassignedOpcodes) {
    for (auto [op, rule] : {std::pair<uint8_t, const char*>{INVALID, "OP-011"},
                            {SELFDESTRUCT, "OP-011"},
                            {0x0c, "OP-013"},
                            {0xef, "OP-013"}}) {
        Scenario s;
        s.sender_code = Asm();
        s.sender_code.push(s.target).op(op).op(STOP);
        const auto v = s.check();
        EXPECT_TRUE(has_rule(v, rule)) << int(op) << "\n" << describe(v);
    }
}

TEST(ValidationRules, GasOnlyRightBeforeACall) {
    Scenario ok;
    ok.sender_code = Asm();
    ok.sender_code.push(0).push(0).push(0).push(0).push(ok.target).op(GAS).op(STATICCALL).op(POP);
    ok.sender_code.op(STOP);
    auto v = ok.check();
    EXPECT_TRUE(v.empty()) << describe(v);

    Scenario bad;
    bad.sender_code = Asm();
    bad.sender_code.op(GAS).op(POP).op(STOP);
    v = bad.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-012");
}

TEST(ValidationRules, OutOfGasInsideValidation) {
    Scenario s;
    s.has_paymaster = true;
    s.paymaster_code.call(CALL, s.looper, 3000, 0).op(POP).op(STOP);
    const auto v = s.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-020");
    EXPECT_EQ(v[0].entity, "paymaster");
}

TEST(ValidationRules, EntityOwnStorageNeedsStake) {
    auto run = [](std::optional<StakeInfo> stake, bool transient) {
        Scenario s;
        s.has_paymaster = true;
        if (transient)
            s.paymaster_code.push(1).push(7).op(TSTORE).op(STOP);
        else
            s.paymaster_code.push(7).op(SLOAD).op(POP).op(STOP);
        if (stake) s.e.paymaster_stake = *stake;
        return s.check();
    };
    auto v = run(std::nullopt, false);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "STO-031");
    EXPECT_EQ(v[0].code, -32502);  // no stake at all: a rule violation, as reference bundlers say
    EXPECT_EQ(v[0].entity, "paymaster");

    v = run(std::nullopt, true);  // OP-070: transient storage is storage
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "STO-031");
    EXPECT_NE(v[0].message.find("transient"), std::string::npos);

    v = run(kStaked, false);
    EXPECT_TRUE(v.empty()) << describe(v);
    v = run(kStaked, true);
    EXPECT_TRUE(v.empty()) << describe(v);

    // Some stake, below the minimums: -32505 naming both minimums.
    v = run(StakeInfo{uint256(5), 100}, false);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].code, -32505);
    EXPECT_NE(v[0].message.find("1000000000000000000"), std::string::npos) << v[0].message;
    EXPECT_NE(v[0].message.find("86400"), std::string::npos) << v[0].message;
}

TEST(ValidationRules, AssociatedStorageOfTheSender) {
    auto run = [](uint64_t offset, bool with_factory, std::optional<StakeInfo> factory_stake) {
        Scenario s;
        s.state.put(s.token, with_code(token_code(false)));
        s.has_paymaster = true;
        call_token(s.paymaster_code, s.token, word_of(s.sender), 3, offset).op(STOP);
        if (with_factory) {
            s.has_factory = true;
            s.factory_code.op(STOP);
        }
        if (factory_stake) s.e.factory_stake = *factory_stake;
        return s.check();
    };
    // STO-021: the sender exists; keccak(sender ‖ 3) + n is the sender's, for n < 128.
    auto v = run(0, false, std::nullopt);
    EXPECT_TRUE(v.empty()) << describe(v);
    v = run(100, false, std::nullopt);
    EXPECT_TRUE(v.empty()) << describe(v);
    v = run(200, false, std::nullopt);  // past any struct at that base: not associated
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "STO-033");
    // STO-022: the op deploys the sender: only with a staked factory.
    v = run(0, true, std::nullopt);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "STO-022");
    EXPECT_EQ(v[0].entity, "factory");
    v = run(0, true, kStaked);
    EXPECT_TRUE(v.empty()) << describe(v);
}

TEST(ValidationRules, SlotHoldingTheSenderAddressIsAssociated) {
    Scenario s;
    s.has_paymaster = true;
    s.paymaster_code.push(s.target).op(EXTCODESIZE).op(POP);
    // A contract reading the slot whose number is the sender's address.
    s.state.put(s.target, with_code(Asm().push(s.sender).op(SLOAD).op(POP).op(STOP).code));
    s.paymaster_code.call(STATICCALL, s.target, 100'000, std::nullopt).op(POP).op(STOP);
    auto v = s.check();
    EXPECT_TRUE(v.empty()) << describe(v);

    Scenario other;
    other.has_paymaster = true;
    other.state.put(other.target, with_code(Asm().push(12345).op(SLOAD).op(POP).op(STOP).code));
    other.paymaster_code.call(STATICCALL, other.target, 100'000, std::nullopt).op(POP).op(STOP);
    v = other.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "STO-033");
}

TEST(ValidationRules, StakedEntityMayReadButNotWriteOtherStorage) {
    auto run = [](bool write) {
        Scenario s;
        s.state.put(s.token, with_code(token_code(write)));
        s.has_paymaster = true;
        s.e.paymaster_stake = kStaked;
        call_token(s.paymaster_code, s.token, uint256(0x1234), 0, 0).op(STOP);
        return s.check();
    };
    auto v = run(false);
    EXPECT_TRUE(v.empty()) << describe(v);  // STO-033
    v = run(true);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "STO-010");
    EXPECT_EQ(v[0].code, -32502);
    EXPECT_NE(v[0].message.find("writes"), std::string::npos);

    // STO-032: slots associated with the staked paymaster itself may be written.
    Scenario s;
    s.state.put(s.token, with_code(token_code(true)));
    s.has_paymaster = true;
    s.e.paymaster_stake = kStaked;
    call_token(s.paymaster_code, s.token, word_of(s.paymaster), 0, 0).op(STOP);
    v = s.check();
    EXPECT_TRUE(v.empty()) << describe(v);
}

TEST(ValidationRules, CodeAccessToAddressesWithoutCode) {
    auto run = [](auto build) {
        Scenario s;
        s.sender_code = Asm();
        build(s);
        s.sender_code.op(STOP);
        return s.check();
    };
    auto v = run([](Scenario& s) { s.sender_code.push(s.nocode).op(EXTCODESIZE).op(POP); });
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-041");
    EXPECT_NE(v[0].message.find(to_hex(addr(0xdd))), std::string::npos);
    v = run([](Scenario& s) { s.sender_code.call(CALL, s.nocode, 10'000, 0).op(POP); });
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-041");
    v = run([](Scenario& s) { s.sender_code.push(s.target).op(EXTCODEHASH).op(POP); });
    EXPECT_TRUE(v.empty()) << describe(v);

    // OP-042: the factory may look at the sender it is about to deploy.
    Scenario f;
    f.has_factory = true;
    f.deploy_sender = false;
    f.sender = f.counterfactual_sender();
    f.factory_code.push(f.sender).op(EXTCODESIZE).op(POP);
    f.factory_code.mstore_bytes(kInitCode);
    f.factory_code.push(1).push(kInitCode.size()).push(0).push(0).op(CREATE2).op(POP).op(STOP);
    v = f.check();
    EXPECT_TRUE(v.empty()) << describe(v);
}

TEST(ValidationRules, EntryPointAccess) {
    auto run = [](auto build) {
        Scenario s;
        s.sender_code = Asm();
        build(s);
        s.sender_code.op(STOP);
        s.paymaster_code.op(STOP);
        return s.check();
    };
    // OP-051: EXTCODESIZE ISZERO of the EntryPoint is fine; EXTCODEHASH is not (OP-054).
    auto v = run([](Scenario& s) { s.sender_code.push(s.ep).op(EXTCODESIZE).op(ISZERO).op(POP); });
    EXPECT_TRUE(v.empty()) << describe(v);
    v = run([](Scenario& s) { s.sender_code.push(s.ep).op(EXTCODEHASH).op(POP); });
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-054");
    // OP-052: depositTo(sender) with value; OP-053: the fallback with value.
    v = run([](Scenario& s) {
        s.sender_code.mstore_bytes(selector("depositTo(address)") + bytes(32, 0));
        s.sender_code.call(CALL, s.ep, 50'000, 5, 0, 36).op(POP);
    });
    EXPECT_TRUE(v.empty()) << describe(v);
    v = run([](Scenario& s) { s.sender_code.call(CALL, s.ep, 50'000, 5).op(POP); });
    EXPECT_TRUE(v.empty()) << describe(v);
    // OP-054: anything else, e.g. balanceOf.
    v = run([](Scenario& s) {
        s.sender_code.mstore_bytes(selector("balanceOf(address)") + bytes(32, 0));
        s.sender_code.call(STATICCALL, s.ep, 50'000, std::nullopt, 0, 36).op(POP);
    });
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-054");

    // A paymaster may not deposit during validation.
    Scenario pm;
    pm.has_paymaster = true;
    pm.paymaster_code.mstore_bytes(selector("depositTo(address)") + bytes(32, 0));
    pm.paymaster_code.call(CALL, pm.ep, 50'000, 0, 0, 36).op(POP).op(STOP);
    v = pm.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-054");
    EXPECT_EQ(v[0].entity, "paymaster");
}

TEST(ValidationRules, CallWithValueOnlyToTheEntryPoint) {
    Scenario s;
    s.sender_code = Asm();
    s.sender_code.call(CALL, s.target, 50'000, 1).op(POP).op(STOP);
    const auto v = s.check();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-061");
}

TEST(ValidationRules, Precompiles) {
    auto run = [](uint16_t n) {
        Scenario s;
        s.sender_code = Asm();
        s.sender_code.call(STATICCALL, small_addr(n), 50'000, std::nullopt).op(POP).op(STOP);
        return s.check();
    };
    auto v = run(1);  // ecrecover
    EXPECT_TRUE(v.empty()) << describe(v);
    v = run(0x100);  // P256VERIFY
    EXPECT_TRUE(v.empty()) << describe(v);
    v = run(0x12);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-062");
}

TEST(ValidationRules, BalanceOnlyForStakedEntities) {
    for (uint8_t op : {SELFBALANCE, BALANCE}) {
        Scenario s;
        s.sender_code = Asm();
        s.sender_code.push(s.target).op(op).op(POP).op(STOP);
        auto v = s.check();
        ASSERT_EQ(v.size(), 1u) << describe(v);
        EXPECT_EQ(v[0].rule, "OP-080");

        Scenario staked;
        staked.sender_code = Asm();
        staked.sender_code.push(staked.target).op(op).op(POP).op(STOP);
        staked.e.sender_stake = kStaked;
        v = staked.check();
        EXPECT_TRUE(v.empty()) << describe(v);
    }
}

TEST(ValidationRules, CreationRules) {
    // OP-031: the factory CREATE2s the sender once.
    Scenario ok;
    ok.has_factory = true;
    ok.deploy_sender = false;
    ok.sender = ok.counterfactual_sender();
    ok.factory_code.mstore_bytes(kInitCode);
    ok.factory_code.push(1).push(kInitCode.size()).push(0).push(0).op(CREATE2).op(POP).op(STOP);
    const Erc7562Run r = ok.run();
    auto v = check_validation_rules(r.root, ok.e, ok.c);
    EXPECT_TRUE(v.empty()) << describe(v);
    ASSERT_EQ(r.root.calls.size(), 2u);  // SenderCreator, then the deployed sender
    EXPECT_EQ(r.root.calls[1].to, ok.sender);

    // CREATE2 of anything else by an unstaked factory: banned; staked: EREP-060.
    auto other = [](std::optional<StakeInfo> stake) {
        Scenario s;
        s.has_factory = true;
        s.factory_code.mstore_bytes(kInitCode);
        s.factory_code.push(9).push(kInitCode.size()).push(0).push(0).op(CREATE2).op(POP);
        s.factory_code.op(STOP);
        if (stake) s.e.factory_stake = *stake;
        return s.check();
    };
    v = other(std::nullopt);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-031");
    v = other(kStaked);
    EXPECT_TRUE(v.empty()) << describe(v);

    // CREATE by the sender: only for an op with a factory (OP-032).
    auto sender_create = [](bool with_factory) {
        Scenario s;
        s.sender_code = Asm();
        s.sender_code.mstore_bytes(kInitCode);
        s.sender_code.push(kInitCode.size()).push(0).push(0).op(CREATE).op(POP).op(STOP);
        if (with_factory) {
            s.has_factory = true;
            s.factory_code.op(STOP);
        }
        return s.check();
    };
    v = sender_create(false);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "OP-011");
    EXPECT_NE(v[0].message.find("account uses banned opcode: CREATE"), std::string::npos);
    v = sender_create(true);
    EXPECT_TRUE(v.empty()) << describe(v);

    // The sender's CREATE2 needs a staked factory (EREP-060); a helper's CREATE never passes
    // for the account (EREP-061 is the factory's).
    auto account_create = [](bool nested, std::optional<StakeInfo> factory_stake) {
        Scenario s;
        Asm creating;
        creating.mstore_bytes(kInitCode);
        creating.push(3).push(kInitCode.size()).push(0).push(0).op(CREATE2).op(POP).op(STOP);
        s.has_factory = true;
        s.factory_code.op(STOP);
        if (factory_stake) s.e.factory_stake = *factory_stake;
        s.sender_code = Asm();
        if (nested) {
            s.state.put(s.target, with_code(creating.code));
            s.sender_code.call(CALL, s.target, 200'000, 0).op(POP).op(STOP);
        } else {
            s.sender_code = creating;
        }
        return s.check();
    };
    v = account_create(false, std::nullopt);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].code, -32502);
    EXPECT_NE(v[0].message.find("account uses banned opcode: CREATE2"), std::string::npos);
    v = account_create(false, kStaked);
    EXPECT_TRUE(v.empty()) << describe(v);
    v = account_create(true, kStaked);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_NE(v[0].message.find("account uses banned opcode: CREATE2"), std::string::npos);
}

TEST(ValidationRules, AggregatorAndPaymasterContext) {
    Scenario s;
    s.has_paymaster = true;
    s.paymaster_code.op(STOP);
    const Erc7562Run r = s.run();
    ValidationEntities e = s.e;
    e.aggregator = addr(0xa9);
    auto v = check_validation_rules(r.root, e, s.c);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "EREP-040");
    e.aggregator_stake = kStaked;
    EXPECT_TRUE(check_validation_rules(r.root, e, s.c).empty());

    e.paymaster_context_size = 10;
    v = check_validation_rules(r.root, e, s.c);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "EREP-050");
    e.paymaster_stake = kStaked;
    EXPECT_TRUE(check_validation_rules(r.root, e, s.c).empty());
    e.paymaster_context_size = 3000;
    v = check_validation_rules(r.root, e, s.c);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "LIM-020");
}

TEST(ValidationRules, CodeHashChangeBetweenValidations) {
    auto run = [](bytes target_code) {
        Scenario s;
        s.state.put(s.target, with_code(std::move(target_code)));
        s.sender_code = Asm();
        s.sender_code.call(STATICCALL, s.target, 50'000, std::nullopt).op(POP).op(STOP);
        const Erc7562Run r = s.run();
        return std::pair{r.root, s.e};
    };
    const auto [first, e] = run(Asm().op(STOP).code);
    const auto [same, e2] = run(Asm().op(STOP).code);
    const auto [changed, e3] = run(Asm().push(1).op(POP).op(STOP).code);
    EXPECT_TRUE(check_code_hashes(first, same, e).empty());
    const auto v = check_code_hashes(first, changed, e);
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].rule, "COD-010");
    EXPECT_EQ(v[0].entity_address, addr(0x77));
}

TEST(ValidationRules, AccessesAndBundleRules) {
    Scenario s;
    s.state.put(s.token, with_code(token_code(false)));
    s.has_paymaster = true;
    s.e.paymaster_stake = kStaked;
    s.paymaster_code.push(1).push(4).op(SSTORE);  // own slot 4
    call_token(s.paymaster_code, s.token, uint256(0x99), 0, 0).op(STOP);
    const Erc7562Run r = s.run();
    const ValidationAccesses acc = collect_accesses(r.root, s.e);
    ASSERT_TRUE(acc.writes.contains(s.paymaster));
    EXPECT_TRUE(acc.writes.at(s.paymaster).contains(uint256(4).to_bytes32()));
    ASSERT_TRUE(acc.reads.contains(s.token));
    EXPECT_EQ(acc.reads.at(s.token).size(), 1u);
    EXPECT_FALSE(acc.reads.contains(s.ep));
    EXPECT_TRUE(acc.code_hashes.contains(s.token));
    EXPECT_TRUE(acc.code_hashes.contains(s.paymaster));

    // STO-041: the token is the sender of another op.
    auto v41 = check_storage_of_other_senders(acc, s.e, {s.token});
    ASSERT_TRUE(v41.has_value());
    EXPECT_EQ(v41->rule, "STO-041");
    EXPECT_FALSE(check_storage_of_other_senders(acc, s.e, {addr(0x44), s.sender}).has_value());

    // STO-040: the paymaster is another op's sender, or the sender another op's entity.
    auto v40 = check_entity_roles(s.e, {s.paymaster}, {});
    ASSERT_TRUE(v40.has_value());
    EXPECT_EQ(v40->rule, "STO-040");
    EXPECT_EQ(v40->entity, "paymaster");
    EXPECT_NE(v40->message.find("is used as a sender entity in another UserOperation"),
              std::string::npos);
    v40 = check_entity_roles(s.e, {}, {s.sender});
    ASSERT_TRUE(v40.has_value());
    EXPECT_EQ(v40->entity, "account");
    EXPECT_FALSE(check_entity_roles(s.e, {addr(0x44)}, {addr(0x45)}).has_value());
}
