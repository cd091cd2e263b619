// anvil's and Hardhat's aliases of methods krnld has under another name, and anvil's smaller
// methods: clock and interval getters and setters, auto-impersonation, adding to a balance,
// mining with the mined blocks in the answer, unsigned sends, and the proof-of-work and uncle
// methods answered as anvil answers them after the merge.
#include <chrono>
#include <limits>

#include "rpc/eth_api.hpp"
#include "rpc/tracers.hpp"

namespace krnl::rpc {
namespace {

// A field anvil takes as a JSON number or a hex quantity.
std::expected<uint64_t, std::string> parse_number_or_u64(const json& v) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number()) return std::unexpected("expected a non-negative integer");
    return parse_u64(v);
}

int64_t wall_clock_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// An ERC-20 view call's calldata: the selector and address arguments, each in a word.
bytes erc20_call(uint32_t selector, std::initializer_list<address> args) {
    bytes data = {static_cast<uint8_t>(selector >> 24), static_cast<uint8_t>(selector >> 16),
                  static_cast<uint8_t>(selector >> 8), static_cast<uint8_t>(selector)};
    for (const address& a : args) {
        data.insert(data.end(), 12, 0);
        data.insert(data.end(), a.bytes, a.bytes + sizeof(a.bytes));
    }
    return data;
}

constexpr uint32_t kBalanceOf = 0x70a08231;  // balanceOf(address)
constexpr uint32_t kAllowance = 0xdd62ed3e;  // allowance(address,address)
// Storage slots the view read that are tried, at most: each try is one more call.
constexpr size_t kMaxCandidateSlots = 64;

}  // namespace

Result<json> EthApi::set_erc20_slot(const address& token, bytes calldata, const uint256& amount,
                                    std::string_view what) {
    const evm::Revision rev = chain_.config().revision;
    auto reader = chain_.reader();
    const uint64_t head = reader.head();
    const chain::BlockInfo info = block_info(*reader.header(head));
    auto view = reader.state_at(head);
    chain::CallRequest request;
    request.to = token;
    request.data = std::move(calldata);
    const uint64_t gas = chain_.config().call_gas_cap;
    KRNL_RPC_TRY(run, start_evm_run());  // one time limit for every call below
    auto returns = [&](const std::expected<chain::CallOutcome, std::string>& out) {
        return out && out->status == evm::StatusCode::Success && out->output.size() >= 32;
    };

    // anvil's way: the slots the view reads on the token's storage are the candidates.
    std::vector<uint256> candidates;
    {
        state::State st(*view);
        AccessListTracer tracer;
        tracer.on_tx_start({address{}, token, 0, uint256{}, request.data, gas, info.coinbase, rev});
        auto out = chain::simulate_call(st, rev, info, request, gas, chain_.analysis_cache(),
                                        reader.block_hashes(), &tracer);
        if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(false));
        if (!returns(out))
            return error(code::kInternalError, to_hex(token) + " does not answer " +
                                                   std::string(what) + ": not an ERC-20 token");
        for (const auto& entry : tracer.access_list())
            if (entry.addr == token)
                for (const bytes32& key : entry.storage_keys)
                    if (candidates.size() < kMaxCandidateSlots)
                        candidates.push_back(uint256::from_bytes32(key));
    }
    // The slot is the one that, set to `amount`, makes the view answer `amount`.
    for (const uint256& slot : candidates) {
        state::State st(*view);
        chain::AccountOverride change;
        change.state_diff = std::vector<std::pair<uint256, uint256>>{{slot, amount}};
        chain::apply_overrides(st, {{token, change}});
        auto out = chain::simulate_call(st, rev, info, request, gas, chain_.analysis_cache(),
                                        reader.block_hashes());
        if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(false));
        if (returns(out) && uint256::from_be(bytes_view(out->output.data(), 32)) == amount) {
            chain_.set_storage(token, slot, amount);
            return json();
        }
    }
    return error(code::kInternalError, "no storage slot of " + to_hex(token) + " read by " +
                                           std::string(what) + " holds its answer");
}

void EthApi::mine_at_interval(uint64_t interval_ms) {
    interval_mining_ms_ = interval_ms;
    if (set_interval_mining) set_interval_mining(interval_ms);
}

