#include "rpc/eth_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

#include <boost/crc.hpp>

#include "chain/execution.hpp"
#include "chain/header_validation.hpp"
#include "chain/system_contracts.hpp"
#include "evm/precompiles.hpp"

namespace krnl::rpc {
namespace {

address precompile_address(uint16_t n) {
    address a{};
    a.bytes[18] = static_cast<uint8_t>(n >> 8);
    a.bytes[19] = static_cast<uint8_t>(n & 0xff);
    return a;
}

// The EIP's names; which of them a fork has is the EVM's answer (evm::is_precompile).
constexpr std::array<std::pair<uint16_t, const char*>, 18> kPrecompileNames{{
    {0x01, "ECREC"},
    {0x02, "SHA256"},
    {0x03, "RIPEMD160"},
    {0x04, "ID"},
    {0x05, "MODEXP"},
    {0x06, "BN254_ADD"},
    {0x07, "BN254_MUL"},
    {0x08, "BN254_PAIRING"},
    {0x09, "BLAKE2F"},
    {0x0a, "KZG_POINT_EVALUATION"},
    {0x0b, "BLS12_G1ADD"},
    {0x0c, "BLS12_G1MSM"},
    {0x0d, "BLS12_G2ADD"},
    {0x0e, "BLS12_G2MSM"},
    {0x0f, "BLS12_PAIRING_CHECK"},
    {0x10, "BLS12_MAP_FP_TO_G1"},
    {0x11, "BLS12_MAP_FP2_TO_G2"},
    {0x100, "P256VERIFY"},
}};

}  // namespace

std::string fork_id(const hash256& genesis_hash) {
    boost::crc_32_type crc;
    crc.process_bytes(genesis_hash.bytes, sizeof(genesis_hash.bytes));
    char out[11];
    std::snprintf(out, sizeof(out), "0x%08x", static_cast<unsigned>(crc.checksum()));
    return out;
}

json fork_config_json(evm::Revision rev, uint64_t chain_id, const hash256& genesis_hash) {
    json precompiles = json::object();
    for (const auto& [n, name] : kPrecompileNames) {
        const address a = precompile_address(n);
        if (evm::is_precompile(a, rev)) precompiles[name] = to_hex(a);
    }
    // The contracts the chain's blocks call or read. krnld's chains have no beacon chain, so no
    // deposit contract (DEPOSIT_CONTRACT_ADDRESS is absent).
    json system = json::object();
    if (rev >= evm::Revision::Cancun)
        system["BEACON_ROOTS_ADDRESS"] = to_hex(chain::kBeaconRootsAddress);
    if (rev >= evm::Revision::Prague) {
        system["HISTORY_STORAGE_ADDRESS"] = to_hex(chain::kHistoryStorageAddress);
        system["WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS"] = to_hex(chain::kWithdrawalRequestAddress);
        system["CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS"] =
            to_hex(chain::kConsolidationRequestAddress);
    }
    json blobs = nullptr;
    if (rev >= evm::Revision::Cancun)
        blobs = {{"baseFeeUpdateFraction", chain::blob_base_fee_update_fraction(rev)},
                 {"max", chain::max_blob_gas_per_block(rev) / chain::kBlobGasPerBlob},
                 {"target", chain::target_blob_gas_per_block(rev) / chain::kBlobGasPerBlob}};
    return {{"activationTime", 0},
            {"blobSchedule", blobs},
            {"chainId", to_quantity(chain_id)},
            {"forkId", fork_id(genesis_hash)},
            {"precompiles", precompiles},
            {"systemContracts", system}};
}

std::string client_version_with_fork(const std::string& version, evm::Revision rev) {
    std::string fork(evm::revision_name(rev));
    std::ranges::transform(fork, fork.begin(), [](unsigned char c) { return std::tolower(c); });
    return version + "/" + fork;
}

json eth_config_json(evm::Revision rev, uint64_t chain_id, const hash256& genesis_hash) {
    return {{"current", fork_config_json(rev, chain_id, genesis_hash)},
            {"next", nullptr},
            {"last", nullptr}};
}

}  // namespace krnl::rpc
