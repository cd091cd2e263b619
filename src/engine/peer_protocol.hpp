// The peer protocol's pieces that hold no service state: what a co-sign request carries, the
// EIP-712 signature of the requesting node over it, its krnl_cosign form, the window a peer
// accepts pins in, and the set of nonces a peer has signed. KrnlService asks and answers with
// them (service_cosign.cpp).
//
// A co-sign request is signed by the requesting node's operator key over everything the peer is
// asked to sign (app, chain, sender, function, args, kernels, responses, nonce, expiry, node fee),
// the pins (chain id -> block number and hash) and the request's time, as the typed data
// cosign_typed_data returns (domain {name "KRNL co-sign", version "1", chainId home chain}).
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/attestation.hpp"
#include "engine/chain_access.hpp"
#include "engine/request.hpp"

namespace krnl::engine {

// A block the executing node read a chain at.
struct Pin {
    uint64_t number = 0;
    hash256 hash;
    friend bool operator==(const Pin&, const Pin&) = default;
};
using Pins = std::map<uint64_t, Pin>;  // chain id -> pin

struct CosignRequest {
    ExecuteRequest request;  // its `blocks` stay empty: the pins say where to read
    std::vector<KernelResponse> responses;
    uint256 nonce;
    uint64_t expiry = 0;
    uint256 node_fee;
    Pins pins;
    uint64_t timestamp = 0;  // unix seconds, the requester's clock when it asked
    bytes signature;         // 65 bytes by the requester's operator key; empty: unsigned
};

// The EIP-712 typed data (as eth_signTypedData_v4 takes it) the requester signs. Errors for a
// kernel input that is not a string (inputs are references, which are strings).
std::expected<json, std::string> cosign_typed_data(const CosignRequest& r);
std::expected<hash256, std::string> cosign_request_digest(const CosignRequest& r);
// Signs `r` with the operator key (sets r.signature).
std::expected<void, std::string> sign_cosign_request(CosignRequest& r, const bytes32& key);
// The node that signed `r`, or why it cannot be told.
std::expected<address, std::string> cosign_requester(const CosignRequest& r);

// krnl_cosign's params: [request, responses, nonce, expiry, nodeFee, {pins, timestamp,
// signature}] with pins {"<chain id>": {"number": "0x..", "hash": "0x.."}}.
json cosign_params(const CosignRequest& r);
// Errors are -33006 (a malformed request), except a missing or malformed signature (-33013).
std::expected<CosignRequest, rpc::RpcError> cosign_request_from_params(const json& params);

// How far a peer lets the executing node's reads lag its own view.
struct PinWindow {
    uint64_t max_blocks = 8;         // a pin at most this many blocks behind the peer's head
    uint64_t max_age_s = 120;        // and at most this much older than the head (chain time)
    uint64_t max_clock_skew_s = 60;  // the request's timestamp this close to the peer's clock
};
// Why `pin` of `chain_id` is outside the window (ahead of `head`, too far behind, too old, or a
// block other than the peer's `pinned` at that number); nullopt when it is inside.
std::optional<std::string> pin_outside_window(uint64_t chain_id, const Pin& pin,
                                              const BlockRef& head, const BlockRef& pinned,
                                              const PinWindow& window);
std::optional<std::string> timestamp_outside_window(uint64_t timestamp, uint64_t now,
                                                    const PinWindow& window);

// The (token authority, nonce) pairs a peer signed, each kept until its attestation expires: a
// peer never signs a nonce twice for an authority while it can still be consumed. Bounded: when
// full of unexpired entries it refuses instead of growing.
class NonceSet {
public:
    explicit NonceSet(size_t capacity) : capacity_(capacity) {}
    enum class Claim { Claimed, Replayed, Full };
    // Drops entries expired before `now`, then claims the pair until `expiry`.
    Claim claim(const address& authority, const uint256& nonce, uint64_t expiry, uint64_t now);
    // Gives a claim back (the co-signature was not made).
    void release(const address& authority, const uint256& nonce);
    size_t size() const;
    size_t capacity() const { return capacity_; }

private:
    using Key = std::pair<address, uint256>;
    const size_t capacity_;
    mutable std::mutex mutex_;
    std::map<Key, uint64_t> expiries_;
    std::set<std::pair<uint64_t, Key>> by_expiry_;
};

}  // namespace krnl::engine
