// EIP-7702 (Prague): authorization processing in apply_transaction, delegated execution in the
// host, and the delegation-target access gas in the interpreter.
#include <gtest/gtest.h>

#include "chain/execution.hpp"
#include "common/keccak.hpp"
#include "common/secp256k1.hpp"

using namespace krnl;
using namespace krnl::chain;
using evm::Revision;
using evm::StatusCode;

namespace {

address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

bytes32 key(uint8_t n) {
    bytes32 k;
    k.bytes[31] = n;
    return k;
}

const address kSender = addr(0xaa);
const address kCoinbase = addr(0xcc);
const bytes32 kAuthorityKey = key(0x42);
const address kAuthority = *secp256k1::address_from_secret(kAuthorityKey);
// The delegation target: stores 0x2a at slot 0 of whichever account runs it (PUSH1 0x2a PUSH0
// SSTORE STOP).
const address kTarget = addr(0x70);
const bytes kTargetCode = *from_hex("602a5f5500");

state::State make_state() {
    state::State st;
    st.put(kSender, state::Account{.nonce = 0, .balance = uint256(1) << 80});
    state::Account target;
    target.set_code(kTargetCode);
    st.put(kTarget, std::move(target));
    return st;
}

BlockInfo block() {
    BlockInfo b;
    b.number = 10;
    b.timestamp = 100;
    b.gas_limit = 30'000'000;
    b.coinbase = kCoinbase;
    b.base_fee = 7;
    b.chain_id = 1;
    return b;
}

Authorization authorization(const address& to, uint64_t nonce, uint64_t chain_id = 1,
                            const bytes32& secret = kAuthorityKey) {
    Authorization a;
    a.chain_id = chain_id;
    a.addr = to;
    a.nonce = nonce;
    EXPECT_TRUE(sign_authorization(a, secret));
    return a;
}

Transaction set_code_tx(std::vector<Authorization> list, const address& to = addr(0x99)) {
    Transaction t;
    t.type = TxType::SetCode;
    t.chain_id = 1;
    t.nonce = 0;
    t.max_fee_per_gas = 10;
    t.max_priority_fee_per_gas = 1;
    t.gas_limit = 200'000;
    t.to = to;
    t.authorization_list = std::move(list);
    return t;
}

Transaction call_tx(const address& to, uint64_t nonce = 0) {
    Transaction t;
    t.type = TxType::DynamicFee;
    t.chain_id = 1;
    t.nonce = nonce;
    t.max_fee_per_gas = 10;
    t.max_priority_fee_per_gas = 1;
    t.gas_limit = 200'000;
    t.to = to;
    return t;
}

std::expected<Receipt, TxError> apply(state::State& st, const Transaction& t,
                                      Revision rev = Revision::Prague,
                                      const address& sender = kSender) {
    evm::AnalysisCache cache;
    return apply_transaction(st, rev, block(), t, sender, cache);
}

bytes code_of(const state::State& st, const address& a) {
    const state::Account* acc = st.find(a);
    return acc != nullptr ? acc->code : bytes{};
}

}  // namespace

TEST(Eip7702, DesignatorIsEfOneHundredAndTheAddress) {
    const bytes d = delegation_designator(kTarget);
    ASSERT_EQ(d.size(), 23u);
    EXPECT_EQ(d.substr(0, 3), (bytes{0xef, 0x01, 0x00}));
    EXPECT_EQ(delegation_target(d), kTarget);
    EXPECT_FALSE(delegation_target(d.substr(0, 22)));
    bytes other = d;
    other[2] = 0x01;
    EXPECT_FALSE(delegation_target(other));
}

TEST(Eip7702, ValidAuthorizationWritesTheDesignatorAndBumpsTheNonce) {
    state::State st = make_state();
    const auto r = apply(st, set_code_tx({authorization(kTarget, 0)}));
    ASSERT_TRUE(r);
    EXPECT_EQ(code_of(st, kAuthority), delegation_designator(kTarget));
    EXPECT_EQ(st.find(kAuthority)->nonce, 1u);
    // A new authority earns no refund: 21000 + 25000 per authorization.
    EXPECT_EQ(r->gas_used, 46000);
}

TEST(Eip7702, ExistingAuthorityIsRefundedTheEmptyAccountCost) {
    state::State st = make_state();
    st.put(kAuthority, state::Account{.nonce = 3, .balance = 1});
    const auto r = apply(st, set_code_tx({authorization(kTarget, 3)}));
    ASSERT_TRUE(r);
    EXPECT_EQ(st.find(kAuthority)->nonce, 4u);
    // Refund 25000 - 12500 = 12500, capped at a fifth of 46000.
    EXPECT_EQ(r->gas_used, 46000 - 46000 / 5);
}

