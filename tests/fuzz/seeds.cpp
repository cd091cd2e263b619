// Writes the seed corpus of one fuzz target into a directory, from the shared fixtures (read where
// they are, never copied into the repository) and from the hand-written inputs in seeds/:
//
//   fuzz_seeds TARGET FIXTURES_DIR REPO_SEEDS_DIR OUT_DIR
//
// Fixture files are large, so each source reads an evenly spaced sample of its files.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/abi.hpp"
#include "common/bytes.hpp"
#include "engine/attestation.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace krnl;

namespace {

struct Writer {
    fs::path dir;
    size_t limit;
    std::set<std::string> written;  // no duplicates: libFuzzer would only merge them away

    bool full() const { return written.size() >= limit; }
    void add(std::string_view content) {
        if (full() || content.empty() || !written.insert(std::string(content)).second) return;
        std::ofstream(dir / ("seed-" + std::to_string(written.size())), std::ios::binary)
            << content;
    }
    void add(bytes_view content) {
        add(std::string_view(reinterpret_cast<const char*>(content.data()), content.size()));
    }
};

// Up to `max_files` JSON files under `root`, evenly spaced in name order.
std::vector<fs::path> sample(const fs::path& root, size_t max_files) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    if (files.size() <= max_files) return files;
    std::vector<fs::path> picked;
    for (size_t i = 0; i < max_files; ++i)
        picked.push_back(files[i * files.size() / max_files]);
    return picked;
}

// Calls `fn` with every string found under a member named `key` (directly, or in an array).
void collect(const json& value, const std::string& key,
             const std::function<void(const std::string&)>& fn) {
    if (value.is_object()) {
        for (const auto& [name, member] : value.items()) {
            if (name == key && member.is_string()) fn(member.get<std::string>());
            if (name == key && member.is_array()) {
                for (const json& item : member)
                    if (item.is_string()) fn(item.get<std::string>());
            }
            collect(member, key, fn);
        }
    } else if (value.is_array()) {
        for (const json& item : value)
            collect(item, key, fn);
    }
}

// Hex strings under `key` in a sample of the files under `root`, decoded and passed to `fn`.
void from_fixtures(const fs::path& root, size_t max_files, const std::string& key,
                   const std::function<void(bytes_view)>& fn) {
    for (const fs::path& file : sample(root, max_files)) {
        std::ifstream in(file);
        json document = json::parse(in, nullptr, false);
        if (document.is_discarded()) continue;
        collect(document, key, [&](const std::string& text) {
            if (auto decoded = from_hex(text)) fn(*decoded);
        });
    }
}

void from_repo(const fs::path& dir, Writer& out) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        out.add(content.view());
    }
}

// Payloads like the engine's: 0..3 responses, 0..2 signatures (the bytes need not verify).
void attestation_payloads(Writer& out) {
    for (size_t responses = 0; responses <= 3; ++responses) {
        engine::Attestation a;
        a.chain_id = 31337;
        a.app = address{{0xaa}};
        a.sender = address{{0x5e}};
        a.selector = fixed_bytes<4>{{0x12, 0x34, 0x56, 0x78}};
        a.nonce = uint256(responses + 1) << 200;
        a.expiry = 1'700'000'000 + responses;
        for (size_t i = 0; i < responses; ++i) {
            a.responses.push_back({uint256(i + 1), bytes(32 * (i + 1), uint8_t(i)),
                                   i == 2 ? "kernel timed out" : ""});
            a.fees.kernel_ids.push_back(uint256(i + 1));
            a.fees.kernel_fees.push_back(uint256(1000 * (i + 1)));
        }
        a.fees.node_fee = 3500;
        out.add(engine::encode_payload(a, bytes(65 * (responses % 3), 0x1b)));
    }
}

// State-test call data decoded under a few type lists ("types\n" + data without the selector).
void abi_inputs(const fs::path& fixtures, Writer& out) {
    const char* type_lists[] = {"uint256,address,bytes", "bytes[]",
                                "(uint256,bytes)[]",     "string,uint8[3]",
                                "address[],bytes32",     "(bool,(bytes,string)[])"};
    size_t n = 0;
    from_fixtures(fixtures / "ethereum-tests/GeneralStateTests", 60, "data", [&](bytes_view data) {
        if (data.size() < 4) return;
        std::string input = type_lists[n++ % std::size(type_lists)];
        input += '\n';
        input.append(reinterpret_cast<const char*>(data.data()) + 4, data.size() - 4);
        out.add(std::string_view(input));
    });
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: fuzz_seeds TARGET FIXTURES_DIR REPO_SEEDS_DIR OUT_DIR\n";
        return 2;
    }
    const std::string target = argv[1];
    const fs::path fixtures = argv[2];
    const fs::path repo_seeds = fs::path(argv[3]) / target;
    const fs::path out_dir = argv[4];
    fs::create_directories(out_dir);
    Writer out{out_dir, 2000, {}};
    const auto write = [&](bytes_view b) { out.add(b); };
    const fs::path tests = fixtures / "ethereum-tests";
    const fs::path eest = fixtures / "eest-v5.4.0";

    if (target == "fuzz_rlp") {
        from_fixtures(tests / "RLPTests", 100, "out", write);
        from_fixtures(tests / "TransactionTests", 20, "txbytes", write);
        from_fixtures(tests / "BlockchainTests/ValidBlocks", 10, "rlp", write);
    } else if (target == "fuzz_transaction") {
        from_fixtures(tests / "TransactionTests", 300, "txbytes", write);
        from_fixtures(eest / "state_tests/cancun/eip4844_blobs", 10, "txbytes", write);
        from_fixtures(eest / "state_tests/prague/eip7702_set_code_tx", 15, "txbytes", write);
        from_fixtures(eest / "state_tests/berlin", 5, "txbytes", write);
        from_fixtures(eest / "state_tests/london", 5, "txbytes", write);
    } else if (target == "fuzz_block") {
        from_fixtures(tests / "BlockchainTests/ValidBlocks", 40, "rlp", write);
        from_fixtures(tests / "BlockchainTests/InvalidBlocks", 20, "rlp", write);
        from_fixtures(eest / "blockchain_tests", 10, "rlp", write);
    } else if (target == "fuzz_abi") {
        abi_inputs(fixtures, out);
    } else if (target == "fuzz_attestation") {
        attestation_payloads(out);
    } else if (target == "fuzz_json_rpc") {
        // Signed transactions of every type as eth_sendRawTransaction requests.
        size_t id = 0;
        from_fixtures(eest / "state_tests/prague/eip7702_set_code_tx", 3, "txbytes",
                      [&](bytes_view tx) {
                          if (id >= 20) return;
                          json request = {{"jsonrpc", "2.0"},
                                          {"id", ++id},
                                          {"method", "eth_sendRawTransaction"},
                                          {"params", {to_hex(tx)}}};
                          out.add(std::string_view(request.dump()));
                      });
    }
    if (fs::is_directory(repo_seeds)) from_repo(repo_seeds, out);
    std::cout << target << ": " << out.written.size() << " seeds in " << out_dir.string() << "\n";
    return 0;
}
