#include "chain/gzip.hpp"

#include <zlib.h>

#include <memory>

namespace krnl::chain {
namespace {

// zlib counts in uInt: feed and drain in pieces of at most this.
constexpr size_t kChunk = size_t{1} << 20;
// windowBits 15 with 16 added: gzip framing rather than zlib's.
constexpr int kGzipWindow = 15 + 16;

}  // namespace

bool is_gzip(bytes_view data) {
    return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

std::expected<bytes, std::string> gzip_compress(bytes_view data) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return std::unexpected("gzip: cannot start the compressor");
    std::unique_ptr<z_stream, int (*)(z_stream*)> end(&zs, deflateEnd);
    bytes out;
    size_t consumed = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        const size_t piece = std::min(kChunk, data.size() - consumed);
        zs.next_in = const_cast<Bytef*>(data.data() + consumed);
        zs.avail_in = static_cast<uInt>(piece);
        const bool last = consumed + piece == data.size();
        const size_t before = out.size();
        out.resize(before + kChunk);
        zs.next_out = out.data() + before;
        zs.avail_out = static_cast<uInt>(kChunk);
        rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) return std::unexpected("gzip: compression failed");
        consumed += piece - zs.avail_in;
        out.resize(before + kChunk - zs.avail_out);
    }
    return out;
}

std::expected<bytes, std::string> gzip_decompress(bytes_view data, size_t max_output) {
    z_stream zs{};
    if (inflateInit2(&zs, kGzipWindow) != Z_OK)
        return std::unexpected("gzip: cannot start the decompressor");
    std::unique_ptr<z_stream, int (*)(z_stream*)> end(&zs, inflateEnd);
    bytes out;
    size_t consumed = 0;
    while (true) {
        const size_t piece = std::min(kChunk, data.size() - consumed);
        zs.next_in = const_cast<Bytef*>(data.data() + consumed);
        zs.avail_in = static_cast<uInt>(piece);
        // At most one byte past the limit, to tell "exactly the limit" from "more".
        const size_t room = std::min(kChunk, max_output + 1 - out.size());
        const size_t before = out.size();
        out.resize(before + room);
        zs.next_out = out.data() + before;
        zs.avail_out = static_cast<uInt>(room);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        consumed += piece - zs.avail_in;
        out.resize(before + room - zs.avail_out);
        if (out.size() > max_output)
            return std::unexpected("gzip: the data inflates past the limit of " +
                                   std::to_string(max_output) + " bytes");
        if (rc == Z_STREAM_END) {
            if (consumed != data.size())
                return std::unexpected("gzip: data after the end of the compressed stream");
            return out;
        }
        if (rc == Z_BUF_ERROR && consumed == data.size() && zs.avail_out != 0)
            return std::unexpected("gzip: the compressed data is truncated");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return std::unexpected(std::string("gzip: damaged data (") +
                                   (zs.msg ? zs.msg : "unknown error") + ")");
    }
}

}  // namespace krnl::chain
