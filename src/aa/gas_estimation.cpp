#include "aa/gas_estimation.hpp"

#include <algorithm>
#include <cstring>

#include "aa/bundler.hpp"
#include "common/abi.hpp"

namespace krnl::aa {
namespace {

// The EntryPoint's calls into the op's entities, with the gas each used.
class EntityGasTracer : public evm::Tracer {
public:
    EntityGasTracer(const address& entry_point, const UserOperation& op)
        : entry_point_(entry_point), op_(op) {}

    void on_call_start(const evm::Message& msg) override {
        Frame f;
        f.from_entry_point = msg.sender == entry_point_;
        f.recipient = msg.recipient;
        f.gas = msg.gas;
        if (msg.input.size() >= 4) std::memcpy(f.selector, msg.input.data(), 4);
        f.is_call_data = msg.input == bytes_view(op_.call_data);
        stack_.push_back(f);
    }

    void on_call_end(const evm::Result& result) override {
        if (stack_.empty()) return;
        const Frame f = stack_.back();
        stack_.pop_back();
        if (!f.from_entry_point) return;
        const uint64_t used = static_cast<uint64_t>(std::max<int64_t>(0, f.gas - result.gas_left));
        const auto is = [&](uint32_t selector) {
            const uint8_t want[4] = {uint8_t(selector >> 24), uint8_t(selector >> 16),
                                     uint8_t(selector >> 8), uint8_t(selector)};
            return std::memcmp(f.selector, want, 4) == 0;
        };
        if (f.recipient == op_.sender && is(0x19822f7c)) {  // validateUserOp
            account_validation += used;
        } else if (op_.paymaster && f.recipient == *op_.paymaster && is(0x52b7512c)) {
            paymaster_validation += used;  // validatePaymasterUserOp
        } else if (op_.paymaster && f.recipient == *op_.paymaster && is(0x7c627b21)) {
            post_op += used;  // postOp
        } else if (f.recipient == op_.sender && (f.is_call_data || is(0x8dd7712f))) {
            execution = used;         // the op's call (or executeUserOp)
        } else if (is(0x570e1a36)) {  // SenderCreator.createSender
            creation += used;
        }
    }

