// A fake chain for the engine's tests: the registry, vault, token authority and policy of one
// chain answering the service's view calls from canned data (service_test,
// account_attestation_test).
#pragma once

#include <map>
#include <mutex>
#include <set>

#include "common/keccak.hpp"
#include "engine/service.hpp"

namespace krnl::engine::fake {

inline constexpr uint64_t kChain = 31337;

inline abi::Type T(const char* s) {
    return *abi::parse_type(s);
}
inline address addr(uint8_t last) {
    address a;
    a[19] = last;
    return a;
}
inline bytes32 key(uint8_t last) {
    bytes32 k;
    k[31] = last;
    return k;
}

inline const address kRegistry = addr(0xa1);
inline const address kVault = addr(0xa2);
inline const address kApp = addr(0xb1);
inline const address kAuthority = addr(0xb2);
inline const address kPolicy = addr(0xb3);
inline const address kSender = addr(0xc1);

// evm-compute add(a, b): the result is $input[0] + `plus`.
inline std::string adder_spec(int plus) {
    return R"J({"kind":"evm-compute","code":"0x6024356004350160005260206000f3","function":"add(uint256,uint256)","args":["$input[0]",)J" +
           std::to_string(plus) + R"J(],"outputs":["uint256"],"gas":100000})J";
}

struct FakeKernel {
    std::string spec;
    uint256 fee;
    bool active = true;
    uint8_t kind = 2;
    uint256 pending_fee;
    uint64_t fee_effective_at = 0;
    uint64_t deactivate_at = 0;
};

// The registry, vault, token authority and policy of one chain, answering the view calls the
// service makes from canned, ABI-encoded data. The policy accepts when the first kernel's result
// is below 100, so its verdict depends on the responses it is given.
class FakeChain : public ChainAccess {
public:
    std::map<uint64_t, FakeKernel> kernels;
    std::map<address, std::vector<uint64_t>> app_kernels;  // registered apps
    uint256 deposit{1'000'000};
    address policy = kPolicy;
    uint64_t threshold = 1;
    std::set<address> signers;  // the authority's trusted signers; empty: everyone
    BlockRef head_block{40, 0};
    std::mutex mutex;
    int policy_calls = 0;
    std::vector<std::optional<uint64_t>> blocks_read;

    static hash256 block_hash(uint64_t number) {
        return keccak256(uint256(number).to_bytes32().view());
    }

    std::expected<BlockRef, CallError> head(uint64_t chain_id) override {
        if (chain_id != kChain) return std::unexpected(CallError{"unknown chain", std::nullopt});
        std::lock_guard lock(mutex);
        BlockRef out = head_block;
        out.hash = block_hash(out.number);
        return out;
    }

    std::expected<BlockRef, CallError> block_at(uint64_t chain_id, uint64_t number) override {
        if (chain_id != kChain) return std::unexpected(CallError{"unknown chain", std::nullopt});
        std::lock_guard lock(mutex);
        if (number > head_block.number)
            return std::unexpected(CallError{"no such block", std::nullopt, true});
        return BlockRef{number, head_block.timestamp, {}, block_hash(number)};
    }

