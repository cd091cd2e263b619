#include "engine/service.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <set>

#include "common/keccak.hpp"
#include "common/secp256k1.hpp"
#include "engine/krnl_api.hpp"
#include "engine/service_test_support.hpp"
#include "rpc/server.hpp"

namespace krnl::engine {
namespace {

using namespace fake;

TEST(KrnlService, ExecutesAndSignsAPayloadTheContractsAccept) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    auto r = service->execute(request({1, 2}));
    ASSERT_TRUE(r) << r.error().message;

    ASSERT_EQ(r->responses.size(), 2u);
    EXPECT_EQ(r->responses[0], (KernelResponse{uint256(1), word(42), ""}));
    EXPECT_EQ(r->responses[1], (KernelResponse{uint256(2), word(51), ""}));
    EXPECT_EQ(r->fees.kernel_fees, (std::vector<uint256>{uint256(100), uint256(250)}));
    EXPECT_EQ(r->fees.node_fee, uint256(1000));
    EXPECT_EQ(r->kernel_ms.size(), 2u);
    EXPECT_EQ(chain->policy_calls, 1);

    auto decoded = decode_payload(r->payload);
    ASSERT_TRUE(decoded) << decoded.error();
    Attestation a = decoded->attestation;
    EXPECT_EQ(a.chain_id, uint256(kChain));
    EXPECT_EQ(a.app, kApp);
    EXPECT_EQ(a.sender, kSender);
    EXPECT_EQ(a.selector, abi::selector("trade(uint256,uint256,bytes)"));
    EXPECT_EQ(a.args_hash, args_hash(request({1}).args));
    EXPECT_EQ(a.responses, r->responses);
    EXPECT_EQ(a.fees, r->fees);
    EXPECT_EQ(a.nonce, r->nonce);
    a.token_authority = kAuthority;  // not carried in the payload
    EXPECT_EQ(attestation_digest(a), r->digest);

    ASSERT_EQ(decoded->signatures.size(), 65u);
    const auto signer = recover_signer(r->digest, decoded->signatures);
    ASSERT_TRUE(signer);
    EXPECT_EQ(*signer, *secp256k1::address_from_secret(key(7)));
    EXPECT_EQ(r->signers, std::vector<address>{*signer});
    EXPECT_EQ(service->node_info().signer, *signer);

