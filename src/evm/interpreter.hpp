// The EVM interpreter: one dispatch loop over padded code, modelled on evmone's baseline design.
#pragma once

#include <span>

#include "evm/analysis.hpp"
#include "evm/host.hpp"

namespace krnl::evm {

// Observes execution one instruction at a time (debug tracers, the ERC-7562 validation tracer).
// The untraced interpreter is a separate instantiation, so tracing costs nothing when off.
class Tracer {
public:
    virtual ~Tracer() = default;
    virtual void on_enter(const Message& msg, bytes_view code) {}
    // Called before the instruction at `pc` is charged and executed. `stack` is bottom-first.
    virtual void on_step(uint32_t pc, uint8_t opcode, int64_t gas_left, int32_t depth,
                         std::span<const uint256> stack, bytes_view memory) {}
    virtual void on_exit(const Result& result) {}
    // Every message the host runs, code or not (precompiles, value transfers, creations), in
    // nesting order: the frames a call tracer reports. on_enter/on_exit above fire only for
    // frames that execute code, inside these.
    virtual void on_call_start(const Message& msg) {}
    virtual void on_call_end(const Result& result) {}
};

Result execute(Host& host, Revision rev, const Message& msg, const CodeAnalysis& code,
               Tracer* tracer = nullptr);

}  // namespace krnl::evm
