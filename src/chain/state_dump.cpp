#include "chain/state_dump.hpp"

#include <chrono>
#include <fstream>
#include <limits>

#include "chain/execution.hpp"
#include "chain/gzip.hpp"
#include "state/flat_state.hpp"

namespace krnl::chain {
namespace {

using nlohmann::json;

// Deeper than anvil's own files (accounts: 4 levels; blocks' transactions: under 10).
constexpr size_t kMaxJsonDepth = 64;

std::string slot_hex(const uint256& v) {
    uint8_t b[32];
    v.store_be(b);
    return to_hex(bytes_view{b, 32});
}

uint64_t clamp_u64(const uint256& v) {
    return v > uint256{std::numeric_limits<uint64_t>::max()} ? std::numeric_limits<uint64_t>::max()
                                                             : v.w[0];
}

std::expected<uint256, std::string> read_uint(const json& v, const std::string& where) {
    if (v.is_number_unsigned()) return uint256{v.get<uint64_t>()};
    if (v.is_string())
        if (auto n = parse_uint256(v.get_ref<const std::string&>())) return *n;
    return std::unexpected(where + ": expected a non-negative integer (a number or a 0x string)");
}

std::expected<uint64_t, std::string> read_u64(const json& v, const std::string& where) {
    auto n = read_uint(v, where);
    if (!n) return std::unexpected(n.error());
    if (*n > uint256{std::numeric_limits<uint64_t>::max()})
        return std::unexpected(where + ": larger than 64 bits");
    return n->w[0];
}

std::expected<StateFile::Account, std::string> parse_account(const std::string& key,
                                                             const json& value) {
    const std::string where = "accounts." + key;
    StateFile::Account account;
    auto addr = fixed_from_hex<20>(key);
    if (!addr || key.size() != 42) return std::unexpected(where + ": not a 20-byte 0x address");
    account.addr = *addr;
    if (!value.is_object()) return std::unexpected(where + ": expected an object");
    if (auto it = value.find("nonce"); it != value.end()) {
        auto n = read_u64(*it, where + ".nonce");
        if (!n) return std::unexpected(n.error());
        account.nonce = *n;
    }
    if (auto it = value.find("balance"); it != value.end()) {
        auto n = read_uint(*it, where + ".balance");
        if (!n) return std::unexpected(n.error());
        account.balance = *n;
    }
    if (auto it = value.find("code"); it != value.end() && !it->is_null()) {
        std::optional<bytes> code;
        if (it->is_string()) code = from_hex(it->get_ref<const std::string&>());
        if (!code) return std::unexpected(where + ".code: expected 0x hex bytes");
        account.code = std::move(*code);
    }
    if (auto it = value.find("storage"); it != value.end() && !it->is_null()) {
        if (!it->is_object()) return std::unexpected(where + ".storage: expected an object");
        for (const auto& [slot, v] : it->items()) {
            auto k = read_uint(json(slot), where + ".storage key " + slot);
            if (!k) return std::unexpected(k.error());
            auto val = read_uint(v, where + ".storage." + slot);
            if (!val) return std::unexpected(val.error());
            account.storage.emplace_back(*k, *val);
        }
    }
    return account;
}

// A header as anvil's blocks hold it (alloy's JSON header, without the hash it recomputes).
json header_json(const BlockHeader& h) {
    json j{{"parentHash", to_hex(h.parent_hash)},
           {"sha3Uncles", to_hex(h.ommers_hash)},
           {"miner", to_hex(h.coinbase)},
           {"stateRoot", to_hex(h.state_root)},
           {"transactionsRoot", to_hex(h.transactions_root)},
           {"receiptsRoot", to_hex(h.receipts_root)},
           {"logsBloom", to_hex(h.logs_bloom)},
           {"difficulty", to_hex(h.difficulty)},
           {"number", to_hex(uint256{h.number})},
           {"gasLimit", to_hex(uint256{h.gas_limit})},
           {"gasUsed", to_hex(uint256{h.gas_used})},
           {"timestamp", to_hex(uint256{h.timestamp})},
           {"extraData", to_hex(h.extra_data)},
           {"mixHash", to_hex(h.mix_hash)},
           {"nonce", to_hex(h.nonce)}};
    if (h.base_fee_per_gas) j["baseFeePerGas"] = to_hex(*h.base_fee_per_gas);
    if (h.withdrawals_root) j["withdrawalsRoot"] = to_hex(*h.withdrawals_root);
    if (h.blob_gas_used) j["blobGasUsed"] = to_hex(uint256{*h.blob_gas_used});
    if (h.excess_blob_gas) j["excessBlobGas"] = to_hex(uint256{*h.excess_blob_gas});
    if (h.parent_beacon_block_root)
        j["parentBeaconBlockRoot"] = to_hex(*h.parent_beacon_block_root);
    if (h.requests_hash) j["requestsHash"] = to_hex(*h.requests_hash);
    return j;
}

}  // namespace

std::expected<json, std::string> dump_state(const Chain& chain, size_t max_bytes) {
    const ChainReader reader = chain.reader();
    const std::optional<BlockHeader> head = reader.header(reader.head());
    if (!head) return std::unexpected("the chain has no head block");
    const std::unique_ptr<state::StateView> view = reader.state_at(reader.head());

    // The size of the JSON text is counted as it is built, so an oversized state is refused
    // before it is all in memory.
    size_t size = 4096;  // block, head header, framing
    auto over = [&] {
        return std::unexpected("the state's JSON passes " + std::to_string(max_bytes) +
                               " bytes, the limit of a state dump");
    };
    json accounts = json::object();
    state::Cursor cursor(reader.txn(), reader.txn().database().table("accounts"));
    for (auto e = cursor.first(); e; e = cursor.next()) {
        const address addr = address::from_view(e->first.substr(0, 20));
        const std::optional<state::AccountInfo> info = view->read_account(addr);
        if (!info) continue;
        const bytes code =
            info->code_hash == kEmptyKeccak ? bytes{} : view->read_code(info->code_hash);
        size += 160 + 2 * code.size();
        if (size > max_bytes) return over();
        json storage = json::object();
        bool too_big = false;
        view->for_each_slot(addr, [&](const uint256& key, const uint256& value) {
            size += 140;
            if (size > max_bytes) too_big = true;
            if (!too_big) storage[slot_hex(key)] = slot_hex(value);
        });
        if (too_big) return over();
        accounts[to_hex(addr)] = json{{"nonce", info->nonce},
                                      {"balance", to_hex(info->balance)},
                                      {"code", to_hex(code)},
                                      {"storage", std::move(storage)}};
    }

    const uint64_t excess_blob_gas = head->excess_blob_gas.value_or(0);
    json block{
        {"number", to_hex(uint256{head->number})},
        {"beneficiary", to_hex(chain.coinbase())},
        {"timestamp", to_hex(uint256{head->timestamp})},
        {"gas_limit", chain.block_gas_limit()},
        {"basefee", clamp_u64(head->base_fee_per_gas.value_or(uint256{}))},
        {"difficulty", to_hex(head->difficulty)},
        {"prevrandao", to_hex(head->mix_hash)},
        {"blob_excess_gas_and_price",
         {{"excess_blob_gas", excess_blob_gas},
          {"blob_gasprice", clamp_u64(blob_base_fee(excess_blob_gas, chain.config().revision))}}},
        {"slot_num", 0},
    };
    return json{{"block", std::move(block)},
                {"accounts", std::move(accounts)},
                {"best_block_number", head->number},
                // anvil refuses a best_block_number it holds no block for: the head block goes
                // along (its header; its transactions are not in anvil's shape here).
                {"blocks", json::array({json{{"header", header_json(*head)},
                                             {"transactions", json::array()},
                                             {"ommers", json::array()},
                                             {"withdrawals", nullptr}}})},
                {"transactions", json::array()},
                {"historical_states", nullptr}};
}

std::expected<StateFile, std::string> parse_state(const json& state) {
    if (!state.is_object()) return std::unexpected("the state must be a JSON object");
    StateFile file;
    auto accounts = state.find("accounts");
    if (accounts == state.end() || !accounts->is_object())
        return std::unexpected("the state has no \"accounts\" object");
    for (const auto& [key, value] : accounts->items()) {
        auto account = parse_account(key, value);
        if (!account) return std::unexpected(account.error());
        file.accounts.push_back(std::move(*account));
    }
    if (auto block = state.find("block"); block != state.end() && !block->is_null()) {
        if (!block->is_object()) return std::unexpected("block: expected an object");
        if (auto it = block->find("number"); it != block->end()) {
            auto n = read_u64(*it, "block.number");
            if (!n) return std::unexpected(n.error());
            file.block_number = *n;
        }
        if (auto it = block->find("timestamp"); it != block->end()) {
            auto t = read_u64(*it, "block.timestamp");
            if (!t) return std::unexpected(t.error());
            file.timestamp = *t;
        }
    }
    if (auto best = state.find("best_block_number"); best != state.end() && !best->is_null()) {
        auto n = read_u64(*best, "best_block_number");
        if (!n) return std::unexpected(n.error());
        file.block_number = std::max(file.block_number.value_or(0), *n);
    }
    return file;
}

std::expected<StateFile, std::string> parse_state_bytes(bytes_view data, size_t max_bytes) {
    bytes inflated;
    if (is_gzip(data)) {
        auto out = gzip_decompress(data, max_bytes);
        if (!out) return std::unexpected(out.error());
        inflated = std::move(*out);
        data = inflated;
    } else if (data.size() > max_bytes) {
        return std::unexpected("the state is " + std::to_string(data.size()) +
                               " bytes, past the limit of " + std::to_string(max_bytes));
    }
    bool too_deep = false;
    const json::parser_callback_t depth_check = [&](int depth, json::parse_event_t, json&) {
        if (static_cast<size_t>(depth) > kMaxJsonDepth) too_deep = true;
        return !too_deep;
    };
    const std::string_view text{reinterpret_cast<const char*>(data.data()), data.size()};
    json state = json::parse(text, depth_check, /*allow_exceptions=*/false);
    if (too_deep)
        return std::unexpected("the state nests deeper than " + std::to_string(kMaxJsonDepth) +
                               " levels");
    if (state.is_discarded()) return std::unexpected("the state is not valid JSON");
    return parse_state(state);
}

std::expected<LoadResult, std::string> load_state(Chain& chain, const StateFile& state,
                                                  uint64_t max_fill_blocks) {
    LoadResult result;
    try {
        for (const StateFile::Account& a : state.accounts) {
            chain.set_balance(a.addr, a.balance);
            chain.set_nonce(a.addr, a.nonce);
            bool had_code = false;
            {
                const ChainReader r = chain.reader();
                auto info = r.state_at(r.head())->read_account(a.addr);
                had_code = info && info->code_hash != kEmptyKeccak;
            }
            if (!a.code.empty() || had_code) chain.set_code(a.addr, a.code);
            for (const auto& [key, value] : a.storage)
                chain.set_storage(a.addr, key, value);
            ++result.accounts;
            result.slots += a.storage.size();
        }
    } catch (const state::DatabaseError& e) {
        return std::unexpected("storage failed after " + std::to_string(result.accounts) +
                               " accounts: " + e.what());
    }

    // Block time continues from the file's: the clock's offset moves it there if it is behind.
    if (state.timestamp) {
        const auto offset = chain.increase_time(0);
        const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        const __int128 behind = static_cast<__int128>(*state.timestamp) - now - offset.value_or(0);
        if (offset && behind > 0) {
            auto moved = chain.increase_time(static_cast<uint64_t>(behind));
            if (!moved) return std::unexpected(moved.error());
        }
    }
    if (state.block_number) {
        const ChainReader r = chain.reader();
        const uint64_t head = r.head();
        if (*state.block_number > head && *state.block_number - head <= max_fill_blocks) {
            for (uint64_t n = head; n < *state.block_number; ++n) {
                auto mined = chain.mine();
                if (!mined)
                    return std::unexpected("mining up to block " +
                                           std::to_string(*state.block_number) +
                                           " failed: " + mined.error());
                ++result.blocks_mined;
            }
        }
    }
    return result;
}

std::expected<void, std::string> write_state_file(const Chain& chain,
                                                  const std::filesystem::path& path) {
    std::error_code ec;
    const std::filesystem::path target =
        std::filesystem::is_directory(path, ec) ? path / "state.json" : path;
    std::expected<json, std::string> state;
    try {
        state = dump_state(chain);
    } catch (const state::DatabaseError& e) {
        return std::unexpected(std::string("reading the state failed: ") + e.what());
    }
    if (!state) return std::unexpected(state.error());
    const std::string text = state->dump();
    std::filesystem::path temporary = target;
    temporary += ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.flush();
        if (!out) return std::unexpected("cannot write " + temporary.string());
    }
    std::filesystem::rename(temporary, target, ec);
    if (ec)
        return std::unexpected("cannot rename " + temporary.string() + " to " + target.string() +
                               ": " + ec.message());
    return {};
}

std::expected<LoadResult, std::string> load_state_file(Chain& chain,
                                                       const std::filesystem::path& path) {
    std::error_code ec;
    const std::filesystem::path source =
        std::filesystem::is_directory(path, ec) ? path / "state.json" : path;
    const auto size = std::filesystem::file_size(source, ec);
    if (ec) return std::unexpected(source.string() + ": " + ec.message());
    // A gzip file inflates to at most the limit; its own size is bounded by the same.
    if (size > kMaxStateFileBytes)
        return std::unexpected(source.string() + " is " + std::to_string(size) +
                               " bytes, past the limit of " + std::to_string(kMaxStateFileBytes));
    std::ifstream in(source, std::ios::binary);
    bytes data(size, 0);
    in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(size));
    if (!in) return std::unexpected("cannot read " + source.string());
    auto state = parse_state_bytes(data);
    if (!state) return std::unexpected(source.string() + ": " + state.error());
    return load_state(chain, *state);
}

}  // namespace krnl::chain
