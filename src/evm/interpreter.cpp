#include "evm/interpreter.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "common/keccak.hpp"
#include "evm/cancellation.hpp"
#include "evm/instructions.hpp"
#include "evm/limits.hpp"

namespace krnl::evm {
namespace {

// Offsets and sizes above this cannot be paid for with any int64 gas; treat them as out of gas.
constexpr uint64_t kMaxMemory = std::numeric_limits<uint32_t>::max();

constexpr int64_t num_words(uint64_t size) {
    return static_cast<int64_t>((size + 31) / 32);
}

inline address to_address(const uint256& v) {
    uint8_t buf[32];
    v.store_be(buf);
    address a;
    std::memcpy(a.bytes, buf + 12, 20);
    return a;
}

inline uint256 to_uint256(const address& a) {
    return uint256::from_be(a.view());
}
inline uint256 to_uint256(const hash256& h) {
    return uint256::load_be(h.bytes);
}

// Linear memory grown by doubling its allocation; the used size is always a multiple of 32.
class Memory {
public:
    Memory() = default;
    Memory(const Memory&) = delete;
    Memory& operator=(const Memory&) = delete;
    ~Memory() { std::free(data_); }

    uint8_t* data() { return data_; }
    size_t size() const { return size_; }

    void grow(size_t new_size) {
        if (new_size > capacity_) {
            size_t cap = std::max<size_t>({new_size, capacity_ * 2, 4096});
            auto* p = static_cast<uint8_t*>(std::realloc(data_, cap));
            if (p == nullptr) std::abort();  // allocation bounded by gas; failure is fatal
            data_ = p;
            capacity_ = cap;
        }
        std::memset(data_ + size_, 0, new_size - size_);
        size_ = new_size;
    }

private:
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};

// The 1024-item stack of one frame, in raw storage reused across the frames of a thread (every
// slot is written before it is read). Each block is aligned to its own power-of-two size, so the
// stack height is read off the top pointer's low bits and the loop spends no register on the base.
constexpr uintptr_t kStackBlockSize = 65536;
static_assert((kStackLimit + 1) * 32 <= kStackBlockSize);

class StackSpace {
public:
    StackSpace() {
        if (!free_list().empty()) {
            block_ = std::move(free_list().back());
            free_list().pop_back();
        } else {
            block_.reset(std::aligned_alloc(kStackBlockSize, kStackBlockSize));
            if (!block_) std::abort();
        }
    }
    ~StackSpace() { free_list().push_back(std::move(block_)); }
    StackSpace(const StackSpace&) = delete;
    StackSpace& operator=(const StackSpace&) = delete;

    // The block start is the top pointer's "empty" position; items live in the slots above it.
    uint256* empty_position() { return static_cast<uint256*>(block_.get()); }

    static int64_t height(const uint256* top) {
        return static_cast<int64_t>((reinterpret_cast<uintptr_t>(top) & (kStackBlockSize - 1)) /
                                    32);
    }
    static const uint256* bottom(const uint256* top) {
        return reinterpret_cast<const uint256*>(reinterpret_cast<uintptr_t>(top) &
                                                ~(kStackBlockSize - 1)) +
               1;
    }

private:
    struct Free {
        void operator()(void* p) const { std::free(p); }
    };
    using Owned = std::unique_ptr<void, Free>;
    static std::vector<Owned>& free_list() {
        static thread_local std::vector<Owned> list;
        return list;
    }
    Owned block_;
};

// Everything an out-of-line instruction needs besides the stack and gas registers.
struct Frame {
    Host& host;
    const Revision rev;
    const Message& msg;
    const CodeAnalysis& code;
    Memory memory;
    bytes return_data;
    int64_t gas_refund = 0;
    size_t output_offset = 0;
    size_t output_size = 0;
    Tracer* tracer = nullptr;
    uint256* stack_empty = nullptr;           // the "empty" position of a StackSpace block
    const std::atomic<bool>* stop = nullptr;  // raised to abandon the execution (cancellation.hpp)