TEST(Eip7702, ChainIdZeroIsValidEverywhereAndAnotherChainIsSkipped) {
    state::State st = make_state();
    ASSERT_TRUE(apply(st, set_code_tx({authorization(kTarget, 0, /*chain_id=*/0)})));
    EXPECT_EQ(code_of(st, kAuthority), delegation_designator(kTarget));

    state::State other = make_state();
    ASSERT_TRUE(apply(other, set_code_tx({authorization(kTarget, 0, /*chain_id=*/5)})));
    EXPECT_EQ(other.find(kAuthority), nullptr);
}

TEST(Eip7702, NonceMismatchAndMaxNonceAreSkipped) {
    state::State st = make_state();
    ASSERT_TRUE(apply(st, set_code_tx({authorization(kTarget, 1)})));
    EXPECT_EQ(st.find(kAuthority), nullptr);

    state::State max = make_state();
    max.put(kAuthority, state::Account{.nonce = UINT64_MAX});
    ASSERT_TRUE(apply(max, set_code_tx({authorization(kTarget, UINT64_MAX)})));
    EXPECT_TRUE(code_of(max, kAuthority).empty());
}

TEST(Eip7702, HighSIsSkipped) {
    // (r, n - s, !y) is the same signature's malleable twin: it recovers the same key, but EIP-2
    // bounds s by n/2.
    Authorization a = authorization(kTarget, 0);
    a.s = uint256::from_bytes32(secp256k1::kCurveOrder) - a.s;
    a.y_parity ^= 1;
    state::State st = make_state();
    ASSERT_TRUE(apply(st, set_code_tx({a})));
    EXPECT_EQ(st.find(kAuthority), nullptr);
}

TEST(Eip7702, AuthorityWithContractCodeIsSkipped) {
    state::State st = make_state();
    state::Account contract;
    contract.set_code(*from_hex("00"));
    st.put(kAuthority, std::move(contract));
    ASSERT_TRUE(apply(st, set_code_tx({authorization(kTarget, 0)})));
    EXPECT_EQ(code_of(st, kAuthority), bytes{0x00});
    EXPECT_EQ(st.find(kAuthority)->nonce, 0u);
}

TEST(Eip7702, RedelegationAndClearingWithTheZeroAddress) {
    state::State st = make_state();
    state::Account delegated;
    delegated.nonce = 1;
    delegated.set_code(delegation_designator(addr(0x71)));
    st.put(kAuthority, std::move(delegated));
    // The last valid tuple of an authority wins: re-delegate (nonce 1), then clear (nonce 2).
    ASSERT_TRUE(apply(st, set_code_tx({authorization(kTarget, 1), authorization(address{}, 2)})));
    EXPECT_TRUE(code_of(st, kAuthority).empty());
    EXPECT_EQ(st.find(kAuthority)->code_hash, kEmptyKeccak);
    EXPECT_EQ(st.find(kAuthority)->nonce, 3u);
}

TEST(Eip7702, DelegationSurvivesAFailedExecution) {
    state::State st = make_state();
    state::Account reverter;
    reverter.set_code(*from_hex("5f5ffd"));  // PUSH0 PUSH0 REVERT
    st.put(addr(0x99), std::move(reverter));
    const auto r = apply(st, set_code_tx({authorization(kTarget, 0)}, addr(0x99)));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, StatusCode::Revert);
    EXPECT_EQ(code_of(st, kAuthority), delegation_designator(kTarget));
}

TEST(Eip7702, TransactionToTheAuthorityRunsTheTargetInItsContext) {
    state::State st = make_state();
    // Delegate and call the authority in the same transaction: the new code is what runs.
    const auto r = apply(st, set_code_tx({authorization(kTarget, 0)}, kAuthority));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, StatusCode::Success);
    EXPECT_EQ(st.get_storage(kAuthority, 0), uint256(0x2a));
    EXPECT_EQ(st.get_storage(kTarget, 0), uint256(0));
}

TEST(Eip7702, DelegationIsFollowedOneLevelOnly) {
    state::State st = make_state();
    state::Account first;
    first.set_code(delegation_designator(addr(0x72)));
    st.put(addr(0x71), std::move(first));
    state::Account second;
    second.set_code(delegation_designator(kTarget));
    st.put(addr(0x72), std::move(second));
    // 0x71 -> 0x72 whose code is itself a designator: it runs as code, and 0xef is undefined.
    const auto r = apply(st, call_tx(addr(0x71)));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, StatusCode::UndefinedInstruction);
}

