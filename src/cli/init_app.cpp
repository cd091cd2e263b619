// krnl init app [DIR] [--name NAME] [--krnl-root DIR]: writes a starter project that runs against
// scripts/run.sh's home chain (127.0.0.1:8545): a contract inheriting KrnlConsumer, its policy, a
// kernel spec, a compile script (npm solc), run.mjs on the SDK and a README with the commands.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include "cli/cli_support.hpp"

namespace krnl::cli {

namespace {

namespace fs = std::filesystem;

// The templates. @NAME@ is the contract's name, @PACKAGE@ the npm package's, @ROOT@ the krnl
// checkout whose contracts and packages the starter uses.

constexpr std::string_view kAppSol = R"T(// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "@krnl/contracts/krnl/KrnlTypes.sol";
import {KrnlConsumer} from "@krnl/contracts/krnl/KrnlConsumer.sol";
import {KernelRegistry} from "@krnl/contracts/krnl/KernelRegistry.sol";

/// A KRNL app: `add` runs only with a payload the engine signed after the kernel ran and the app's policy
/// (@NAME@Policy) accepted its result. The payload is bound to this call: chain, app, sender, function, args.
contract @NAME@ is KrnlConsumer {
    event Added(address indexed sender, uint256 amount, uint256 kernelResult);

    /// Who registers the app and may withdraw its deposit: the registry and the vault ask `owner()`.
    address public immutable owner;
    uint256 public immutable kernelId;
    uint256 public total;

    constructor(KernelRegistry registry, uint256 kernelId_) KrnlConsumer(registry) {
        owner = msg.sender;
        kernelId = kernelId_;
    }

    function add(uint256 amount, bytes calldata payload) external {
        KernelResponse[] calldata responses = onlyKrnl(payload, abi.encode(amount));
        uint256 result = abi.decode(responseOf(responses, kernelId).result, (uint256));
        total += amount;
        emit Added(msg.sender, amount, result);
    }
}
)T";

constexpr std::string_view kPolicySol = R"T(// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "@krnl/contracts/krnl/KrnlTypes.sol";
import {IKrnlPolicy} from "@krnl/contracts/krnl/interfaces/IKrnlPolicy.sol";

/// The app's rule, asked by the engine before it signs: the kernel must have answered, with at most `max`.
contract @NAME@Policy is IKrnlPolicy {
    uint256 public immutable kernelId;
    uint256 public immutable max;

    constructor(uint256 kernelId_, uint256 max_) {
        kernelId = kernelId_;
        max = max_;
    }

    function evaluate(address, bytes4, bytes calldata, KernelResponse[] calldata responses)
        external
        view
        returns (bool ok, string memory reason)
    {
        for (uint256 i; i < responses.length; ++i) {
            if (responses[i].kernelId != kernelId) continue;
            if (bytes(responses[i].err).length != 0) return (false, string.concat("kernel failed: ", responses[i].err));
            if (abi.decode(responses[i].result, (uint256)) > max) return (false, "the kernel's result is over the maximum");
            return (true, "");
        }
        return (false, "the kernel did not answer");
    }
}
)T";

// add(uint256 a, uint256 b) returns a + b: CALLDATALOAD(0x24) + CALLDATALOAD(0x04), stored and
// returned.
constexpr std::string_view kKernelJson = R"T({
  "kind": "evm-compute",
  "code": "0x6024356004350160005260206000f3",
  "function": "add(uint256,uint256)",
  "args": ["$args[0]", 1],
  "outputs": ["uint256"],
  "gas": 100000
}
)T";

constexpr std::string_view kCompileMjs =
    R"T(// Compiles contracts/*.sol with the npm solc; KRNL's contracts come from the krnl checkout (KRNL_ROOT).
//   node compile.mjs      prints the contracts it built
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

export const KRNL_ROOT = process.env.KRNL_ROOT ?? '@ROOT@';
const here = dirname(fileURLToPath(import.meta.url));

function findImport(path) {
  const file = path.startsWith('@krnl/contracts/') ? join(KRNL_ROOT, 'contracts/src', path.slice('@krnl/contracts/'.length))
    : path.startsWith('solady/') ? join(KRNL_ROOT, 'node_modules/solady/src', path.slice('solady/'.length))
    : join(here, path);
  try {
    return { contents: readFileSync(file, 'utf8') };
  } catch {
    return { error: `not found: ${path} (looked at ${file}; set KRNL_ROOT to your krnl checkout)` };
  }
}