    uint64_t creation = 0;
    uint64_t account_validation = 0;
    uint64_t paymaster_validation = 0;
    uint64_t execution = 0;
    uint64_t post_op = 0;

private:
    struct Frame {
        bool from_entry_point = false;
        address recipient;
        int64_t gas = 0;
        uint8_t selector[4]{};
        bool is_call_data = false;
    };
    address entry_point_;
    const UserOperation& op_;
    std::vector<Frame> stack_;
};

// Room for the 63/64 rule of calls the measured call made, plus a fixed margin.
uint64_t with_margin(uint64_t used) {
    return used + used / 63 + used / 10 + 10'000;
}

struct RunResult {
    ExecutionResult result;
    std::optional<UserOperationEvent> event;
    std::optional<bytes> revert_reason;
};

Result<RunResult> run_once(const EntryPointSimulator& simulator,
                           const std::function<state::State()>& fresh_state,
                           const SimulationEnv& env, const UserOperation& op,
                           EntryPointVersion version, evm::Tracer* tracer) {
    state::State st = fresh_state();
    std::vector<chain::Log> logs;
    KRNL_RPC_TRY(result, simulator.execute(st, env, op, version, tracer, &logs));
    RunResult out{std::move(result), std::nullopt, std::nullopt};
    const address entry_point = entry_point_address(version);
    for (const chain::Log& log : logs) {
        if (log.addr != entry_point || log.topics.empty()) continue;
        if (auto e = decode_user_operation_event(log.topics, log.data)) out.event = e;
        if (log.topics[0] == kUserOperationRevertReasonTopic)
            out.revert_reason = decode_revert_reason_event(log.data);
    }
    return out;
}

// EIP-7623 (Prague on): a bundle's calldata costs at least 10 gas per token, whatever it
// executes. The op's share beyond its own execution falls to preVerificationGas; a bundle of one
// carries all of handleOps' calldata (selector, offsets, beneficiary) besides the op.
uint64_t floor_pre_verification_gas(const UserOperation& op, uint64_t execution_gas) {
    // The beneficiary's bytes counted as non-zero, as a real one's are.
    address beneficiary;
    std::fill(std::begin(beneficiary.bytes), std::end(beneficiary.bytes), 0xff);
    const bytes call_data = encode_handle_ops({*pack(op)}, beneficiary);
    uint64_t tokens = 0;
    for (uint8_t b : call_data)
        tokens += b == 0 ? 1 : 4;
    const uint64_t floor = 21'000 + 10 * tokens;
    return floor > execution_gas ? floor - execution_gas : 0;
}

}  // namespace

json gas_estimate_json(const GasEstimate& e) {
    json out = {{"preVerificationGas", rpc::to_quantity(e.pre_verification_gas)},
                {"verificationGasLimit", rpc::to_quantity(e.verification_gas_limit)},
                {"callGasLimit", rpc::to_quantity(e.call_gas_limit)},
                {"paymasterVerificationGasLimit", nullptr},
                {"paymasterPostOpGasLimit", nullptr}};
    if (e.paymaster_verification_gas_limit)
        out["paymasterVerificationGasLimit"] =
            rpc::to_quantity(*e.paymaster_verification_gas_limit);
    if (e.paymaster_post_op_gas_limit)
        out["paymasterPostOpGasLimit"] = rpc::to_quantity(*e.paymaster_post_op_gas_limit);
    return out;
}

Result<GasEstimate> estimate_user_operation_gas(const EntryPointSimulator& simulator,
                                                const std::function<state::State()>& fresh_state,
                                                const SimulationEnv& env, UserOperation op,
                                                EntryPointVersion version,
                                                const EstimationLimits& limits) {
    const UserOperation original = op;
    // Fees of at least 1 wei, so the run pays its prefund (a transfer and the deposit's storage
    // write count against verificationGasLimit); an account without the funds for that (one not
    // yet funded, or estimated before it is) is lent them by the state the runs start from.
    if (!op.max_fee_per_gas) op.max_fee_per_gas = 1;
    if (!op.max_priority_fee_per_gas) op.max_priority_fee_per_gas = 1;
    const uint64_t block_gas = static_cast<uint64_t>(std::max<int64_t>(env.block.gas_limit, 0));
    const uint64_t generous_call =
        std::min<uint64_t>(limits.max_call_gas, block_gas > 2'000'000 ? block_gas / 2 : block_gas);
    op.verification_gas_limit = limits.max_verification_gas;
    op.call_gas_limit = generous_call;
    if (op.paymaster) {
        op.paymaster_verification_gas_limit = limits.max_verification_gas;
        op.paymaster_post_op_gas_limit = limits.max_verification_gas;
    }
    op.pre_verification_gas = required_pre_verification_gas(op);

    const uint256 prefund_cover = uint256(limits.max_verification_gas) * 3 * op.max_fee_per_gas +
                                  uint256(generous_call) * op.max_fee_per_gas +
                                  op.pre_verification_gas * op.max_fee_per_gas;
    const std::function<state::State()> funded_state = [&] {
        state::State st = fresh_state();
        if (!op.paymaster) st.add_balance(op.sender, prefund_cover);
        return st;
    };

    EntityGasTracer tracer(entry_point_address(version), op);
    KRNL_RPC_TRY(first, run_once(simulator, funded_state, env, op, version, &tracer));
    if (first.event && !first.event->success) {
        const bytes reason = first.revert_reason.value_or(bytes{});
        std::string message = "the op's call reverts";
        if (auto text = abi::revert_reason_text(reason)) message += ": " + *text;
        return rpc::error(code::kExecutionReverted, message, json(rpc::to_data(reason)));
    }

    // Validation: the EntryPoint's own work between its gas checks counts against
    // verificationGasLimit too, so it is measured as preOpGas less the paymaster's part.
    const uint64_t pre_op = first.result.pre_op_gas > uint256(op.pre_verification_gas)
                                ? (first.result.pre_op_gas - op.pre_verification_gas).w[0]
                                : 0;
    const uint64_t verification_used =
        pre_op > tracer.paymaster_validation ? pre_op - tracer.paymaster_validation : pre_op;
    GasEstimate e;
    e.verification_gas_limit = with_margin(verification_used);
    e.call_gas_limit = with_margin(tracer.execution);
    if (op.paymaster) {
        e.paymaster_verification_gas_limit = with_margin(tracer.paymaster_validation);
        e.paymaster_post_op_gas_limit = with_margin(tracer.post_op);
    }

    // Check the limits by running with them, raising any the EntryPoint or the call ran out of.
    for (int attempt = 0; attempt < 8; ++attempt) {
        UserOperation trial = op;
        trial.verification_gas_limit = e.verification_gas_limit;
        trial.call_gas_limit = e.call_gas_limit;
        if (op.paymaster) {
            trial.paymaster_verification_gas_limit = *e.paymaster_verification_gas_limit;
            trial.paymaster_post_op_gas_limit = *e.paymaster_post_op_gas_limit;
        }
        auto run = run_once(simulator, funded_state, env, trial, version, nullptr);
        if (run && run->event && run->event->success) {
            op = trial;
            break;
        }
        const std::string reason = run ? "" : run.error().message;
        const auto raise = [](uint256& v) { v = v + v / 2; };
        if (reason.starts_with("AA26") || reason.starts_with("AA13") ||
            reason.starts_with("AA23")) {
            raise(e.verification_gas_limit);
        } else if (reason.starts_with("AA36") || reason.starts_with("AA33")) {
            raise(*e.paymaster_verification_gas_limit);
        } else if (!run) {
            return std::unexpected(run.error());
        } else {
            raise(e.call_gas_limit);
            if (op.paymaster) raise(*e.paymaster_post_op_gas_limit);
        }
        if (attempt == 7)
            return rpc::error(rpc::code::kServerError,
                              "could not find gas limits with which the op succeeds");
    }

    // preVerificationGas of the op as it will be sent: the limits found, its fees (or any fee up to
    // 2^64-1 when it names none yet), and its signature's bytes all counted as non-zero (the
    // estimate runs with a stub signature; the real one has as many bytes, few of them zero).
    UserOperation sent = original;
    sent.verification_gas_limit = e.verification_gas_limit;
    sent.call_gas_limit = e.call_gas_limit;
    if (op.paymaster) {
        sent.paymaster_verification_gas_limit = *e.paymaster_verification_gas_limit;
        sent.paymaster_post_op_gas_limit = *e.paymaster_post_op_gas_limit;
    }
    if (!sent.max_fee_per_gas) sent.max_fee_per_gas = ~uint64_t{0};
    if (!sent.max_priority_fee_per_gas) sent.max_priority_fee_per_gas = ~uint64_t{0};
    sent.signature = bytes(sent.signature.size(), 0xff);
    sent.pre_verification_gas = required_pre_verification_gas(sent);
    const uint64_t standard = required_pre_verification_gas(sent);
    const uint64_t floor =
        env.rev >= evm::Revision::Prague
            ? floor_pre_verification_gas(sent, verification_used + tracer.execution)
            : 0;
    e.pre_verification_gas = std::max(standard, floor);
    return e;
}

}  // namespace krnl::aa
