#include "rpc/eth_json.hpp"

#include <algorithm>

#include "chain/receipt.hpp"

namespace krnl::rpc {
namespace {

using chain::Transaction;
using chain::TxType;

json access_list_json(const std::vector<chain::AccessListEntry>& list) {
    json out = json::array();
    for (const auto& e : list) {
        json keys = json::array();
        for (const auto& k : e.storage_keys)
            keys.push_back(to_hex(k));
        out.push_back({{"address", to_hex(e.addr)}, {"storageKeys", std::move(keys)}});
    }
    return out;
}

uint256 effective_gas_price(const Transaction& tx, const uint256& base_fee) {
    if (tx.type == TxType::Legacy || tx.type == TxType::AccessList) return tx.max_fee_per_gas;
    const uint256 with_tip = base_fee + tx.max_priority_fee_per_gas;
    return with_tip < tx.max_fee_per_gas ? with_tip : tx.max_fee_per_gas;
}

template <typename T, typename F>
Result<T> field(const json& obj, const char* name, F parse) {
    auto r = optional_field<T>(obj, name, parse);
    if (!r) return std::unexpected(r.error());
    if (!*r) return error(code::kInvalidParams, std::string("missing field ") + name);
    return std::move(**r);
}

Result<std::vector<chain::AccessListEntry>> parse_access_list(const json& v) {
    if (!v.is_array())
        return error(code::kInvalidParams, "invalid argument: accessList must be a list");
    std::vector<chain::AccessListEntry> out;
    for (const json& item : v) {
        if (!item.is_object())
            return error(code::kInvalidParams, "invalid argument: accessList entries are objects");
        auto addr = field<address>(item, "address", parse_address);
        if (!addr) return std::unexpected(addr.error());
        chain::AccessListEntry entry{*addr, {}};
        if (auto keys = item.find("storageKeys"); keys != item.end() && keys->is_array())
            for (const json& k : *keys) {
                auto h = parse_hash(k);
                if (!h)
                    return error(code::kInvalidParams,
                                 "invalid argument: storageKeys: " + h.error());
                entry.storage_keys.push_back(*h);
            }
        out.push_back(std::move(entry));
    }
    return out;
}

Result<std::vector<chain::Authorization>> parse_authorization_list(const json& v) {
    if (!v.is_array())
        return error(code::kInvalidParams, "invalid argument: authorizationList must be a list");
    std::vector<chain::Authorization> out;
    for (const json& item : v) {
        if (!item.is_object())
            return error(code::kInvalidParams, "invalid argument: authorizations are objects");
        chain::Authorization a;
        auto chain_id = field<uint256>(item, "chainId", parse_quantity);
        auto addr = field<address>(item, "address", parse_address);
        auto nonce = field<uint64_t>(item, "nonce", parse_u64);
        auto r = field<uint256>(item, "r", parse_quantity);
        auto s = field<uint256>(item, "s", parse_quantity);
        if (!chain_id) return std::unexpected(chain_id.error());
        if (!addr) return std::unexpected(addr.error());
        if (!nonce) return std::unexpected(nonce.error());
        if (!r) return std::unexpected(r.error());
        if (!s) return std::unexpected(s.error());
        auto y = optional_field<uint64_t>(item, "yParity", parse_u64);
        if (!y) return std::unexpected(y.error());
        if (!*y) y = optional_field<uint64_t>(item, "v", parse_u64);
        if (!y) return std::unexpected(y.error());
        uint64_t parity = y->value_or(0);
        if (parity >= 27) parity -= 27;
        if (parity > 1)
            return error(code::kInvalidParams, "invalid argument: yParity must be 0 or 1");
        a.chain_id = *chain_id;
        a.addr = *addr;
        a.nonce = *nonce;
        a.y_parity = static_cast<uint8_t>(parity);
        a.r = *r;
        a.s = *s;
        out.push_back(a);
    }
    return out;
}

Result<std::vector<std::pair<uint256, uint256>>> parse_slots(const json& v, const char* what) {
    if (!v.is_object())
        return error(code::kInvalidParams,
                     std::string("invalid argument: ") + what + " must be an object");
    std::vector<std::pair<uint256, uint256>> out;
    for (const auto& [k, val] : v.items()) {
        auto key = parse_hash(json(k));
        auto value = parse_hash(val);
        if (!key || !value)
            return error(code::kInvalidParams,
                         std::string("invalid argument: ") + what + " entries are 32-byte hashes");
        out.emplace_back(uint256::load_be(key->bytes), uint256::load_be(value->bytes));
    }
    return out;
}

}  // namespace

json transaction_json(const Transaction& tx, const address& sender,
                      const std::optional<TxPosition>& position) {
    json j;
    j["type"] = to_quantity(static_cast<uint64_t>(tx.type));
    j["hash"] = to_hex(chain::transaction_hash(tx));
    j["nonce"] = to_quantity(tx.nonce);
    j["from"] = to_hex(sender);
    j["to"] = tx.to ? json(to_hex(*tx.to)) : json(nullptr);
    j["value"] = to_quantity(tx.value);
    j["gas"] = to_quantity(tx.gas_limit);
    j["input"] = to_data(tx.data);
    j["blockHash"] = position ? json(to_hex(position->block_hash)) : json(nullptr);
    j["blockNumber"] = position ? json(to_quantity(position->block_number)) : json(nullptr);
    j["transactionIndex"] = position ? json(to_quantity(position->index)) : json(nullptr);
    const bool dynamic = tx.type != TxType::Legacy && tx.type != TxType::AccessList;
    if (dynamic) {
        j["maxFeePerGas"] = to_quantity(tx.max_fee_per_gas);
        j["maxPriorityFeePerGas"] = to_quantity(tx.max_priority_fee_per_gas);
        j["gasPrice"] = to_quantity(position ? effective_gas_price(tx, position->base_fee)
                                             : tx.max_fee_per_gas);
    } else {
        j["gasPrice"] = to_quantity(tx.max_fee_per_gas);
    }
    if (tx.chain_id) j["chainId"] = to_quantity(*tx.chain_id);
    if (tx.type != TxType::Legacy) {
        j["accessList"] = access_list_json(tx.access_list);
        j["yParity"] = to_quantity(uint64_t{tx.y_parity});
        j["v"] = to_quantity(uint64_t{tx.y_parity});
    } else {
        j["v"] = to_quantity(tx.v);
    }
    j["r"] = to_quantity(tx.r);
    j["s"] = to_quantity(tx.s);
    if (tx.type == TxType::Blob) {
        j["maxFeePerBlobGas"] = to_quantity(tx.max_fee_per_blob_gas);
        json hashes = json::array();
        for (const auto& h : tx.blob_versioned_hashes)
            hashes.push_back(to_hex(h));
        j["blobVersionedHashes"] = std::move(hashes);
    }
    if (tx.type == TxType::SetCode) {
        json list = json::array();
        for (const auto& a : tx.authorization_list)
            list.push_back({{"chainId", to_quantity(a.chain_id)},
                            {"address", to_hex(a.addr)},
                            {"nonce", to_quantity(a.nonce)},
                            {"yParity", to_quantity(uint64_t{a.y_parity})},
                            {"r", to_quantity(a.r)},
                            {"s", to_quantity(a.s)}});
        j["authorizationList"] = std::move(list);
    }
    return j;
}

json log_json(const chain::Log& log, const TxPosition& position, const hash256& tx_hash,
              uint64_t log_index, uint64_t block_timestamp) {
    json topics = json::array();
    for (const auto& t : log.topics)
        topics.push_back(to_hex(t));
    return {{"address", to_hex(log.addr)},
            {"topics", std::move(topics)},
            {"data", to_data(log.data)},
            {"blockNumber", to_quantity(position.block_number)},
            {"blockHash", to_hex(position.block_hash)},
            {"blockTimestamp", to_quantity(block_timestamp)},
            {"transactionHash", to_hex(tx_hash)},
            {"transactionIndex", to_quantity(position.index)},
            {"logIndex", to_quantity(log_index)},
            {"removed", false}};
}

json receipt_json(const chain::StoredReceipt& r, const Transaction& tx, const address& sender,
                  const TxPosition& position, uint64_t first_log_index, uint64_t block_timestamp) {
    const hash256 tx_hash = chain::transaction_hash(tx);
    json logs = json::array();
    for (size_t i = 0; i < r.logs.size(); ++i)
        logs.push_back(
            log_json(r.logs[i], position, tx_hash, first_log_index + i, block_timestamp));
    json j = {{"type", to_quantity(static_cast<uint64_t>(r.type))},
              {"status", r.success ? "0x1" : "0x0"},
              {"cumulativeGasUsed", to_quantity(r.cumulative_gas_used)},
              {"logsBloom", to_hex(chain::logs_bloom(r.logs))},
              {"logs", std::move(logs)},
              {"transactionHash", to_hex(tx_hash)},
              {"transactionIndex", to_quantity(position.index)},
              {"blockHash", to_hex(position.block_hash)},
              {"blockNumber", to_quantity(position.block_number)},
              {"from", to_hex(sender)},
              {"to", tx.to ? json(to_hex(*tx.to)) : json(nullptr)},
              {"gasUsed", to_quantity(r.gas_used)},
              {"effectiveGasPrice", to_quantity(effective_gas_price(tx, position.base_fee))},
              {"contractAddress",
               r.contract_address ? json(to_hex(*r.contract_address)) : json(nullptr)}};
    if (r.type == TxType::Blob) j["blobGasUsed"] = to_quantity(r.blob_gas_used);
    return j;
}

json block_json(const chain::Block& block, const hash256& hash, const std::vector<address>& senders,
                bool full) {
    const chain::BlockHeader& h = block.header;
    json j = {{"number", to_quantity(h.number)},
              {"hash", to_hex(hash)},
              {"parentHash", to_hex(h.parent_hash)},
              {"sha3Uncles", to_hex(h.ommers_hash)},
              {"miner", to_hex(h.coinbase)},
              {"stateRoot", to_hex(h.state_root)},
              {"transactionsRoot", to_hex(h.transactions_root)},
              {"receiptsRoot", to_hex(h.receipts_root)},
              {"logsBloom", to_hex(h.logs_bloom)},
              {"difficulty", to_quantity(h.difficulty)},
              {"totalDifficulty", to_quantity(h.difficulty)},
              {"gasLimit", to_quantity(h.gas_limit)},
              {"gasUsed", to_quantity(h.gas_used)},
              {"timestamp", to_quantity(h.timestamp)},
              {"extraData", to_data(h.extra_data)},
              {"mixHash", to_hex(h.mix_hash)},
              {"nonce", to_hex(h.nonce)},
              {"size", to_quantity(uint64_t{chain::encode_block(block).size()})},
              {"uncles", json::array()}};
    if (h.base_fee_per_gas) j["baseFeePerGas"] = to_quantity(*h.base_fee_per_gas);
    if (h.withdrawals_root) j["withdrawalsRoot"] = to_hex(*h.withdrawals_root);
    if (h.blob_gas_used) j["blobGasUsed"] = to_quantity(*h.blob_gas_used);
    if (h.excess_blob_gas) j["excessBlobGas"] = to_quantity(*h.excess_blob_gas);
    if (h.parent_beacon_block_root)
        j["parentBeaconBlockRoot"] = to_hex(*h.parent_beacon_block_root);
    if (h.requests_hash) j["requestsHash"] = to_hex(*h.requests_hash);
    if (block.withdrawals) {
        json ws = json::array();
        for (const auto& w : *block.withdrawals)
            ws.push_back({{"index", to_quantity(w.index)},
                          {"validatorIndex", to_quantity(w.validator_index)},
                          {"address", to_hex(w.addr)},
                          {"amount", to_quantity(w.amount_gwei)}});
        j["withdrawals"] = std::move(ws);
    }
    json txs = json::array();
    const TxPosition base{hash, h.number, 0, h.base_fee_per_gas.value_or(uint256{})};
    for (size_t i = 0; i < block.transactions.size(); ++i) {
        if (!full) {
            txs.push_back(to_hex(chain::transaction_hash(block.transactions[i])));
            continue;
        }
        TxPosition p = base;
        p.index = i;
        txs.push_back(transaction_json(block.transactions[i],
                                       i < senders.size() ? senders[i] : address{}, p));
    }
    j["transactions"] = std::move(txs);
    return j;
}

Result<chain::CallRequest> parse_call_request(const json& obj) {
    if (!obj.is_object())
        return error(code::kInvalidParams, "invalid argument 0: expected an object");
    chain::CallRequest r;
    auto from = optional_field<address>(obj, "from", parse_address);
    auto to = optional_field<address>(obj, "to", parse_address);
    auto gas = optional_field<uint64_t>(obj, "gas", parse_u64);
    auto gas_price = optional_field<uint256>(obj, "gasPrice", parse_quantity);
    auto max_fee = optional_field<uint256>(obj, "maxFeePerGas", parse_quantity);
    auto tip = optional_field<uint256>(obj, "maxPriorityFeePerGas", parse_quantity);
    auto value = optional_field<uint256>(obj, "value", parse_quantity);
    auto input = optional_field<bytes>(obj, "input", parse_data);
    auto data = optional_field<bytes>(obj, "data", parse_data);
    for (const RpcError* e :
         {from ? nullptr : &from.error(), to ? nullptr : &to.error(), gas ? nullptr : &gas.error(),
          gas_price ? nullptr : &gas_price.error(), max_fee ? nullptr : &max_fee.error(),
          tip ? nullptr : &tip.error(), value ? nullptr : &value.error(),
          input ? nullptr : &input.error(), data ? nullptr : &data.error()})
        if (e != nullptr) return std::unexpected(*e);
    if (*input && *data && **input != **data)
        return error(code::kInvalidParams,
                     "both \"data\" and \"input\" are set and not equal. Please use \"input\" to "
                     "pass transaction call data");
    if (*gas_price && (*max_fee || *tip))
        return error(code::kInvalidParams,
                     "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
    r.from = *from;
    r.to = *to;
    r.gas = *gas;
    r.gas_price = *gas_price;
    r.max_fee_per_gas = *max_fee;
    r.max_priority_fee_per_gas = *tip;
    r.value = value->value_or(uint256{});
    r.data = input->value_or(data->value_or(bytes{}));
    if (auto it = obj.find("accessList"); it != obj.end() && !it->is_null()) {
        auto list = parse_access_list(*it);
        if (!list) return std::unexpected(list.error());
        r.access_list = std::move(*list);
    }
    if (auto it = obj.find("authorizationList"); it != obj.end() && !it->is_null()) {
        auto list = parse_authorization_list(*it);
        if (!list) return std::unexpected(list.error());
        r.authorization_list = std::move(*list);
    }
    return r;
}

Result<std::optional<uint64_t>> parse_nonce(const json& obj) {
    return optional_field<uint64_t>(obj, "nonce", parse_u64);
}

Result<std::vector<std::pair<address, chain::AccountOverride>>> parse_state_overrides(
    const json& v) {
    std::vector<std::pair<address, chain::AccountOverride>> out;
    if (v.is_null()) return out;
    if (!v.is_object())
        return error(code::kInvalidParams, "invalid argument 2: state overrides must be an object");
    for (const auto& [k, o] : v.items()) {
        auto addr = parse_address(json(k));
        if (!addr) return error(code::kInvalidParams, "invalid argument 2: " + addr.error());
        if (!o.is_object())
            return error(code::kInvalidParams, "invalid argument 2: an override is an object");
        chain::AccountOverride ov;
        auto balance = optional_field<uint256>(o, "balance", parse_quantity);
        auto nonce = optional_field<uint64_t>(o, "nonce", parse_u64);
        auto code = optional_field<bytes>(o, "code", parse_data);
        if (!balance) return std::unexpected(balance.error());
        if (!nonce) return std::unexpected(nonce.error());
        if (!code) return std::unexpected(code.error());
        ov.balance = *balance;
        ov.nonce = *nonce;
        ov.code = *code;
        if (auto s = o.find("state"); s != o.end() && !s->is_null()) {
            auto slots = parse_slots(*s, "state");
            if (!slots) return std::unexpected(slots.error());
            ov.state = std::move(*slots);
        }
        if (auto s = o.find("stateDiff"); s != o.end() && !s->is_null()) {
            auto slots = parse_slots(*s, "stateDiff");
            if (!slots) return std::unexpected(slots.error());
            ov.state_diff = std::move(*slots);
        }
        if (ov.state && ov.state_diff)
            return error(code::kInvalidParams,
                         "account " + to_hex(*addr) + " has both 'state' and 'stateDiff'");
        out.emplace_back(*addr, std::move(ov));
    }
    return out;
}

Result<chain::BlockOverrides> parse_block_overrides(const json& v) {
    chain::BlockOverrides o;
    if (v.is_null()) return o;
    if (!v.is_object())
        return error(code::kInvalidParams, "invalid argument 3: block overrides must be an object");
    auto number = optional_field<uint64_t>(v, "number", parse_u64);
    auto time = optional_field<uint64_t>(v, "time", parse_u64);
    auto gas_limit = optional_field<uint64_t>(v, "gasLimit", parse_u64);
    auto coinbase = optional_field<address>(v, "feeRecipient", parse_address);
    auto coinbase2 = optional_field<address>(v, "coinbase", parse_address);
    auto randao = optional_field<hash256>(v, "prevRandao", parse_hash);
    auto random = optional_field<hash256>(v, "random", parse_hash);
    auto base_fee = optional_field<uint256>(v, "baseFeePerGas", parse_quantity);
    auto base_fee2 = optional_field<uint256>(v, "baseFee", parse_quantity);
    if (!number) return std::unexpected(number.error());
    if (!time) return std::unexpected(time.error());
    if (!gas_limit) return std::unexpected(gas_limit.error());
    if (!coinbase) return std::unexpected(coinbase.error());
    if (!coinbase2) return std::unexpected(coinbase2.error());
    if (!randao) return std::unexpected(randao.error());
    if (!random) return std::unexpected(random.error());
    if (!base_fee) return std::unexpected(base_fee.error());
    if (!base_fee2) return std::unexpected(base_fee2.error());
    o.number = *number;
    o.time = *time;
    o.gas_limit = *gas_limit;
    o.coinbase = *coinbase ? *coinbase : *coinbase2;
    o.prev_randao = *randao ? *randao : *random;
    o.base_fee = *base_fee ? *base_fee : *base_fee2;
    return o;
}

Result<LogFilter> parse_log_filter(const json& v) {
    if (!v.is_object())
        return error(code::kInvalidParams, "invalid argument 0: a filter is an object");
    LogFilter f;
    auto from = optional_field<BlockRef>(v, "fromBlock", parse_block_ref);
    auto to = optional_field<BlockRef>(v, "toBlock", parse_block_ref);
    auto block_hash = optional_field<hash256>(v, "blockHash", parse_hash);
    if (!from) return std::unexpected(from.error());
    if (!to) return std::unexpected(to.error());
    if (!block_hash) return std::unexpected(block_hash.error());
    f.from = *from;
    f.to = *to;
    f.block_hash = *block_hash;
    if (f.block_hash && (f.from || f.to))
        return error(code::kInvalidParams,
                     "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, "
                     "choose one or the other");
    if (auto a = v.find("address"); a != v.end() && !a->is_null()) {
        for (const json& item : a->is_array() ? *a : json::array({*a})) {
            auto addr = parse_address(item);
            if (!addr)
                return error(code::kInvalidParams, "invalid argument 0: address: " + addr.error());
            f.addresses.push_back(*addr);
        }
    }
    if (auto t = v.find("topics"); t != v.end() && !t->is_null()) {
        if (!t->is_array())
            return error(code::kInvalidParams, "invalid argument 0: topics must be a list");
        if (t->size() > 4)
            return error(code::kInvalidParams, "invalid argument 0: too many topics (at most 4)");
        for (const json& position : *t) {
            std::vector<hash256> alternatives;
            if (!position.is_null())
                for (const json& item : position.is_array() ? position : json::array({position})) {
                    if (item.is_null()) continue;
                    auto h = parse_hash(item);
                    if (!h)
                        return error(code::kInvalidParams,
                                     "invalid argument 0: topics: " + h.error());
                    alternatives.push_back(*h);
                }
            f.topics.push_back(std::move(alternatives));
        }
    }
    return f;
}

bool log_matches(const LogFilter& filter, const chain::Log& log) {
    if (!filter.addresses.empty() && std::find(filter.addresses.begin(), filter.addresses.end(),
                                               log.addr) == filter.addresses.end())
        return false;
    if (filter.topics.size() > log.topics.size()) {
        // A position with alternatives needs a topic there; trailing wildcards do not.
        for (size_t i = log.topics.size(); i < filter.topics.size(); ++i)
            if (!filter.topics[i].empty()) return false;
    }
    for (size_t i = 0; i < filter.topics.size() && i < log.topics.size(); ++i) {
        const auto& alternatives = filter.topics[i];
        if (!alternatives.empty() && std::find(alternatives.begin(), alternatives.end(),
                                               log.topics[i]) == alternatives.end())
            return false;
    }
    return true;
}

}  // namespace krnl::rpc
