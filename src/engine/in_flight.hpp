// A bound on work in flight (engine requests, kernels): slots taken before the work starts and
// given back when it ends, refused rather than queued past the limit, so a flood gets a clear
// error at once instead of threads and memory piling up behind it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

namespace krnl::engine {

class InFlightLimit {
public:
    explicit InFlightLimit(size_t limit) : limit_(limit) {}  // 0: unbounded

    // Takes `n` slots, or none when fewer than `n` are free.
    bool try_acquire(size_t n) {
        size_t now = used_.load(std::memory_order_relaxed);
        do {
            if (limit_ != 0 && (n > limit_ || now > limit_ - n)) return false;
        } while (!used_.compare_exchange_weak(now, now + n, std::memory_order_acq_rel));
        return true;
    }
    void release(size_t n) { used_.fetch_sub(n, std::memory_order_acq_rel); }
    size_t in_flight() const { return used_.load(std::memory_order_relaxed); }
    size_t limit() const { return limit_; }

    // One slot for a scope.
    class Ticket {
    public:
        Ticket() = default;
        explicit Ticket(InFlightLimit* owner) : owner_(owner) {}
        Ticket(Ticket&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
        Ticket& operator=(Ticket&& other) noexcept {
            if (this != &other) {
                if (owner_) owner_->release(1);
                owner_ = std::exchange(other.owner_, nullptr);
            }
            return *this;
        }
        ~Ticket() {
            if (owner_) owner_->release(1);
        }

    private:
        InFlightLimit* owner_ = nullptr;
    };
    std::optional<Ticket> ticket() {
        if (!try_acquire(1)) return std::nullopt;
        return Ticket(this);
    }

private:
    const size_t limit_;
    std::atomic<size_t> used_{0};
};

}  // namespace krnl::engine
