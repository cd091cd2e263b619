#include "node/config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "common/hd_wallet.hpp"
#include "engine/http_client.hpp"

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

std::expected<evm::Revision, std::string> parse_hardfork(std::string_view name) {
    if (name == "cancun") return evm::Revision::Cancun;
    if (name == "prague") return evm::Revision::Prague;
    if (name == "osaka") return evm::Revision::Osaka;
    return std::unexpected("unknown hardfork \"" + std::string(name) +
                           "\": expected \"cancun\", \"prague\" or \"osaka\"");
}

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
        auto verify = read_uint<uint64_t>(*node, "verify_data_mb", 256, "node.");
        if (!verify) return std::unexpected(verify.error());
        config.verify_data_mb = *verify;
        if (const toml::node* apis = node->get("apis")) {
            const toml::array* list = apis->as_array();
            if (list == nullptr) return std::unexpected("node.apis: expected a list of namespaces");
            for (const auto& item : *list) {
                auto name = item.value<std::string>();
                if (!name || std::ranges::find(kApiNamespaces, *name) == std::end(kApiNamespaces))
                    return std::unexpected(
                        "node.apis: " +
                        (name ? "unknown namespace \"" + *name + "\"" : "not a string") +
                        " (known: eth, net, web3, debug, txpool, personal, krnl, dev)");
                config.apis.push_back(*name);
            }
            if (config.apis.empty())
                return std::unexpected("node.apis: empty: name at least one namespace");
        }
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
        auto peer_port = read_uint<uint16_t>(*e, "peer_port", 0, "engine.");
        if (!peer_port) return std::unexpected(peer_port.error());
        engine.peer_port = *peer_port;
        if (const toml::node* n = e->get("peer_host")) {
            auto v = n->value<std::string>();
            if (!v) return std::unexpected("engine.peer_host: expected a host address string");
            engine.peer_host = *v;
        }
        if (const toml::node* n = e->get("cosign_on_public_ports")) {
            auto v = n->value<bool>();
            if (!v) return std::unexpected("engine.cosign_on_public_ports: expected true or false");
            engine.cosign_on_public_ports = *v;
        }
        if (engine.cosign_on_public_ports == false && engine.peer_port == 0)
            return std::unexpected(
                "engine.cosign_on_public_ports = false needs engine.peer_port: peers would have "
                "nowhere to ask for co-signatures");
        auto pin_blocks = read_uint<uint64_t>(*e, "pin_max_blocks", 8, "engine.");
        if (!pin_blocks) return std::unexpected(pin_blocks.error());
        engine.pin_max_blocks = *pin_blocks;
        auto pin_age = read_uint<uint64_t>(*e, "pin_max_age_s", 120, "engine.");
        if (!pin_age) return std::unexpected(pin_age.error());
        engine.pin_max_age_s = *pin_age;
        auto skew = read_uint<uint64_t>(*e, "request_max_skew_s", 60, "engine.");
        if (!skew) return std::unexpected(skew.error());
        engine.request_max_skew_s = *skew;
        auto nonces = read_uint<uint32_t>(*e, "max_cosign_nonces", 65'536, "engine.");
        if (!nonces) return std::unexpected(nonces.error());
        if (*nonces == 0) return std::unexpected("engine.max_cosign_nonces: at least 1");
        engine.max_cosign_nonces = *nonces;
        auto requests = read_uint<uint32_t>(*e, "max_requests_in_flight", 64, "engine.");
        if (!requests) return std::unexpected(requests.error());
        engine.max_requests_in_flight = *requests;
        auto kernels = read_uint<uint32_t>(*e, "max_kernels_in_flight", 256, "engine.");
        if (!kernels) return std::unexpected(kernels.error());
        if (*kernels != 0 && *kernels < 32)
            return std::unexpected(
                "engine.max_kernels_in_flight: 0 (unbounded) or at least 32, the kernels one "
                "request may name");
        engine.max_kernels_in_flight = *kernels;
        auto recent = read_uint<uint32_t>(*e, "recent_executions", 256, "engine.");
        if (!recent) return std::unexpected(recent.error());
        if (*recent == 0 || *recent > 65'536)
            return std::unexpected("engine.recent_executions: from 1 to 65536");
        engine.recent_executions = *recent;
        for (const std::string& entry : engine.http_allowed_hosts)
            if (auto allowed = engine::parse_allowed_host(entry); !allowed)
                return std::unexpected("engine.http_allowed_hosts: " + allowed.error());
    }
    if (const toml::table* b = doc["bundler"].as_table()) {
        BundlerConfig& bundler = config.bundler;
        const std::vector<std::string_view> known = {"enabled",
                                                     "dev_key",
                                                     "keystore",
                                                     "password_env",
                                                     "beneficiary",
                                                     "mode",
                                                     "max_verification_gas",
                                                     "max_op_bytes",
                                                     "max_pending_ops",
                                                     "max_pool_bytes",
                                                     "valid_until_margin_s",
                                                     "receipt_lookback_blocks"};
        for (const auto& [key, value] : *b)
            if (std::ranges::find(known, key.str()) == known.end())
                return std::unexpected("bundler." + std::string(key.str()) + ": unknown key");
        bundler.enabled = (*b)["enabled"].value_or(true);
        if (b->contains("dev_key")) {
            auto key = read_uint<uint32_t>(*b, "dev_key", 0, "bundler.");
            if (!key) return std::unexpected(key.error());
            bundler.dev_key = *key;
        }
        if (auto file = (*b)["keystore"].value<std::string>()) bundler.keystore = *file;
        if (auto env = (*b)["password_env"].value<std::string>()) bundler.password_env = *env;
        if (b->contains("beneficiary")) {
            auto text = (*b)["beneficiary"].value<std::string>();
            auto raw = text ? from_hex(*text) : std::nullopt;
            if (!raw || raw->size() != 20)
                return std::unexpected("bundler.beneficiary: expected a 0x-prefixed address");
            bundler.beneficiary = address::from_view(*raw);
        }
        if (b->contains("mode")) {
            auto mode = (*b)["mode"].value<std::string>();
            if (!mode || (*mode != "auto" && *mode != "manual"))
                return std::unexpected("bundler.mode: \"auto\" or \"manual\"");
            bundler.manual = *mode == "manual";
        }
        for (auto [key, out] : {std::pair{"max_verification_gas", &bundler.max_verification_gas},
                                {"valid_until_margin_s", &bundler.valid_until_margin_s},
                                {"receipt_lookback_blocks", &bundler.receipt_lookback_blocks}}) {
            auto v = read_uint<uint64_t>(*b, key, *out, "bundler.");
            if (!v) return std::unexpected(v.error());
            *out = *v;
        }
        for (auto [key, out] : {std::pair{"max_op_bytes", &bundler.max_op_bytes},
                                {"max_pending_ops", &bundler.max_pending_ops},
                                {"max_pool_bytes", &bundler.max_pool_bytes}}) {
            auto v = read_uint<size_t>(*b, key, *out, "bundler.");
            if (!v) return std::unexpected(v.error());
            if (*v == 0) return std::unexpected(std::string("bundler.") + key + ": at least 1");
            *out = *v;
        }
    }
    if (const toml::table* u = doc["ui"].as_table()) {
        for (const auto& [key, value] : *u)
            if (key.str() != "enabled")
                return std::unexpected("ui." + std::string(key.str()) + ": unknown key");
        if (const toml::node* n = u->get("enabled")) {
            // as_boolean: value<bool> would take 1 for true.
            const auto* v = n->as_boolean();
            if (!v) return std::unexpected("ui.enabled: expected true or false");
            config.ui.enabled = v->get();
        }
    }
    if (const toml::table* l = doc["limits"].as_table()) {
        LimitsConfig& limits = config.limits;
        std::vector<std::string_view> known;
        // A count under [limits]; `min` 1 where 0 would make the node useless rather than strict.
        auto limit = [&](const char* key, auto& out,
                         uint64_t min = 0) -> std::expected<void, std::string> {
            known.push_back(key);
            auto v = read_uint<std::decay_t<decltype(out)>>(*l, key, out, "limits.");
            if (!v) return std::unexpected(v.error());
            if (*v < min)
                return std::unexpected(std::string("limits.") + key + ": at least " +
                                       std::to_string(min));
            out = *v;
            return {};
        };
        for (auto r :
             {limit("max_connections", limits.max_connections, 1),
              limit("reserved_fds", limits.reserved_fds),
              limit("http_idle_timeout_s", limits.http_idle_timeout_s, 1),
              limit("max_blocking_requests", limits.max_blocking_requests),
              limit("ws_send_queue_bytes", limits.ws_send_queue_bytes, 1),
              limit("ws_send_queue_messages", limits.ws_send_queue_messages, 1),
              limit("max_filters", limits.max_filters),
              limit("max_subscriptions", limits.max_subscriptions),
              limit("max_subscriptions_per_connection", limits.max_subscriptions_per_connection),
              limit("max_filter_addresses", limits.max_filter_addresses),
              limit("max_filter_topics", limits.max_filter_topics),
              limit("max_blocks_mined_per_request", limits.max_blocks_mined_per_request),
              limit("max_fee_history_blocks", limits.max_fee_history_blocks, 1),
              limit("max_fee_history_percentiles", limits.max_fee_history_percentiles),
              limit("tx_sync_default_timeout_ms", limits.tx_sync_default_timeout_ms, 1),
              limit("tx_sync_max_timeout_ms", limits.tx_sync_max_timeout_ms, 1),
              limit("max_tx_sync_waiters", limits.max_tx_sync_waiters, 1),
              limit("max_storage_values", limits.max_storage_values, 1),
              limit("max_bundle_calls", limits.max_bundle_calls, 1),
              limit("max_trace_filter_blocks", limits.max_trace_filter_blocks, 1),
              limit("max_ots_scan_blocks", limits.max_ots_scan_blocks, 1),
              limit("evm_timeout_ms", limits.evm_timeout_ms),
              limit("max_concurrent_evm_calls", limits.max_concurrent_evm_calls),
              limit("evm_call_queue", limits.evm_call_queue),
              limit("trace_max_steps", limits.trace_max_steps),
              limit("trace_max_bytes", limits.trace_max_bytes),
              limit("max_override_code_bytes", limits.max_override_code_bytes),
              limit("max_tx_bytes", limits.max_tx_bytes, 1),
              limit("pool_max_bytes", limits.pool_max_bytes, 1),
              limit("analysis_cache_bytes", limits.analysis_cache_bytes)})
            if (!r) return std::unexpected(r.error());
        // A misspelt limit would otherwise leave its default in force without a word.
        for (const auto& [key, value] : *l)
            if (std::ranges::find(known, key.str()) == known.end())
                return std::unexpected("limits." + std::string(key.str()) + ": unknown key");
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
        if (const toml::node* url = t->get("fork_url")) {
            const auto text = url->value<std::string>();
            if (!text || !text->starts_with("http://"))
                return std::unexpected(where + "fork_url: expected an http:// URL");
            entry.fork_url = *text;
            auto block = read_uint<uint64_t>(*t, "fork_block", 0, where);
            if (!block) return std::unexpected(block.error());
            if (t->get("fork_block") != nullptr) entry.fork_block = *block;
            auto timeout = read_uint<uint64_t>(*t, "fork_timeout_ms", 10'000, where);
            if (!timeout) return std::unexpected(timeout.error());
            if (*timeout == 0 || *timeout > 600'000)
                return std::unexpected(where + "fork_timeout_ms: from 1 to 600000");
            entry.fork_timeout_ms = *timeout;
            auto retries = read_uint<uint32_t>(*t, "fork_retries", 2, where);
            if (!retries) return std::unexpected(retries.error());
            if (*retries > 10) return std::unexpected(where + "fork_retries: at most 10");
            entry.fork_retries = *retries;
            auto cache = read_uint<uint64_t>(*t, "fork_cache_keys", 1'000'000, where);
            if (!cache) return std::unexpected(cache.error());
            if (*cache == 0) return std::unexpected(where + "fork_cache_keys: at least 1");
            entry.fork_cache_keys = *cache;
            auto disk = read_uint<uint64_t>(*t, "fork_disk_cache_mib", 1024, where);
            if (!disk) return std::unexpected(disk.error());
            if (*disk == 0 || *disk > (uint64_t{1} << 20))
                return std::unexpected(where + "fork_disk_cache_mib: from 1 to 1048576");
            entry.fork_disk_cache_mib = *disk;
        } else {
            for (const char* key : {"fork_block", "fork_timeout_ms", "fork_retries",
                                    "fork_cache_keys", "fork_disk_cache_mib"})
                if (t->get(key) != nullptr)
                    return std::unexpected(where + key + ": needs fork_url");
        }
        if (*id == 0 && entry.fork_url.empty())
            return std::unexpected(where + "chain_id: required, and not 0");
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
        if (const toml::node* fork = t->get("hardfork")) {
            const auto name = fork->value<std::string>();
            if (!name) return std::unexpected(where + "hardfork: expected a string");
            auto rev = parse_hardfork(*name);
            if (!rev) return std::unexpected(where + "hardfork: " + rev.error());
            entry.chain.revision = *rev;
        }
        if (const toml::node* deposit = t->get("deposit_contract")) {
            const auto text = deposit->value<std::string>();
            const auto addr = text ? fixed_from_hex<20>(*text) : std::nullopt;
            if (!addr)
                return std::unexpected(where + "deposit_contract: not a 20-byte hex address");
            entry.chain.deposit_contract = *addr;
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

bool api_enabled(const std::vector<std::string>& apis, std::string_view method) {
    if (apis.empty()) return true;
    std::string_view ns = method.substr(0, method.find('_'));
    // The dev methods of anvil and Hardhat come under one name.
    if (ns == "evm" || ns == "hardhat" || ns == "anvil") ns = "dev";
    return std::ranges::find(apis, ns) != apis.end();
}

bool ui_enabled(const NodeConfig& config) {
    if (config.ui.enabled) return *config.ui.enabled;
    const std::string_view host = config.host;
    return host == "localhost" || host == "::1" || host.starts_with("127.");
}

void fund_dev_accounts(NodeConfig& config, const std::vector<address>& accounts) {
    for (ChainEntry& entry : config.chains)
        for (const address& a : accounts)
            if (!entry.chain.alloc.contains(a)) entry.chain.alloc[a].balance = config.dev_balance;
}

}  // namespace krnl::node
