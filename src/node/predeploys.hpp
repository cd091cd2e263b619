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

// The runtime code of EntryPointSimulations v0.7 and v0.8, which the bundler places at the
// EntryPoint's address to simulate validation (never deployed).
struct EntryPointSimulationCode {
    bytes v07;
    bytes v08;
};
std::expected<EntryPointSimulationCode, std::string> parse_entry_point_simulations(
    std::string_view manifest);

}  // namespace krnl::node
