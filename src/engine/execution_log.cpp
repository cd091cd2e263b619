#include "engine/execution_log.hpp"

#include <algorithm>

#include "rpc/params.hpp"

namespace krnl::engine {

ExecutionLog::ExecutionLog(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {}

uint64_t ExecutionLog::record(ExecutionRecord r) {
    for (auto& k : r.kernels) {
        if (k.result.size() > kMaxResultBytes) {
            k.result.resize(kMaxResultBytes);
            k.result_truncated = true;
        }
        if (k.err.size() > kMaxReasonBytes) k.err.resize(kMaxReasonBytes);
    }
    if (r.reason.size() > kMaxReasonBytes) r.reason.resize(kMaxReasonBytes);
    std::lock_guard lock(mutex_);
    r.id = next_id_++;
    if (entries_.size() == capacity_) entries_.pop_front();
    entries_.push_back(std::move(r));
    return entries_.back().id;
}

std::vector<ExecutionRecord> ExecutionLog::recent(size_t limit) const {
    std::lock_guard lock(mutex_);
    const size_t n = std::min(limit, entries_.size());
    return {entries_.rbegin(), entries_.rbegin() + static_cast<std::ptrdiff_t>(n)};
}

std::string_view verdict_name(ExecutionRecord::Verdict verdict) {
    switch (verdict) {
        case ExecutionRecord::Verdict::Approved:
            return "approved";
        case ExecutionRecord::Verdict::Refused:
            return "refused";
        case ExecutionRecord::Verdict::Failed:
            break;
    }
    return "failed";
}

nlohmann::json execution_record_to_json(const ExecutionRecord& r) {
    using nlohmann::json;
    json kernels = json::array(), signers = json::array();
    for (const auto& k : r.kernels) {
        json o = {{"kernelId", rpc::to_quantity(k.id)}, {"result", to_hex(k.result)}};
        if (k.result_truncated) o["resultTruncated"] = true;
        if (!k.err.empty()) o["error"] = k.err;
        o["ms"] = k.ms ? json(*k.ms) : json(nullptr);
        kernels.push_back(std::move(o));
    }
    for (const auto& s : r.signers)
        signers.push_back(to_hex(s));
    json out = {{"id", r.id},
                {"timestamp", r.timestamp_ms},
                {"app", to_hex(r.app)},
                {"sender", to_hex(r.sender)},
                {"chainId", rpc::to_quantity(r.chain_id)},
                {"function", r.function},
                {"binding", r.call_binding ? "call" : "payload"},
                {"kernels", kernels},
                {"verdict", verdict_name(r.verdict)},
                {"reason", r.reason},
                {"errorCode", r.error_code ? json(*r.error_code) : json(nullptr)},
                {"attested", r.attested},
                {"signers", signers},
                {"totalMs", r.total_ms}};
    if (r.attested) {
        out["nonce"] = rpc::to_quantity(r.nonce);
        out["expiry"] = r.expiry;
        out["digest"] = to_hex(r.digest);
        out["feeTotal"] = rpc::to_quantity(r.fee_total);
    }
    return out;
}

}  // namespace krnl::engine
