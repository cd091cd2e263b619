// What the krnl command's subcommands share: parsed arguments, failing with a message, JSON-RPC
// calls whose errors end the command, files and transactions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "rpc/client.hpp"

namespace krnl::cli {

using rpc::json;

struct Args {
    std::vector<std::string> words;
    // Every value of each --option, in order (--input may repeat).
    std::map<std::string, std::vector<std::string>> options;
    bool as_json = false;

    std::optional<std::string> option(const std::string& name) const {
        auto it = options.find(name);
        return it == options.end() ? std::nullopt : std::optional(it->second.back());
    }
    std::vector<std::string> all(const std::string& name) const {
        auto it = options.find(name);
        return it == options.end() ? std::vector<std::string>{} : it->second;
    }
};

[[noreturn]] void fail(const std::string& message, int code = 1);
std::string required(const Args& a, const std::string& name);
// The call's result; an error ends the command with its code, message and data.
json call(rpc::Client& client, const std::string& method, json params);
address parse_addr(const std::string& text, const std::string& what);
std::string read_file(const std::string& path);
// Sends a transaction from an unlocked account and waits for its receipt.
json transact(rpc::Client& client, const address& from, const address& to, const bytes& data);

// krnl kernels validate / krnl kernels test (kernels_command.cpp)
int kernels_validate(const Args& args);
int kernels_test(rpc::Client& client, const Args& args);
// krnl init app (init_app.cpp)
int init_app(const Args& args);

}  // namespace krnl::cli
