// EIP-6110: validator deposits as EIP-7685 requests, read from the DepositEvent logs the deposit
// contract emits during a block.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "chain/execution.hpp"

namespace krnl::chain {

// 0x00000000219ab540356cBB839Cbe05303d7705Fa: mainnet's deposit contract, which the official
// fixtures use too. krnld's own chains have none unless their config names one.
inline constexpr address kMainnetDepositContractAddress{{0x00, 0x00, 0x00, 0x00, 0x21, 0x9a, 0xb5,
                                                         0x40, 0x35, 0x6c, 0xbb, 0x83, 0x9c, 0xbe,
                                                         0x05, 0x30, 0x3d, 0x77, 0x05, 0xfa}};

// keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)"), the event's first topic.
inline constexpr hash256 kDepositEventSignature{{0x64, 0x9b, 0xbc, 0x62, 0xd0, 0xe3, 0x13, 0x42,
                                                 0xaf, 0xea, 0x4e, 0x5c, 0xd8, 0x2d, 0x40, 0x49,
                                                 0xe7, 0xe1, 0xee, 0x91, 0x2f, 0xc0, 0x88, 0x9a,
                                                 0xa7, 0x90, 0x80, 0x3b, 0xe3, 0x90, 0x38, 0xc5}};

// The ABI encoding of a DepositEvent: five offsets, then each field as a length word and its data
// padded to whole words.
inline constexpr size_t kDepositEventDataSize = 576;
// A request: pubkey (48) || withdrawal_credentials (32) || amount (8, little-endian gwei) ||
// signature (96) || index (8, little-endian).
inline constexpr size_t kDepositRequestSize = 48 + 32 + 8 + 96 + 8;

// The deposit request of one DepositEvent's data, or why its layout is not the deposit
// contract's (a length, offset or field size differs): such a log makes the block invalid.
std::expected<bytes, std::string> deposit_request_from_event(bytes_view data);

// The deposit request data of a block (the requests concatenated, without the type byte): every
// log of `contract` whose first topic is kDepositEventSignature, in receipt and log order.
std::expected<bytes, std::string> deposit_requests(const std::vector<Receipt>& receipts,
                                                   const address& contract);

}  // namespace krnl::chain
