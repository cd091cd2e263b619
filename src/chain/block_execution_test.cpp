#include "chain/block_execution.hpp"

#include <gtest/gtest.h>

#include "chain/deposit_requests.hpp"
#include "common/hash.hpp"
#include "common/secp256k1.hpp"

using namespace krnl;
using namespace krnl::chain;
using evm::Revision;

namespace {

address addr(uint8_t n) {
    address a;
    a.bytes[19] = n;
    return a;
}

bytes32 secret(uint8_t n) {
    bytes32 k;
    k.bytes[31] = n;
    return k;
}

const bytes32 kKey = secret(0x31);
const address kSender = *secp256k1::address_from_secret(kKey);
const address kLogger = addr(0x40);  // clear of the precompiles (0x01-0x11)
const address kCoinbase = addr(0xcc);

// The parent's post-state: a funded sender, a contract that emits LOG1(topic 0x77) and the system
// contracts of the revision.
state::State pre_state(Revision rev) {
    state::State st;
    install_system_contracts(st, rev);
    st.put(kSender, state::Account{.balance = uint256(1) << 80});
    state::Account logger;
    logger.set_code(*from_hex("60775f5fa100"));  // PUSH1 0x77 PUSH0 PUSH0 LOG1 STOP
    st.put(kLogger, std::move(logger));
    return st;
}

BlockHeader parent_header(Revision rev) {
    BlockHeader p;
    p.number = 7;
    p.timestamp = 1000;
    p.gas_limit = 30'000'000;
    p.gas_used = 15'000'000;
    p.ommers_hash = kEmptyOmmersHash;
    p.base_fee_per_gas = 7;
    p.withdrawals_root = kEmptyTrieRoot;
    p.blob_gas_used = 0;
    p.excess_blob_gas = 0;
    p.parent_beacon_block_root = hash256{};
    if (rev >= Revision::Prague) p.requests_hash = requests_hash({});
    return p;
}

BlockAttributes attributes() {
    BlockAttributes a;
    a.timestamp = 1012;
    a.coinbase = kCoinbase;
    a.gas_limit = 30'000'000;
    a.prev_randao.bytes[0] = 0x5a;
    a.parent_beacon_block_root = hash256{};
    a.parent_beacon_block_root->bytes[31] = 0x01;
    return a;
}

Transaction signed_tx(uint64_t nonce, const address& to, uint64_t gas = 100'000,
                      uint256 value = 0) {
    Transaction t;
    t.type = TxType::DynamicFee;
    t.chain_id = 1;
    t.nonce = nonce;
    t.max_fee_per_gas = 20;
    t.max_priority_fee_per_gas = 2;
    t.gas_limit = gas;
    t.to = to;
    t.value = value;
    EXPECT_TRUE(sign_transaction(t, kKey));
    return t;
}

hash256 zero_hash(int64_t) {
    return hash256{};
}

// Builds a block of a transfer and a logging call on `st`.
SealedBlock build(state::State& st, Revision rev, BlockAttributes attrs = attributes()) {
    evm::AnalysisCache cache;
    BlockBuilder builder(st, rev, parent_header(rev), attrs, 1, zero_hash, cache);
    EXPECT_TRUE(builder.add_transaction(signed_tx(0, addr(0x55), 21'000, 1000), kSender));
    EXPECT_TRUE(builder.add_transaction(signed_tx(1, kLogger), kSender));
    EXPECT_TRUE(builder.finish());
    auto sealed = builder.seal(state::state_root(st));
    EXPECT_TRUE(sealed);
    return sealed ? *sealed : SealedBlock{};
}

std::expected<BlockResult, BlockError> execute(const Block& block, Revision rev, state::State& st) {
    evm::AnalysisCache cache;
    return execute_block(st, rev, 1, block, parent_header(rev), zero_hash, cache);
}

}  // namespace

TEST(BlockBuilder, BuiltBlockIsAcceptedByExecuteBlockWithTheSameRoots) {
    for (const Revision rev : {Revision::Cancun, Revision::Prague}) {
        SCOPED_TRACE(std::string(evm::revision_name(rev)));
        state::State built_on = pre_state(rev);
        const SealedBlock sealed = build(built_on, rev);
        const BlockHeader& h = sealed.block.header;
        EXPECT_EQ(h.number, 8u);
        EXPECT_EQ(h.parent_hash, block_hash(parent_header(rev)));
        EXPECT_EQ(h.base_fee_per_gas, uint256(7));
        EXPECT_EQ(h.gas_used, 21'000u + sealed.receipts[1].gas_used);
        EXPECT_EQ(sealed.receipts[1].cumulative_gas_used, h.gas_used);
        EXPECT_EQ(sealed.receipts[1].logs.size(), 1u);
        EXPECT_NE(h.logs_bloom, Bloom{});
        EXPECT_EQ(h.requests_hash.has_value(), rev >= Revision::Prague);

        // Import on a fresh copy of the pre-state, through the block's own encoding.
        const auto decoded = decode_block(encode_block(sealed.block));
        ASSERT_TRUE(decoded);
        state::State imported = pre_state(rev);
        const auto result = execute(*decoded, rev, imported);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(result->receipts_root, h.receipts_root);
        EXPECT_EQ(result->transactions_root, h.transactions_root);
        EXPECT_EQ(result->gas_used, h.gas_used);
        EXPECT_EQ(result->logs_bloom, h.logs_bloom);
        EXPECT_EQ(result->senders, (std::vector<address>{kSender, kSender}));
        EXPECT_EQ(state::state_root(imported), h.state_root);
        // The beacon root of the attributes reached the EIP-4788 contract.
        EXPECT_EQ(imported.get_storage(kBeaconRootsAddress, 1012 + kBeaconRootsBufferLength),
                  uint256(1));
    }
}

TEST(BlockBuilder, FailingTransactionLeavesStateAndBlockOpen) {
    state::State st = pre_state(Revision::Cancun);
    evm::AnalysisCache cache;
    BlockBuilder builder(st, Revision::Cancun, parent_header(Revision::Cancun), attributes(), 1,
                         zero_hash, cache);
    const hash256 root = state::state_root(st);
    auto bad_nonce = builder.add_transaction(signed_tx(5, kLogger), kSender);
    ASSERT_FALSE(bad_nonce);
    EXPECT_EQ(bad_nonce.error(), TxError::NonceTooHigh);
    EXPECT_EQ(state::state_root(st), root);

    auto too_big = builder.add_transaction(signed_tx(0, kLogger, 30'000'001), kSender);
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error(), TxError::GasLimitExceedsBlock);
    EXPECT_EQ(state::state_root(st), root);

    auto ok = builder.add_transaction(signed_tx(0, kLogger, 29'000'000), kSender);
    ASSERT_TRUE(ok);
    EXPECT_EQ(builder.gas_used(), uint64_t(ok->get().gas_used));
    // The block counts what a transaction used, not its limit; a transaction over what remains is
    // refused with the block error, one that fits exactly is taken.
    auto over =
        builder.add_transaction(signed_tx(1, kLogger, builder.gas_remaining() + 1), kSender);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error(), TxError::GasLimitExceedsBlock);
    EXPECT_TRUE(builder.add_transaction(signed_tx(1, kLogger, builder.gas_remaining()), kSender));
}

TEST(BlockBuilder, SealNeedsFinishAndCreditsWithdrawals) {
    state::State st = pre_state(Revision::Cancun);
    evm::AnalysisCache cache;
    BlockAttributes attrs = attributes();
    attrs.withdrawals.push_back(
        {.index = 0, .validator_index = 3, .addr = addr(0x77), .amount_gwei = 2});
    BlockBuilder builder(st, Revision::Cancun, parent_header(Revision::Cancun), attrs, 1, zero_hash,
                         cache);
    auto early = builder.seal(hash256{});
    ASSERT_FALSE(early);
    ASSERT_TRUE(builder.finish());
    EXPECT_EQ(st.find(addr(0x77))->balance, uint256(2'000'000'000));
    auto sealed = builder.seal(state::state_root(st));
    ASSERT_TRUE(sealed);
    EXPECT_EQ(sealed->block.header.withdrawals_root, withdrawals_root(attrs.withdrawals));

    state::State imported = pre_state(Revision::Cancun);
    const auto result = execute(sealed->block, Revision::Cancun, imported);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(state::state_root(imported), sealed->block.header.state_root);
}

TEST(ExecuteBlock, RejectsEveryTamperedField) {
    state::State built_on = pre_state(Revision::Cancun);
    const SealedBlock sealed = build(built_on, Revision::Cancun);
    auto rejects = [&](auto tamper, BlockErrorCode code) {
        Block b = sealed.block;
        tamper(b);
        state::State st = pre_state(Revision::Cancun);
        const auto r = execute(b, Revision::Cancun, st);
        ASSERT_FALSE(r) << "accepted a block expected to fail with " << block_error_name(code);
        EXPECT_EQ(r.error().code, code) << r.error().message;
        EXPECT_FALSE(r.error().message.empty());
    };
    rejects([](Block& b) { b.header.gas_used += 1; }, BlockErrorCode::GasUsed);
    rejects([](Block& b) { b.header.logs_bloom.bytes[0] ^= 1; }, BlockErrorCode::LogsBloom);
    rejects([](Block& b) { b.header.receipts_root.bytes[0] ^= 1; }, BlockErrorCode::ReceiptsRoot);
    rejects([](Block& b) { b.header.transactions_root.bytes[0] ^= 1; },
            BlockErrorCode::TransactionsRoot);
    rejects([](Block& b) { b.header.blob_gas_used = kBlobGasPerBlob; },
            BlockErrorCode::BlobGasUsed);
    rejects([](Block& b) { b.header.withdrawals_root->bytes[0] ^= 1; },
            BlockErrorCode::WithdrawalsRoot);
    rejects([](Block& b) { b.withdrawals.reset(); }, BlockErrorCode::Withdrawals);
    rejects([](Block& b) { b.ommers.push_back(b.header); }, BlockErrorCode::Ommers);
    rejects([](Block& b) { b.header.timestamp = 1000; }, BlockErrorCode::Timestamp);
    rejects(
        [](Block& b) {
            std::swap(b.transactions[0], b.transactions[1]);
            b.header.transactions_root = transactions_root(b.transactions);
        },
        BlockErrorCode::InvalidTransaction);
    rejects(
        [](Block& b) {
            // A transaction whose limit exceeds what the block has left.
            b.transactions[1] = signed_tx(1, kLogger, 30'000'000 - 21'000 + 1);
            b.header.transactions_root = transactions_root(b.transactions);
        },
        BlockErrorCode::InvalidTransaction);
}

// A transaction carrying `data_bytes` zero bytes of calldata (EIP-7623's floor: 10 gas a byte).
Transaction calldata_tx(uint64_t nonce, size_t data_bytes) {
    Transaction t;
    t.type = TxType::DynamicFee;
    t.chain_id = 1;
    t.nonce = nonce;
    t.max_fee_per_gas = 20;
    t.max_priority_fee_per_gas = 2;
    t.gas_limit = 21'000 + 10 * data_bytes + 50'000;
    t.to = addr(0x55);
    t.data.assign(data_bytes, 0);
    EXPECT_TRUE(sign_transaction(t, kKey));
    return t;
}

TEST(BlockBuilder, OsakaKeepsTheBlockUnderEip7934sSize) {
    state::State st = pre_state(Revision::Osaka);
    // Gas is not what stops this block.
    BlockHeader parent = parent_header(Revision::Osaka);
    parent.gas_limit = 200'000'000;
    BlockAttributes attrs = attributes();
    attrs.gas_limit = parent.gas_limit;
    evm::AnalysisCache cache;
    BlockBuilder builder(st, Revision::Osaka, parent, attrs, 1, zero_hash, cache);
    // 1 MB transactions: eight fit under 8 MiB less the builder's reserve, the ninth does not.
    constexpr size_t kMegabyte = 1'000'000;
    for (uint64_t nonce = 0; nonce < 8; ++nonce)
        ASSERT_TRUE(builder.add_transaction(calldata_tx(nonce, kMegabyte), kSender)) << nonce;
    auto ninth = builder.add_transaction(calldata_tx(8, kMegabyte), kSender);
    ASSERT_FALSE(ninth);
    EXPECT_EQ(ninth.error(), TxError::GasLimitExceedsBlock);
    // A small one still fits.
    EXPECT_TRUE(builder.add_transaction(calldata_tx(8, 1000), kSender));
    ASSERT_TRUE(builder.finish());
    auto sealed = builder.seal(state::state_root(st));
    ASSERT_TRUE(sealed);
    EXPECT_LE(encode_block(sealed->block).size(), kMaxRlpBlockSize);

    // The same block imports; with one more megabyte it is over the limit and refused by size.
    state::State import = pre_state(Revision::Osaka);
    Block bigger = sealed->block;
    const auto imported =
        execute_block(import, Revision::Osaka, 1, bigger, parent, zero_hash, cache);
    EXPECT_TRUE(imported) << imported.error().message;
    bigger.transactions.push_back(calldata_tx(9, kMegabyte));
    state::State refused = pre_state(Revision::Osaka);
    auto r = execute_block(refused, Revision::Osaka, 1, bigger, parent, zero_hash, cache);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, BlockErrorCode::BlockSize) << r.error().message;
}

TEST(ExecuteBlock, InvalidTransactionNamesItsIndexAndError) {
    state::State built_on = pre_state(Revision::Cancun);
    Block b = build(built_on, Revision::Cancun).block;
    b.transactions[1].s = b.transactions[1].s + uint256(1);  // breaks the signature
    b.header.transactions_root = transactions_root(b.transactions);
    state::State st = pre_state(Revision::Cancun);
    const auto r = execute(b, Revision::Cancun, st);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, BlockErrorCode::InvalidTransaction);
    EXPECT_EQ(r.error().tx_index, 1u);
    ASSERT_TRUE(r.error().tx_error);
}

TEST(ExecuteBlock, PragueChecksTheRequestsHash) {
    state::State built_on = pre_state(Revision::Prague);
    Block b = build(built_on, Revision::Prague).block;
    EXPECT_EQ(b.header.requests_hash, requests_hash({}));
    b.header.requests_hash->bytes[0] ^= 1;
    state::State st = pre_state(Revision::Prague);
    const auto r = execute(b, Revision::Prague, st);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, BlockErrorCode::RequestsHash);
}

namespace {

const address kDepositor = addr(0x42);

// A stand-in deposit contract: emits its calldata as a log with the DepositEvent topic.
state::State pre_state_with_depositor(Revision rev) {
    state::State st = pre_state(rev);
    state::Account depositor;
    // CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY PUSH32 topic CALLDATASIZE PUSH0 LOG1 STOP
    depositor.set_code(
        *from_hex("365f5f377f" + to_hex(kDepositEventSignature).substr(2) + "365fa100"));
    st.put(kDepositor, std::move(depositor));
    return st;
}

bytes abi_word(uint64_t v) {
    bytes32 w;
    uint256(v).store_be(w.bytes);
    return bytes(w.view());
}

// A DepositEvent's data for fields filled with `fill`, and the request it becomes.
std::pair<bytes, bytes> deposit_event(uint8_t fill) {
    bytes data = abi_word(160) + abi_word(256) + abi_word(320) + abi_word(384) + abi_word(512);
    bytes request;
    for (const size_t size : {48, 32, 8, 96, 8}) {
        const bytes field(size, fill);
        request += field;
        data += abi_word(size) + field + bytes((32 - size % 32) % 32, 0);
    }
    return {data, request};
}

}  // namespace

TEST(BlockBuilder, DepositEventsOfTheChainsDepositContractBecomeRequests) {
    const ChainRules rules{.deposit_contract = kDepositor};
    const auto [event, request] = deposit_event(0xab);
    state::State built_on = pre_state_with_depositor(Revision::Prague);
    evm::AnalysisCache cache;
    BlockBuilder builder(built_on, Revision::Prague, parent_header(Revision::Prague), attributes(),
                         1, zero_hash, cache, rules);
    Transaction deposit = signed_tx(0, kDepositor);
    deposit.data = event;
    ASSERT_TRUE(sign_transaction(deposit, kKey));
    ASSERT_TRUE(builder.add_transaction(deposit, kSender));
    ASSERT_TRUE(builder.finish());
    const auto sealed = builder.seal(state::state_root(built_on));
    ASSERT_TRUE(sealed);
    const std::vector<bytes> expected = {bytes{kDepositRequestType} + request,
                                         bytes{kWithdrawalRequestType},
                                         bytes{kConsolidationRequestType}};
    EXPECT_EQ(sealed->block.header.requests_hash, requests_hash(expected));

    // Imported under the same rules the block is valid, with the deposit among its requests.
    state::State imported = pre_state_with_depositor(Revision::Prague);
    const auto result =
        execute_block(imported, Revision::Prague, 1, sealed->block, parent_header(Revision::Prague),
                      zero_hash, cache, nullptr, rules);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->requests, expected);

    // A chain without a deposit contract sees no deposit, so the requests hash differs.
    state::State no_contract = pre_state_with_depositor(Revision::Prague);
    const auto refused = execute_block(no_contract, Revision::Prague, 1, sealed->block,
                                       parent_header(Revision::Prague), zero_hash, cache);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, BlockErrorCode::RequestsHash);
}

