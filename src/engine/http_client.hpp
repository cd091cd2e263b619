// The HTTP/1.1 client of http kernels: one request under a deadline and a response size limit,
// following a bounded number of redirects, and refusing (SSRF protection) hosts that resolve to
// loopback, private, link-local, unspecified, multicast or other non-public addresses unless the
// operator allows them. The connection goes to the addresses that were checked: the host is
// resolved once per hop, so DNS rebinding between the check and the connect is impossible.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace krnl::engine {

struct Url {
    std::string scheme;  // "http" or "https"
    std::string host;    // lowercase; an IPv6 literal without its brackets
    uint16_t port = 0;
    std::string target;  // path and query, starting with '/'

    bool host_is_ipv6() const { return host.find(':') != std::string::npos; }
    // "host" or "host:port" (the port only when not the scheme's default), as the Host header.
    std::string authority() const;
    std::string text() const;
};

// Absolute http:// or https:// URLs: no user info, no fragment, a port within 1..65535, a host of
// letters, digits, '-', '.' or a bracketed IPv6 literal; the target has no spaces or controls.
std::expected<Url, std::string> parse_url(std::string_view text);

// The URL a Location header points to, relative to `base` (absolute, scheme-relative "//host/..."
// or an absolute or relative path).
std::expected<Url, std::string> resolve_location(const Url& base, std::string_view location);

// Why an IP address is not public ("loopback", "private", "link-local", "unspecified",
// "multicast", "shared", "reserved", "broadcast", "unique-local", "documentation"); nullopt for a
// public address. IPv4-mapped and NAT64 IPv6 addresses are judged by their IPv4 address. Text that
// is no IP address yields "not an IP address".
std::optional<std::string> non_public_address_reason(std::string_view ip);

// An entry of the HTTP allowlist: a host (name or IP literal, case-insensitive) and the ports it
// may be reached on. "host:port" names one port, "host:*" any port; a bare "host" means ports 80
// and 443 only (a service on another port must be named with it). IPv6 literals in brackets:
// "[::1]:9000".
struct AllowedHost {
    std::string host;  // lowercase, an IPv6 literal without brackets
    std::optional<uint16_t> port;
    bool any_port = false;
    bool allows(std::string_view host, uint16_t port) const;
};
std::expected<AllowedHost, std::string> parse_allowed_host(std::string_view entry);

// The ports the node itself listens on (every chain's, the engine's, the peer port). An http
// kernel never connects to them on a local address (loopback, unspecified, or an address of one
// of this machine's interfaces), whatever the allowlist says: a kernel calling the node's own
// RPC could send its dev accounts' ether or have the engine call itself. Filled as the node
// binds; safe to read while it does.
class NodeListeners {
public:
    void add(uint16_t port);
    bool contains(uint16_t port) const;

private:
    mutable std::mutex mutex_;
    std::vector<uint16_t> ports_;
};

// Whether `ip` is an address of this machine: loopback, unspecified (0.0.0.0 and :: connect to
// it), or one of its interfaces' (IPv4-mapped IPv6 judged by its IPv4 address).
bool is_local_address(std::string_view ip);

struct HttpPolicy {
    // Allow every non-public address (a private deployment); the node's own ports stay refused.
    bool allow_private = false;
    // Entries of parse_allowed_host's forms that may resolve to non-public addresses, e.g.
    // "127.0.0.1:9000" or "metadata.internal" for an operator's own services. An entry that
    // does not parse allows nothing.
    std::vector<std::string> allowed_hosts;
    unsigned max_redirects = 3;
    // The node's own listening ports (nullptr: none known).
    std::shared_ptr<const NodeListeners> own_listeners;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string content_type = "application/json";  // sent when there is a body
    std::chrono::steady_clock::time_point deadline;
    uint64_t max_body_bytes = 1 << 20;
};

struct HttpResponse {
    unsigned status = 0;
    std::string reason;
    std::string content_type;
    std::string body;
    std::string final_url;  // after redirects
    unsigned redirects = 0;
};

// Performs the request. Errors (a value, never an exception): a bad or refused URL, a host that
// resolves to a non-public address ("refused: ... resolves to 127.0.0.1 (loopback)"), DNS or
// connection failures, "timed out", a body over the limit, too many redirects, https (not
// supported by this build). Any HTTP status is a response; 301/302/303/307/308 are followed.
std::expected<HttpResponse, std::string> http_fetch(const HttpRequest& request,
                                                    const HttpPolicy& policy);

}  // namespace krnl::engine
