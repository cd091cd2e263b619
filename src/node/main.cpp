// krnld: serves embedded Ethereum chains over JSON-RPC (HTTP and WebSocket on each chain's port).
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include <sys/resource.h>

#include "aa/bundler_api.hpp"
#include "chain/state_dump.hpp"
#include "common/hd_wallet.hpp"
#include "common/secp256k1.hpp"
#include "engine/keystore.hpp"
#include "engine/krnl_api.hpp"
#include "node/account_attestation_hook.hpp"
#include "node/chains.hpp"
#include "node/chains_method.hpp"
#include "node/config.hpp"
#include "node/fork_control.hpp"
#include "node/fork_source.hpp"
#include "node/interval_miner.hpp"
#include "node/predeploys.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/server.hpp"

using namespace krnl;

namespace {

constexpr const char* kVersion = "0.1.0";

void usage(std::ostream& out) {
    out << "usage: krnld [--dev | --config FILE] [options]\n"
           "\n"
           "  --dev              one chain, id 31337, on 127.0.0.1:8545, with the ten accounts of\n"
           "                     the test mnemonic at 10,000 ETH (the default)\n"
           "  --config FILE      chains, ports and accounts from a TOML file (see "
           "config/dev.toml)\n"
           "  --data-dir DIR     keep the chains on disk in DIR (default: in memory)\n"
           "  --port N           the port of the first chain\n"
           "  --host ADDR        the address to listen on (default 127.0.0.1)\n"
           "  --block-time MS    mine a block every MS milliseconds instead of per transaction\n"
           "  --hardfork NAME    run every chain at cancun, prague or osaka (the default)\n"
           "  --threads N        RPC threads per chain (default 4)\n"
           "  --fork-url URL     the first chain forks the node at URL: its chain id, its\n"
           "                     state read lazily at the fork block, local blocks on top\n"
           "  --fork-block-number N  the fork block (default: the upstream's latest)\n"
           "  --load-state FILE  load an anvil state file into the first chain at start\n"
           "  --dump-state FILE  write the first chain's state to FILE (anvil's JSON) at exit\n"
           "  --state FILE       both: load FILE if it exists, write it at exit\n"
           "  --quiet            print only the chain URLs\n"
           "  --version, --help\n";
}

std::atomic<bool> g_stop{false};

void on_signal(int) {
    g_stop = true;
}

// Every connection is a descriptor: raises the soft RLIMIT_NOFILE to the hard limit, and returns
// limits.max_connections, lowered if need be to leave limits.reserved_fds descriptors for LMDB,
// peers and http kernels.
size_t connection_cap(const node::LimitsConfig& limits) {
    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) return limits.max_connections;
    if (nofile.rlim_cur < nofile.rlim_max) {
        rlimit raised = nofile;
        raised.rlim_cur = nofile.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) nofile = raised;
    }
    if (nofile.rlim_cur == RLIM_INFINITY) return limits.max_connections;
    const size_t descriptors = nofile.rlim_cur;
    const size_t usable = descriptors > 2 * limits.reserved_fds
                              ? descriptors - limits.reserved_fds
                              : std::max<size_t>(descriptors / 2, 1);
    if (limits.max_connections <= usable) return limits.max_connections;
    std::cout << "krnld: limits.max_connections lowered from " << limits.max_connections << " to "
              << usable << ": RLIMIT_NOFILE is " << descriptors << ", less limits.reserved_fds "
              << limits.reserved_fds << std::endl;
    return usable;
}

// A server's options from [limits] (host and port are the caller's).
rpc::ServerOptions limited_server_options(const node::LimitsConfig& limits,
                                          std::shared_ptr<rpc::ConnectionLimiter> connections) {
    rpc::ServerOptions options;
    options.connections = std::move(connections);
    options.max_blocking_requests = limits.max_blocking_requests;
    options.ws_send_queue_bytes = limits.ws_send_queue_bytes;
    options.ws_send_queue_messages = limits.ws_send_queue_messages;
    options.http_idle_timeout = std::chrono::seconds(limits.http_idle_timeout_s);
    options.evm.max_concurrent = limits.max_concurrent_evm_calls;
    options.evm.max_queued = limits.evm_call_queue;
    if (limits.evm_timeout_ms != 0)
        options.evm.max_wait = std::chrono::milliseconds(limits.evm_timeout_ms);
    return options;
}