    // Two executions never share a nonce.
    auto again = service->execute(request({1, 2}));
    ASSERT_TRUE(again);
    EXPECT_NE(again->nonce, r->nonce);
}

uint64_t unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int code_of(const ServiceResult<ExecuteResult>& r) {
    return r ? 0 : r.error().code;
}

// A co-sign request as an executing node signing with key(`requester`) sends it: pinned at
// `request.blocks` (default: the head, 40), dated now.
CosignRequest peer_request(ExecuteRequest req, std::vector<KernelResponse> responses,
                           const uint256& nonce, uint64_t expiry, const uint256& node_fee,
                           uint8_t requester = 8) {
    CosignRequest r;
    if (req.blocks.empty()) req.blocks[kChain] = 40;
    for (const auto& [chain, number] : req.blocks)
        r.pins[chain] = Pin{number, FakeChain::block_hash(number)};
    req.blocks.clear();
    r.request = std::move(req);
    r.responses = std::move(responses);
    r.nonce = nonce;
    r.expiry = expiry;
    r.node_fee = node_fee;
    r.timestamp = unix_seconds();
    EXPECT_TRUE(sign_cosign_request(r, key(requester)));
    return r;
}

TEST(KrnlService, ErrorsSayWhatToFix) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);

    auto unregistered = request({1});
    unregistered.app = addr(0x99);
    auto r = service->execute(unregistered);
    EXPECT_EQ(code_of(r), krnl_code::kAppNotRegistered);
    EXPECT_NE(r.error().message.find("app not registered"), std::string::npos);

    r = service->execute(request({9}));
    EXPECT_EQ(code_of(r), krnl_code::kUnknownKernel);
    EXPECT_EQ(r.error().message.substr(0, 16), "unknown kernel 9");

    chain->kernels[5] = {adder_spec(1), uint256(1)};  // registered, not allowed for the app
    r = service->execute(request({1, 5}));
    EXPECT_EQ(code_of(r), krnl_code::kKernelNotAllowed);
    EXPECT_NE(r.error().message.find("kernel 5 not allowed for app"), std::string::npos);

    r = service->execute(request({3}));
    EXPECT_EQ(code_of(r), krnl_code::kKernelInactive);
    EXPECT_NE(r.error().message.find("kernel 3 is inactive"), std::string::npos);

    r = service->execute(request({4}));
    EXPECT_EQ(code_of(r), krnl_code::kBadSpec);
    EXPECT_NE(r.error().message.find("kernel 4"), std::string::npos);

    chain->deposit = uint256(1349);  // 100 + 250 + 1000 needed
    r = service->execute(request({1, 2}));
    EXPECT_EQ(code_of(r), krnl_code::kDepositTooLow);
    EXPECT_EQ(r.error().message.substr(0, 44), "deposit too low: needed 1350, available 1349");
    chain->deposit = uint256(1350);
    EXPECT_TRUE(service->execute(request({1, 2})));

    r = service->execute(request({1}, 99));  // 99 + 1 = 100: the policy refuses
    EXPECT_EQ(code_of(r), krnl_code::kPolicyRefused);
    EXPECT_EQ(r.error().message, "policy refused: score too high");
    ASSERT_TRUE(r.error().data);
    EXPECT_EQ((*r.error().data)["responses"][0]["result"], to_hex(word(100)));

    auto wrong_chain = request({1});
    wrong_chain.chain_id = 1;
    EXPECT_EQ(code_of(service->execute(wrong_chain)), krnl_code::kBadRequest);
    auto bad_args = request({1});
    bad_args.args.resize(40);
    EXPECT_EQ(code_of(service->execute(bad_args)), krnl_code::kBadRequest);
    auto bad_function = request({1});
    bad_function.function = "trade(uint257)";
    EXPECT_EQ(code_of(service->execute(bad_function)), krnl_code::kBadRequest);
    // The payload is the function's last parameter: a signature without it cannot be authorised.
    auto no_payload = request({1});
    no_payload.function = "trade(uint256,uint256)";
    auto refused = service->execute(no_payload);
    EXPECT_EQ(code_of(refused), krnl_code::kBadRequest);
    EXPECT_NE(refused.error().message.find("last parameter (bytes)"), std::string::npos);

    // A required kernel that fails stops the request before anything is signed.
    chain->kernels[6] = {
        R"J({"kind":"evm-compute","code":"0xfe","inputs":[],"args":[],"outputs":["uint256"]})J",
        uint256(1)};
    chain->app_kernels[kApp].push_back(6);
    auto failing = request({6});
    failing.kernels[0].inputs.clear();
    // Not required: the response carries the error and the policy judges it (here: refuses).
    r = service->execute(failing);
    EXPECT_EQ(code_of(r), krnl_code::kPolicyRefused);
    ASSERT_TRUE(r.error().data);
    EXPECT_NE((*r.error().data)["responses"][0]["err"], "");
    failing.kernels[0].required = true;
    r = service->execute(failing);
    EXPECT_EQ(code_of(r), krnl_code::kKernelFailed);
}

TEST(KrnlService, QuotesWithoutRunning) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    auto q = service->quote(kApp, {uint256(1), uint256(2)});
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_EQ(q->total, uint256(1350));
    EXPECT_EQ(chain->policy_calls, 0);
    EXPECT_EQ(service->quote(kApp, {uint256(3)}).error().code, krnl_code::kKernelInactive);
    EXPECT_EQ(service->quote(addr(0x99), {uint256(1)}).error().code, krnl_code::kAppNotRegistered);
}

