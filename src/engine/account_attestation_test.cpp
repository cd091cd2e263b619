#include "engine/account_attestation.hpp"

#include <gtest/gtest.h>

#include "common/secp256k1.hpp"
#include "engine/service_test_support.hpp"

namespace krnl::engine {
namespace {

using namespace fake;

const address kAccount = addr(0xd1);
const address kValidator = addr(0xd2);
const address kTarget = addr(0xd3);
constexpr const char* kExecute = "execute(address,uint256,bytes)";

// FakeChain plus one account that binds selectors to validators, and the KRNL validator's
// requirement per selector.
class AccountChain : public FakeChain {
public:
    std::map<bytes, address> bound;  // selector -> validator
    std::map<bytes, std::string> requirements;

    std::expected<bytes, CallError> call(uint64_t chain_id, const address& to, bytes data,
                                         std::optional<uint64_t> block) override {
        const bytes_view body = bytes_view(data).substr(4);
        const auto is = [&](const char* sig) {
            const auto s = abi::selector(sig);
            return data.size() >= 4 && std::equal(s.bytes, s.bytes + 4, data.begin());
        };
        if (to == kAccount && is("executionOf(bytes4)")) {
            const bytes selector(body.substr(0, 4));
            const address v = bound.contains(selector) ? bound[selector] : address{};
            return *abi::encode(
                std::vector<abi::Type>{T("address"), T("address"), T("uint48"), T("uint48")},
                std::vector<abi::Value>{address{}, v, uint256(0), uint256(0)});
        }
        if (to == kValidator && is("requirementOf(address,bytes4)")) {
            auto v = abi::decode(std::vector<abi::Type>{T("address"), T("bytes4")}, body);
            const bytes selector = *(*v)[1].as_bytes();
            const std::string r = (*v)[0].as_address() && *(*v)[0].as_address() == kAccount &&
                                          requirements.contains(selector)
                                      ? requirements[selector]
                                      : "";
            return *abi::encode(T("string"), abi::Value(r));
        }
        // Any other address without code answers nothing, as eth_call does.
        if (to == kAccount || to == kValidator) return bytes{};
        return FakeChain::call(chain_id, to, std::move(data), block);
    }
};

bytes selector_of(const char* signature) {
    return bytes(abi::selector(signature).view());
}

bytes execute_call(uint64_t value) {
    return *abi::encode_call(kExecute, std::vector<abi::Value>{kTarget, uint256(value), bytes{}});
}

std::shared_ptr<AccountChain> account_chain() {
    auto chain = std::make_shared<AccountChain>();
    chain->kernels[1] = {adder_spec(1), uint256(100)};
    chain->kernels[2] = {adder_spec(10), uint256(250)};
    chain->app_kernels[kAccount] = {1, 2};
    chain->bound[selector_of(kExecute)] = kValidator;
    chain->requirements[selector_of(kExecute)] =
        R"J({"function":"execute(address,uint256,bytes)","kernels":[{"id":"0x1","inputs":["$args[1]"]},{"id":2,"inputs":["$args[1]"],"required":true}]})J";
    return chain;
}

// Plugin mode (1) and a 65-byte owner signature.
bytes plugin_signature() {
    bytes s = {0, 0, 0, 1};
    s.resize(4 + kOwnerSignatureSize, 0x5a);
    return s;
}

void expect_untouched(const ServiceResult<std::optional<bytes>>& r) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->has_value());
}

struct Fixture {
    std::shared_ptr<AccountChain> chain = account_chain();
    std::shared_ptr<KrnlService> service = make_service(chain, 7);
    AccountAttester attester{service, chain, kValidator};
    bytes call_data = execute_call(41);
    bytes signature = plugin_signature();
    AccountOperation op(uint256 nonce = uint256(5)) const {
        return {kAccount, call_data, signature, nonce};
    }
};

