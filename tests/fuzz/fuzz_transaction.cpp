// Transactions (types 0-4): what the strict decoder accepts re-encodes to the same bytes and
// decodes again to the same transaction; hashing, sender recovery and the gas rules accept it.
#include <cstddef>
#include <cstdint>

#include "chain/transaction.hpp"
#include "check.hpp"

using namespace krnl;
using namespace krnl::chain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const bytes_view input(data, size);
    auto tx = decode_transaction(input);
    if (!tx) {
        FUZZ_CHECK(!decode_error_message(tx.error()).empty());
        return 0;
    }
    const bytes encoded = encode_transaction(*tx);
    FUZZ_CHECK(bytes_view(encoded) == input);
    auto again = decode_transaction(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode_transaction(*again) == encoded);
    FUZZ_CHECK(transaction_hash(*again) == transaction_hash(*tx));
    FUZZ_CHECK(signing_hash(*again) == signing_hash(*tx));

    // Everything a node does with a decoded transaction before it looks at state.
    FUZZ_CHECK(recover_sender(*tx) == recover_sender(*again));
    for (auto rev : {evm::Revision::London, evm::Revision::Cancun, evm::Revision::Prague}) {
        FUZZ_CHECK(intrinsic_gas(*tx, rev) >= 21000);
        (void)calldata_floor_gas(*tx, rev);
        (void)validate_transaction(*tx, rev, tx->chain_id.value_or(1));
    }
    for (const auto& auth : tx->authorization_list) {
        (void)authorization_signing_hash(auth);
        (void)recover_authority(auth);
    }
    return 0;
}
