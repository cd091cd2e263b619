// krnl: the command line of a running krnld (or any node serving krnl_*). A JSON-RPC client: it
// registers kernels and apps with transactions from an unlocked (dev) account, and asks the node's
// engine to execute kernels. The kernel author's toolkit (kernels validate / test) and the starter
// project (init app) live in kernels_command.cpp and init_app.cpp.
#include <iostream>
#include <sstream>

#include "cli/cli_support.hpp"
#include "common/abi.hpp"
#include "rpc/params.hpp"

using namespace krnl;
using namespace krnl::cli;

namespace {

void usage(std::ostream& out) {
    out << "usage: krnl [--rpc URL] [--json] COMMAND\n"
           "\n"
           "  node-info                                   the node's signer, home chain, registry\n"
           "  kernels list                                every registered kernel\n"
           "  kernels get ID                              one kernel with its spec\n"
           "  kernels register --spec FILE --fee WEI --from ADDR\n"
           "                                              register a kernel (kind from the spec)\n"
           "  kernels validate --spec FILE                check a spec offline: kind, specHash,\n"
           "                                              canonical form (exit 1 naming the "
           "field)\n"
           "  kernels test --spec FILE [--sender ADDR] [--app ADDR] [--function SIG --args HEX]\n"
           "               [--input VALUE ...]            run a spec once on the node, "
           "unregistered\n"
           "                                              (krnl_dryRunKernel): result and timing\n"
           "  apps register --app ADDR --authority ADDR --kernels ID,ID --from ADDR\n"
           "                                              register an app (ADDR must be its "
           "owner)\n"
           "  quote --app ADDR --kernels ID,ID            the fees of an execution\n"
           "  execute --request FILE                      run kernels for a call: responses, the\n"
           "                                              policy verdict and the payload\n"
           "  init app [DIR] [--name NAME] [--krnl-root DIR]\n"
           "                                              write a starter app: contract, policy,\n"
           "                                              kernel spec, run.mjs on the SDK\n"
           "\n"
           "  --rpc URL   the node (default http://127.0.0.1:8545)\n"
           "  --json      print the node's answers as JSON, for scripts\n";
}

// "1,2,3" as a uint256[] value.
abi::Value parse_ids(const std::string& list) {
    abi::ValueList ids;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');) {
        auto v = parse_uint256(item);
        if (!v) fail("not a kernel id: " + item, 2);
        ids.emplace_back(*v);
    }
    return abi::Value(std::move(ids));
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    std::string url = "http://127.0.0.1:8545";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(std::cout);
            return 0;
        } else if (a == "--json") {
            args.as_json = true;
        } else if (a.starts_with("--")) {
            if (i + 1 >= argc) fail(a + " needs a value", 2);
            if (a == "--rpc")
                url = argv[++i];
            else
                args.options[a.substr(2)].push_back(argv[++i]);
        } else {
            args.words.push_back(a);
        }
    }
    if (args.words.empty()) {
        usage(std::cerr);
        return 2;
    }
    rpc::Client client(url);
    auto print = [&](const json& answer, const std::function<void()>& human) {
        if (args.as_json)
            std::cout << answer.dump(2) << "\n";
        else
            human();
    };
    const std::string command = args.words[0] + (args.words.size() > 1 ? " " + args.words[1] : "");

    if (command == "kernels validate") return kernels_validate(args);
    if (command == "kernels test") return kernels_test(client, args);
    if (command == "init app") return init_app(args);
    if (command == "node-info") {
        const json info = call(client, "krnl_nodeInfo", json::array());
        print(info, [&] {
            for (const auto& [k, v] : info.items())
                std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
        });
    } else if (command == "kernels list") {
        const json list = call(client, "krnl_listKernels", json::array());
        print(list, [&] {
            if (list.empty()) std::cout << "no kernels registered\n";
            for (const json& k : list)
                std::cout << k.value("id", json()).dump() << "  "
                          << k.value("kind", std::string("?")) << "  fee "
                          << k.value("fee", json()).dump() << "  "
                          << (k.value("active", false) ? "active" : "inactive") << "  owner "
                          << k.value("owner", std::string()) << "\n";
        });
    } else if (command == "kernels get") {
        if (args.words.size() < 3) fail("kernels get needs an id", 2);
        const auto id = parse_uint256(args.words[2]);
        if (!id) fail("not a kernel id: " + args.words[2], 2);
        const json k = call(client, "krnl_getKernel", json::array({rpc::to_quantity(*id)}));
        print(k, [&] { std::cout << k.dump(2) << "\n"; });
    } else if (command == "kernels register") {
        const json spec = json::parse(read_file(required(args, "spec")), nullptr, false);
        if (spec.is_discarded() || !spec.is_object()) fail("the spec is not a JSON object", 2);
        const std::string kind = spec.value("kind", std::string());
        const uint64_t kind_id = kind == "evm-read"      ? 0
                                 : kind == "http"        ? 1
                                 : kind == "evm-compute" ? 2
                                                         : 99;
        if (kind_id == 99) fail("the spec's kind must be evm-read, http or evm-compute", 2);
        auto fee = parse_uint256(required(args, "fee"));
        if (!fee) fail("--fee: not a number of wei", 2);
        const json info = call(client, "krnl_nodeInfo", json::array());
        const address registry = parse_addr(info["registry"], "registry");
        // The canonical text: keys sorted, no whitespace (what the engine hashes).
        const std::string text = spec.dump();
        const bytes spec_bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
        const abi::Value values[] = {abi::Value(uint256(kind_id)), abi::Value(spec_bytes),
                                     abi::Value(*fee)};
        auto data = abi::encode_call("registerKernel(uint8,bytes,uint256)", values);
        if (!data) fail(data.error());
        const json receipt =
            transact(client, parse_addr(required(args, "from"), "--from"), registry, *data);
        // KernelRegistered(uint256 indexed id, ...): the id is the first indexed topic.
        for (const json& log : receipt["logs"])
            if (log["address"] == to_hex(registry) && log["topics"].size() >= 2) {
                const auto topic = from_hex(log["topics"][1].get<std::string>());
                const std::string id = topic ? to_string(uint256::from_be(*topic)) : "?";
                print(json{{"id", id}, {"transactionHash", receipt["transactionHash"]}}, [&] {
                    std::cout << "kernel " << id << " registered in "
                              << receipt["transactionHash"].get<std::string>() << "\n";
                });
                return 0;
            }
        fail("the registration emitted no KernelRegistered event");
    } else if (command == "apps register") {
        const json info = call(client, "krnl_nodeInfo", json::array());
        const address registry = parse_addr(info["registry"], "registry");
        std::vector<abi::Value> values = {
            abi::Value(parse_addr(required(args, "app"), "--app")),
            abi::Value(parse_addr(required(args, "authority"), "--authority"))};
        values.push_back(parse_ids(required(args, "kernels")));
        auto data = abi::encode_call("registerApp(address,address,uint256[])", values);
        if (!data) fail(data.error());
        const json receipt =
            transact(client, parse_addr(required(args, "from"), "--from"), registry, *data);
        print(receipt, [&] {
            std::cout << "app registered in " << receipt["transactionHash"].get<std::string>()
                      << "\n";
        });
    } else if (command == "quote") {
        json ids = json::array();
        std::stringstream in(required(args, "kernels"));
        for (std::string item; std::getline(in, item, ',');)
            ids.push_back(item);
        const json quote = call(client, "krnl_quote", json::array({required(args, "app"), ids}));
        print(quote, [&] { std::cout << quote.dump(2) << "\n"; });
    } else if (command == "execute") {
        const json request = json::parse(read_file(required(args, "request")), nullptr, false);
        if (request.is_discarded()) fail("the request is not JSON", 2);
        const json result = call(client, "krnl_executeKernels", json::array({request}));
        print(result, [&] {
            for (const json& r : result.value("responses", json::array()))
                std::cout << "kernel " << r.value("kernelId", json()).dump() << ": "
                          << (r.value("err", std::string()).empty()
                                  ? "ok " + r.value("result", std::string())
                                  : "error: " + r.value("err", std::string()))
                          << "\n";
            std::cout << "policy: accepted\n";
            std::cout << "signers: " << result.value("signers", json::array()).dump() << "\n";
            std::cout << "payload: " << result.value("payload", std::string()) << "\n";
        });
    } else {
        fail("unknown command: " + command + " (krnl --help)", 2);
    }
    return 0;
}
