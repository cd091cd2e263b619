#include "chain/execution.hpp"

#include <gtest/gtest.h>

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

const address kSender = addr(0xaa);
const address kCoinbase = addr(0xcc);

// A funded sender, an empty coinbase and a contract at 0x10 running `code`.
state::State make_state(bytes code = {}) {
    state::State st;
    st.put(kSender, state::Account{.nonce = 5, .balance = uint256(1) << 80});
    if (!code.empty()) {
        state::Account contract;
        contract.set_code(std::move(code));
        st.put(addr(0x10), std::move(contract));
    }
    return st;
}

BlockInfo block() {
    BlockInfo b;
    b.number = 100;
    b.timestamp = 1000;
    b.gas_limit = 30'000'000;
    b.coinbase = kCoinbase;
    b.base_fee = 7;
    b.chain_id = 1;
    return b;
}

Transaction tx() {
    Transaction t;
    t.type = TxType::DynamicFee;
    t.chain_id = 1;
    t.nonce = 5;
    t.max_fee_per_gas = 10;
    t.max_priority_fee_per_gas = 2;
    t.gas_limit = 100'000;
    t.to = addr(0x10);
    return t;
}

std::expected<Receipt, TxError> apply(state::State& st, const Transaction& t,
                                      Revision rev = Revision::Cancun) {
    evm::AnalysisCache cache;
    return apply_transaction(st, rev, block(), t, kSender, cache);
}

void expect_rejected(const Transaction& t, TxError error, std::string_view message,
                     state::State st = make_state()) {
    const hash256 root_before = state::state_root(st);
    const auto r = apply(st, t);
    ASSERT_FALSE(r) << "expected: " << message;
    EXPECT_EQ(r.error(), error);
    EXPECT_EQ(tx_error_message(r.error()), message);
    EXPECT_EQ(state::state_root(st), root_before) << "a rejected transaction changed the state";
}

}  // namespace

TEST(ApplyTransaction, ChargesGasAndPaysTheCoinbaseTip) {
    // PUSH1 1 PUSH1 0 SSTORE STOP: 21000 + 3 + 3 + 22100 (cold slot, 0 -> 1) = 43106 gas.
    state::State st = make_state(*from_hex("6001600055"));
    const uint256 balance_before = st.find(kSender)->balance;
    const auto r = apply(st, tx());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, StatusCode::Success);
    EXPECT_EQ(r->gas_used, 43106);
    // Effective price min(10, 7 + 2) = 9; the coinbase gets the tip of 2 per gas.
    EXPECT_EQ(st.find(kSender)->balance, balance_before - uint256(43106 * 9));
    EXPECT_EQ(st.find(kCoinbase)->balance, uint256(43106 * 2));
    EXPECT_EQ(st.find(kSender)->nonce, 6u);
    EXPECT_EQ(st.get_storage(addr(0x10), 0), uint256(1));
}

TEST(ApplyTransaction, RevertKeepsNonceAndFeesButNotEffects) {
    // PUSH1 1 PUSH1 0 SSTORE PUSH1 0 PUSH1 0 REVERT
    state::State st = make_state(*from_hex("600160005560006000fd"));
    const auto r = apply(st, tx());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, StatusCode::Revert);
    EXPECT_EQ(st.get_storage(addr(0x10), 0), uint256(0));
    EXPECT_EQ(st.find(kSender)->nonce, 6u);
    EXPECT_GT(st.find(kCoinbase)->balance, uint256(0));
}

TEST(ApplyTransaction, CreationDeploysAtTheSenderNonceAddress) {
    Transaction t = tx();
    t.to.reset();
    // Init code returning one byte 0x00: PUSH1 1 PUSH1 0 RETURN.
    t.data = *from_hex("60016000f3");
    state::State st = make_state();
    const auto r = apply(st, t);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, StatusCode::Success);
    EXPECT_EQ(r->contract_address, create_address(kSender, 5));
    EXPECT_EQ(st.find(r->contract_address)->code, bytes{0x00});
    EXPECT_EQ(st.find(r->contract_address)->nonce, 1u);
    EXPECT_EQ(st.find(kSender)->nonce, 6u);
    // The creation's output is the deployed code (eth_call of a creation answers it).
    EXPECT_EQ(r->output, bytes{0x00});
}

