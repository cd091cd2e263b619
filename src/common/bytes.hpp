// Byte strings and the fixed-size byte types of Ethereum: addresses and 32-byte words.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace krnl {

using bytes = std::basic_string<uint8_t>;
using bytes_view = std::basic_string_view<uint8_t>;

inline bytes_view as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A fixed-size big-endian byte array (addresses, hashes, storage keys as raw bytes).
template <size_t N>
struct fixed_bytes {
    uint8_t bytes[N]{};

    static constexpr size_t size() { return N; }
    constexpr uint8_t* data() { return bytes; }
    constexpr const uint8_t* data() const { return bytes; }
    constexpr uint8_t& operator[](size_t i) { return bytes[i]; }
    constexpr const uint8_t& operator[](size_t i) const { return bytes[i]; }
    operator bytes_view() const { return {bytes, N}; }
    bytes_view view() const { return {bytes, N}; }

    bool is_zero() const {
        for (auto b : bytes)
            if (b != 0) return false;
        return true;
    }

    // Copies `v` right-aligned (as Ethereum left-pads numbers); longer input keeps its tail.
    static fixed_bytes from_view(bytes_view v) {
        fixed_bytes r;
        if (v.size() >= N)
            std::memcpy(r.bytes, v.data() + v.size() - N, N);
        else
            std::memcpy(r.bytes + N - v.size(), v.data(), v.size());
        return r;
    }

    friend bool operator==(const fixed_bytes& a, const fixed_bytes& b) {
        return std::memcmp(a.bytes, b.bytes, N) == 0;
    }
    friend std::strong_ordering operator<=>(const fixed_bytes& a, const fixed_bytes& b) {
        return std::memcmp(a.bytes, b.bytes, N) <=> 0;
    }
};

using address = fixed_bytes<20>;
using bytes32 = fixed_bytes<32>;
using hash256 = bytes32;

// Hex codec. `to_hex` writes lowercase with a 0x prefix; `from_hex` accepts an optional 0x prefix
// and an even number of digits, and returns nullopt on anything else.
std::string to_hex(bytes_view data, bool prefix = true);
std::optional<bytes> from_hex(std::string_view hex);

template <size_t N>
std::string to_hex(const fixed_bytes<N>& v, bool prefix = true) {
    return to_hex(v.view(), prefix);
}

// Parses exactly N bytes of hex (with optional 0x); nullopt when the length differs.
template <size_t N>
std::optional<fixed_bytes<N>> fixed_from_hex(std::string_view hex) {
    auto b = from_hex(hex);
    if (!b || b->size() != N) return std::nullopt;
    fixed_bytes<N> r;
    std::memcpy(r.bytes, b->data(), N);
    return r;
}

}  // namespace krnl

template <size_t N>
struct std::hash<krnl::fixed_bytes<N>> {
    size_t operator()(const krnl::fixed_bytes<N>& v) const noexcept {
        // Addresses and hashes are already uniformly distributed; fold a few words.
        uint64_t a, b;
        std::memcpy(&a, v.bytes, 8);
        std::memcpy(&b, v.bytes + N - 8, 8);
        return static_cast<size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
    }
};
