// Read-only getters beside the standard ones: the transaction pool's contents (txpool_*, geth's
// shapes), accounts as the trie keeps them, headers without bodies, a transaction by sender and
// nonce, and the consensus encodings of transactions, headers, blocks and receipts (the raw
// getters of geth's eth_ and debug_ namespaces, and anvil's additions).
#include "chain/receipt.hpp"
#include "common/keccak.hpp"
#include "rpc/eth_api.hpp"

namespace krnl::rpc {

using chain::ChainReader;

namespace {

// EIP-55: the mixed-case address geth writes as a map key (txpool_content, txpool_inspect).
std::string checksum_address(const address& addr) {
    std::string hex = to_hex(addr);  // "0x" + 40 lowercase digits
    const hash256 digest = keccak256({reinterpret_cast<const uint8_t*>(hex.data()) + 2, 40});
    for (size_t i = 0; i < 40; ++i) {
        const uint8_t byte = digest.view()[i / 2];
        const uint8_t nibble = i % 2 == 0 ? byte >> 4 : byte & 0x0f;
        char& c = hex[i + 2];
        if (nibble >= 8 && c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    }
    return hex;
}

// geth's one-line summary of a pooled transaction (txpool_inspect).
std::string inspect_line(const chain::Transaction& tx) {
    const std::string to = tx.to ? checksum_address(*tx.to) : "contract creation";
    return to + ": " + to_string(tx.value) + " wei + " + std::to_string(tx.gas_limit) + " gas × " +
           to_string(tx.max_fee_per_gas) + " wei";
}

// A receipt's consensus encoding (EIP-2718 typed) from what the store keeps.
bytes encode_stored_receipt(const chain::StoredReceipt& stored) {
    chain::Receipt r;
    r.type = stored.type;
    r.status = stored.success ? evm::StatusCode::Success : evm::StatusCode::Revert;
    r.cumulative_gas_used = stored.cumulative_gas_used;
    r.logs = stored.logs;
    r.logs_bloom = chain::logs_bloom(stored.logs);
    return chain::encode_receipt(r);
}

// The block argument `i` names (a number, a tag, a hash or {blockHash}); nullopt when there is no
// such block: the raw getters answer null then, as for an unknown number in geth.
Result<std::optional<uint64_t>> named_block(const ChainReader& reader, const Params& p, size_t i) {
    if (!p.has(i)) return std::unexpected(Params::missing(i));
    KRNL_RPC_TRY(ref, p.block(i));
    switch (ref.tag) {
        case BlockRef::Tag::Number:
            if (ref.number > reader.head()) return std::optional<uint64_t>{};
            return std::optional<uint64_t>(ref.number);
        case BlockRef::Tag::Hash:
            return reader.number_of(ref.hash);
        case BlockRef::Tag::Earliest:
            return std::optional<uint64_t>(0);
        default:
            return std::optional<uint64_t>(reader.head());
    }
}

}  // namespace

void EthApi::register_raw(MethodTable& m) {
    // --- The pool, in geth's shapes: pending (executable from the account's nonce without a gap)
    // and queued, each keyed by sender (EIP-55) and then by nonce in decimal.
    struct PoolView {
        json pending = json::object();
        json queued = json::object();
    };
    auto pool_view = [this](const std::optional<address>& only, auto&& entry) {
        PoolView view;
        std::unordered_map<address, uint64_t> next_nonce;  // one pool lookup per sender
        for (const chain::PooledTx& t : chain_.pool_contents()) {
            if (only && t.sender != *only) continue;
            auto [it, added] = next_nonce.try_emplace(t.sender, 0);
            if (added) it->second = chain_.pending_nonce(t.sender);
            json& side = t.tx.nonce < it->second ? view.pending : view.queued;
            side[checksum_address(t.sender)][std::to_string(t.tx.nonce)] = entry(t);
        }
        return view;
    };
    auto tx_entry = [](const chain::PooledTx& t) {
        return transaction_json(t.tx, t.sender, std::nullopt);
    };
    m.add("txpool_content",
          [pool_view, tx_entry](const json& params, CallContext&) -> Result<json> {
              if (auto r = Params(params).at_most(0); !r) return std::unexpected(r.error());
              PoolView v = pool_view(std::nullopt, tx_entry);
              return json{{"pending", std::move(v.pending)}, {"queued", std::move(v.queued)}};
          });
    m.add("txpool_contentFrom",
          [pool_view, tx_entry](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
              KRNL_RPC_TRY(sender, p.address(0));
              PoolView v = pool_view(sender, tx_entry);
              // One sender: its nonce maps without the sender level.
              const std::string key = checksum_address(sender);
              return json{{"pending", v.pending.value(key, json::object())},
                          {"queued", v.queued.value(key, json::object())}};
          });
    m.add("txpool_inspect", [pool_view](const json& params, CallContext&) -> Result<json> {
        if (auto r = Params(params).at_most(0); !r) return std::unexpected(r.error());
        PoolView v = pool_view(std::nullopt,
                               [](const chain::PooledTx& t) { return json(inspect_line(t.tx)); });
        return json{{"pending", std::move(v.pending)}, {"queued", std::move(v.queued)}};
    });

    // --- Accounts.
    auto account_at = [this](const Params& p, auto&& answer) -> Result<json> {
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(addr, p.address(0));
        KRNL_RPC_TRY(ref, p.block(1));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        return answer(*reader.state_at(number), addr);
    };
    // geth's eth_getAccount: the account as the state trie holds it.
    m.add("eth_getAccount", [account_at](const json& params, CallContext&) -> Result<json> {
        return account_at(Params(params), [](const state::StateView& st, const address& a) {
            const auto record = st.read_record(a);
            return json{{"balance", to_quantity(record ? record->info.balance : uint256{})},
                        {"nonce", to_quantity(record ? record->info.nonce : 0)},
                        {"codeHash", to_hex(record ? record->info.code_hash : kEmptyKeccak)},
                        {"storageRoot", to_hex(record ? record->storage_root : kEmptyTrieRoot)}};
        });
    });
    // anvil's eth_getAccountInfo: balance, nonce and code in one request.
    m.add("eth_getAccountInfo", [account_at](const json& params, CallContext&) -> Result<json> {
        return account_at(Params(params), [](const state::StateView& st, const address& a) {
            const auto acc = st.read_account(a);
            return json{{"balance", to_quantity(acc ? acc->balance : uint256{})},
                        {"nonce", to_quantity(acc ? acc->nonce : 0)},
                        {"code", to_data(acc ? st.read_code(acc->code_hash) : bytes{})}};
        });
    });
    // Code by its keccak (anvil, and geth's debug namespace); null for code no account has had.
    m.add("debug_codeByHash", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(code_hash, p.hash(0));
        KRNL_RPC_TRY(ref, p.block(1));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        if (code_hash == kEmptyKeccak) return to_data(bytes{});
        const bytes code = reader.state_at(number)->read_code(code_hash);
        if (code.empty()) return json(nullptr);
        return to_data(code);
    });

