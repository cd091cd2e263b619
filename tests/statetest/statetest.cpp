#include "statetest.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "common/rlp.hpp"
#include "common/secp256k1.hpp"
#include "evm/instructions.hpp"

namespace krnl::statetest {

using json = nlohmann::json;

namespace {

// Fixture parsing errors travel as this exception inside the loader only; load_file turns them
// into an error value naming the file.
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

int64_t to_i64(const json& j) {
    const uint64_t v = to_u64(j);
    if (v > uint64_t(INT64_MAX)) throw FixtureError{"number too large: " + j.dump()};
    return static_cast<int64_t>(v);
}

bytes to_bytes(const json& j) {
    if (!j.is_string()) throw FixtureError{"expected hex string, got " + j.dump()};
    std::string s = j.get<std::string>();
    auto b = from_hex(s);
    if (!b) throw FixtureError{"bad hex " + s.substr(0, 80)};
    return *b;
}

template <size_t N>
fixed_bytes<N> to_fixed(const json& j) {
    const bytes b = to_bytes(j);
    if (b.size() > N) throw FixtureError{"value too long: " + j.dump()};
    return fixed_bytes<N>::from_view(b);
}

state::State load_pre(const json& pre) {
    state::State st;
    for (const auto& [addr_hex, acc_json] : pre.items()) {
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

std::vector<chain::AccessListEntry> load_access_list(const json& j) {
    std::vector<chain::AccessListEntry> list;
    for (const auto& item : j) {
        chain::AccessListEntry e;
        e.addr = to_fixed<20>(item.at("address"));
        for (const auto& key : item.at("storageKeys"))
            e.storage_keys.push_back(to_fixed<32>(key));
        list.push_back(std::move(e));
    }
    return list;
}

TxTemplate load_transaction(const json& j) {
    TxTemplate t;
    chain::Transaction& tx = t.base;
    tx.nonce = to_u64(j.at("nonce"));
    if (j.contains("gasPrice")) {
        tx.max_fee_per_gas = tx.max_priority_fee_per_gas = to_u256(j.at("gasPrice"));
        tx.type = chain::TxType::Legacy;
    } else {
        tx.max_fee_per_gas = to_u256(j.at("maxFeePerGas"));
        tx.max_priority_fee_per_gas = to_u256(j.at("maxPriorityFeePerGas"));
        tx.type = chain::TxType::DynamicFee;
    }
    if (j.contains("accessLists")) {
        t.has_access_lists = true;
        for (const auto& al : j.at("accessLists"))
            t.access_lists.push_back(al.is_null() ? std::vector<chain::AccessListEntry>{}
                                                  : load_access_list(al));
        if (tx.type == chain::TxType::Legacy) tx.type = chain::TxType::AccessList;
    }
    if (j.contains("blobVersionedHashes")) {
        tx.type = chain::TxType::Blob;
        tx.max_fee_per_blob_gas = to_u256(j.at("maxFeePerBlobGas"));
        for (const auto& h : j.at("blobVersionedHashes"))
            tx.blob_versioned_hashes.push_back(to_fixed<32>(h));
    }
    if (j.contains("authorizationList")) {
        tx.type = chain::TxType::SetCode;
        for (const auto& a : j.at("authorizationList")) {
            chain::Authorization auth;
            auth.chain_id = to_u256(a.at("chainId"));
            auth.addr = to_fixed<20>(a.at("address"));
            auth.nonce = to_u64(a.at("nonce"));
            auth.y_parity =
                static_cast<uint8_t>(to_u64(a.contains("yParity") ? a.at("yParity") : a.at("v")));
            auth.r = to_u256(a.at("r"));
            auth.s = to_u256(a.at("s"));
            tx.authorization_list.push_back(auth);
        }
    }
    const std::string to = j.at("to").get<std::string>();
    if (!to.empty()) tx.to = to_fixed<20>(j.at("to"));

    if (j.contains("sender")) {
        t.sender = to_fixed<20>(j.at("sender"));
    } else {
        auto sender = secp256k1::address_from_secret(to_fixed<32>(j.at("secretKey")));
        if (!sender) throw FixtureError{"invalid secretKey"};
        t.sender = *sender;
    }
    for (const auto& d : j.at("data"))
        t.data.push_back(to_bytes(d));
    for (const auto& g : j.at("gasLimit"))
        t.gas_limits.push_back(to_u64(g));
    for (const auto& v : j.at("value")) {
        // Fillers mark numbers wider than 256 bits as "0x:bigint 0x..."; keep them as invalid.
        const std::string text = v.is_string() ? v.get<std::string>() : std::string{};
        if (text.starts_with("0x:bigint ")) {
            t.values.push_back(parse_uint256(text.substr(10)));
        } else {
            t.values.push_back(to_u256(v));
        }
    }
    return t;
}

chain::BlockInfo load_env(const json& env) {
    chain::BlockInfo b;
    b.number = to_i64(env.at("currentNumber"));
    b.timestamp = to_i64(env.at("currentTimestamp"));
    b.gas_limit = to_i64(env.at("currentGasLimit"));
    b.coinbase = to_fixed<20>(env.at("currentCoinbase"));
    b.prev_randao = env.contains("currentRandom") ? to_u256(env.at("currentRandom"))
                                                  : to_u256(env.at("currentDifficulty"));
    if (env.contains("currentBaseFee")) b.base_fee = to_u256(env.at("currentBaseFee"));
    if (env.contains("currentExcessBlobGas"))
        b.excess_blob_gas = to_u64(env.at("currentExcessBlobGas"));
    b.chain_id = 1;
    return b;
}

}  // namespace

std::optional<chain::Transaction> TxTemplate::build(const Expectation& e) const {
    if (!values.at(e.value_index)) return std::nullopt;
    chain::Transaction tx = base;
    tx.data = data.at(e.data_index);
    tx.gas_limit = gas_limits.at(e.gas_index);
    tx.value = *values.at(e.value_index);
    if (has_access_lists && e.data_index < access_lists.size())
        tx.access_list = access_lists[e.data_index];
    if (tx.type != chain::TxType::Legacy) tx.chain_id = 1;
    return tx;
}

std::expected<std::vector<StateTest>, std::string> load_file(const std::filesystem::path& file,
                                                             std::string_view fork) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::unexpected("cannot open file");
    json root = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return std::unexpected("malformed JSON");
    if (!root.is_object()) return std::unexpected("top level is not an object");

    std::vector<StateTest> tests;
    try {
        for (const auto& [name, t] : root.items()) {
            StateTest test;
            test.name = name;
            const json& post = t.at("post");
            if (!post.contains(fork)) continue;
            test.pre = load_pre(t.at("pre"));
            test.block = load_env(t.at("env"));
            test.tx = load_transaction(t.at("transaction"));
            if (t.contains("_info") && t["_info"].contains("labels"))
                for (const auto& [idx, label] : t["_info"]["labels"].items()) {
                    const size_t i = std::stoul(idx);
                    if (test.tx.data_labels.size() <= i) test.tx.data_labels.resize(i + 1);
                    test.tx.data_labels[i] = label.get<std::string>();
                }
            for (const auto& p : post.at(std::string(fork))) {
                Expectation e;
                const json& idx = p.at("indexes");
                e.data_index = idx.at("data").get<size_t>();
                e.gas_index = idx.at("gas").get<size_t>();
                e.value_index = idx.at("value").get<size_t>();
                if (e.data_index >= test.tx.data.size() ||
                    e.gas_index >= test.tx.gas_limits.size() ||
                    e.value_index >= test.tx.values.size())
                    throw FixtureError{"post index out of range"};
                e.state_root = to_fixed<32>(p.at("hash"));
                e.logs_hash = to_fixed<32>(p.at("logs"));
                if (p.contains("expectException"))
                    e.expected_exception = p.at("expectException").get<std::string>();
                test.expectations.push_back(e);
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

hash256 logs_hash(const std::vector<chain::Log>& logs) {
    bytes list;
    for (const chain::Log& log : logs) {
        bytes topics;
        for (const hash256& t : log.topics)
            rlp::encode_string(topics, t.view());
        bytes entry;
        rlp::encode_string(entry, log.addr.view());
        entry += rlp::wrap_list(topics);
        rlp::encode_string(entry, log.data);
        list += rlp::wrap_list(entry);
    }
    return keccak256(rlp::wrap_list(list));
}

hash256 test_block_hash(int64_t number) {
    return keccak256(as_bytes(std::to_string(number)));
}

void JsonLineTracer::on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                             std::span<const uint256> stack, bytes_view memory) {
    out_ << "{\"pc\":" << pc << ",\"op\":" << int(opcode) << ",\"opName\":\""
         << evm::kInstructionTraits[opcode].name << "\",\"gas\":" << gas_left
         << ",\"depth\":" << depth + 1 << ",\"memSize\":" << memory.size() << ",\"stack\":[";
    for (size_t i = 0; i < stack.size(); ++i)
        out_ << (i ? ",\"" : "\"") << to_hex(stack[i]) << "\"";
    out_ << "]}\n";
}

void JsonLineTracer::on_exit(const evm::Result& result) {
    out_ << "{\"exit\":\"" << evm::status_name(result.status)
         << "\",\"gasLeft\":" << result.gas_left << ",\"output\":\"" << to_hex(result.output)
         << "\"}\n";
}

VectorResult run_vector(const StateTest& test, const Expectation& e, evm::Revision rev,
                        evm::AnalysisCache& cache, evm::Tracer* tracer) {
    state::State st = test.pre;
    const std::optional<chain::Transaction> tx = test.tx.build(e);
    if (!tx) {
        if (e.expected_exception.empty())
            return {Outcome::Failed, "value over 256 bits, but no exception expected"};
        return state::state_root(st) == e.state_root
                   ? VectorResult{Outcome::Passed, {}}
                   : VectorResult{Outcome::Failed, "state root differs from the pre-state"};
    }
    auto receipt = chain::apply_transaction(st, rev, test.block, *tx, test.tx.sender, cache,
                                            test_block_hash, tracer);
    if (!e.expected_exception.empty()) {
        if (receipt)
            return {Outcome::Failed,
                    "expected exception " + e.expected_exception + " but the transaction is valid"};
    } else if (!receipt) {
        return {Outcome::Failed,
                "unexpected exception: " + std::string(chain::tx_error_message(receipt.error()))};
    }

    const hash256 root = state::state_root(st);
    if (root != e.state_root)
        return {Outcome::Failed,
                "state root " + to_hex(root) + ", expected " + to_hex(e.state_root)};
    const hash256 lh = logs_hash(receipt ? receipt->logs : std::vector<chain::Log>{});
    if (lh != e.logs_hash)
        return {Outcome::Failed, "logs hash " + to_hex(lh) + ", expected " + to_hex(e.logs_hash)};
    return {Outcome::Passed, {}};
}

}  // namespace krnl::statetest
