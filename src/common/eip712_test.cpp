#include "common/eip712.hpp"

#include <gtest/gtest.h>

#include "common/keccak.hpp"
#include "common/uint256.hpp"

using namespace krnl;
using namespace krnl::eip712;

namespace {

// The example of the EIP-712 specification.
json mail_example() {
    return json::parse(R"({
      "types": {
        "EIP712Domain": [
          {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
          {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
                 {"name": "contents", "type": "string"}]
      },
      "primaryType": "Mail",
      "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
                 "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
      "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!"
      }
    })");
}

// Arrays of atomics, structs and fixed arrays, a nested struct array, negative integers given as
// strings, and no EIP712Domain entry (derived from the domain, salt included). The expected digest
// was computed with viem 2.57.20's hashTypedData on the same data.
json arrays_example() {
    return json::parse(R"({
      "types": {
        "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
        "Group": [{"name": "name", "type": "string"}, {"name": "members", "type": "Person[]"}],
        "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person[]"},
                 {"name": "contents", "type": "string"}, {"name": "tags", "type": "bytes32[2]"},
                 {"name": "amounts", "type": "int128[]"}, {"name": "attachment", "type": "bytes"},
                 {"name": "urgent", "type": "bool"}, {"name": "groups", "type": "Group[]"}]
      },
      "primaryType": "Mail",
      "domain": {"name": "Ether Mail", "version": "1", "chainId": "0x1",
                 "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
                 "salt": "0x1111111111111111111111111111111111111111111111111111111111111111"},
      "message": {
        "from": {"name": "Cow", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
                                             "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"]},
        "to": [{"name": "Bob", "wallets": ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"]},
               {"name": "Alice", "wallets": []}],
        "contents": "Hello, Bob!",
        "tags": ["0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"],
        "amounts": [-5, "1000000000000000000000"],
        "attachment": "0x01020304",
        "urgent": true,
        "groups": [{"name": "g", "members": [{"name": "Dan",
                    "wallets": ["0x1212121212121212121212121212121212121212"]}]}]
      }
    })");
}

std::string digest_error(const json& data) {
    auto d = typed_data_digest(data);
    return d ? std::string("(no error)") : d.error();
}

}  // namespace