// The secret of a keystore v3 file whose password is in the environment variable `password_env`;
// `what` names the key in errors ("engine", "bundler").
std::expected<bytes32, std::string> read_keystore(const std::filesystem::path& file,
                                                  const std::string& password_env,
                                                  const std::string& what) {
    std::ifstream in(file);
    const char* password = std::getenv(password_env.c_str());
    if (!in || password == nullptr)
        return std::unexpected(what + " keystore " + file.string() +
                               " needs to be readable and its password in $" + password_env);
    auto key = engine::decrypt_keystore(nlohmann::json::parse(in, nullptr, false), password);
    if (!key) return std::unexpected(file.string() + ": " + key.error());
    return *key;
}

struct RunningChain {
    node::ChainEntry entry;
    std::unique_ptr<chain::Chain> chain;
    std::unique_ptr<rpc::EthApi> api;
    std::unique_ptr<aa::Bundler> bundler;
    rpc::MethodTable methods;
    std::unique_ptr<rpc::Server> server;
    std::unique_ptr<node::IntervalMiner> miner;
};

}  // namespace

int main(int argc, char** argv) {
    std::optional<std::string> config_path, data_dir, host;
    std::optional<uint16_t> port;
    std::optional<uint64_t> block_time;
    std::optional<evm::Revision> hardfork;
    std::optional<unsigned> threads;
    std::optional<std::string> load_state_path, dump_state_path;
    bool load_state_if_present = false;  // --state: a missing file is a fresh start
    std::optional<std::string> fork_url;
    std::optional<uint64_t> fork_block;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) {
                std::cerr << "krnld: " << arg << " needs a value\n";
                return std::nullopt;
            }
            return std::string(argv[++i]);
        };
        auto number = [&](uint64_t max) -> std::optional<uint64_t> {
            auto v = value();
            if (!v) return std::nullopt;
            try {
                size_t used = 0;
                const unsigned long long n = std::stoull(*v, &used);
                if (used == v->size() && n <= max) return n;
            } catch (...) {
            }
            std::cerr << "krnld: " << arg << ": not a number up to " << max << ": " << *v << "\n";
            return std::nullopt;
        };
        if (arg == "--help" || arg == "-h") {
            usage(std::cout);
            return 0;
        } else if (arg == "--version") {
            std::cout << "krnld " << kVersion << "\n";
            return 0;
        } else if (arg == "--dev") {
        } else if (arg == "--quiet") {
            quiet = true;
        } else if (arg == "--config") {
            if (!(config_path = value())) return 2;
        } else if (arg == "--data-dir") {
            if (!(data_dir = value())) return 2;
        } else if (arg == "--host") {
            if (!(host = value())) return 2;
        } else if (arg == "--port") {
            auto n = number(65535);
            if (!n) return 2;
            port = static_cast<uint16_t>(*n);
        } else if (arg == "--block-time") {
            if (!(block_time = number(86'400'000))) return 2;
        } else if (arg == "--hardfork") {
            auto name = value();
            if (!name) return 2;
            auto rev = node::parse_hardfork(*name);
            if (!rev) {
                std::cerr << "krnld: --hardfork: " << rev.error() << "\n";
                return 2;
            }
            hardfork = *rev;
        } else if (arg == "--load-state") {
            if (!(load_state_path = value())) return 2;
        } else if (arg == "--dump-state") {
            if (!(dump_state_path = value())) return 2;
        } else if (arg == "--state") {
            if (!(dump_state_path = value())) return 2;
            load_state_path = dump_state_path;
            load_state_if_present = true;
        } else if (arg == "--fork-url") {
            if (!(fork_url = value())) return 2;
        } else if (arg == "--fork-block-number") {
            if (!(fork_block = number(std::numeric_limits<uint64_t>::max()))) return 2;
        } else if (arg == "--threads") {
            auto n = number(256);
            if (!n || *n == 0) return 2;
            threads = static_cast<unsigned>(*n);
        } else {
            std::cerr << "krnld: unknown option " << arg << "\n";
            usage(std::cerr);
            return 2;
        }
    }

    node::NodeConfig config;
    if (config_path) {
        auto loaded = node::load_config(*config_path);
        if (!loaded) {
            std::cerr << "krnld: " << loaded.error() << "\n";
            return 2;
        }
        config = std::move(*loaded);
    } else {
        config = node::dev_config();
    }
    if (data_dir) config.data_dir = *data_dir;
    if (host) config.host = *host;
    if (threads) config.threads = *threads;
    // --port moves the first chain, or the engine of a node without chains.
    if (port && !config.chains.empty()) config.chains.front().port = *port;
    if (port && config.chains.empty()) config.engine.port = *port;
    if (block_time)
        for (auto& c : config.chains)
            c.block_time_ms = *block_time;
    if (hardfork)
        for (auto& c : config.chains)
            c.chain.revision = *hardfork;
    // --fork-url forks the first chain, as --port moves it.
    if (fork_block && !fork_url) {
        std::cerr << "krnld: --fork-block-number needs --fork-url\n";
        return 2;
    }
    if (fork_url && !config.chains.empty()) {
        config.chains.front().fork_url = *fork_url;
        config.chains.front().fork_block = fork_block;
    }
    // The upstreams of the chains (one per chain, in order: none installed for a chain of its
    // own until anvil_reset forks it), which outlive the chains reading from them.
    std::vector<std::unique_ptr<node::ForkSource>> fork_sources;
    for (auto& c : config.chains) {
        const node::ForkSource::Options fork_options{
            .url = c.fork_url,
            .block = c.fork_block,
            .timeout = std::chrono::milliseconds(c.fork_timeout_ms),
            .retries = static_cast<int>(c.fork_retries),
            .max_cached_keys = c.fork_cache_keys};
        if (c.fork_url.empty()) {
            fork_sources.push_back(std::make_unique<node::ForkSource>(fork_options));
            continue;
        }
        auto source = node::ForkSource::open(fork_options);
        if (!source) {
            std::cerr << "krnld: fork: " << source.error() << "\n";
            return 1;
        }
        c.chain.chain_id = (*source)->chain_id();
        // With a data dir, what the upstream answered is kept beside the chain (a chain of its
        // own that anvil_reset forks caches in memory only).
        if (config.data_dir) {
            auto disk = node::ForkDiskCache::open(
                *config.data_dir / std::to_string(c.chain.chain_id) / "fork-cache",
                c.fork_disk_cache_mib << 20);
            if (!disk) {
                std::cerr << "krnld: fork cache: " << disk.error() << "\n";
                return 1;
            }
            (*source)->attach_disk_cache(std::move(*disk));
        }
        c.chain.fork =
            chain::ChainConfig::Fork{source->get(), (*source)->header(), (*source)->hash()};
        if (!quiet)
            std::cout << "forking " << c.fork_url << " at block " << (*source)->fork_block()
                      << " (chain " << (*source)->chain_id() << ")\n";
        fork_sources.push_back(std::move(*source));
    }

    std::vector<rpc::DevAccount> accounts;
    if (!config.mnemonic.empty()) {
        for (uint32_t i = 0; i < config.dev_accounts; ++i) {
            auto secret = hd::ethereum_account_key(config.mnemonic, i);
            if (!secret) {
                std::cerr << "krnld: cannot derive dev account " << i << ": " << secret.error()
                          << "\n";
                return 2;
            }
            accounts.push_back({*secp256k1::address_from_secret(*secret), *secret});
        }
        std::vector<address> addresses;
        for (const auto& a : accounts)
            addresses.push_back(a.addr);
        node::fund_dev_accounts(config, addresses);
    }

    auto predeploys = node::parse_predeploy_manifest(node::embedded_predeploy_manifest());
    if (!predeploys) {
        std::cerr << "krnld: " << predeploys.error() << "\n";
        return 1;
    }
    for (auto& c : config.chains)
        c.chain.predeploys = *predeploys;
    auto simulation_code_parsed =
        node::parse_entry_point_simulations(node::embedded_predeploy_manifest());
    if (!simulation_code_parsed) {
        std::cerr << "krnld: " << simulation_code_parsed.error() << "\n";
        return 1;
    }
    const node::EntryPointSimulationCode& simulation_code = *simulation_code_parsed;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    // A data file truncated or damaged under a running node ends it with a message, not SIGBUS.
    state::install_database_fault_handler();

    // One cap on connections for every port of the process.
    const auto connections = rpc::make_connection_limiter(connection_cap(config.limits));
    auto router = std::make_shared<node::ChainRouter>();
    for (const auto& [id, url] : config.engine.upstream)
        router->add_upstream(id, url);
    std::vector<std::unique_ptr<RunningChain>> running;
    for (const node::ChainEntry& entry : config.chains) {
        auto rc = std::make_unique<RunningChain>();
        rc->entry = entry;
        state::Database::Options db_options;
        if (config.data_dir)
            db_options.dir = *config.data_dir / std::to_string(entry.chain.chain_id);
        else
            db_options.durable = false;
        db_options.verify_up_to_bytes = std::min<uint64_t>(config.verify_data_mb, 1 << 24) << 20;
        chain::ChainConfig chain_config = entry.chain;
        chain_config.pool.max_bytes = config.limits.pool_max_bytes;
        auto chain = chain::Chain::open(chain_config, db_options);
        if (!chain) {
            std::cerr << "krnld: chain " << entry.chain.chain_id << ": " << chain.error() << "\n";
            return 1;
        }
        rc->chain = std::move(*chain);
        // State files (anvil's format) belong to the first chain, as --port does.
        if (load_state_path && running.empty() &&
            !(load_state_if_present && !std::filesystem::exists(*load_state_path))) {
            auto loaded = chain::load_state_file(*rc->chain, *load_state_path);
            if (!loaded) {
                std::cerr << "krnld: --load-state " << loaded.error() << "\n";
                return 1;
            }
            if (!quiet)
                std::cout << "loaded " << loaded->accounts << " accounts from " << *load_state_path
                          << "\n";
        }
        rc->chain->analysis_cache().set_max_bytes(config.limits.analysis_cache_bytes);
        router->add_embedded(*rc->chain);
        rpc::EthApiOptions api_options;
        api_options.client_version = std::string("krnld/v") + kVersion + "/linux-x86_64";
        const node::LimitsConfig& limits = config.limits;
        api_options.max_filters = limits.max_filters;
        api_options.max_subscriptions = limits.max_subscriptions;
        api_options.max_subscriptions_per_connection = limits.max_subscriptions_per_connection;
        api_options.max_filter_addresses = limits.max_filter_addresses;
        api_options.max_filter_topics = limits.max_filter_topics;
        api_options.max_blocks_mined_per_request = limits.max_blocks_mined_per_request;
        api_options.max_fee_history_blocks = limits.max_fee_history_blocks;
        api_options.max_fee_history_percentiles = limits.max_fee_history_percentiles;
        api_options.tx_sync_default_timeout =
            std::chrono::milliseconds(limits.tx_sync_default_timeout_ms);
        api_options.tx_sync_max_timeout = std::chrono::milliseconds(limits.tx_sync_max_timeout_ms);
        api_options.max_tx_sync_waiters = limits.max_tx_sync_waiters;
        api_options.max_storage_values = limits.max_storage_values;
        api_options.max_bundle_calls = limits.max_bundle_calls;
        api_options.max_trace_filter_blocks = limits.max_trace_filter_blocks;
        api_options.max_ots_scan_blocks = limits.max_ots_scan_blocks;
        api_options.evm.timeout = std::chrono::milliseconds(limits.evm_timeout_ms);
        api_options.evm.trace_max_steps = limits.trace_max_steps;
        api_options.evm.trace_max_bytes = limits.trace_max_bytes;
        api_options.evm.max_override_code_bytes = limits.max_override_code_bytes;
        api_options.evm.max_tx_bytes = limits.max_tx_bytes;
        rc->api = std::make_unique<rpc::EthApi>(*rc->chain, accounts, api_options);
        rc->miner = std::make_unique<node::IntervalMiner>(*rc->chain);
        rc->api->set_interval_mining = [miner = rc->miner.get()](uint64_t ms) {
            miner->set_interval(ms);
        };
        if (entry.block_time_ms > 0) {
            rc->chain->set_automine(false);
            rc->api->mine_at_interval(entry.block_time_ms);
        }
        rc->api->fork_control =
            std::make_shared<node::ChainForkControl>(*fork_sources[running.size()]);
        rc->api->register_methods(rc->methods);
        if (config.bundler.enabled && (!accounts.empty() || config.bundler.keystore)) {
            const node::BundlerConfig& bc = config.bundler;
            aa::BundlerOptions bundler_options;
            if (bc.keystore) {
                auto secret = read_keystore(*bc.keystore, bc.password_env, "bundler");
                const auto addr = secret ? secp256k1::address_from_secret(*secret) : std::nullopt;
                if (!secret || !addr) {
                    std::cerr << "krnld: "
                              << (secret ? "bundler keystore: not a key" : secret.error()) << "\n";
                    return 2;
                }
                bundler_options.key_address = *addr;
                bundler_options.key_secret = *secret;
            } else {
                // By default the bundler signs with the last dev account, which the examples and
                // tests leave alone (their transactions would race its nonces).
                const size_t key = bc.dev_key ? *bc.dev_key : accounts.size() - 1;
                if (key >= accounts.size()) {
                    std::cerr << "krnld: bundler.dev_key " << key << ": only " << accounts.size()
                              << " dev accounts\n";
                    return 1;
                }
                bundler_options.key_address = accounts[key].addr;
                bundler_options.key_secret = accounts[key].secret;
            }
            bundler_options.beneficiary = bc.beneficiary;
            bundler_options.max_verification_gas = bc.max_verification_gas;
            bundler_options.max_op_bytes = bc.max_op_bytes;
            bundler_options.max_pending_ops = bc.max_pending_ops;
            bundler_options.max_pool_bytes = bc.max_pool_bytes;
            bundler_options.valid_until_margin_s = bc.valid_until_margin_s;
            bundler_options.receipt_lookback_blocks = bc.receipt_lookback_blocks;
            bundler_options.evm_timeout = std::chrono::milliseconds(limits.evm_timeout_ms);
            bundler_options.max_override_code_bytes = limits.max_override_code_bytes;
            rc->bundler = std::make_unique<aa::Bundler>(
                *rc->chain, aa::EntryPointSimulator(simulation_code.v07, simulation_code.v08),
                bundler_options);
            if (bc.manual) rc->bundler->set_mode(aa::BundlingMode::Manual);
        }
        rpc::ServerOptions server_options = limited_server_options(config.limits, connections);
        server_options.host = config.host;
        server_options.port = entry.port;
        server_options.serve_ui = node::ui_enabled(config);
        auto server = rpc::Server::bind(server_options, rc->methods);
        if (!server) {
            std::cerr << "krnld: chain " << entry.chain.chain_id << ": " << server.error() << "\n";
            return 1;
        }
        rc->server = std::move(*server);
        running.push_back(std::move(rc));
    }
    {
        std::vector<node::ServedChain> served;
        for (const auto& rc : running)
            served.push_back({rc->entry.chain.chain_id, rc->entry.chain.name, rc->server->port(),
                              rc->chain.get()});
        for (auto& rc : running)
            node::register_chains_method(rc->methods, served);
    }
    // The kernel engine answers krnl_* on every chain's port, and on its own port if it has one.
    std::shared_ptr<engine::KrnlService> service;
    rpc::MethodTable engine_methods;
    std::unique_ptr<rpc::Server> engine_server;
    rpc::MethodTable peer_methods;
    std::unique_ptr<rpc::Server> peer_server;
    if (config.engine.enabled) {
        const uint64_t home = config.engine.home_chain_id != 0 ? config.engine.home_chain_id
                              : config.chains.empty()          ? 0
                                                      : config.chains.front().chain.chain_id;
        if (home == 0 || !router->reaches(home)) {
            std::cerr << "krnld: engine.home_chain " << home
                      << " is neither a chain this node serves nor one of engine.upstream\n";
            return 2;
        }
        engine::ServiceConfig sc;
        sc.home_chain_id = home;
        for (const chain::Predeploy& p : *predeploys) {
            if (p.name == "KernelRegistry") sc.registry = p.expected_address;
            if (p.name == "KrnlVault") sc.vault = p.expected_address;
        }
        if (config.engine.registry) sc.registry = *config.engine.registry;
        if (config.engine.vault) sc.vault = *config.engine.vault;
        if (config.engine.keystore) {
            auto key = read_keystore(*config.engine.keystore, config.engine.password_env, "engine");
            if (!key) {
                std::cerr << "krnld: " << key.error() << "\n";
                return 2;
            }
            sc.operator_key = *key;
        } else {
            const uint32_t index = config.engine.dev_key.value_or(0);
            if (index >= accounts.size()) {
                std::cerr << "krnld: engine.dev_key " << index << " is not a dev account\n";
                return 2;
            }
            sc.operator_key = accounts[index].secret;
        }
        sc.peers = config.engine.peers;
        sc.node_fee = config.engine.node_fee;
        sc.runner.http.allowed_hosts = config.engine.http_allowed_hosts;
        // Kernels never reach this node's own ports, whatever the allowlist says.
        auto listeners = std::make_shared<engine::NodeListeners>();
        for (const auto& rc : running)
            listeners->add(rc->server->port());
        sc.runner.http.own_listeners = listeners;
        sc.pin_window = {config.engine.pin_max_blocks, config.engine.pin_max_age_s,
                         config.engine.request_max_skew_s};
        sc.max_cosign_nonces = config.engine.max_cosign_nonces;
        sc.max_requests_in_flight = config.engine.max_requests_in_flight;
        sc.max_kernels_in_flight = config.engine.max_kernels_in_flight;
        sc.recent_executions = config.engine.recent_executions;
        sc.orchestrator.max_parallel = config.engine.max_parallel_kernels;
        sc.version = kVersion;
        auto created = engine::KrnlService::create(sc, router);
        if (!created) {
            std::cerr << "krnld: engine: " << created.error() << "\n";
            return 2;
        }
        service = std::move(*created);
        const auto public_cosign =
            config.engine.cosign_on_public_ports.value_or(config.engine.peer_port == 0)
                ? engine::Cosign::Served
                : engine::Cosign::NotServed;
        for (auto& rc : running)
            engine::register_krnl_api(rc->methods, service, public_cosign);
        // The home chain's bundler attests ops of accounts that route their call to the KRNL
        // validator (a predeploy: a build without it has no account path).
        for (const chain::Predeploy& p : *predeploys) {
            if (p.name != "KrnlValidator") continue;
            auto attester = std::make_shared<const engine::AccountAttester>(service, router,
                                                                            p.expected_address);
            for (auto& rc : running)
                if (rc->bundler && rc->entry.chain.chain_id == home)
                    rc->bundler->set_signature_completer(node::account_attestation_hook(attester));
        }
        if (config.engine.peer_port != 0) {
            engine::register_peer_api(peer_methods, service);
            rpc::ServerOptions options = limited_server_options(config.limits, connections);
            options.host = config.engine.peer_host.value_or(config.host);
            options.port = config.engine.peer_port;
            auto server = rpc::Server::bind(options, peer_methods);
            if (!server) {
                std::cerr << "krnld: engine.peer_port " << config.engine.peer_port << ": "
                          << server.error() << "\n";
                return 1;
            }
            peer_server = std::move(*server);
            listeners->add(peer_server->port());
        }
        if (config.engine.port != 0) {
            engine::register_krnl_api(engine_methods, service, public_cosign);
            rpc::ServerOptions options = limited_server_options(config.limits, connections);
            options.host = config.host;
            options.port = config.engine.port;
            auto server = rpc::Server::bind(options, engine_methods);
            if (!server) {
                std::cerr << "krnld: engine.port " << config.engine.port << ": " << server.error()
                          << "\n";
                return 1;
            }
            engine_server = std::move(*server);
            listeners->add(engine_server->port());
        }
        std::cout << "engine: operator " << to_hex(*secp256k1::address_from_secret(sc.operator_key))
                  << ", registry " << to_hex(sc.registry) << " and vault " << to_hex(sc.vault)
                  << " on chain " << home << "\n";
    }
    // The bundlers' methods once the engine has (or has not) taken the home chain's admission.
    for (auto& rc : running)
        if (rc->bundler) aa::register_bundler_methods(rc->methods, *rc->bundler);
    // [node] apis: an operator serving strangers leaves out the dev methods and debug_*.
    if (!config.apis.empty())
        for (auto& rc : running)
            rc->methods.retain(
                [&](std::string_view method) { return node::api_enabled(config.apis, method); });
    for (auto& rc : running)
        rc->server->start(config.threads);
    if (engine_server) {
        engine_server->start(config.threads);
        std::cout << "engine  http://" << config.host << ":" << engine_server->port()
                  << "  (krnl_* only)\n";
    }
    if (peer_server) {
        peer_server->start(config.threads);
        std::cout << "peers   http://" << config.engine.peer_host.value_or(config.host) << ":"
                  << peer_server->port() << "  (krnl_cosign only)\n";
    }

    if (!quiet && !accounts.empty()) {
        std::cout << "Dev accounts (" << config.mnemonic << "):\n";
        for (size_t i = 0; i < accounts.size(); ++i)
            std::cout << "  (" << i << ") " << to_hex(accounts[i].addr) << "  "
                      << to_hex(accounts[i].secret) << "\n";
        std::cout << "\n";
    }
    for (auto& rc : running) {
        auto r = rc->chain->reader();
        std::cout << "chain " << rc->entry.chain.chain_id << " (" << rc->entry.chain.name
                  << ")  http://" << config.host << ":" << rc->server->port() << "  ws://"
                  << config.host << ":" << rc->server->port() << "  block " << r.head()
                  << (config.data_dir ? "  data " + (*config.data_dir).string() : "  in memory")
                  << (rc->entry.block_time_ms
                          ? "  block time " + std::to_string(rc->entry.block_time_ms) + " ms"
                          : "  automine")
                  << "\n";
    }
    if (node::ui_enabled(config) && !running.empty())
        std::cout << "dashboard  http://" << config.host << ":" << running.front()->server->port()
                  << "/  (on every chain's port; [ui] enabled = false turns it off)\n";
    std::cout << "krnld " << kVersion << " ready" << std::endl;

    while (!g_stop)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::cout << "krnld: stopping" << std::endl;
    bool finished = !engine_server || engine_server->stop();
    finished = (!peer_server || peer_server->stop()) && finished;
    for (auto& rc : running) {
        rc->miner.reset();
        finished = rc->server->stop() && finished;
    }
    // After the servers stop, so the file holds every acknowledged change.
    if (dump_state_path && !running.empty()) {
        if (auto written = chain::write_state_file(*running.front()->chain, *dump_state_path))
            std::cout << "krnld: state written to " << *dump_state_path << std::endl;
        else
            std::cerr << "krnld: --dump-state " << *dump_state_path << ": " << written.error()
                      << std::endl;
    }
    if (!finished) {
        // Kernels or peers still hold requests: what is committed is committed (each block is
        // one storage transaction), so leave without unwinding under them.
        std::cout << "krnld: engine requests still running after 5 s; exiting without them"
                  << std::endl;
        std::_Exit(0);
    }
    return 0;
}