/** { Name: { abi, bytecode } } for every contract in contracts/. */
export function compile() {
  const sources = {};
  for (const file of readdirSync(join(here, 'contracts')).filter((f) => f.endsWith('.sol'))) {
    sources[`contracts/${file}`] = { content: readFileSync(join(here, 'contracts', file), 'utf8') };
  }
  const selection = Object.fromEntries(Object.keys(sources).map((s) => [s, { '*': ['abi', 'evm.bytecode.object'] }]));
  const input = {
    language: 'Solidity',
    sources,
    // As krnl builds its own contracts.
    settings: { evmVersion: 'prague', viaIR: true, optimizer: { enabled: true, runs: 200 }, outputSelection: selection },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const out = {};
  for (const [source, contracts] of Object.entries(output.contracts)) {
    if (!source.startsWith('contracts/')) continue;
    for (const [name, c] of Object.entries(contracts)) out[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, c] of Object.entries(compile())) console.log(`${name}: ${(c.bytecode.length - 2) / 2} bytes`);
}
)T";

constexpr std::string_view kRunMjs =
    R"T(// @NAME@ end to end against krnld (scripts/run.sh): register the kernel, deploy the policy, the app and its
// token authority, register the app, fund its vault deposit, then call `add` with an attestation (accepted)
// and once more with an amount the policy refuses.
//   node run.mjs        KRNL_RPC (default http://127.0.0.1:8545, the home chain 31337)
import { readFileSync } from 'node:fs';
import { createPublicClient, createWalletClient, defineChain, hexToBigInt, http, parseEther, parseEventLogs } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import {
  PolicyRefusedError,
  createKrnlClient,
  deployTokenAuthority,
  depositToVault,
  nodeInfo,
  parseKrnlError,
  registerApp,
  registerKernel,
  writeContractWithKrnl,
} from '@krnl/sdk';
import { compile } from './compile.mjs';

const url = process.env.KRNL_RPC ?? 'http://127.0.0.1:8545';
const chain = defineChain({
  id: 31337,
  name: 'krnl home',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
// krnld's first dev account (the test mnemonic); use your own key on a real network.
const account = mnemonicToAccount('test test test test test test test test test test test junk');
const publicClient = createPublicClient({ chain, transport: http(url) });
const wallet = createWalletClient({ chain, transport: http(url), account });
const krnl = createKrnlClient({ chain, transport: http(url) });

async function deploy({ abi, bytecode }, args) {
  const hash = await wallet.deployContract({ abi, bytecode, args });
  const { contractAddress } = await publicClient.waitForTransactionReceipt({ hash });
  if (!contractAddress) throw new Error(`deployment ${hash} created no contract`);
  return contractAddress;
}

const contracts = compile();
const node = await nodeInfo(krnl);
console.log(`engine signer ${node.signer}, registry ${node.registry}`);

const spec = JSON.parse(readFileSync(new URL('./kernels/kernel.json', import.meta.url), 'utf8'));
const { id: kernelId } = await registerKernel(wallet, { spec, fee: 1000n });
console.log(`kernel ${kernelId} registered (${spec.kind})`);

const policy = await deploy(contracts['@NAME@Policy'], [kernelId, 100n]);
const app = await deploy(contracts['@NAME@'], [node.registry, kernelId]);
const authority = await deployTokenAuthority(wallet, { app, signers: [node.signer], threshold: 1n, policy });
await registerApp(wallet, { app, tokenAuthority: authority.address, kernelIds: [kernelId] });
await depositToVault(wallet, { app, value: parseEther('0.01') });
console.log(`app ${app}, policy ${policy}, token authority ${authority.address}`);

const abi = contracts['@NAME@'].abi;
const kernels = [{ id: kernelId, inputs: [] }];
const added = await writeContractWithKrnl(wallet, { address: app, abi, functionName: 'add', args: [41n], kernels, publicClient });
const [event] = parseEventLogs({ abi, eventName: 'Added', logs: added.receipt.logs });
console.log(`add(41): mined in ${added.hash}; kernel result ${hexToBigInt(added.execution.responses[0]?.result ?? '0x0')}`);
console.log(`Added(sender ${event?.args.sender}, amount ${event?.args.amount}, kernelResult ${event?.args.kernelResult})`);
console.log(`total = ${await publicClient.readContract({ address: app, abi, functionName: 'total' })}`);

try {
  await writeContractWithKrnl(wallet, { address: app, abi, functionName: 'add', args: [500n], kernels, publicClient });
  throw new Error('add(500) should have been refused');
} catch (error) {
  const refusal = parseKrnlError(error); // the engine's error, found inside viem's
  if (!(refusal instanceof PolicyRefusedError)) throw error;
  console.log(`add(500): refused by the policy: ${refusal.reason}`);
}
)T";

constexpr std::string_view kPackageJson = R"T({
  "name": "@PACKAGE@",
  "private": true,
  "type": "module",
  "scripts": {
    "compile": "node compile.mjs",
    "start": "node run.mjs"
  },
  "dependencies": {
    "@krnl/sdk": "file:@ROOT@/sdk/js",
    "solady": "0.1.26",
    "solc": "0.8.30",
    "viem": "^2.57.0"
  }
}
)T";

