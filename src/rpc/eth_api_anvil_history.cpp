// anvil's edits of history and identity: anvil_rollback, anvil_reorg, anvil_setChainId and
// anvil_impersonateSignature; its blob getters; and geth's debug_dbGet over the keys of geth's
// database schema that map onto this node's tables.
#include <algorithm>
#include <limits>
#include <map>

#include "chain/transaction.hpp"
#include "evm/ecrecover_override.hpp"
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {

// Transactions anvil_reorg takes at once: each is validated (and a request filled and estimated)
// before the chain is touched.
constexpr size_t kMaxReorgTransactions = 1'000;
// debug_dbGet's keys are short (a prefix, a number, a hash); anything longer is a mistake.
constexpr size_t kMaxDbKeyBytes = 256;
// The largest id whose EIP-155 legacy v (2 * id + 36) still fits in 64 bits.
constexpr uint64_t kMaxChainId = (std::numeric_limits<uint64_t>::max() - 36) / 2;

RpcError invalid_params(std::string message) {
    return {code::kInvalidParams, std::move(message)};
}

// A count as anvil takes it: a JSON number or a hex quantity.
std::expected<uint64_t, std::string> parse_count(const json& v) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number()) return std::unexpected("expected a non-negative integer");
    return parse_u64(v);
}

// anvil_reorg's options in the shapes anvil takes: [depth, pairs], {depth, tx_block_pairs}, and
// that object inside an array (as clients wrap a single argument).
struct ReorgParams {
    uint64_t depth = 0;
    const json* pairs = nullptr;
};

Result<ReorgParams> parse_reorg_params(const json& params) {
    const json* depth = nullptr;
    const json* pairs = nullptr;
    const json* obj = nullptr;
    if (params.is_object())
        obj = &params;
    else if (params.is_array() && params.size() == 1 && params[0].is_object())
        obj = &params[0];
    if (obj != nullptr) {
        const auto d = obj->find("depth");
        const auto p = obj->find("tx_block_pairs");
        if (d == obj->end()) return std::unexpected(invalid_params("missing field `depth`"));
        if (p == obj->end())
            return std::unexpected(invalid_params("missing field `tx_block_pairs`"));
        depth = &*d;
        pairs = &*p;
    } else if (params.is_array() && params.size() == 2) {
        depth = &params[0];
        pairs = &params[1];
    } else {
        return std::unexpected(invalid_params(
            "expected [depth, [[transaction, block offset], ...]] or {depth, tx_block_pairs}"));
    }
    auto d = parse_count(*depth);
    if (!d) return std::unexpected(invalid_params("invalid depth: " + d.error()));
    if (!pairs->is_array())
        return std::unexpected(
            invalid_params("tx_block_pairs must be a list of [transaction, block offset]"));
    return ReorgParams{*d, pairs};
}

// A 65-byte signature as anvil keys it (r ‖ s ‖ v).
std::expected<evm::RecoverSignature, std::string> parse_signature(const json& v) {
    auto raw = parse_data(v);
    if (!raw) return std::unexpected(raw.error());
    if (raw->size() != 65)
        return std::unexpected("a signature is 65 bytes (r, s, v), got " +
                               std::to_string(raw->size()));
    evm::RecoverSignature sig;
    std::copy(raw->begin(), raw->end(), sig.begin());
    return sig;
}

// Where the chain starts in fork mode, for the depth errors.
std::string below_fork(uint64_t first_block) {
    return first_block == 0 ? std::string() : ", fork block " + std::to_string(first_block);
}

bytes be64(uint64_t n) {
    bytes out(8, 0);
    for (int i = 7; i >= 0; --i, n >>= 8)
        out[i] = static_cast<uint8_t>(n);
    return out;
}

}  // namespace

