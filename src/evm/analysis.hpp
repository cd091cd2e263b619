// Code analysis done once per distinct code: the code padded so the interpreter never checks
// bounds, and the bitmap of valid jump destinations.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/bytes.hpp"

namespace krnl::evm {

class CodeAnalysis {
public:
    explicit CodeAnalysis(bytes_view code);

    // The original code followed by at least 33 zero bytes: a trailing PUSH32 reads zeros and the
    // byte after it is STOP, so the dispatch loop needs no end-of-code check.
    const uint8_t* padded_code() const { return padded_.data(); }
    size_t code_size() const { return code_size_; }
    bytes_view code() const { return {padded_.data(), code_size_}; }

    bool is_jumpdest(uint64_t offset) const {
        return offset < code_size_ && (jumpdests_[offset / 64] >> (offset % 64) & 1) != 0;
    }

private:
    bytes padded_;
    size_t code_size_;
    std::vector<uint64_t> jumpdests_;
};

// Analyses shared across executions, keyed by code hash. Thread-safe; bounded by evicting
// everything once it holds `max_entries` (analysis is cheap to redo, unbounded growth is not).
class AnalysisCache {
public:
    explicit AnalysisCache(size_t max_entries = 4096) : max_entries_(max_entries) {}

    std::shared_ptr<const CodeAnalysis> get(const hash256& code_hash, bytes_view code);

private:
    std::mutex mutex_;
    size_t max_entries_;
    std::unordered_map<hash256, std::shared_ptr<const CodeAnalysis>> entries_;
};

}  // namespace krnl::evm
