// eth_call, eth_estimateGas, transactions in (raw and from dev or impersonated accounts), and
// signing with dev accounts.
#include "common/abi.hpp"
#include "common/eip712.hpp"
#include "common/keccak.hpp"
#include "common/rlp.hpp"
#include "common/secp256k1.hpp"
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {

// "execution reverted" plus the reason when the data is Error(string) or Panic(uint256), as geth
// words it; the data itself goes along for clients that decode custom errors.
RpcError revert_error(bytes_view output) {
    std::string message = "execution reverted";
    if (auto reason = abi::revert_reason_text(output)) message += ": " + *reason;
    return {code::kExecutionReverted, std::move(message), json(to_data(output))};
}

// geth's words for undecodable transaction bytes.
std::string raw_decode_message(const chain::DecodeError& e) {
    switch (e.code) {
        case chain::DecodeErrorCode::Rlp:
            return std::string(rlp::error_message(e.rlp));
        case chain::DecodeErrorCode::Empty:
            return "typed transaction too short";
        case chain::DecodeErrorCode::UnsupportedType:
            return "transaction type not supported";
        default:
            return "rlp: " + chain::decode_error_message(e);
    }
}

// geth's refusal of a transaction larger than the pool takes (txpool.ErrOversizedData).
std::optional<RpcError> oversized(size_t size, size_t limit) {
    if (size <= limit) return std::nullopt;
    return RpcError{code::kServerError, "oversized data: transaction size " + std::to_string(size) +
                                            ", limit " + std::to_string(limit)};
}

// Twice the next block's base fee (the one anvil_setNextBlockBaseFeePerGas set, if any).
uint256 default_fee_cap(const chain::Chain& chain, const uint256& tip) {
    return chain.next_block_base_fee() * uint256(2) + tip;
}

}  // namespace

Result<std::unique_ptr<EvmRun>> EthApi::start_evm_run() {
    return std::make_unique<EvmRun>(evm_timer_, options_.evm.timeout);
}

RpcError EthApi::evm_timeout_error(bool trace) const {
    // geth: "execution aborted (timeout = 5s)" from eth_call, "execution timeout" from tracers.
    const std::string limit = go_duration(options_.evm.timeout);
    return {code::kServerError, trace ? "execution timeout (timeout = " + limit + ")"
                                      : "execution aborted (timeout = " + limit + ")"};
}

Result<EthApi::FilledTx> EthApi::fill_transaction(const json& obj, bool require_from) {
    KRNL_RPC_TRY(request, parse_call_request(obj));
    KRNL_RPC_TRY(explicit_nonce, parse_nonce(obj));
    if (!request.from && require_from)
        return error(code::kInvalidParams, "invalid argument 0: from is required");
    FilledTx filled;
    filled.from = request.from.value_or(address{});
    filled.key = dev_account(filled.from);

    auto reader = chain_.reader();
    chain::Transaction& tx = filled.tx;
    tx.chain_id = chain_.chain_id();
    tx.nonce = explicit_nonce ? *explicit_nonce : chain_.pending_nonce(filled.from);
    tx.to = request.to;
    tx.value = request.value;
    tx.data = request.data;
    if (request.access_list) tx.access_list = *request.access_list;
    tx.authorization_list = request.authorization_list;
    std::optional<uint64_t> type;
    if (auto t = optional_field<uint64_t>(obj, "type", parse_u64); t && *t) type = **t;
    if (!tx.authorization_list.empty() || type == 4) {
        tx.type = chain::TxType::SetCode;
    } else if (request.gas_price || type == 0 || type == 1) {
        tx.type =
            request.access_list || type == 1 ? chain::TxType::AccessList : chain::TxType::Legacy;
    } else {
        tx.type = chain::TxType::DynamicFee;
    }
    if (tx.type == chain::TxType::Legacy || tx.type == chain::TxType::AccessList) {
        const uint256 price =
            request.gas_price.value_or(default_fee_cap(chain_, options_.suggested_tip));
        tx.max_fee_per_gas = tx.max_priority_fee_per_gas = price;
    } else {
        tx.max_priority_fee_per_gas = request.max_priority_fee_per_gas.value_or(
            request.max_fee_per_gas ? std::min(*request.max_fee_per_gas, options_.suggested_tip)
                                    : options_.suggested_tip);
        tx.max_fee_per_gas =
            request.max_fee_per_gas.value_or(default_fee_cap(chain_, tx.max_priority_fee_per_gas));
    }
    if (request.gas) {
        tx.gas_limit = *request.gas;
        return filled;
    }
    // Like Hardhat and anvil: the estimate, so a call that reverts is reported now.
    const uint64_t head = reader.head();
    auto view = reader.state_at(head);
    KRNL_RPC_TRY(run, start_evm_run());
    auto gas =
        chain::estimate_gas([&] { return state::State(*view); }, chain_.config().revision,
                            block_info(*reader.header(head)), request, chain_.block_gas_limit(),
                            chain_.analysis_cache(), reader.block_hashes());
    if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(false));
    if (!gas) {
        if (gas.error().reverted)
            return std::unexpected(revert_error(gas.error().reverted->output));
        return error(code::kServerError, gas.error().message);
    }
    tx.gas_limit = *gas;
    return filled;
}

