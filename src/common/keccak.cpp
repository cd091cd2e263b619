#include "common/keccak.hpp"

#include <bit>
#include <cstring>

namespace krnl {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008};

// Rotation offsets and lane order of the combined rho-pi step, walking the pi cycle from lane 1.
constexpr int kRho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                          27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                         15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

constexpr size_t kRate = 136;  // bytes absorbed per permutation for a 256-bit capacity of 512

}  // namespace

void keccak_f1600(uint64_t a[25]) {
    for (uint64_t rc : kRoundConstants) {
        uint64_t c[5];
        for (int x = 0; x < 5; ++x)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; ++x) {
            uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                a[y + x] ^= d;
        }
        uint64_t t = a[1];
        for (int i = 0; i < 24; ++i) {
            uint64_t next = a[kPi[i]];
            a[kPi[i]] = std::rotl(t, kRho[i]);
            t = next;
        }
        for (int y = 0; y < 25; y += 5) {
            uint64_t row[5];
            for (int x = 0; x < 5; ++x)
                row[x] = a[y + x];
            for (int x = 0; x < 5; ++x)
                a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
        }
        a[0] ^= rc;
    }
}

hash256 keccak256(bytes_view data) {
    static_assert(std::endian::native == std::endian::little, "lanes are loaded little-endian");
    uint64_t state[25] = {};
    const uint8_t* p = data.data();
    size_t n = data.size();
    while (n >= kRate) {
        for (size_t i = 0; i < kRate / 8; ++i) {
            uint64_t lane;
            std::memcpy(&lane, p + 8 * i, 8);
            state[i] ^= lane;
        }
        keccak_f1600(state);
        p += kRate;
        n -= kRate;
    }
    uint8_t last[kRate] = {};
    if (n != 0) std::memcpy(last, p, n);  // p may be null for empty input
    last[n] ^= 0x01;
    last[kRate - 1] ^= 0x80;
    for (size_t i = 0; i < kRate / 8; ++i) {
        uint64_t lane;
        std::memcpy(&lane, last + 8 * i, 8);
        state[i] ^= lane;
    }
    keccak_f1600(state);
    hash256 out;
    std::memcpy(out.bytes, state, 32);
    return out;
}

}  // namespace krnl