TEST(AccountAttestation, AppendsAnAttestationTheValidatorCanCheck) {
    Fixture f;
    const uint256 nonce = (uint256(3) << 64) | uint256(9);  // key 3, sequence 9
    auto r = f.attester.attest(f.op(nonce));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    const bytes& signature = **r;
    // The owner's part is kept as sent; the attestation follows it.
    ASSERT_GT(signature.size(), f.signature.size());
    EXPECT_EQ(bytes(bytes_view(signature).substr(0, f.signature.size())), f.signature);
    auto decoded =
        abi::decode(*abi::parse_types("bytes32,uint256,uint64,uint256[],uint256[],uint256,bytes"),
                    bytes_view(signature).substr(f.signature.size()));
    ASSERT_TRUE(decoded) << decoded.error();
    const auto& v = *decoded;
    EXPECT_EQ(*v[1].as_uint(), nonce);
    const abi::ValueList& ids = *v[3].as_list();
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(*ids[0].as_uint(), uint256(1));
    EXPECT_EQ(*ids[1].as_uint(), uint256(2));
    EXPECT_EQ(*(*v[4].as_list())[1].as_uint(), uint256(250));
    EXPECT_EQ(*v[5].as_uint(), uint256(1000));

    // The digest the validator recomputes: app = sender = the account, the call's selector and
    // arguments, the responses the kernels gave ($args[1] = 41: 42 and 51).
    Attestation a;
    a.chain_id = uint256(kChain);
    a.token_authority = kAuthority;
    a.app = kAccount;
    a.sender = kAccount;
    a.selector = abi::selector(kExecute);
    a.args_hash = args_hash(bytes_view(f.call_data).substr(4));
    a.responses = {{uint256(1), word(42), ""}, {uint256(2), word(51), ""}};
    EXPECT_EQ(bytes(v[0].as_bytes()->begin(), v[0].as_bytes()->end()),
              bytes(responses_hash(a.responses).view()));
    a.nonce = nonce;
    a.expiry = v[2].as_uint()->low64();
    a.fees.kernel_ids = {uint256(1), uint256(2)};
    a.fees.kernel_fees = {uint256(100), uint256(250)};
    a.fees.node_fee = uint256(1000);
    const bytes& signatures = *v[6].as_bytes();
    ASSERT_EQ(signatures.size(), 65u);
    auto signer = recover_signer(attestation_digest(a), signatures);
    ASSERT_TRUE(signer) << signer.error();
    EXPECT_EQ(*signer, *secp256k1::address_from_secret(key(7)));
}

TEST(AccountAttestation, AnOpsEstimationAndSubmissionRunTheKernelsOnce) {
    Fixture f;
    auto estimated = f.attester.attest(f.op(uint256(5)));
    ASSERT_TRUE(estimated && estimated->has_value());
    EXPECT_EQ(f.chain->policy_calls, 1);
    // The same sender, nonce and call (the gas fields may differ: they are not bound).
    auto sent = f.attester.attest(f.op(uint256(5)));
    ASSERT_TRUE(sent && sent->has_value());
    EXPECT_EQ(**sent, **estimated);
    EXPECT_EQ(f.chain->policy_calls, 1);
    // Another nonce, or another call, is another attestation.
    ASSERT_TRUE(f.attester.attest(f.op(uint256(6))));
    EXPECT_EQ(f.chain->policy_calls, 2);
    f.call_data = execute_call(42);
    ASSERT_TRUE(f.attester.attest(f.op(uint256(6))));
    EXPECT_EQ(f.chain->policy_calls, 3);
    // A refusal is not remembered: the next try runs again.
    f.call_data = execute_call(150);
    EXPECT_FALSE(f.attester.attest(f.op(uint256(7))));
    EXPECT_FALSE(f.attester.attest(f.op(uint256(7))));
    EXPECT_EQ(f.chain->policy_calls, 5);
}

