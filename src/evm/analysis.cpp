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