TEST(BlockBuilder, MalformedDepositEventFailsTheBlock) {
    const ChainRules rules{.deposit_contract = kDepositor};
    bytes event = deposit_event(0x01).first;
    event.pop_back();  // 575 bytes: not the contract's layout
    state::State st = pre_state_with_depositor(Revision::Prague);
    evm::AnalysisCache cache;
    BlockBuilder builder(st, Revision::Prague, parent_header(Revision::Prague), attributes(), 1,
                         zero_hash, cache, rules);
    Transaction deposit = signed_tx(0, kDepositor);
    deposit.data = event;
    ASSERT_TRUE(sign_transaction(deposit, kKey));
    ASSERT_TRUE(builder.add_transaction(deposit, kSender));
    const auto finished = builder.finish();
    ASSERT_FALSE(finished);
    EXPECT_EQ(finished.error().code, BlockErrorCode::DepositEvent);
}

TEST(BlockBuilder, BlobScheduleOverridesTheRevisionsBlobParameters) {
    BlockHeader parent = parent_header(Revision::Prague);
    parent.blob_gas_used = 8 * kBlobGasPerBlob;  // over Prague's target of 6, under a BPO's 10
    const ChainRules bpo{.blob_params = BlobParams{10, 15, 8346193}};
    evm::AnalysisCache cache;

    state::State st = pre_state(Revision::Prague);
    BlockBuilder by_revision(st, Revision::Prague, parent, attributes(), 1, zero_hash, cache);
    EXPECT_EQ(by_revision.header().excess_blob_gas, 2 * kBlobGasPerBlob);

    state::State st_bpo = pre_state(Revision::Prague);
    BlockBuilder by_schedule(st_bpo, Revision::Prague, parent, attributes(), 1, zero_hash, cache,
                             bpo);
    EXPECT_EQ(by_schedule.header().excess_blob_gas, 0u);
    ASSERT_TRUE(by_schedule.finish());
    const auto sealed = by_schedule.seal(state::state_root(st_bpo));
    ASSERT_TRUE(sealed);

    // The block is valid under the schedule and not under the revision's defaults.
    state::State imported = pre_state(Revision::Prague);
    EXPECT_TRUE(execute_block(imported, Revision::Prague, 1, sealed->block, parent, zero_hash,
                              cache, nullptr, bpo));
    state::State refused_on = pre_state(Revision::Prague);
    const auto refused =
        execute_block(refused_on, Revision::Prague, 1, sealed->block, parent, zero_hash, cache);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, BlockErrorCode::ExcessBlobGas);
}