TEST(AccountAttestation, ARenewalReplacesTheNodesAttestationWithAFreshOne) {
    Fixture f;
    auto first = f.attester.attest(f.op());
    ASSERT_TRUE(first && first->has_value());
    EXPECT_EQ(f.chain->policy_calls, 1);
    // The pooled op carries that attestation: as a new op it is taken as attested already...
    f.signature = **first;
    expect_untouched(f.attester.attest(f.op()));
    // ...and as a renewal the kernels run again (the kept attestation is not reused) and the
    // owner's part is kept while the attestation is replaced.
    AccountOperation renewal = f.op();
    renewal.renewal = true;
    auto renewed = f.attester.attest(renewal);
    ASSERT_TRUE(renewed && renewed->has_value()) << renewed.error().message;
    EXPECT_EQ(f.chain->policy_calls, 2);
    EXPECT_EQ(bytes(bytes_view(**renewed).substr(0, 4 + kOwnerSignatureSize)),
              bytes(bytes_view(**first).substr(0, 4 + kOwnerSignatureSize)));
    EXPECT_EQ((*renewed)->size(), (*first)->size());
    // A policy that refuses now refuses the renewal.
    f.call_data = execute_call(150);
    renewal = f.op();
    renewal.renewal = true;
    EXPECT_FALSE(f.attester.attest(renewal));
}

TEST(AccountAttestation, AuthorisesTheCallInsideExecuteUserOp) {
    Fixture f;
    bytes wrapped(std::begin(kExecuteUserOpSelector), std::end(kExecuteUserOpSelector));
    wrapped.insert(wrapped.end(), f.call_data.begin(), f.call_data.end());
    EXPECT_EQ(authorised_call(wrapped), bytes_view(f.call_data));
    EXPECT_EQ(authorised_call(f.call_data), bytes_view(f.call_data));
    f.call_data = wrapped;
    auto r = f.attester.attest(f.op());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->has_value());
}

TEST(AccountAttestation, LeavesOpsThatAreNotTheValidatorsAlone) {
    {
        Fixture f;  // sudo mode
        f.signature[3] = 0;
        expect_untouched(f.attester.attest(f.op()));
    }
    {
        Fixture f;  // attested already: validated as it is
        f.signature.resize(f.signature.size() + 32, 1);
        expect_untouched(f.attester.attest(f.op()));
    }
    {
        Fixture f;  // the selector is bound to another validator
        f.chain->bound[selector_of(kExecute)] = addr(0xee);
        expect_untouched(f.attester.attest(f.op()));
    }
    {
        Fixture f;  // no code at the sender (a counterfactual account)
        AccountOperation op = f.op();
        op.sender = addr(0x77);
        expect_untouched(f.attester.attest(op));
    }
    {
        Fixture f;  // a call shorter than a selector
        f.call_data = {1, 2};
        expect_untouched(f.attester.attest(f.op()));
    }
}

TEST(AccountAttestation, RefusalsCarryTheEnginesReason) {
    {
        Fixture f;  // the policy refuses: kernel 1 answers 151 (>= 100)
        f.call_data = execute_call(150);
        auto r = f.attester.attest(f.op());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, krnl_code::kPolicyRefused);
        ASSERT_TRUE(r.error().data);
        EXPECT_EQ((*r.error().data)["reason"], "score too high");
        EXPECT_EQ((*r.error().data)["responses"].size(), 2u);
    }
    {
        Fixture f;  // bound, but no requirement for the selector
        f.chain->requirements.clear();
        auto r = f.attester.attest(f.op());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, krnl_code::kBadRequest);
        EXPECT_NE(r.error().message.find("names no kernels"), std::string::npos);
    }
    {
        Fixture f;  // the requirement names a function of another selector
        f.chain->requirements[selector_of(kExecute)] =
            R"J({"function":"trade(uint256)","kernels":[{"id":1,"inputs":["$args[0]"]}]})J";
        auto r = f.attester.attest(f.op());
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message.find("selector differs"), std::string::npos);
    }
    {
        Fixture f;  // the deposit cannot pay the fees
        f.chain->deposit = uint256(10);
        auto r = f.attester.attest(f.op());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, krnl_code::kDepositTooLow);
    }
}

}  // namespace
}  // namespace krnl::engine