constexpr std::string_view kReadme = R"T(# @NAME@: a KRNL app

- `contracts/@NAME@.sol`: the app. `add(amount, payload)` starts with `onlyKrnl(payload, abi.encode(amount))`
  (from KrnlConsumer): it runs only with an attestation the engine signed for this very call.
- `contracts/@NAME@Policy.sol`: the app's rule over the kernel's response, asked by the engine before it signs.
- `kernels/kernel.json`: the kernel, an `evm-compute` spec: `add(a, b)` in 15 bytes of EVM code, called
  with the app call's first argument and 1. Other kinds (`evm-read` of a contract on any chain the node
  serves, `http` to an API) are described by `@ROOT@/docs/kernel-spec.schema.json`.
- `run.mjs`: the whole flow on `@krnl/sdk`; `compile.mjs`: the contracts with the npm solc.

`node_modules` links to the krnl checkout's packages when it was made outside it (or run `npm install`).

```sh
@ROOT@/scripts/run.sh                        # krnld with its dev chains (home: 127.0.0.1:8545)
krnl=@ROOT@/build/src/cli/krnl               # the krnl command
$krnl kernels validate --spec kernels/kernel.json
$krnl kernels test --spec kernels/kernel.json --function 'add(uint256,bytes)' --args 0x$(printf %064x 41)
node compile.mjs
node run.mjs
```
)T";

std::string fill(std::string_view text, const std::map<std::string, std::string>& values) {
    std::string out(text);
    for (const auto& [key, value] : values)
        for (size_t pos = 0; (pos = out.find(key, pos)) != std::string::npos; pos += value.size())
            out.replace(pos, key.size(), value);
    return out;
}

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path);
    out << text;
    if (!out) fail("cannot write " + path.string());
}

std::string package_name(const std::string& name) {
    std::string out;
    for (char c : name) {
        if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += '-';
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

int init_app(const Args& args) {
    if (args.words.size() > 4) fail("init app takes one directory", 2);
    const std::string name = args.option("name").value_or("MyKrnlApp");
    if (!std::regex_match(name, std::regex("[A-Z][A-Za-z0-9]{0,63}")))
        fail("--name " + name + ": a contract name: a capital letter, then letters and digits", 2);
    const fs::path dir =
        fs::absolute(args.words.size() > 2 ? args.words[2] : package_name(name)).lexically_normal();
    const fs::path root =
        fs::absolute(args.option("krnl-root").value_or(KRNL_SOURCE_DIR)).lexically_normal();
    if (!fs::exists(root / "contracts/src/krnl/KrnlConsumer.sol"))
        fail(root.string() +
                 " is not a krnl checkout (no contracts/src/krnl/KrnlConsumer.sol): "
                 "pass --krnl-root",
             2);
    std::error_code ec;
    if (fs::exists(dir) && !fs::is_empty(dir, ec))
        fail(dir.string() + " exists and is not empty: choose a new directory", 2);

    const std::map<std::string, std::string> values = {
        {"@NAME@", name}, {"@PACKAGE@", package_name(name)}, {"@ROOT@", root.string()}};
    const std::vector<std::pair<std::string, std::string_view>> files = {
        {"contracts/" + name + ".sol", kAppSol},
        {"contracts/" + name + "Policy.sol", kPolicySol},
        {"kernels/kernel.json", kKernelJson},
        {"compile.mjs", kCompileMjs},
        {"run.mjs", kRunMjs},
        {"package.json", kPackageJson},
        {"README.md", kReadme}};
    for (const auto& [file, text] : files)
        write(dir / file, fill(text, values));

    // Outside the checkout, node finds the SDK, viem and solc through a link to its packages.
    const auto relative = fs::relative(dir, root, ec).string();
    const bool inside = !ec && !relative.empty() && !relative.starts_with("..");
    std::error_code link_error;
    if (!inside && fs::exists(root / "node_modules"))
        fs::create_directory_symlink(root / "node_modules", dir / "node_modules", link_error);

    std::cout << "wrote a KRNL app starter to " << dir.string() << ":\n";
    for (const auto& [file, _] : files)
        std::cout << "  " << file << "\n";
    if (link_error) std::cout << "(node_modules could not be linked: run npm install there)\n";
    std::cout << "next, with krnld serving (" << (root / "scripts/run.sh").string() << "):\n"
              << "  cd " << dir.string() << " && node run.mjs\n";
    return 0;
}

}  // namespace krnl::cli
