#include "aa/entry_point.hpp"

#include <gtest/gtest.h>

#include "aa/simulation.hpp"
#include "aa/user_operation_json.hpp"
#include "common/abi.hpp"
#include "rpc/params.hpp"

using namespace krnl;
using namespace krnl::aa;

TEST(EntryPointAbi, DecodesValidationResult) {
    const auto type = *krnl::abi::parse_types(
        "(((uint256,uint256,uint256,uint256,bytes),(uint256,uint256),(uint256,uint256),"
        "(uint256,uint256),(address,(uint256,uint256))))");
    // validUntil 1000, validAfter 10, signature failed (aggregator 1).
    const uint256 account = (uint256(10) << 208) | (uint256(1000) << 160) | uint256(1);
    krnl::abi::ValueList ret{krnl::abi::Value(uint256(5000)), krnl::abi::Value(uint256(7)),
                             krnl::abi::Value(account), krnl::abi::Value(uint256(0)),
                             krnl::abi::Value(bytes{0xca, 0xfe})};
    auto stake = [](uint64_t s, uint64_t d) {
        return krnl::abi::Value(
            krnl::abi::ValueList{krnl::abi::Value(uint256(s)), krnl::abi::Value(uint256(d))});
    };
    address agg;
    agg.bytes[19] = 9;
    krnl::abi::ValueList result{
        krnl::abi::Value(ret), stake(1, 2), stake(3, 4), stake(5, 6),
        krnl::abi::Value(krnl::abi::ValueList{krnl::abi::Value(agg), stake(7, 8)})};
    auto encoded = krnl::abi::encode(type, krnl::abi::ValueList{krnl::abi::Value(result)});
    ASSERT_TRUE(encoded.has_value()) << encoded.error();
    auto decoded = decode_validation_result(*encoded);
    ASSERT_TRUE(decoded.has_value()) << decoded.error();
    EXPECT_EQ(decoded->pre_op_gas, uint256(5000));
    EXPECT_EQ(decoded->prefund, uint256(7));
    EXPECT_TRUE(decoded->account.signature_failed);
    EXPECT_EQ(decoded->account.valid_until, 1000u);
    EXPECT_EQ(decoded->account.valid_after, 10u);
    EXPECT_FALSE(decoded->paymaster.signature_failed);
    EXPECT_EQ(decoded->paymaster_context, (bytes{0xca, 0xfe}));
    EXPECT_EQ(decoded->factory_info.stake, uint256(3));
    EXPECT_EQ(decoded->paymaster_info.unstake_delay_sec, 6u);
    EXPECT_EQ(decoded->aggregator, agg);
    EXPECT_EQ(decoded->aggregator_info.stake, uint256(7));
    // Garbage is an error, not a crash.
    EXPECT_FALSE(decode_validation_result(bytes(10, 0xff)).has_value());
}

TEST(EntryPointAbi, DecodesFailedOp) {
    auto data =
        krnl::abi::encode_call("FailedOp(uint256,string)",
                               std::vector<krnl::abi::Value>{krnl::abi::Value(uint256(2)),
                                                             krnl::abi::Value("AA23 reverted")});
    ASSERT_TRUE(data.has_value());
    auto failed = decode_failed_op(*data);
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->op_index, uint256(2));
    EXPECT_EQ(failed->reason, "AA23 reverted");

    auto with_revert =
        krnl::abi::encode_call("FailedOpWithRevert(uint256,string,bytes)",
                               std::vector<krnl::abi::Value>{krnl::abi::Value(uint256(0)),
                                                             krnl::abi::Value("AA23 reverted"),
                                                             krnl::abi::Value(bytes{1, 2, 3})});
    failed = decode_failed_op(*with_revert);
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->inner, (bytes{1, 2, 3}));
    EXPECT_FALSE(decode_failed_op(bytes{1, 2, 3, 4, 5}).has_value());
}

TEST(EntryPoint, RejectionNamesTheValidatorsCustomError) {
    auto inner = krnl::abi::encode_call("AttestationForOtherOperation(uint256,uint256)",
                                        std::vector<krnl::abi::Value>{uint256(1), uint256(3)});
    auto data = krnl::abi::encode_call(
        "FailedOpWithRevert(uint256,string,bytes)",
        std::vector<krnl::abi::Value>{uint256(0), krnl::abi::Value("AA23 reverted"), *inner});
    const auto error = rejection_from_revert(*data);
    EXPECT_EQ(error.code, code::kRejectedByEntryPoint);
    EXPECT_EQ(error.message, "AA23 reverted: AttestationForOtherOperation(1, 3)");
    ASSERT_TRUE(error.data);
    EXPECT_EQ((*error.data)["revertData"], krnl::rpc::to_data(*inner));
    // An error the node does not know stays bare, with its data.
    auto unknown = krnl::abi::encode_call(
        "FailedOpWithRevert(uint256,string,bytes)",
        std::vector<krnl::abi::Value>{uint256(0), krnl::abi::Value("AA23 reverted"),
                                      bytes{0xde, 0xad, 0xbe, 0xef}});
    EXPECT_EQ(rejection_from_revert(*unknown).message, "AA23 reverted");
}
