// Blocks and headers: what the strict decoders accept re-encodes to the same bytes, hashes the
// same after a second decode, and its body roots can be computed.
#include <cstddef>
#include <cstdint>

#include "chain/block.hpp"
#include "check.hpp"

using namespace krnl;
using namespace krnl::chain;

namespace {

void check_header(bytes_view input) {
    auto header = decode_block_header(input);
    if (!header) return;
    const bytes encoded = encode_block_header(*header);
    FUZZ_CHECK(bytes_view(encoded) == input);
    auto again = decode_block_header(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(block_hash(*again) == block_hash(*header));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const bytes_view input(data, size);
    // Both are RLP lists: the same bytes are tried as a header and as a block.
    check_header(input);
    auto block = decode_block(input);
    if (!block) {
        FUZZ_CHECK(!decode_error_message(block.error()).empty());
        return 0;
    }
    const bytes encoded = encode_block(*block);
    FUZZ_CHECK(bytes_view(encoded) == input);
    auto again = decode_block(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode_block(*again) == encoded);
    FUZZ_CHECK(block_hash(again->header) == block_hash(block->header));
    FUZZ_CHECK(again->transactions.size() == block->transactions.size());
    for (size_t i = 0; i < block->transactions.size(); ++i) {
        FUZZ_CHECK(transaction_hash(again->transactions[i]) ==
                   transaction_hash(block->transactions[i]));
    }
    (void)transactions_root(block->transactions);
    (void)ommers_hash(block->ommers);
    if (block->withdrawals) (void)withdrawals_root(*block->withdrawals);
    return 0;
}
