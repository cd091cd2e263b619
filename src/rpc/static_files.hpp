// The dashboard's files (web/, embedded at build time by cmake/EmbedFiles.cmake), answered to
// GET on a chain's port when [ui] is enabled: "/" is /index.html, an unknown path is 404. Every
// answer carries a strict Content-Security-Policy (scripts, styles and connections to this origin
// only), an ETag (the file's SHA-256; If-None-Match answers 304) and Cache-Control: no-cache, so a
// new build is seen at once and an unchanged file costs no transfer.
#pragma once

#include <boost/beast/http.hpp>

#include <optional>
#include <span>
#include <string_view>

namespace krnl::rpc {

namespace web {
struct EmbeddedFile {
    std::string_view path;  // "/index.html"
    std::string_view content;
    std::string_view sha256;  // hex
};
// Every file under web/, sorted by path (generated: web_files.cpp in the build tree).
extern const std::span<const EmbeddedFile> kEmbeddedFiles;
}  // namespace web

inline constexpr std::string_view kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The file a request target names ("/" and "/?x" are /index.html), or null.
const web::EmbeddedFile* find_static_file(std::string_view target);
std::string_view content_type_of(std::string_view path);

// The answer to a GET of `request` (status 200, 304 or 404).
boost::beast::http::response<boost::beast::http::string_body> static_file_response(
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace krnl::rpc