void EthApi::register_anvil(MethodTable& m) {
    register_anvil_history(m);
    register_fork(m);

    // Same handler, same answer.
    for (const auto& [name, existing] : {
             std::pair{"anvil_snapshot", "evm_snapshot"},
             {"anvil_revert", "evm_revert"},
             {"anvil_setNextBlockTimestamp", "evm_setNextBlockTimestamp"},
             {"anvil_setBlockGasLimit", "evm_setBlockGasLimit"},
             {"hardhat_dropAllTransactions", "anvil_dropAllTransactions"},
             {"hardhat_metadata", "anvil_metadata"},
             {"eth_networkId", "net_version"},
             {"eth_requestAccounts", "eth_accounts"},
             {"erigon_getHeaderByNumber", "eth_getHeaderByNumber"},
             {"hardhat_dumpState", "anvil_dumpState"},
             {"hardhat_loadState", "anvil_loadState"},
         })
        m.alias(name, existing);

    // anvil_setNonce's work under anvil's other name; anvil answers null.
    m.add("evm_setAccountNonce", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(addr, p.address(0));
        KRNL_RPC_TRY(nonce, p.number_u64(1));
        chain_.set_nonce(addr, nonce);
        return json();
    });
    // anvil answers the total offset as a signed number (Hardhat's evm_increaseTime: a string).
    m.add("anvil_increaseTime", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(seconds, p.number_u64(0));
        auto total = chain_.increase_time(seconds);
        if (!total) return error(code::kInvalidParams, total.error());
        return *total;
    });
    // anvil's interval is in seconds (Hardhat's evm_setIntervalMining: milliseconds).
    m.add("anvil_setIntervalMining", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(seconds, p.number_u64(0));
        if (seconds > std::numeric_limits<uint64_t>::max() / 1000)
            return std::unexpected(Params::invalid(0, "interval too large"));
        if (!set_interval_mining)
            return error(code::kServerError, "interval mining is not available");
        mine_at_interval(seconds * 1000);
        return json();
    });
    m.add("anvil_getIntervalMining", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(0); !r) return std::unexpected(r.error());
        const uint64_t ms = interval_mining_ms_;
        if (ms == 0) return json();
        return (ms + 999) / 1000;  // seconds, as anvil counts; a shorter interval shows as 1
    });
    m.add("anvil_getGenesisTime", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(0); !r) return std::unexpected(r.error());
        return chain_.reader().header(0)->timestamp;
    });
    // Sets the clock so the next block's time is `timestamp` (or its parent's + 1 if that is
    // later); answers the seconds the clock moved forward, as anvil does. Only forward: the
    // chain's clock offset moves one way (a later block can never be earlier than its parent).
    auto set_time = [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(timestamp, p.number_u64(0));
        auto offset = chain_.increase_time(0);
        if (!offset) return error(code::kInvalidParams, offset.error());
        const __int128 now = static_cast<__int128>(wall_clock_seconds()) + *offset;
        const __int128 forward = static_cast<__int128>(timestamp) - now;
        if (forward < 0)
            return error(code::kInvalidParams,
                         "cannot set the clock back to " + std::to_string(timestamp) +
                             ": it reads " + std::to_string(static_cast<int64_t>(now)) +
                             " (revert to a snapshot, or use evm_setNextBlockTimestamp)");
        if (auto moved = chain_.increase_time(static_cast<uint64_t>(forward)); !moved)
            return error(code::kInvalidParams, moved.error());
        return static_cast<uint64_t>(forward);
    };
    m.add("evm_setTime", set_time);
    m.add("anvil_setTime", set_time);

    // krnld does not log requests: the switch is kept (and answered) so scripts run unchanged.
    for (const auto& [name, done] :
         {std::pair{"anvil_setLoggingEnabled", json()}, {"hardhat_setLoggingEnabled", json(true)}})
        m.add(name, [this, done](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(on, p.boolean(0));
            logging_enabled_ = on;
            return done;
        });

    // Every sender impersonated while on (anvil answers null).
    for (const char* name : {"anvil_autoImpersonateAccount", "hardhat_autoImpersonateAccount"})
        m.add(name, [this](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(on, p.boolean(0));
            auto_impersonate_ = on;
            return json();
        });
    m.add("eth_sendUnsignedTransaction", [this](const json& params, CallContext&) -> Result<json> {
        KRNL_RPC_TRY(hash, send_transaction(params, true));
        return to_hex(hash);
    });

    // balance += value (anvil answers null). The read and the write are two steps: a block mined
    // in between is overwritten, as with any pair of dev edits.
    for (const char* name : {"anvil_addBalance", "hardhat_addBalance"})
        m.add(name, [this](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(addr, p.address(0));
            KRNL_RPC_TRY(value, p.number_u256(1));
            auto reader = chain_.reader();
            auto account = reader.state_at(reader.head())->read_account(addr);
            const uint256 balance = account ? account->balance : uint256{};
            if (value > ~uint256{} - balance)
                return std::unexpected(Params::invalid(1, "the balance would pass 2^256 - 1"));
            chain_.set_balance(addr, balance + value);
            return json();
        });

    // Mining with the mined blocks, transactions in full, in the answer. Params as evm_mine's:
    // [timestamp] or [{timestamp, blocks}] (the timestamp is the first block's).
    auto mine_detailed = [this](const json& params, CallContext& ctx) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        std::optional<uint64_t> timestamp;
        uint64_t blocks = 1;
        if (p.has(0) && p.at(0).is_object()) {
            auto t = optional_field<uint64_t>(p.at(0), "timestamp", parse_number_or_u64);
            if (!t) return std::unexpected(t.error());
            timestamp = *t;
            auto b = optional_field<uint64_t>(p.at(0), "blocks", parse_number_or_u64);
            if (!b) return std::unexpected(b.error());
            blocks = b->value_or(1);
        } else if (p.has(0) && !p.at(0).is_null()) {
            KRNL_RPC_TRY(t, p.number_u64(0));
            timestamp = t;
        }
        const uint64_t budget = options_.max_blocks_mined_per_request;
        if (blocks > budget || ctx.blocks_mined > budget - blocks)
            return std::unexpected(limit_error(
                "mining " + std::to_string(blocks) + " blocks passes this request's budget (" +
                    std::to_string(ctx.blocks_mined) + " mined already)",
                budget, "max_blocks_mined_per_request"));
        ctx.blocks_mined += blocks;
        json out = json::array();
        for (uint64_t i = 0; i < blocks; ++i) {
            auto mined = chain_.mine(i == 0 ? timestamp : std::nullopt);
            if (!mined) return error(code::kInvalidParams, mined.error());
            auto reader = chain_.reader();
            auto block = reader.block(*mined);
            if (!block) return error(code::kInternalError, "the mined block is gone");
            out.push_back(block_json(*block, *reader.hash(*mined), reader.senders(*mined), true));
        }
        return out;
    };
    m.add("anvil_mine_detailed", mine_detailed);
    m.add("evm_mine_detailed", mine_detailed);

    // No uncles after the merge.
    auto no_uncle = [this](bool by_hash) {
        return [this, by_hash](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
            KRNL_RPC_TRY(index, p.u64(1));
            (void)index;
            auto reader = chain_.reader();
            KRNL_RPC_TRY(number, find_block(reader, p, 0, by_hash));
            (void)number;
            return json();
        };
    };
    m.add("eth_getUncleByBlockHashAndIndex", no_uncle(true));
    m.add("eth_getUncleByBlockNumberAndIndex", no_uncle(false));

    // What anvil answers: its typed-data signing is eth_signTypedData_v4 only, and there is no
    // proof of work to serve. The params are checked first, as anvil checks them.
    auto not_supported = [](size_t arity, std::string what) {
        return [arity, what](const json& params, CallContext&) -> Result<json> {
            if (!params.is_array() || params.size() != arity)
                return error(code::kInvalidParams, "expected " + std::to_string(arity) + " params");
            return error(code::kInternalError, what);
        };
    };
    m.add("eth_signTypedData",
          not_supported(2, "eth_signTypedData is not supported: use eth_signTypedData_v4"));
    m.add("eth_signTypedData_v3",
          not_supported(2, "eth_signTypedData_v3 is not supported: use eth_signTypedData_v4"));
    m.add("eth_getWork", [](const json&, CallContext&) -> Result<json> {
        return error(code::kInternalError,
                     "eth_getWork is not supported: there is no proof of work");
    });
    m.add("eth_submitWork",
          not_supported(3, "eth_submitWork is not supported: there is no proof of work"));
    m.add("eth_submitHashrate",
          not_supported(2, "eth_submitHashrate is not supported: there is no proof of work"));

    // anvil's: [account, token, amount] -> null; the slot balanceOf(account) reads is set. Not
    // a token, or no slot found: -32603, as anvil answers.
    auto deal = [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(account, p.address(0));
        KRNL_RPC_TRY(token, p.address(1));
        KRNL_RPC_TRY(amount, p.number_u256(2));
        return set_erc20_slot(token, erc20_call(kBalanceOf, {account}), amount, "balanceOf");
    };
    for (const char* name : {"anvil_dealERC20", "hardhat_dealERC20", "anvil_setERC20Balance"})
        m.add_evm_writer(name, deal);
    // [owner, spender, token, amount] -> null; the slot allowance(owner, spender) reads is set.
    m.add_evm_writer("anvil_setERC20Allowance",
                     [this](const json& params, CallContext&) -> Result<json> {
                         Params p(params);
                         if (auto r = p.at_most(4); !r) return std::unexpected(r.error());
                         KRNL_RPC_TRY(owner, p.address(0));
                         KRNL_RPC_TRY(spender, p.address(1));
                         KRNL_RPC_TRY(token, p.address(2));
                         KRNL_RPC_TRY(amount, p.number_u256(3));
                         return set_erc20_slot(token, erc20_call(kAllowance, {owner, spender}),
                                               amount, "allowance");
                     });

    // Hardhat's answers: true, or its -32000 with the reason (under EIP-1559, always).
    m.add("hardhat_setMinGasPrice", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(price, p.number_u256(0));
        if (auto r = chain_.set_min_gas_price(price); !r) {
            std::string reason = r.error();  // worded for anvil's name
            if (reason.starts_with("anvil_")) reason.replace(0, 6, "hardhat_");
            return error(code::kServerError, reason);
        }
        return true;
    });
    // Hardhat answers whether the pool held the transaction (anvil_dropTransaction: the hash).
    m.add("hardhat_dropTransaction", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(hash, p.hash(0));
        return chain_.drop_transaction(hash);
    });
}

}  // namespace krnl::rpc
