#include "rpc/eth_api.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "chain/receipt.hpp"
#include "common/keccak.hpp"
#include "rpc/eth_config.hpp"
#include "rpc/fork_control.hpp"
#include "state/trie_proof.hpp"

namespace krnl::rpc {

using chain::ChainReader;

namespace {

json proof_json(const std::vector<bytes>& nodes) {
    json out = json::array();
    for (const bytes& n : nodes)
        out.push_back(to_data(n));
    return out;
}

}  // namespace

EthApi::EthApi(chain::Chain& chain, std::vector<DevAccount> dev_accounts, EthApiOptions options)
    : chain_(chain), dev_accounts_(std::move(dev_accounts)), options_(std::move(options)) {
    chain_.on_block([this](const chain::BlockEvent& e) { on_block(e); });
    chain_.on_pending_transaction([this](const chain::PooledTx& t) { on_pending(t); });
    chain_.on_rewound([this](const chain::HeadRewound& e) { on_rewound(e); });
}

void EthApi::register_methods(MethodTable& m) {
    register_state(m);
    register_blocks(m);
    register_send(m);
    register_dev(m);
    register_dev_node(m);
    register_filters(m);
    register_debug(m);
    register_raw(m);
    register_sync(m);
    register_call_many(m);
    register_trace(m);
    register_ots(m);
    register_simulate(m);
    register_state_file(m);
    register_anvil(m);
}

Result<std::optional<uint64_t>> EthApi::find_block(const ChainReader& reader, const Params& p,
                                                   size_t i, bool by_hash) const {
    if (by_hash) {
        KRNL_RPC_TRY(h, p.hash(i));
        return reader.number_of(h);
    }
    KRNL_RPC_TRY(ref, p.block(i));
    if (ref.tag == BlockRef::Tag::Number && ref.number > reader.head())
        return std::optional<uint64_t>{};
    KRNL_RPC_TRY(n, resolve(reader, ref));
    return std::optional<uint64_t>(n);
}

Result<uint64_t> EthApi::resolve(const ChainReader& reader, const BlockRef& ref) const {
    using Tag = BlockRef::Tag;
    switch (ref.tag) {
        case Tag::Latest:
        case Tag::Pending:
        case Tag::Safe:
        case Tag::Finalized:
            return reader.head();
        case Tag::Earliest:
            return uint64_t{0};
        case Tag::Number:
            if (ref.number > reader.head()) return error(code::kServerError, "header not found");
            return ref.number;
        case Tag::Hash:
            if (auto n = reader.number_of(ref.hash)) return *n;
            return error(code::kServerError, "header for hash not found");
    }
    return error(code::kServerError, "header not found");
}

chain::BlockInfo EthApi::block_info(const chain::BlockHeader& header) const {
    return chain::block_info(header, chain_.chain_id());
}

const DevAccount* EthApi::dev_account(const address& addr) const {
    for (const DevAccount& a : dev_accounts_)
        if (a.addr == addr) return &a;
    return nullptr;
}

std::string EthApi::new_id() {
    // 128 random bits in hex, as geth's: an id is the only thing that lets a caller poll or
    // uninstall a filter, so another caller must not be able to guess it. Called under
    // filters_mutex_; a repeat (2^-128) is drawn again.
    for (;;) {
        std::array<uint8_t, 16> random{};
        size_t filled = 0;
        while (filled < random.size()) {
            const ssize_t n = getrandom(random.data() + filled, random.size() - filled, 0);
            if (n > 0) filled += static_cast<size_t>(n);
        }
        std::string id = to_hex(bytes_view(random.data(), random.size()));
        if (!filters_.contains(id) && !subscriptions_.contains(id)) return id;
    }
}

void EthApi::register_state(MethodTable& m) {
    m.add("web3_clientVersion", [this](const json&, CallContext&) -> Result<json> {
        return client_version_with_fork(options_.client_version, chain_.config().revision);
    });
    m.add("eth_config", [this](const json& params, CallContext&) -> Result<json> {
        if (auto r = Params(params).at_most(0); !r) return std::unexpected(r.error());
        auto reader = chain_.reader();
        return eth_config_json(chain_.config().revision, chain_.chain_id(),
                               chain::block_hash(*reader.header(0)));
    });
    m.add("web3_sha3", [](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(data, p.data(0));
        return to_hex(keccak256(data));
    });
    m.add("net_version", [this](const json&, CallContext&) -> Result<json> {
        return std::to_string(chain_.chain_id());
    });
    m.add("net_listening", [](const json&, CallContext&) -> Result<json> { return true; });
    m.add("net_peerCount", [](const json&, CallContext&) -> Result<json> { return "0x0"; });
    m.add("eth_chainId", [this](const json&, CallContext&) -> Result<json> {
        return to_quantity(chain_.chain_id());
    });
    m.add("eth_blockNumber", [this](const json&, CallContext&) -> Result<json> {
        return to_quantity(chain_.reader().head());
    });
    m.add("eth_accounts", [this](const json&, CallContext&) -> Result<json> {
        json out = json::array();
        for (const DevAccount& a : dev_accounts_)
            out.push_back(to_hex(a.addr));
        return out;
    });
    m.add("eth_coinbase",
          [this](const json&, CallContext&) -> Result<json> { return to_hex(chain_.coinbase()); });
    m.add("eth_mining",
          [this](const json&, CallContext&) -> Result<json> { return chain_.automine(); });
    m.add("eth_hashrate", [](const json&, CallContext&) -> Result<json> { return "0x0"; });
    m.add("eth_syncing", [](const json&, CallContext&) -> Result<json> { return false; });
    m.add("eth_protocolVersion", [](const json&, CallContext&) -> Result<json> { return "0x44"; });

    m.add("eth_gasPrice", [this](const json&, CallContext&) -> Result<json> {
        return to_quantity(chain_.next_block_base_fee() + options_.suggested_tip);
    });
    m.add("eth_maxPriorityFeePerGas", [this](const json&, CallContext&) -> Result<json> {
        return to_quantity(options_.suggested_tip);
    });
    m.add("eth_blobBaseFee", [this](const json&, CallContext&) -> Result<json> {
        auto r = chain_.reader();
        const auto head = r.header(r.head());
        return to_quantity(
            chain::blob_base_fee(chain::next_excess_blob_gas(*head, chain_.config().revision),
                                 chain_.config().revision));
    });

    auto account_method = [this](auto read) {
        return [this, read](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
            KRNL_RPC_TRY(addr, p.address(0));
            KRNL_RPC_TRY(ref, p.block(1));
            auto reader = chain_.reader();
            if (ref.tag == BlockRef::Tag::Pending) return read(reader, addr, std::nullopt, true);
            KRNL_RPC_TRY(number, resolve(reader, ref));
            return read(reader, addr, std::optional<uint64_t>(number), false);
        };
    };
    m.add("eth_getBalance", account_method([](const ChainReader& r, const address& a,
                                              std::optional<uint64_t> n, bool) -> Result<json> {
              auto acc = r.state_at(n.value_or(r.head()))->read_account(a);
              return to_quantity(acc ? acc->balance : uint256{});
          }));
    m.add("eth_getCode", account_method([](const ChainReader& r, const address& a,
                                           std::optional<uint64_t> n, bool) -> Result<json> {
              auto state = r.state_at(n.value_or(r.head()));
              auto acc = state->read_account(a);
              return to_data(acc ? state->read_code(acc->code_hash) : bytes{});
          }));
    m.add("eth_getTransactionCount",
          account_method([this](const ChainReader& r, const address& a, std::optional<uint64_t> n,
                                bool pending) -> Result<json> {
              if (pending) return to_quantity(chain_.pending_nonce(a));
              auto acc = r.state_at(*n)->read_account(a);
              return to_quantity(acc ? acc->nonce : 0);
          }));
    m.add("eth_getStorageAt", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(addr, p.address(0));
        KRNL_RPC_TRY(slot, p.slot(1));
        KRNL_RPC_TRY(ref, p.block(2));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        const uint256 value = reader.state_at(number)->read_storage(addr, slot);
        uint8_t out[32];
        value.store_be(out);
        return to_hex(bytes_view(out, 32));
    });

