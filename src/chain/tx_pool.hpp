// The transaction pool: per sender in nonce order, pending (executable from the account's nonce
// on) and queued (behind a gap), replacement by a fee bump, and bounds. It holds no state: the
// caller checks a transaction against the account before adding it and says which nonces an
// account has reached.
#pragma once

#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "chain/transaction.hpp"

namespace krnl::chain {

struct PooledTx {
    Transaction tx;
    address sender;
    hash256 hash;
    uint64_t arrival = 0;     // order of arrival, the tie-break between equal tips
    size_t encoded_size = 0;  // set by the pool: what the transaction counts against its bytes
};

enum class PoolError : uint8_t {
    AlreadyKnown,
    ReplacementUnderpriced,  // same sender and nonce without a 10% bump of both fee fields
    PoolFull,
    PoolBytesFull,  // the pooled transactions' encoded sizes reach Limits::max_bytes
    SenderFull,     // too many transactions from one sender
    NonceTooFarAhead,
};

std::string_view pool_error_message(PoolError error);

class TxPool {
public:
    struct Limits {
        size_t max_transactions = 8192;
        // Bound on the encoded sizes of all pooled transactions together: a count alone let 128
        // KiB or larger transactions add up to gigabytes. A full pool refuses rather than evicts
        // (a dev node's pool is small; evicting the cheapest, as geth does, would let a caller
        // with higher fees push out transactions already acknowledged to someone else).
        size_t max_bytes = size_t{64} << 20;
        size_t max_per_sender = 256;
        uint64_t max_nonce_gap = 1024;  // how far ahead of the account's nonce a queued tx may be
        unsigned price_bump_percent = 10;
    };

    explicit TxPool(Limits limits) : limits_(limits) {}
    TxPool() : TxPool(Limits{}) {}

    // Adds a transaction whose nonce is at least `account_nonce`. Returns the hash of the
    // transaction it replaced, if any.
    std::expected<std::optional<hash256>, PoolError> add(PooledTx tx, uint64_t account_nonce);

    const PooledTx* find(const hash256& hash) const;
    bool remove(const hash256& hash);
    // Drops the sender's transactions below `account_nonce` (mined, or made stale by a dev edit).
    std::vector<hash256> remove_below(const address& sender, uint64_t account_nonce);
    void clear();

    // The next nonce for a sender counting its pending transactions (eth_getTransactionCount
    // with "pending").
    uint64_t pending_nonce(const address& sender, uint64_t account_nonce) const;

    // Executable transactions in mining order: each sender's from its account nonce without gaps,
    // and across senders the highest effective tip over `base_fee` first (arrival breaks ties).
    // Transactions whose fee cap is below the base fee wait.
    std::vector<const PooledTx*> executable(const std::function<uint64_t(const address&)>& nonce_of,
                                            const uint256& base_fee) const;

    std::vector<const PooledTx*> all() const;
    size_t size() const { return by_hash_.size(); }
    // The encoded sizes of the pooled transactions, summed.
    size_t bytes() const { return bytes_; }
    // Pending / queued split for txpool_status, given the account nonces.
    std::pair<size_t, size_t> counts(const std::function<uint64_t(const address&)>& nonce_of) const;

private:
    Limits limits_;
    uint64_t arrivals_ = 0;
    size_t bytes_ = 0;
    std::unordered_map<address, std::map<uint64_t, PooledTx>> by_sender_;
    std::unordered_map<hash256, std::pair<address, uint64_t>> by_hash_;
};

}  // namespace krnl::chain
