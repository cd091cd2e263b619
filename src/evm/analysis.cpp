#include "evm/analysis.hpp"

#include "evm/instructions.hpp"

namespace krnl::evm {

CodeAnalysis::CodeAnalysis(bytes_view code)
    : padded_(code.size() + 33, 0), code_size_(code.size()), jumpdests_(code.size() / 64 + 1, 0) {
    std::copy(code.begin(), code.end(), padded_.begin());
    for (size_t i = 0; i < code.size(); ++i) {
        const uint8_t op = code[i];
        if (op == OP_JUMPDEST)
            jumpdests_[i / 64] |= uint64_t{1} << (i % 64);
        else if (op >= OP_PUSH1 && op <= OP_PUSH32)
            i += op - OP_PUSH1 + 1;
    }
}

size_t AnalysisCache::footprint(const CodeAnalysis& a) {
    // The analysis object and its control block, a map node, a list node: about 160 bytes.
    constexpr size_t kOverhead = sizeof(CodeAnalysis) + 128;
    return a.heap_bytes() + kOverhead;
}

std::shared_ptr<const CodeAnalysis> AnalysisCache::get(const hash256& code_hash, bytes_view code) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(code_hash); it != entries_.end()) {
            recency_.splice(recency_.begin(), recency_, it->second.recency);
            return it->second.analysis;
        }
    }
    // Analysed outside the lock: other threads' lookups do not wait for a large code.
    auto analysis = std::make_shared<const CodeAnalysis>(code);
    const size_t cost = footprint(*analysis);
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(code_hash); it != entries_.end()) return it->second.analysis;
    if (cost > max_bytes_) return analysis;
    evict_to(max_bytes_ - cost);
    recency_.push_front(code_hash);
    entries_.emplace(code_hash, Entry{analysis, recency_.begin()});
    bytes_ += cost;
    return analysis;
}

void AnalysisCache::evict_to(size_t max_bytes) {
    while (bytes_ > max_bytes && !recency_.empty()) {
        auto it = entries_.find(recency_.back());
        bytes_ -= footprint(*it->second.analysis);
        entries_.erase(it);
        recency_.pop_back();
    }
}

void AnalysisCache::set_max_bytes(size_t max_bytes) {
    std::lock_guard lock(mutex_);
    max_bytes_ = max_bytes;
    evict_to(max_bytes);
}

size_t AnalysisCache::max_bytes() const {
    std::lock_guard lock(mutex_);
    return max_bytes_;
}

size_t AnalysisCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

size_t AnalysisCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace krnl::evm
