#include "chain/deposit_requests.hpp"

namespace krnl::chain {

namespace {

struct Field {
    std::string_view name;
    size_t offset;  // of its length word, from the start of the data
    size_t size;
};

// The layout the deposit contract always emits; EIP-6110 rejects anything else.
constexpr Field kFields[] = {
    {"pubkey", 160, 48}, {"withdrawal_credentials", 256, 32},
    {"amount", 320, 8},  {"signature", 384, 96},
    {"index", 512, 8},
};

uint256 word_at(bytes_view data, size_t offset) {
    return uint256::load_be(data.data() + offset);
}

}  // namespace

std::expected<bytes, std::string> deposit_request_from_event(bytes_view data) {
    if (data.size() != kDepositEventDataSize)
        return std::unexpected("DepositEvent data is " + std::to_string(data.size()) +
                               " bytes, expected " + std::to_string(kDepositEventDataSize));
    bytes request;
    request.reserve(kDepositRequestSize);
    for (size_t i = 0; i < std::size(kFields); ++i) {
        const Field& f = kFields[i];
        if (const uint256 offset = word_at(data, 32 * i); offset != uint256(f.offset))
            return std::unexpected("DepositEvent " + std::string(f.name) + " offset " +
                                   to_string(offset) + ", expected " + std::to_string(f.offset));
        if (const uint256 size = word_at(data, f.offset); size != uint256(f.size))
            return std::unexpected("DepositEvent " + std::string(f.name) + " size " +
                                   to_string(size) + ", expected " + std::to_string(f.size));
        request += data.substr(f.offset + 32, f.size);
    }
    return request;
}

std::expected<bytes, std::string> deposit_requests(const std::vector<Receipt>& receipts,
                                                   const address& contract) {
    bytes requests;
    for (size_t t = 0; t < receipts.size(); ++t)
        for (const Log& log : receipts[t].logs) {
            if (log.addr != contract || log.topics.empty() ||
                log.topics[0] != kDepositEventSignature)
                continue;
            auto request = deposit_request_from_event(log.data);
            if (!request)
                return std::unexpected("transaction " + std::to_string(t) + ": " + request.error());
            requests += *request;
        }
    return requests;
}

}  // namespace krnl::chain
