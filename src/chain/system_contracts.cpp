#include "chain/system_contracts.hpp"

#include "common/hash.hpp"

namespace krnl::chain {

using evm::Revision;

namespace {

// EIP-4788: runtime code (97 bytes), the deployment input of the EIP after its constructor.
constexpr std::string_view kBeaconRootsCodeHex =
    "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f3580"
    "1560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b6200"
    "1fff42064281555f359062001fff015500";

// EIP-2935: runtime code (83 bytes), the deployment input of the EIP after its constructor.
constexpr std::string_view kHistoryStorageCodeHex =
    "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f356001430381"
    "11604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303"
    "065500";

// EIP-7002: runtime code (504 bytes), the deployment input of the EIP after its constructor.
constexpr std::string_view kWithdrawalRequestCodeHex =
    "3373fffffffffffffffffffffffffffffffffffffffe1460cb5760115f54807fffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffff146101f457600182026001905f5b5f82"
    "111560685781019083028483029004916001019190604d565b909390049250505036603814608857"
    "366101f457346101f4575f5260205ff35b34106101f4576001546001016001556003548060030260"
    "04013381556001015f35815560010160203590553360601b5f5260385f601437604c5fa060010160"
    "0355005b6003546002548082038060101160df575060105b5f5b8181146101835782810160030260"
    "040181604c02815460601b8152601401816001015481526020019060020154807fffffffffffffff"
    "ffffffffffffffffff00000000000000000000000000000000168252906010019060401c90816038"
    "1c81600701538160301c81600601538160281c81600501538160201c81600401538160181c816003"
    "01538160101c81600201538160081c81600101535360010160e1565b910180921461019557906002"
    "556101a0565b90505f6002555f6003555b5f54807fffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffff14156101cd57505f5b6001546002828201116101e25750505f6101"
    "e8565b01600290035b5f555f600155604c025ff35b5f5ffd";

// EIP-7251: runtime code (414 bytes), the deployment input of the EIP after its constructor.
constexpr std::string_view kConsolidationRequestCodeHex =
    "3373fffffffffffffffffffffffffffffffffffffffe1460d35760115f54807fffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffff1461019a57600182026001905f5b5f82"
    "111560685781019083028483029004916001019190604d565b909390049250505036606014608857"
    "3661019a573461019a575f5260205ff35b341061019a576001546001016001556003548060040260"
    "04013381556001015f358155600101602035815560010160403590553360601b5f5260605f601437"
    "60745fa0600101600355005b6003546002548082038060021160e7575060025b5f5b818114610129"
    "5782810160040260040181607402815460601b815260140181600101548152602001816002015481"
    "526020019060030154905260010160e9565b910180921461013b5790600255610146565b90505f60"
    "02555f6003555b5f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffff141561017357505f5b6001546001828201116101885750505f61018e565b01600190035b5f"
    "555f6001556074025ff35b5f5ffd";

bytes code_from_hex(std::string_view hex) {
    return *from_hex(hex);
}

// The TxContext of a call made by the protocol itself rather than by a transaction.
evm::TxContext system_context(const BlockInfo& block, Revision rev) {
    const uint64_t fraction =
        block.blob_base_fee_update_fraction.value_or(blob_base_fee_update_fraction(rev));
    return block_context(
        block, kSystemAddress,
        rev >= Revision::Cancun ? blob_base_fee(block.excess_blob_gas, fraction) : uint256{});
}

}  // namespace

const bytes& beacon_roots_code() {
    static const bytes code = code_from_hex(kBeaconRootsCodeHex);
    return code;
}

const bytes& history_storage_code() {
    static const bytes code = code_from_hex(kHistoryStorageCodeHex);
    return code;
}

const bytes& withdrawal_request_code() {
    static const bytes code = code_from_hex(kWithdrawalRequestCodeHex);
    return code;
}

const bytes& consolidation_request_code() {
    static const bytes code = code_from_hex(kConsolidationRequestCodeHex);
    return code;
}

SystemCallResult system_call(state::State& state, Revision rev, const BlockInfo& block,
                             const address& contract, bytes_view input, evm::AnalysisCache& cache,
                             const BlockHashFn& block_hash, evm::Tracer* tracer) {
    const state::Account* acc = state.find(contract);
    if (acc == nullptr || acc->code.empty()) return {};
    const evm::TxContext ctx = system_context(block, rev);
    Host host(state, rev, ctx, cache, block_hash, tracer);
    evm::Message msg;
    msg.kind = evm::CallKind::Call;
    msg.gas = kSystemCallGas;
    msg.sender = kSystemAddress;
    msg.recipient = contract;
    msg.code_address = contract;
    msg.input = input;
    evm::Result r = host.call(msg);
    state.finalize_transaction(true);
    return {true, r.status, std::move(r.output)};
}

void apply_block_start_system_calls(state::State& state, Revision rev, const BlockInfo& block,
                                    const std::optional<hash256>& parent_beacon_block_root,
                                    const hash256& parent_hash, evm::AnalysisCache& cache,
                                    const BlockHashFn& block_hash, evm::Tracer* tracer) {
    if (rev >= Revision::Cancun && parent_beacon_block_root)
        system_call(state, rev, block, kBeaconRootsAddress, parent_beacon_block_root->view(), cache,
                    block_hash, tracer);
    if (rev >= Revision::Prague)
        system_call(state, rev, block, kHistoryStorageAddress, parent_hash.view(), cache,
                    block_hash, tracer);
}

std::expected<std::vector<bytes>, BlockError> collect_requests(
    state::State& state, Revision rev, const BlockInfo& block, bytes_view deposits,
    evm::AnalysisCache& cache, const BlockHashFn& block_hash, evm::Tracer* tracer) {
    std::vector<bytes> requests;
    if (rev < Revision::Prague) return requests;
    bytes deposit_request{kDepositRequestType};
    deposit_request += deposits;
    requests.push_back(std::move(deposit_request));
    const std::pair<address, uint8_t> queues[] = {
        {kWithdrawalRequestAddress, kWithdrawalRequestType},
        {kConsolidationRequestAddress, kConsolidationRequestType},
    };
    for (const auto& [contract, type] : queues) {
        SystemCallResult r =
            system_call(state, rev, block, contract, {}, cache, block_hash, tracer);
        if (!r.has_code)
            return std::unexpected(BlockError{BlockErrorCode::SystemCall,
                                              "no code at request contract " + to_hex(contract),
                                              std::nullopt, std::nullopt});
        if (r.status != evm::StatusCode::Success)
            return std::unexpected(BlockError{BlockErrorCode::SystemCall,
                                              "system call to " + to_hex(contract) + " failed: " +
                                                  std::string(evm::status_name(r.status)),
                                              std::nullopt, std::nullopt});
        bytes request{type};
        request += r.output;
        requests.push_back(std::move(request));
    }
    return requests;
}

hash256 requests_hash(const std::vector<bytes>& requests) {
    bytes hashes;
    for (const bytes& r : requests)
        if (r.size() > 1) hashes += sha256(r).view();
    return sha256(hashes);
}

void install_system_contracts(state::State& state, Revision rev) {
    auto install = [&](const address& addr, const bytes& code) {
        if (state.find(addr) != nullptr) return;
        state::Account acc;
        acc.nonce = 1;
        acc.set_code(code);
        state.put(addr, std::move(acc));
    };
    if (rev >= Revision::Cancun) install(kBeaconRootsAddress, beacon_roots_code());
    if (rev >= Revision::Prague) {
        install(kHistoryStorageAddress, history_storage_code());
        install(kWithdrawalRequestAddress, withdrawal_request_code());
        install(kConsolidationRequestAddress, consolidation_request_code());
    }
}

}  // namespace krnl::chain