    const TxContext& tx() { return host.tx_context(); }
};

// What the dispatch loop hands back, small enough to travel in registers; the output stays in
// the frame's memory.
struct LoopResult {
    StatusCode status;
    int64_t gas_left;
};

// Charges memory expansion to cover [offset, offset + size); false when out of gas.
[[gnu::always_inline]] inline bool grow_memory(int64_t& gas, Memory& memory, uint64_t end) {
    const int64_t new_words = num_words(end);
    const int64_t old_words = static_cast<int64_t>(memory.size() / 32);
    // C(w) = 3w + floor(w^2 / 512); each square is rounded down on its own.
    const int64_t cost =
        3 * (new_words - old_words) + new_words * new_words / 512 - old_words * old_words / 512;
    if ((gas -= cost) < 0) return false;
    memory.grow(static_cast<size_t>(new_words) * 32);
    return true;
}

[[gnu::always_inline]] inline bool check_memory(int64_t& gas, Memory& memory, const uint256& offset,
                                                uint64_t size) {
    if (!offset.fits_u64() || offset.low64() > kMaxMemory) return false;
    const uint64_t end = offset.low64() + size;
    if (end > memory.size()) return grow_memory(gas, memory, end);
    return true;
}

// For a (offset, size) pair from the stack: size zero touches no memory whatever the offset.
[[gnu::always_inline]] inline bool check_memory(int64_t& gas, Memory& memory, const uint256& offset,
                                                const uint256& size) {
    if (!size) return true;
    if (!size.fits_u64() || size.low64() > kMaxMemory) return false;
    return check_memory(gas, memory, offset, size.low64());
}

// The N immediate bytes of a PUSH as a number, assembled limb by limb at compile-time sizes
// (a byte-wise copy into a buffer and a reload would stall on store forwarding).
template <size_t N>
[[gnu::always_inline]] inline uint256 load_push(const uint8_t* p) {
    // Limbs are built in registers and stored whole: assembling them in memory and reloading
    // the 32 bytes stalls on store forwarding.
    uint64_t w[4] = {0, 0, 0, 0};
    constexpr size_t full = N / 8, partial = N % 8;
    if constexpr (partial != 0) {
        uint64_t v = 0;
        for (size_t i = 0; i < partial; ++i)
            v = v << 8 | p[i];
        w[full] = v;
        p += partial;
    }
    for (size_t k = full; k-- > 0; p += 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        w[k] = __builtin_bswap64(v);
    }
    return uint256{w[0], w[1], w[2], w[3]};
}

// Stack items are copied limb by limb. Results are written with four 8-byte stores, and a
// 16-byte vector load of such an item right after (what a plain struct copy compiles to) cannot
// take its data from the store buffer and stalls.
[[gnu::always_inline]] inline void copy_item(uint256& dst, const uint256& src) {
    const uint64_t w0 = src.w[0], w1 = src.w[1], w2 = src.w[2], w3 = src.w[3];
    dst.w[0] = w0;
    dst.w[1] = w1;
    dst.w[2] = w2;
    dst.w[3] = w3;
}

[[gnu::always_inline]] inline void swap_items(uint256& a, uint256& b) {
    const uint64_t a0 = a.w[0], a1 = a.w[1], a2 = a.w[2], a3 = a.w[3];
    copy_item(a, b);
    b.w[0] = a0;
    b.w[1] = a1;
    b.w[2] = a2;
    b.w[3] = a3;
}

// Copies src[offset .. offset + size) into dst, zero-filling what lies beyond src.
inline void copy_padded(uint8_t* dst, bytes_view src, const uint256& offset, size_t size) {
    const size_t start = offset.fits_u64()
                             ? static_cast<size_t>(std::min<uint64_t>(offset.low64(), src.size()))
                             : src.size();
    const size_t n = std::min(size, src.size() - start);
    if (n != 0) std::memcpy(dst, src.data() + start, n);
    if (size > n) std::memset(dst + n, 0, size - n);
}

// The shared part of the *COPY instructions: memory expansion and the 3-per-word copy cost.
[[gnu::always_inline]] inline bool charge_copy(Frame& f, int64_t& gas, const uint256& mem_offset,
                                               const uint256& size) {
    if (!check_memory(gas, f.memory, mem_offset, size)) return false;
    return (gas -= 3 * num_words(size.low64())) >= 0;
}

// EIP-2929: the constant part of an account-touching instruction is the warm cost; a cold account
// costs 2500 more.
[[gnu::always_inline]] inline bool charge_account_access(Frame& f, int64_t& gas,
                                                         const address& addr) {
    if (f.rev >= Revision::Berlin && f.host.access_account(addr) == AccessStatus::Cold)
        return (gas -= 2500) >= 0;
    return true;
}

// EIP-7702: calling an account whose code is a delegation designator (0xef0100 || target) also
// accesses the target: 2600 when cold, 100 when warm.
bool charge_delegation_access(Frame& f, int64_t& gas, const address& addr) {
    const bytes_view code = f.host.get_code(addr);
    if (code.size() != 23 || code[0] != 0xef || code[1] != 0x01 || code[2] != 0x00) return true;
    const address target = address::from_view(code.substr(3));
    return (gas -= f.host.access_account(target) == AccessStatus::Cold ? 2600 : 100) >= 0;
}

// Out-of-line instructions take gas by value and hand it back, so the loop keeps it in a register.
struct Step {
    StatusCode status;
    int64_t gas;
};

Step op_sstore(Frame& f, uint256* sp, int64_t gas) {
    if (f.msg.is_static) return {StatusCode::StaticModeViolation, gas};
    // EIP-2200: SSTORE needs more than the call stipend left, so a stipend can never write.
    if (f.rev >= Revision::Istanbul && gas <= 2300) return {StatusCode::OutOfGas, gas};
    const uint256& key = sp[0];
    const uint256& value = sp[-1];
    int64_t cost = 0;
    if (f.rev >= Revision::Berlin &&
        f.host.access_storage(f.msg.recipient, key) == AccessStatus::Cold)
        cost += 2100;
    const StorageStatus status = f.host.set_storage(f.msg.recipient, key, value);

    if (f.rev >= Revision::Istanbul) {
        const int64_t warm_read = f.rev >= Revision::Berlin ? 100 : 800;
        const int64_t set = 20000;
        const int64_t reset = f.rev >= Revision::Berlin ? 5000 - 2100 : 5000;
        const int64_t clear_refund = f.rev >= Revision::London ? 4800 : 15000;
        switch (status) {
            case StorageStatus::Added:
                cost += set;
                break;
            case StorageStatus::Modified:
                cost += reset;
                break;
            case StorageStatus::Deleted:
                cost += reset;
                f.gas_refund += clear_refund;
                break;
            case StorageStatus::Assigned:
                cost += warm_read;
                break;
            case StorageStatus::DeletedAdded:
                cost += warm_read;
                f.gas_refund -= clear_refund;
                break;
            case StorageStatus::ModifiedDeleted:
                cost += warm_read;
                f.gas_refund += clear_refund;
                break;
            case StorageStatus::DeletedRestored:
                cost += warm_read;
                f.gas_refund += reset - warm_read - clear_refund;
                break;
            case StorageStatus::AddedDeleted:
                cost += warm_read;
                f.gas_refund += set - warm_read;
                break;
            case StorageStatus::ModifiedRestored:
                cost += warm_read;
                f.gas_refund += reset - warm_read;
                break;
        }
    } else {
        // Pre-Istanbul (Petersburg rules): a plain set/reset/clear schedule.
        const bool was_zero = status == StorageStatus::Added;
        cost += was_zero ? 20000 : 5000;
        if (status == StorageStatus::Deleted || status == StorageStatus::ModifiedDeleted)
            f.gas_refund += 15000;
    }
    gas -= cost;
    return {gas < 0 ? StatusCode::OutOfGas : StatusCode::Success, gas};
}

Step op_log(Frame& f, uint256* sp, int64_t gas, int num_topics) {
    if (f.msg.is_static) return {StatusCode::StaticModeViolation, gas};
    const uint256& offset = sp[0];
    const uint256& size = sp[-1];
    if (!check_memory(gas, f.memory, offset, size)) return {StatusCode::OutOfGas, gas};
    if ((gas -= 8 * static_cast<int64_t>(size.low64())) < 0) return {StatusCode::OutOfGas, gas};
    uint256 topics[4];
    for (int i = 0; i < num_topics; ++i)
        topics[i] = sp[-2 - i];
    const size_t n = size.low64();
    bytes_view data = n != 0 ? bytes_view{f.memory.data() + offset.low64(), n} : bytes_view{};
    f.host.emit_log(f.msg.recipient, data, topics, static_cast<size_t>(num_topics));
    return {StatusCode::Success, gas};
}

// CALL, CALLCODE, DELEGATECALL, STATICCALL. Argument order on the stack (top first):
// gas, address, [value], in_offset, in_size, out_offset, out_size. The result replaces the last.
Step op_call(Frame& f, uint256* sp, int64_t gas, Opcode op) {
    const bool has_value_arg = op == OP_CALL || op == OP_CALLCODE;
    const uint256& gas_arg = sp[0];
    const address dst = to_address(sp[-1]);
    const uint256 value = has_value_arg ? sp[-2] : uint256{};
    const int a = has_value_arg ? 3 : 2;
    const uint256 in_offset = sp[-a], in_size = sp[-a - 1];
    const uint256 out_offset = sp[-a - 2], out_size = sp[-a - 3];
    uint256& result = sp[-a - 3];
    result = 0;

    const bool has_value = !!value;
    if (op == OP_CALL && has_value && f.msg.is_static)
        return {StatusCode::StaticModeViolation, gas};
    if (!charge_account_access(f, gas, dst)) return {StatusCode::OutOfGas, gas};
    if (f.rev >= Revision::Prague && !charge_delegation_access(f, gas, dst))
        return {StatusCode::OutOfGas, gas};
    if (!check_memory(gas, f.memory, in_offset, in_size)) return {StatusCode::OutOfGas, gas};
    if (!check_memory(gas, f.memory, out_offset, out_size)) return {StatusCode::OutOfGas, gas};

    Message msg;
    msg.depth = f.msg.depth + 1;
    msg.is_static = f.msg.is_static || op == OP_STATICCALL;
    msg.code_address = dst;
    switch (op) {
        case OP_CALL:
        case OP_STATICCALL:
            msg.kind = CallKind::Call;
            msg.recipient = dst;
            msg.sender = f.msg.recipient;
            msg.value = value;
            break;
        case OP_CALLCODE:
            msg.kind = CallKind::CallCode;
            msg.recipient = f.msg.recipient;
            msg.sender = f.msg.recipient;
            msg.value = value;
            break;
        default:  // DELEGATECALL keeps the caller's sender and value
            msg.kind = CallKind::DelegateCall;
            msg.recipient = f.msg.recipient;
            msg.sender = f.msg.sender;
            msg.value = f.msg.value;
            break;
    }
    if (in_size) msg.input = {f.memory.data() + in_offset.low64(), in_size.low64()};

    int64_t cost = has_value ? 9000 : 0;
    if (op == OP_CALL && has_value && !f.host.account_exists(dst)) cost += 25000;
    if (op == OP_CALL && !has_value && f.rev < Revision::SpuriousDragon &&
        !f.host.account_exists(dst))
        cost += 25000;
    if ((gas -= cost) < 0) return {StatusCode::OutOfGas, gas};

    // EIP-150: the callee gets at most all but one 64th of what is left.
    int64_t callee_gas = gas_arg.fits_u64() && gas_arg.low64() <= uint64_t(INT64_MAX)
                             ? static_cast<int64_t>(gas_arg.low64())
                             : INT64_MAX;
    if (f.rev >= Revision::TangerineWhistle)
        callee_gas = std::min(callee_gas, gas - gas / 64);
    else if (callee_gas > gas)
        return {StatusCode::OutOfGas, gas};
    msg.gas = callee_gas;
    gas -= callee_gas;
    if (has_value) msg.gas += 2300;  // the stipend is free to the caller

    f.return_data.clear();
    if (f.msg.depth >= kCallDepthLimit ||
        (has_value && f.host.get_balance(f.msg.recipient) < value)) {
        gas += msg.gas;  // the call never started: all its gas, stipend included, comes back
        return {StatusCode::Success, gas};
    }

    Result r = f.host.call(msg);
    f.return_data = std::move(r.output);
    result = r.status == StatusCode::Success ? 1 : 0;
    if (const size_t n = std::min<size_t>(out_size.low64(), f.return_data.size()); n != 0)
        std::memcpy(f.memory.data() + out_offset.low64(), f.return_data.data(), n);
    gas += r.gas_left;
    f.gas_refund += r.gas_refund;
    return {StatusCode::Success, gas};
}

// CREATE and CREATE2: value, offset, size, [salt]; the new address (or 0) replaces the last.
Step op_create(Frame& f, uint256* sp, int64_t gas, Opcode op) {
    if (f.msg.is_static) return {StatusCode::StaticModeViolation, gas};
    const uint256 value = sp[0], offset = sp[-1], size = sp[-2];
    const uint256 salt = op == OP_CREATE2 ? sp[-3] : uint256{};
    uint256& result = op == OP_CREATE2 ? sp[-3] : sp[-2];
    result = 0;

    if (!check_memory(gas, f.memory, offset, size)) return {StatusCode::OutOfGas, gas};
    const uint64_t init_size = size.low64();
    if (f.rev >= Revision::Shanghai) {
        if (init_size > kMaxInitcodeSize) return {StatusCode::OutOfGas, gas};
        if ((gas -= 2 * num_words(init_size)) < 0) return {StatusCode::OutOfGas, gas};
    }
    if (op == OP_CREATE2 && (gas -= 6 * num_words(init_size)) < 0)
        return {StatusCode::OutOfGas, gas};

    f.return_data.clear();
    if (f.msg.depth >= kCallDepthLimit || f.host.get_balance(f.msg.recipient) < value)
        return {StatusCode::Success, gas};

    Message msg;
    msg.kind = op == OP_CREATE2 ? CallKind::Create2 : CallKind::Create;
    msg.depth = f.msg.depth + 1;
    msg.sender = f.msg.recipient;
    msg.value = value;
    msg.create2_salt = salt;
    if (init_size != 0) msg.input = {f.memory.data() + offset.low64(), init_size};
    msg.gas = f.rev >= Revision::TangerineWhistle ? gas - gas / 64 : gas;
    gas -= msg.gas;

    Result r = f.host.call(msg);
    gas += r.gas_left;
    f.gas_refund += r.gas_refund;
    if (r.status == StatusCode::Success)
        result = to_uint256(r.create_address);
    else if (r.status == StatusCode::Revert)
        f.return_data = std::move(r.output);
    return {StatusCode::Success, gas};
}

Step op_selfdestruct(Frame& f, uint256* sp, int64_t gas) {
    if (f.msg.is_static) return {StatusCode::StaticModeViolation, gas};
    const address beneficiary = to_address(sp[0]);
    if (f.rev >= Revision::Berlin && f.host.access_account(beneficiary) == AccessStatus::Cold &&
        (gas -= 2600) < 0)
        return {StatusCode::OutOfGas, gas};
    if (f.rev >= Revision::TangerineWhistle) {
        const bool charge_new =
            f.rev >= Revision::SpuriousDragon ? !!f.host.get_balance(f.msg.recipient) : true;
        if (charge_new && !f.host.account_exists(beneficiary) && (gas -= 25000) < 0)
            return {StatusCode::OutOfGas, gas};
    }
    if (f.host.selfdestruct(f.msg.recipient, beneficiary) && f.rev < Revision::London)
        f.gas_refund += 24000;
    return {StatusCode::Success, gas};
}

Step op_extcodecopy(Frame& f, uint256* sp, int64_t gas) {
    const address addr = to_address(sp[0]);
    const uint256 mem_offset = sp[-1], code_offset = sp[-2], size = sp[-3];
    if (!charge_copy(f, gas, mem_offset, size)) return {StatusCode::OutOfGas, gas};
    if (!charge_account_access(f, gas, addr)) return {StatusCode::OutOfGas, gas};
    if (size)
        copy_padded(f.memory.data() + mem_offset.low64(), f.host.get_code(addr), code_offset,
                    size.low64());
    return {StatusCode::Success, gas};
}

inline constexpr int16_t kCostVaries = -2;

// The constant gas of `op` when it is known at compile time: the revision's cost if the revision
// is fixed, otherwise the cost shared by all revisions. kCostVaries sends the instruction to the
// table at run time (which also catches opcodes a revision lacks).
template <int kRev>
constexpr int16_t constant_cost(int op) {
    if constexpr (kRev >= 0) {
        return kGasTables[kRev][op];
    } else {
        for (const GasTable& table : kGasTables)
            if (table[op] != kGasTables[0][op]) return kCostVaries;
        return kGasTables[0][op];
    }
}

// kRev >= 0 fixes the revision at compile time (the gas table becomes a constant address and the
// revision checks fold away); -1 reads it at run time.
//
// The loop takes only the frame, so that its registers go to pc, the stack top, gas and the
// dispatch table rather than to arguments it rarely reads.
template <bool kTraced, int kRev>
[[gnu::noinline]] LoopResult run(Frame& f) {
    const Revision rev = kRev >= 0 ? static_cast<Revision>(kRev) : f.rev;
    // Frame fields are read through `f` rather than cached in locals: the loop has registers
    // for pc, the stack top and gas only if nothing else claims them.
    Tracer* const tracer = f.tracer;

    const GasTable& costs = gas_table(rev);

    uint256* sp = f.stack_empty;
    const uint8_t* pc = f.code.padded_code();
    int64_t gas = f.msg.gas;
    StatusCode status = StatusCode::Success;

    // Indexed by opcode; generated from the Opcode enum.
    static const void* const labels[256] = {
        &&op_STOP,
        &&op_ADD,
        &&op_MUL,
        &&op_SUB,  // 0x00
        &&op_DIV,
        &&op_SDIV,
        &&op_MOD,
        &&op_SMOD,  // 0x04
        &&op_ADDMOD,
        &&op_MULMOD,
        &&op_EXP,
        &&op_SIGNEXTEND,  // 0x08
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0x0c
        &&op_LT,
        &&op_GT,
        &&op_SLT,
        &&op_SGT,  // 0x10
        &&op_EQ,
        &&op_ISZERO,
        &&op_AND,
        &&op_OR,  // 0x14
        &&op_XOR,
        &&op_NOT,
        &&op_BYTE,
        &&op_SHL,  // 0x18
        &&op_SHR,
        &&op_SAR,
        &&op_CLZ,
        &&undefined,  // 0x1c
        &&op_KECCAK256,
        &&undefined,
        &&undefined,
        &&undefined,  // 0x20
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0x24
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0x28
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0x2c
        &&op_ADDRESS,
        &&op_BALANCE,
        &&op_ORIGIN,
        &&op_CALLER,  // 0x30
        &&op_CALLVALUE,
        &&op_CALLDATALOAD,
        &&op_CALLDATASIZE,
        &&op_CALLDATACOPY,  // 0x34
        &&op_CODESIZE,
        &&op_CODECOPY,
        &&op_GASPRICE,
        &&op_EXTCODESIZE,  // 0x38
        &&op_EXTCODECOPY,
        &&op_RETURNDATASIZE,
        &&op_RETURNDATACOPY,
        &&op_EXTCODEHASH,  // 0x3c
        &&op_BLOCKHASH,
        &&op_COINBASE,
        &&op_TIMESTAMP,
        &&op_NUMBER,  // 0x40
        &&op_PREVRANDAO,
        &&op_GASLIMIT,
        &&op_CHAINID,
        &&op_SELFBALANCE,  // 0x44
        &&op_BASEFEE,
        &&op_BLOBHASH,
        &&op_BLOBBASEFEE,
        &&undefined,  // 0x48
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0x4c
        &&op_POP,
        &&op_MLOAD,
        &&op_MSTORE,
        &&op_MSTORE8,  // 0x50
        &&op_SLOAD,
        &&op_SSTORE,
        &&op_JUMP,
        &&op_JUMPI,  // 0x54
        &&op_PC,
        &&op_MSIZE,
        &&op_GAS,
        &&op_JUMPDEST,  // 0x58
        &&op_TLOAD,
        &&op_TSTORE,
        &&op_MCOPY,
        &&op_PUSH0,  // 0x5c
        &&op_PUSH1,
        &&op_PUSH2,
        &&op_PUSH3,
        &&op_PUSH4,  // 0x60
        &&op_PUSH5,
        &&op_PUSH6,
        &&op_PUSH7,
        &&op_PUSH8,  // 0x64
        &&op_PUSH9,
        &&op_PUSH10,
        &&op_PUSH11,
        &&op_PUSH12,  // 0x68
        &&op_PUSH13,
        &&op_PUSH14,
        &&op_PUSH15,
        &&op_PUSH16,  // 0x6c
        &&op_PUSH17,
        &&op_PUSH18,
        &&op_PUSH19,
        &&op_PUSH20,  // 0x70
        &&op_PUSH21,
        &&op_PUSH22,
        &&op_PUSH23,
        &&op_PUSH24,  // 0x74
        &&op_PUSH25,
        &&op_PUSH26,
        &&op_PUSH27,
        &&op_PUSH28,  // 0x78
        &&op_PUSH29,
        &&op_PUSH30,
        &&op_PUSH31,
        &&op_PUSH32,  // 0x7c
        &&op_DUP1,
        &&op_DUP2,
        &&op_DUP3,
        &&op_DUP4,  // 0x80
        &&op_DUP5,
        &&op_DUP6,
        &&op_DUP7,
        &&op_DUP8,  // 0x84
        &&op_DUP9,
        &&op_DUP10,
        &&op_DUP11,
        &&op_DUP12,  // 0x88
        &&op_DUP13,
        &&op_DUP14,
        &&op_DUP15,
        &&op_DUP16,  // 0x8c
        &&op_SWAP1,
        &&op_SWAP2,
        &&op_SWAP3,
        &&op_SWAP4,  // 0x90
        &&op_SWAP5,
        &&op_SWAP6,
        &&op_SWAP7,
        &&op_SWAP8,  // 0x94
        &&op_SWAP9,
        &&op_SWAP10,
        &&op_SWAP11,
        &&op_SWAP12,  // 0x98
        &&op_SWAP13,
        &&op_SWAP14,
        &&op_SWAP15,
        &&op_SWAP16,  // 0x9c
        &&op_LOGN,
        &&op_LOGN,
        &&op_LOGN,
        &&op_LOGN,  // 0xa0
        &&op_LOGN,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xa4
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xa8
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xac
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xb0
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xb4
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xb8
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xbc
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xc0
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xc4
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xc8
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xcc
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xd0
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xd4
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xd8
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xdc
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xe0
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xe4
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xe8
        &&undefined,
        &&undefined,
        &&undefined,
        &&undefined,  // 0xec
        &&op_CREATE,
        &&op_CALL,
        &&op_CALLCODE,
        &&op_RETURN,  // 0xf0
        &&op_DELEGATECALL,
        &&op_CREATE2,
        &&undefined,
        &&undefined,  // 0xf4
        &&undefined,
        &&undefined,
        &&op_STATICCALL,
        &&undefined,  // 0xf8
        &&undefined,
        &&op_REVERT,
        &&op_INVALID,
        &&op_SELFDESTRUCT,  // 0xfc
    };

#define HEIGHT() StackSpace::height(sp)
#define DISPATCH()                                                                                \
    do {                                                                                          \
        if constexpr (kTraced)                                                                    \
            tracer->on_step(static_cast<uint32_t>(pc - f.code.padded_code()), *pc, gas,           \
                            f.msg.depth, {StackSpace::bottom(sp), static_cast<size_t>(HEIGHT())}, \
                            {f.memory.data(), f.memory.size()});                                  \
        goto* labels[*pc];                                                                        \
    } while (0)
    // Every instruction starts with its stack check and its constant gas; an opcode the revision
    // does not define carries kUndefined (-1) in the table and is caught by the sign of the cost.
#define BEGIN(OP, REQ, CHANGE)                                  \
    {                                                           \
        constexpr int16_t kCost = constant_cost<kRev>(OP);      \
        if constexpr (kCost == kUndefined) goto undefined;      \
        if constexpr ((REQ) > 0)                                \
            if (HEIGHT() < (REQ)) [[unlikely]]                  \
                goto stack_underflow;                           \
        if constexpr ((CHANGE) > 0)                             \
            if (HEIGHT() > kStackLimit - (CHANGE)) [[unlikely]] \
                goto stack_overflow;                            \
        if constexpr (kCost == kCostVaries) {                   \
            const int64_t cost_ = costs[OP];                    \
            if (cost_ < 0) [[unlikely]]                         \
                goto undefined;                                 \
            if ((gas -= cost_) < 0) [[unlikely]]                \
                goto out_of_gas;                                \
        } else if constexpr (kCost > 0) {                       \
            if ((gas -= kCost) < 0) [[unlikely]]                \
                goto out_of_gas;                                \
        }                                                       \
    }
#define NEXT(CHANGE) \
    sp += (CHANGE);  \
    ++pc;            \
    DISPATCH()
// Runs an out-of-line instruction, taking back its gas or leaving with its failure.
#define RUN_OUT_OF_LINE(CALL)                                   \
    do {                                                        \
        const Step step_ = (CALL);                              \
        if (step_.status != StatusCode::Success) [[unlikely]] { \
            status = step_.status;                              \
            goto fail;                                          \
        }                                                       \
        gas = step_.gas;                                        \
    } while (0)
#define FAIL_IF(COND, CODE)  \
    if (COND) [[unlikely]] { \
        status = (CODE);     \
        goto fail;           \
    }

    DISPATCH();

op_STOP:
    BEGIN(OP_STOP, 0, 0);
    goto stop;
op_ADD:
    BEGIN(OP_ADD, 2, -1);
    sp[-1] = sp[0] + sp[-1];
    NEXT(-1);
op_MUL:
    BEGIN(OP_MUL, 2, -1);
    sp[-1] = sp[0] * sp[-1];
    NEXT(-1);
op_SUB:
    BEGIN(OP_SUB, 2, -1);
    sp[-1] = sp[0] - sp[-1];
    NEXT(-1);
op_DIV:
    BEGIN(OP_DIV, 2, -1);
    sp[-1] = sp[0] / sp[-1];
    NEXT(-1);
op_SDIV:
    BEGIN(OP_SDIV, 2, -1);
    sp[-1] = sdiv(sp[0], sp[-1]);
    NEXT(-1);
op_MOD:
    BEGIN(OP_MOD, 2, -1);
    sp[-1] = sp[0] % sp[-1];
    NEXT(-1);
op_SMOD:
    BEGIN(OP_SMOD, 2, -1);
    sp[-1] = smod(sp[0], sp[-1]);
    NEXT(-1);
op_ADDMOD:
    BEGIN(OP_ADDMOD, 3, -2);
    sp[-2] = addmod(sp[0], sp[-1], sp[-2]);
    NEXT(-2);
op_MULMOD:
    BEGIN(OP_MULMOD, 3, -2);
    sp[-2] = mulmod(sp[0], sp[-1], sp[-2]);
    NEXT(-2);
op_EXP:
    BEGIN(OP_EXP, 2, -1);
    {
        const int64_t per_byte = rev >= Revision::SpuriousDragon ? 50 : 10;
        FAIL_IF((gas -= per_byte * count_significant_bytes(sp[-1])) < 0, StatusCode::OutOfGas);
        sp[-1] = exp(sp[0], sp[-1]);
    }
    NEXT(-1);
op_SIGNEXTEND:
    BEGIN(OP_SIGNEXTEND, 2, -1);
    sp[-1] = signextend(sp[0], sp[-1]);
    NEXT(-1);
op_LT:
    BEGIN(OP_LT, 2, -1);
    sp[-1] = sp[0] < sp[-1] ? 1 : 0;
    NEXT(-1);
op_GT:
    BEGIN(OP_GT, 2, -1);
    sp[-1] = sp[0] > sp[-1] ? 1 : 0;
    NEXT(-1);
op_SLT:
    BEGIN(OP_SLT, 2, -1);
    sp[-1] = slt(sp[0], sp[-1]) ? 1 : 0;
    NEXT(-1);
op_SGT:
    BEGIN(OP_SGT, 2, -1);
    sp[-1] = sgt(sp[0], sp[-1]) ? 1 : 0;
    NEXT(-1);
op_EQ:
    BEGIN(OP_EQ, 2, -1);
    sp[-1] = sp[0] == sp[-1] ? 1 : 0;
    NEXT(-1);
op_ISZERO:
    BEGIN(OP_ISZERO, 1, 0);
    sp[0] = !sp[0] ? 1 : 0;
    NEXT(0);
op_AND:
    BEGIN(OP_AND, 2, -1);
    sp[-1] = sp[0] & sp[-1];
    NEXT(-1);
op_OR:
    BEGIN(OP_OR, 2, -1);
    sp[-1] = sp[0] | sp[-1];
    NEXT(-1);
op_XOR:
    BEGIN(OP_XOR, 2, -1);
    sp[-1] = sp[0] ^ sp[-1];
    NEXT(-1);
op_NOT:
    BEGIN(OP_NOT, 1, 0);
    sp[0] = ~sp[0];
    NEXT(0);
op_BYTE:
    BEGIN(OP_BYTE, 2, -1);
    sp[-1] = byte_at(sp[0], sp[-1]);
    NEXT(-1);
op_SHL:
    BEGIN(OP_SHL, 2, -1);
    sp[-1] = sp[-1] << sp[0];
    NEXT(-1);
op_SHR:
    BEGIN(OP_SHR, 2, -1);
    sp[-1] = sp[-1] >> sp[0];
    NEXT(-1);
op_SAR:
    BEGIN(OP_SAR, 2, -1);
    sp[-1] = sar(sp[0], sp[-1]);
    NEXT(-1);
op_CLZ:
    BEGIN(OP_CLZ, 1, 0);
    sp[0] = clz(sp[0]);
    NEXT(0);
op_KECCAK256:
    BEGIN(OP_KECCAK256, 2, -1);
    {
        const uint256 offset = sp[0], size = sp[-1];
        FAIL_IF(!check_memory(gas, f.memory, offset, size), StatusCode::OutOfGas);
        const size_t n = size.low64();
        FAIL_IF((gas -= 6 * num_words(n)) < 0, StatusCode::OutOfGas);
        const hash256 h =
            keccak256(n ? bytes_view{f.memory.data() + offset.low64(), n} : bytes_view{});
        sp[-1] = uint256::load_be(h.bytes);
    }
    NEXT(-1);
op_ADDRESS:
    BEGIN(OP_ADDRESS, 0, 1);
    sp[1] = to_uint256(f.msg.recipient);
    NEXT(1);
op_BALANCE:
    BEGIN(OP_BALANCE, 1, 0);
    {
        const address a = to_address(sp[0]);
        FAIL_IF(!charge_account_access(f, gas, a), StatusCode::OutOfGas);
        sp[0] = f.host.get_balance(a);
    }
    NEXT(0);
op_ORIGIN:
    BEGIN(OP_ORIGIN, 0, 1);
    sp[1] = to_uint256(f.tx().origin);
    NEXT(1);
op_CALLER:
    BEGIN(OP_CALLER, 0, 1);
    sp[1] = to_uint256(f.msg.sender);
    NEXT(1);
op_CALLVALUE:
    BEGIN(OP_CALLVALUE, 0, 1);
    sp[1] = f.msg.value;
    NEXT(1);
op_CALLDATALOAD:
    BEGIN(OP_CALLDATALOAD, 1, 0);
    {
        uint8_t word[32];
        copy_padded(word, f.msg.input, sp[0], 32);
        sp[0] = uint256::load_be(word);
    }
    NEXT(0);
op_CALLDATASIZE:
    BEGIN(OP_CALLDATASIZE, 0, 1);
    sp[1] = f.msg.input.size();
    NEXT(1);
op_CALLDATACOPY:
    BEGIN(OP_CALLDATACOPY, 3, -3);
    FAIL_IF(!charge_copy(f, gas, sp[0], sp[-2]), StatusCode::OutOfGas);
    if (sp[-2]) copy_padded(f.memory.data() + sp[0].low64(), f.msg.input, sp[-1], sp[-2].low64());
    NEXT(-3);
op_CODESIZE:
    BEGIN(OP_CODESIZE, 0, 1);
    sp[1] = f.code.code_size();
    NEXT(1);
op_CODECOPY:
    BEGIN(OP_CODECOPY, 3, -3);
    FAIL_IF(!charge_copy(f, gas, sp[0], sp[-2]), StatusCode::OutOfGas);
    if (sp[-2]) copy_padded(f.memory.data() + sp[0].low64(), f.code.code(), sp[-1], sp[-2].low64());
    NEXT(-3);
op_GASPRICE:
    BEGIN(OP_GASPRICE, 0, 1);
    sp[1] = f.tx().gas_price;
    NEXT(1);
op_EXTCODESIZE:
    BEGIN(OP_EXTCODESIZE, 1, 0);
    {
        const address a = to_address(sp[0]);
        FAIL_IF(!charge_account_access(f, gas, a), StatusCode::OutOfGas);
        sp[0] = f.host.get_code_size(a);
    }
    NEXT(0);
op_EXTCODECOPY:
    BEGIN(OP_EXTCODECOPY, 4, -4);
    RUN_OUT_OF_LINE(op_extcodecopy(f, sp, gas));
    NEXT(-4);
op_RETURNDATASIZE:
    BEGIN(OP_RETURNDATASIZE, 0, 1);
    sp[1] = f.return_data.size();
    NEXT(1);
op_RETURNDATACOPY:
    BEGIN(OP_RETURNDATACOPY, 3, -3);
    {
        const uint256 mem_offset = sp[0], data_offset = sp[-1], size = sp[-2];
        // Reading past the return data is an exceptional halt, not zero padding.
        const bool in_bounds = data_offset.fits_u64() && size.fits_u64() &&
                               data_offset.low64() <= f.return_data.size() &&
                               size.low64() <= f.return_data.size() - data_offset.low64();
        FAIL_IF(!in_bounds, StatusCode::InvalidMemoryAccess);
        FAIL_IF(!charge_copy(f, gas, mem_offset, size), StatusCode::OutOfGas);
        if (size)
            std::memcpy(f.memory.data() + mem_offset.low64(),
                        f.return_data.data() + data_offset.low64(), size.low64());
    }
    NEXT(-3);
op_EXTCODEHASH:
    BEGIN(OP_EXTCODEHASH, 1, 0);
    {
        const address a = to_address(sp[0]);
        FAIL_IF(!charge_account_access(f, gas, a), StatusCode::OutOfGas);
        sp[0] = to_uint256(f.host.get_code_hash(a));
    }
    NEXT(0);
op_BLOCKHASH:
    BEGIN(OP_BLOCKHASH, 1, 0);
    {
        const int64_t current = f.tx().number;
        const uint256& n = sp[0];
        const bool in_window =
            n.fits_u64() && n.low64() < uint64_t(current) && uint64_t(current) - n.low64() <= 256;
        sp[0] = in_window ? to_uint256(f.host.get_block_hash(static_cast<int64_t>(n.low64()))) : 0;
    }
    NEXT(0);
op_COINBASE:
    BEGIN(OP_COINBASE, 0, 1);
    sp[1] = to_uint256(f.tx().coinbase);
    NEXT(1);
op_TIMESTAMP:
    BEGIN(OP_TIMESTAMP, 0, 1);
    sp[1] = static_cast<uint64_t>(f.tx().timestamp);
    NEXT(1);
op_NUMBER:
    BEGIN(OP_NUMBER, 0, 1);
    sp[1] = static_cast<uint64_t>(f.tx().number);
    NEXT(1);
op_PREVRANDAO:
    BEGIN(OP_PREVRANDAO, 0, 1);
    sp[1] = f.tx().prev_randao;
    NEXT(1);
op_GASLIMIT:
    BEGIN(OP_GASLIMIT, 0, 1);
    sp[1] = static_cast<uint64_t>(f.tx().gas_limit);
    NEXT(1);
op_CHAINID:
    BEGIN(OP_CHAINID, 0, 1);
    sp[1] = f.tx().chain_id;
    NEXT(1);
op_SELFBALANCE:
    BEGIN(OP_SELFBALANCE, 0, 1);
    sp[1] = f.host.get_balance(f.msg.recipient);
    NEXT(1);
op_BASEFEE:
    BEGIN(OP_BASEFEE, 0, 1);
    sp[1] = f.tx().base_fee;
    NEXT(1);
op_BLOBHASH:
    BEGIN(OP_BLOBHASH, 1, 0);
    {
        const TxContext& tx = f.tx();
        const uint256& i = sp[0];
        sp[0] = i.fits_u64() && i.low64() < tx.num_blob_hashes
                    ? to_uint256(tx.blob_hashes[i.low64()])
                    : uint256{};
    }
    NEXT(0);
op_BLOBBASEFEE:
    BEGIN(OP_BLOBBASEFEE, 0, 1);
    sp[1] = f.tx().blob_base_fee;
    NEXT(1);
op_POP:
    BEGIN(OP_POP, 1, -1);
    NEXT(-1);
op_MLOAD:
    BEGIN(OP_MLOAD, 1, 0);
    FAIL_IF(!check_memory(gas, f.memory, sp[0], 32), StatusCode::OutOfGas);
    sp[0] = uint256::load_be(f.memory.data() + sp[0].low64());
    NEXT(0);
op_MSTORE:
    BEGIN(OP_MSTORE, 2, -2);
    FAIL_IF(!check_memory(gas, f.memory, sp[0], 32), StatusCode::OutOfGas);
    sp[-1].store_be(f.memory.data() + sp[0].low64());
    NEXT(-2);
op_MSTORE8:
    BEGIN(OP_MSTORE8, 2, -2);
    FAIL_IF(!check_memory(gas, f.memory, sp[0], 1), StatusCode::OutOfGas);
    f.memory.data()[sp[0].low64()] = static_cast<uint8_t>(sp[-1].low64());
    NEXT(-2);
op_SLOAD:
    BEGIN(OP_SLOAD, 1, 0);
    if (rev >= Revision::Berlin &&
        f.host.access_storage(f.msg.recipient, sp[0]) == AccessStatus::Cold)
        FAIL_IF((gas -= 2000) < 0, StatusCode::OutOfGas);
    sp[0] = f.host.get_storage(f.msg.recipient, sp[0]);
    NEXT(0);
op_SSTORE:
    BEGIN(OP_SSTORE, 2, -2);
    RUN_OUT_OF_LINE(op_sstore(f, sp, gas));
    NEXT(-2);
op_JUMP:
    BEGIN(OP_JUMP, 1, -1);
    {
        const uint256& dst = sp[0];
        FAIL_IF(!dst.fits_u64() || !f.code.is_jumpdest(dst.low64()),
                StatusCode::BadJumpDestination);
        // Every loop passes a JUMP or a taken JUMPI: where a stop request is seen.
        FAIL_IF(f.stop->load(std::memory_order_relaxed), StatusCode::OutOfGas);
        pc = f.code.padded_code() + dst.low64();
        --sp;
    }
    DISPATCH();
op_JUMPI:
    BEGIN(OP_JUMPI, 2, -2);
    if (sp[-1]) {
        const uint256& dst = sp[0];
        FAIL_IF(!dst.fits_u64() || !f.code.is_jumpdest(dst.low64()),
                StatusCode::BadJumpDestination);
        FAIL_IF(f.stop->load(std::memory_order_relaxed), StatusCode::OutOfGas);
        pc = f.code.padded_code() + dst.low64();
        sp -= 2;
        DISPATCH();
    }
    NEXT(-2);
op_PC:
    BEGIN(OP_PC, 0, 1);
    sp[1] = static_cast<uint64_t>(pc - f.code.padded_code());
    NEXT(1);
op_MSIZE:
    BEGIN(OP_MSIZE, 0, 1);
    sp[1] = f.memory.size();
    NEXT(1);
op_GAS:
    BEGIN(OP_GAS, 0, 1);
    sp[1] = static_cast<uint64_t>(gas);
    NEXT(1);
op_JUMPDEST:
    BEGIN(OP_JUMPDEST, 0, 0);
    NEXT(0);
op_TLOAD:
    BEGIN(OP_TLOAD, 1, 0);
    sp[0] = f.host.get_transient_storage(f.msg.recipient, sp[0]);
    NEXT(0);
op_TSTORE:
    BEGIN(OP_TSTORE, 2, -2);
    FAIL_IF(f.msg.is_static, StatusCode::StaticModeViolation);
    f.host.set_transient_storage(f.msg.recipient, sp[0], sp[-1]);
    NEXT(-2);
op_MCOPY:
    BEGIN(OP_MCOPY, 3, -3);
    {
        const uint256 dst = sp[0], src = sp[-1], size = sp[-2];
        if (size) {
            // Expansion covers the larger of the two regions.
            FAIL_IF(!src.fits_u64() || src.low64() > kMaxMemory, StatusCode::OutOfGas);
            const uint256& far = dst > src ? dst : src;
            FAIL_IF(!check_memory(gas, f.memory, far, size), StatusCode::OutOfGas);
            FAIL_IF((gas -= 3 * num_words(size.low64())) < 0, StatusCode::OutOfGas);
            std::memmove(f.memory.data() + dst.low64(), f.memory.data() + src.low64(),
                         size.low64());
        }
    }
    NEXT(-3);
op_PUSH0:
    BEGIN(OP_PUSH0, 0, 1);
    sp[1] = 0;
    NEXT(1);
    // PUSH1..PUSH32, DUP1..DUP16, SWAP1..SWAP16: one label each so the size is a constant.
#define PUSH_CASE(N)                            \
    op_PUSH##N : BEGIN(OP_PUSH1 + (N)-1, 0, 1); \
    sp[1] = load_push<N>(pc + 1);               \
    sp += 1;                                    \
    pc += (N) + 1;                              \
    DISPATCH();
#define DUP_CASE(N)                           \
    op_DUP##N : BEGIN(OP_DUP1 + (N)-1, N, 1); \
    copy_item(sp[1], sp[1 - (N)]);            \
    NEXT(1);
#define SWAP_CASE(N)                                  \
    op_SWAP##N : BEGIN(OP_SWAP1 + (N)-1, (N) + 1, 0); \
    swap_items(sp[0], sp[-(N)]);                      \
    NEXT(0);
    // One labelled instruction per expansion; kept out of the formatter, which cannot lay out
    // a run of statement-like macros stably.
    // clang-format off
    PUSH_CASE(1) PUSH_CASE(2) PUSH_CASE(3) PUSH_CASE(4) PUSH_CASE(5) PUSH_CASE(6)
    PUSH_CASE(7) PUSH_CASE(8) PUSH_CASE(9) PUSH_CASE(10) PUSH_CASE(11) PUSH_CASE(12)
    PUSH_CASE(13) PUSH_CASE(14) PUSH_CASE(15) PUSH_CASE(16) PUSH_CASE(17) PUSH_CASE(18)
    PUSH_CASE(19) PUSH_CASE(20) PUSH_CASE(21) PUSH_CASE(22) PUSH_CASE(23) PUSH_CASE(24)
    PUSH_CASE(25) PUSH_CASE(26) PUSH_CASE(27) PUSH_CASE(28) PUSH_CASE(29) PUSH_CASE(30)
    PUSH_CASE(31) PUSH_CASE(32)
    DUP_CASE(1) DUP_CASE(2) DUP_CASE(3) DUP_CASE(4) DUP_CASE(5) DUP_CASE(6)
    DUP_CASE(7) DUP_CASE(8) DUP_CASE(9) DUP_CASE(10) DUP_CASE(11) DUP_CASE(12)
    DUP_CASE(13) DUP_CASE(14) DUP_CASE(15) DUP_CASE(16)
    SWAP_CASE(1) SWAP_CASE(2) SWAP_CASE(3) SWAP_CASE(4) SWAP_CASE(5) SWAP_CASE(6)
    SWAP_CASE(7) SWAP_CASE(8) SWAP_CASE(9) SWAP_CASE(10) SWAP_CASE(11) SWAP_CASE(12)
    SWAP_CASE(13) SWAP_CASE(14) SWAP_CASE(15) SWAP_CASE(16)
    // clang-format on
#undef PUSH_CASE
#undef DUP_CASE
#undef SWAP_CASE
                                                        op_LOGN : {
        const int n = *pc - OP_LOG0;
        const int64_t cost_ = costs[*pc];
        if (HEIGHT() < n + 2) goto stack_underflow;
        if ((gas -= cost_) < 0) goto out_of_gas;
        RUN_OUT_OF_LINE(op_log(f, sp, gas, n));
        sp -= n + 2;
    }
    ++pc;
    DISPATCH();
op_CREATE:
    BEGIN(OP_CREATE, 3, -2);
    RUN_OUT_OF_LINE(op_create(f, sp, gas, OP_CREATE));
    NEXT(-2);
op_CREATE2:
    BEGIN(OP_CREATE2, 4, -3);
    RUN_OUT_OF_LINE(op_create(f, sp, gas, OP_CREATE2));
    NEXT(-3);
op_CALL:
    BEGIN(OP_CALL, 7, -6);
    RUN_OUT_OF_LINE(op_call(f, sp, gas, OP_CALL));
    NEXT(-6);
op_CALLCODE:
    BEGIN(OP_CALLCODE, 7, -6);
    RUN_OUT_OF_LINE(op_call(f, sp, gas, OP_CALLCODE));
    NEXT(-6);
op_DELEGATECALL:
    BEGIN(OP_DELEGATECALL, 6, -5);
    RUN_OUT_OF_LINE(op_call(f, sp, gas, OP_DELEGATECALL));
    NEXT(-5);
op_STATICCALL:
    BEGIN(OP_STATICCALL, 6, -5);
    RUN_OUT_OF_LINE(op_call(f, sp, gas, OP_STATICCALL));
    NEXT(-5);
op_RETURN:
    BEGIN(OP_RETURN, 2, -2);
    status = StatusCode::Success;
    goto return_data;
op_REVERT:
    BEGIN(OP_REVERT, 2, -2);
    status = StatusCode::Revert;
return_data : {
    const uint256 offset = sp[0], size = sp[-1];
    FAIL_IF(!check_memory(gas, f.memory, offset, size), StatusCode::OutOfGas);
    if (size) {
        f.output_offset = offset.low64();
        f.output_size = size.low64();
    }
    goto finish;
}
op_INVALID:
    BEGIN(OP_INVALID, 0, 0);
    status = StatusCode::InvalidInstruction;
    goto fail;
op_SELFDESTRUCT:
    BEGIN(OP_SELFDESTRUCT, 1, -1);
    RUN_OUT_OF_LINE(op_selfdestruct(f, sp, gas));
    goto stop;

undefined:
    status = StatusCode::UndefinedInstruction;
    goto fail;
stack_underflow:
    status = StatusCode::StackUnderflow;
    goto fail;
stack_overflow:
    status = StatusCode::StackOverflow;
    goto fail;
out_of_gas:
    status = StatusCode::OutOfGas;
    goto fail;

stop:
    status = StatusCode::Success;
finish:
    return {status, gas};
fail:
    return {status, 0};
#undef HEIGHT
#undef DISPATCH
#undef BEGIN
#undef NEXT
#undef FAIL_IF
#undef RUN_OUT_OF_LINE
}

}  // namespace

std::string_view status_name(StatusCode s) {
    switch (s) {
        case StatusCode::Success:
            return "success";
        case StatusCode::Revert:
            return "revert";
        case StatusCode::OutOfGas:
            return "out of gas";
        case StatusCode::InvalidInstruction:
            return "invalid instruction";
        case StatusCode::UndefinedInstruction:
            return "undefined instruction";
        case StatusCode::StackOverflow:
            return "stack overflow";
        case StatusCode::StackUnderflow:
            return "stack underflow";
        case StatusCode::BadJumpDestination:
            return "bad jump destination";
        case StatusCode::InvalidMemoryAccess:
            return "return data out of bounds";
        case StatusCode::StaticModeViolation:
            return "write protection";
        case StatusCode::PrecompileFailure:
            return "precompile failed";
        case StatusCode::ContractValidationFailure:
            return "invalid code";
        case StatusCode::AddressCollision:
            return "contract address collision";
        case StatusCode::CallDepthExceeded:
            return "max call depth exceeded";
        case StatusCode::InsufficientBalance:
            return "insufficient balance for transfer";
        case StatusCode::NonceOverflow:
            return "nonce uint64 overflow";
    }
    return "unknown";
}

Result execute(Host& host, Revision rev, const Message& msg, const CodeAnalysis& code,
               Tracer* tracer) {
    const std::atomic<bool>& stop = current_stop_flag();
    if (stop.load(std::memory_order_relaxed)) [[unlikely]] {
        // Abandoned (cancellation.hpp): the frame fails at once, so recursion unwinds.
        return {StatusCode::OutOfGas, 0, 0, {}, {}};
    }
    StackSpace stack_space;
    Frame f{host, rev, msg, code};
    f.tracer = tracer;
    f.stack_empty = stack_space.empty_position();
    f.stop = &stop;
    LoopResult loop;
    if (tracer != nullptr) {
        tracer->on_enter(msg, code.code());
        loop = run<true, -1>(f);
    } else if (rev == Revision::Cancun) {
        loop = run<false, int(Revision::Cancun)>(f);
    } else if (rev == Revision::Prague) {
        loop = run<false, int(Revision::Prague)>(f);
    } else if (rev == Revision::Osaka) {
        loop = run<false, int(Revision::Osaka)>(f);
    } else {
        loop = run<false, -1>(f);
    }
    Result r;
    r.status = loop.status;
    r.gas_left = loop.gas_left;
    if (loop.status == StatusCode::Success) r.gas_refund = f.gas_refund;
    if (!is_exceptional(loop.status) && f.output_size != 0)
        r.output.assign(f.memory.data() + f.output_offset, f.output_size);
    if (tracer != nullptr) tracer->on_exit(r);
    return r;
}

}  // namespace krnl::evm
