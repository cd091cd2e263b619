// EIP-712 typed structured data hashing, from the JSON that eth_signTypedData_v4 takes, and the
// EIP-191 personal message hash of personal_sign.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"

namespace krnl::eip712 {

using json = nlohmann::json;

// keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(primaryType, message)) for a typed-data
// object {types, primaryType, domain, message}. When primaryType is "EIP712Domain" the message
// hash is left out (the digest signs the domain alone). When `types` has no EIP712Domain entry it
// is derived from the domain's fields in the standard order (name, version, chainId,
// verifyingContract, salt), as common wallets do.
//
// Values: integers as JSON numbers or decimal / 0x-hex strings (negative ones with a leading '-'),
// addresses and bytes as 0x-hex strings, bytesN of exactly N bytes, bools as JSON booleans.
// Unknown types, missing fields and values that do not fit their type are errors naming the path.
std::expected<hash256, std::string> typed_data_digest(const json& typed_data);

// The pieces, for callers and tests.
std::expected<hash256, std::string> domain_separator(const json& typed_data);
// "Mail(Person from,Person to,string contents)Person(string name,address wallet)".
std::expected<std::string, std::string> encode_type(const json& types, std::string_view primary);
std::expected<hash256, std::string> hash_struct(const json& types, std::string_view primary,
                                                const json& data);

// keccak256("\x19Ethereum Signed Message:\n" ‖ decimal length ‖ message).
hash256 personal_message_hash(bytes_view message);

}  // namespace krnl::eip712
