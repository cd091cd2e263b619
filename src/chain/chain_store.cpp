#include "chain/chain_store.hpp"

#include "chain/host.hpp"
#include "common/rlp.hpp"

namespace krnl::chain {
namespace {

using state::Database;

bytes number_key(uint64_t number) {
    bytes k;
    state::append_be64(k, number);
    return k;
}

bytes_view meta_key(std::string_view name) {
    return {reinterpret_cast<const uint8_t*>(name.data()), name.size()};
}
const bytes_view kHeadKey = meta_key("head");
const bytes_view kVersionKey = meta_key("version");

void encode_stored_log(bytes& out, const Log& log) {
    bytes topics;
    for (const hash256& t : log.topics)
        rlp::encode_string(topics, t.view());
    bytes payload;
    rlp::encode_string(payload, log.addr.view());
    payload += rlp::wrap_list(topics);
    rlp::encode_string(payload, log.data);
    out += rlp::wrap_list(payload);
}

std::optional<Log> decode_stored_log(bytes_view& in) {
    auto list = rlp::decode_list(in);
    if (!list) return std::nullopt;
    bytes_view fields = *list;
    auto addr = rlp::decode_fixed<20>(fields);
    auto topics = rlp::decode_list(fields);
    auto data = rlp::decode_string(fields);
    if (!addr || !topics || !data || !fields.empty()) return std::nullopt;
    Log log{*addr, {}, bytes(*data)};
    for (bytes_view t = *topics; !t.empty();) {
        auto topic = rlp::decode_fixed<32>(t);
        if (!topic) return std::nullopt;
        log.topics.push_back(*topic);
    }
    return log;
}

}  // namespace

StoredReceipt to_stored(const Receipt& receipt, const Transaction& tx) {
    StoredReceipt r;
    r.type = tx.type;
    r.success = receipt.status == evm::StatusCode::Success;
    r.cumulative_gas_used = receipt.cumulative_gas_used;
    r.gas_used = static_cast<uint64_t>(receipt.gas_used);
    r.blob_gas_used = receipt.blob_gas_used;
    if (!tx.to && r.success) r.contract_address = receipt.contract_address;
    r.logs = receipt.logs;
    return r;
}

bytes encode_stored_receipts(const std::vector<StoredReceipt>& receipts) {
    bytes all;
    for (const StoredReceipt& r : receipts) {
        bytes payload;
        rlp::encode_uint(payload, static_cast<uint64_t>(r.type));
        rlp::encode_uint(payload, r.success ? 1 : 0);
        rlp::encode_uint(payload, r.cumulative_gas_used);
        rlp::encode_uint(payload, r.gas_used);
        rlp::encode_uint(payload, r.blob_gas_used);
        rlp::encode_string(payload, r.contract_address ? r.contract_address->view() : bytes_view{});
        bytes logs;
        for (const Log& log : r.logs)
            encode_stored_log(logs, log);
        payload += rlp::wrap_list(logs);
        all += rlp::wrap_list(payload);
    }
    return rlp::wrap_list(all);
}

std::optional<std::vector<StoredReceipt>> decode_stored_receipts(bytes_view encoded) {
    auto list = rlp::decode_list(encoded);
    if (!list) return std::nullopt;
    std::vector<StoredReceipt> out;
    for (bytes_view in = *list; !in.empty();) {
        auto item = rlp::decode_list(in);
        if (!item) return std::nullopt;
        bytes_view f = *item;
        auto type = rlp::decode_u64(f);
        auto success = rlp::decode_u64(f);
        auto cumulative = rlp::decode_u64(f);
        auto gas = rlp::decode_u64(f);
        auto blob_gas = rlp::decode_u64(f);
        auto contract = rlp::decode_string(f);
        auto logs = rlp::decode_list(f);
        if (!type || !success || !cumulative || !gas || !blob_gas || !contract || !logs)
            return std::nullopt;
        StoredReceipt r{static_cast<TxType>(*type), *success == 1, *cumulative, *gas, *blob_gas};
        if (contract->size() == 20) r.contract_address = address::from_view(*contract);
        for (bytes_view l = *logs; !l.empty();) {
            auto log = decode_stored_log(l);
            if (!log) return std::nullopt;
            r.logs.push_back(std::move(*log));
        }
        out.push_back(std::move(r));
    }
    return out;
}

ChainStore::ChainStore(const Database& db)
    : db_(db),
      headers_(db.table("headers")),
      block_numbers_(db.table("block_numbers")),
      blocks_(db.table("blocks")),
      senders_(db.table("senders")),
      receipts_(db.table("receipts")),
      tx_index_(db.table("tx_index")),
      versions_(db.table("versions")),
      meta_(db.table("meta")),
      pool_(db.table("pool")),
      user_ops_(db.table("user_ops")) {}

void ChainStore::put_block(Database::Txn& txn, const Block& block, const hash256& hash,
                           const std::vector<address>& senders,
                           const std::vector<StoredReceipt>& receipts, uint64_t version) const {
    const uint64_t number = block.header.number;
    const bytes key = number_key(number);
    txn.put(headers_, key, encode_block_header(block.header));
    txn.put(block_numbers_, hash.view(), key);
    txn.put(blocks_, key, encode_block(block));
    bytes sender_bytes;
    for (const address& s : senders)
        sender_bytes.append(s.view());
    txn.put(senders_, key, sender_bytes);
    txn.put(receipts_, key, encode_stored_receipts(receipts));
    for (uint32_t i = 0; i < block.transactions.size(); ++i) {
        bytes location = key;
        for (int shift = 24; shift >= 0; shift -= 8)
            location.push_back(uint8_t(i >> shift));
        const hash256 tx_hash = transaction_hash(block.transactions[i]);
        txn.put(tx_index_, tx_hash.view(), location);
        txn.del(pool_, tx_hash.view());
    }
    bytes version_bytes;
    state::append_be64(version_bytes, version);
    txn.put(versions_, key, version_bytes);
    txn.put(meta_, kHeadKey, key);
    set_version(txn, version);
}

uint64_t ChainStore::version(const Database::Txn& txn) const {
    auto v = txn.get(meta_, kVersionKey);
    return v && v->size() == 8 ? state::load_be64(*v) : 0;
}

void ChainStore::set_version(Database::Txn& txn, uint64_t version) const {
    bytes v;
    state::append_be64(v, version);
    txn.put(meta_, kVersionKey, v);
}

std::optional<uint64_t> ChainStore::version_of(const Database::Txn& txn, uint64_t number) const {
    auto v = txn.get(versions_, number_key(number));
    if (!v || v->size() != 8) return std::nullopt;
    return state::load_be64(*v);
}

void ChainStore::truncate(Database::Txn& txn, uint64_t number) const {
    const std::optional<uint64_t> top = head(txn);
    if (!top) return;
    for (uint64_t n = *top; n > number; --n) {
        const bytes key = number_key(n);
        if (auto b = block(txn, n)) {
            for (const Transaction& tx : b->transactions)
                txn.del(tx_index_, transaction_hash(tx).view());
            txn.del(block_numbers_, block_hash(b->header).view());
        }
        for (state::Table t : {headers_, blocks_, senders_, receipts_})
            txn.del(t, key);
    }
    txn.put(meta_, kHeadKey, number_key(number));
}

std::optional<uint64_t> ChainStore::head(const Database::Txn& txn) const {
    auto v = txn.get(meta_, kHeadKey);
    if (!v || v->size() != 8) return std::nullopt;
    return state::load_be64(*v);
}

std::optional<BlockHeader> ChainStore::header(const Database::Txn& txn, uint64_t number) const {
    auto v = txn.get(headers_, number_key(number));
    if (!v) return std::nullopt;
    auto h = decode_block_header(*v);
    if (!h)
        throw db_.corrupted("the header of block " + std::to_string(number) + " does not decode");
    return std::move(*h);
}

std::optional<hash256> ChainStore::hash(const Database::Txn& txn, uint64_t number) const {
    auto v = txn.get(headers_, number_key(number));
    if (!v) return std::nullopt;
    return keccak256(*v);
}

std::optional<uint64_t> ChainStore::number_of(const Database::Txn& txn, const hash256& h) const {
    auto v = txn.get(block_numbers_, h.view());
    if (!v || v->size() != 8) return std::nullopt;
    return state::load_be64(*v);
}

std::optional<Block> ChainStore::block(const Database::Txn& txn, uint64_t number) const {
    auto v = txn.get(blocks_, number_key(number));
    if (!v) return std::nullopt;
    auto b = decode_block(*v);
    if (!b) throw db_.corrupted("block " + std::to_string(number) + " does not decode");
    return std::move(*b);
}

std::vector<address> ChainStore::senders(const Database::Txn& txn, uint64_t number) const {
    std::vector<address> out;
    auto v = txn.get(senders_, number_key(number));
    if (!v) return out;
    for (size_t i = 0; i + 20 <= v->size(); i += 20)
        out.push_back(address::from_view(v->substr(i, 20)));
    return out;
}

std::optional<std::vector<StoredReceipt>> ChainStore::receipts(const Database::Txn& txn,
                                                               uint64_t number) const {
    auto v = txn.get(receipts_, number_key(number));
    if (!v) return std::nullopt;
    auto r = decode_stored_receipts(*v);
    if (!r)
        throw db_.corrupted("the receipts of block " + std::to_string(number) + " do not decode");
    return r;
}

std::optional<TxLocation> ChainStore::find_transaction(const Database::Txn& txn,
                                                       const hash256& tx_hash) const {
    auto v = txn.get(tx_index_, tx_hash.view());
    if (!v || v->size() != 12) return std::nullopt;
    uint32_t index = 0;
    for (size_t i = 8; i < 12; ++i)
        index = (index << 8) | (*v)[i];
    return TxLocation{state::load_be64(*v), index};
}

void ChainStore::put_pool_transaction(Database::Txn& txn, const hash256& h,
                                      bytes_view envelope) const {
    txn.put(pool_, h.view(), envelope);
}

void ChainStore::remove_pool_transaction(Database::Txn& txn, const hash256& h) const {
    txn.del(pool_, h.view());
}

void ChainStore::for_each_pool_transaction(const Database::Txn& txn,
                                           const std::function<void(bytes_view)>& fn) const {
    state::Cursor cursor(txn, pool_);
    for (auto e = cursor.first(); e; e = cursor.next())
        fn(e->second);
}

void ChainStore::put_user_op(Database::Txn& txn, const hash256& h, bytes_view record) const {
    txn.put(user_ops_, h.view(), record);
}

void ChainStore::remove_user_op(Database::Txn& txn, const hash256& h) const {
    txn.del(user_ops_, h.view());
}

void ChainStore::for_each_user_op(const Database::Txn& txn,
                                  const std::function<void(bytes_view)>& fn) const {
    state::Cursor cursor(txn, user_ops_);
    for (auto e = cursor.first(); e; e = cursor.next())
        fn(e->second);
}

}  // namespace krnl::chain
