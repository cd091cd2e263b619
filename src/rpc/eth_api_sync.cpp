// EIP-7966's synchronous sends (eth_sendRawTransactionSync, and eth_sendTransactionSync for node
// accounts): the receipt once a block holds the transaction, or error 4 past the timeout; and
// geth's eth_signTransaction and eth_fillTransaction ({raw, tx}).
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {

// EIP-7966's error codes.
constexpr int kTxSyncTimeout = 4;
constexpr int kTxSyncNotReady = 5;

// The wait in milliseconds: a JSON number or a quantity. Absent, zero or above the maximum: the
// node's default, as the EIP says of a timeout that is not valid.
Result<std::chrono::milliseconds> sync_timeout(const Params& p, size_t i,
                                               std::chrono::milliseconds fallback,
                                               std::chrono::milliseconds max) {
    if (!p.has(i)) return fallback;
    uint64_t ms = 0;
    if (p.at(i).is_number_unsigned()) {
        ms = p.at(i).get<uint64_t>();
    } else if (p.at(i).is_number()) {
        return std::unexpected(Params::invalid(i, "timeout must be a non-negative integer"));
    } else {
        KRNL_RPC_TRY(v, p.u64(i));
        ms = v;
    }
    if (ms == 0 || ms > static_cast<uint64_t>(max.count())) return fallback;
    return std::chrono::milliseconds(ms);
}

// Counts one waiting request; refuses past the bound (each holds a thread of the blocking pool).
class WaiterSlot {
public:
    WaiterSlot(std::atomic<size_t>& count, size_t max) : count_(count) {
        ok_ = count_.fetch_add(1) < max;
    }
    ~WaiterSlot() { count_.fetch_sub(1); }
    bool ok() const { return ok_; }

private:
    std::atomic<size_t>& count_;
    bool ok_ = false;
};

}  // namespace

Result<json> EthApi::wait_for_receipt(const hash256& hash, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        uint64_t seen = 0;
        {
            std::lock_guard lock(mined_mutex_);
            seen = blocks_seen_;
        }
        // Read after the count: a block committed since is either seen here or counted.
        auto reader = chain_.reader();
        if (auto loc = reader.find_transaction(hash)) {
            json all = block_receipts_json(reader, loc->block_number);
            if (all.is_array() && loc->index < all.size()) return all[loc->index];
        }
        std::unique_lock lock(mined_mutex_);
        if (!mined_.wait_until(lock, deadline, [&] { return blocks_seen_ != seen; }))
            return error(
                kTxSyncTimeout,
                "The transaction was added to the transaction pool but wasn't processed in " +
                    go_duration(timeout) + ".",
                json(to_hex(hash)));
    }
}

void EthApi::register_sync(MethodTable& m) {
    // Submits with `send`, then waits. With automine on, a transaction that is still pooled after
    // its submission waits for an earlier nonce: EIP-7966's "not ready" (5) at once, with the
    // nonce the account needs next.
    auto send_sync = [this](const json& params, auto&& send) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        if (!p.has(0)) return std::unexpected(Params::missing(0));
        KRNL_RPC_TRY(timeout, sync_timeout(p, 1, options_.tx_sync_default_timeout,
                                           options_.tx_sync_max_timeout));
        WaiterSlot slot(sync_waiters_, options_.max_tx_sync_waiters);
        if (!slot.ok())
            return std::unexpected(limit_error("synchronous sends waiting at once",
                                               options_.max_tx_sync_waiters,
                                               "max_tx_sync_waiters"));
        KRNL_RPC_TRY(hash, send(json::array({p.at(0)})));
        if (chain_.automine() && !chain_.reader().find_transaction(hash)) {
            if (auto pooled = chain_.pooled(hash)) {
                const uint64_t next = chain_.pending_nonce(pooled->sender);
                if (pooled->tx.nonce > next)
                    return error(kTxSyncNotReady,
                                 "The transaction was added to the transaction pool but wasn't "
                                 "processed: nonce " +
                                     std::to_string(pooled->tx.nonce) +
                                     " is ahead of the account's next nonce " + to_quantity(next),
                                 json(to_hex(hash)));
            }
        }
        return wait_for_receipt(hash, timeout);
    };
    // On the blocking pool: a wait holds no I/O thread.
    m.add_blocking("eth_sendRawTransactionSync",
                   [this, send_sync](const json& params, CallContext&) -> Result<json> {
                       return send_sync(
                           params, [this](const json& raw) { return send_raw_transaction(raw); });
                   });
    m.add_blocking("eth_sendTransactionSync",
                   [this, send_sync](const json& params, CallContext&) -> Result<json> {
                       return send_sync(params,
                                        [this](const json& obj) { return send_transaction(obj); });
                   });

    // geth's shapes: {raw, tx}. eth_signTransaction signs with a dev account's key; like
    // eth_sendTransaction it fills what the object leaves out.
    m.add_evm("eth_signTransaction", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(filled, fill_transaction(*obj, true));
        if (filled.key == nullptr)
            return error(code::kServerError, "unknown account " + to_hex(filled.from));
        if (!chain::sign_transaction(filled.tx, filled.key->secret))
            return error(code::kInternalError, "signing failed");
        return json{{"raw", to_data(chain::encode_transaction(filled.tx))},
                    {"tx", transaction_json(filled.tx, filled.from, std::nullopt)}};
    });
    // The transaction unsigned (a zero signature) with every field filled.
    m.add_evm("eth_fillTransaction", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(filled, fill_transaction(*obj, false));
        return json{{"raw", to_data(chain::encode_transaction(filled.tx))},
                    {"tx", transaction_json(filled.tx, filled.from, std::nullopt)}};
    });
}

}  // namespace krnl::rpc