TEST(KrnlService, CosignRefusesOtherResponses) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    auto req = request({1});
    std::vector<KernelResponse> claimed = {{uint256(1), word(42), ""}};
    const uint64_t expiry = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count() +
                            100;
    auto ok = service->cosign(peer_request(req, claimed, uint256(5), expiry, uint256(1000)));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(recover_signer(ok->digest, ok->signature), ok->signer);

    claimed[0].result = word(43);
    auto refused = service->cosign(peer_request(req, claimed, uint256(6), expiry, uint256(1000)));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, krnl_code::kResponsesDiffer);
    EXPECT_NE(refused.error().message.find("kernel 1 (position 0) differs"), std::string::npos);

    claimed[0].result = word(42);
    // The node fee is this node's own, exactly: neither below nor above it.
    EXPECT_EQ(
        service->cosign(peer_request(req, claimed, uint256(7), expiry, uint256(999))).error().code,
        krnl_code::kNodeFeeMismatch);
    EXPECT_EQ(service->cosign(peer_request(req, claimed, uint256(7), expiry, uint256(999'000)))
                  .error()
                  .code,
              krnl_code::kNodeFeeMismatch);
    EXPECT_FALSE(service->cosign(peer_request(req, claimed, uint256(7), 1000, uint256(1000))));
}

struct Peer {
    std::shared_ptr<KrnlService> service;
    rpc::MethodTable methods;
    std::unique_ptr<rpc::Server> server;
    std::string url;
};

std::unique_ptr<Peer> start_peer(std::shared_ptr<FakeChain> chain, uint8_t key_byte) {
    auto peer = std::make_unique<Peer>();
    peer->service = make_service(chain, key_byte);
    register_krnl_api(peer->methods, peer->service);
    auto server = rpc::Server::bind({.host = "127.0.0.1", .port = 0}, peer->methods);
    EXPECT_TRUE(server);
    peer->server = std::move(*server);
    peer->server->start(2);
    peer->url = "http://127.0.0.1:" + std::to_string(peer->server->port());
    return peer;
}

address signer_of(uint8_t key_byte) {
    return *secp256k1::address_from_secret(key(key_byte));
}

TEST(KrnlService, PeerCosignsWhenTheThresholdNeedsIt) {
    auto peer_chain = standard_chain();
    auto peer = start_peer(peer_chain, 9);
    auto chain = standard_chain();
    chain->threshold = 2;
    auto service = make_service(chain, 7, {peer->url});
    auto r = service->execute(request({1, 2}));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->peers.size(), 1u);
    EXPECT_TRUE(r->peers[0].signer) << r->peers[0].error;
    EXPECT_EQ(r->threshold, 2u);

    const address a = signer_of(7);
    const address b = signer_of(9);
    EXPECT_EQ(r->signers, (std::vector<address>{std::min(a, b), std::max(a, b)}));
    auto decoded = decode_payload(r->payload);
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->signatures.size(), 130u);
    for (size_t i = 0; i < 2; ++i)
        EXPECT_EQ(recover_signer(r->digest, bytes_view(decoded->signatures).substr(65 * i, 65)),
                  r->signers[i]);
    // The peer read at the executing node's pinned block.
    for (const auto& block : peer_chain->blocks_read)
        EXPECT_EQ(block, 40u);

    // With k = 1 the peer is not asked: one signature is the whole quorum.
    chain->threshold = 1;
    auto single = service->execute(request({1}));
    ASSERT_TRUE(single) << single.error().message;
    EXPECT_TRUE(single->peers.empty());
    EXPECT_EQ(single->signers, std::vector<address>{a});
    peer->server->stop();
}