    // EIP-1186: the account and the asked slots with their Merkle proofs against the block's root.
    m.add("eth_getProof", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(addr, p.address(0));
        if (!p.has(1) || !p.at(1).is_array())
            return std::unexpected(Params::invalid(1, "expected a list of storage keys"));
        std::vector<std::pair<std::string, uint256>> keys;
        for (const json& k : p.at(1)) {
            auto h = parse_data(k);
            if (!h || h->size() > 32)
                return std::unexpected(
                    Params::invalid(1, "storage keys are up to 32 bytes of hex"));
            keys.emplace_back(k.get<std::string>(), uint256::from_be(*h));
        }
        KRNL_RPC_TRY(ref, p.block(2));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        auto state = reader.state_at(number);
        const auto record = state->read_record(addr);
        // Fork mode: an account this chain never wrote is the upstream's at the fork block, and
        // so is its proof (exact against the fork block's root).
        if (!record && fork_control && fork_control->url() && state->read_account(addr))
            return fork_control->account_proof(addr, p.at(1));
        json out = {{"address", to_hex(addr)},
                    {"accountProof", proof_json(state::trie_proof(state->account_leaves(),
                                                                  keccak256(addr.view()).view()))},
                    {"balance", to_quantity(record ? record->info.balance : uint256{})},
                    {"nonce", to_quantity(record ? record->info.nonce : 0)},
                    {"codeHash", to_hex(record ? record->info.code_hash : kEmptyKeccak)},
                    {"storageHash", to_hex(record ? record->storage_root : kEmptyTrieRoot)}};
        // All storage proofs from one pass over the account's storage trie.
        std::vector<bytes> hashed_keys;
        for (const auto& [text, key] : keys) {
            uint8_t k[32];
            key.store_be(k);
            hashed_keys.emplace_back(keccak256({k, 32}).view());
        }
        const auto proofs = keys.empty()
                                ? std::vector<std::vector<bytes>>{}
                                : state::trie_proofs(state->storage_leaves(addr), hashed_keys);
        json storage = json::array();
        for (size_t i = 0; i < keys.size(); ++i)
            storage.push_back({{"key", keys[i].first},
                               {"value", to_quantity(state->read_storage(addr, keys[i].second))},
                               {"proof", proof_json(proofs[i])}});
        out["storageProof"] = std::move(storage);
        return out;
    });
}

