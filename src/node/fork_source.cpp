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

struct ForkSource::Cache {
    std::unordered_map<address, std::optional<state::AccountInfo>> accounts;
    struct SlotKey {
        address addr;
        uint256 key;
        bool operator==(const SlotKey&) const = default;
    };
    struct SlotHash {
        size_t operator()(const SlotKey& k) const {
            return std::hash<address>{}(k.addr) ^ (std::hash<uint256>{}(k.key) * 31);
        }
    };
    std::unordered_map<SlotKey, uint256, SlotHash> slots;
    // Not evicted with the accounts: State reads an account's code by hash right after the
    // account, and the upstream serves code by address only.
    std::unordered_map<hash256, bytes> codes;
    std::unordered_map<uint64_t, hash256> block_hashes;
    // historic(): method and params as text -> the reply, and the bytes they take.
    std::unordered_map<std::string, json> historic;
    size_t historic_bytes = 0;
};

ForkSource::ForkSource(Options options)
    : options_(std::move(options)), cache_(std::make_shared<Cache>()) {}

std::expected<std::shared_ptr<const ForkSource::Upstream>, ForkSource::ConnectError>
ForkSource::connect(const Options& options, const std::string& url, std::optional<uint64_t> block) {
    auto up = std::make_shared<Upstream>();
    up->url = url;
    up->client = std::make_shared<rpc::Client>(url, options.timeout);
    // A source of its own for the retries and the round-trip count of these two calls.
    ForkSource probe(options);
    auto unusable = [](std::string message) {
        return std::unexpected(ConnectError{false, std::move(message)});
    };
    try {
        const json tag = block ? json(rpc::to_quantity(*block)) : json("latest");
        auto replies = probe.request(
            nullptr, *up->client,
            {{"eth_chainId", json::array()}, {"eth_getBlockByNumber", json::array({tag, false})}},
            "the chain id and the fork block");
        if (!replies[0]) return unusable(url + ": eth_chainId: " + replies[0].error().message);
        auto id = rpc::parse_u64(*replies[0]);
        if (!id) return unusable(url + ": eth_chainId: " + id.error());
        if (!replies[1])
            return unusable(url + ": eth_getBlockByNumber: " + replies[1].error().message);
        if (replies[1]->is_null()) return unusable(url + " has no block " + tag.get<std::string>());
        auto header = header_from_json(*replies[1]);
        if (!header) return unusable(url + ": the fork block: " + header.error());
        auto hash = fixed_field<32>(*replies[1], "hash");
        if (!hash) return unusable(url + ": the fork block has no hash");
        up->chain_id = *id;
        up->header = std::move(*header);
        up->hash = hash256(*hash);
    } catch (const RemoteStateError& e) {
        return std::unexpected(ConnectError{true, e.what()});
    }
    return up;
}

std::expected<std::unique_ptr<ForkSource>, std::string> ForkSource::open(Options options) {
    auto up = connect(options, options.url, options.block);
    if (!up) return std::unexpected(up.error().message);
    auto source = std::make_unique<ForkSource>(std::move(options));
    source->install(std::move(*up));
    return source;
}

ForkSource::Installed ForkSource::install(std::shared_ptr<const Upstream> upstream) {
    std::lock_guard lock(mutex_);
    Installed previous{upstream_, cache_};
    proof_supported_.store(true, std::memory_order_relaxed);
    fork_block_.store(upstream ? upstream->header.number : 0, std::memory_order_relaxed);
    if (disk_ && upstream) disk_->set_point(upstream->hash);
    upstream_ = std::move(upstream);
    cache_ = std::make_shared<Cache>();
    return previous;
}

void ForkSource::attach_disk_cache(std::unique_ptr<ForkDiskCache> cache) {
    std::lock_guard lock(mutex_);
    disk_ = std::move(cache);
    if (disk_ && upstream_) disk_->set_point(upstream_->hash);
}

void ForkSource::restore(Installed previous) {
    std::lock_guard lock(mutex_);
    fork_block_.store(previous.upstream ? previous.upstream->header.number : 0,
                      std::memory_order_relaxed);
    if (disk_ && previous.upstream) disk_->set_point(previous.upstream->hash);
    upstream_ = std::move(previous.upstream);
    auto cache = std::static_pointer_cast<Cache>(previous.cache);
    cache_ = cache ? std::move(cache) : std::make_shared<Cache>();
}

std::expected<void, ForkSource::ConnectError> ForkSource::set_url(const std::string& url) {
    const std::shared_ptr<const Upstream> now = upstream();
    if (!now)
        return std::unexpected(
            ConnectError{false, "this chain is not a fork: there is no upstream to replace"});
    auto next = connect(options_, url, now->header.number);
    if (!next) return std::unexpected(next.error());
    auto unusable = [](std::string message) {
        return std::unexpected(ConnectError{false, std::move(message)});
    };
    if ((*next)->chain_id != now->chain_id)
        return unusable(url + " serves chain " + std::to_string((*next)->chain_id) +
                        ", not the forked chain " + std::to_string(now->chain_id));
    if ((*next)->hash != now->hash)
        return unusable(url + " has another block " + std::to_string(now->header.number) +
                        " (hash " + to_hex((*next)->hash) + ") than the fork block " +
                        to_hex(now->hash));
    std::lock_guard lock(mutex_);
    // Same point, same state: the cache stays valid.
    if (upstream_ == now) upstream_ = std::move(*next);
    return {};
}

