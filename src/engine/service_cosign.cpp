// The peer protocol as KrnlService speaks it: asking peers to co-sign an execution (gather) and
// answering such a request (cosign). The request's form and signature are in peer_protocol.hpp.
#include <condition_variable>

#include "engine/service_detail.hpp"
#include "engine/worker_pool.hpp"
#include "rpc/params.hpp"

namespace krnl::engine {

using namespace detail;

namespace {

struct PeerAnswer {
    PeerOutcome outcome;
    bytes signature;
};

// One peer's co-signature of `digest`, checked: it must recover to the signer the peer names and
// not to this node's own.
PeerAnswer ask_peer(rpc::Client& peer, const json& params, const hash256& digest,
                    const address& own_signer) {
    PeerAnswer a{{peer.url(), std::nullopt, {}}, {}};
    PeerOutcome& o = a.outcome;
    auto r = peer.call("krnl_cosign", params);
    if (!r) {
        // The client reports transport failures as internal errors naming the URL.
        o.error =
            r.error().code == rpc::code::kInternalError
                ? "peer unreachable or failed: " + r.error().message
                : "peer refused (" + std::to_string(r.error().code) + "): " + r.error().message;
        return a;
    }
    const json& v = *r;
    if (!v.is_object() || !v.contains("signature")) {
        o.error = "peer answered without a signature";
        return a;
    }
    auto sig = rpc::parse_data(v["signature"]);
    if (!sig) {
        o.error = "peer's signature: " + sig.error();
        return a;
    }
    auto signer = recover_signer(digest, *sig);
    if (!signer) {
        o.error = "peer's signature does not recover: " + signer.error();
        return a;
    }
    // A signature over another digest recovers to some unrelated address: compare with the claim.
    if (v.contains("signer")) {
        auto claimed = rpc::parse_address(v["signer"]);
        if (!claimed || *claimed != *signer) {
            o.error = "peer signed another digest (its signature recovers to " + to_hex(*signer) +
                      ", not the signer it names)";
            return a;
        }
    }
    if (*signer == own_signer) {
        o.error = "peer signs with this node's own key";
        return a;
    }
    o.signer = *signer;
    a.signature = std::move(*sig);
    return a;
}

// The answers of one round of co-signing, filled in by the peer threads. Shared, so a peer that
// answers after the quorum was reached writes into something still alive.
struct Gathering {
    std::mutex mutex;
    std::condition_variable answered;
    std::vector<std::optional<PeerAnswer>> answers;
};

// Peers of every request share one pool, never destroyed (a peer may outlive its request).
WorkerPool& peer_threads() {
    static WorkerPool* pool = new WorkerPool(256, std::chrono::seconds(5));
    return *pool;
}

}  // namespace

std::vector<PeerOutcome> KrnlService::gather(const Prepared& p, const ExecuteRequest& request,
                                             const Attestation& a, const hash256& digest,
                                             std::vector<bytes>& signatures) const {
    // Peers re-run the kernels, so they are all asked at once, and the payload is complete as
    // soon as k - 1 of those the token authority trusts co-signed: a slow or hanging peer costs
    // nothing while enough others answer.
    const size_t n = peers_.size();
    auto round = std::make_shared<Gathering>();
    round->answers.resize(n);
    // The request is signed by this node's operator key, over what the peer is asked to sign and
    // the pins: a peer answers only nodes the app's authority trusts.
    CosignRequest signed_request{request,         a.responses, a.nonce,    a.expiry,
                                 a.fees.node_fee, p.pins,      unix_now(), {}};
    signed_request.request.blocks.clear();
    json params;
    if (auto s = sign_cosign_request(signed_request, config_.operator_key); s)
        params = cosign_params(signed_request);
    const std::string unsigned_why = params.is_null() ? "cannot sign the co-sign request" : "";
    for (size_t i = 0; i < n; ++i) {
        if (!unsigned_why.empty()) {
            round->answers[i] = PeerAnswer{{peers_[i]->url(), std::nullopt, unsigned_why}, {}};
            continue;
        }
        const bool posted =
            peer_threads().post([round, i, client = peers_[i], params, digest, own = signer_] {
                PeerAnswer answer = ask_peer(*client, params, digest, own);
                std::lock_guard lock(round->mutex);
                round->answers[i] = std::move(answer);
                round->answered.notify_all();
            });
        if (!posted) {
            std::lock_guard lock(round->mutex);
            round->answers[i] = PeerAnswer{
                {peers_[i]->url(), std::nullopt, "the node could not start a thread"}, {}};
        }
    }
    std::vector<PeerOutcome> outcomes(n);
    std::vector<bool> handled(n, false);
    size_t remaining = n;
    std::unique_lock lock(round->mutex);
    while (remaining > 0 && signatures.size() < p.threshold) {
        round->answered.wait(lock, [&] {
            for (size_t i = 0; i < n; ++i)
                if (!handled[i] && round->answers[i]) return true;
            return false;
        });
        for (size_t i = 0; i < n && signatures.size() < p.threshold; ++i) {
            if (handled[i] || !round->answers[i]) continue;
            handled[i] = true;
            --remaining;
            PeerAnswer answer = std::move(*round->answers[i]);
            lock.unlock();
            PeerOutcome& o = answer.outcome;
            if (o.signer) {
                auto trusted = is_trusted(p.token_authority, request.app, *o.signer, p.home.number);
                if (!trusted) {
                    o.error = trusted.error().message;
                    o.signer.reset();
                } else if (!*trusted) {
                    o.error = "co-signed, but its signer " + to_hex(*o.signer) +
                              " is not a signer of the token authority";
                    o.signer.reset();
                } else {
                    signatures.push_back(std::move(answer.signature));
                }
            }
            outcomes[i] = std::move(o);
            lock.lock();
        }
    }
    for (size_t i = 0; i < n; ++i)
        if (!handled[i])
            outcomes[i] = {peers_[i]->url(), std::nullopt,
                           "not waited for: the threshold was reached first"};
    return outcomes;
}

ServiceResult<void> KrnlService::check_pins(const CosignRequest& r) const {
    if (auto why = timestamp_outside_window(r.timestamp, unix_now(), config_.pin_window))
        return fail(krnl_code::kPinsOutsideWindow, *why);
    for (const auto& [chain, pin] : r.pins) {
        auto head = chains_->head(chain);
        if (!head)
            return fail(krnl_code::kChainUnavailable,
                        "chain " + std::to_string(chain) +
                            ": reading its head failed: " + head.error().message);
        BlockRef pinned{pin.number, 0, {}, {}};
        if (pin.number <= head->number) {
            auto block = chains_->block_at(chain, pin.number);
            if (!block)
                return fail(krnl_code::kChainUnavailable,
                            "chain " + std::to_string(chain) + ": reading block " +
                                std::to_string(pin.number) + " failed: " + block.error().message);
            pinned = *block;
        }
        if (auto why = pin_outside_window(chain, pin, *head, pinned, config_.pin_window))
            return fail(krnl_code::kPinsOutsideWindow, *why);
    }
    return {};
}

ServiceResult<CosignResult> KrnlService::cosign(const CosignRequest& r) const {
    auto admitted = request_slots_->ticket();
    if (!admitted) return busy_requests();
    if (!chains_) return fail(krnl_code::kChainUnavailable, "no chain access");
    if (r.request.chain_id != config_.home_chain_id)
        return fail(krnl_code::kBadRequest, "chainId " + std::to_string(r.request.chain_id) +
                                                " is not this node's home chain " +
                                                std::to_string(config_.home_chain_id));
    // Who asks: the signature first (cheap), then whether the app's authority trusts the
    // requester at this node's head (cached reads: a stranger costs one isSigner call), then the
    // pins, then the trust again at the pinned block, whose authority the attestation names.
    auto requester = cosign_requester(r);
    if (!requester)
        return fail(krnl_code::kRequesterNotTrusted,
                    "the co-sign request's signature does not verify: " + requester.error());
    const auto check_trusted = [&](const BlockRef& at) -> ServiceResult<void> {
        KRNL_RPC_TRY(app, app_view(r.request.app, at));
        KRNL_RPC_TRY(trusted,
                     is_trusted(app.token_authority, r.request.app, *requester, at.number));
        if (!trusted)
            return fail(krnl_code::kRequesterNotTrusted,
                        "the requester " + to_hex(*requester) +
                            " is not a signer of the token authority " +
                            to_hex(app.token_authority) + " of app " + to_hex(r.request.app) +
                            " at block " + std::to_string(at.number) +
                            ": this node co-signs only for nodes the app trusts");
        return {};
    };
    auto head = chains_->head(config_.home_chain_id);
    if (!head)
        return fail(krnl_code::kChainUnavailable, "the home chain's head: " + head.error().message);
    if (auto ok = check_trusted(*head); !ok) return std::unexpected(ok.error());
    if (auto ok = check_pins(r); !ok) return std::unexpected(ok.error());
    const Pin& home_pin = r.pins.at(config_.home_chain_id);
    if (auto ok = check_trusted(BlockRef{home_pin.number, 0, {}, home_pin.hash}); !ok)
        return std::unexpected(ok.error());
    // The node fee is this node's own: the caller cannot raise what the vault pays out.
    if (r.node_fee != config_.node_fee)
        return fail(
            krnl_code::kNodeFeeMismatch,
            "node fee " + dec(r.node_fee) + " is not this node's fee " + dec(config_.node_fee) +
                " (engine.node_fee): nodes co-sign only attestations charging their own fee",
            json{{"nodeFee", rpc::to_quantity(config_.node_fee)}});
    if (r.responses.size() != r.request.kernels.size())
        return fail(krnl_code::kBadRequest,
                    "responses (" + std::to_string(r.responses.size()) + ") and kernels (" +
                        std::to_string(r.request.kernels.size()) + ") differ in number");
    ExecuteRequest request = r.request;
    for (const auto& [chain, pin] : r.pins)
        request.blocks[chain] = pin.number;
    KRNL_RPC_TRY(p, prepare(request, /*pins_from_request=*/true));
    const uint64_t now = chain_now(p.home);
    if (r.expiry < now)
        return fail(krnl_code::kBadRequest, "expiry " + std::to_string(r.expiry) + " has passed");
    if (r.expiry > now + config_.attestation_lifetime_s + 60)
        return fail(krnl_code::kBadRequest,
                    "expiry " + std::to_string(r.expiry) + " is further away than this node's " +
                        std::to_string(config_.attestation_lifetime_s) + " s lifetime");
    for (const auto& k : p.kernels)
        if (k.deactivate_at != 0 && k.deactivate_at <= r.expiry)
            return fail(krnl_code::kKernelInactive, "kernel " + dec(k.id) + " is deactivated at " +
                                                        std::to_string(k.deactivate_at) +
                                                        ", before the expiry " +
                                                        std::to_string(r.expiry));
    // One signature per (authority, nonce) while it can be consumed: claimed before the kernels
    // run, so two concurrent requests with one nonce cannot both be signed. A call-bound
    // attestation's nonce is its user operation's EntryPoint nonce, which the EntryPoint makes
    // single-use, and which the op's gas estimation and its submission both ask to sign.
    switch (r.request.binding == Binding::Call
                ? NonceSet::Claim::Claimed
                : nonces_.claim(p.token_authority, r.nonce, r.expiry, now)) {
        case NonceSet::Claim::Claimed:
            break;
        case NonceSet::Claim::Replayed:
            return fail(krnl_code::kNonceReplayed,
                        "nonce " + rpc::to_quantity(r.nonce) + " of the token authority " +
                            to_hex(p.token_authority) +
                            " was co-signed by this node already: every execution has a nonce "
                            "of its own");
        case NonceSet::Claim::Full:
            return fail(krnl_code::kNonceSetFull,
                        "this node holds " + std::to_string(nonces_.capacity()) +
                            " unexpired co-signed nonces (engine.max_cosign_nonces): retry once "
                            "some expired");
    }
    struct Unclaim {
        NonceSet& set;
        address authority;
        uint256 nonce;
        bool keep = false;
        ~Unclaim() {
            if (!keep) set.release(authority, nonce);
        }
    } unclaim{nonces_, p.token_authority, r.nonce};

    KRNL_RPC_TRY(results, run(p, request));
    const auto mine = to_responses(results);
    for (size_t i = 0; i < mine.size(); ++i) {
        if (mine[i] == r.responses[i]) continue;
        return fail(krnl_code::kResponsesDiffer,
                    "kernel " + dec(mine[i].kernel_id) + " (position " + std::to_string(i) +
                        ") differs: this node got " + describe_response(mine[i]) +
                        ", the request carries " + describe_response(r.responses[i]),
                    json{{"position", i}, {"responses", responses_to_json(mine)}});
    }
    if (auto ok = evaluate_policy(p, mine); !ok) return std::unexpected(ok.error());

    Attestation a;
    a.chain_id = uint256(config_.home_chain_id);
    a.token_authority = p.token_authority;
    a.app = request.app;
    a.sender = request.sender;
    a.selector = p.selector;
    a.args_hash = args_hash(request.args);
    a.responses = mine;
    a.nonce = r.nonce;
    a.expiry = r.expiry;
    a.fees = p.fees;
    for (size_t i = 0; i < p.kernels.size(); ++i)
        a.fees.kernel_fees[i] = fee_until(p.kernels[i], r.expiry);
    a.fees.node_fee = config_.node_fee;
    const hash256 digest = attestation_digest(a);
    auto sig = sign_digest(digest, config_.operator_key);
    if (!sig) return fail(rpc::code::kInternalError, "signing failed: " + sig.error());
    unclaim.keep = true;
    return CosignResult{signer_, std::move(*sig), digest};
}

}  // namespace krnl::engine