    // --- Headers: the block object without its body (geth's RPCMarshalHeader).
    auto header_of = [](const ChainReader& reader, std::optional<uint64_t> number) -> json {
        if (!number) return nullptr;
        auto block = reader.block(*number);
        if (!block) return nullptr;
        json j = block_json(*block, *reader.hash(*number), {}, false);
        for (const char* body_field : {"transactions", "uncles", "withdrawals", "size"})
            j.erase(body_field);
        return j;
    };
    m.add("eth_getHeaderByNumber",
          [this, header_of](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
              if (!p.has(0)) return std::unexpected(Params::missing(0));
              auto reader = chain_.reader();
              KRNL_RPC_TRY(number, find_block(reader, p, 0, false));
              return header_of(reader, number);
          });
    m.add("eth_getHeaderByHash",
          [this, header_of](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
              auto reader = chain_.reader();
              KRNL_RPC_TRY(number, find_block(reader, p, 0, true));
              return header_of(reader, number);
          });

    // --- Raw transactions: the EIP-2718 envelope, mined or pooled.
    auto raw_by_hash = [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(h, p.hash(0));
        auto mined = [](const ChainReader& reader, const hash256& h) -> std::optional<json> {
            const auto loc = reader.find_transaction(h);
            if (!loc) return std::nullopt;
            const auto block = reader.block(loc->block_number);
            if (!block || loc->index >= block->transactions.size()) return std::nullopt;
            return json(to_data(chain::encode_transaction(block->transactions[loc->index])));
        };
        if (auto found = mined(chain_.reader(), h)) return *found;
        if (auto pooled = chain_.pooled(h)) return to_data(chain::encode_transaction(pooled->tx));
        // Mined between the two looks (see eth_getTransactionByHash).
        if (auto found = mined(chain_.reader(), h)) return *found;
        return json(nullptr);
    };
    m.add("eth_getRawTransactionByHash", raw_by_hash);
    m.add("debug_getRawTransaction", raw_by_hash);

