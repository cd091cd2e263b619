// krnl-bench-precompiles: each precompile's gas, time per call and Mgas/s (gas charged / time),
// beside ECRECOVER's Mgas/s measured in the same run. The gas schedule prices precompiles so a
// fast implementation runs them all at roughly the same Mgas/s; one far below ECRECOVER's is a
// cheap way to slow every node down.
//   krnl-bench-precompiles [--min-ms N] [--only SUBSTRING]   (default 300 ms of calls per row)

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "common/hash.hpp"
#include "common/keccak.hpp"
#include "common/secp256k1.hpp"
#include "evm/bls12_381_curve.hpp"
#include "evm/precompiles.hpp"

using namespace krnl;
namespace bls = krnl::evm::bls12_381;

namespace {

bytes hex(std::string_view s) {
    auto b = from_hex(s);
    if (!b) {
        std::fprintf(stderr, "bad hex in the bench inputs\n");
        std::exit(1);
    }
    return *b;
}

address precompile(unsigned n) {
    address a{};
    a[18] = static_cast<uint8_t>(n >> 8);
    a[19] = static_cast<uint8_t>(n);
    return a;
}

bytes word(uint64_t v) {
    bytes out(32, 0);
    for (int i = 0; i < 8; ++i)
        out[31 - i] = static_cast<uint8_t>(v >> (8 * i));
    return out;
}

void put_fp(bytes& out, const bls::Fp& a) {
    const bls::Limbs l = bls::fp_to_limbs(a);
    bytes e(64, 0);
    for (size_t i = 0; i < 48; ++i)
        e[16 + i] = static_cast<uint8_t>(l.w[(47 - i) / 8] >> (8 * ((47 - i) % 8)));
    out += e;
}

bytes g1_bytes(const bls::G1& p) {
    const auto a = bls::to_affine(p);
    bytes out;
    put_fp(out, a.x);
    put_fp(out, a.y);
    return out;
}

bytes g2_bytes(const bls::G2& q) {
    const auto a = bls::to_affine(q);
    bytes out;
    put_fp(out, a.x.c0);
    put_fp(out, a.x.c1);
    put_fp(out, a.y.c0);
    put_fp(out, a.y.c1);
    return out;
}

// A full-width scalar (all 256 bits in use), different per index.
bytes scalar(uint64_t i) {
    const hash256 h = keccak256(word(i));
    return bytes(h.view());
}

struct Row {
    std::string name;
    unsigned address;
    bytes input;
    evm::Revision rev = evm::Revision::Osaka;
};

struct Measured {
    int64_t gas;
    double ns_per_call;
    double ecrecover_ns_per_call;  // measured interleaved with this row
};

// This thread's CPU time in ns: unlike the wall clock it does not count the time other processes
// hold the core, which on a shared machine is most of the noise.
double cpu_time_ns() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// Calls for about `ms` milliseconds of CPU time, reading the clock every `batch` calls; returns the
// total time and adds the calls made.
double run_for(const address& a, const Row& row, double ms, size_t batch, size_t& calls) {
    const double start = cpu_time_ns();
    double elapsed_ns = 0;
    do {
        for (size_t i = 0; i < batch; ++i)
            evm::run_precompile(a, row.input, 1'000'000'000, row.rev);
        calls += batch;
        elapsed_ns = cpu_time_ns() - start;
    } while (elapsed_ns < ms * 1e6);
    return elapsed_ns;
}

// Calls per clock read: reading this thread's CPU clock is a system call of about a microsecond,
// which would count in a cheap precompile's time (BN254 ADD takes about two); one read per 20 us
// or more of calls keeps it under 5%. Calls of 20 us and more read it after each call, as before.
size_t calls_per_clock_read(const address& a, const Row& row) {
    constexpr size_t kProbe = 50;
    const double start = cpu_time_ns();
    for (size_t i = 0; i < kProbe; ++i)
        evm::run_precompile(a, row.input, 1'000'000'000, row.rev);
    const double per_call = (cpu_time_ns() - start) / static_cast<double>(kProbe);
    return std::clamp<size_t>(static_cast<size_t>(20'000 / std::max(per_call, 1.0)), 1, 1000);
}

// The row and ECRECOVER in alternating slices of 10 ms of CPU time; each keeps its fastest slice
// (time per call), which is the least disturbed by other processes on a shared machine, and the
// ratio of the two is what the gas schedule is about.
Measured measure(const Row& row, const Row& ecrecover, double min_ms) {
    const address a = precompile(row.address);
    const address e = precompile(ecrecover.address);
    const auto first = evm::run_precompile(a, row.input, 1'000'000'000, row.rev);
    if (!first.success) {
        std::fprintf(stderr, "%s: the call failed\n", row.name.c_str());
        std::exit(1);
    }
    const size_t batch = calls_per_clock_read(a, row);
    const size_t ecrecover_batch = calls_per_clock_read(e, ecrecover);
    double total_ns = 0, best = 1e300, best_ecrecover = 1e300;
    while (total_ns < min_ms * 1e6) {
        size_t calls = 0, ecrecover_calls = 0;
        const double ns = run_for(a, row, 10, batch, calls);
        const double ecrecover_ns = run_for(e, ecrecover, 10, ecrecover_batch, ecrecover_calls);
        total_ns += ns;
        best = std::min(best, ns / static_cast<double>(calls));
        best_ecrecover =
            std::min(best_ecrecover, ecrecover_ns / static_cast<double>(ecrecover_calls));
    }
    return {first.gas_used, best, best_ecrecover};
}

}  // namespace

int main(int argc, char** argv) {
    double min_ms = 300;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--min-ms") == 0 && i + 1 < argc) min_ms = std::atof(argv[++i]);
        if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    }

    std::vector<Row> rows;
    {
        const auto key = *fixed_from_hex<32>(
            "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
        const hash256 digest = keccak256(hex("0x707265636f6d70696c65"));
        const auto sig = *secp256k1::sign(digest, key);
        bytes in(digest.view());
        in += word(27 + sig.y_parity);
        in += sig.r.view();
        in += sig.s.view();
        rows.push_back({"ECRECOVER", 0x01, in});
    }
    const bytes bn_g1 = word(1) + word(2);
    rows.push_back({"BN254 ADD", 0x06, bn_g1 + bn_g1});
    rows.push_back({"BN254 MUL", 0x07, bn_g1 + scalar(1)});
    // jeff1 of the ethereum/tests pairing vectors: two pairs.
    rows.push_back({"BN254 PAIRING k=2", 0x08,
                    hex("1c76476f4def4bb94541d57ebba1193381ffa7aa76ada664dd31c16024c43f593034dd2920"
                        "f673e204fee2"
                        "811c678745fc819b55d3e9d294e45c9b03a76aef41209dd15ebff5d46c4bd888e51a93cf99"
                        "a7329636c63514"
                        "396b4a452003a35bf704bf11ca01483bfa8b34b43561848d28905960114c8ac04049af4b63"
                        "15a416782bb832"
                        "4af6cfc93537a2ad1a445cfd0ca2a71acd7ac41fadbf933c2a51be344d120a2a4cf30c1bf9"
                        "845f20c6fe39e0"
                        "7ea2cce61f0c9bb048165fe5e4de877550111e129f1cf1097710d41c4ac70fcdfa5ba2023c"
                        "6ff1cbeac322de"
                        "49d1b6df7c2032c61a830e3c17286de9462bf242fca2883585b93870a73853face6a6bf411"
                        "198e9393920d48"
                        "3a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a0066"
                        "5e5c4479674322"
                        "d4f75edadd46debd5cd992f6ed090689d0585ff075ec9e99ad690c3395bc4b313370b38ef3"
                        "55acdadcd12297"
                        "5b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa")});
    {
        // MODEXP under EIP-7883: 32-byte operands with a full exponent, and 256-byte operands.
        auto modexp = [](size_t len) {
            bytes in = word(len) + word(len) + word(len);
            for (size_t part = 0; part < 3; ++part)
                for (size_t i = 0; i < len; ++i)
                    in.push_back(static_cast<uint8_t>(0xa5 ^ (i * 31 + part * 7)));
            in.back() |= 1;  // odd modulus
            return in;
        };
        rows.push_back({"MODEXP 32B", 0x05, modexp(32)});
        rows.push_back({"MODEXP 256B", 0x05, modexp(256)});
    }
    const bls::G1 g1 = bls::G1::from_affine(bls::kG1Generator);
    const bls::G2 g2 = bls::G2::from_affine(bls::kG2Generator);
    auto g1_multiple = [&](uint64_t i) { return bls::scalar_mul(g1, bls::Limbs{{i * 7919 + 3}}); };
    auto g2_multiple = [&](uint64_t i) { return bls::scalar_mul(g2, bls::Limbs{{i * 7919 + 5}}); };
    rows.push_back({"BLS G1ADD", 0x0b, g1_bytes(g1_multiple(1)) + g1_bytes(g1_multiple(2))});
    rows.push_back({"BLS G2ADD", 0x0d, g2_bytes(g2_multiple(1)) + g2_bytes(g2_multiple(2))});
    for (size_t k : {size_t{1}, size_t{2}, size_t{8}, size_t{32}, size_t{128}}) {
        bytes in1, in2;
        for (size_t i = 0; i < k; ++i) {
            in1 += g1_bytes(g1_multiple(i)) + scalar(i);
            in2 += g2_bytes(g2_multiple(i)) + scalar(i);
        }
        rows.push_back({"BLS G1MSM k=" + std::to_string(k), 0x0c, in1});
        rows.push_back({"BLS G2MSM k=" + std::to_string(k), 0x0e, in2});
    }
    for (size_t k : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
        bytes in;
        for (size_t i = 0; i < k; ++i)
            in += g1_bytes(g1_multiple(i)) + g2_bytes(g2_multiple(i));
        rows.push_back({"BLS PAIRING k=" + std::to_string(k), 0x0f, in});
    }
    // Field elements below p: 17 zero bytes, then 47 bytes of data.
    auto field_element = [&](uint64_t i) { return bytes(17, 0) + scalar(i) + bytes(15, 0x11); };
    rows.push_back({"BLS MAP_FP_TO_G1", 0x10, field_element(9)});
    rows.push_back({"BLS MAP_FP2_TO_G2", 0x11, field_element(9) + field_element(10)});
    {
        // p(X) = X opened at z (see src/evm/kzg_test.cpp): commitment [tau]G1, y = z, proof [1]G1
        // for every z. z is a full-width scalar below r, as a blob's evaluation point is: a small
        // z (an earlier version used 5) leaves out most of the two scalar multiplications.
        const bytes commitment =
            hex("ad3eb50121139aa34db1d545093ac9374ab7bca2c0f3bf28e27c8dcd8fc7cb42d25926fc0c97b336e9"
                "f0fb35"
                "e5a04c81");
        const bytes proof =
            hex("97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb"
                "3af00a"
                "db22c6bb");
        const bytes z = hex("63bda402fffe5bfeffffffff00000000ffffffff0123456789abcdef0fedcba9");
        hash256 vh = sha256(commitment);
        vh[0] = 0x01;
        rows.push_back(
            {"KZG POINT_EVALUATION", 0x0a, bytes(vh.view()) + z + z + commitment + proof});
    }

    std::printf("%-22s %10s %12s %9s %9s\n", "precompile", "gas", "ns/call", "Mgas/s", "vs ecrec");
    const Row& ecrecover = rows.front();
    for (const Row& row : rows) {
        if (!only.empty() && &row != &ecrecover && row.name.find(only) == std::string::npos)
            continue;
        const Measured m = measure(row, ecrecover, min_ms);
        const double mgas = static_cast<double>(m.gas) / m.ns_per_call * 1e3;
        const double ecrecover_mgas = 3000.0 / m.ecrecover_ns_per_call * 1e3;
        std::printf("%-22s %10lld %12.0f %9.1f %8.2fx\n", row.name.c_str(),
                    static_cast<long long>(m.gas), m.ns_per_call, mgas, mgas / ecrecover_mgas);
    }
    return 0;
}
