#include "node/fork_source.hpp"

#include <thread>

#include "rpc/params.hpp"

namespace krnl::node {

using rpc::json;

namespace {

using state::RemoteStateError;

template <size_t N>
std::optional<fixed_bytes<N>> fixed_field(const json& obj, const char* name) {
    auto it = obj.find(name);
    if (it == obj.end() || !it->is_string()) return std::nullopt;
    return fixed_from_hex<N>(it->get<std::string>());
}

std::optional<uint256> quantity_field(const json& obj, const char* name) {
    auto it = obj.find(name);
    if (it == obj.end()) return std::nullopt;
    auto v = rpc::parse_quantity(*it);
    return v ? std::optional(*v) : std::nullopt;
}

std::optional<uint64_t> u64_field(const json& obj, const char* name) {
    auto it = obj.find(name);
    if (it == obj.end()) return std::nullopt;
    auto v = rpc::parse_u64(*it);
    return v ? std::optional(*v) : std::nullopt;
}

}  // namespace

std::expected<chain::BlockHeader, std::string> header_from_json(const json& block) {
    if (!block.is_object()) return std::unexpected("the block is not an object");
    chain::BlockHeader h;
    auto missing = [](const char* name) {
        return std::unexpected(std::string("the block has no valid ") + name);
    };
    auto parent = fixed_field<32>(block, "parentHash");
    auto ommers = fixed_field<32>(block, "sha3Uncles");
    auto miner = fixed_field<20>(block, "miner");
    auto state_root = fixed_field<32>(block, "stateRoot");
    auto tx_root = fixed_field<32>(block, "transactionsRoot");
    auto receipts_root = fixed_field<32>(block, "receiptsRoot");
    auto bloom = fixed_field<256>(block, "logsBloom");
    auto number = u64_field(block, "number");
    auto gas_limit = u64_field(block, "gasLimit");
    auto gas_used = u64_field(block, "gasUsed");
    auto timestamp = u64_field(block, "timestamp");
    if (!parent) return missing("parentHash");
    if (!ommers) return missing("sha3Uncles");
    if (!miner) return missing("miner");
    if (!state_root) return missing("stateRoot");
    if (!tx_root) return missing("transactionsRoot");
    if (!receipts_root) return missing("receiptsRoot");
    if (!bloom) return missing("logsBloom");
    if (!number) return missing("number");
    if (!gas_limit) return missing("gasLimit");
    if (!gas_used) return missing("gasUsed");
    if (!timestamp) return missing("timestamp");
    h.parent_hash = hash256(*parent);
    h.ommers_hash = hash256(*ommers);
    h.coinbase = address(*miner);
    h.state_root = hash256(*state_root);
    h.transactions_root = hash256(*tx_root);
    h.receipts_root = hash256(*receipts_root);
    h.logs_bloom = *bloom;
    h.difficulty = quantity_field(block, "difficulty").value_or(uint256{});
    h.number = *number;
    h.gas_limit = *gas_limit;
    h.gas_used = *gas_used;
    h.timestamp = *timestamp;
    if (auto it = block.find("extraData"); it != block.end() && it->is_string())
        h.extra_data = from_hex(it->get<std::string>()).value_or(bytes{});
    if (auto mix = fixed_field<32>(block, "mixHash")) h.mix_hash = hash256(*mix);
    if (auto nonce = fixed_field<8>(block, "nonce")) h.nonce = *nonce;
    h.base_fee_per_gas = quantity_field(block, "baseFeePerGas");
    if (auto v = fixed_field<32>(block, "withdrawalsRoot")) h.withdrawals_root = hash256(*v);
    h.blob_gas_used = u64_field(block, "blobGasUsed");
    h.excess_blob_gas = u64_field(block, "excessBlobGas");
    if (auto v = fixed_field<32>(block, "parentBeaconBlockRoot"))
        h.parent_beacon_block_root = hash256(*v);
    if (auto v = fixed_field<32>(block, "requestsHash")) h.requests_hash = hash256(*v);
    return h;
}

ForkSource::ForkSource(Options options, std::unique_ptr<rpc::Client> client)
    : options_(std::move(options)), client_(std::move(client)) {}

std::expected<std::unique_ptr<ForkSource>, std::string> ForkSource::open(Options options) {
    auto client = std::make_unique<rpc::Client>(options.url, options.timeout);
    auto source = std::make_unique<ForkSource>(std::move(options), std::move(client));
    const std::string& url = source->options_.url;
    try {
        const json tag = source->options_.block ? json(rpc::to_quantity(*source->options_.block))
                                                : json("latest");
        auto replies = source->request(
            {{"eth_chainId", json::array()}, {"eth_getBlockByNumber", json::array({tag, false})}},
            "the chain id and the fork block");
        if (!replies[0])
            return std::unexpected(url + ": eth_chainId: " + replies[0].error().message);
        auto id = rpc::parse_u64(*replies[0]);
        if (!id) return std::unexpected(url + ": eth_chainId: " + id.error());
        if (!replies[1])
            return std::unexpected(url + ": eth_getBlockByNumber: " + replies[1].error().message);
        if (replies[1]->is_null())
            return std::unexpected(url + " has no block " + tag.get<std::string>());
        auto header = header_from_json(*replies[1]);
        if (!header) return std::unexpected(url + ": the fork block: " + header.error());
        auto hash = fixed_field<32>(*replies[1], "hash");
        if (!hash) return std::unexpected(url + ": the fork block has no hash");
        source->chain_id_ = *id;
        source->header_ = std::move(*header);
        source->hash_ = hash256(*hash);
    } catch (const RemoteStateError& e) {
        return std::unexpected(std::string(e.what()));
    }
    return source;
}

std::string ForkSource::block_tag() const {
    return rpc::to_quantity(header_.number);
}

std::vector<rpc::Result<json>> ForkSource::request(const Calls& calls,
                                                   const std::string& what) const {
    std::chrono::milliseconds backoff = options_.backoff;
    std::string last_error;
    for (int attempt = 0; attempt <= options_.retries; ++attempt) {
        if (attempt > 0) {
            std::this_thread::sleep_for(backoff);
            backoff *= 2;
        }
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        auto replies = client_->call_batch(calls);
        if (replies) return std::move(*replies);
        last_error = replies.error().message;
    }
    // (Before open() has the fork block, there is no block to name.)
    const std::string at =
        hash_ == hash256{} ? std::string() : " at block " + std::to_string(header_.number);
    throw RemoteStateError("fork upstream unavailable: reading " + what + at + " failed after " +
                           std::to_string(options_.retries + 1) + " attempts: " + last_error);
}

void ForkSource::make_room_locked() const {
    // The upstream's state at the fork block never changes, so anything evicted is simply
    // fetched again; a crude whole-cache eviction keeps memory bounded without bookkeeping.
    if (accounts_.size() + slots_.size() < options_.max_cached_keys) return;
    slots_.clear();
    if (accounts_.size() >= options_.max_cached_keys / 2) accounts_.clear();
}

void ForkSource::fetch_accounts(std::span<const address> addrs) const {
    if (addrs.empty()) return;
    const bool proof = proof_supported_.load(std::memory_order_relaxed);
    const size_t per_account = proof ? 2 : 3;
    Calls calls;
    for (const address& a : addrs) {
        const std::string addr_hex = to_hex(a);
        if (proof) {
            calls.emplace_back("eth_getProof", json::array({addr_hex, json::array(), block_tag()}));
        } else {
            calls.emplace_back("eth_getBalance", json::array({addr_hex, block_tag()}));
            calls.emplace_back("eth_getTransactionCount", json::array({addr_hex, block_tag()}));
        }
        calls.emplace_back("eth_getCode", json::array({addr_hex, block_tag()}));
    }
    auto replies = request(calls, addrs.size() == 1 ? "account " + to_hex(addrs[0])
                                                    : std::to_string(addrs.size()) + " accounts");
    std::vector<std::pair<address, std::optional<state::AccountInfo>>> found;
    for (size_t i = 0; i < addrs.size(); ++i) {
        const rpc::Result<json>* r = &replies[i * per_account];
        auto fail = [&](const std::string& why) {
            throw RemoteStateError("fork upstream: account " + to_hex(addrs[i]) + ": " + why);
        };
        for (size_t k = 0; k < per_account; ++k)
            if (!r[k]) {
                // An upstream without eth_getProof (method unknown or refused): the three
                // getters from now on.
                if (proof && k == 0 &&
                    (r[k].error().code == rpc::code::kMethodNotFound ||
                     r[k].error().code == rpc::code::kInvalidParams)) {
                    proof_supported_.store(false, std::memory_order_relaxed);
                    return fetch_accounts(addrs);
                }
                fail(r[k].error().message);
            }
        state::AccountInfo info;
        std::optional<bytes> code;
        if (r[per_account - 1]->is_string())
            code = from_hex(r[per_account - 1]->get<std::string>());
        if (!code) fail("eth_getCode did not return bytes");
        if (proof) {
            auto balance = quantity_field(*r[0], "balance");
            auto nonce = u64_field(*r[0], "nonce");
            auto storage_hash = fixed_field<32>(*r[0], "storageHash");
            if (!balance || !nonce || !storage_hash) fail("eth_getProof returned no account");
            info.balance = *balance;
            info.nonce = *nonce;
            info.has_storage = hash256(*storage_hash) != kEmptyTrieRoot;
        } else {
            auto balance = rpc::parse_quantity(*r[0]);
            auto nonce = rpc::parse_u64(*r[1]);
            if (!balance || !nonce) fail("eth_getBalance or eth_getTransactionCount is malformed");
            info.balance = *balance;
            info.nonce = *nonce;
            // Without the storage root, any contract may hold storage.
            info.has_storage = !code->empty();
        }
        if (!code->empty()) info.code_hash = keccak256(*code);
        const bool exists = info.nonce != 0 || !!info.balance || !code->empty() || info.has_storage;
        found.emplace_back(addrs[i], exists ? std::optional(info) : std::nullopt);
        if (!code->empty()) {
            std::lock_guard lock(mutex_);
            codes_.try_emplace(info.code_hash, std::move(*code));
        }
    }
    std::lock_guard lock(mutex_);
    make_room_locked();
    for (auto& [a, info] : found)
        accounts_.try_emplace(a, info);
}

std::optional<state::AccountInfo> ForkSource::account(const address& addr) const {
    for (int pass = 0; pass < 2; ++pass) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = accounts_.find(addr); it != accounts_.end()) return it->second;
        }
        if (pass == 0) fetch_accounts({&addr, 1});
    }
    // Evicted between the fetch and this read (a full cache under concurrent reads): fetch
    // once more without caching.
    fetch_accounts({&addr, 1});
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(addr);
    return it != accounts_.end() ? it->second : std::nullopt;
}

