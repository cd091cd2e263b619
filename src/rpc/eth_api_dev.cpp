// Dev methods under the names Hardhat (evm_*, hardhat_*) and anvil (evm_*, anvil_*) use, so
// scripts written for either work unchanged.
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {}  // namespace

void EthApi::register_dev(MethodTable& m) {
    // Dev mining draws on one budget per HTTP request or WebSocket message, which the items of a
    // batch share: batching cannot multiply it. Taken before mining.
    auto take_budget = [this](CallContext& ctx, uint64_t blocks) -> std::expected<void, RpcError> {
        const uint64_t budget = options_.max_blocks_mined_per_request;
        if (blocks > budget || ctx.blocks_mined > budget - blocks)
            return std::unexpected(limit_error(
                "mining " + std::to_string(blocks) + " blocks passes this request's budget (" +
                    std::to_string(ctx.blocks_mined) + " mined already)",
                budget, "max_blocks_mined_per_request"));
        ctx.blocks_mined += blocks;
        return {};
    };
    m.add("evm_mine", [this, take_budget](const json& params, CallContext& ctx) -> Result<json> {
        Params p(params);
        std::optional<uint64_t> timestamp;
        if (p.has(0)) {
            if (p.at(0).is_object()) {  // ganache's {timestamp, blocks}
                auto t = optional_field<uint64_t>(p.at(0), "timestamp", parse_u64);
                if (!t) return std::unexpected(t.error());
                timestamp = *t;
            } else {
                KRNL_RPC_TRY(t, p.number_u64(0));
                timestamp = t;
            }
        }
        if (auto ok = take_budget(ctx, 1); !ok) return std::unexpected(ok.error());
        auto mined = chain_.mine(timestamp);
        if (!mined) return error(code::kInvalidParams, mined.error());
        return "0x0";
    });
    auto mine_many = [this, take_budget](const json& params, CallContext& ctx) -> Result<json> {
        Params p(params);
        uint64_t blocks = 1, interval = 1;
        if (p.has(0)) {
            KRNL_RPC_TRY(b, p.number_u64(0));
            blocks = b;
        }
        if (p.has(1)) {
            KRNL_RPC_TRY(i, p.number_u64(1));
            interval = std::max<uint64_t>(i, 1);
        }
        if (auto ok = take_budget(ctx, blocks); !ok) return std::unexpected(ok.error());
        for (uint64_t i = 0; i < blocks; ++i) {
            std::optional<uint64_t> ts;
            if (i > 0 && interval > 1) {
                auto r = chain_.reader();
                ts = r.header(r.head())->timestamp + interval;
            }
            auto mined = chain_.mine(ts);
            if (!mined) return error(code::kServerError, mined.error());
        }
        return json(nullptr);
    };
    // Up to max_blocks_mined_per_request blocks (seconds of work): on the pool, so that no I/O
    // thread, nor the connections it serves, waits for them.
    m.add_blocking("hardhat_mine", mine_many);
    m.add_blocking("anvil_mine", mine_many);

    m.add("evm_snapshot", [this](const json&, CallContext&) -> Result<json> {
        return to_quantity(chain_.snapshot());
    });
    m.add("evm_revert", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(id, p.number_u64(0));
        return chain_.revert(id);
    });
    m.add("evm_increaseTime", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(seconds, p.number_u64(0));
        // The total offset in seconds, as a decimal string (as Hardhat answers).
        auto total = chain_.increase_time(seconds);
        if (!total) return error(code::kInvalidParams, total.error());
        return std::to_string(*total);
    });
    m.add("evm_setNextBlockTimestamp", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(t, p.number_u64(0));
        if (auto r = chain_.set_next_timestamp(t); !r)
            return error(code::kInvalidParams, r.error());
        return json(nullptr);
    });
    m.add("evm_setAutomine", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(on, p.boolean(0));
        chain_.set_automine(on);
        return true;
    });
    m.add("evm_setIntervalMining", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(ms, p.number_u64(0));
        if (!set_interval_mining)
            return error(code::kServerError, "interval mining is not available");
        mine_at_interval(ms);
        return true;
    });

    for (const char* prefix : {"hardhat_", "anvil_"}) {
        const std::string pre = prefix;
        m.add(pre + "setBalance", [this](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(addr, p.address(0));
            KRNL_RPC_TRY(balance, p.quantity(1));
            chain_.set_balance(addr, balance);
            return true;
        });
        m.add(pre + "setCode", [this](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(addr, p.address(0));
            KRNL_RPC_TRY(code, p.data(1));
            chain_.set_code(addr, std::move(code));
            return true;
        });
        m.add(pre + "setNonce", [this](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(addr, p.address(0));
            KRNL_RPC_TRY(nonce, p.u64(1));
            chain_.set_nonce(addr, nonce);
            return true;
        });
        m.add(pre + "setStorageAt", [this](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(addr, p.address(0));
            KRNL_RPC_TRY(slot, p.slot(1));
            KRNL_RPC_TRY(value, p.hash(2));
            chain_.set_storage(addr, slot, uint256::load_be(value.bytes));
            return true;
        });
        m.add(pre + "impersonateAccount", [this](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(addr, p.address(0));
            chain_.impersonate(addr, true);
            return true;
        });
        m.add(pre + "stopImpersonatingAccount",
              [this](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  KRNL_RPC_TRY(addr, p.address(0));
                  chain_.impersonate(addr, false);
                  return true;
              });
    }
    m.add("anvil_setAutomine", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(on, p.boolean(0));
        chain_.set_automine(on);
        return json(nullptr);
    });
    m.add("anvil_getAutomine",
          [this](const json&, CallContext&) -> Result<json> { return chain_.automine(); });
    m.add("hardhat_getAutomine",
          [this](const json&, CallContext&) -> Result<json> { return chain_.automine(); });
    m.add("txpool_status", [this](const json&, CallContext&) -> Result<json> {
        size_t pending = 0, queued = 0;
        for (const chain::PooledTx& t : chain_.pool_contents()) {
            if (t.tx.nonce < chain_.pending_nonce(t.sender))
                ++pending;
            else
                ++queued;
        }
        return json{{"pending", to_quantity(uint64_t{pending})},
                    {"queued", to_quantity(uint64_t{queued})}};
    });
}

}  // namespace krnl::rpc
