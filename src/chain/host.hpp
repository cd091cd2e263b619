// The EVM host over a State: message calls, contract creation, precompiles, logs and the
// EIP-158 / EIP-2929 / EIP-6780 rules that sit between frames.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "evm/analysis.hpp"
#include "evm/host.hpp"
#include "evm/interpreter.hpp"
#include "state/state.hpp"

namespace krnl::chain {

struct Log {
    address addr;
    std::vector<hash256> topics;
    bytes data;
};

using BlockHashFn = std::function<hash256(int64_t number)>;

address create_address(const address& sender, uint64_t nonce);

// EIP-7702 delegation designator: 0xef0100 || address, written as the code of an authority.
inline constexpr size_t kDelegationDesignatorSize = 23;
bytes delegation_designator(const address& target);
// The target of a designator, or nullopt for any other code.
std::optional<address> delegation_target(bytes_view code);
address create2_address(const address& sender, const uint256& salt, bytes_view init_code);

class Host final : public evm::Host {
public:
    Host(state::State& state, evm::Revision rev, const evm::TxContext& tx,
         evm::AnalysisCache& analysis_cache, BlockHashFn block_hash = {},
         evm::Tracer* tracer = nullptr)
        : state_(state),
          rev_(rev),
          tx_(tx),
          cache_(analysis_cache),
          block_hash_(std::move(block_hash)),
          tracer_(tracer) {}

    bool account_exists(const address& addr) override;
    uint256 get_storage(const address& addr, const uint256& key) override;
    evm::StorageStatus set_storage(const address& addr, const uint256& key,
                                   const uint256& value) override;
    uint256 get_transient_storage(const address& addr, const uint256& key) override;
    void set_transient_storage(const address& addr, const uint256& key,
                               const uint256& value) override;
    uint256 get_balance(const address& addr) override;
    size_t get_code_size(const address& addr) override;
    hash256 get_code_hash(const address& addr) override;
    bytes_view get_code(const address& addr) override;
    bool selfdestruct(const address& addr, const address& beneficiary) override;
    evm::Result call(const evm::Message& msg) override;
    const evm::TxContext& tx_context() override { return tx_; }
    hash256 get_block_hash(int64_t number) override;
    void emit_log(const address& addr, bytes_view data, const uint256* topics,
                  size_t num_topics) override;
    evm::AccessStatus access_account(const address& addr) override;
    evm::AccessStatus access_storage(const address& addr, const uint256& key) override;

    std::vector<Log>& logs() { return logs_; }

private:
    evm::Result run_message(const evm::Message& msg);
    evm::Result create(const evm::Message& msg);
    evm::Result execute_code(const evm::Message& msg);

    state::State& state_;
    const evm::Revision rev_;
    const evm::TxContext& tx_;
    evm::AnalysisCache& cache_;
    BlockHashFn block_hash_;
    evm::Tracer* tracer_;
    std::vector<Log> logs_;
};

}  // namespace krnl::chain
