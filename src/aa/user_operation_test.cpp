#include "aa/user_operation.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::aa;

namespace {

address addr_of(uint8_t fill) {
    address a;
    std::fill(std::begin(a.bytes), std::end(a.bytes), fill);
    return a;
}

bytes hex(std::string_view h) {
    return *from_hex(h);
}

UserOperation base_op() {
    UserOperation op;
    op.sender = addr_of(0x11);
    op.nonce = (uint256(5) << 64) | 7;
    op.call_data = hex("deadbeef");
    op.call_gas_limit = 100000;
    op.verification_gas_limit = 200000;
    op.pre_verification_gas = 50000;
    op.max_fee_per_gas = 3'000'000'000;
    op.max_priority_fee_per_gas = 1'000'000'000;
    op.signature = bytes(65, 0xab);
    return op;
}

UserOperation full_op() {
    UserOperation op = base_op();
    op.factory = addr_of(0x22);
    op.factory_data = hex("1234");
    op.paymaster = addr_of(0x33);
    op.paymaster_verification_gas_limit = 70000;
    op.paymaster_post_op_gas_limit = 30000;
    op.paymaster_data = hex("cafe");
    return op;
}

}  // namespace

// Expected hashes computed by viem's getUserOperationHash (viem/account-abstraction) for the same
// ops on chain 31337.
TEST(UserOperationHash, MatchesViemOnBothEntryPoints) {
    EXPECT_EQ(to_hex(user_operation_hash(base_op(), EntryPointVersion::V07, 31337)),
              "0x9a289182cc46f438b3ba7e8663e3c8f77b5e63a8e18b0384c24425fd0d2f6a2d");
    EXPECT_EQ(to_hex(user_operation_hash(base_op(), EntryPointVersion::V08, 31337)),
              "0xebb9f1591b37ebafcd421847a32ab92ecc10c8717e0dc56901afa1d8ac1776e4");
    EXPECT_EQ(to_hex(user_operation_hash(full_op(), EntryPointVersion::V07, 31337)),
              "0x2c5479b2480e91ad9e2413e57e61de361221e30c652f7a1c4d184aa56f1b9ad5");
    EXPECT_EQ(to_hex(user_operation_hash(full_op(), EntryPointVersion::V08, 31337)),
              "0x70648a1fe08bcf2b6fbc1fe44a5a32ddef5c9264ee5b22dcc30832469dae68a4");
}

TEST(UserOperationHash, Eip7702MarkerHashesTheDelegate) {
    UserOperation op = base_op();
    op.factory = kEip7702FactoryMarker;
    const address delegate = addr_of(0x44);
    EXPECT_EQ(to_hex(user_operation_hash(op, EntryPointVersion::V08, 31337, delegate)),
              "0xf3ee39bf4b38a0493c448483ff50fe11157f0027824dffba2073b48b66935d0b");
    // The delegate is part of what is signed.
    EXPECT_NE(user_operation_hash(op, EntryPointVersion::V08, 31337, addr_of(0x45)),
              user_operation_hash(op, EntryPointVersion::V08, 31337, delegate));
}

TEST(UserOperationHash, ChainAndEntryPointSeparate) {
    const UserOperation op = base_op();
    EXPECT_NE(user_operation_hash(op, EntryPointVersion::V07, 1),
              user_operation_hash(op, EntryPointVersion::V07, 31337));
    EXPECT_NE(user_operation_hash(op, EntryPointVersion::V07, 1),
              user_operation_hash(op, EntryPointVersion::V08, 1));
}

TEST(UserOperationPack, RoundTrips) {
    for (const UserOperation& op : {base_op(), full_op()}) {
        auto packed = pack(op);
        ASSERT_TRUE(packed.has_value()) << packed.error();
        auto back = unpack(*packed);
        ASSERT_TRUE(back.has_value()) << back.error();
        EXPECT_EQ(*back, op);
    }
    auto packed = *pack(full_op());
    EXPECT_EQ(packed.init_code.size(), 22u);
    EXPECT_EQ(packed.paymaster_and_data.size(), 54u);
    // verificationGasLimit in the high half, callGasLimit in the low one.
    EXPECT_EQ(uint256::from_bytes32(packed.account_gas_limits),
              (uint256(200000) << 128) | uint256(100000));
}

TEST(UserOperationPack, RefusesWhatCannotBePacked) {
    UserOperation op = base_op();
    op.call_gas_limit = uint256(1) << 128;
    auto packed = pack(op);
    ASSERT_FALSE(packed.has_value());
    EXPECT_NE(packed.error().find("callGasLimit"), std::string::npos);

    op = base_op();
    op.paymaster_data = hex("01");
    EXPECT_FALSE(pack(op).has_value());

    PackedUserOperation short_paymaster = *pack(full_op());
    short_paymaster.paymaster_and_data.resize(40);
    EXPECT_FALSE(unpack(short_paymaster).has_value());
}

TEST(UserOperationSize, IsTheAbiEncodingOfThePackedTuple) {
    for (const UserOperation& op : {base_op(), full_op()}) {
        const bytes encoded = encode_packed_tuple(*pack(op));
        // The tuple is dynamic: its standalone encoding starts with an offset word.
        EXPECT_EQ(encoded_size(op) + 32, encoded.size());
    }
}

TEST(EntryPoints, KnowsBothVersions) {
    EXPECT_EQ(entry_point_version(kEntryPointV07), EntryPointVersion::V07);
    EXPECT_EQ(entry_point_version(kEntryPointV08), EntryPointVersion::V08);
    EXPECT_FALSE(entry_point_version(addr_of(0x01)).has_value());
    EXPECT_EQ(to_hex(kEntryPointV07), "0x0000000071727de22e5e9d8baf0edac6f37da032");
    EXPECT_EQ(to_hex(kEntryPointV08), "0x4337084d9e255ff0702461cf8895ce9e3b5ff108");
}
