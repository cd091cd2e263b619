// The SDK tests' world: the test contracts compiled with the root solc, clients of a krnld home chain, and
// an app set up through the SDK itself (kernels, policy, app, token authority, registration, deposit).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  createWalletClient,
  getAddress,
  http,
  parseEther,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
  type HDAccount,
  type WalletClient,
  type Chain,
  type Transport,
} from "viem";
import { deployContract, waitForTransactionReceipt } from "viem/actions";
import {
  createKrnlClient,
  deployTokenAuthority,
  depositToVault,
  registerApp,
  registerKernel,
  type KernelSpec,
  type KrnlClient,
} from "../../src/index.js";
import { devAccount, repoRoot, type DevNode } from "./krnld.js";

interface Compiled {
  abi: Abi;
  bytecode: Hex;
}

let compiled: Record<string, Compiled> | undefined;

/** The contracts under sdk/js/test/contracts, compiled once per process (solc from the root node_modules). */
export function testContracts(): Record<string, Compiled> {
  if (compiled) return compiled;
  const require = createRequire(join(repoRoot, "package.json"));
  const solc = require("solc") as { compile(input: string, callbacks: { import: (path: string) => unknown }): string };
  const dir = "sdk/js/test/contracts";
  const sources: Record<string, { content: string }> = {};
  for (const name of ["KrnlSdkTestApp.sol", "KrnlSdkTestPolicy.sol"])
    sources[`${dir}/${name}`] = { content: readFileSync(join(repoRoot, dir, name), "utf8") };
  const findImport = (path: string): unknown => {
    const candidates = path.startsWith("solady/")
      ? [join(repoRoot, "node_modules/solady/src", path.slice("solady/".length))]
      : [join(repoRoot, path), join(repoRoot, "node_modules", path)];
    for (const file of candidates) if (existsSync(file)) return { contents: readFileSync(file, "utf8") };
    return { error: `not found: ${path}` };
  };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: "prague",
      outputSelection: Object.fromEntries(Object.keys(sources).map((s) => [s, { "*": ["abi", "evm.bytecode.object"] }])),
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  compiled = {};
  for (const [source, perFile] of Object.entries(output.contracts ?? {})) {
    if (!source.startsWith(dir)) continue;
    for (const [name, c] of Object.entries(perFile)) compiled[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  }
  return compiled;
}

/** The test app's ABI (what a dApp developer has). */
export const appAbi = [
  {
    type: "function",
    name: "act",
    stateMutability: "nonpayable",
    inputs: [
      { name: "a", type: "uint256" },
      { name: "b", type: "uint256" },
      { name: "payload", type: "bytes" },
    ],
    outputs: [{ name: "", type: "uint256" }],
  },
  { type: "function", name: "acted", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "uint256" }] },
  { type: "function", name: "lastResult", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "bytes" }] },
  { type: "function", name: "owner", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "address" }] },
] as const;

/** Runtime code returning its first call-data word: an evm-compute kernel echoing a uint256. */
export const ECHO_CODE: Hex = "0x60003560005260206000f3";
/** Runtime code that always reverts. */
export const REVERT_CODE: Hex = "0x60006000fd";

/** evm-compute: echoes `$args[0]` (the app call's `a`). */
export const echoSpec: KernelSpec = { kind: "evm-compute", code: ECHO_CODE, inputs: ["uint256"], args: ["$args[0]"], outputs: ["uint256"] };
/** evm-compute that always fails. */
export const failingSpec: KernelSpec = { kind: "evm-compute", code: REVERT_CODE, outputs: ["uint256"] };

export interface Home {
  client: KrnlClient<Transport, Chain, undefined>;
  wallet(account: HDAccount): WalletClient<Transport, Chain, HDAccount>;
  node: DevNode;
}

/** Clients of the node's home chain. */
export function homeOf(node: DevNode): Home {
  const transport = http(node.home.url, { retryCount: 0 });
  const client = createKrnlClient({ chain: node.home.chain, transport, pollingInterval: 50 });
  return {
    node,
    client,
    wallet: (account) => createWalletClient({ chain: node.home.chain, transport, account, pollingInterval: 50 }),
  };
}

/** Dev accounts by role. The node signs as account 0. */
export const roles = { operator: devAccount(0), appOwner: devAccount(1), sender: devAccount(2), kernelOwner: devAccount(3), stranger: devAccount(4) };

/** Deploys a test contract and returns its address. */
export async function deployTest(home: Home, from: HDAccount, name: string, args: readonly unknown[]): Promise<Address> {
  const c = testContracts()[name];
  if (!c) throw new Error(`no test contract ${name}`);
  const wallet = home.wallet(from);
  const hash = await deployContract(wallet, { abi: c.abi, bytecode: c.bytecode, args } as never);
  const receipt = await waitForTransactionReceipt(home.client, { hash });
  if (!receipt.contractAddress) throw new Error(`deploying ${name} failed`);
  return getAddress(receipt.contractAddress);
}

export interface TestApp {
  app: Address;
  authority: Address;
  kernelIds: bigint[];
}

/** A KrnlSdkTestApp set up with the SDK: token authority (the node's signer, k = 1, `policy`), registration with `kernelIds`, `deposit`. */
export async function createTestApp(
  home: Home,
  { kernelIds, policy = zeroAddress, deposit = parseEther("0.01"), register = true }: { kernelIds: bigint[]; policy?: Address; deposit?: bigint; register?: boolean },
): Promise<TestApp> {
  const info = await home.client.nodeInfo();
  const app = await deployTest(home, roles.appOwner, "KrnlSdkTestApp", [info.registry, roles.appOwner.address]);
  const owner = home.wallet(roles.appOwner);
  const { address: authority } = await deployTokenAuthority(owner, { app, signers: [info.signer], threshold: 1n, policy });
  if (register) {
    await registerApp(owner, { app, tokenAuthority: authority, kernelIds });
    if (deposit > 0n) await depositToVault(owner, { app, value: deposit });
  }
  return { app, authority, kernelIds };
}

/** Registers specs from the kernel owner's wallet; their ids. */
export async function registerKernels(home: Home, specs: readonly KernelSpec[], fee = 1_000n): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (const spec of specs) ids.push((await registerKernel(home.wallet(roles.kernelOwner), { spec, fee })).id);
  return ids;
}
