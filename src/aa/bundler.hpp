// The bundler of one chain: admits user operations (checks, then the EntryPoint's simulation on a
// snapshot of the head), holds them, and bundles them into handleOps transactions from its key.
// In "auto" mode an admitted op is bundled at once (with automine: op -> receipt in one block);
// in "manual" mode ops wait for sendBundleNow.
#pragma once

#include <deque>
#include <functional>
#include <mutex>

#include "aa/gas_estimation.hpp"
#include "aa/mempool.hpp"
#include "aa/reputation.hpp"
#include "aa/simulation.hpp"
#include "aa/user_operation_lookup.hpp"
#include "aa/validation_rules.hpp"
#include "chain/chain.hpp"
#include "rpc/evm_limits.hpp"

namespace krnl::aa {

struct BundlerOptions {
    address key_address;  // signs handleOps transactions (a dev account by default)
    bytes32 key_secret;
    std::optional<address> beneficiary;  // receives the ops' fees; default: the key's address
    // ERC-7562's MAX_VERIFICATION_GAS and MAX_USEROP_SIZE (the packed op's ABI encoding).
    uint64_t max_verification_gas = 500'000;
    size_t max_op_bytes = 8192;
    // An op whose validUntil is closer than this is refused (-32503): it could expire unbundled.
    uint64_t valid_until_margin_s = 30;
    size_t max_pending_ops = 4096;
    size_t max_pool_bytes = size_t{16} << 20;
    uint64_t receipt_lookback_blocks = 10'000;
    uint256 bundle_priority_fee = 1'000'000'000;
    // ERC-7562's staking constants: what makes an entity "staked" (MIN_STAKE_VALUE is
    // chain-specific; 1 ETH as the reference bundler's default).
    uint256 min_stake_value = uint256(1'000'000'000'000'000'000);
    uint64_t min_unstake_delay_s = 86'400;
    // The EVM time of one request (validation, estimation), as eth_call's.
    std::chrono::milliseconds evm_timeout{5000};
    size_t max_override_code_bytes = 1 << 20;
};

// What an op pays outside its gas limits: the bundle transaction's base cost (a bundle of one pays
// it all), its calldata, and the EntryPoint's bookkeeping per op.
uint64_t required_pre_verification_gas(const UserOperation& op);

enum class BundlingMode : uint8_t { Auto, Manual };

// Completes an op's signature before it is validated or estimated: the node's KRNL engine appends
// an attestation for an account that routes the op's call to the KRNL validator
// (engine/account_attestation.hpp). nullopt leaves the op as it is; an error refuses it.
// `renewal`: the op is pooled with a signature the completer made, which expires soon; it makes a
// fresh one from the part the wallet signed.
using SignatureCompleter =
    std::function<Result<std::optional<bytes>>(const UserOperation& op, bool renewal)>;

struct BundleOutcome {
    std::vector<hash256> transactions;                       // handleOps sent
    std::vector<hash256> included;                           // the ops they carry
    std::vector<std::pair<hash256, rpc::RpcError>> dropped;  // ops the EntryPoint refused
};

class Bundler {
public:
    Bundler(chain::Chain& chain, EntryPointSimulator simulator, BundlerOptions options);

    // Set before the node serves requests.
    void set_signature_completer(SignatureCompleter completer) {
        completer_ = std::move(completer);
    }
    // Whether admitting an op may wait on the completer (kernels, peers), not only the EVM.
    bool completes_signatures() const { return static_cast<bool>(completer_); }

    // eth_sendUserOperation: the op's hash once it is pooled (and, in auto mode, bundled).
    Result<hash256> send(const UserOperation& op, const address& entry_point);
    // debug_bundler_addUserOps: pooled without validation (for tests).
    Result<void> add_unchecked(const UserOperation& op, const address& entry_point);
    // Validation on a snapshot of the head, as send() runs it: the EntryPoint's result and what
    // the op's validation read (for the pool's STO-040/041 and re-validation).
    struct Validated {
        ValidationResult result;
        ValidationReads reads;
        std::vector<std::pair<address, hash256>> code_hashes;
    };
    Result<Validated> validate(const UserOperation& op, EntryPointVersion version) const;