void ForkSource::prefetch(std::span<const address> addrs) const {
    std::vector<address> missing;
    {
        std::lock_guard lock(mutex_);
        for (const address& a : addrs)
            if (!accounts_.contains(a)) missing.push_back(a);
    }
    fetch_accounts(missing);
}

uint256 ForkSource::storage(const address& addr, const uint256& key) const {
    {
        std::lock_guard lock(mutex_);
        if (auto it = slots_.find({addr, key}); it != slots_.end()) return it->second;
    }
    const std::string what = "slot " + to_hex(key) + " of " + to_hex(addr);
    uint8_t word_key[32];
    key.store_be(word_key);
    auto replies =
        request({{"eth_getStorageAt",
                  json::array({to_hex(addr), to_hex(bytes_view(word_key, 32)), block_tag()})}},
                what);
    if (!replies[0])
        throw RemoteStateError("fork upstream: " + what + ": " + replies[0].error().message);
    auto bytes32 =
        replies[0]->is_string() ? from_hex(replies[0]->get<std::string>()) : std::nullopt;
    if (!bytes32 || bytes32->size() > 32)
        throw RemoteStateError("fork upstream: " + what +
                               ": eth_getStorageAt did not return a word");
    uint8_t word[32] = {};
    std::copy(bytes32->begin(), bytes32->end(), word + 32 - bytes32->size());
    const uint256 value = uint256::load_be(word);
    std::lock_guard lock(mutex_);
    make_room_locked();
    slots_.try_emplace({addr, key}, value);
    return value;
}

bytes ForkSource::code(const hash256& code_hash) const {
    std::lock_guard lock(mutex_);
    auto it = codes_.find(code_hash);
    return it != codes_.end() ? it->second : bytes{};
}

std::optional<hash256> ForkSource::block_hash(uint64_t number) const {
    if (number == header_.number) return hash_;
    if (number > header_.number) return std::nullopt;
    {
        std::lock_guard lock(mutex_);
        if (auto it = block_hashes_.find(number); it != block_hashes_.end()) return it->second;
    }
    const std::string what = "block " + std::to_string(number);
    auto replies =
        request({{"eth_getBlockByNumber", json::array({rpc::to_quantity(number), false})}}, what);
    if (!replies[0])
        throw RemoteStateError("fork upstream: " + what + ": " + replies[0].error().message);
    if (replies[0]->is_null()) return std::nullopt;
    auto hash = fixed_field<32>(*replies[0], "hash");
    if (!hash) throw RemoteStateError("fork upstream: " + what + " has no hash");
    std::lock_guard lock(mutex_);
    // At most 256 are ever asked for (BLOCKHASH's window), so this stays small.
    block_hashes_.try_emplace(number, hash256(*hash));
    return hash256(*hash);
}

}  // namespace krnl::node