    std::expected<bytes, CallError> call(uint64_t chain_id, const address& to, bytes data,
                                         std::optional<uint64_t> block) override {
        if (chain_id != kChain) return std::unexpected(CallError{"unknown chain", std::nullopt});
        if (data.size() < 4) return revert({});
        {
            std::lock_guard lock(mutex);
            blocks_read.push_back(block);
        }
        const bytes_view body = bytes_view(data).substr(4);
        const auto is = [&](const char* sig) {
            const auto s = abi::selector(sig);
            return std::equal(s.bytes, s.bytes + 4, data.begin());
        };
        std::lock_guard lock(mutex);
        if (to == kRegistry && is("tokenAuthorityOf(address)")) {
            const address app = *abi::decode(T("address"), body)->as_address();
            return enc({T("address")}, {app_kernels.contains(app) ? kAuthority : address{}});
        }
        if (to == kRegistry && is("appKernels(address)")) {
            const address app = *abi::decode(T("address"), body)->as_address();
            abi::ValueList ids;
            for (auto id : app_kernels[app])
                ids.push_back(uint256(id));
            return enc({T("uint256[]")}, {ids});
        }
        if (to == kRegistry && is("kernelCount()"))
            return enc({T("uint256")}, {uint256(kernels.size())});
        if (to == kRegistry && is("kernel(uint256)")) {
            const uint256 id = *abi::decode(T("uint256"), body)->as_uint();
            auto it = kernels.find(id.low64());
            if (it == kernels.end()) {
                const auto sel = abi::selector("UnknownKernel(uint256)");
                bytes rd(sel.view());
                rd += *abi::encode(T("uint256"), id);
                return revert(rd);
            }
            const auto& k = it->second;
            const bytes spec(reinterpret_cast<const uint8_t*>(k.spec.data()), k.spec.size());
            abi::ValueList fields = {addr(0xee),
                                     uint256(k.kind),
                                     k.active,
                                     k.fee,
                                     bytes(keccak256(spec).view()),
                                     spec,
                                     k.pending_fee,
                                     uint256(k.fee_effective_at),
                                     uint256(k.deactivate_at)};
            return enc({T("(address,uint8,bool,uint256,bytes32,bytes,uint256,uint64,uint64)")},
                       {fields});
        }
        if (to == kVault && is("depositOf(address)")) return enc({T("uint256")}, {deposit});
        // The authority answers for registered apps (as the KRNL validator does for every account
        // that installed it); another app reads as unconfigured.
        const auto for_app = [&] {
            return app_kernels.contains(*abi::decode(T("address"), body)->as_address());
        };
        if (to == kAuthority && is("policyFor(address)"))
            return enc({T("address")}, {for_app() ? policy : address{}});
        if (to == kAuthority && is("thresholdFor(address)"))
            return enc({T("uint256")}, {uint256(for_app() ? threshold : 0)});
        if (to == kAuthority && is("isSignerFor(address,address)")) {
            auto v = abi::decode(std::vector<abi::Type>{T("address"), T("address")}, body);
            const address app = *(*v)[0].as_address(), who = *(*v)[1].as_address();
            return enc({T("bool")},
                       {app_kernels.contains(app) && (signers.empty() || signers.contains(who))});
        }
        if (to == kPolicy && is("evaluate(address,bytes4,bytes,(uint256,bytes,string)[])")) {
            ++policy_calls;
            auto v = abi::decode(std::vector<abi::Type>{T("address"), T("bytes4"), T("bytes"),
                                                        T("(uint256,bytes,string)[]")},
                                 body);
            if (!v) return revert({});
            const auto& first = (*(*v)[3].as_list())[0];
            const bytes& result = *(*first.as_list())[1].as_bytes();
            const uint256 value = uint256::from_be(result);
            const bool ok = result.size() == 32 && value < uint256(100);
            return enc({T("bool"), T("string")}, {ok, ok ? "" : "score too high"});
        }
        return revert({});
    }

private:
    static std::expected<bytes, CallError> enc(std::vector<abi::Type> types,
                                               std::vector<abi::Value> values) {
        return *abi::encode(types, values);
    }
    static std::expected<bytes, CallError> revert(bytes data) {
        return std::unexpected(CallError{"execution reverted", std::move(data)});
    }
};

inline std::shared_ptr<FakeChain> standard_chain(int plus = 1) {
    auto chain = std::make_shared<FakeChain>();
    chain->kernels[1] = {adder_spec(plus), uint256(100)};
    chain->kernels[2] = {adder_spec(10), uint256(250)};
    chain->kernels[3] = {adder_spec(1), uint256(7), /*active=*/false};
    chain->kernels[4] = {R"J({"kind":"evm-compute"})J", uint256(1)};
    chain->app_kernels[kApp] = {1, 2, 3, 4};
    return chain;
}

inline std::shared_ptr<KrnlService> make_service(std::shared_ptr<FakeChain> chain, uint8_t key_byte,
                                                 std::vector<std::string> peers = {}) {
    ServiceConfig c;
    c.home_chain_id = kChain;
    c.registry = kRegistry;
    c.vault = kVault;
    c.operator_key = key(key_byte);
    c.node_fee = uint256(1000);
    c.peers = std::move(peers);
    return *KrnlService::create(std::move(c), chain);
}

inline ExecuteRequest request(std::vector<uint64_t> ids, uint64_t input = 41) {
    ExecuteRequest r;
    r.app = kApp;
    r.chain_id = kChain;
    r.sender = kSender;
    r.function = "trade(uint256,uint256,bytes)";
    r.args = *abi::encode(std::vector<abi::Type>{T("uint256"), T("uint256")},
                          std::vector<abi::Value>{uint256(input), uint256(6)});
    for (auto id : ids)
        r.kernels.push_back({uint256(id), {json("$args[0]")}, false});
    return r;
}

inline bytes word(uint64_t v) {
    return bytes(uint256(v).to_bytes32().view());
}

}  // namespace krnl::engine::fake
