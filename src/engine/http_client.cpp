#include "engine/http_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace krnl::engine {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

using Error = std::unexpected<std::string>;

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && lowercase(s.substr(0, prefix.size())) == prefix;
}

std::optional<std::string> ipv4_reason(uint32_t a) {
    const auto in = [a](uint32_t net, int bits) {
        const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
        return (a & mask) == net;
    };
    if (in(0x00000000, 8)) return "unspecified";
    if (in(0x7f000000, 8)) return "loopback";
    if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) return "private";
    if (in(0xa9fe0000, 16)) return "link-local";
    if (in(0x64400000, 10)) return "shared";
    if (in(0xc0000200, 24) || in(0xc6336400, 24) || in(0xcb007100, 24)) return "documentation";
    if (in(0xc0000000, 24) || in(0xc6120000, 15)) return "reserved";
    if (a == 0xffffffff) return "broadcast";
    if (in(0xe0000000, 4)) return "multicast";
    if (in(0xf0000000, 4)) return "reserved";
    return std::nullopt;
}

std::optional<std::string> address_reason(const asio::ip::address& addr) {
    if (addr.is_v4()) return ipv4_reason(addr.to_v4().to_uint());
    const auto b = addr.to_v6().to_bytes();
    const auto embedded_v4 = [&b](size_t at) {
        return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
               uint32_t{b[at + 3]};
    };
    const auto zeros = [&b](size_t from, size_t to) {
        return std::all_of(b.begin() + from, b.begin() + to, [](uint8_t x) { return x == 0; });
    };
    if (zeros(0, 16)) return "unspecified";
    if (zeros(0, 15) && b[15] == 1) return "loopback";
    if (zeros(0, 10) && b[10] == 0xff && b[11] == 0xff) return ipv4_reason(embedded_v4(12));
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zeros(4, 12))
        return ipv4_reason(embedded_v4(12));                               // NAT64
    if (b[0] == 0x20 && b[1] == 0x02) return ipv4_reason(embedded_v4(2));  // 6to4
    if (zeros(0, 12)) return "reserved";                                   // IPv4-compatible
    if ((b[0] & 0xfe) == 0xfc) return "unique-local";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "private";  // deprecated site-local
    if (b[0] == 0xff) return "multicast";
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "documentation";
    if (b[0] == 0x01 && zeros(1, 8)) return "reserved";  // discard-only 100::/64
    return std::nullopt;
}

bool host_exempt(const Url& url, const HttpPolicy& policy) {
    if (policy.allow_private) return true;
    for (const std::string& entry : policy.allowed_hosts) {
        auto allowed = parse_allowed_host(entry);
        if (allowed && allowed->allows(url.host, url.port)) return true;
    }
    return false;
}

// The IPv4 address of an IPv4-mapped IPv6 address, the address itself otherwise.
asio::ip::address unmapped(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return a;
}

bool local_address(const asio::ip::address& address) {
    const asio::ip::address a = unmapped(address);
    if (a.is_loopback() || a.is_unspecified()) return true;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return false;
    bool found = false;
    for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        if (i->ifa_addr->sa_family == AF_INET && a.is_v4()) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            found = ntohl(in->sin_addr.s_addr) == a.to_v4().to_uint();
        } else if (i->ifa_addr->sa_family == AF_INET6 && a.is_v6()) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            asio::ip::address_v6::bytes_type b;
            std::memcpy(b.data(), in6->sin6_addr.s6_addr, b.size());
            found = asio::ip::address_v6(b) == a.to_v6();
        }
    }
    freeifaddrs(list);
    return found;
}

std::string describe(const error_code& ec, const Url& url, uint64_t max_bytes) {
    if (ec == beast::error::timeout) return "timed out";
    if (ec == http::error::body_limit)
        return "response body larger than " + std::to_string(max_bytes) + " bytes";
    if (ec == http::error::header_limit) return "response headers too large";
    if (ec == asio::error::connection_refused) return "connection refused by " + url.authority();
    if (ec == asio::error::eof || ec == http::error::end_of_stream ||
        ec == http::error::partial_message)
        return "connection closed before a complete response";
    return ec.message();
}

// Starts an asynchronous operation and runs the context until it completes (the stream's expiry
// bounds it), so the exchange reads as sequential code.
template <typename Start>
error_code run_op(asio::io_context& io, Start&& start) {
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
}

