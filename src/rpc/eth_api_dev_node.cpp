// anvil's dev controls of the next block (coinbase, base fee, gas limit, timestamp interval),
// of the pool (dropping transactions, the minimum gas price) and its node information, under
// anvil's names and, where Hardhat has the method, Hardhat's.
#include <sys/random.h>

#include <array>

#include "rpc/eth_api.hpp"
#include "rpc/eth_config.hpp"

namespace krnl::rpc {
namespace {

// anvil's instanceId: random per process, so a client sees that the node it talks to restarted.
const std::string& instance_id() {
    static const std::string id = [] {
        std::array<uint8_t, 32> random{};
        size_t filled = 0;
        while (filled < random.size()) {
            const ssize_t n = getrandom(random.data() + filled, random.size() - filled, 0);
            if (n > 0) filled += static_cast<size_t>(n);
        }
        return to_hex(bytes_view(random.data(), random.size()));
    }();
    return id;
}

}  // namespace

void EthApi::register_dev_node(MethodTable& m) {
    // Hardhat answers true where anvil answers null: each name keeps its node's answer.
    for (const auto& [prefix, done] : {std::pair{"hardhat_", json(true)}, {"anvil_", json()}}) {
        const std::string pre = prefix;
        m.add(pre + "setCoinbase", [this, done](const json& params, CallContext&) -> Result<json> {
            Params p(params);
            KRNL_RPC_TRY(addr, p.address(0));
            chain_.set_coinbase(addr);
            return done;
        });
        m.add(pre + "setNextBlockBaseFeePerGas",
              [this, done](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  KRNL_RPC_TRY(fee, p.number_u256(0));
                  if (auto r = chain_.set_next_block_base_fee(fee); !r)
                      return std::unexpected(Params::invalid(0, r.error()));
                  return done;
              });
    }
    m.add("evm_setBlockGasLimit", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(gas, p.number_u64(0));
        if (auto r = chain_.set_block_gas_limit(gas); !r)
            return std::unexpected(Params::invalid(0, r.error()));
        return true;
    });
    m.add("anvil_setBlockTimestampInterval",
          [this](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              KRNL_RPC_TRY(seconds, p.number_u64(0));
              chain_.set_block_timestamp_interval(seconds);
              return json();
          });
    m.add("anvil_removeBlockTimestampInterval", [this](const json&, CallContext&) -> Result<json> {
        chain_.set_block_timestamp_interval(std::nullopt);
        return true;
    });

    // The pool. anvil answers the dropped hash, or null when the pool did not hold it.
    m.add("anvil_dropTransaction", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(hash, p.hash(0));
        if (!chain_.drop_transaction(hash)) return json();
        return to_hex(hash);
    });
    m.add("anvil_dropAllTransactions", [this](const json&, CallContext&) -> Result<json> {
        chain_.drop_all_transactions();
        return json();
    });
    m.add("anvil_removePoolTransactions", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(sender, p.address(0));
        chain_.drop_transactions_from(sender);
        return json();
    });
    m.add("anvil_setMinGasPrice", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(price, p.number_u256(0));
        if (auto r = chain_.set_min_gas_price(price); !r)
            return error(code::kInvalidParams, r.error());
        return json();
    });

    // Node information in anvil's shapes (numbers where anvil gives numbers).
    m.add("anvil_nodeInfo", [this](const json&, CallContext&) -> Result<json> {
        auto r = chain_.reader();
        const uint64_t head = r.head();
        const auto header = r.header(head);
        const uint256 base_fee = chain_.next_block_base_fee();
        return json{
            {"currentBlockNumber", to_quantity(head)},
            {"currentBlockTimestamp", header->timestamp},
            {"currentBlockHash", to_hex(*r.hash(head))},
            {"hardFork", std::string(evm::revision_name(chain_.config().revision))},
            {"transactionOrder", "fees"},
            {"environment",
             {{"baseFee", to_quantity(base_fee)},
              {"chainId", chain_.chain_id()},
              {"gasLimit", to_quantity(chain_.block_gas_limit())},
              {"gasPrice", to_quantity(base_fee + options_.suggested_tip)}}},
            {"forkConfig",
             {{"forkUrl", nullptr}, {"forkBlockNumber", nullptr}, {"forkRetryBackoff", nullptr}}},
        };
    });
    m.add("anvil_metadata", [this](const json&, CallContext&) -> Result<json> {
        auto r = chain_.reader();
        const uint64_t head = r.head();
        json snapshots = json::object();
        for (const auto& [id, block] : chain_.snapshot_heads()) {
            const auto hash = r.hash(block);
            snapshots[to_quantity(id)] = json::array({block, hash ? json(to_hex(*hash)) : json()});
        }
        return json{
            {"clientVersion",
             client_version_with_fork(options_.client_version, chain_.config().revision)},
            {"chainId", chain_.chain_id()},
            {"instanceId", instance_id()},
            {"latestBlockNumber", head},
            {"latestBlockHash", to_hex(*r.hash(head))},
            {"forkedNetwork", nullptr},
            {"snapshots", std::move(snapshots)},
        };
    });
}

}  // namespace krnl::rpc