    // eth_estimateUserOperationGas, on the head with the caller's state overrides.
    Result<GasEstimate> estimate(
        const UserOperation& op, const address& entry_point,
        const std::vector<std::pair<address, chain::AccountOverride>>& overrides) const;

    // The entity's deposit and stake in the EntryPoint, read on the head.
    Result<DepositInfo> deposit_info(const address& entity, const address& entry_point) const;
    bool is_staked(const StakeInfo& stake) const;

    // Bundles what is pending: the handleOps transactions sent and the ops dropped (each with
    // the EntryPoint's reason). On an error the ops stay pending.
    Result<BundleOutcome> bundle_now();
    void set_mode(BundlingMode mode);
    BundlingMode mode() const;
    std::vector<PooledUserOp> pending(const address& entry_point) const;
    void clear_pending();

    // Reputation (debug_bundler_setReputation / dumpReputation / clearReputation).
    void set_reputation(std::span<const ReputationEntry> entries);
    std::vector<ReputationEntry> dump_reputation() const;
    void clear_reputation();

    UserOperationLookup& lookup() { return lookup_; }
    const EntryPointSimulator& simulator() const { return simulator_; }
    SimulationEnv head_env(chain::ChainReader& reader) const;
    chain::Chain& chain() { return chain_; }
    const BundlerOptions& options() const { return options_; }

private:
    // The op with its signature completed (the signature is outside the op's hash).
    Result<UserOperation> complete_signature(const UserOperation& op) const;
    Result<void> check_fields(const UserOperation& op, EntryPointVersion version) const;
    Result<void> check_result(const ValidationResult& result, const UserOperation& op) const;
    // ERC-7562's rules on the trace of a validation: -32502 naming the rule and entity, -32505
    // when stake would allow it but the entity's is too low.
    ValidationEntities entities_for(const ValidationResult& result, const UserOperation& op,
                                    EntryPointVersion version) const;
    Result<void> check_rules(const rpc::Erc7562Frame& trace,
                             const ValidationEntities& entities) const;
    // Ops the completer attested whose validUntil falls within valid_until_margin_s of
    // `timestamp` get a fresh signature from it (the kernels run again) and are validated again;
    // one it now refuses is dropped with the reason.
    void renew_expiring(const address& entry_point, uint64_t timestamp, BundleOutcome& outcome,
                        std::vector<hash256>& finished);
    // Sends one handleOps for the ops of one EntryPoint, dropping any the EntryPoint refuses in a
    // last simulation of the whole bundle.
    Result<std::optional<hash256>> bundle_entry_point(EntryPointVersion version,
                                                      BundleOutcome& outcome);
    // Adds to the pool (under mutex_) and, in manual mode, to the chain's store before the op is
    // acknowledged; forgotten once bundled or dropped.
    Result<void> admit(PooledUserOp entry, bool unchecked, const std::optional<uint256>& deposit);
    Result<void> persist(const PooledUserOp& op);
    void on_block(const chain::BlockEvent& event);
    void forget(const std::vector<hash256>& hashes);
    void restore_persisted();

    // A request's EVM work runs under the time limit (a hostile account can make validation or
    // estimation slow); -32000 with eth_call's words past it.
    template <typename F>
    auto timed(F&& work) const -> decltype(work()) {
        rpc::EvmRun run(timer_, options_.evm_timeout);
        auto result = work();
        if (run.cancellation().cancelled())
            return rpc::error(
                rpc::code::kServerError,
                "execution aborted (timeout = " + rpc::go_duration(options_.evm_timeout) + ")");
        return result;
    }

    chain::Chain& chain_;
    EntryPointSimulator simulator_;
    mutable rpc::DeadlineTimer timer_;
    BundlerOptions options_;
    UserOperationLookup lookup_;
    mutable std::mutex mutex_;  // guards pool_, reputation_ and mode_
    std::mutex bundling_;       // one bundle at a time
    Mempool pool_;
    Reputation reputation_;
    BundlingMode mode_ = BundlingMode::Auto;
    SignatureCompleter completer_;
};

}  // namespace krnl::aa
