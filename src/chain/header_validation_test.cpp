#include "chain/header_validation.hpp"

#include <gtest/gtest.h>

#include "chain/execution.hpp"

using namespace krnl;
using namespace krnl::chain;
using evm::Revision;

namespace {

BlockHeader parent() {
    BlockHeader p;
    p.number = 10;
    p.timestamp = 1000;
    p.gas_limit = 30'000'000;
    p.gas_used = 15'000'000;
    p.ommers_hash = kEmptyOmmersHash;
    p.base_fee_per_gas = 1000;
    p.withdrawals_root = kEmptyTrieRoot;
    p.blob_gas_used = 0;
    p.excess_blob_gas = 0;
    p.parent_beacon_block_root = hash256{};
    return p;
}

BlockHeader child(const BlockHeader& p) {
    BlockHeader h = p;
    h.parent_hash = block_hash(p);
    h.number = p.number + 1;
    h.timestamp = p.timestamp + 12;
    h.gas_used = 0;
    h.base_fee_per_gas = next_base_fee(p);
    h.excess_blob_gas = next_excess_blob_gas(p, Revision::Cancun);
    return h;
}

std::optional<BlockErrorCode> check(const BlockHeader& h, const BlockHeader& p = parent(),
                                    Revision rev = Revision::Cancun) {
    auto e = validate_header(h, p, rev);
    if (e) {
        EXPECT_FALSE(e->message.empty());
    }
    return e ? std::optional(e->code) : std::nullopt;
}

}  // namespace

TEST(NextBaseFee, MovesAnEighthTowardsTheTarget) {
    BlockHeader p = parent();
    EXPECT_EQ(next_base_fee(p), uint256(1000));  // exactly at the target
    p.gas_used = 30'000'000;
    EXPECT_EQ(next_base_fee(p), uint256(1125));
    p.gas_used = 0;
    EXPECT_EQ(next_base_fee(p), uint256(875));
    // An increase is at least 1 wei.
    p.base_fee_per_gas = 7;
    p.gas_used = 15'000'001;
    EXPECT_EQ(next_base_fee(p), uint256(8));
    // The first London block starts at 1 gwei.
    p.base_fee_per_gas.reset();
    EXPECT_EQ(next_base_fee(p), uint256(kInitialBaseFee));
}

TEST(ExcessBlobGas, CarriesWhatIsAboveTheTarget) {
    BlockHeader p = parent();
    p.blob_gas_used = 6 * kBlobGasPerBlob;
    p.excess_blob_gas = 0;
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Cancun), 3 * kBlobGasPerBlob);
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Prague), 0u);  // EIP-7691 target: 6 blobs
    p.blob_gas_used = kBlobGasPerBlob;
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Cancun), 0u);
    EXPECT_EQ(max_blob_gas_per_block(Revision::Cancun), 6 * kBlobGasPerBlob);
    EXPECT_EQ(max_blob_gas_per_block(Revision::Prague), 9 * kBlobGasPerBlob);
}

TEST(ExcessBlobGas, Eip7918ReservePriceStopsTheFallFromOsaka) {
    BlockHeader p = parent();
    p.excess_blob_gas = 0;  // blob base fee 1 wei: a blob's gas costs 2^17 wei
    p.blob_gas_used = 9 * kBlobGasPerBlob;
    // Base fee 16 wei: 8192 * 16 = 2^17, not above the blob price; the EIP-4844 rule holds.
    p.base_fee_per_gas = 16;
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Osaka), 3 * kBlobGasPerBlob);
    // 17 wei: the reserve price is above it, so the excess grows by 9 blobs * 3/9, not by 9 - 6.
    p.base_fee_per_gas = 17;
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Prague), 3 * kBlobGasPerBlob);
    p.blob_gas_used = 6 * kBlobGasPerBlob;
    p.excess_blob_gas = 10 * kBlobGasPerBlob;
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Prague), 10 * kBlobGasPerBlob);
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Osaka), 12 * kBlobGasPerBlob);
    // Below the target the excess still falls to 0.
    p.excess_blob_gas = 0;
    p.blob_gas_used = kBlobGasPerBlob;
    EXPECT_EQ(next_excess_blob_gas(p, Revision::Osaka), 0u);
}

