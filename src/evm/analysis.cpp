#include "evm/analysis.hpp"

#include "evm/instructions.hpp"

namespace krnl::evm {

CodeAnalysis::CodeAnalysis(bytes_view code)
    : code_size_(code.size()), jumpdests_(code.size() / 64 + 1, 0) {
    padded_.reserve(code.size() + 33);
    padded_.append(code);
    padded_.append(33, 0);
    for (size_t i = 0; i < code.size(); ++i) {
        // PUSH1..PUSH32 first, as one unsigned range check: they are far more common than
        // JUMPDEST, and their data must be skipped.
        const uint8_t op = code[i];
        if (static_cast<uint8_t>(op - OP_PUSH1) <= OP_PUSH32 - OP_PUSH1)
            i += op - OP_PUSH1 + 1;
        else if (op == OP_JUMPDEST) [[unlikely]]
            jumpdests_[i / 64] |= uint64_t{1} << (i % 64);
    }
}

std::shared_ptr<const CodeAnalysis> AnalysisCache::get(const hash256& code_hash, bytes_view code) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(code_hash); it != entries_.end()) return it->second;
    }
    auto analysis = std::make_shared<const CodeAnalysis>(code);
    std::lock_guard lock(mutex_);
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_.emplace(code_hash, analysis);
    return analysis;
}

}  // namespace krnl::evm
