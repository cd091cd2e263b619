#include "chain/transaction.hpp"

#include <gtest/gtest.h>

#include "common/keccak.hpp"

namespace krnl::chain {
namespace {

bytes hex(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b) << s;
    return b.value_or(bytes{});
}

std::string repeat(std::string_view s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i)
        out += s;
    return out;
}

uint256 u256(std::string_view s) {
    return parse_uint256(s).value();
}

// The key and address of the EIP-155 example.
const bytes32 kKey =
    *fixed_from_hex<32>("0x4646464646464646464646464646464646464646464646464646464646464646");
const address kKeyAddress = *fixed_from_hex<20>("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
const address kTo = *fixed_from_hex<20>("0x3535353535353535353535353535353535353535");
const uint256 kCurveOrder =
    u256("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

// EIP-155 example: nonce 9, 20 gwei, 21000 gas, 1 ether to 0x3535..35, chain id 1.
constexpr std::string_view kEip155Signed =
    "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
    "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761a"
    "ecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

Transaction eip155_unsigned() {
    Transaction tx;
    tx.chain_id = 1;
    tx.nonce = 9;
    tx.max_fee_per_gas = tx.max_priority_fee_per_gas = uint256(20'000'000'000);
    tx.gas_limit = 21000;
    tx.to = kTo;
    tx.value = uint256(1'000'000'000'000'000'000);
    return tx;
}

Transaction dynamic_fee_tx() {
    Transaction tx;
    tx.type = TxType::DynamicFee;
    tx.chain_id = 1;
    tx.max_priority_fee_per_gas = uint256(1);
    tx.max_fee_per_gas = uint256(2);
    tx.gas_limit = 21000;
    tx.to = kTo;
    return tx;
}

Transaction signed_tx(Transaction tx) {
    EXPECT_TRUE(sign_transaction(tx, kKey));
    return tx;
}

DecodeErrorCode decode_code(std::string_view encoded) {
    auto tx = decode_transaction(hex(encoded));
    EXPECT_FALSE(tx) << encoded;
    return tx ? DecodeErrorCode::Empty : tx.error().code;
}

TEST(Transaction, Eip155ExampleSigningHash) {
    const Transaction tx = eip155_unsigned();
    // The EIP lists the signing payload and its hash.
    EXPECT_EQ(to_hex(keccak256(hex("0xec098504a817c800825208943535353535353535353535353535353535353"
                                   "535880de0b6b3a764000080018080"))),
              "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    EXPECT_EQ(to_hex(signing_hash(tx)),
              "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
}

TEST(Transaction, Eip155ExampleDecodeRecoverAndSign) {
    const bytes encoded = hex(kEip155Signed);
    auto tx = decode_transaction(encoded);
    ASSERT_TRUE(tx) << decode_error_message(tx.error());
    EXPECT_EQ(tx->type, TxType::Legacy);
    EXPECT_EQ(tx->chain_id, std::optional<uint64_t>(1));
    EXPECT_EQ(tx->nonce, 9u);
    EXPECT_EQ(tx->gas_price(), uint256(20'000'000'000));
    EXPECT_EQ(tx->gas_limit, 21000u);
    EXPECT_EQ(tx->to, std::optional<address>(kTo));
    EXPECT_EQ(tx->value, uint256(1'000'000'000'000'000'000));
    EXPECT_EQ(tx->v, uint256(37));
    EXPECT_EQ(
        tx->r,
        u256("18515461264373351373200002665853028612451056578545711640558177340181847433846"));
    EXPECT_EQ(
        tx->s,
        u256("46948507304638947509940763649030358759909902576025900602547168820602576006531"));
    EXPECT_EQ(encode_transaction(*tx), encoded);
    EXPECT_EQ(transaction_hash(*tx), keccak256(encoded));
    EXPECT_EQ(recover_sender(*tx), std::optional<address>(kKeyAddress));

    // Deterministic (RFC 6979) signing reproduces the EIP's signature byte for byte.
    Transaction fresh = signed_tx(eip155_unsigned());
    EXPECT_EQ(encode_transaction(fresh), encoded);
}

TEST(Transaction, LegacyVRules) {
    auto tx = *decode_transaction(hex(kEip155Signed));
    // v must match the chain id the signing hash commits to.
    tx.v = uint256(39);  // chain id 2, but the stored chain id is 1
    EXPECT_FALSE(recover_sender(tx));
    tx.v = uint256(27);
    EXPECT_FALSE(recover_sender(tx));

    // Pre-EIP-155 signature: v is 27 or 28 and the chain id is absent.
    Transaction plain = eip155_unsigned();
    plain.chain_id.reset();
    plain = signed_tx(plain);
    EXPECT_TRUE(plain.v == uint256(27) || plain.v == uint256(28));
    EXPECT_EQ(recover_sender(plain), std::optional<address>(kKeyAddress));
    auto decoded = decode_transaction(encode_transaction(plain));
    ASSERT_TRUE(decoded);
    EXPECT_FALSE(decoded->chain_id);
    EXPECT_EQ(recover_sender(*decoded), std::optional<address>(kKeyAddress));
    plain.v = uint256(29);
    EXPECT_FALSE(recover_sender(plain));
}

TEST(Transaction, HighSIsRejectedFromHomestead) {
    Transaction tx = eip155_unsigned();
    tx.chain_id.reset();
    tx = signed_tx(tx);
    ASSERT_EQ(check_transaction(tx, evm::Revision::Frontier, 1), kKeyAddress);

    // (r, n - s) with the other recovery id is the same ECDSA signature with a high s (EIP-2).
    Transaction flipped = tx;
    flipped.s = kCurveOrder - tx.s;
    flipped.v = tx.v == uint256(27) ? uint256(28) : uint256(27);
    EXPECT_FALSE(recover_sender(flipped));
    EXPECT_EQ(check_transaction(flipped, evm::Revision::Frontier, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(flipped, evm::Revision::Homestead, 1),
              std::unexpected(TxError::InvalidSignature));

    // r and s must lie in [1, n).
    Transaction bad = tx;
    bad.r = uint256(0);
    EXPECT_FALSE(recover_sender(bad));
    bad = tx;
    bad.s = kCurveOrder;
    EXPECT_FALSE(recover_sender(bad));
}

TEST(Transaction, Eip155NeedsSpuriousDragonAndMatchingChain) {
    auto tx = *decode_transaction(hex(kEip155Signed));
    EXPECT_EQ(check_transaction(tx, evm::Revision::Homestead, 1),
              std::unexpected(TxError::InvalidSignature));
    EXPECT_EQ(check_transaction(tx, evm::Revision::SpuriousDragon, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(tx, evm::Revision::Cancun, 5),
              std::unexpected(TxError::WrongChainId));
}

TEST(Transaction, DynamicFeeLayout) {
    const Transaction tx = dynamic_fee_tx();
    // 0x02 || rlp([chain_id, nonce, tip, fee cap, gas, to, value, data, access_list])
    const bytes preimage = hex("0x02df0180010282520894" + repeat("35", 20) + "8080c0");
    EXPECT_EQ(signing_hash(tx), keccak256(preimage));

    const Transaction s = signed_tx(tx);
    const bytes encoded = encode_transaction(s);
    ASSERT_GE(encoded.size(), 2u);
    EXPECT_EQ(encoded[0], 0x02);
    EXPECT_EQ(transaction_hash(s), keccak256(encoded));
    EXPECT_EQ(recover_sender(s), std::optional<address>(kKeyAddress));

    auto decoded = decode_transaction(encoded);
    ASSERT_TRUE(decoded) << decode_error_message(decoded.error());
    EXPECT_EQ(decoded->type, TxType::DynamicFee);
    EXPECT_EQ(decoded->max_priority_fee_per_gas, uint256(1));
    EXPECT_EQ(decoded->max_fee_per_gas, uint256(2));
    EXPECT_EQ(decoded->y_parity, s.y_parity);
    EXPECT_EQ(encode_transaction(*decoded), encoded);
    EXPECT_EQ(recover_sender(*decoded), std::optional<address>(kKeyAddress));

    Transaction bad_parity = s;
    bad_parity.y_parity = 2;
    EXPECT_FALSE(recover_sender(bad_parity));
}

TEST(Transaction, AccessListLayoutAndGas) {
    Transaction tx;
    tx.type = TxType::AccessList;
    tx.chain_id = 1;
    tx.nonce = 1;
    tx.max_fee_per_gas = tx.max_priority_fee_per_gas = uint256(10);
    tx.gas_limit = 30000;
    tx.to = kTo;
    tx.value = uint256(5);
    tx.data = hex("0x00ff");
    tx.access_list.push_back(
        {*fixed_from_hex<20>("0x" + repeat("11", 20)), {bytes32::from_view(hex("0x01"))}});

    const bytes expected = hex("0x01f85901010a82753094" + repeat("35", 20) + "058200ff" +
                               "f838f794" + repeat("11", 20) + "e1a0" + repeat("00", 31) + "01");
    EXPECT_EQ(signing_hash(tx), keccak256(expected));

    // 21000 + 4 (zero byte) + 16 (non-zero byte) + 2400 (address) + 1900 (key)
    EXPECT_EQ(intrinsic_gas(tx, evm::Revision::Berlin), 25320);

    const Transaction s = signed_tx(tx);
    auto decoded = decode_transaction(encode_transaction(s));
    ASSERT_TRUE(decoded) << decode_error_message(decoded.error());
    ASSERT_EQ(decoded->access_list.size(), 1u);
    EXPECT_EQ(decoded->access_list[0].addr, tx.access_list[0].addr);
    EXPECT_EQ(decoded->access_list[0].storage_keys, tx.access_list[0].storage_keys);
    EXPECT_EQ(decoded->data, tx.data);
    EXPECT_EQ(check_transaction(*decoded, evm::Revision::Berlin, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(*decoded, evm::Revision::Istanbul, 1),
              std::unexpected(TxError::TypeNotSupported));
}

TEST(Transaction, BlobTransactionRoundTrip) {
    Transaction tx = dynamic_fee_tx();
    tx.type = TxType::Blob;
    tx.max_fee_per_blob_gas = uint256(7);
    hash256 h = keccak256(as_bytes("blob"));
    h[0] = 0x01;
    tx.blob_versioned_hashes = {h, h};
    tx = signed_tx(tx);

    const bytes encoded = encode_transaction(tx);
    EXPECT_EQ(encoded[0], 0x03);
    auto decoded = decode_transaction(encoded);
    ASSERT_TRUE(decoded) << decode_error_message(decoded.error());
    EXPECT_EQ(decoded->max_fee_per_blob_gas, uint256(7));
    EXPECT_EQ(decoded->blob_versioned_hashes, tx.blob_versioned_hashes);
    EXPECT_EQ(encode_transaction(*decoded), encoded);
    EXPECT_EQ(check_transaction(*decoded, evm::Revision::Cancun, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(*decoded, evm::Revision::Shanghai, 1),
              std::unexpected(TxError::TypeNotSupported));

    // A blob transaction cannot create: an empty `to` does not decode.
    Transaction creation = tx;
    creation.to.reset();
    auto bad = decode_transaction(encode_transaction(creation));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, DecodeErrorCode::BadAddress);
}

TEST(Transaction, BlobChecks) {
    Transaction tx = dynamic_fee_tx();
    tx.type = TxType::Blob;
    hash256 h{};
    h[0] = 0x01;

    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Cancun, 1),
              std::unexpected(TxError::NoBlobs));
    tx.blob_versioned_hashes.assign(7, h);
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Cancun, 1),
              std::unexpected(TxError::TooManyBlobs));
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Prague, 1), kKeyAddress);
    tx.blob_versioned_hashes.assign(1, hash256{});
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Cancun, 1),
              std::unexpected(TxError::BadBlobHashVersion));
}

TEST(Transaction, AuthorizationSigning) {
    Authorization auth;
    auth.chain_id = uint256(1);
    auth.addr = kTo;
    auth.nonce = 7;
    // 0x05 || rlp([chain_id, address, nonce])
    EXPECT_EQ(authorization_signing_hash(auth),
              keccak256(hex("0x05d70194" + repeat("35", 20) + "07")));

    ASSERT_TRUE(sign_authorization(auth, kKey));
    EXPECT_EQ(recover_authority(auth), std::optional<address>(kKeyAddress));

    Authorization high_s = auth;
    high_s.s = kCurveOrder - auth.s;
    high_s.y_parity = 1 - auth.y_parity;
    EXPECT_FALSE(recover_authority(high_s));

    Authorization bad_parity = auth;
    bad_parity.y_parity = 2;
    EXPECT_FALSE(recover_authority(bad_parity));

    Authorization other_nonce = auth;
    other_nonce.nonce = 8;
    EXPECT_NE(recover_authority(other_nonce), std::optional<address>(kKeyAddress));
}

TEST(Transaction, SetCodeRoundTripAndGas) {
    Authorization auth;
    auth.chain_id = uint256(0);  // valid on any chain
    auth.addr = kTo;
    auth.nonce = 3;
    ASSERT_TRUE(sign_authorization(auth, kKey));

    Transaction tx = dynamic_fee_tx();
    tx.type = TxType::SetCode;
    tx.gas_limit = 100000;
    tx.authorization_list = {auth, auth};
    tx = signed_tx(tx);

    EXPECT_EQ(intrinsic_gas(tx, evm::Revision::Prague), 21000 + 2 * 25000);
    const bytes encoded = encode_transaction(tx);
    EXPECT_EQ(encoded[0], 0x04);
    auto decoded = decode_transaction(encoded);
    ASSERT_TRUE(decoded) << decode_error_message(decoded.error());
    ASSERT_EQ(decoded->authorization_list.size(), 2u);
    EXPECT_EQ(decoded->authorization_list[1].nonce, 3u);
    EXPECT_EQ(decoded->authorization_list[1].addr, kTo);
    EXPECT_EQ(recover_authority(decoded->authorization_list[1]),
              std::optional<address>(kKeyAddress));
    EXPECT_EQ(encode_transaction(*decoded), encoded);
    EXPECT_EQ(check_transaction(*decoded, evm::Revision::Prague, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(*decoded, evm::Revision::Cancun, 1),
              std::unexpected(TxError::TypeNotSupported));

    tx.authorization_list.clear();
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Prague, 1),
              std::unexpected(TxError::EmptyAuthorizationList));
}

