#include "aa/user_operation_lookup.hpp"

#include <cstring>

#include "aa/entry_point.hpp"
#include "common/abi.hpp"
#include "rpc/eth_json.hpp"

namespace krnl::aa {
namespace {

bool is_entry_point(const address& a) {
    return entry_point_version(a).has_value();
}

// Whether a block's bloom may hold the UserOperationEvent of `op_hash`.
bool bloom_may_hold(const chain::BlockHeader& header, const hash256& op_hash) {
    return chain::bloom_contains(header.logs_bloom, kUserOperationEventTopic.view()) &&
           chain::bloom_contains(header.logs_bloom, op_hash.view());
}

}  // namespace

std::optional<std::vector<PackedUserOperation>> decode_handle_ops(bytes_view call_data) {
    static const auto selector = abi::selector(
        "handleOps((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)[],address)");
    static const auto types = *abi::parse_types(
        "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)[],address");
    if (call_data.size() < 4 || std::memcmp(call_data.data(), selector.bytes, 4) != 0)
        return std::nullopt;
    auto decoded = abi::decode(types, call_data.substr(4));
    if (!decoded) return std::nullopt;
    std::vector<PackedUserOperation> ops;
    for (const abi::Value& v : std::get<abi::ValueList>((*decoded)[0].data)) {
        const auto& f = std::get<abi::ValueList>(v.data);
        PackedUserOperation p;
        p.sender = std::get<address>(f[0].data);
        p.nonce = std::get<uint256>(f[1].data);
        p.init_code = std::get<bytes>(f[2].data);
        p.call_data = std::get<bytes>(f[3].data);
        p.account_gas_limits = bytes32::from_view(std::get<bytes>(f[4].data));
        p.pre_verification_gas = std::get<uint256>(f[5].data);
        p.gas_fees = bytes32::from_view(std::get<bytes>(f[6].data));
        p.paymaster_and_data = std::get<bytes>(f[7].data);
        p.signature = std::get<bytes>(f[8].data);
        ops.push_back(std::move(p));
    }
    return ops;
}

void UserOperationLookup::on_block(const chain::BlockEvent& event) {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < event.receipts.size(); ++i) {
        for (const chain::Log& log : event.receipts[i].logs) {
            if (!is_entry_point(log.addr)) continue;
            if (auto e = decode_user_operation_event(log.topics, log.data))
                index_[e->user_op_hash] = {event.block.header.number, i, log.addr};
        }
    }
}

void UserOperationLookup::clear() {
    std::lock_guard lock(mutex_);
    index_.clear();
}

void UserOperationLookup::forget_from(uint64_t first) {
    std::lock_guard lock(mutex_);
    std::erase_if(index_, [&](const auto& entry) { return entry.second.block_number >= first; });
}

std::optional<IncludedOp> UserOperationLookup::find(const chain::ChainReader& reader,
                                                    const hash256& op_hash) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = index_.find(op_hash); it != index_.end()) {
            // A reorg or a dev revert may have dropped the block: check it still holds the op.
            const auto receipts = reader.receipts(it->second.block_number);
            if (receipts && it->second.tx_index < receipts->size()) return it->second;
            index_.erase(it);
        }
    }
    const uint64_t head = reader.head();
    const uint64_t oldest = head > lookback_blocks_ ? head - lookback_blocks_ : 0;
    for (uint64_t n = head + 1; n-- > oldest;) {
        const auto header = reader.header(n);
        if (!header || !bloom_may_hold(*header, op_hash)) continue;
        const auto receipts = reader.receipts(n);
        if (!receipts) continue;
        for (size_t i = 0; i < receipts->size(); ++i)
            for (const chain::Log& log : (*receipts)[i].logs) {
                if (!is_entry_point(log.addr)) continue;
                auto e = decode_user_operation_event(log.topics, log.data);
                if (!e || e->user_op_hash != op_hash) continue;
                IncludedOp found{n, i, log.addr};
                std::lock_guard lock(mutex_);
                index_[op_hash] = found;
                return found;
            }
    }
    return std::nullopt;
}

