#include "chain/system_contracts.hpp"

#include <gtest/gtest.h>

#include "common/hash.hpp"

using namespace krnl;
using namespace krnl::chain;
using evm::Revision;

namespace {

address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

const address kUser = addr(0xaa);

BlockInfo block(int64_t number, int64_t timestamp) {
    BlockInfo b;
    b.number = number;
    b.timestamp = timestamp;
    b.gas_limit = 30'000'000;
    b.base_fee = 7;
    b.chain_id = 1;
    return b;
}

state::State genesis(Revision rev) {
    state::State st;
    install_system_contracts(st, rev);
    st.put(kUser, state::Account{.balance = uint256(1) << 80});
    return st;
}

bytes word(uint64_t v) {
    bytes32 w;
    uint256(v).store_be(w.bytes);
    return bytes(w.view());
}

// A call to `to` from kUser, returning the receipt.
Receipt call(state::State& st, Revision rev, const BlockInfo& b, const address& to, bytes data,
             const uint256& value = 0) {
    Transaction t;
    t.type = TxType::DynamicFee;
    t.chain_id = 1;
    t.nonce = st.find(kUser)->nonce;
    t.max_fee_per_gas = 10;
    t.max_priority_fee_per_gas = 1;
    t.gas_limit = 500'000;
    t.to = to;
    t.value = value;
    t.data = std::move(data);
    evm::AnalysisCache cache;
    auto r = apply_transaction(st, rev, b, t, kUser, cache);
    EXPECT_TRUE(r) << (r ? "" : tx_error_message(r.error()));
    return r ? *r : Receipt{};
}

}  // namespace

TEST(SystemContracts, InstalledPerRevisionWithNonceOne) {
    state::State cancun;
    install_system_contracts(cancun, Revision::Cancun);
    ASSERT_NE(cancun.find(kBeaconRootsAddress), nullptr);
    EXPECT_EQ(cancun.find(kBeaconRootsAddress)->nonce, 1u);
    EXPECT_EQ(cancun.find(kBeaconRootsAddress)->code, beacon_roots_code());
    EXPECT_EQ(cancun.find(kHistoryStorageAddress), nullptr);

    state::State prague;
    install_system_contracts(prague, Revision::Prague);
    for (const address& a : {kBeaconRootsAddress, kHistoryStorageAddress, kWithdrawalRequestAddress,
                             kConsolidationRequestAddress})
        ASSERT_NE(prague.find(a), nullptr) << to_hex(a);
    EXPECT_EQ(beacon_roots_code().size(), 97u);
    EXPECT_EQ(history_storage_code().size(), 83u);
    EXPECT_EQ(withdrawal_request_code().size(), 504u);
    EXPECT_EQ(consolidation_request_code().size(), 414u);
}

TEST(SystemContracts, BeaconRootIsStoredAndServedByTimestamp) {
    state::State st = genesis(Revision::Cancun);
    hash256 root;
    root.bytes[0] = 0xbe;
    root.bytes[31] = 0xef;
    evm::AnalysisCache cache;
    const BlockInfo b = block(5, 1000);
    apply_block_start_system_calls(st, Revision::Cancun, b, root, hash256{}, cache);
    EXPECT_EQ(st.get_storage(kBeaconRootsAddress, 1000 % kBeaconRootsBufferLength), uint256(1000));
    EXPECT_EQ(st.get_storage(kBeaconRootsAddress,
                             1000 % kBeaconRootsBufferLength + kBeaconRootsBufferLength),
              uint256::from_bytes32(root));
    EXPECT_EQ(st.find(kSystemAddress), nullptr) << "the system address must not be created";

    const Receipt get = call(st, Revision::Cancun, b, kBeaconRootsAddress, word(1000));
    EXPECT_EQ(get.status, evm::StatusCode::Success);
    EXPECT_EQ(get.output, bytes(root.view()));
    const Receipt unknown = call(st, Revision::Cancun, b, kBeaconRootsAddress, word(999));
    EXPECT_EQ(unknown.status, evm::StatusCode::Revert);
}

TEST(SystemContracts, MissingContractIsSkippedSilently) {
    state::State st;
    evm::AnalysisCache cache;
    const SystemCallResult r =
        system_call(st, Revision::Cancun, block(1, 1), kBeaconRootsAddress, word(1), cache);
    EXPECT_FALSE(r.has_code);
    EXPECT_TRUE(st.accounts().empty());
}