TEST(Eip7702, ExtcodeSeesTheDesignatorWhileCodesizeSeesTheTarget) {
    state::State st = make_state();
    state::Account delegated;
    delegated.set_code(delegation_designator(addr(0x73)));
    st.put(kAuthority, std::move(delegated));
    // At 0x73: CODESIZE PUSH0 SSTORE; stores the running code's size in the authority's slot 0.
    state::Account sizer;
    sizer.set_code(*from_hex("385f5500"));
    st.put(addr(0x73), std::move(sizer));
    // A probe: slot 1 = EXTCODESIZE(authority), slot 2 = EXTCODEHASH(authority).
    bytes probe = *from_hex("73");
    probe += kAuthority.view();
    probe += *from_hex("3b600155");  // EXTCODESIZE PUSH1 1 SSTORE
    probe += *from_hex("73");
    probe += kAuthority.view();
    probe += *from_hex("3f60025500");  // EXTCODEHASH PUSH1 2 SSTORE STOP
    state::Account p;
    p.set_code(probe);
    st.put(addr(0x74), std::move(p));

    ASSERT_TRUE(apply(st, call_tx(addr(0x74), 0)));
    EXPECT_EQ(st.get_storage(addr(0x74), 1), uint256(23));
    EXPECT_EQ(st.get_storage(addr(0x74), 2),
              uint256::from_bytes32(keccak256(delegation_designator(addr(0x73)))));
    ASSERT_TRUE(apply(st, call_tx(kAuthority, 1)));
    EXPECT_EQ(st.get_storage(kAuthority, 0), uint256(4));
}

TEST(Eip7702, CallingADelegatedAccountPaysForTheTargetAccess) {
    // A caller doing CALL(gas, dst, 0, 0, 0, 0, 0) with dst = 0x80.
    auto run = [](bool delegate, bool warm_target) {
        state::State st = make_state();
        bytes caller = *from_hex("5f5f5f5f5f73");
        caller += addr(0x80).view();
        caller += *from_hex("5af100");  // GAS CALL STOP
        state::Account c;
        c.set_code(caller);
        st.put(addr(0x75), std::move(c));
        state::Account stop;
        stop.set_code(bytes{0x00});
        st.put(addr(0x81), std::move(stop));
        if (delegate) {
            state::Account d;
            d.set_code(delegation_designator(addr(0x81)));
            st.put(addr(0x80), std::move(d));
        }
        Transaction t = call_tx(addr(0x75));
        if (warm_target) t.access_list.push_back({addr(0x81), {}});
        const auto r = apply(st, t);
        EXPECT_TRUE(r);
        return r ? r->gas_used : 0;
    };
    const int64_t plain = run(false, false);
    EXPECT_EQ(run(true, false) - plain, 2600);       // cold target
    EXPECT_EQ(run(true, true) - plain, 2400 + 100);  // access-list entry, then warm target
}

TEST(Eip7702, DelegatedSenderMayOriginateTransactionsFromPrague) {
    state::State st = make_state();
    state::Account delegated;
    delegated.balance = uint256(1) << 60;
    delegated.set_code(delegation_designator(kTarget));
    st.put(kAuthority, std::move(delegated));
    EXPECT_TRUE(apply(st, call_tx(addr(0x99)), Revision::Prague, kAuthority));
    state::State cancun = st;
    const auto r = apply(cancun, call_tx(addr(0x99), 1), Revision::Cancun, kAuthority);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), TxError::SenderNotEoa);
}

TEST(Eip7702, AuthorizedAuthorityIsWarm) {
    // The transaction calls a probe that reads the authority's balance and records the gas the
    // BALANCE took: warm (100) because the authorization warmed it.
    state::State st = make_state();
    bytes probe = *from_hex("5a73");  // GAS PUSH20 authority
    probe += kAuthority.view();
    probe += *from_hex("31505a900360005500");  // BALANCE POP GAS SWAP1 SUB PUSH1 0 SSTORE STOP
    state::Account p;
    p.set_code(probe);
    st.put(addr(0x99), std::move(p));
    ASSERT_TRUE(apply(st, set_code_tx({authorization(kTarget, 0)}, addr(0x99))));
    // Between the two GAS readings: PUSH20 (3), BALANCE warm (100), POP (2), GAS (2).
    EXPECT_EQ(st.get_storage(addr(0x99), 0), uint256(3 + 100 + 2 + 2));
}