TEST(KrnlService, QuorumIsReachedDespiteALyingOrDeadPeer) {
    auto liar = start_peer(standard_chain(/*plus=*/2), 9);  // its kernel 1 adds 2, not 1
    auto honest = start_peer(standard_chain(), 11);
    auto chain = standard_chain();
    chain->threshold = 2;
    auto service = make_service(chain, 7, {liar->url, "http://127.0.0.1:1", honest->url});
    auto r = service->execute(request({1}));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->peers.size(), 3u);
    // The liar refuses (its responses differ) or is not waited for, if the honest peer answered
    // first; either way it does not sign.
    EXPECT_FALSE(r->peers[0].signer);
    EXPECT_TRUE(r->peers[0].error.find("differs") != std::string::npos ||
                r->peers[0].error.find("not waited for") != std::string::npos)
        << r->peers[0].error;
    EXPECT_FALSE(r->peers[1].signer);
    EXPECT_TRUE(r->peers[2].signer) << r->peers[2].error;
    const address a = signer_of(7);
    const address c = signer_of(11);
    EXPECT_EQ(r->signers, (std::vector<address>{std::min(a, c), std::max(a, c)}));

    // Without the honest peer the quorum cannot be reached, and nothing is returned to sign with.
    auto short_service = make_service(chain, 7, {liar->url, "http://127.0.0.1:1"});
    auto refused = short_service->execute(request({1}));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, krnl_code::kQuorumNotReached);
    EXPECT_NE(refused.error().message.find("2 signatures, 1 gathered"), std::string::npos)
        << refused.error().message;

    // A peer the token authority does not trust does not count.
    chain->signers = {a, signer_of(9)};
    auto untrusted = service->execute(request({1}));
    ASSERT_FALSE(untrusted);
    EXPECT_EQ(untrusted.error().code, krnl_code::kQuorumNotReached);
    EXPECT_NE(untrusted.error().message.find("not a signer of the token authority"),
              std::string::npos)
        << untrusted.error().message;
    liar->server->stop();
    honest->server->stop();
}

// A peer that accepts connections and never answers.
struct SilentPeer {
    int fd = -1;
    std::string url;
    SilentPeer() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd, 16);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    }
    ~SilentPeer() { ::close(fd); }
};

TEST(KrnlService, AHangingPeerIsNotWaitedForOnceTheThresholdIsReached) {
    SilentPeer silent;
    auto honest = start_peer(standard_chain(), 11);
    auto chain = standard_chain();
    chain->threshold = 2;
    auto service = make_service(chain, 7, {silent.url, honest->url});
    auto r = service->execute(request({1}));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->peers.size(), 2u);
    EXPECT_FALSE(r->peers[0].signer);
    EXPECT_EQ(r->peers[0].error, "not waited for: the threshold was reached first");
    EXPECT_TRUE(r->peers[1].signer) << r->peers[1].error;
    EXPECT_EQ(r->signers.size(), 2u);
    honest->server->stop();
}

TEST(KrnlService, RefusesWhatCannotBecomeAValidPayload) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    chain->threshold = 2;  // and no peers
    auto r = service->execute(request({1}));
    EXPECT_EQ(code_of(r), krnl_code::kQuorumNotReached);
    EXPECT_NE(r.error().message.find("needs 2 signatures"), std::string::npos);
    chain->threshold = 1;

    chain->signers = {signer_of(9)};  // this node (key 7) is not trusted
    r = service->execute(request({1}));
    EXPECT_EQ(code_of(r), krnl_code::kSignerNotTrusted);
    chain->signers.clear();

    // Literal inputs are not bound by the attestation.
    auto literal = request({1});
    literal.kernels[0].inputs = {json(41)};
    r = service->execute(literal);
    EXPECT_EQ(code_of(r), krnl_code::kBadRequest);
    EXPECT_NE(r.error().message.find("kernels[0].inputs[0]: 41 is a literal"), std::string::npos)
        << r.error().message;
    literal.kernels[0].inputs = {json("$$41")};
    EXPECT_EQ(code_of(service->execute(literal)), krnl_code::kBadRequest);
    literal.kernels[0].inputs = {json("$input[0]")};
    EXPECT_EQ(code_of(service->execute(literal)), krnl_code::kBadRequest);

    // Clients do not choose the blocks read.
    auto pinned = request({1});
    pinned.blocks = {{kChain, 3}};
    EXPECT_EQ(code_of(service->execute(pinned)), krnl_code::kBadRequest);
}