std::shared_ptr<const ForkSource::Upstream> ForkSource::upstream() const {
    std::lock_guard lock(mutex_);
    return upstream_;
}

std::pair<std::shared_ptr<const ForkSource::Upstream>, std::shared_ptr<ForkSource::Cache>>
ForkSource::current() const {
    std::lock_guard lock(mutex_);
    if (!upstream_) throw RemoteStateError("fork upstream unavailable: this chain has no upstream");
    return {upstream_, cache_};
}

std::vector<rpc::Result<json>> ForkSource::request(const Upstream* up, rpc::Client& client,
                                                   const Calls& calls,
                                                   const std::string& what) const {
    std::chrono::milliseconds backoff = options_.backoff;
    std::string last_error;
    for (int attempt = 0; attempt <= options_.retries; ++attempt) {
        if (attempt > 0) {
            std::this_thread::sleep_for(backoff);
            backoff *= 2;
        }
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        auto replies = client.call_batch(calls);
        if (replies) return std::move(*replies);
        last_error = replies.error().message;
    }
    // (Before connect() has the fork block, there is no block to name.)
    const std::string at =
        up == nullptr ? std::string() : " at block " + std::to_string(up->header.number);
    throw RemoteStateError("fork upstream unavailable: reading " + what + at + " failed after " +
                           std::to_string(options_.retries + 1) + " attempts: " + last_error);
}

void ForkSource::make_room_locked(Cache& c) const {
    // The upstream's state at the fork block never changes, so anything evicted is simply
    // fetched again; a crude whole-cache eviction keeps memory bounded without bookkeeping.
    if (c.accounts.size() + c.slots.size() < options_.max_cached_keys) return;
    c.slots.clear();
    if (c.accounts.size() >= options_.max_cached_keys / 2) c.accounts.clear();
}

void ForkSource::fetch_accounts(std::span<const address> requested) const {
    if (requested.empty()) return;
    const auto [up, cache] = current();
    // What the disk holds (with its code) is not asked for again.
    std::vector<address> addrs;
    if (disk_) {
        std::vector<std::pair<address, std::optional<state::AccountInfo>>> stored;
        std::vector<std::pair<hash256, bytes>> stored_codes;
        for (const address& a : requested) {
            auto info = disk_->account(a);
            std::optional<bytes> code;
            if (info && *info && (*info)->code_hash != state::AccountInfo{}.code_hash)
                code = disk_->code((*info)->code_hash);
            if (!info || (*info && (*info)->code_hash != state::AccountInfo{}.code_hash && !code)) {
                addrs.push_back(a);
                continue;
            }
            if (code) stored_codes.emplace_back((*info)->code_hash, std::move(*code));
            stored.emplace_back(a, *info);
        }
        std::lock_guard lock(mutex_);
        make_room_locked(*cache);
        for (auto& [hash, code] : stored_codes)
            cache->codes.try_emplace(hash, std::move(code));
        for (auto& [a, info] : stored)
            cache->accounts.try_emplace(a, info);
    } else {
        addrs.assign(requested.begin(), requested.end());
    }
    if (addrs.empty()) return;
    const std::string block_tag = rpc::to_quantity(up->header.number);
    const bool proof = proof_supported_.load(std::memory_order_relaxed);
    const size_t per_account = proof ? 2 : 3;
    Calls calls;
    for (const address& a : addrs) {
        const std::string addr_hex = to_hex(a);
        if (proof) {
            calls.emplace_back("eth_getProof", json::array({addr_hex, json::array(), block_tag}));
        } else {
            calls.emplace_back("eth_getBalance", json::array({addr_hex, block_tag}));
            calls.emplace_back("eth_getTransactionCount", json::array({addr_hex, block_tag}));
        }
        calls.emplace_back("eth_getCode", json::array({addr_hex, block_tag}));
    }
    auto replies = request(up.get(), *up->client, calls,
                           addrs.size() == 1 ? "account " + to_hex(addrs[0])
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
            if (disk_ && current_cache_is(cache)) disk_->put_code(info.code_hash, *code);
            std::lock_guard lock(mutex_);
            cache->codes.try_emplace(info.code_hash, std::move(*code));
        }
    }
    if (disk_ && current_cache_is(cache)) disk_->put_accounts(found);
    std::lock_guard lock(mutex_);
    make_room_locked(*cache);
    for (auto& [a, info] : found)
        cache->accounts.try_emplace(a, info);
}

std::optional<state::AccountInfo> ForkSource::account(const address& addr) const {
    for (int pass = 0; pass < 2; ++pass) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = cache_->accounts.find(addr); it != cache_->accounts.end())
                return it->second;
        }
        if (pass == 0) fetch_accounts({&addr, 1});
    }
    // Evicted between the fetch and this read (a full cache under concurrent reads): fetch
    // once more without caching.
    fetch_accounts({&addr, 1});
    std::lock_guard lock(mutex_);
    auto it = cache_->accounts.find(addr);
    return it != cache_->accounts.end() ? it->second : std::nullopt;
}