json UserOperationLookup::receipt(const hash256& op_hash) {
    auto reader = chain_.reader();
    const auto at = find(reader, op_hash);
    if (!at) return nullptr;
    const auto block = reader.block(at->block_number);
    const auto receipts = reader.receipts(at->block_number);
    const auto senders = reader.senders(at->block_number);
    const auto hash = reader.hash(at->block_number);
    if (!block || !receipts || !hash || at->tx_index >= receipts->size()) return nullptr;
    const chain::StoredReceipt& r = (*receipts)[at->tx_index];
    const chain::Transaction& tx = block->transactions[at->tx_index];
    uint64_t first_log_index = 0;
    for (size_t i = 0; i < at->tx_index; ++i)
        first_log_index += (*receipts)[i].logs.size();
    const rpc::TxPosition position{*hash, at->block_number, at->tx_index,
                                   block->header.base_fee_per_gas.value_or(uint256{})};
    const hash256 tx_hash = chain::transaction_hash(tx);

    // The op's own logs: those after the previous op's event (or BeforeExecution) up to its own.
    std::optional<UserOperationEvent> event;
    std::optional<bytes> revert_reason;
    size_t own_start = 0;
    json logs = json::array();
    for (size_t i = 0; i < r.logs.size(); ++i) {
        const chain::Log& log = r.logs[i];
        const bool from_entry_point = log.addr == at->entry_point && !log.topics.empty();
        if (from_entry_point && log.topics[0] == kBeforeExecutionTopic) {
            own_start = i + 1;
            continue;
        }
        if (!from_entry_point) continue;
        if (log.topics[0] == kUserOperationRevertReasonTopic && log.topics.size() > 1 &&
            log.topics[1] == op_hash) {
            revert_reason = decode_revert_reason_event(log.data);
            continue;
        }
        auto e = decode_user_operation_event(log.topics, log.data);
        if (!e) continue;
        if (e->user_op_hash != op_hash) {
            own_start = i + 1;
            continue;
        }
        event = e;
        for (size_t j = own_start; j < i; ++j)
            logs.push_back(rpc::log_json(r.logs[j], position, tx_hash, first_log_index + j,
                                         block->header.timestamp));
        break;
    }
    if (!event) return nullptr;
    const address sender = at->tx_index < senders.size() ? senders[at->tx_index] : address{};
    return {
        {"userOpHash", to_hex(op_hash)},
        {"entryPoint", to_hex(at->entry_point)},
        {"sender", to_hex(event->sender)},
        {"nonce", rpc::to_quantity(event->nonce)},
        {"paymaster", to_hex(event->paymaster)},
        {"actualGasCost", rpc::to_quantity(event->actual_gas_cost)},
        {"actualGasUsed", rpc::to_quantity(event->actual_gas_used)},
        {"success", event->success},
        {"reason", rpc::to_data(revert_reason.value_or(bytes{}))},
        {"logs", std::move(logs)},
        {"receipt",
         rpc::receipt_json(r, tx, sender, position, first_log_index, block->header.timestamp)},
    };
}

json UserOperationLookup::by_hash(const hash256& op_hash) {
    auto reader = chain_.reader();
    const auto at = find(reader, op_hash);
    if (!at) return nullptr;
    const auto block = reader.block(at->block_number);
    const auto hash = reader.hash(at->block_number);
    if (!block || !hash || at->tx_index >= block->transactions.size()) return nullptr;
    const chain::Transaction& tx = block->transactions[at->tx_index];
    const auto version = entry_point_version(at->entry_point);
    const auto ops = decode_handle_ops(tx.data);
    if (!version || !ops) return nullptr;
    for (const PackedUserOperation& packed : *ops) {
        auto op = unpack(packed);
        if (!op) continue;
        // The delegate of a 7702 op is its code at inclusion: read from the block's state.
        std::optional<address> delegate;
        if (*version == EntryPointVersion::V08 && op->factory == kEip7702FactoryMarker) {
            auto view = reader.state_at(at->block_number);
            if (auto info = view->read_account(op->sender)) {
                const bytes code = view->read_code(info->code_hash);
                if (code.size() == 23) delegate = address::from_view(code.substr(3));
            }
        }
        if (user_operation_hash(*op, *version, chain_.config().chain_id, delegate) != op_hash)
            continue;
        return {{"userOperation", user_operation_json(*op)},
                {"entryPoint", to_hex(at->entry_point)},
                {"transactionHash", to_hex(chain::transaction_hash(tx))},
                {"blockHash", to_hex(*hash)},
                {"blockNumber", rpc::to_quantity(at->block_number)}};
    }
    return nullptr;
}

}  // namespace krnl::aa