TEST(KrnlService, CosignAnswersOnlyNodesTheAuthorityTrusts) {
    auto chain = standard_chain();
    chain->signers = {signer_of(7), signer_of(8)};
    auto service = make_service(chain, 7);
    const uint64_t expiry = unix_seconds() + 100;
    const auto req = request({1});
    const std::vector<KernelResponse> claimed = {{uint256(1), word(42), ""}};
    auto ok = service->cosign(peer_request(req, claimed, uint256(1), expiry, uint256(1000), 8));
    ASSERT_TRUE(ok) << ok.error().message;

    // A key the authority does not trust.
    auto stranger =
        service->cosign(peer_request(req, claimed, uint256(2), expiry, uint256(1000), 9));
    ASSERT_FALSE(stranger);
    EXPECT_EQ(stranger.error().code, krnl_code::kRequesterNotTrusted);
    EXPECT_NE(stranger.error().message.find(to_hex(signer_of(9))), std::string::npos)
        << stranger.error().message;
    // A trusted node's request with a field changed after signing.
    auto tampered = peer_request(req, claimed, uint256(3), expiry, uint256(1000), 8);
    tampered.request.sender = addr(0xc2);
    EXPECT_EQ(service->cosign(tampered).error().code, krnl_code::kRequesterNotTrusted);
    // Unsigned.
    auto bare = peer_request(req, claimed, uint256(4), expiry, uint256(1000), 8);
    bare.signature.clear();
    EXPECT_EQ(service->cosign(bare).error().code, krnl_code::kRequesterNotTrusted);

    // A replay of the signed request, or another request with its nonce.
    auto again = service->cosign(peer_request(req, claimed, uint256(1), expiry, uint256(1000), 8));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, krnl_code::kNonceReplayed);
    // A call-bound request (a user operation's attestation) carries the op's EntryPoint nonce,
    // which the EntryPoint makes single-use: the op's estimation and its submission both sign it.
    auto call_bound = req;
    call_bound.function = "trade(uint256,uint256)";
    call_bound.binding = Binding::Call;
    for (int i = 0; i < 2; ++i) {
        auto signed_twice = service->cosign(
            peer_request(call_bound, claimed, uint256(1), expiry, uint256(1000), 8));
        EXPECT_TRUE(signed_twice) << signed_twice.error().message;
    }
    // The binding is part of what the requester signed.
    auto rebound = peer_request(call_bound, claimed, uint256(1), expiry, uint256(1000), 8);
    rebound.request.binding = Binding::Payload;
    EXPECT_EQ(service->cosign(rebound).error().code, krnl_code::kRequesterNotTrusted);
    // A nonce whose co-signature was refused was not used up.
    auto wrong = claimed;
    wrong[0].result = word(43);
    EXPECT_EQ(service->cosign(peer_request(req, wrong, uint256(5), expiry, uint256(1000), 8))
                  .error()
                  .code,
              krnl_code::kResponsesDiffer);
    EXPECT_TRUE(service->cosign(peer_request(req, claimed, uint256(5), expiry, uint256(1000), 8)));

    // A request dated two minutes ago, and pins of another fork.
    auto stale = peer_request(req, claimed, uint256(6), expiry, uint256(1000), 8);
    stale.timestamp -= 120;
    ASSERT_TRUE(sign_cosign_request(stale, key(8)));
    EXPECT_EQ(service->cosign(stale).error().code, krnl_code::kPinsOutsideWindow);
    auto forked = peer_request(req, claimed, uint256(6), expiry, uint256(1000), 8);
    forked.pins[kChain].hash = FakeChain::block_hash(1234);
    ASSERT_TRUE(sign_cosign_request(forked, key(8)));
    EXPECT_EQ(service->cosign(forked).error().code, krnl_code::kPinsOutsideWindow);
}