void EthApi::register_anvil_history(MethodTable& m) {
    // [depth?] -> null: the last `depth` blocks (default 1) removed, as anvil removes them.
    m.add("anvil_rollback", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        uint64_t depth = 1;
        if (p.has(0)) {
            KRNL_RPC_TRY(d, p.number_u64(0));
            depth = d;
        }
        const uint64_t height = chain_.reader().head();
        if (depth > height - std::min(height, chain_.first_block()))
            return error(code::kInvalidParams,
                         "rollback depth must not exceed the current chain height: height " +
                             std::to_string(height) + ", depth " + std::to_string(depth) +
                             below_fork(chain_.first_block()));
        if (auto r = chain_.rollback(depth); !r) return error(code::kInternalError, r.error());
        return json();
    });

    // [depth, [[tx, block offset], ...]] -> null: the last `depth` blocks replaced by `depth` new
    // ones, offset i holding its transactions (a raw signed transaction, or a request signed by
    // a dev account or sent as an impersonated one, nonces counted from the common block).
    m.add("anvil_reorg", [this](const json& params, CallContext& ctx) -> Result<json> {
        KRNL_RPC_TRY(options, parse_reorg_params(params));
        const uint64_t depth = options.depth;
        const json& pairs = *options.pairs;
        auto reader = chain_.reader();
        const uint64_t height = reader.head();
        if (depth == 0) return error(code::kInvalidParams, "reorg depth must be at least 1");
        if (depth > height - std::min(height, chain_.first_block()))
            return error(code::kInvalidParams,
                         "reorg depth must not exceed the current chain height: height " +
                             std::to_string(height) + ", depth " + std::to_string(depth) +
                             below_fork(chain_.first_block()));
        const uint64_t budget = options_.max_blocks_mined_per_request;
        if (depth > budget || ctx.blocks_mined > budget - depth)
            return std::unexpected(limit_error(
                "a reorg of " + std::to_string(depth) + " blocks passes this request's budget (" +
                    std::to_string(ctx.blocks_mined) + " mined already)",
                budget, "max_blocks_mined_per_request"));
        if (pairs.size() > kMaxReorgTransactions)
            return std::unexpected(
                limit_error("anvil_reorg takes at most " + std::to_string(kMaxReorgTransactions) +
                                " transactions, got " + std::to_string(pairs.size()),
                            kMaxReorgTransactions, "anvil_reorg transactions"));

        // Pairs in block order (stable: a block's transactions keep the order given).
        std::vector<std::pair<uint64_t, const json*>> ordered;
        for (size_t i = 0; i < pairs.size(); ++i) {
            const json& pair = pairs[i];
            const std::string where = "tx_block_pairs[" + std::to_string(i) + "]";
            if (!pair.is_array() || pair.size() != 2)
                return error(code::kInvalidParams,
                             where + ": expected [transaction, block offset]");
            auto offset = parse_count(pair[1]);
            if (!offset)
                return error(code::kInvalidParams,
                             where + ": invalid block offset: " + offset.error());
            if (*offset >= depth)
                return error(code::kInvalidParams,
                             where + ": block offset " + std::to_string(*offset) +
                                 " must not exceed depth - 1 (" + std::to_string(depth - 1) + ")");
            if (!pair[0].is_string() && !pair[0].is_object())
                return error(
                    code::kInvalidParams,
                    where + ": a transaction is raw signed bytes (hex) or a request object");
            ordered.emplace_back(*offset, &pair[0]);
        }
        std::stable_sort(ordered.begin(), ordered.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });

        const evm::Revision rev = chain_.config().revision;
        const uint64_t chain_id = chain_.chain_id();
        auto common_state = reader.state_at(height - depth);
        std::map<address, uint64_t> nonces;  // next nonce per request sender
        std::vector<std::vector<chain::PooledTx>> blocks(depth);
        for (size_t i = 0; i < ordered.size(); ++i) {
            const auto& [offset, data] = ordered[i];
            chain::Transaction tx;
            address sender;
            if (data->is_string()) {
                auto raw = parse_data(*data);
                if (!raw)
                    return error(code::kInvalidParams, "invalid raw transaction: " + raw.error());
                auto decoded = chain::decode_transaction(*raw);
                if (!decoded)
                    return error(code::kInvalidParams,
                                 "failed to decode transaction: " +
                                     chain::decode_error_message(decoded.error()));
                auto recovered = chain::check_transaction(*decoded, rev, chain_id);
                if (!recovered)
                    return error(code::kInvalidParams,
                                 "invalid transaction: " +
                                     std::string(chain::tx_error_message(recovered.error())));
                tx = std::move(*decoded);
                sender = *recovered;
            } else {
                json request = *data;
                if (!request.contains("from") || request["from"].is_null()) {
                    if (dev_accounts_.empty())
                        return error(code::kInvalidParams,
                                     "a request without `from` needs a dev account to send it");
                    request["from"] = to_hex(dev_accounts_.front().addr);
                }
                KRNL_RPC_TRY(filled, fill_transaction(request, true));
                sender = filled.from;
                if (filled.key == nullptr && !auto_impersonate_ && !chain_.is_impersonated(sender))
                    return error(code::kInvalidParams, "unknown account " + to_hex(sender) +
                                                           ": not a dev account, not impersonated");
                tx = std::move(filled.tx);
                if (!request.contains("nonce") || request["nonce"].is_null()) {
                    auto [it, fresh] = nonces.try_emplace(sender, 0);
                    if (fresh) {
                        const auto account = common_state->read_account(sender);
                        it->second = account ? account->nonce : 0;
                    }
                    tx.nonce = it->second++;
                }
                if (filled.key != nullptr) {
                    if (!chain::sign_transaction(tx, filled.key->secret))
                        return error(code::kInternalError, "signing failed");
                } else {
                    tx = chain::with_placeholder_signature(std::move(tx), sender);
                }
            }
            if (tx.type == chain::TxType::Blob)
                return error(code::kInvalidParams,
                             "blob transactions are not supported: this chain has no blob "
                             "sidecars (EIP-4844)");
            const hash256 hash = chain::transaction_hash(tx);
            blocks[offset].push_back({std::move(tx), sender, hash});
        }
        ctx.blocks_mined += depth;
        if (auto r = chain_.reorg(depth, std::move(blocks)); !r)
            return error(code::kInternalError, "reorg failed: " + r.error());
        return json();
    });

    // [id] -> null: later transactions are signed for `id`; eth_chainId and net_version say it.
    m.add("anvil_setChainId", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(id, p.number_u64(0));
        if (id == 0 || id > kMaxChainId)
            return std::unexpected(Params::invalid(
                0, "a chain id is between 1 and " + std::to_string(kMaxChainId) +
                       " (EIP-155's v must fit in 64 bits), got " + std::to_string(id)));
        chain_.set_chain_id(id);
        return json();
    });

    // [[signature, address]] as anvil takes it (a pair in the params), or [signature, address]
    // -> null: ecrecover answers `address` for that signature from now on, whatever the digest.
    m.add("anvil_impersonateSignature", [this](const json& params, CallContext&) -> Result<json> {
        const json* pair = &params;
        if (params.is_array() && params.size() == 1 && params[0].is_array()) pair = &params[0];
        if (!pair->is_array() || pair->size() != 2)
            return error(code::kInvalidParams, "expected [signature, address]");
        auto sig = parse_signature((*pair)[0]);
        if (!sig) return error(code::kInvalidParams, "invalid signature: " + sig.error());
        auto addr = parse_address((*pair)[1]);
        if (!addr) return error(code::kInvalidParams, "invalid address: " + addr.error());
        if (!evm::add_recover_override(chain_.chain_id(), *sig, *addr))
            return std::unexpected(limit_error("the table of impersonated signatures is full",
                                               evm::kMaxRecoverOverrides,
                                               "impersonated signatures"));
        return json();
    });

    // Blobs by versioned hash / by transaction hash. This node takes no blob transactions (it
    // keeps no sidecars), so no mined transaction has blobs: both answer null, as anvil answers
    // for a hash it does not know. The answer is bounded by that: never a blob.
    m.add("anvil_getBlobByHash", [](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(hash, p.hash(0));
        (void)hash;
        return json();
    });
    m.add("anvil_getBlobsByTransactionHash", [](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(hash, p.hash(0));
        (void)hash;
        return json();
    });

    // geth's debug_dbGet: [key] (hex with 0x, else the string's bytes) -> the value, hex, or null
    // when there is none. The keys are geth's (core/rawdb/schema.go) where this node's tables hold
    // the same thing: "c" ‖ code hash -> code; "h" ‖ be64(number) ‖ hash -> header RLP; "H" ‖ hash
    // -> be64(number); "LastBlock" -> the head's hash. Read-only; a value is at most a header or
    // a contract's code.
    m.add("debug_dbGet", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(text, p.string(0));
        bytes key;
        if (text.starts_with("0x") || text.starts_with("0X")) {
            auto decoded = parse_data(json(text));
            if (!decoded) return std::unexpected(Params::invalid(0, decoded.error()));
            key = std::move(*decoded);
        } else {
            key.assign(text.begin(), text.end());
        }
        if (key.empty()) return std::unexpected(Params::invalid(0, "empty key"));
        if (key.size() > kMaxDbKeyBytes)
            return std::unexpected(Params::invalid(0, "key of " + std::to_string(key.size()) +
                                                          " bytes: keys are at most " +
                                                          std::to_string(kMaxDbKeyBytes)));
        auto reader = chain_.reader();
        const bytes_view k(key);
        if (k == as_bytes("LastBlock")) return to_hex(*reader.hash(reader.head()));
        if (k[0] == 'c' && k.size() == 33) {
            const hash256 code_hash = hash256::from_view(k.substr(1));
            if (code_hash == kEmptyKeccak) return json();  // geth stores no empty code
            const bytes code = reader.state_at(reader.head())->read_code(code_hash);
            if (code.empty()) return json();
            return to_hex(code);
        }
        if (k[0] == 'h' && k.size() == 41) {
            uint64_t number = 0;
            for (size_t i = 1; i < 9; ++i)
                number = number << 8 | k[i];
            const auto hash = reader.hash(number);
            if (!hash || *hash != hash256::from_view(k.substr(9))) return json();
            return to_hex(chain::encode_block_header(*reader.header(number)));
        }
        if (k[0] == 'H' && k.size() == 33) {
            const auto number = reader.number_of(hash256::from_view(k.substr(1)));
            if (!number) return json();
            return to_hex(be64(*number));
        }
        return std::unexpected(Params::invalid(
            0, "unsupported key " + to_hex(k) +
                   ": krnld answers geth's keys 'c' ‖ code hash, 'h' ‖ be64 number ‖ hash, "
                   "'H' ‖ hash and 'LastBlock'"));
    });
}

}  // namespace krnl::rpc
