#include "rpc/eth_config.hpp"

#include <gtest/gtest.h>

namespace krnl::rpc {
namespace {

hash256 hash_from_hex(std::string_view hex) {
    auto h = fixed_from_hex<32>(hex);
    EXPECT_TRUE(h.has_value());
    return h.value_or(hash256{});
}

}  // namespace

TEST(EthConfig, ForkIdOfMainnetsGenesisIsEip2124s) {
    // EIP-2124's first test vector: mainnet at genesis has FORK_HASH 0xfc64ec04.
    EXPECT_EQ(fork_id(hash_from_hex(
                  "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3")),
              "0xfc64ec04");
}

TEST(EthConfig, OsakaHasEveryPrecompileAndThePragueSystemContracts) {
    const json c = eth_config_json(evm::Revision::Osaka, 31337, hash256{});
    EXPECT_TRUE(c["next"].is_null());
    EXPECT_TRUE(c["last"].is_null());
    const json& cur = c["current"];
    EXPECT_EQ(cur["chainId"], "0x7a69");
    EXPECT_EQ(cur["activationTime"], 0);
    EXPECT_EQ(cur["precompiles"]["P256VERIFY"], "0x0000000000000000000000000000000000000100");
    EXPECT_EQ(cur["precompiles"]["MODEXP"], "0x0000000000000000000000000000000000000005");
    EXPECT_EQ(cur["systemContracts"]["HISTORY_STORAGE_ADDRESS"],
              "0x0000f90827f1c53a10cb7a02335b175320002935");
    EXPECT_EQ(cur["blobSchedule"],
              json({{"baseFeeUpdateFraction", 5007716}, {"max", 9}, {"target", 6}}));
}

TEST(EthConfig, CancunHasItsOwnBlobScheduleAndNoPragueContracts) {
    const json cur = fork_config_json(evm::Revision::Cancun, 1, hash256{});
    EXPECT_EQ(cur["blobSchedule"],
              json({{"baseFeeUpdateFraction", 3338477}, {"max", 6}, {"target", 3}}));
    EXPECT_TRUE(cur["systemContracts"].contains("BEACON_ROOTS_ADDRESS"));
    EXPECT_FALSE(cur["systemContracts"].contains("HISTORY_STORAGE_ADDRESS"));
    EXPECT_FALSE(cur["precompiles"].contains("P256VERIFY"));
    EXPECT_EQ(cur["precompiles"]["ECREC"], "0x0000000000000000000000000000000000000001");
}

TEST(EthConfig, TheClientVersionEndsWithTheFork) {
    EXPECT_EQ(client_version_with_fork("krnld/v0.1.0/linux-x86_64", evm::Revision::Osaka),
              "krnld/v0.1.0/linux-x86_64/osaka");
}

}  // namespace krnl::rpc
