// What the chain's tests share: the test mnemonic's dev keys, a genesis funding them, and a signed
// EIP-1559 transfer (chain_test, chain_next_block_test).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>

#include "chain/chain.hpp"
#include "common/hd_wallet.hpp"
#include "common/secp256k1.hpp"

namespace krnl::chain::testing_support {

struct DevKey {
    bytes32 secret;
    address addr;
};

inline DevKey dev_key(uint32_t i) {
    const bytes32 secret = *hd::ethereum_account_key(hd::kTestMnemonic, i);
    return {secret, *secp256k1::address_from_secret(secret)};
}

// A genesis where each key holds a million ether.
inline ChainConfig funded_config(std::initializer_list<DevKey> keys) {
    ChainConfig config;
    for (const DevKey& key : keys)
        config.alloc[key.addr].balance = uint256(1'000'000) * uint256(1'000'000'000'000'000'000);
    return config;
}

inline Transaction transfer(const DevKey& from, uint64_t nonce, const address& to, uint64_t value,
                            uint64_t fee_cap = 2'000'000'000, uint64_t tip = 1) {
    Transaction tx;
    tx.type = TxType::DynamicFee;
    tx.chain_id = 31337;
    tx.nonce = nonce;
    tx.max_fee_per_gas = fee_cap;
    tx.max_priority_fee_per_gas = tip;
    tx.gas_limit = 21000;
    tx.to = to;
    tx.value = value;
    EXPECT_TRUE(sign_transaction(tx, from.secret));
    return tx;
}

}  // namespace krnl::chain::testing_support
