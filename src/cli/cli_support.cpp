#include "cli/cli_support.hpp"

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "rpc/params.hpp"

namespace krnl::cli {

void fail(const std::string& message, int code) {
    std::cerr << "krnl: " << message << "\n";
    std::exit(code);
}

std::string required(const Args& a, const std::string& name) {
    auto v = a.option(name);
    if (!v) fail("--" + name + " is required", 2);
    return *v;
}

json call(rpc::Client& client, const std::string& method, json params) {
    auto r = client.call(method, std::move(params));
    if (!r) {
        std::string message = r.error().message;
        if (r.error().data) message += "\n  data: " + r.error().data->dump();
        fail(method + " failed (" + std::to_string(r.error().code) + "): " + message);
    }
    return *r;
}

address parse_addr(const std::string& text, const std::string& what) {
    auto a = rpc::parse_address(json(text));
    if (!a) fail(what + ": " + a.error(), 2);
    return *a;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail("cannot read " + path, 2);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

json transact(rpc::Client& client, const address& from, const address& to, const bytes& data) {
    const json hash =
        call(client, "eth_sendTransaction",
             json::array({{{"from", to_hex(from)}, {"to", to_hex(to)}, {"data", to_hex(data)}}}));
    for (int i = 0; i < 600; ++i) {
        json receipt = call(client, "eth_getTransactionReceipt", json::array({hash}));
        if (!receipt.is_null()) {
            if (receipt["status"] != "0x1")
                fail("transaction " + hash.get<std::string>() + " reverted");
            return receipt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    fail("transaction " + hash.get<std::string>() + " was not mined within a minute");
}

}  // namespace krnl::cli
