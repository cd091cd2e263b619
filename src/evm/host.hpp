// The only window the interpreter has on the world: accounts, storage, calls and the block.
// Shaped after EVMC so the same interpreter serves state tests, blocks, eth_call and tracing.
#pragma once

#include <optional>

#include "common/bytes.hpp"
#include "common/uint256.hpp"
#include "evm/revision.hpp"

namespace krnl::evm {

enum class StatusCode : uint8_t {
    Success,
    Revert,
    // Exceptional halts: every one of them consumes all gas of the frame.
    OutOfGas,
    InvalidInstruction,    // the designated INVALID (0xfe)
    UndefinedInstruction,  // an opcode not defined in this revision
    StackOverflow,
    StackUnderflow,
    BadJumpDestination,
    InvalidMemoryAccess,  // RETURNDATACOPY beyond the return data
    StaticModeViolation,
    PrecompileFailure,
    ContractValidationFailure,  // deployed code too large or starting with 0xEF
    AddressCollision,
    // Failures that never started a frame (the caller keeps the gas).
    CallDepthExceeded,
    InsufficientBalance,
    NonceOverflow,
};

constexpr bool is_exceptional(StatusCode s) {
    return s != StatusCode::Success && s != StatusCode::Revert;
}

std::string_view status_name(StatusCode s);

enum class CallKind : uint8_t { Call, DelegateCall, CallCode, Create, Create2 };

struct Message {
    CallKind kind = CallKind::Call;
    bool is_static = false;
    int32_t depth = 0;
    int64_t gas = 0;
    address recipient;     // the account whose storage and balance the code acts on
    address sender;        // CALLER
    address code_address;  // whose code runs (differs from recipient for DELEGATECALL/CALLCODE)
    bytes_view input;
    uint256 value;
    uint256 create2_salt;
};

struct Result {
    StatusCode status = StatusCode::Success;
    int64_t gas_left = 0;
    int64_t gas_refund = 0;
    bytes output;
    address create_address;  // set for successful CREATE/CREATE2
};

// The block and transaction environment, fixed for the whole transaction.
struct TxContext {
    uint256 gas_price;
    address origin;
    address coinbase;
    int64_t number = 0;
    int64_t timestamp = 0;
    int64_t gas_limit = 0;
    uint256 prev_randao;
    uint256 chain_id;
    uint256 base_fee;
    uint256 blob_base_fee;
    const hash256* blob_hashes = nullptr;
    size_t num_blob_hashes = 0;
};

enum class AccessStatus : uint8_t { Cold, Warm };

// Outcome of SSTORE relative to the slot's original (start of transaction) and current values, from
// which the interpreter derives gas and refund per revision (EIP-2200, EIP-2929, EIP-3529).
// Letters: X original, Y current, Z new, 0 zero.
enum class StorageStatus : uint8_t {
    Assigned,          // every case not below (a dirty slot written again)
    Added,             // 0 -> 0 -> Z
    Deleted,           // X -> X -> 0
    Modified,          // X -> X -> Z
    DeletedAdded,      // X -> 0 -> Z
    ModifiedDeleted,   // X -> Y -> 0
    DeletedRestored,   // X -> 0 -> X
    AddedDeleted,      // 0 -> Y -> 0
    ModifiedRestored,  // X -> Y -> X
};

class Host {
public:
    virtual ~Host() = default;

    // Existence as the revision defines it: from Spurious Dragon, "exists and is not empty".
    virtual bool account_exists(const address& addr) = 0;
    virtual uint256 get_storage(const address& addr, const uint256& key) = 0;
    virtual StorageStatus set_storage(const address& addr, const uint256& key,
                                      const uint256& value) = 0;
    virtual uint256 get_transient_storage(const address& addr, const uint256& key) = 0;
    virtual void set_transient_storage(const address& addr, const uint256& key,
                                       const uint256& value) = 0;
    virtual uint256 get_balance(const address& addr) = 0;
    virtual size_t get_code_size(const address& addr) = 0;
    virtual hash256 get_code_hash(const address& addr) = 0;
    virtual bytes_view get_code(const address& addr) = 0;
    // Returns true when this is the first self-destruct of `addr` in the transaction.
    virtual bool selfdestruct(const address& addr, const address& beneficiary) = 0;
    virtual Result call(const Message& msg) = 0;
    virtual const TxContext& tx_context() = 0;
    virtual hash256 get_block_hash(int64_t number) = 0;
    virtual void emit_log(const address& addr, bytes_view data, const uint256* topics,
                          size_t num_topics) = 0;
    virtual AccessStatus access_account(const address& addr) = 0;
    virtual AccessStatus access_storage(const address& addr, const uint256& key) = 0;
};

}  // namespace krnl::evm