TEST(KrnlService, BoundsRequestsAndKernelsInFlight) {
    auto chain = standard_chain();
    ServiceConfig c;
    c.home_chain_id = kChain;
    c.registry = kRegistry;
    c.vault = kVault;
    c.operator_key = key(7);
    c.node_fee = uint256(1000);
    c.max_requests_in_flight = 1;
    c.max_kernels_in_flight = 2;
    auto service = *KrnlService::create(c, chain);
    EXPECT_TRUE(service->execute(request({1, 2})));
    // Three kernels never fit in two slots.
    auto too_many = service->execute(request({1, 2, 1}));
    EXPECT_EQ(code_of(too_many), krnl_code::kEngineBusy);
    EXPECT_NE(too_many.error().message.find("max_kernels_in_flight"), std::string::npos);
    {
        auto held = service->admit();  // the one request slot
        ASSERT_TRUE(held);
        auto busy = service->execute(request({1}));
        EXPECT_EQ(code_of(busy), krnl_code::kEngineBusy);
        EXPECT_NE(busy.error().message.find("max_requests_in_flight"), std::string::npos);
        EXPECT_EQ(service->admit().error().code, krnl_code::kEngineBusy);
    }
    // Slots come back when the requests and kernels end.
    EXPECT_TRUE(service->execute(request({1, 2})));
    EXPECT_TRUE(service->execute(request({2})));
}

TEST(KrnlService, EveryReadOfARequestIsAtOneBlock) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    auto r = service->execute(request({1, 2}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->blocks, (std::map<uint64_t, uint64_t>{{kChain, 40}}));
    ASSERT_FALSE(chain->blocks_read.empty());
    for (const auto& block : chain->blocks_read)
        EXPECT_EQ(block, 40u);

    // A peer reads at the pin it is given, if it is recent enough.
    const uint64_t expiry = unix_seconds() + 100;
    auto req = request({1});
    std::vector<KernelResponse> claimed = {{uint256(1), word(42), ""}};
    req.blocks = {{kChain, 35}};
    chain->blocks_read.clear();
    ASSERT_TRUE(service->cosign(peer_request(req, claimed, uint256(5), expiry, uint256(1000))));
    // Everything at the pin, but for the check that the requester is still trusted at the head.
    size_t at_pin = 0;
    for (const auto& block : chain->blocks_read) {
        EXPECT_TRUE(block == 35u || block == 40u) << block.value_or(0);
        at_pin += block == 35u;
    }
    EXPECT_GE(at_pin, chain->blocks_read.size() - 7);  // the app view and isSigner at the head
    req.blocks = {{kChain, 41}};                       // beyond the head
    EXPECT_EQ(
        service->cosign(peer_request(req, claimed, uint256(6), expiry, uint256(1000))).error().code,
        krnl_code::kPinsOutsideWindow);
    chain->head_block.number = 200;  // 165 blocks behind
    req.blocks = {{kChain, 35}};
    EXPECT_EQ(
        service->cosign(peer_request(req, claimed, uint256(6), expiry, uint256(1000))).error().code,
        krnl_code::kPinsOutsideWindow);
}

TEST(KrnlService, RegistryReadsAreSharedWithinABlock) {
    auto chain = standard_chain();
    chain->head_block.state_id = hash256::from_view(bytes(32, 0xb1));
    auto service = make_service(chain, 7);
    ASSERT_TRUE(service->execute(request({1, 2})));
    const size_t first = chain->blocks_read.size();
    ASSERT_TRUE(service->execute(request({1, 2})));
    // The second request at the same block reads only the policy: no registry, vault or
    // authority read, and the kernels run in process.
    EXPECT_EQ(chain->blocks_read.size() - first, 1u);

    // What the cache holds is what the chain said at that block: a change shows with the next
    // block, never within one.
    chain->deposit = uint256(1);
    EXPECT_TRUE(service->execute(request({1})));
    chain->head_block = {41, 0, hash256::from_view(bytes(32, 0xb2))};
    EXPECT_EQ(code_of(service->execute(request({1}))), krnl_code::kDepositTooLow);
    // A number seen again with another hash (a reorg, an evm_revert) is another block.
    chain->deposit = uint256(1'000'000);
    chain->head_block.state_id = hash256::from_view(bytes(32, 0xb3));
    EXPECT_TRUE(service->execute(request({1})));
}

