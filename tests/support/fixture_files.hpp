// Listing fixture files for the suites and tools that read the shared test vectors.
#pragma once

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

namespace krnl::fixtures {

// Every .json file below `dir`, recursively, in sorted order; none when `dir` is missing, so a
// suite reports "no cases" instead of throwing while it is being registered.
inline std::vector<std::filesystem::path> json_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace krnl::fixtures