    auto raw_at = [this](bool by_hash) {
        return [this, by_hash](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
            auto reader = chain_.reader();
            KRNL_RPC_TRY(number, find_block(reader, p, 0, by_hash));
            KRNL_RPC_TRY(index, p.u64(1));
            if (!number) return json(nullptr);
            const auto block = reader.block(*number);
            if (!block || index >= block->transactions.size()) return json(nullptr);
            return json(to_data(chain::encode_transaction(block->transactions[index])));
        };
    };
    m.add("eth_getRawTransactionByBlockNumberAndIndex", raw_at(false));
    m.add("eth_getRawTransactionByBlockHashAndIndex", raw_at(true));

    // --- Raw blocks (debug_getRaw*): one block named by number, tag or hash.
    auto raw_block_method = [this](auto encode) {
        return [this, encode](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
            auto reader = chain_.reader();
            KRNL_RPC_TRY(number, named_block(reader, p, 0));
            if (!number) return json(nullptr);
            return encode(reader, *number);
        };
    };
    m.add("debug_getRawHeader", raw_block_method([](const ChainReader& r, uint64_t n) -> json {
              const auto header = r.header(n);
              return header ? json(to_data(chain::encode_block_header(*header))) : json(nullptr);
          }));
    m.add("debug_getRawBlock", raw_block_method([](const ChainReader& r, uint64_t n) -> json {
              const auto block = r.block(n);
              return block ? json(to_data(chain::encode_block(*block))) : json(nullptr);
          }));
    m.add("debug_getRawReceipts", raw_block_method([](const ChainReader& r, uint64_t n) -> json {
              const auto receipts = r.receipts(n);
              if (!receipts) return nullptr;
              json out = json::array();
              for (const chain::StoredReceipt& receipt : *receipts)
                  out.push_back(to_data(encode_stored_receipt(receipt)));
              return out;
          }));
    // anvil's (and reth's): every transaction envelope of one block.
    m.add("debug_getRawTransactions",
          raw_block_method([](const ChainReader& r, uint64_t n) -> json {
              const auto block = r.block(n);
              if (!block) return nullptr;
              json out = json::array();
              for (const chain::Transaction& tx : block->transactions)
                  out.push_back(to_data(chain::encode_transaction(tx)));
              return out;
          }));

    // anvil's eth_getTransactionBySenderAndNonce: the pool first, then the block where the
    // sender's nonce passed `nonce` (found by bisection over the nonce at each block).
    m.add("eth_getTransactionBySenderAndNonce",
          [this](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
              KRNL_RPC_TRY(sender, p.address(0));
              KRNL_RPC_TRY(nonce, p.u64(1));
              for (const chain::PooledTx& t : chain_.pool_contents())
                  if (t.sender == sender && t.tx.nonce == nonce)
                      return transaction_json(t.tx, t.sender, std::nullopt);
              auto reader = chain_.reader();
              const auto loc = find_by_sender_and_nonce(reader, sender, nonce);
              if (!loc) return json(nullptr);
              const auto block = reader.block(loc->block_number);
              return transaction_json(
                  block->transactions[loc->index], sender,
                  TxPosition{*reader.hash(loc->block_number), loc->block_number, loc->index,
                             block->header.base_fee_per_gas.value_or(uint256{})});
          });
}

std::optional<chain::TxLocation> EthApi::find_by_sender_and_nonce(const ChainReader& reader,
                                                                  const address& sender,
                                                                  uint64_t nonce) const {
    auto nonce_at = [&](uint64_t number) {
        const auto acc = reader.state_at(number)->read_account(sender);
        return acc ? acc->nonce : 0;
    };
    if (nonce_at(reader.head()) <= nonce) return std::nullopt;
    // The first block after which the account's nonce is past `nonce`. Dev edits
    // (anvil_setNonce) can make the nonce go back; then the block found is checked
    // and the answer is none if the transaction is not in it.
    uint64_t low = 0, high = reader.head();
    while (low < high) {
        const uint64_t mid = low + (high - low) / 2;
        if (nonce_at(mid) > nonce)
            high = mid;
        else
            low = mid + 1;
    }
    const auto block = reader.block(low);
    if (!block) return std::nullopt;
    const auto senders = reader.senders(low);
    for (size_t i = 0; i < block->transactions.size() && i < senders.size(); ++i)
        if (senders[i] == sender && block->transactions[i].nonce == nonce)
            return chain::TxLocation{low, static_cast<uint32_t>(i)};
    return std::nullopt;
}

}  // namespace krnl::rpc