json EthApi::block_receipts_json(const ChainReader& reader, uint64_t number) const {
    auto block = reader.block(number);
    auto receipts = reader.receipts(number);
    if (!block || !receipts) return nullptr;
    const auto senders = reader.senders(number);
    const TxPosition base{*reader.hash(number), number, 0,
                          block->header.base_fee_per_gas.value_or(uint256{})};
    json out = json::array();
    uint64_t log_index = 0;
    for (size_t i = 0; i < receipts->size(); ++i) {
        TxPosition p = base;
        p.index = i;
        out.push_back(receipt_json((*receipts)[i], block->transactions[i], senders.at(i), p,
                                   log_index, block->header.timestamp));
        log_index += (*receipts)[i].logs.size();
    }
    return out;
}

void EthApi::register_blocks(MethodTable& m) {
    auto block_by = [this](bool by_hash) {
        return [this, by_hash](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
            auto reader = chain_.reader();
            KRNL_RPC_TRY(number, find_block(reader, p, 0, by_hash));
            const bool full = p.has(1) && p.at(1).is_boolean() && p.at(1).get<bool>();
            auto block = number ? reader.block(*number) : std::nullopt;
            if (!block) {
                // Fork mode: the upstream's blocks below the fork block.
                if (by_hash) {
                    KRNL_RPC_TRY(h, p.hash(0));
                    return fork_history("eth_getBlockByHash", json::array({to_hex(h), full}),
                                        "number");
                }
                if (!number) return json(nullptr);
                return fork_history("eth_getBlockByNumber",
                                    json::array({to_quantity(*number), full}), "number");
            }
            return block_json(*block, *reader.hash(*number), reader.senders(*number), full);
        };
    };
    m.add("eth_getBlockByNumber", block_by(false));
    m.add("eth_getBlockByHash", block_by(true));

    auto count_by = [this](bool by_hash, bool uncles) {
        return [this, by_hash, uncles](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            auto reader = chain_.reader();
            KRNL_RPC_TRY(number, find_block(reader, p, 0, by_hash));
            if (!number) return json(nullptr);
            if (uncles) return "0x0";
            return to_quantity(uint64_t{reader.block(*number)->transactions.size()});
        };
    };
    m.add("eth_getBlockTransactionCountByNumber", count_by(false, false));
    m.add("eth_getBlockTransactionCountByHash", count_by(true, false));
    m.add("eth_getUncleCountByBlockNumber", count_by(false, true));
    m.add("eth_getUncleCountByBlockHash", count_by(true, true));

    auto tx_at = [this](const ChainReader& reader, uint64_t number, uint64_t index) -> json {
        auto block = reader.block(number);
        if (!block || index >= block->transactions.size()) return nullptr;
        const auto senders = reader.senders(number);
        return transaction_json(block->transactions[index], senders.at(index),
                                TxPosition{*reader.hash(number), number, index,
                                           block->header.base_fee_per_gas.value_or(uint256{})});
    };
    m.add("eth_getTransactionByHash",
          [this, tx_at](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              KRNL_RPC_TRY(h, p.hash(0));
              auto reader = chain_.reader();
              if (auto loc = reader.find_transaction(h))
                  return tx_at(reader, loc->block_number, loc->index);
              if (auto pooled = chain_.pooled(h))
                  return transaction_json(pooled->tx, pooled->sender, std::nullopt);
              // A block may have committed it (and taken it from the pool) between the two
              // looks: a snapshot taken after the pool's answer sees that block.
              auto after = chain_.reader();
              if (auto loc = after.find_transaction(h))
                  return tx_at(after, loc->block_number, loc->index);
              return fork_history("eth_getTransactionByHash", json::array({to_hex(h)}),
                                  "blockNumber");
          });
    m.add("eth_getTransactionByBlockNumberAndIndex",
          [this, tx_at](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              KRNL_RPC_TRY(ref, p.block(0));
              KRNL_RPC_TRY(index, p.u64(1));
              auto reader = chain_.reader();
              if (ref.tag == BlockRef::Tag::Number && ref.number > reader.head())
                  return json(nullptr);
              KRNL_RPC_TRY(n, resolve(reader, ref));
              return tx_at(reader, n, index);
          });
    m.add("eth_getTransactionByBlockHashAndIndex",
          [this, tx_at](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              KRNL_RPC_TRY(h, p.hash(0));
              KRNL_RPC_TRY(index, p.u64(1));
              auto reader = chain_.reader();
              auto n = reader.number_of(h);
              if (!n) return json(nullptr);
              return tx_at(reader, *n, index);
          });

    auto block_receipts = [this](const ChainReader& reader, uint64_t number) {
        return block_receipts_json(reader, number);
    };
    m.add("eth_getTransactionReceipt",
          [this, block_receipts](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              KRNL_RPC_TRY(h, p.hash(0));
              auto reader = chain_.reader();
              auto loc = reader.find_transaction(h);
              if (!loc)
                  return fork_history("eth_getTransactionReceipt", json::array({to_hex(h)}),
                                      "blockNumber");
              json all = block_receipts(reader, loc->block_number);
              return all.is_array() && loc->index < all.size() ? all[loc->index] : json(nullptr);
          });
    m.add("eth_getBlockReceipts",
          [this, block_receipts](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              KRNL_RPC_TRY(ref, p.block(0));
              auto reader = chain_.reader();
              if (ref.tag == BlockRef::Tag::Number && ref.number > reader.head())
                  return json(nullptr);
              auto n = resolve(reader, ref);
              if (!n) return json(nullptr);
              return block_receipts(reader, *n);
          });

    m.add("eth_feeHistory", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (!p.has(0)) return std::unexpected(Params::missing(0));
        // The count may be a quantity or a plain number.
        uint64_t count = 0;
        if (p.at(0).is_number_unsigned()) {
            count = p.at(0).get<uint64_t>();
        } else {
            KRNL_RPC_TRY(c, p.u64(0));
            count = c;
        }
        KRNL_RPC_TRY(ref, p.block(1));
        std::vector<double> percentiles;
        if (p.has(2)) {
            if (!p.at(2).is_array())
                return std::unexpected(Params::invalid(2, "expected a list of numbers"));
            // Each percentile is a column of every block's row: bounded as geth bounds it.
            if (p.at(2).size() > options_.max_fee_history_percentiles)
                return std::unexpected(Params::invalid(
                    2, "at most " + std::to_string(options_.max_fee_history_percentiles) +
                           " reward percentiles, got " + std::to_string(p.at(2).size()) +
                           " (limits.max_fee_history_percentiles)"));
            for (const json& v : p.at(2)) {
                if (!v.is_number())
                    return std::unexpected(Params::invalid(2, "expected a list of numbers"));
                const double x = v.get<double>();
                if (x < 0 || x > 100 || (!percentiles.empty() && x < percentiles.back()))
                    return std::unexpected(
                        Params::invalid(2, "percentiles must be increasing, between 0 and 100"));
                percentiles.push_back(x);
            }
        }
        auto reader = chain_.reader();
        KRNL_RPC_TRY(newest, resolve(reader, ref));
        // Past the cap the newest blocks are answered, as geth does.
        count = std::min<uint64_t>({count, options_.max_fee_history_blocks, newest + 1});
        const uint64_t oldest = newest + 1 - count;
        json base_fees = json::array(), ratios = json::array(), rewards = json::array(),
             blob_fees = json::array(), blob_ratios = json::array();
        const evm::Revision rev = chain_.config().revision;
        for (uint64_t n = oldest; n <= newest && count > 0; ++n) {
            const auto block = reader.block(n);
            const auto& h = block->header;
            const uint256 base = h.base_fee_per_gas.value_or(uint256{});
            base_fees.push_back(to_quantity(base));
            ratios.push_back(h.gas_limit ? double(h.gas_used) / double(h.gas_limit) : 0.0);
            blob_fees.push_back(
                to_quantity(chain::blob_base_fee(h.excess_blob_gas.value_or(0), rev)));
            const double max_blob_gas =
                double(chain::max_blobs_per_block(rev) * chain::kBlobGasPerBlob);
            blob_ratios.push_back(double(h.blob_gas_used.value_or(0)) / max_blob_gas);
            if (!percentiles.empty()) {
                // Tips weighted by the gas each transaction used.
                const auto receipts =
                    reader.receipts(n).value_or(std::vector<chain::StoredReceipt>{});
                std::vector<std::pair<uint256, uint64_t>> tips;
                for (size_t i = 0; i < block->transactions.size() && i < receipts.size(); ++i) {
                    const auto& tx = block->transactions[i];
                    const uint256 above = tx.max_fee_per_gas - base;
                    const uint256 tip = tx.type == chain::TxType::Legacy ||
                                                tx.type == chain::TxType::AccessList ||
                                                tx.max_priority_fee_per_gas > above
                                            ? above
                                            : tx.max_priority_fee_per_gas;
                    tips.emplace_back(tip, receipts[i].gas_used);
                }
                std::sort(tips.begin(), tips.end());
                json row = json::array();
                for (double pct : percentiles) {
                    if (tips.empty()) {
                        row.push_back("0x0");
                        continue;
                    }
                    const double threshold = double(h.gas_used) * pct / 100.0;
                    double sum = 0;
                    size_t i = 0;
                    for (; i + 1 < tips.size(); ++i) {
                        sum += double(tips[i].second);
                        if (sum >= threshold) break;
                    }
                    row.push_back(to_quantity(tips[i].first));
                }
                rewards.push_back(std::move(row));
            }
            if (n == newest) {
                base_fees.push_back(
                    to_quantity(h.base_fee_per_gas ? chain::next_base_fee(h) : uint256{}));
                blob_fees.push_back(
                    to_quantity(chain::blob_base_fee(chain::next_excess_blob_gas(h, rev), rev)));
            }
        }
        json out = {{"oldestBlock", to_quantity(oldest)},
                    {"baseFeePerGas", std::move(base_fees)},
                    {"gasUsedRatio", std::move(ratios)},
                    {"baseFeePerBlobGas", std::move(blob_fees)},
                    {"blobGasUsedRatio", std::move(blob_ratios)}};
        if (!percentiles.empty()) out["reward"] = std::move(rewards);
        return out;
    });
}

}  // namespace krnl::rpc
