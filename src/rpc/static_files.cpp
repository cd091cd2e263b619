#include "rpc/static_files.hpp"

#include <algorithm>
#include <string>

namespace krnl::rpc {

namespace http = boost::beast::http;

const web::EmbeddedFile* find_static_file(std::string_view target) {
    target = target.substr(0, target.find_first_of("?#"));
    if (target == "/") target = "/index.html";
    const auto it = std::ranges::find(web::kEmbeddedFiles, target, &web::EmbeddedFile::path);
    return it == web::kEmbeddedFiles.end() ? nullptr : &*it;
}

std::string_view content_type_of(std::string_view path) {
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
        {".json", "application/json"},         {".png", "image/png"},
    };
    for (const auto& [suffix, type] : types)
        if (path.ends_with(suffix)) return type;
    return "application/octet-stream";
}

http::response<http::string_body> static_file_response(
    const http::request<http::string_body>& request) {
    http::response<http::string_body> res{http::status::ok, request.version()};
    res.keep_alive(request.keep_alive());
    res.set("Content-Security-Policy", std::string(kDashboardCsp));
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    const web::EmbeddedFile* file =
        find_static_file({request.target().data(), request.target().size()});
    if (!file) {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = "not found: the dashboard is at /, JSON-RPC is POSTed to /\n";
        return res;
    }
    const std::string etag = "\"" + std::string(file->sha256.substr(0, 32)) + "\"";
    res.set(http::field::etag, etag);
    res.set(http::field::cache_control, "no-cache");
    if (request[http::field::if_none_match] == etag) {
        res.result(http::status::not_modified);
        return res;
    }
    res.set(http::field::content_type, std::string(content_type_of(file->path)));
    res.body() = std::string(file->content);
    return res;
}

}  // namespace krnl::rpc