TEST(KrnlService, FeeAndDeactivationNoticesBoundTheAttestation) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    const uint64_t now = unix_seconds() + 1000;  // the chain's clock runs ahead of the wall's
    chain->head_block.timestamp = now;

    auto r = service->execute(request({1}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_GE(r->expiry, now + 300);  // dated by the chain's clock, the default lifetime
    EXPECT_LE(r->expiry, now + 302);

    // A fee rise in 100 s: the attestation ends before it, at the current fee.
    chain->kernels[1].pending_fee = uint256(150);
    chain->kernels[1].fee_effective_at = now + 100;
    r = service->execute(request({1}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->expiry, now + 99);
    EXPECT_EQ(r->fees.kernel_fees[0], uint256(100));
    // A rise in 10 s is too close to end before: it is charged now.
    chain->kernels[1].fee_effective_at = now + 10;
    r = service->execute(request({1}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_GE(r->expiry, now + 300);
    EXPECT_EQ(r->fees.kernel_fees[0], uint256(150));
    auto q = service->quote(kApp, {uint256(1)});
    ASSERT_TRUE(q);
    EXPECT_EQ(q->fees.kernel_fees[0], uint256(150));
    // A cut never shortens anything and charges the current fee until it applies.
    chain->kernels[1].pending_fee = uint256(50);
    chain->kernels[1].fee_effective_at = now + 100;
    r = service->execute(request({1}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_GE(r->expiry, now + 300);
    EXPECT_EQ(r->fees.kernel_fees[0], uint256(100));
    chain->kernels[1].fee_effective_at = 0;
    chain->kernels[1].pending_fee = uint256(0);

    // Deactivation: the attestation ends before it, or is refused when it is too close.
    chain->kernels[1].deactivate_at = now + 200;
    r = service->execute(request({1}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->expiry, now + 199);
    chain->kernels[1].deactivate_at = now + 20;
    r = service->execute(request({1}));
    EXPECT_EQ(code_of(r), krnl_code::kKernelInactive);
    EXPECT_NE(r.error().message.find("too soon"), std::string::npos) << r.error().message;

    // A peer refuses an expiry past the deactivation.
    std::vector<KernelResponse> claimed = {{uint256(1), word(42), ""}};
    chain->kernels[1].deactivate_at = now + 200;
    EXPECT_EQ(
        service->cosign(peer_request(request({1}), claimed, uint256(5), now + 250, uint256(1000)))
            .error()
            .code,
        krnl_code::kKernelInactive);
    EXPECT_TRUE(
        service->cosign(peer_request(request({1}), claimed, uint256(5), now + 150, uint256(1000))));
}

TEST(KrnlApi, MethodsAnswerWithTypedParams) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    rpc::MethodTable methods;
    register_krnl_api(methods, service);
    rpc::CallContext ctx;
    const auto call = [&](const std::string& method, json params) {
        return *methods.handle_request(
            {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}}, ctx);
    };
    auto listed = call("krnl_listKernels", json::array());
    ASSERT_TRUE(listed.contains("result")) << listed.dump();
    EXPECT_EQ(listed["result"].size(), 4u);
    EXPECT_EQ(listed["result"][1]["fee"], "0xfa");

    auto got = call("krnl_getKernel", {"0x1"});
    EXPECT_EQ(got["result"]["kind"], "evm-compute");
    EXPECT_EQ(got["result"]["spec"]["function"], "add(uint256,uint256)");
    EXPECT_EQ(call("krnl_getKernel", {"0x9"})["error"]["code"], krnl_code::kUnknownKernel);

    auto quote = call("krnl_quote", {to_hex(kApp), {1, 2}});
    EXPECT_EQ(quote["result"]["total"], "0x546");

    auto executed = call("krnl_executeKernels", {request_to_json(request({1}))});
    ASSERT_TRUE(executed.contains("result")) << executed.dump();
    auto payload = from_hex(executed["result"]["payload"].get<std::string>());
    ASSERT_TRUE(payload);
    EXPECT_TRUE(decode_payload(*payload));

    // Call-bound attestations are the bundler's to ask for (their nonce is an op's).
    json call_bound = request_to_json(request({1}));
    call_bound["function"] = "trade(uint256,uint256)";
    call_bound["binding"] = "call";
    auto refused = call("krnl_executeKernels", {call_bound});
    EXPECT_EQ(refused["error"]["code"], krnl_code::kBadRequest) << refused.dump();
    EXPECT_NE(refused["error"]["message"].get<std::string>().find("eth_sendUserOperation"),
              std::string::npos);
    call_bound["binding"] = "other";
    EXPECT_EQ(call("krnl_executeKernels", {call_bound})["error"]["code"], krnl_code::kBadRequest);

    json numeric = request_to_json(request({1}));
    numeric["kernels"][0]["id"] = 1;  // ids may be JSON integers too
    EXPECT_TRUE(call("krnl_executeKernels", {numeric}).contains("result"));
    auto numeric_get = call("krnl_getKernel", json::array({2}));
    EXPECT_EQ(numeric_get["result"]["fee"], "0xfa") << numeric_get.dump();

    json bad = request_to_json(request({1}));
    bad["kernels"][0]["id"] = "zz";
    EXPECT_EQ(call("krnl_executeKernels", {bad})["error"]["code"], krnl_code::kBadRequest);
    EXPECT_EQ(call("krnl_nodeInfo", json::array())["result"]["signer"],
              to_hex(*secp256k1::address_from_secret(key(7))));
}

TEST(KrnlService, EveryExecutionIsLoggedWithItsVerdict) {
    auto chain = standard_chain();
    auto service = make_service(chain, 7);
    ASSERT_TRUE(service->execute(request({1, 2})));
    EXPECT_FALSE(service->execute(request({1}, 99)));  // the policy refuses
    EXPECT_FALSE(service->execute(request({9})));      // an unknown kernel
    const auto log = service->executions().recent(10);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[2].verdict, ExecutionRecord::Verdict::Approved);
    EXPECT_TRUE(log[2].attested);
    EXPECT_EQ(log[2].signers, std::vector<address>{*secp256k1::address_from_secret(key(7))});
    ASSERT_EQ(log[2].kernels.size(), 2u);
    EXPECT_EQ(log[2].kernels[1].result, word(51));
    EXPECT_TRUE(log[2].kernels[1].ms.has_value());
    EXPECT_EQ(log[2].fee_total, uint256(1350));
    EXPECT_EQ(log[1].verdict, ExecutionRecord::Verdict::Refused);
    EXPECT_EQ(log[1].reason, "score too high");
    EXPECT_FALSE(log[1].attested);
    ASSERT_EQ(log[1].kernels.size(), 1u);
    EXPECT_EQ(log[1].kernels[0].result, word(100));
    EXPECT_EQ(log[0].verdict, ExecutionRecord::Verdict::Failed);
    EXPECT_EQ(log[0].error_code, krnl_code::kUnknownKernel);
    EXPECT_EQ(log[0].reason.substr(0, 16), "unknown kernel 9");
    EXPECT_EQ(log[0].app, kApp);
    EXPECT_EQ(log[0].function, "trade(uint256,uint256,bytes)");
}

}  // namespace
}  // namespace krnl::engine
