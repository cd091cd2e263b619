// Test support for the erc7562Tracer and the ERC-7562 rule checker: a tiny assembler and a traced
// transaction through the real host and interpreter. For *_test.cpp files only.
#pragma once

#include <gtest/gtest.h>

#include "chain/execution.hpp"
#include "rpc/erc7562_tracer.hpp"

namespace krnl::rpc::testing {

struct Asm {
    bytes code;
    Asm& op(uint8_t o) {
        code.push_back(o);
        return *this;
    }
    Asm& push(const uint256& v) {
        const bytes32 w = v.to_bytes32();
        size_t first = 0;
        while (first < 31 && w[first] == 0)
            ++first;
        code.push_back(static_cast<uint8_t>(0x60 + (31 - first)));
        code.append(w.data() + first, 32 - first);
        return *this;
    }
    Asm& push(const address& a) {
        code.push_back(0x73);  // PUSH20
        code.append(a.view());
        return *this;
    }
    // CALL-like: retSize, retOffset, argsSize, argsOffset, [value], addr, gas.
    Asm& call(uint8_t opcode, const address& to, uint64_t gas, std::optional<uint64_t> value,
              uint64_t args_offset = 0, uint64_t args_size = 0, uint64_t ret_offset = 0,
              uint64_t ret_size = 0) {
        push(ret_size).push(ret_offset).push(args_size).push(args_offset);
        if (value) push(*value);
        push(to).push(gas).op(opcode);
        return *this;
    }
    // Writes `data` to memory at `offset` (whole words; the tail zero-padded).
    Asm& mstore_bytes(bytes_view data, uint64_t offset = 0) {
        for (size_t i = 0; i < data.size(); i += 32) {
            bytes32 w;
            std::memcpy(w.bytes, data.data() + i, std::min<size_t>(32, data.size() - i));
            push(uint256::from_bytes32(w)).push(offset + i).op(0x52);
        }
        return *this;
    }
    size_t size() const { return code.size(); }
};

inline address addr(uint8_t tag) {
    address a;
    for (auto& b : a.bytes)
        b = tag;
    return a;
}

inline address small_addr(uint16_t n) {
    address a;
    a[18] = static_cast<uint8_t>(n >> 8);
    a[19] = static_cast<uint8_t>(n);
    return a;
}

inline state::Account with_code(bytes code, uint256 balance = 0) {
    state::Account acc;
    acc.set_code(std::move(code));
    acc.balance = balance;
    acc.nonce = 1;
    return acc;
}

inline const address kTxSender = addr(0x5e);

struct Erc7562Run {
    Erc7562Frame root;
    json result;
    chain::Receipt receipt;
    std::optional<std::string> failure;
};

// Runs one transaction from kTxSender (funded here) to `to` on `state` under an Erc7562Tracer.
inline Erc7562Run trace_erc7562(state::State& state, const address& to, bytes data = {},
                                uint64_t gas_limit = 5'000'000, Erc7562TracerConfig config = {},
                                TraceLimits limits = {}) {
    if (state.find(kTxSender) == nullptr) {
        state::Account eoa;
        eoa.balance = uint256(1'000'000'000'000'000'000ULL);
        state.put(kTxSender, eoa);
    }
    Erc7562Tracer tracer(state, std::move(config));
    tracer.set_limits(limits);
    chain::Transaction tx;
    tx.type = chain::TxType::Legacy;
    tx.nonce = state.find(kTxSender)->nonce;
    tx.max_fee_per_gas = tx.max_priority_fee_per_gas = 10;
    tx.gas_limit = gas_limit;
    tx.to = to;
    tx.data = std::move(data);
    chain::BlockInfo block;
    block.number = 1;
    block.timestamp = 1000;
    block.gas_limit = 30'000'000;
    block.coinbase = addr(0xcb);
    block.base_fee = 7;
    evm::AnalysisCache cache;
    TraceTxInfo info{kTxSender, tx.to,        tx.nonce,   tx.value,
                     tx.data,   tx.gas_limit, addr(0xcb), evm::Revision::Cancun};
    tracer.on_tx_start(info);
    auto receipt = chain::apply_transaction(state, evm::Revision::Cancun, block, tx, kTxSender,
                                            cache, {}, &tracer);
    EXPECT_TRUE(receipt.has_value());
    if (!receipt) return {};
    const TraceTxOutcome outcome{receipt->status, receipt->output,
                                 static_cast<uint64_t>(receipt->gas_used)};
    Erc7562Run run;
    run.result = tracer.result(outcome);
    run.root = tracer.root();
    run.receipt = *receipt;
    run.failure = tracer.failure();
    return run;
}

}  // namespace krnl::rpc::testing
