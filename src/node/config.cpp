#include "node/config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "common/hd_wallet.hpp"

namespace krnl::node {
namespace {

const uint256 kEther = uint256(1'000'000'000'000'000'000ull);

// Amounts may be integers or decimal / 0x strings (TOML integers stop at 2^63).
std::expected<uint256, std::string> read_amount(const toml::node& n, const std::string& key) {
    if (auto i = n.value<int64_t>()) {
        if (*i < 0) return std::unexpected(key + ": must not be negative");
        return uint256(static_cast<uint64_t>(*i));
    }
    if (auto s = n.value<std::string>()) {
        if (s->starts_with("0x")) {
            auto b = from_hex(*s);
            if (!b || b->size() > 32) return std::unexpected(key + ": not a 256-bit hex number");
            return uint256::from_be(*b);
        }
        auto v = parse_uint256(*s);
        if (!v) return std::unexpected(key + ": not a decimal number");
        return *v;
    }
    return std::unexpected(key + ": expected a number or a string");
}

template <typename T>
std::expected<T, std::string> read_uint(const toml::table& t, const char* name, T fallback,
                                        const std::string& where) {
    const toml::node* n = t.get(name);
    if (n == nullptr) return fallback;
    auto v = n->value<int64_t>();
    if (!v || *v < 0 || static_cast<uint64_t>(*v) > std::numeric_limits<T>::max())
        return std::unexpected(where + name + ": expected an integer from 0 to " +
                               std::to_string(std::numeric_limits<T>::max()));
    return static_cast<T>(*v);
}

}  // namespace

NodeConfig dev_config() {
    NodeConfig config;
    config.mnemonic = std::string(hd::kTestMnemonic);
    config.dev_balance = uint256(10'000) * kEther;
    ChainEntry entry;
    entry.chain.name = "dev";
    config.chains.push_back(entry);
    return config;
}

std::expected<NodeConfig, std::string> parse_config(std::string_view text) {
    toml::table doc;
    try {
        doc = toml::parse(text);
    } catch (const toml::parse_error& e) {
        std::ostringstream msg;
        msg << "line " << e.source().begin.line << ": " << e.description();
        return std::unexpected(msg.str());
    }
    NodeConfig config;
    config.dev_balance = uint256(10'000) * kEther;
    if (const toml::table* node = doc["node"].as_table()) {
        if (auto host = (*node)["host"].value<std::string>()) config.host = *host;
        if (auto m = (*node)["mnemonic"].value<std::string>()) config.mnemonic = *m;
        auto accounts = read_uint<uint32_t>(*node, "dev_accounts", 10, "node.");
        if (!accounts) return std::unexpected(accounts.error());
        config.dev_accounts = *accounts;
        if (const toml::node* b = node->get("dev_balance_eth")) {
            auto eth = read_amount(*b, "node.dev_balance_eth");
            if (!eth) return std::unexpected(eth.error());
            config.dev_balance = *eth * kEther;
        }
        auto threads = read_uint<unsigned>(*node, "threads", 4, "node.");
        if (!threads) return std::unexpected(threads.error());
        config.threads = std::max(1u, *threads);
        if (auto dir = (*node)["data_dir"].value<std::string>()) config.data_dir = *dir;
    }
    if (const toml::table* e = doc["engine"].as_table()) {
        EngineConfig& engine = config.engine;
        engine.enabled = (*e)["enabled"].value_or(true);
        auto home = read_uint<uint64_t>(*e, "home_chain", 0, "engine.");
        if (!home) return std::unexpected(home.error());
        engine.home_chain_id = *home;
        if (e->contains("dev_key")) {
            auto k = read_uint<uint32_t>(*e, "dev_key", 0, "engine.");
            if (!k) return std::unexpected(k.error());
            engine.dev_key = *k;
        }
        if (auto ks = (*e)["keystore"].value<std::string>()) engine.keystore = *ks;
        if (auto pw = (*e)["password_env"].value<std::string>()) engine.password_env = *pw;
        if (const toml::node* fee = e->get("node_fee")) {
            auto v = read_amount(*fee, "engine.node_fee");
            if (!v) return std::unexpected(v.error());
            engine.node_fee = *v;
        }
        auto strings = [&](const char* key,
                           std::vector<std::string>& out) -> std::expected<void, std::string> {
            const toml::node* n = e->get(key);
            if (n == nullptr) return {};
            const toml::array* a = n->as_array();
            if (a == nullptr)
                return std::unexpected(std::string("engine.") + key +
                                       ": expected a list of strings");
            for (const auto& item : *a) {
                auto v = item.value<std::string>();
                if (!v)
                    return std::unexpected(std::string("engine.") + key +
                                           ": expected a list of strings");
                out.push_back(*v);
            }
            return {};
        };
        if (auto r = strings("peers", engine.peers); !r) return std::unexpected(r.error());
        if (auto r = strings("http_allowed_hosts", engine.http_allowed_hosts); !r)
            return std::unexpected(r.error());
        if (const toml::table* up = (*e)["upstream"].as_table())
            for (const auto& [key, value] : *up) {
                const std::string k(key.str());
                uint64_t id = 0;
                const auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), id);
                auto url = value.value<std::string>();
                if (ec != std::errc{} || end != k.data() + k.size() || id == 0 || !url)
                    return std::unexpected("engine.upstream." + k +
                                           ": expected chain id = \"http://...\"");
                engine.upstream[id] = *url;
            }
        auto contract = [&](const char* key,
                            std::optional<address>& out) -> std::expected<void, std::string> {
            const toml::node* n = e->get(key);
            if (n == nullptr) return {};
            auto text = n->value<std::string>();
            auto bytes = text ? from_hex(*text) : std::nullopt;
            if (!bytes || bytes->size() != 20)
                return std::unexpected(std::string("engine.") + key +
                                       ": expected a 20-byte 0x address");
            out = address::from_view(*bytes);
            return {};
        };
        if (auto r = contract("registry", engine.registry); !r) return std::unexpected(r.error());
        if (auto r = contract("vault", engine.vault); !r) return std::unexpected(r.error());
        auto port = read_uint<uint16_t>(*e, "port", 0, "engine.");
        if (!port) return std::unexpected(port.error());
        engine.port = *port;
        auto parallel = read_uint<uint32_t>(*e, "max_parallel_kernels", 0, "engine.");
        if (!parallel) return std::unexpected(parallel.error());
        engine.max_parallel_kernels = *parallel;
    }
    const toml::array* chains = doc["chains"].as_array();
    // An engine over upstream chains alone needs no chain of its own, but a port.
    if ((chains == nullptr || chains->empty()) &&
        !(config.engine.enabled && config.engine.port != 0))
        return std::unexpected(
            "no [[chains]]: the node needs at least one chain, or [engine] with a port");
    if (chains == nullptr) return config;
    for (size_t i = 0; i < chains->size(); ++i) {
        const toml::table* t = (*chains)[i].as_table();
        const std::string where = "chains[" + std::to_string(i) + "].";
        if (t == nullptr) return std::unexpected(where + ": expected a table");
        ChainEntry entry;
        auto id = read_uint<uint64_t>(*t, "chain_id", 0, where);
        if (!id) return std::unexpected(id.error());
        if (*id == 0) return std::unexpected(where + "chain_id: required, and not 0");
        entry.chain.chain_id = *id;
        entry.chain.name = (*t)["name"].value_or(std::string("chain-" + std::to_string(*id)));
        auto port = read_uint<uint16_t>(*t, "port", 0, where);
        if (!port) return std::unexpected(port.error());
        if (*port == 0) return std::unexpected(where + "port: required");
        entry.port = *port;
        auto gas_limit = read_uint<uint64_t>(*t, "gas_limit", 30'000'000, where);
        if (!gas_limit) return std::unexpected(gas_limit.error());
        if (*gas_limit < 5000) return std::unexpected(where + "gas_limit: at least 5000");
        entry.chain.gas_limit = *gas_limit;
        if (const toml::node* fee = t->get("base_fee")) {
            auto v = read_amount(*fee, where + "base_fee");
            if (!v) return std::unexpected(v.error());
            entry.chain.initial_base_fee = *v;
        }
        auto block_time = read_uint<uint64_t>(*t, "block_time_ms", 0, where);
        if (!block_time) return std::unexpected(block_time.error());
        entry.block_time_ms = *block_time;
        if (const toml::table* alloc = (*t)["alloc"].as_table()) {
            for (const auto& [key, value] : *alloc) {
                const std::string akey = where + "alloc." + std::string(key.str());
                auto addr = fixed_from_hex<20>(key.str());
                if (!addr) return std::unexpected(akey + ": not a 20-byte hex address");
                const toml::table* acc = value.as_table();
                if (acc == nullptr) return std::unexpected(akey + ": expected a table");
                chain::GenesisAccount g;
                if (const toml::node* b = acc->get("balance")) {
                    auto v = read_amount(*b, akey + ".balance");
                    if (!v) return std::unexpected(v.error());
                    g.balance = *v;
                }
                auto nonce = read_uint<uint64_t>(*acc, "nonce", 0, akey + ".");
                if (!nonce) return std::unexpected(nonce.error());
                g.nonce = *nonce;
                if (auto code = (*acc)["code"].value<std::string>()) {
                    auto c = from_hex(*code);
                    if (!c) return std::unexpected(akey + ".code: not hex");
                    g.code = std::move(*c);
                }
                entry.chain.alloc[*addr] = std::move(g);
            }
        }
        for (const ChainEntry& other : config.chains) {
            if (other.port == entry.port)
                return std::unexpected(where + "port: " + std::to_string(entry.port) +
                                       " is already used by chain " +
                                       std::to_string(other.chain.chain_id));
            if (other.chain.chain_id == entry.chain.chain_id)
                return std::unexpected(where + "chain_id: " + std::to_string(*id) +
                                       " appears twice");
        }
        config.chains.push_back(std::move(entry));
    }
    return config;
}

std::expected<NodeConfig, std::string> load_config(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return std::unexpected("cannot read " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    auto config = parse_config(text.str());
    if (!config) return std::unexpected(path.string() + ": " + config.error());
    return config;
}

void fund_dev_accounts(NodeConfig& config, const std::vector<address>& accounts) {
    for (ChainEntry& entry : config.chains)
        for (const address& a : accounts)
            if (!entry.chain.alloc.contains(a)) entry.chain.alloc[a].balance = config.dev_balance;
}

}  // namespace krnl::node