TEST(SystemContracts, ParentHashIsStoredAndServedFromPrague) {
    state::State st = genesis(Revision::Prague);
    hash256 parent;
    parent.bytes[0] = 0x12;
    evm::AnalysisCache cache;
    const BlockInfo b = block(100, 1200);
    apply_block_start_system_calls(st, Revision::Prague, b, hash256{}, parent, cache);
    EXPECT_EQ(st.get_storage(kHistoryStorageAddress, 99 % kHistoryServeWindow),
              uint256::from_bytes32(parent));
    const Receipt get = call(st, Revision::Prague, b, kHistoryStorageAddress, word(99));
    EXPECT_EQ(get.status, evm::StatusCode::Success);
    EXPECT_EQ(get.output, bytes(parent.view()));

    // Cancun does not call the history contract.
    state::State cancun = genesis(Revision::Prague);
    apply_block_start_system_calls(cancun, Revision::Cancun, b, hash256{}, parent, cache);
    EXPECT_EQ(cancun.get_storage(kHistoryStorageAddress, 99), uint256(0));
}

TEST(SystemContracts, EmptyRequestsHashIsTheHashOfNothing) {
    state::State st = genesis(Revision::Prague);
    evm::AnalysisCache cache;
    const auto requests = collect_requests(st, Revision::Prague, block(1, 12), {}, cache);
    ASSERT_TRUE(requests) << requests.error().message;
    ASSERT_EQ(requests->size(), 3u);
    EXPECT_EQ((*requests)[0], bytes{kDepositRequestType});
    EXPECT_EQ((*requests)[1], bytes{kWithdrawalRequestType});
    EXPECT_EQ((*requests)[2], bytes{kConsolidationRequestType});
    EXPECT_EQ(to_hex(requests_hash(*requests)),
              "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SystemContracts, WithdrawalRequestIsQueuedAndDequeued) {
    state::State st = genesis(Revision::Prague);
    const BlockInfo b = block(1, 12);
    bytes input(48, 0x11);                   // validator public key
    input += bytes{0, 0, 0, 0, 0, 0, 0, 5};  // amount 5 gwei, big-endian
    // The fee starts at 1 wei (no excess yet).
    const Receipt added = call(st, Revision::Prague, b, kWithdrawalRequestAddress, input, 1);
    EXPECT_EQ(added.status, evm::StatusCode::Success);

    evm::AnalysisCache cache;
    const auto requests = collect_requests(st, Revision::Prague, b, {}, cache);
    ASSERT_TRUE(requests) << requests.error().message;
    bytes expected{kWithdrawalRequestType};
    expected += kUser.view();
    expected += bytes(48, 0x11);
    expected += bytes{5, 0, 0, 0, 0, 0, 0, 0};  // the contract returns the amount little-endian
    EXPECT_EQ((*requests)[1], expected);
    EXPECT_EQ(requests_hash(*requests), sha256(sha256(expected).view()));

    // The queue is empty afterwards.
    const auto next = collect_requests(st, Revision::Prague, b, {}, cache);
    ASSERT_TRUE(next);
    EXPECT_EQ((*next)[1], bytes{kWithdrawalRequestType});

    // Without enough value for the fee the request is refused.
    const Receipt unpaid = call(st, Revision::Prague, b, kWithdrawalRequestAddress, input, 0);
    EXPECT_EQ(unpaid.status, evm::StatusCode::Revert);
}

TEST(SystemContracts, MissingRequestContractInvalidatesAPragueBlock) {
    state::State st;
    install_system_contracts(st, Revision::Cancun);
    evm::AnalysisCache cache;
    const auto requests = collect_requests(st, Revision::Prague, block(1, 12), {}, cache);
    ASSERT_FALSE(requests);
    EXPECT_EQ(requests.error().code, BlockErrorCode::SystemCall);
    EXPECT_NE(requests.error().message.find(to_hex(kWithdrawalRequestAddress)), std::string::npos);
    // Before Prague there are no requests at all.
    const auto none = collect_requests(st, Revision::Cancun, block(1, 12), {}, cache);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}