std::expected<std::vector<tcp::endpoint>, std::string> resolve_checked(
    asio::io_context& io, const Url& url, const HttpPolicy& policy,
    std::chrono::steady_clock::time_point deadline) {
    std::vector<tcp::endpoint> endpoints;
    error_code ec;
    const asio::ip::address literal = asio::ip::make_address(url.host, ec);
    if (!ec) {
        endpoints.emplace_back(literal, url.port);
    } else {
        tcp::resolver resolver(io);
        asio::steady_timer timer(io);
        timer.expires_at(deadline);
        error_code resolve_ec = asio::error::would_block;
        tcp::resolver::results_type results;
        timer.async_wait([&resolver](error_code e) {
            if (!e) resolver.cancel();
        });
        resolver.async_resolve(url.host, std::to_string(url.port),
                               [&](error_code e, tcp::resolver::results_type r) {
                                   resolve_ec = e;
                                   results = std::move(r);
                                   timer.cancel();
                               });
        io.restart();
        io.run();
        if (resolve_ec == asio::error::operation_aborted)
            return Error("timed out resolving " + url.host);
        if (resolve_ec) return Error("cannot resolve " + url.host + ": " + resolve_ec.message());
        for (const auto& entry : results)
            endpoints.push_back(entry.endpoint());
        if (endpoints.empty()) return Error("cannot resolve " + url.host + ": no addresses");
    }
    // The node's own ports on any local address, first and whatever the allowlist says.
    if (policy.own_listeners && policy.own_listeners->contains(url.port)) {
        for (const tcp::endpoint& e : endpoints)
            if (local_address(e.address()))
                return Error("refused: " + url.authority() + " is this node's own RPC (" +
                             e.address().to_string() + " port " + std::to_string(url.port) +
                             "); kernels never call the node that runs them");
    }
    if (!host_exempt(url, policy)) {
        // Every address must be public: a name that mixes public and private addresses is refused
        // rather than filtered, so the outcome never depends on which address answers.
        for (const tcp::endpoint& e : endpoints)
            if (auto why = address_reason(e.address()))
                return Error("refused: " + url.host + " resolves to " + e.address().to_string() +
                             " (" + *why + "); the node's HTTP policy does not allow it");
    }
    return endpoints;
}

struct Exchange {
    const Url& url;
    const std::string& method;
    const HttpRequest& request;
    const std::string& body;
};

http::request<http::string_body> build_request(const Exchange& x) {
    http::request<http::string_body> req{x.method == "POST" ? http::verb::post : http::verb::get,
                                         x.url.target, 11};
    req.set(http::field::host, x.url.authority());
    req.set(http::field::user_agent, "krnl-engine");
    req.set(http::field::accept, "application/json");
    for (const auto& [name, value] : x.request.headers)
        req.set(name, value);
    req.set(http::field::connection, "close");
    if (!x.body.empty() || x.method == "POST") {
        req.set(http::field::content_type, x.request.content_type);
        req.body() = x.body;
    }
    req.prepare_payload();
    return req;
}

