#include "chain/deposit_requests.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::chain;

namespace {

bytes word(uint64_t v) {
    bytes32 w;
    uint256(v).store_be(w.bytes);
    return bytes(w.view());
}

bytes filled(size_t size, uint8_t first) {
    bytes b(size, 0);
    for (size_t i = 0; i < size; ++i)
        b[i] = static_cast<uint8_t>(first + i);
    return b;
}

// The fields of one deposit, and the DepositEvent data the deposit contract emits for it.
struct Deposit {
    bytes pubkey = filled(48, 0x10);
    bytes withdrawal_credentials = filled(32, 0x50);
    bytes amount = filled(8, 0x80);
    bytes signature = filled(96, 0x90);
    bytes index = filled(8, 0xf0);

    bytes request() const { return pubkey + withdrawal_credentials + amount + signature + index; }

    bytes event() const {
        bytes data = word(160) + word(256) + word(320) + word(384) + word(512);
        for (const bytes* field : {&pubkey, &withdrawal_credentials, &amount, &signature, &index}) {
            data += word(field->size());
            bytes padded = *field;
            padded.resize((field->size() + 31) / 32 * 32, 0);
            data += padded;
        }
        return data;
    }
};

Log deposit_log(bytes data, const address& contract = kMainnetDepositContractAddress) {
    return Log{contract, {kDepositEventSignature}, std::move(data)};
}

Receipt receipt_with(std::vector<Log> logs) {
    Receipt r;
    r.logs = std::move(logs);
    return r;
}

}  // namespace

TEST(DepositRequests, EventLayoutIsTheContractsAbiEncoding) {
    const Deposit d;
    ASSERT_EQ(d.event().size(), kDepositEventDataSize);
    ASSERT_EQ(d.request().size(), kDepositRequestSize);
}

TEST(DepositRequests, ValidEventBecomesTheConcatenatedFields) {
    const Deposit d;
    const auto request = deposit_request_from_event(d.event());
    ASSERT_TRUE(request) << request.error();
    EXPECT_EQ(to_hex(*request), to_hex(d.request()));
}

TEST(DepositRequests, DataOfTheWrongLengthIsRejected) {
    bytes shorter = Deposit{}.event();
    shorter.pop_back();
    bytes longer = Deposit{}.event() + bytes{0};
    for (const bytes& data : {shorter, longer, bytes{}}) {
        const auto r = deposit_request_from_event(data);
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().find("expected 576"), std::string::npos) << r.error();
    }
}

TEST(DepositRequests, EachWrongOffsetIsRejected) {
    const std::string_view names[] = {"pubkey", "withdrawal_credentials", "amount", "signature",
                                      "index"};
    for (size_t i = 0; i < 5; ++i) {
        for (uint64_t bad : {uint64_t{0}, uint64_t{32}}) {
            bytes data = Deposit{}.event();
            data.replace(32 * i, 32, word(bad));
            const auto r = deposit_request_from_event(data);
            ASSERT_FALSE(r) << "field " << names[i];
            EXPECT_NE(r.error().find(std::string(names[i]) + " offset"), std::string::npos)
                << r.error();
        }
        // An offset word with high bits set must not wrap around to the right value.
        bytes data = Deposit{}.event();
        data[32 * i] = 0x01;
        EXPECT_FALSE(deposit_request_from_event(data)) << "field " << names[i];
    }
}

TEST(DepositRequests, EachWrongSizeIsRejected) {
    const std::pair<std::string_view, size_t> fields[] = {{"pubkey", 160},
                                                          {"withdrawal_credentials", 256},
                                                          {"amount", 320},
                                                          {"signature", 384},
                                                          {"index", 512}};
    for (const auto& [name, offset] : fields) {
        for (uint64_t bad : {uint64_t{0}, uint64_t{7}, uint64_t{49}}) {
            bytes data = Deposit{}.event();
            data.replace(offset, 32, word(bad));
            const auto r = deposit_request_from_event(data);
            ASSERT_FALSE(r) << name;
            EXPECT_NE(r.error().find(std::string(name) + " size"), std::string::npos) << r.error();
        }
    }
}

TEST(DepositRequests, OnlyTheContractsDepositEventsCount) {
    Deposit first, second;
    second.index = filled(8, 0x01);
    address other = kMainnetDepositContractAddress;
    other.bytes[19] ^= 1;
    Log no_topics = deposit_log(first.event());
    no_topics.topics.clear();
    Log other_topic = deposit_log(bytes{1, 2, 3});
    other_topic.topics[0].bytes[0] ^= 1;
    const std::vector<Receipt> receipts = {
        receipt_with({deposit_log(first.event()), deposit_log(bytes{1}, other)}),
        receipt_with({}),
        receipt_with({no_topics, other_topic, deposit_log(second.event())}),
    };
    const auto requests = deposit_requests(receipts, kMainnetDepositContractAddress);
    ASSERT_TRUE(requests) << requests.error();
    EXPECT_EQ(to_hex(*requests), to_hex(first.request() + second.request()));

    // The same logs under another chain's deposit contract: only the malformed one there counts.
    const auto elsewhere = deposit_requests(receipts, other);
    ASSERT_FALSE(elsewhere);
    EXPECT_NE(elsewhere.error().find("transaction 0"), std::string::npos) << elsewhere.error();
}

TEST(DepositRequests, MalformedEventNamesItsTransaction) {
    const std::vector<Receipt> receipts = {receipt_with({}),
                                           receipt_with({deposit_log(bytes(575, 0))})};
    const auto requests = deposit_requests(receipts, kMainnetDepositContractAddress);
    ASSERT_FALSE(requests);
    EXPECT_NE(requests.error().find("transaction 1"), std::string::npos) << requests.error();
}

TEST(DepositRequests, NoReceiptsNoRequests) {
    const auto requests = deposit_requests({}, kMainnetDepositContractAddress);
    ASSERT_TRUE(requests);
    EXPECT_TRUE(requests->empty());
}