TEST(ApplyTransaction, RejectsWithGethMessages) {
    Transaction t = tx();
    t.nonce = 4;
    expect_rejected(t, TxError::NonceTooLow, "nonce too low");
    t.nonce = 6;
    expect_rejected(t, TxError::NonceTooHigh, "nonce too high");

    t = tx();
    t.gas_limit = 20'999;
    expect_rejected(t, TxError::IntrinsicGasTooLow, "intrinsic gas too low");

    t = tx();
    t.gas_limit = 30'000'001;
    expect_rejected(t, TxError::GasLimitExceedsBlock, "exceeds block gas limit");

    t = tx();
    t.max_fee_per_gas = 6;
    t.max_priority_fee_per_gas = 1;
    expect_rejected(t, TxError::FeeCapBelowBaseFee, "max fee per gas less than block base fee");

    t = tx();
    t.max_priority_fee_per_gas = 11;
    expect_rejected(t, TxError::TipAboveFeeCap,
                    "max priority fee per gas higher than max fee per gas");

    t = tx();
    t.value = uint256(1) << 80;
    expect_rejected(t, TxError::InsufficientFunds, "insufficient funds for gas * price + value");

    t = tx();
    t.max_fee_per_gas = ~uint256{};  // gas * price overflows 256 bits
    t.max_priority_fee_per_gas = 0;
    expect_rejected(t, TxError::GasLimitPriceOverflow, "gas limit times max fee per gas overflows");

    t = tx();
    t.chain_id = 2;
    expect_rejected(t, TxError::WrongChainId, "invalid chain id for signer");

    t = tx();
    t.to.reset();
    t.data = bytes(49153, 0);
    t.gas_limit = 10'000'000;
    expect_rejected(t, TxError::InitcodeTooLarge, "max initcode size exceeded");

    state::State with_code = make_state();
    state::Account sender = *with_code.find(kSender);
    sender.set_code(bytes{0x00});
    with_code.put(kSender, sender);
    expect_rejected(tx(), TxError::SenderNotEoa, "sender not an eoa", with_code);
}

TEST(ApplyTransaction, BlobRules) {
    Transaction t = tx();
    t.type = TxType::Blob;
    t.max_fee_per_blob_gas = 1;
    expect_rejected(t, TxError::NoBlobs, "blob transaction missing blob hashes");
    hash256 h;
    h.bytes[0] = 0x02;
    t.blob_versioned_hashes = {h};
    expect_rejected(t, TxError::BadBlobHashVersion, "blob hash version mismatch");
    h.bytes[0] = 0x01;
    t.blob_versioned_hashes = std::vector<hash256>(7, h);
    expect_rejected(t, TxError::TooManyBlobs, "blob transaction has too many blobs");
    t.blob_versioned_hashes = {h};
    t.max_fee_per_blob_gas = 0;  // below the minimum blob base fee of 1
    expect_rejected(t, TxError::BlobFeeCapTooLow,
                    "max fee per blob gas less than block blob gas fee");
    t.max_fee_per_blob_gas = 1;
    state::State st = make_state();
    const auto r = apply(st, t);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->blob_gas_used, kBlobGasPerBlob);
}

TEST(ApplyTransaction, TypesNeedTheirFork) {
    Transaction t = tx();
    state::State st = make_state();
    const auto r = apply(st, t, Revision::Berlin);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), TxError::TypeNotSupported);
}

TEST(BlobBaseFee, FollowsTheEip4844Curve) {
    EXPECT_EQ(blob_base_fee(0, Revision::Cancun), uint256(1));
    // One update fraction of excess gas multiplies the price by about e.
    EXPECT_EQ(blob_base_fee(3338477, Revision::Cancun), uint256(2));
    EXPECT_EQ(blob_base_fee(10 * 3338477, Revision::Cancun), uint256(22026));
}
