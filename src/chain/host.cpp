#include "chain/host.hpp"

#include "common/rlp.hpp"
#include "evm/limits.hpp"
#include "evm/precompiles.hpp"

namespace krnl::chain {

using evm::AccessStatus;
using evm::CallKind;
using evm::Revision;
using evm::StatusCode;
using evm::StorageStatus;

address create_address(const address& sender, uint64_t nonce) {
    bytes payload;
    rlp::encode_string(payload, sender.view());
    rlp::encode_uint(payload, nonce);
    return address::from_view(keccak256(rlp::wrap_list(payload)).view());
}

bytes delegation_designator(const address& target) {
    bytes code{0xef, 0x01, 0x00};
    code += target.view();
    return code;
}

std::optional<address> delegation_target(bytes_view code) {
    if (code.size() != kDelegationDesignatorSize || code[0] != 0xef || code[1] != 0x01 ||
        code[2] != 0x00)
        return std::nullopt;
    return address::from_view(code.substr(3));
}

address create2_address(const address& sender, const uint256& salt, bytes_view init_code) {
    uint8_t buf[1 + 20 + 32 + 32];
    buf[0] = 0xff;
    std::memcpy(buf + 1, sender.bytes, 20);
    salt.store_be(buf + 21);
    const hash256 code_hash = keccak256(init_code);
    std::memcpy(buf + 53, code_hash.bytes, 32);
    return address::from_view(keccak256({buf, sizeof(buf)}).view());
}

bool Host::account_exists(const address& addr) {
    const state::Account* acc = state_.find(addr);
    if (rev_ >= Revision::SpuriousDragon) return acc != nullptr && !acc->is_empty();
    return acc != nullptr;
}

uint256 Host::get_storage(const address& addr, const uint256& key) {
    return state_.get_storage(addr, key);
}

StorageStatus Host::set_storage(const address& addr, const uint256& key, const uint256& value) {
    const state::StorageSlot& slot = state_.slot(addr, key);
    const uint256 original = slot.original;
    const uint256 current = slot.current;
    if (current == value) return StorageStatus::Assigned;
    state_.set_storage(addr, key, value);
    if (original == current) {
        if (!original) return StorageStatus::Added;
        return !value ? StorageStatus::Deleted : StorageStatus::Modified;
    }
    // The slot is dirty: written earlier in this transaction.
    if (!!original) {
        if (!current)
            return value == original ? StorageStatus::DeletedRestored : StorageStatus::DeletedAdded;
        if (!value) return StorageStatus::ModifiedDeleted;
        if (value == original) return StorageStatus::ModifiedRestored;
        return StorageStatus::Assigned;
    }
    return !value ? StorageStatus::AddedDeleted : StorageStatus::Assigned;
}

uint256 Host::get_transient_storage(const address& addr, const uint256& key) {
    return state_.get_transient(addr, key);
}

void Host::set_transient_storage(const address& addr, const uint256& key, const uint256& value) {
    state_.set_transient(addr, key, value);
}

uint256 Host::get_balance(const address& addr) {
    const state::Account* acc = state_.find(addr);
    return acc != nullptr ? acc->balance : uint256{};
}

size_t Host::get_code_size(const address& addr) {
    const state::Account* acc = state_.find(addr);
    return acc != nullptr ? acc->code.size() : 0;
}

hash256 Host::get_code_hash(const address& addr) {
    // EIP-1052 / EIP-161: a dead account has hash zero, not the hash of empty code.
    const state::Account* acc = state_.find(addr);
    if (acc == nullptr || acc->is_empty()) return {};
    return acc->code_hash;
}

bytes_view Host::get_code(const address& addr) {
    const state::Account* acc = state_.find(addr);
    return acc != nullptr ? bytes_view{acc->code} : bytes_view{};
}

bool Host::selfdestruct(const address& addr, const address& beneficiary) {
    state::Account* acc = state_.find(addr);
    const uint256 balance = acc->balance;
    const bool first = !acc->destructed;
    // EIP-6780: only an account created in this transaction is really destroyed; otherwise the
    // balance moves and the account stays.
    const bool destroys = rev_ < Revision::Cancun || acc->just_created;
    state_.add_balance(beneficiary, {});  // the beneficiary is touched even when nothing moves
    if (beneficiary != addr) {
        state_.sub_balance(addr, balance);
        state_.add_balance(beneficiary, balance);
    } else if (destroys) {
        state_.sub_balance(addr, balance);  // destroying into itself burns the balance
    }
    if (destroys) state_.mark_destructed(addr);
    return first;
}

hash256 Host::get_block_hash(int64_t number) {
    return block_hash_ ? block_hash_(number) : hash256{};
}

void Host::emit_log(const address& addr, bytes_view data, const uint256* topics,
                    size_t num_topics) {
    Log log{addr, {}, bytes(data)};
    log.topics.reserve(num_topics);
    for (size_t i = 0; i < num_topics; ++i)
        log.topics.push_back(topics[i].to_bytes32());
    logs_.push_back(std::move(log));
}

AccessStatus Host::access_account(const address& addr) {
    return state_.warm_account(addr) ? AccessStatus::Cold : AccessStatus::Warm;
}

AccessStatus Host::access_storage(const address& addr, const uint256& key) {
    return state_.warm_slot(addr, key) ? AccessStatus::Cold : AccessStatus::Warm;
}

evm::Result Host::execute_code(const evm::Message& msg) {
    if (evm::is_precompile(msg.code_address, rev_)) {
        evm::PrecompileResult p =
            evm::run_precompile(msg.code_address, msg.input, msg.gas, rev_, tx_.chain_id.low64());
        evm::Result r;
        r.status = p.success ? StatusCode::Success : StatusCode::PrecompileFailure;
        r.gas_left = p.success ? msg.gas - p.gas_used : 0;
        if (p.success) r.output = std::move(p.output);
        return r;
    }
    const state::Account* acc = state_.find(msg.code_address);
    if (acc == nullptr || acc->code.empty()) return {StatusCode::Success, msg.gas, 0, {}, {}};
    if (rev_ >= Revision::Prague) {
        // EIP-7702: a delegated account runs its target's code, one level deep (a designator found
        // there is not followed, and a precompile target runs its empty account code). The caller
        // has charged for and warmed the target; a transaction's destination warms it for free.
        if (const auto target = delegation_target(acc->code)) {
            state_.warm_account(*target);
            acc = state_.find(*target);
            if (acc == nullptr || acc->code.empty())
                return {StatusCode::Success, msg.gas, 0, {}, {}};
        }
    }
    auto analysis = cache_.get(acc->code_hash, acc->code);
    return evm::execute(*this, rev_, msg, *analysis, tracer_);
}

evm::Result Host::call(const evm::Message& msg) {
    if (tracer_ == nullptr) return run_message(msg);
    tracer_->on_call_start(msg);
    evm::Result r = run_message(msg);
    tracer_->on_call_end(r);
    return r;
}

evm::Result Host::run_message(const evm::Message& msg) {
    if (msg.kind == CallKind::Create || msg.kind == CallKind::Create2) return create(msg);

    const auto checkpoint = state_.checkpoint();
    const size_t log_mark = logs_.size();
    if (msg.kind == CallKind::Call) {
        // A plain call moves the value and touches the recipient even when the value is zero.
        if (!!msg.value) state_.sub_balance(msg.sender, msg.value);
        state_.add_balance(msg.recipient, msg.value);
    }
    evm::Result r = execute_code(msg);
    if (r.status != StatusCode::Success) {
        state_.rollback(checkpoint);
        logs_.resize(log_mark);
        r.gas_refund = 0;
    }
    return r;
}

evm::Result Host::create(const evm::Message& msg) {
    state::Account& sender = state_.get_or_create(msg.sender);
    if (sender.nonce == UINT64_MAX) return {StatusCode::NonceOverflow, msg.gas, 0, {}, {}};
    const address addr = msg.kind == CallKind::Create
                             ? create_address(msg.sender, sender.nonce)
                             : create2_address(msg.sender, msg.create2_salt, msg.input);
    state_.bump_nonce(msg.sender);
    if (rev_ >= Revision::Berlin) state_.warm_account(addr);

    // EIP-684 and EIP-7610: an address with a nonce, code or storage cannot be created over.
    if (const state::Account* existing = state_.find(addr)) {
        // Storage in the committed base counts even where no slot of it was read yet.
        bool has_storage = existing->base_has_storage;
        for (const auto& [key, slot] : existing->storage)
            has_storage |= !!slot.current || !!slot.original;
        if (existing->nonce != 0 || !existing->code.empty() || has_storage)
            return {StatusCode::AddressCollision, 0, 0, {}, {}};
    }

    const auto checkpoint = state_.checkpoint();
    const size_t log_mark = logs_.size();
    state_.create_contract(addr);
    if (rev_ >= Revision::SpuriousDragon) state_.bump_nonce(addr);
    if (!!msg.value) state_.sub_balance(msg.sender, msg.value);
    state_.add_balance(addr, msg.value);

    evm::Message init = msg;
    init.recipient = addr;
    init.code_address = addr;
    init.input = {};
    const evm::CodeAnalysis analysis(msg.input);
    evm::Result r = evm::execute(*this, rev_, init, analysis, tracer_);

    if (r.status == StatusCode::Success) {
        const size_t size = r.output.size();
        const int64_t deposit_cost = 200 * static_cast<int64_t>(size);
        if (rev_ >= Revision::SpuriousDragon && size > evm::kMaxCodeSize)
            r = {StatusCode::ContractValidationFailure, 0, 0, {}, {}};
        else if (rev_ >= Revision::London && size > 0 && r.output[0] == 0xef)
            r = {StatusCode::ContractValidationFailure, 0, 0, {}, {}};
        else if (r.gas_left < deposit_cost)
            r = rev_ >= Revision::Homestead
                    ? evm::Result{StatusCode::OutOfGas, 0, 0, {}, {}}
                    : evm::Result{StatusCode::Success, r.gas_left, r.gas_refund, {}, {}};
        else {
            r.gas_left -= deposit_cost;
            state_.set_code(addr, std::move(r.output));
            r.output.clear();
        }
        r.create_address = addr;
    }
    if (r.status != StatusCode::Success) {
        state_.rollback(checkpoint);
        logs_.resize(log_mark);
        r.gas_refund = 0;
    }
    return r;
}

}  // namespace krnl::chain
