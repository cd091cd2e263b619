#include "blocktest.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "chain/deposit_requests.hpp"
#include "common/rlp.hpp"

namespace krnl::blocktest {

using json = nlohmann::json;

namespace {

// Fixture parsing errors travel as this exception inside the loader only.
struct FixtureError {
    std::string message;
};

uint256 to_u256(const json& j) {
    if (!j.is_string()) throw FixtureError{"expected a number string, got " + j.dump()};
    auto v = parse_uint256(j.get<std::string>());
    if (!v) throw FixtureError{"bad number " + j.dump()};
    return *v;
}

uint64_t to_u64(const json& j) {
    const uint256 v = to_u256(j);
    if (!v.fits_u64()) throw FixtureError{"number too large for 64 bits: " + j.dump()};
    return v.low64();
}

bytes to_bytes(const json& j) {
    if (!j.is_string()) throw FixtureError{"expected hex string, got " + j.dump()};
    auto b = from_hex(j.get<std::string>());
    if (!b) throw FixtureError{"bad hex " + j.get<std::string>().substr(0, 80)};
    return *b;
}

template <size_t N>
fixed_bytes<N> to_fixed(const json& j) {
    const bytes b = to_bytes(j);
    if (b.size() != N) throw FixtureError{"expected " + std::to_string(N) + " bytes: " + j.dump()};
    return fixed_bytes<N>::from_view(b);
}

state::State load_accounts(const json& accounts) {
    state::State st;
    for (const auto& [addr_hex, acc_json] : accounts.items()) {
        state::Account acc;
        acc.nonce = to_u64(acc_json.at("nonce"));
        acc.balance = to_u256(acc_json.at("balance"));
        acc.set_code(to_bytes(acc_json.at("code")));
        for (const auto& [k, v] : acc_json.at("storage").items()) {
            const uint256 value = to_u256(v);
            if (!!value) acc.storage[to_u256(json(k))] = {value, value};
        }
        st.put(to_fixed<20>(json(addr_hex)), std::move(acc));
    }
    return st;
}

// The first account that differs between two states, for a readable failure.
std::string first_difference(const state::State& actual, const state::State& expected) {
    for (const auto& [addr, want] : expected.accounts()) {
        const state::Account* got = actual.find(addr);
        if (got == nullptr) return "account " + to_hex(addr) + " missing";
        if (got->nonce != want.nonce)
            return "account " + to_hex(addr) + " nonce " + std::to_string(got->nonce) +
                   ", expected " + std::to_string(want.nonce);
        if (got->balance != want.balance)
            return "account " + to_hex(addr) + " balance " + to_string(got->balance) +
                   ", expected " + to_string(want.balance);
        if (got->code_hash != want.code_hash) return "account " + to_hex(addr) + " code differs";
        if (state::storage_root(*got) != state::storage_root(want)) {
            for (const auto& [key, slot] : want.storage)
                if (actual.get_storage(addr, key) != slot.current)
                    return "account " + to_hex(addr) + " storage " + to_hex(key) + " = " +
                           to_hex(actual.get_storage(addr, key)) + ", expected " +
                           to_hex(slot.current);
            return "account " + to_hex(addr) + " has extra storage";
        }
    }
    for (const auto& [addr, acc] : actual.accounts())
        if (expected.find(addr) == nullptr) return "unexpected account " + to_hex(addr);
    return "state roots differ";
}

std::string block_label(size_t i) {
    return "block " + std::to_string(i + 1);
}

BlobSchedule load_blob_schedule(const json& config) {
    BlobSchedule schedule;
    if (!config.contains("blobSchedule")) return schedule;
    for (const auto& [fork, params] : config.at("blobSchedule").items())
        schedule[fork] = {to_u64(params.at("target")), to_u64(params.at("max")),
                          to_u64(params.at("baseFeeUpdateFraction"))};
    return schedule;
}

std::expected<Fork, std::string> named_fork(const std::string& name,
                                            const BlobSchedule& blob_schedule) {
    Fork fork{name};
    const bool bpo = name.size() > 3 && name.starts_with("BPO") &&
                     name.find_first_not_of("0123456789", 3) == std::string::npos;
    if (bpo) {
        fork.revision = evm::Revision::Osaka;
    } else if (const auto rev = evm::parse_revision(name); rev && *rev >= evm::Revision::Paris) {
        fork.revision = *rev;
    } else {
        return std::unexpected("unsupported fork " + name +
                               " (proof-of-stake forks from Paris/Merge on, and BPO1, BPO2, ...)");
    }
    if (const auto it = blob_schedule.find(name); it != blob_schedule.end())
        fork.blob = it->second;
    else if (bpo)
        return std::unexpected("fork " + name + " has no entry in the test's blob schedule");
    else
        fork.blob = chain::default_blob_params(fork.revision);
    return fork;
}

}  // namespace

std::expected<ForkSchedule, std::string> fork_schedule(const std::string& network,
                                                       const BlobSchedule& blob_schedule) {
    constexpr std::string_view kSuffix = "AtTime15k";
    ForkSchedule schedule;
    const size_t to = network.find("To");
    if (network.ends_with(kSuffix) && to != std::string::npos) {
        auto before = named_fork(network.substr(0, to), blob_schedule);
        if (!before) return std::unexpected(before.error());
        auto after = named_fork(network.substr(to + 2, network.size() - to - 2 - kSuffix.size()),
                                blob_schedule);
        if (!after) return std::unexpected(after.error());
        schedule.before = std::move(*before);
        schedule.after = std::move(*after);
        schedule.transition_time = 15'000;
        return schedule;
    }
    auto fork = named_fork(network, blob_schedule);
    if (!fork) return std::unexpected(fork.error());
    schedule.before = std::move(*fork);
    return schedule;
}

std::expected<std::vector<BlockchainTest>, std::string> load_file(
    const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::unexpected("cannot open file");
    json root = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return std::unexpected("malformed JSON");
    if (!root.is_object()) return std::unexpected("top level is not an object");

    std::vector<BlockchainTest> tests;
    try {
        for (const auto& [name, t] : root.items()) {
            BlockchainTest test;
            test.name = name;
            test.network = t.at("network").get<std::string>();
            if (t.contains("config")) test.blob_schedule = load_blob_schedule(t.at("config"));
            test.pre = load_accounts(t.at("pre"));
            test.genesis_rlp = to_bytes(t.at("genesisRLP"));
            test.genesis_hash = to_fixed<32>(t.at("genesisBlockHeader").at("hash"));
            test.last_block_hash = to_fixed<32>(t.at("lastblockhash"));
            if (t.contains("postState")) test.post_state = load_accounts(t.at("postState"));
            if (t.contains("postStateHash"))
                test.post_state_hash = to_fixed<32>(t.at("postStateHash"));
            if (!test.post_state && !test.post_state_hash)
                throw FixtureError{"test " + name + " has neither postState nor postStateHash"};
            for (const auto& b : t.at("blocks")) {
                BlockEntry entry;
                // An invalid block's RLP may be deliberately broken, even as hex.
                auto raw = from_hex(b.at("rlp").get<std::string>());
                if (raw)
                    entry.rlp = std::move(*raw);
                else
                    entry.rlp_invalid = true;
                if (b.contains("expectException"))
                    entry.expected_exception = b.at("expectException").get<std::string>();
                if (b.contains("blockHeader"))
                    entry.expected_hash = to_fixed<32>(b.at("blockHeader").at("hash"));
                test.blocks.push_back(std::move(entry));
            }
            tests.push_back(std::move(test));
        }
    } catch (const FixtureError& e) {
        return std::unexpected(e.message);
    } catch (const json::exception& e) {
        return std::unexpected(std::string("unexpected fixture layout: ") + e.what());
    }
    return tests;
}

TestResult run_test(const BlockchainTest& test, const ForkSchedule& schedule,
                    evm::AnalysisCache& cache) {
    constexpr uint64_t kChainId = 1;
    TestResult result;
    auto fail = [&](std::string detail) {
        result.outcome = Outcome::Failed;
        result.detail = std::move(detail);
        return result;
    };

    auto genesis = chain::decode_block(test.genesis_rlp);
    if (!genesis) return fail("genesis RLP: " + chain::decode_error_message(genesis.error()));
    const hash256 genesis_hash = chain::block_hash(genesis->header);
    if (genesis_hash != test.genesis_hash)
        return fail("genesis hash " + to_hex(genesis_hash) + ", expected " +
                    to_hex(test.genesis_hash));
    if (const hash256 root = state::state_root(test.pre); root != genesis->header.state_root)
        return fail("genesis state root " + to_hex(root) + ", header has " +
                    to_hex(genesis->header.state_root));

    // Every imported block by hash, with the state after it: blocks may build on side chains.
    struct Node {
        chain::BlockHeader header;
        std::shared_ptr<const state::State> state;
    };
    std::map<hash256, Node> chain_by_hash;
    chain_by_hash[genesis_hash] = {genesis->header, std::make_shared<state::State>(test.pre)};
    hash256 head = genesis_hash;

    for (size_t i = 0; i < test.blocks.size(); ++i) {
        const BlockEntry& entry = test.blocks[i];
        const bool expect_invalid = !entry.expected_exception.empty();

        // Imports the block or says why it is rejected.
        auto import = [&]() -> std::expected<hash256, std::string> {
            if (entry.rlp_invalid) return std::unexpected("decode: the rlp field is not hex");
            auto block = chain::decode_block(entry.rlp);
            if (!block)
                return std::unexpected("decode: " + chain::decode_error_message(block.error()));
            const auto parent = chain_by_hash.find(block->header.parent_hash);
            if (parent == chain_by_hash.end())
                return std::unexpected("unknown parent " + to_hex(block->header.parent_hash));

            // BLOCKHASH follows this block's own ancestry.
            const chain::BlockHashFn ancestor_hash = [&](int64_t number) {
                hash256 hash = block->header.parent_hash;
                for (auto it = chain_by_hash.find(hash); it != chain_by_hash.end();
                     it = chain_by_hash.find(hash)) {
                    if (int64_t(it->second.header.number) == number) return hash;
                    if (int64_t(it->second.header.number) < number) break;
                    hash = it->second.header.parent_hash;
                }
                return hash256{};
            };
            const Fork& fork = schedule.at(block->header.timestamp);
            const chain::ChainRules rules{chain::kMainnetDepositContractAddress, fork.blob};
            auto st = std::make_shared<state::State>(*parent->second.state);
            auto executed =
                chain::execute_block(*st, fork.revision, kChainId, *block, parent->second.header,
                                     ancestor_hash, cache, nullptr, rules);
            if (!executed)
                return std::unexpected(std::string(chain::block_error_name(executed.error().code)) +
                                       ": " + executed.error().message);
            if (const hash256 root = state::state_root(*st); root != block->header.state_root)
                return std::unexpected("state root: " + to_hex(block->header.state_root) +
                                       " in the header, computed " + to_hex(root));
            const hash256 hash = chain::block_hash(block->header);
            chain_by_hash[hash] = {block->header, std::move(st)};
            return hash;
        };

        auto imported = import();
        if (imported) {
            if (expect_invalid)
                return fail(block_label(i) + ": expected " + entry.expected_exception +
                            ", but the block was imported");
            if (entry.expected_hash && *entry.expected_hash != *imported)
                return fail(block_label(i) + ": hash " + to_hex(*imported) + ", expected " +
                            to_hex(*entry.expected_hash));
            head = *imported;
        } else {
            if (!expect_invalid) return fail(block_label(i) + " rejected: " + imported.error());
            result.notes.push_back(block_label(i) + " rejected as expected (" +
                                   entry.expected_exception + "): " + imported.error());
        }
    }

    if (head != test.last_block_hash)
        return fail("head " + to_hex(head) + ", expected lastblockhash " +
                    to_hex(test.last_block_hash));
    const state::State& final_state = *chain_by_hash.at(head).state;
    const hash256 root = state::state_root(final_state);
    if (test.post_state) {
        if (root != state::state_root(*test.post_state))
            return fail("post state: " + first_difference(final_state, *test.post_state));
    } else if (root != *test.post_state_hash) {
        return fail("post state root " + to_hex(root) + ", expected " +
                    to_hex(*test.post_state_hash));
    }
    return result;
}

}  // namespace krnl::blocktest