Result<hash256> EthApi::send_raw_transaction(const json& params) {
    Params p(params);
    if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
    KRNL_RPC_TRY(raw, p.data(0));
    if (auto e = oversized(raw.size(), options_.evm.max_tx_bytes)) return std::unexpected(*e);
    auto tx = chain::decode_transaction(raw);
    if (!tx) return error(code::kInvalidParams, raw_decode_message(tx.error()));
    auto hash = chain_.submit(*tx);
    if (!hash) return error(code::kServerError, hash.error().message);
    return *hash;
}

Result<hash256> EthApi::send_transaction(const json& params, bool any_sender) {
    Params p(params);
    if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
    KRNL_RPC_TRY(obj, p.object(0));
    KRNL_RPC_TRY(request, parse_call_request(*obj));
    if (!request.from) return error(code::kInvalidParams, "invalid argument 0: from is required");
    if (!any_sender && !auto_impersonate_ && dev_account(*request.from) == nullptr &&
        !chain_.is_impersonated(*request.from))
        return error(code::kServerError, "unknown account " + to_hex(*request.from));
    // (The transaction itself is mined outside any time limit: only the estimate has one.)
    KRNL_RPC_TRY(filled, fill_transaction(*obj, true));
    chain::Transaction& tx = filled.tx;
    std::expected<hash256, chain::SubmitError> hash;
    if (filled.key != nullptr) {
        if (!chain::sign_transaction(tx, filled.key->secret))
            return error(code::kInternalError, "signing failed");
        if (auto e = oversized(chain::encode_transaction(tx).size(), options_.evm.max_tx_bytes))
            return std::unexpected(*e);
        hash = chain_.submit(tx);
    } else {
        // Unsigned: counted with a signature's size, as it would be sent.
        if (auto e =
                oversized(chain::encode_transaction(tx).size() + 67, options_.evm.max_tx_bytes))
            return std::unexpected(*e);
        hash = chain_.submit_as(tx, filled.from);
    }
    if (!hash) return error(code::kServerError, hash.error().message);
    return *hash;
}

