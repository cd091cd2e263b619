// EVM revisions (hard forks), in activation order, so `rev >= Revision::Berlin` reads naturally.
#pragma once

#include <optional>
#include <string_view>

namespace krnl::evm {

enum class Revision {
    Frontier,
    Homestead,
    TangerineWhistle,
    SpuriousDragon,
    Byzantium,
    Constantinople,
    Petersburg,
    Istanbul,
    Berlin,
    London,
    Paris,
    Shanghai,
    Cancun,
    Prague,
    Osaka,
};

inline constexpr int kNumRevisions = static_cast<int>(Revision::Osaka) + 1;

constexpr std::string_view revision_name(Revision r) {
    constexpr std::string_view names[] = {
        "Frontier",       "Homestead",  "TangerineWhistle", "SpuriousDragon", "Byzantium",
        "Constantinople", "Petersburg", "Istanbul",         "Berlin",         "London",
        "Paris",          "Shanghai",   "Cancun",           "Prague",         "Osaka"};
    return names[static_cast<int>(r)];
}

// Accepts the fork names used by the official fixtures ("Merge" is Paris).
constexpr std::optional<Revision> parse_revision(std::string_view name) {
    if (name == "Merge") return Revision::Paris;
    if (name == "EIP150") return Revision::TangerineWhistle;
    if (name == "EIP158") return Revision::SpuriousDragon;
    if (name == "ConstantinopleFix") return Revision::Petersburg;
    for (int i = 0; i < kNumRevisions; ++i)
        if (revision_name(static_cast<Revision>(i)) == name) return static_cast<Revision>(i);
    return std::nullopt;
}

}  // namespace krnl::evm
