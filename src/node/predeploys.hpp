// The predeploy manifest written by contracts/build.mjs and compiled into krnld.
#pragma once

#include <expected>
#include <string_view>
#include <vector>

#include "chain/predeploys.hpp"

namespace krnl::node {

std::string_view embedded_predeploy_manifest();

// Parses a manifest; errors name the entry and field.
std::expected<std::vector<chain::Predeploy>, std::string> parse_predeploy_manifest(
    std::string_view manifest);

}  // namespace krnl::node