TEST(Transaction, IntrinsicGasPerRevision) {
    Transaction create;
    create.data = hex("0x0001");
    EXPECT_EQ(intrinsic_gas(create, evm::Revision::Frontier), 21000 + 4 + 68);
    EXPECT_EQ(intrinsic_gas(create, evm::Revision::Homestead), 53000 + 4 + 68);
    EXPECT_EQ(intrinsic_gas(create, evm::Revision::Istanbul), 53000 + 4 + 16);
    EXPECT_EQ(intrinsic_gas(create, evm::Revision::Shanghai), 53000 + 4 + 16 + 2);

    create.data = bytes(33, 0xaa);  // two initcode words
    EXPECT_EQ(intrinsic_gas(create, evm::Revision::Shanghai), 53000 + 33 * 16 + 4);

    Transaction call;
    call.to = kTo;
    call.data = bytes(33, 0xaa);
    EXPECT_EQ(intrinsic_gas(call, evm::Revision::Shanghai), 21000 + 33 * 16);
}

TEST(Transaction, CalldataFloorGas) {
    Transaction tx = dynamic_fee_tx();
    tx.data = bytes(100, 0x01) + bytes(10, 0x00);
    EXPECT_EQ(calldata_floor_gas(tx, evm::Revision::Cancun), 0);
    // tokens = 10 + 4 * 100 = 410
    EXPECT_EQ(calldata_floor_gas(tx, evm::Revision::Prague), 21000 + 10 * 410);
    EXPECT_EQ(intrinsic_gas(tx, evm::Revision::Prague), 21000 + 1600 + 40);

    // Enough for the intrinsic cost, not for the Prague floor.
    tx.gas_limit = 23000;
    tx = signed_tx(tx);
    EXPECT_EQ(check_transaction(tx, evm::Revision::Cancun, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(tx, evm::Revision::Prague, 1),
              std::unexpected(TxError::IntrinsicGasTooLow));
}

TEST(Transaction, StaticChecks) {
    const Transaction base = dynamic_fee_tx();
    EXPECT_EQ(check_transaction(signed_tx(base), evm::Revision::London, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(signed_tx(base), evm::Revision::Berlin, 1),
              std::unexpected(TxError::TypeNotSupported));
    EXPECT_EQ(check_transaction(signed_tx(base), evm::Revision::London, 5),
              std::unexpected(TxError::WrongChainId));

    Transaction tx = base;
    tx.nonce = UINT64_MAX;  // EIP-2681
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::London, 1),
              std::unexpected(TxError::NonceMax));
    tx.nonce = UINT64_MAX - 1;
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::London, 1), kKeyAddress);

    tx = base;
    tx.max_priority_fee_per_gas = uint256(3);
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::London, 1),
              std::unexpected(TxError::TipAboveFeeCap));

    tx = base;
    tx.max_priority_fee_per_gas = uint256(0);
    tx.max_fee_per_gas = uint256(1) << 250;  // * 21000 needs more than 256 bits
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::London, 1),
              std::unexpected(TxError::GasLimitPriceOverflow));

    tx = base;
    tx.gas_limit = 20999;
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::London, 1),
              std::unexpected(TxError::IntrinsicGasTooLow));

    tx = base;
    tx.to.reset();
    tx.gas_limit = 10'000'000;
    tx.data = bytes(49152 + 1, 0);
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Paris, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Shanghai, 1),
              std::unexpected(TxError::InitcodeTooLarge));
    tx.data.pop_back();
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Shanghai, 1), kKeyAddress);
}