template <typename Stream>
std::expected<http::response<http::string_body>, std::string> exchange(asio::io_context& io,
                                                                       Stream& stream,
                                                                       const Exchange& x) {
    auto req = build_request(x);
    error_code ec =
        run_op(io, [&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    if (ec) return Error(describe(ec, x.url, x.request.max_body_bytes));
    http::response_parser<http::string_body> parser;
    parser.body_limit(x.request.max_body_bytes);
    parser.header_limit(64 * 1024);
    beast::flat_buffer buffer;
    // The header first: Boost 1.74's eager parser loses the body-limit error of a Content-Length
    // that is over the limit when the body arrives in the same read as the header.
    ec = run_op(io, [&](auto handler) {
        http::async_read_header(stream, buffer, parser, std::move(handler));
    });
    if (ec) return Error(describe(ec, x.url, x.request.max_body_bytes));
    ec = run_op(
        io, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec) return Error(describe(ec, x.url, x.request.max_body_bytes));
    return parser.release();
}

std::expected<http::response<http::string_body>, std::string> one_hop(const Url& url,
                                                                      const std::string& method,
                                                                      const std::string& body,
                                                                      const HttpRequest& request,
                                                                      const HttpPolicy& policy) {
    asio::io_context io;
    auto endpoints = resolve_checked(io, url, policy, request.deadline);
    if (!endpoints) return Error(endpoints.error());
    if (std::chrono::steady_clock::now() >= request.deadline) return Error("timed out");
    const Exchange x{url, method, request, body};

    if (url.scheme == "http") {
        beast::tcp_stream stream(io);
        stream.expires_at(request.deadline);
        error_code ec =
            run_op(io, [&](auto handler) { stream.async_connect(*endpoints, std::move(handler)); });
        if (ec) return Error(describe(ec, url, request.max_body_bytes));
        return exchange(io, stream, x);
    }

    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    error_code literal_ec;
    asio::ip::make_address(url.host, literal_ec);
    if (literal_ec && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
        return Error("cannot set the TLS server name");
    stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_at(request.deadline);
    error_code ec = run_op(io, [&](auto handler) {
        beast::get_lowest_layer(stream).async_connect(*endpoints, std::move(handler));
    });
    if (ec) return Error(describe(ec, url, request.max_body_bytes));
    ec = run_op(io, [&](auto handler) {
        stream.async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
    if (ec)
        return Error(ec == beast::error::timeout
                         ? std::string("timed out")
                         : "TLS handshake with " + url.authority() + " failed: " + ec.message());
    return exchange(io, stream, x);
}

bool valid_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

}  // namespace

bool AllowedHost::allows(std::string_view h, uint16_t p) const {
    if (h != host) return false;
    if (any_port) return true;
    if (port) return *port == p;
    return p == 80 || p == 443;
}

std::expected<AllowedHost, std::string> parse_allowed_host(std::string_view entry) {
    const std::string shown = "\"" + std::string(entry.substr(0, 120)) + "\"";
    AllowedHost out;
    std::string_view host = entry;
    std::string_view port;
    bool has_port = false;
    if (!entry.empty() && entry.front() == '[') {
        const size_t close = entry.find(']');
        if (close == std::string_view::npos) return Error(shown + ": an unterminated [IPv6]");
        host = entry.substr(1, close - 1);
        const std::string_view rest = entry.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return Error(shown + ": expected :port after ]");
            port = rest.substr(1);
            has_port = true;
        }
    } else if (std::ranges::count(entry, ':') == 1) {
        const size_t colon = entry.find(':');
        host = entry.substr(0, colon);
        port = entry.substr(colon + 1);
        has_port = true;
    }
    out.host = lowercase(host);
    if (out.host.empty()) return Error(shown + ": no host");
    error_code ec;
    if (out.host.find(':') == std::string::npos &&
        !std::all_of(out.host.begin(), out.host.end(), valid_host_char))
        return Error(shown + ": a bad host name");
    if (out.host.find(':') != std::string::npos) {
        asio::ip::make_address_v6(out.host, ec);
        if (ec) return Error(shown + ": a bad IPv6 address");
    }
    if (has_port) {
        if (port == "*") {
            out.any_port = true;
        } else {
            unsigned value = 0;
            const auto [end, perr] = std::from_chars(port.data(), port.data() + port.size(), value);
            if (perr != std::errc{} || end != port.data() + port.size() || value == 0 ||
                value > 65535)
                return Error(shown + ": the port must be 1..65535 or *");
            out.port = static_cast<uint16_t>(value);
        }
    }
    return out;
}

void NodeListeners::add(uint16_t port) {
    std::lock_guard lock(mutex_);
    if (std::ranges::find(ports_, port) == ports_.end()) ports_.push_back(port);
}

bool NodeListeners::contains(uint16_t port) const {
    std::lock_guard lock(mutex_);
    return std::ranges::find(ports_, port) != ports_.end();
}

bool is_local_address(std::string_view ip) {
    error_code ec;
    const auto a = asio::ip::make_address(std::string(ip), ec);
    return !ec && local_address(a);
}

std::string Url::authority() const {
    std::string h = host_is_ipv6() ? "[" + host + "]" : host;
    const uint16_t default_port = scheme == "https" ? 443 : 80;
    if (port != default_port) h += ":" + std::to_string(port);
    return h;
}

std::string Url::text() const {
    return scheme + "://" + authority() + target;
}

std::expected<Url, std::string> parse_url(std::string_view text) {
    const std::string shown = "URL \"" + std::string(text.substr(0, 120)) + "\"";
    Url url;
    std::string_view rest;
    if (starts_with_nocase(text, "http://")) {
        url.scheme = "http";
        url.port = 80;
        rest = text.substr(7);
    } else if (starts_with_nocase(text, "https://")) {
        url.scheme = "https";
        url.port = 443;
        rest = text.substr(8);
    } else {
        return Error(shown + " must start with http:// or https://");
    }
    if (const size_t hash = rest.find('#'); hash != std::string_view::npos)
        rest = rest.substr(0, hash);
    const size_t authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view target =
        authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) return Error(shown + " has user info");
    std::string_view port_text;
    if (!authority.empty() && authority[0] == '[') {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos)
            return Error(shown + " has an unterminated IPv6 address");
        url.host = lowercase(authority.substr(1, close - 1));
        error_code ec;
        asio::ip::make_address_v6(url.host, ec);
        if (ec) return Error(shown + " has a bad IPv6 address");
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return Error(shown + " has a bad authority");
            port_text = after.substr(1);
            if (port_text.empty()) return Error(shown + " has an empty port");
        }
    } else {
        const size_t colon = authority.find(':');
        url.host = lowercase(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return Error(shown + " has an empty port");
        }
        if (url.host.empty()) return Error(shown + " has no host");
        if (url.host.size() > 253 ||
            !std::all_of(url.host.begin(), url.host.end(), valid_host_char))
            return Error(shown + " has a bad host name");
    }
    if (!port_text.empty()) {
        if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; }))
            return Error(shown + " has a bad port");
        const unsigned port = static_cast<unsigned>(std::stoul(std::string(port_text)));
        if (port == 0 || port > 65535) return Error(shown + " has a port out of range");
        url.port = static_cast<uint16_t>(port);
    }
    for (unsigned char c : target)
        if (c <= 0x20 || c >= 0x7f)
            return Error(shown + " has a space, control or non-ASCII character");
    if (target.empty())
        url.target = "/";
    else if (target[0] == '?')
        url.target = "/" + std::string(target);
    else
        url.target = std::string(target);
    return url;
}