TEST(ValidateHeader, AcceptsAWellFormedChild) {
    EXPECT_EQ(check(child(parent())), std::nullopt);
}

TEST(ValidateHeader, NumberAndTimestamp) {
    BlockHeader h = child(parent());
    h.number = 12;
    EXPECT_EQ(check(h), BlockErrorCode::Number);
    h = child(parent());
    h.timestamp = parent().timestamp;
    EXPECT_EQ(check(h), BlockErrorCode::Timestamp);
}

TEST(ValidateHeader, GasLimitBounds) {
    const BlockHeader p = parent();
    const uint64_t bound = p.gas_limit / 1024;
    BlockHeader h = child(p);
    h.gas_limit = p.gas_limit + bound - 1;
    EXPECT_EQ(check(h), std::nullopt);
    h.gas_limit = p.gas_limit + bound;
    EXPECT_EQ(check(h), BlockErrorCode::GasLimit);
    h.gas_limit = p.gas_limit - bound + 1;
    EXPECT_EQ(check(h), std::nullopt);
    h.gas_limit = p.gas_limit - bound;
    EXPECT_EQ(check(h), BlockErrorCode::GasLimit);

    BlockHeader small = parent();
    small.gas_limit = 5000;
    BlockHeader c = child(small);
    c.gas_limit = 4999;
    EXPECT_EQ(check(c, small), BlockErrorCode::GasLimit);

    BlockHeader huge = parent();
    huge.gas_limit = kMaxGasLimit;
    c = child(huge);
    c.gas_limit = kMaxGasLimit + 1;
    EXPECT_EQ(check(c, huge), BlockErrorCode::GasLimit);

    h = child(p);
    h.gas_used = h.gas_limit + 1;
    EXPECT_EQ(check(h), BlockErrorCode::GasUsedAboveLimit);
}

TEST(ValidateHeader, BaseFeeExtraDataAndMergeRules) {
    BlockHeader h = child(parent());
    h.base_fee_per_gas = *h.base_fee_per_gas + uint256(1);
    EXPECT_EQ(check(h), BlockErrorCode::BaseFee);

    h = child(parent());
    h.extra_data = bytes(32, 0x01);
    EXPECT_EQ(check(h), std::nullopt);
    h.extra_data = bytes(33, 0x01);
    EXPECT_EQ(check(h), BlockErrorCode::ExtraData);

    h = child(parent());
    h.difficulty = 1;
    EXPECT_EQ(check(h), BlockErrorCode::Difficulty);
    h = child(parent());
    h.nonce.bytes[7] = 1;
    EXPECT_EQ(check(h), BlockErrorCode::Nonce);
    h = child(parent());
    h.ommers_hash = kEmptyTrieRoot;
    EXPECT_EQ(check(h), BlockErrorCode::Ommers);
}

TEST(ValidateHeader, ForkFieldsPresentExactlyAtTheirRevision) {
    BlockHeader h = child(parent());
    h.parent_beacon_block_root.reset();
    EXPECT_EQ(check(h), BlockErrorCode::MissingField);
    h = child(parent());
    h.requests_hash = hash256{};
    EXPECT_EQ(check(h), BlockErrorCode::UnexpectedField);
    EXPECT_EQ(check(h, parent(), Revision::Prague), std::nullopt);
    h.requests_hash.reset();
    EXPECT_EQ(check(h, parent(), Revision::Prague), BlockErrorCode::MissingField);
    h = child(parent());
    EXPECT_EQ(check(h, parent(), Revision::Shanghai), BlockErrorCode::UnexpectedField);
}

TEST(ValidateHeader, BlobGasFields) {
    BlockHeader h = child(parent());
    h.excess_blob_gas = kBlobGasPerBlob;
    EXPECT_EQ(check(h), BlockErrorCode::ExcessBlobGas);
    h = child(parent());
    h.blob_gas_used = kBlobGasPerBlob + 1;
    EXPECT_EQ(check(h), BlockErrorCode::BlobGasUsed);
    h.blob_gas_used = 7 * kBlobGasPerBlob;
    EXPECT_EQ(check(h), BlockErrorCode::BlobGasUsed);
    // Prague allows nine blobs (EIP-7691).
    h.requests_hash = hash256{};
    EXPECT_EQ(check(h, parent(), Revision::Prague), std::nullopt);
}
