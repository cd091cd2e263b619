// Opcodes and their static traits: stack effect, the revision that introduced them, and the
// constant part of their gas cost per revision. Dynamic costs (memory, cold access, copies) are
// charged by the instruction itself.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "evm/revision.hpp"

namespace krnl::evm {

enum Opcode : uint8_t {
    OP_STOP = 0x00,
    OP_ADD,
    OP_MUL,
    OP_SUB,
    OP_DIV,
    OP_SDIV,
    OP_MOD,
    OP_SMOD,
    OP_ADDMOD,
    OP_MULMOD,
    OP_EXP,
    OP_SIGNEXTEND,
    OP_LT = 0x10,
    OP_GT,
    OP_SLT,
    OP_SGT,
    OP_EQ,
    OP_ISZERO,
    OP_AND,
    OP_OR,
    OP_XOR,
    OP_NOT,
    OP_BYTE,
    OP_SHL,
    OP_SHR,
    OP_SAR,
    OP_CLZ,
    OP_KECCAK256 = 0x20,
    OP_ADDRESS = 0x30,
    OP_BALANCE,
    OP_ORIGIN,
    OP_CALLER,
    OP_CALLVALUE,
    OP_CALLDATALOAD,
    OP_CALLDATASIZE,
    OP_CALLDATACOPY,
    OP_CODESIZE,
    OP_CODECOPY,
    OP_GASPRICE,
    OP_EXTCODESIZE,
    OP_EXTCODECOPY,
    OP_RETURNDATASIZE,
    OP_RETURNDATACOPY,
    OP_EXTCODEHASH,
    OP_BLOCKHASH = 0x40,
    OP_COINBASE,
    OP_TIMESTAMP,
    OP_NUMBER,
    OP_PREVRANDAO,
    OP_GASLIMIT,
    OP_CHAINID,
    OP_SELFBALANCE,
    OP_BASEFEE,
    OP_BLOBHASH,
    OP_BLOBBASEFEE,
    OP_POP = 0x50,
    OP_MLOAD,
    OP_MSTORE,
    OP_MSTORE8,
    OP_SLOAD,
    OP_SSTORE,
    OP_JUMP,
    OP_JUMPI,
    OP_PC,
    OP_MSIZE,
    OP_GAS,
    OP_JUMPDEST,
    OP_TLOAD,
    OP_TSTORE,
    OP_MCOPY,
    OP_PUSH0,
    OP_PUSH1 = 0x60,
    OP_PUSH32 = 0x7f,
    OP_DUP1 = 0x80,
    OP_DUP16 = 0x8f,
    OP_SWAP1 = 0x90,
    OP_SWAP16 = 0x9f,
    OP_LOG0 = 0xa0,
    OP_LOG4 = 0xa4,
    OP_CREATE = 0xf0,
    OP_CALL,
    OP_CALLCODE,
    OP_RETURN,
    OP_DELEGATECALL,
    OP_CREATE2,
    OP_STATICCALL = 0xfa,
    OP_REVERT = 0xfd,
    OP_INVALID = 0xfe,
    OP_SELFDESTRUCT = 0xff,
};

struct InstructionTraits {
    std::string_view name;       // empty: not an instruction in any revision
    uint8_t immediate_size = 0;  // PUSHn data bytes
    int8_t stack_required = 0;   // items that must be on the stack
    int8_t stack_change = 0;     // net change of the stack height
    Revision since = Revision::Frontier;
};

// Marker in the gas table for an opcode the revision does not define.
inline constexpr int16_t kUndefined = -1;

using GasTable = std::array<int16_t, 256>;

namespace detail {

constexpr std::array<InstructionTraits, 256> make_traits() {
    std::array<InstructionTraits, 256> t{};
    auto set = [&](uint8_t op, std::string_view name, int req, int change,
                   Revision since = Revision::Frontier) {
        t[op] = {name, 0, static_cast<int8_t>(req), static_cast<int8_t>(change), since};
    };
    using R = Revision;
    set(OP_STOP, "STOP", 0, 0);
    set(OP_ADD, "ADD", 2, -1);
    set(OP_MUL, "MUL", 2, -1);
    set(OP_SUB, "SUB", 2, -1);
    set(OP_DIV, "DIV", 2, -1);
    set(OP_SDIV, "SDIV", 2, -1);
    set(OP_MOD, "MOD", 2, -1);
    set(OP_SMOD, "SMOD", 2, -1);
    set(OP_ADDMOD, "ADDMOD", 3, -2);
    set(OP_MULMOD, "MULMOD", 3, -2);
    set(OP_EXP, "EXP", 2, -1);
    set(OP_SIGNEXTEND, "SIGNEXTEND", 2, -1);
    set(OP_LT, "LT", 2, -1);
    set(OP_GT, "GT", 2, -1);
    set(OP_SLT, "SLT", 2, -1);
    set(OP_SGT, "SGT", 2, -1);
    set(OP_EQ, "EQ", 2, -1);
    set(OP_ISZERO, "ISZERO", 1, 0);
    set(OP_AND, "AND", 2, -1);
    set(OP_OR, "OR", 2, -1);
    set(OP_XOR, "XOR", 2, -1);
    set(OP_NOT, "NOT", 1, 0);
    set(OP_BYTE, "BYTE", 2, -1);
    set(OP_SHL, "SHL", 2, -1, R::Constantinople);
    set(OP_SHR, "SHR", 2, -1, R::Constantinople);
    set(OP_SAR, "SAR", 2, -1, R::Constantinople);
    set(OP_CLZ, "CLZ", 1, 0, R::Osaka);
    set(OP_KECCAK256, "KECCAK256", 2, -1);
    set(OP_ADDRESS, "ADDRESS", 0, 1);
    set(OP_BALANCE, "BALANCE", 1, 0);
    set(OP_ORIGIN, "ORIGIN", 0, 1);
    set(OP_CALLER, "CALLER", 0, 1);
    set(OP_CALLVALUE, "CALLVALUE", 0, 1);
    set(OP_CALLDATALOAD, "CALLDATALOAD", 1, 0);
    set(OP_CALLDATASIZE, "CALLDATASIZE", 0, 1);
    set(OP_CALLDATACOPY, "CALLDATACOPY", 3, -3);
    set(OP_CODESIZE, "CODESIZE", 0, 1);
    set(OP_CODECOPY, "CODECOPY", 3, -3);
    set(OP_GASPRICE, "GASPRICE", 0, 1);
    set(OP_EXTCODESIZE, "EXTCODESIZE", 1, 0);
    set(OP_EXTCODECOPY, "EXTCODECOPY", 4, -4);
    set(OP_RETURNDATASIZE, "RETURNDATASIZE", 0, 1, R::Byzantium);
    set(OP_RETURNDATACOPY, "RETURNDATACOPY", 3, -3, R::Byzantium);
    set(OP_EXTCODEHASH, "EXTCODEHASH", 1, 0, R::Constantinople);
    set(OP_BLOCKHASH, "BLOCKHASH", 1, 0);
    set(OP_COINBASE, "COINBASE", 0, 1);
    set(OP_TIMESTAMP, "TIMESTAMP", 0, 1);
    set(OP_NUMBER, "NUMBER", 0, 1);
    set(OP_PREVRANDAO, "PREVRANDAO", 0, 1);
    set(OP_GASLIMIT, "GASLIMIT", 0, 1);
    set(OP_CHAINID, "CHAINID", 0, 1, R::Istanbul);
    set(OP_SELFBALANCE, "SELFBALANCE", 0, 1, R::Istanbul);
    set(OP_BASEFEE, "BASEFEE", 0, 1, R::London);
    set(OP_BLOBHASH, "BLOBHASH", 1, 0, R::Cancun);
    set(OP_BLOBBASEFEE, "BLOBBASEFEE", 0, 1, R::Cancun);
    set(OP_POP, "POP", 1, -1);
    set(OP_MLOAD, "MLOAD", 1, 0);
    set(OP_MSTORE, "MSTORE", 2, -2);
    set(OP_MSTORE8, "MSTORE8", 2, -2);
    set(OP_SLOAD, "SLOAD", 1, 0);
    set(OP_SSTORE, "SSTORE", 2, -2);
    set(OP_JUMP, "JUMP", 1, -1);
    set(OP_JUMPI, "JUMPI", 2, -2);
    set(OP_PC, "PC", 0, 1);
    set(OP_MSIZE, "MSIZE", 0, 1);
    set(OP_GAS, "GAS", 0, 1);
    set(OP_JUMPDEST, "JUMPDEST", 0, 0);
    set(OP_TLOAD, "TLOAD", 1, 0, R::Cancun);
    set(OP_TSTORE, "TSTORE", 2, -2, R::Cancun);
    set(OP_MCOPY, "MCOPY", 3, -3, R::Cancun);
    set(OP_PUSH0, "PUSH0", 0, 1, R::Shanghai);
    constexpr std::string_view push_names[] = {
        "PUSH1",  "PUSH2",  "PUSH3",  "PUSH4",  "PUSH5",  "PUSH6",  "PUSH7",  "PUSH8",
        "PUSH9",  "PUSH10", "PUSH11", "PUSH12", "PUSH13", "PUSH14", "PUSH15", "PUSH16",
        "PUSH17", "PUSH18", "PUSH19", "PUSH20", "PUSH21", "PUSH22", "PUSH23", "PUSH24",
        "PUSH25", "PUSH26", "PUSH27", "PUSH28", "PUSH29", "PUSH30", "PUSH31", "PUSH32"};
    constexpr std::string_view dup_names[] = {"DUP1",  "DUP2",  "DUP3",  "DUP4",  "DUP5",  "DUP6",
                                              "DUP7",  "DUP8",  "DUP9",  "DUP10", "DUP11", "DUP12",
                                              "DUP13", "DUP14", "DUP15", "DUP16"};
    constexpr std::string_view swap_names[] = {
        "SWAP1", "SWAP2",  "SWAP3",  "SWAP4",  "SWAP5",  "SWAP6",  "SWAP7",  "SWAP8",
        "SWAP9", "SWAP10", "SWAP11", "SWAP12", "SWAP13", "SWAP14", "SWAP15", "SWAP16"};
    for (int i = 0; i < 32; ++i) {
        set(static_cast<uint8_t>(OP_PUSH1 + i), push_names[i], 0, 1);
        t[OP_PUSH1 + i].immediate_size = static_cast<uint8_t>(i + 1);
    }
    for (int i = 0; i < 16; ++i) {
        set(static_cast<uint8_t>(OP_DUP1 + i), dup_names[i], i + 1, 1);
        set(static_cast<uint8_t>(OP_SWAP1 + i), swap_names[i], i + 2, 0);
    }
    constexpr std::string_view log_names[] = {"LOG0", "LOG1", "LOG2", "LOG3", "LOG4"};
    for (int i = 0; i <= 4; ++i)
        set(static_cast<uint8_t>(OP_LOG0 + i), log_names[i], i + 2, -(i + 2));
    set(OP_CREATE, "CREATE", 3, -2);
    set(OP_CALL, "CALL", 7, -6);
    set(OP_CALLCODE, "CALLCODE", 7, -6);
    set(OP_RETURN, "RETURN", 2, -2);
    set(OP_DELEGATECALL, "DELEGATECALL", 6, -5, R::Homestead);
    set(OP_CREATE2, "CREATE2", 4, -3, R::Constantinople);
    set(OP_STATICCALL, "STATICCALL", 6, -5, R::Byzantium);
    set(OP_REVERT, "REVERT", 2, -2, R::Byzantium);
    set(OP_INVALID, "INVALID", 0, 0);
    set(OP_SELFDESTRUCT, "SELFDESTRUCT", 1, -1);
    return t;
}

constexpr GasTable make_gas_table(Revision rev) {
    const auto traits = make_traits();
    GasTable g{};
    for (int op = 0; op < 256; ++op)
        g[op] = kUndefined;
    auto at_least = [rev](Revision r) { return rev >= r; };
    auto set = [&](uint8_t op, int cost) {
        if (!traits[op].name.empty() && rev >= traits[op].since) g[op] = static_cast<int16_t>(cost);
    };
    for (uint8_t op : {OP_STOP, OP_RETURN, OP_REVERT, OP_INVALID, OP_SSTORE})
        set(op, 0);
    for (uint8_t op : {OP_ADDRESS,      OP_ORIGIN,    OP_CALLER,   OP_CALLVALUE,
                       OP_CALLDATASIZE, OP_CODESIZE,  OP_GASPRICE, OP_RETURNDATASIZE,
                       OP_COINBASE,     OP_TIMESTAMP, OP_NUMBER,   OP_PREVRANDAO,
                       OP_GASLIMIT,     OP_CHAINID,   OP_BASEFEE,  OP_BLOBBASEFEE,
                       OP_POP,          OP_PC,        OP_MSIZE,    OP_GAS,
                       OP_PUSH0})
        set(op, 2);
    for (uint8_t op : {OP_ADD,   OP_SUB,          OP_LT,           OP_GT,       OP_SLT,
                       OP_SGT,   OP_EQ,           OP_ISZERO,       OP_AND,      OP_OR,
                       OP_XOR,   OP_NOT,          OP_BYTE,         OP_SHL,      OP_SHR,
                       OP_SAR,   OP_CALLDATALOAD, OP_CALLDATACOPY, OP_CODECOPY, OP_RETURNDATACOPY,
                       OP_MLOAD, OP_MSTORE,       OP_MSTORE8,      OP_MCOPY,    OP_BLOBHASH})
        set(op, 3);
    for (uint8_t op :
         {OP_MUL, OP_DIV, OP_SDIV, OP_MOD, OP_SMOD, OP_SIGNEXTEND, OP_SELFBALANCE, OP_CLZ})
        set(op, 5);
    set(OP_ADDMOD, 8);
    set(OP_MULMOD, 8);
    set(OP_EXP, 10);
    set(OP_KECCAK256, 30);
    set(OP_BLOCKHASH, 20);
    set(OP_JUMP, 8);
    set(OP_JUMPI, 10);
    set(OP_JUMPDEST, 1);
    set(OP_TLOAD, 100);
    set(OP_TSTORE, 100);
    for (int i = 0; i < 32; ++i)
        set(static_cast<uint8_t>(OP_PUSH1 + i), 3);
    for (int i = 0; i < 16; ++i) {
        set(static_cast<uint8_t>(OP_DUP1 + i), 3);
        set(static_cast<uint8_t>(OP_SWAP1 + i), 3);
    }
    for (int i = 0; i <= 4; ++i)
        set(static_cast<uint8_t>(OP_LOG0 + i), 375 + 375 * i);
    set(OP_CREATE, 32000);
    set(OP_CREATE2, 32000);

    // Account and storage access: EIP-150 repriced them, EIP-1884 again, EIP-2929 made the
    // constant part the warm cost and charges the cold surcharge dynamically.
    const bool berlin = at_least(Revision::Berlin);
    const bool istanbul = at_least(Revision::Istanbul);
    const bool tangerine = at_least(Revision::TangerineWhistle);
    set(OP_BALANCE, berlin ? 100 : istanbul ? 700 : tangerine ? 400 : 20);
    set(OP_EXTCODESIZE, berlin ? 100 : tangerine ? 700 : 20);
    set(OP_EXTCODECOPY, berlin ? 100 : tangerine ? 700 : 20);
    set(OP_EXTCODEHASH, berlin ? 100 : istanbul ? 700 : 400);
    set(OP_SLOAD, berlin ? 100 : istanbul ? 800 : tangerine ? 200 : 50);
    for (uint8_t op : {OP_CALL, OP_CALLCODE, OP_DELEGATECALL, OP_STATICCALL})
        set(op, berlin ? 100 : tangerine ? 700 : 40);
    set(OP_SELFDESTRUCT, tangerine ? 5000 : 0);
    return g;
}

constexpr std::array<GasTable, kNumRevisions> make_gas_tables() {
    std::array<GasTable, kNumRevisions> tables{};
    for (int r = 0; r < kNumRevisions; ++r)
        tables[r] = make_gas_table(static_cast<Revision>(r));
    return tables;
}

}  // namespace detail

inline constexpr std::array<InstructionTraits, 256> kInstructionTraits = detail::make_traits();
inline constexpr std::array<GasTable, kNumRevisions> kGasTables = detail::make_gas_tables();

constexpr const GasTable& gas_table(Revision rev) {
    return kGasTables[static_cast<int>(rev)];
}

}  // namespace krnl::evm