std::expected<Url, std::string> resolve_location(const Url& base, std::string_view location) {
    if (starts_with_nocase(location, "http://") || starts_with_nocase(location, "https://"))
        return parse_url(location);
    if (location.starts_with("//")) return parse_url(base.scheme + ":" + std::string(location));
    if (location.empty()) return Error("an empty Location");
    std::string target;
    if (location[0] == '/') {
        target = std::string(location);
    } else {
        const std::string path = base.target.substr(0, base.target.find('?'));
        target = path.substr(0, path.rfind('/') + 1) + std::string(location);
    }
    Url out = base;
    if (const size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
    for (unsigned char c : target)
        if (c <= 0x20 || c >= 0x7f)
            return Error("a Location with a space, control or non-ASCII character");
    out.target = target;
    return out;
}

std::optional<std::string> non_public_address_reason(std::string_view ip) {
    error_code ec;
    std::string text(ip);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    const asio::ip::address addr = asio::ip::make_address(text, ec);
    if (ec) return "not an IP address";
    return address_reason(addr);
}

std::expected<HttpResponse, std::string> http_fetch(const HttpRequest& request,
                                                    const HttpPolicy& policy) {
    for (const auto& [name, value] : request.headers)
        for (unsigned char c : name + value)
            if (c < 0x20 || c == 0x7f) return Error("header " + name + " has a control character");
    auto url = parse_url(request.url);
    if (!url) return Error(url.error());
    std::string method = request.method;
    std::string body = request.body;
    if (method != "GET" && method != "POST") return Error("method " + method + " is not supported");
    for (unsigned redirects = 0;; ++redirects) {
        std::expected<http::response<http::string_body>, std::string> response;
        try {
            response = one_hop(*url, method, body, request, policy);
        } catch (const std::exception& e) {  // Asio's TLS context setup reports by throwing
            return Error(std::string("HTTP client error: ") + e.what());
        }
        if (!response) return Error(response.error());
        const unsigned status = response->result_int();
        const bool redirect =
            status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
        if (!redirect) {
            HttpResponse out;
            out.status = status;
            out.reason = std::string(response->reason());
            out.content_type = std::string((*response)[http::field::content_type]);
            out.body = std::move(response->body());
            out.final_url = url->text();
            out.redirects = redirects;
            return out;
        }
        if (redirects >= policy.max_redirects)
            return Error("too many redirects (more than " + std::to_string(policy.max_redirects) +
                         ")");
        const auto location = (*response)[http::field::location];
        if (location.empty())
            return Error("HTTP " + std::to_string(status) + " redirect without a Location");
        auto next = resolve_location(*url, std::string_view(location.data(), location.size()));
        if (!next) return Error("redirect to a bad URL: " + next.error());
        if (url->scheme == "https" && next->scheme == "http")
            return Error("refused: redirect from https to http");
        // 303 always, and 301/302 after a POST (as browsers do), continue as a GET without body.
        if (status == 303 || ((status == 301 || status == 302) && method == "POST")) {
            method = "GET";
            body.clear();
        }
        url = std::move(next);
    }
}

}  // namespace krnl::engine