void EthApi::register_send(MethodTable& m) {
    // The state, block context and request of eth_call / eth_estimateGas.
    struct CallSetup {
        chain::ChainReader reader;
        uint64_t number;
        chain::BlockInfo block;
        bool base_fee_overridden = false;
        chain::CallRequest request;
        std::vector<std::pair<address, chain::AccountOverride>> overrides;
    };
    auto setup = [this](const Params& p, bool with_block_overrides) -> Result<CallSetup> {
        // (Overrides are checked before anything runs: a caller's code is analysed and cached.)
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(request, parse_call_request(*obj));
        KRNL_RPC_TRY(ref, p.block(1));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        chain::BlockInfo block = block_info(*reader.header(number));
        std::vector<std::pair<address, chain::AccountOverride>> overrides;
        if (p.has(2)) {
            KRNL_RPC_TRY(o, parse_state_overrides(p.at(2)));
            if (auto r = check_override_code(o, options_.evm.max_override_code_bytes); !r)
                return std::unexpected(r.error());
            overrides = std::move(o);
        }
        bool base_fee_overridden = false;
        if (with_block_overrides && p.has(3)) {
            KRNL_RPC_TRY(bo, parse_block_overrides(p.at(3)));
            chain::apply_overrides(block, bo);
            base_fee_overridden = bo.base_fee.has_value();
        }
        return CallSetup{
            std::move(reader),   number, block, base_fee_overridden, std::move(request),
            std::move(overrides)};
    };

    // The EVM methods are admitted by the server (add_evm: EvmGate's bound, a short inline
    // budget on an I/O thread), so a flood of them never holds up the methods that answer
    // everything else.
    m.add_evm("eth_call", [this, setup](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(4); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(s, setup(p, true));
        KRNL_RPC_TRY(run, start_evm_run());
        auto view = s.reader.state_at(s.number);
        state::State st(*view);
        chain::apply_overrides(st, s.overrides);
        auto out = chain::simulate_call(st, chain_.config().revision, s.block, s.request,
                                        chain_.config().call_gas_cap, chain_.analysis_cache(),
                                        s.reader.block_hashes(), nullptr,
                                        /*keep_base_fee=*/s.base_fee_overridden);
        if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(false));
        if (!out) return error(code::kServerError, out.error());
        if (out->status == evm::StatusCode::Revert)
            return std::unexpected(revert_error(out->output));
        if (out->status != evm::StatusCode::Success)
            return error(code::kServerError,
                         out->status == evm::StatusCode::OutOfGas
                             ? "out of gas"
                             : "execution failed: invalid opcode or stack error");
        return to_data(out->output);
    });

    auto estimate_gas = [this, setup](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(s, setup(p, false));
        // One time limit for the whole search, not one per attempt.
        KRNL_RPC_TRY(run, start_evm_run());
        auto view = s.reader.state_at(s.number);
        auto fresh = [&] {
            state::State st(*view);
            chain::apply_overrides(st, s.overrides);
            return st;
        };
        auto gas =
            chain::estimate_gas(fresh, chain_.config().revision, s.block, s.request,
                                std::min<uint64_t>(chain_.config().call_gas_cap,
                                                   s.block.gas_limit > 0 ? s.block.gas_limit : 0),
                                chain_.analysis_cache(), s.reader.block_hashes());
        if (run->cancellation().cancelled()) return std::unexpected(evm_timeout_error(false));
        if (!gas) {
            if (gas.error().reverted)
                return std::unexpected(revert_error(gas.error().reverted->output));
            return error(code::kServerError, gas.error().message);
        }
        return to_quantity(*gas);
    };
    m.add_evm("eth_estimateGas", estimate_gas);

    m.add("eth_sendRawTransaction", [this](const json& params, CallContext&) -> Result<json> {
        KRNL_RPC_TRY(hash, send_raw_transaction(params));
        return to_hex(hash);
    });

    // Blocking as the EVM methods are: without a gas limit it runs an estimate.
    m.add_evm_writer("eth_sendTransaction",
                     [this](const json& params, CallContext&) -> Result<json> {
                         KRNL_RPC_TRY(hash, send_transaction(params));
                         return to_hex(hash);
                     });

    // Signatures by dev accounts, as 65 bytes r ‖ s ‖ v with v = 27 + parity.
    auto sign_digest = [this](const address& addr, const hash256& digest) -> Result<json> {
        const DevAccount* key = dev_account(addr);
        if (key == nullptr) return error(code::kServerError, "unknown account " + to_hex(addr));
        auto sig = secp256k1::sign(digest, key->secret);
        if (!sig) return error(code::kInternalError, "signing failed");
        bytes out(sig->r.view());
        out.append(sig->s.view());
        out.push_back(static_cast<uint8_t>(27 + sig->y_parity));
        return to_data(out);
    };
    // EIP-191 personal messages: eth_sign(address, data) and personal_sign(data, address).
    auto personal_sign = [sign_digest](const address& addr, const bytes& message) {
        return sign_digest(addr, eip712::personal_message_hash(message));
    };
    // EIP-712: the typed data as an object or as its JSON text (both are seen in the wild).
    m.add("eth_signTypedData_v4", [sign_digest](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(addr, p.address(0));
        if (!p.has(1)) return std::unexpected(Params::missing(1));
        json typed = p.at(1);
        if (typed.is_string()) {
            typed = json::parse(typed.get<std::string>(), nullptr, false);
            if (typed.is_discarded())
                return std::unexpected(Params::invalid(1, "typed data is not JSON"));
        }
        auto digest = eip712::typed_data_digest(typed);
        if (!digest) return std::unexpected(Params::invalid(1, digest.error()));
        return sign_digest(addr, *digest);
    });
    m.add("eth_sign", [personal_sign](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(addr, p.address(0));
        KRNL_RPC_TRY(data, p.data(1));
        return personal_sign(addr, data);
    });
    m.add("personal_sign", [personal_sign](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(data, p.data(0));
        KRNL_RPC_TRY(addr, p.address(1));
        return personal_sign(addr, data);
    });
}

}  // namespace krnl::rpc