TEST(Transaction, StrictDecoding) {
    // Nine empty fields decode (the signature is then unusable).
    auto empty = decode_transaction(hex("0xc9808080808080808080"));
    ASSERT_TRUE(empty);
    EXPECT_FALSE(recover_sender(*empty));
    EXPECT_FALSE(empty->to);

    EXPECT_EQ(decode_code(""), DecodeErrorCode::Empty);
    EXPECT_EQ(decode_code("0xc9808080808080808080"
                          "00"),
              DecodeErrorCode::TrailingBytes);
    EXPECT_EQ(decode_code("0xc88080808080808080"), DecodeErrorCode::WrongFieldCount);
    EXPECT_EQ(decode_code("0xca80808080808080808080"), DecodeErrorCode::WrongFieldCount);
    EXPECT_EQ(decode_code("0xcb820001" + repeat("80", 8)), DecodeErrorCode::Rlp);        // 0x0001
    EXPECT_EQ(decode_code("0xc900" + repeat("80", 8)), DecodeErrorCode::Rlp);            // 0x00
    EXPECT_EQ(decode_code("0xca808080808101" + repeat("80", 4)), DecodeErrorCode::Rlp);  // 0x8101
    EXPECT_EQ(decode_code("0xcc808080838080808080808080"), DecodeErrorCode::BadAddress);
    EXPECT_EQ(decode_code("0xc9808080c0" + repeat("80", 5)), DecodeErrorCode::Rlp);  // list `to`
    EXPECT_EQ(decode_code("0x05c0"), DecodeErrorCode::UnsupportedType);
    EXPECT_EQ(decode_code("0x00c0"), DecodeErrorCode::UnsupportedType);
    EXPECT_EQ(decode_code("0x80"), DecodeErrorCode::UnsupportedType);
    EXPECT_EQ(decode_code("0x0280"), DecodeErrorCode::NotAList);
    EXPECT_EQ(decode_code("0x02"), DecodeErrorCode::Rlp);

    // A typed signature's y_parity is 0 or 1.
    const std::string fields = "0180010282520894" + repeat("35", 20) + "8080c0";
    EXPECT_EQ(decode_code("0x02e2" + fields + "020101"), DecodeErrorCode::BadYParity);
    EXPECT_TRUE(decode_transaction(hex("0x02e2" + fields + "010101")));
    EXPECT_EQ(decode_code("0x02e1" + fields + "0101"), DecodeErrorCode::WrongFieldCount);

    // Access-list items: 20-byte addresses and 32-byte keys.
    const std::string head = "01800a82753094" + repeat("35", 20) + "8080";
    const std::string short_addr = "d6d593" + repeat("11", 19) + "c0";
    EXPECT_EQ(decode_code("0x01f7" + head + short_addr + "800101"), DecodeErrorCode::BadAddress);
    const std::string short_key = "f7f694" + repeat("11", 20) + "e09f" + repeat("22", 31);
    EXPECT_EQ(decode_code("0x01f858" + head + short_key + "800101"), DecodeErrorCode::BadHash);
    const std::string good_key = "f838f794" + repeat("11", 20) + "e1a0" + repeat("22", 32);
    EXPECT_TRUE(decode_transaction(hex("0x01f85a" + head + good_key + "800101")));
}

}  // namespace

TEST(Transaction, OsakaCapsGasLimitAndBlobsPerTransaction) {
    Transaction tx = dynamic_fee_tx();
    tx.gas_limit = kMaxTxGasLimitOsaka;  // 2^24 exactly is allowed (EIP-7825)
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Osaka, 1), kKeyAddress);
    tx.gas_limit = kMaxTxGasLimitOsaka + 1;
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Osaka, 1),
              std::unexpected(TxError::GasLimitAboveCap));
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Prague, 1), kKeyAddress);

    // EIP-7594: at most 6 blobs per transaction from Osaka, though a Prague block takes 9.
    tx = dynamic_fee_tx();
    tx.type = TxType::Blob;
    hash256 h{};
    h[0] = 0x01;
    tx.blob_versioned_hashes.assign(7, h);
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Prague, 1), kKeyAddress);
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Osaka, 1),
              std::unexpected(TxError::TooManyBlobs));
    tx.blob_versioned_hashes.assign(6, h);
    EXPECT_EQ(check_transaction(signed_tx(tx), evm::Revision::Osaka, 1), kKeyAddress);
}

}  // namespace krnl::chain
