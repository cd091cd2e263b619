// Code analysis done once per distinct code: the code padded so the interpreter never checks
// bounds, and the bitmap of valid jump destinations.
#pragma once

#include <list>
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

    // The heap bytes this analysis holds (what a cache of analyses is bounded by).
    size_t heap_bytes() const { return padded_.capacity() + jumpdests_.capacity() * 8; }

    bool is_jumpdest(uint64_t offset) const {
        return offset < code_size_ && (jumpdests_[offset / 64] >> (offset % 64) & 1) != 0;
    }

private:
    bytes padded_;
    size_t code_size_;
    std::vector<uint64_t> jumpdests_;
};

// Analyses shared across executions, keyed by code hash. Thread-safe; bounded by the bytes its
// analyses hold (padded code and jump-destination maps), evicting the least recently used: any
// caller can make code of their own analysed (eth_call with code overrides), and a count bound
// alone let megabyte-sized codes add up to gigabytes. An analysis larger than the whole budget is
// handed out without being kept. Analyses in use stay alive while used, whatever is evicted.
class AnalysisCache {
public:
    static constexpr size_t kDefaultMaxBytes = size_t{64} << 20;

    explicit AnalysisCache(size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

    std::shared_ptr<const CodeAnalysis> get(const hash256& code_hash, bytes_view code);

    // Changes the bound, evicting at once what no longer fits.
    void set_max_bytes(size_t max_bytes);
    size_t max_bytes() const;
    // What the kept analyses account for, and how many there are.
    size_t bytes() const;
    size_t size() const;

private:
    struct Entry {
        std::shared_ptr<const CodeAnalysis> analysis;
        std::list<hash256>::iterator recency;  // position in recency_
    };
    // What one kept analysis costs: its buffers plus the bookkeeping around them.
    static size_t footprint(const CodeAnalysis& a);
    void evict_to(size_t max_bytes);  // with mutex_ held

    mutable std::mutex mutex_;
    size_t max_bytes_;
    size_t bytes_ = 0;
    std::list<hash256> recency_;  // most recently used first
    std::unordered_map<hash256, Entry> entries_;
};

}  // namespace krnl::evm