TEST(Eip712, SpecMailExample) {
    const json data = mail_example();
    auto type = encode_type(data["types"], "Mail");
    ASSERT_TRUE(type.has_value());
    EXPECT_EQ(*type,
              "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
    EXPECT_EQ(to_hex(keccak256(as_bytes(*type))),
              "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2");
    auto domain = domain_separator(data);
    ASSERT_TRUE(domain.has_value()) << domain.error();
    EXPECT_EQ(to_hex(*domain),
              "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
    auto message = hash_struct(data["types"], "Mail", data["message"]);
    ASSERT_TRUE(message.has_value()) << message.error();
    EXPECT_EQ(to_hex(*message),
              "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
    auto digest = typed_data_digest(data);
    ASSERT_TRUE(digest.has_value()) << digest.error();
    EXPECT_EQ(to_hex(*digest),
              "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
}

TEST(Eip712, ArraysNestedStructsAndImpliedDomain) {
    auto digest = typed_data_digest(arrays_example());
    ASSERT_TRUE(digest.has_value()) << digest.error();
    EXPECT_EQ(to_hex(*digest),
              "0xbb8f50b0654176c0b1d00ce01c2396f7209e3b074b241b367cc9e2b1c857747b");
}

TEST(Eip712, EncodeTypeSortsDependencies) {
    auto t = encode_type(arrays_example()["types"], "Mail");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(*t,
              "Mail(Person from,Person[] to,string contents,bytes32[2] tags,int128[] amounts,"
              "bytes attachment,bool urgent,Group[] groups)"
              "Group(string name,Person[] members)Person(string name,address[] wallets)");
}

TEST(Eip712, NumberFormsAgree) {
    // chainId as a JSON number, a decimal string and a hex string hash alike.
    json data = mail_example();
    const auto reference = typed_data_digest(data);
    ASSERT_TRUE(reference.has_value());
    for (const json& chain_id : {json("1"), json("0x1"), json("0x01")}) {
        data["domain"]["chainId"] = chain_id;
        auto d = typed_data_digest(data);
        ASSERT_TRUE(d.has_value()) << d.error();
        EXPECT_EQ(*d, *reference) << chain_id.dump();
    }
    data["domain"]["chainId"] = 2;
    EXPECT_NE(*typed_data_digest(data), *reference);
}

TEST(Eip712, DomainOnlyDigest) {
    json data = mail_example();
    data["primaryType"] = "EIP712Domain";
    auto d = typed_data_digest(data);
    ASSERT_TRUE(d.has_value());
    bytes preimage{0x19, 0x01};
    preimage.append(domain_separator(data)->view());
    EXPECT_EQ(*d, keccak256(preimage));
}

TEST(Eip712, ClearErrors) {
    json data = mail_example();
    data["types"]["Mail"][2]["type"] = "strng";
    EXPECT_EQ(digest_error(data), "unknown type strng");

    data = mail_example();
    data["message"]["from"].erase("wallet");
    EXPECT_EQ(digest_error(data), "message.from.wallet: missing");

    data = mail_example();
    data["message"]["to"]["wallet"] = "0x1234";
    EXPECT_EQ(digest_error(data), "message.to.wallet: an address needs 20 bytes");

    data = mail_example();
    data["domain"]["chainId"] = "twelve";
    EXPECT_EQ(digest_error(data), "domain.chainId: \"twelve\" is not a number");

    data = mail_example();
    data["domain"]["chainId"] = -1;
    EXPECT_EQ(digest_error(data), "domain.chainId: negative value for uint256");

    data = mail_example();
    data["primaryType"] = "Letter";
    EXPECT_EQ(digest_error(data), "unknown primaryType Letter");

    json arrays = arrays_example();
    arrays["message"]["tags"].erase(1);
    EXPECT_EQ(digest_error(arrays), "message.tags: expected 2 elements, got 1");

    arrays = arrays_example();
    arrays["message"]["amounts"][1] = "0x" + std::string(40, 'f');  // 2^160 - 1 > int128
    EXPECT_NE(digest_error(arrays).find("message.amounts[1]"), std::string::npos);

    arrays = arrays_example();
    arrays["message"]["tags"][0] = "0xaa";
    EXPECT_NE(digest_error(arrays).find("message.tags[0]"), std::string::npos);

    arrays = arrays_example();
    arrays["message"]["urgent"] = 1;
    EXPECT_EQ(digest_error(arrays), "message.urgent: expected a bool, got 1");

    EXPECT_EQ(digest_error(json::array()), "typed data must be an object");
    EXPECT_EQ(digest_error(json::object()), "typed data has no types");
}

TEST(Eip712, RecursiveTypesFollowTheData) {
    // A type may refer to itself; the data decides how deep it goes.
    const json types = json::parse(R"({
      "Node": [{"name": "value", "type": "uint8"}, {"name": "children", "type": "Node[]"}]
    })");
    auto t = encode_type(types, "Node");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(*t, "Node(uint8 value,Node[] children)");
    const json leaf = {{"value", 2}, {"children", json::array()}};
    const json root = {{"value", 1}, {"children", json::array({leaf, leaf})}};
    auto h = hash_struct(types, "Node", root);
    ASSERT_TRUE(h.has_value()) << h.error();
    // hashStruct(root) = keccak(typeHash ‖ enc(1) ‖ keccak(hash(leaf) ‖ hash(leaf))).
    const hash256 type_hash = keccak256(as_bytes(*t));
    auto leaf_hash = hash_struct(types, "Node", leaf);
    ASSERT_TRUE(leaf_hash.has_value());
    bytes children(leaf_hash->view());
    children.append(leaf_hash->view());
    bytes enc(type_hash.view());
    enc.append(uint256(1).to_bytes32().view());
    enc.append(keccak256(children).view());
    EXPECT_EQ(*h, keccak256(enc));

    // Data nested deeper than the limit is refused, not recursed into without bound.
    json deep = leaf;
    for (int i = 0; i < 100; ++i)
        deep = {{"value", 0}, {"children", json::array({deep})}};
    EXPECT_FALSE(hash_struct(types, "Node", deep).has_value());
}

TEST(Eip191, PersonalMessageHash) {
    // Reference values from viem 2.57.20's hashMessage.
    EXPECT_EQ(to_hex(personal_message_hash(as_bytes("hello world"))),
              "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68");
    const bytes hundred(100, 0xab);  // the length is written in decimal: "100"
    EXPECT_EQ(to_hex(personal_message_hash(hundred)),
              "0x704fe02d1a6bda2efd2026bab88200ad0ab304d093d01b9ae3c41341b9206709");
}