void ForkSource::prefetch(std::span<const address> addrs) const {
    std::vector<address> missing;
    {
        std::lock_guard lock(mutex_);
        for (const address& a : addrs)
            if (!cache_->accounts.contains(a)) missing.push_back(a);
    }
    fetch_accounts(missing);
}

uint256 ForkSource::storage(const address& addr, const uint256& key) const {
    {
        std::lock_guard lock(mutex_);
        if (auto it = cache_->slots.find({addr, key}); it != cache_->slots.end()) return it->second;
    }
    const auto [up, cache] = current();
    if (disk_)
        if (auto stored = disk_->slot(addr, key)) {
            std::lock_guard lock(mutex_);
            make_room_locked(*cache);
            cache->slots.try_emplace({addr, key}, *stored);
            return *stored;
        }
    const std::string what = "slot " + to_hex(key) + " of " + to_hex(addr);
    uint8_t word_key[32];
    key.store_be(word_key);
    auto replies =
        request(up.get(), *up->client,
                {{"eth_getStorageAt", json::array({to_hex(addr), to_hex(bytes_view(word_key, 32)),
                                                   rpc::to_quantity(up->header.number)})}},
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
    if (disk_ && current_cache_is(cache)) disk_->put_slot(addr, key, value);
    std::lock_guard lock(mutex_);
    make_room_locked(*cache);
    cache->slots.try_emplace({addr, key}, value);
    return value;
}

bytes ForkSource::code(const hash256& code_hash) const {
    {
        std::lock_guard lock(mutex_);
        auto it = cache_->codes.find(code_hash);
        if (it != cache_->codes.end()) return it->second;
    }
    if (!disk_) return {};
    auto stored = disk_->code(code_hash);
    if (!stored) return {};
    std::lock_guard lock(mutex_);
    cache_->codes.try_emplace(code_hash, *stored);
    return std::move(*stored);
}

bool ForkSource::current_cache_is(const std::shared_ptr<Cache>& cache) const {
    std::lock_guard lock(mutex_);
    return cache == cache_;
}

json ForkSource::proof(const address& addr, const json& keys) const {
    const auto [up, cache] = current();
    const std::string what = "the proof of " + to_hex(addr);
    auto replies = request(
        up.get(), *up->client,
        {{"eth_getProof", json::array({to_hex(addr), keys, rpc::to_quantity(up->header.number)})}},
        what);
    if (!replies[0])
        throw RemoteStateError("fork upstream: " + what + ": " + replies[0].error().message);
    if (!replies[0]->is_object())
        throw RemoteStateError("fork upstream: " + what + ": eth_getProof returned no object");
    return std::move(*replies[0]);
}

json ForkSource::historic(const std::string& method, const json& params) const {
    std::string key = method + params.dump();
    {
        std::lock_guard lock(mutex_);
        if (auto it = cache_->historic.find(key); it != cache_->historic.end()) return it->second;
    }
    const auto [up, cache] = current();
    auto replies = request(up.get(), *up->client, {{method, params}}, method);
    if (!replies[0])
        throw RemoteStateError("fork upstream: " + method + ": " + replies[0].error().message);
    const size_t bytes = key.size() + replies[0]->dump().size();
    if (bytes <= kMaxHistoricBytes / 8) {
        std::lock_guard lock(mutex_);
        if (cache->historic_bytes + bytes > kMaxHistoricBytes) {
            cache->historic.clear();
            cache->historic_bytes = 0;
        }
        if (cache->historic.try_emplace(std::move(key), *replies[0]).second)
            cache->historic_bytes += bytes;
    }
    return std::move(*replies[0]);
}

std::optional<hash256> ForkSource::block_hash(uint64_t number) const {
    const auto [up, cache] = current();
    if (number == up->header.number) return up->hash;
    if (number > up->header.number) return std::nullopt;
    {
        std::lock_guard lock(mutex_);
        if (auto it = cache_->block_hashes.find(number); it != cache_->block_hashes.end())
            return it->second;
    }
    if (disk_)
        if (auto stored = disk_->block_hash(number)) return stored;
    const std::string what = "block " + std::to_string(number);
    auto replies =
        request(up.get(), *up->client,
                {{"eth_getBlockByNumber", json::array({rpc::to_quantity(number), false})}}, what);
    if (!replies[0])
        throw RemoteStateError("fork upstream: " + what + ": " + replies[0].error().message);
    if (replies[0]->is_null()) return std::nullopt;
    auto hash = fixed_field<32>(*replies[0], "hash");
    if (!hash) throw RemoteStateError("fork upstream: " + what + " has no hash");
    if (disk_ && current_cache_is(cache)) disk_->put_block_hash(number, hash256(*hash));
    std::lock_guard lock(mutex_);
    // At most 256 are ever asked for (BLOCKHASH's window), so this stays small.
    cache->block_hashes.try_emplace(number, hash256(*hash));
    return hash256(*hash);
}

}  // namespace krnl::node
