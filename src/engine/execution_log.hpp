// The engine's recent executions (krnl_recentExecutions): for each krnl_executeKernels (and each
// attestation the bundler asks for), the request, every kernel's response and time, the policy's
// verdict and reason, who signed and whether an attestation was issued. A developer watching a
// dev node reads this instead of logs. In memory only, bounded: the oldest entry goes first, and
// what one entry may hold is capped too (kernel outputs and reasons are cut past a few KiB).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/uint256.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::engine {

struct ExecutionRecord {
    enum class Verdict : uint8_t { Approved, Refused, Failed };  // Refused: by the app's policy
    struct Kernel {
        uint256 id;
        bytes result;  // ABI-encoded outputs, cut at kMaxResultBytes
        bool result_truncated = false;
        std::string err;
        std::optional<uint64_t> ms;  // unknown when the request failed before it was timed
    };

    uint64_t id = 0;            // given by the log: 1, 2, 3, ... since the node started
    uint64_t timestamp_ms = 0;  // Unix time the execution ended
    address app;
    address sender;
    uint64_t chain_id = 0;
    std::string function;
    bool call_binding = false;  // a user operation's attestation (binding "call")
    std::vector<Kernel> kernels;
    Verdict verdict = Verdict::Failed;
    std::string reason;  // the policy's reason when refused, the error's message when failed
    std::optional<int> error_code;
    std::vector<address> signers;  // when attested
    bool attested = false;
    uint256 nonce;
    uint64_t expiry = 0;
    hash256 digest;
    uint256 fee_total;  // wei: kernel fees and the node fee
    uint64_t total_ms = 0;
};

// Thread-safe; `record` and `recent` each take one short lock.
class ExecutionLog {
public:
    static constexpr size_t kDefaultCapacity = 256;
    static constexpr size_t kMaxResultBytes = 1024;
    static constexpr size_t kMaxReasonBytes = 1024;

    explicit ExecutionLog(size_t capacity = kDefaultCapacity);

    // Stores `record` under the next id (returned), cutting what is too long; past the
    // capacity the oldest entry is dropped.
    uint64_t record(ExecutionRecord record);
    // The `limit` newest entries, newest first.
    std::vector<ExecutionRecord> recent(size_t limit) const;
    size_t capacity() const { return capacity_; }

private:
    const size_t capacity_;
    mutable std::mutex mutex_;
    std::deque<ExecutionRecord> entries_;  // oldest first
    uint64_t next_id_ = 1;
};

std::string_view verdict_name(ExecutionRecord::Verdict verdict);
nlohmann::json execution_record_to_json(const ExecutionRecord& record);

}  // namespace krnl::engine
