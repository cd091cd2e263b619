#include "chain/block.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/keccak.hpp"
#include "common/rlp.hpp"

using namespace krnl;
using namespace krnl::chain;

namespace {

// Block 1 of ValidBlocks/bcExample/basefeeExample.json: one EIP-1559 transaction, Cancun header.
std::optional<std::pair<bytes, hash256>> fixture_block() {
    std::ifstream in(std::string(KRNL_FIXTURES) +
                     "/ethereum-tests/BlockchainTests/ValidBlocks/bcExample/basefeeExample.json");
    if (!in) return std::nullopt;
    const auto j = nlohmann::json::parse(in);
    const auto& block = j.begin()->at("blocks").at(0);
    return std::pair{*from_hex(block.at("rlp").get<std::string>()),
                     *fixed_from_hex<32>(block.at("blockHeader").at("hash").get<std::string>())};
}

Withdrawal withdrawal(uint64_t index) {
    Withdrawal w;
    w.index = index;
    w.validator_index = 7;
    w.addr.bytes[19] = 0x99;
    w.amount_gwei = 1'000'000'000;
    return w;
}

}  // namespace

TEST(Block, FixtureBlockRoundTripsAndMatchesItsHeaderRoots) {
    const auto fixture = fixture_block();
    ASSERT_TRUE(fixture) << "fixtures not found at " << KRNL_FIXTURES;
    const auto block = decode_block(fixture->first);
    ASSERT_TRUE(block) << decode_error_message(block.error());
    EXPECT_EQ(block_hash(block->header), fixture->second);
    ASSERT_EQ(block->transactions.size(), 1u);
    EXPECT_EQ(block->transactions[0].type, TxType::DynamicFee);
    EXPECT_TRUE(block->ommers.empty());
    ASSERT_TRUE(block->withdrawals);
    EXPECT_TRUE(block->withdrawals->empty());
    EXPECT_EQ(transactions_root(block->transactions), block->header.transactions_root);
    EXPECT_EQ(withdrawals_root(*block->withdrawals), *block->header.withdrawals_root);
    EXPECT_EQ(ommers_hash(block->ommers), block->header.ommers_hash);
    EXPECT_EQ(encode_block(*block), fixture->first);
}

TEST(Block, WithdrawalsAndLegacyTransactionsRoundTrip) {
    Block b;
    b.header.number = 3;
    b.header.ommers_hash = kEmptyOmmersHash;
    b.header.base_fee_per_gas = 7;
    b.header.withdrawals_root = kEmptyTrieRoot;
    Transaction legacy;
    legacy.nonce = 1;
    legacy.gas_limit = 21000;
    legacy.to = address{};
    legacy.v = 27;
    legacy.r = 1;
    legacy.s = 1;
    Transaction typed = legacy;
    typed.type = TxType::DynamicFee;
    typed.chain_id = 1;
    b.transactions = {legacy, typed};
    b.withdrawals = std::vector<Withdrawal>{withdrawal(0), withdrawal(1)};
    const bytes enc = encode_block(b);
    const auto back = decode_block(enc);
    ASSERT_TRUE(back) << decode_error_message(back.error());
    ASSERT_EQ(back->transactions.size(), 2u);
    EXPECT_EQ(back->transactions[0].type, TxType::Legacy);
    EXPECT_EQ(back->transactions[1].type, TxType::DynamicFee);
    ASSERT_TRUE(back->withdrawals);
    ASSERT_EQ(back->withdrawals->size(), 2u);
    EXPECT_EQ((*back->withdrawals)[1].index, 1u);
    EXPECT_EQ((*back->withdrawals)[1].amount_gwei, 1'000'000'000u);
    EXPECT_EQ(encode_block(*back), enc);
    EXPECT_NE(withdrawals_root(*back->withdrawals), kEmptyTrieRoot);
    EXPECT_NE(withdrawals_root({withdrawal(0), withdrawal(1)}),
              withdrawals_root({withdrawal(1), withdrawal(0)}));

    // Without withdrawals the body has three parts (pre-Shanghai).
    b.withdrawals.reset();
    const auto old = decode_block(encode_block(b));
    ASSERT_TRUE(old);
    EXPECT_FALSE(old->withdrawals);
}

TEST(Block, EmptyRootsAndOmmersHash) {
    EXPECT_EQ(transactions_root({}), kEmptyTrieRoot);
    EXPECT_EQ(withdrawals_root({}), kEmptyTrieRoot);
    EXPECT_EQ(ommers_hash({}), kEmptyOmmersHash);
}

TEST(Block, StrictDecoding) {
    Block b;
    b.header.ommers_hash = kEmptyOmmersHash;
    const bytes enc = encode_block(b);
    ASSERT_TRUE(decode_block(enc));

    bytes trailing = enc;
    trailing.push_back(0x00);
    auto r = decode_block(trailing);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrorCode::TrailingBytes);

    EXPECT_EQ(decode_block({}).error().code, DecodeErrorCode::Empty);
    EXPECT_FALSE(decode_block(enc.substr(0, enc.size() - 1)));

    // A typed transaction must be wrapped in an RLP string; a string holding a list is refused.
    bytes payload = encode_block_header(b.header);
    bytes txs;
    rlp::encode_string(txs, bytes{0xc0});
    payload += rlp::wrap_list(txs);
    payload += rlp::wrap_list({});
    r = decode_block(rlp::wrap_list(payload));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrorCode::UnsupportedType);

    // A withdrawal address of 19 bytes.
    payload = encode_block_header(b.header);
    payload += rlp::wrap_list({});
    payload += rlp::wrap_list({});
    bytes w;
    rlp::encode_uint(w, uint64_t{0});
    rlp::encode_uint(w, uint64_t{0});
    rlp::encode_string(w, bytes(19, 0x11));
    rlp::encode_uint(w, uint64_t{1});
    payload += rlp::wrap_list(rlp::wrap_list(w));
    r = decode_block(rlp::wrap_list(payload));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrorCode::BadAddress);
    EXPECT_EQ(r.error().field, "withdrawal address");
}
