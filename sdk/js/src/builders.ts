// Setting up an app on the home chain: its TokenAuthority, its registration and kernels in the
// KernelRegistry, its KrnlVault deposit, and the reads around them. Every write is simulated first (a
// revert names the contract's error), sent, and waited for (sendContractWrite). krnl_nodeInfo, for the
// registry and vault defaults, goes to `engine` when given (or to a KrnlClient's engine).
import {
  getAddress,
  parseEventLogs,
  stringToHex,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type Client,
  type Hex,
  type Transport,
} from "viem";
import { deployContract, readContract } from "viem/actions";
import { registryAddress, vaultAddress } from "./addresses.js";
import { abis, bytecode } from "./generated/artifacts.js";
import { canonicalSpec, kernelKindIds, specHash as hashSpec, type KernelSpec } from "./spec.js";
import { sendContractWrite, senderOf, waitForSuccess, type WriteOptions, type Written } from "./write.js";

export type { WriteOptions, Written } from "./write.js";

type WalletClient = Client<Transport, Chain | undefined, Account | undefined>;
type ReadClient = Client<Transport, Chain | undefined>;

/** Where krnl_nodeInfo goes for the registry and vault defaults: `engine`, else the reader. */
const infoClient = (client: WalletClient, options: WriteOptions): Client => options.engine ?? options.publicClient ?? client;

/** Only the options of a write (the builders' own parameters are not the call's). */
function writeOptionsOf(options: WriteOptions): WriteOptions {
  const out: WriteOptions = {};
  if (options.account !== undefined) out.account = options.account;
  if (options.publicClient !== undefined) out.publicClient = options.publicClient;
  return out;
}

/**
 * Deploys a TokenAuthority for `app`: the node signers it trusts, the threshold k and the policy the engine
 * asks (zero: none). `owner` defaults to the sender; `vault` to the node's.
 */
export async function deployTokenAuthority(
  client: WalletClient,
  parameters: WriteOptions & {
    app: Address;
    signers: readonly Address[];
    threshold?: bigint;
    policy?: Address;
    owner?: Address;
    vault?: Address;
  },
): Promise<Written & { address: Address }> {
  const reader = parameters.publicClient ?? client;
  const account = senderOf(client, parameters.account);
  const owner = parameters.owner ?? (typeof account === "string" ? account : account.address);
  const hash = await deployContract(client, {
    abi: abis.TokenAuthority,
    bytecode: bytecode.TokenAuthority,
    args: [
      parameters.app,
      owner,
      await vaultAddress(infoClient(client, parameters), parameters.vault),
      parameters.policy ?? zeroAddress,
      parameters.signers,
      parameters.threshold ?? 1n,
    ],
    account,
    chain: client.chain ?? null,
  });
  const receipt = await waitForSuccess(reader, hash);
  if (!receipt.contractAddress) throw new Error(`deploying TokenAuthority: no contract address in ${hash}`);
  return { hash, receipt, address: getAddress(receipt.contractAddress) };
}

/** What registerApp and updateApp take. */
type AppParameters = WriteOptions & { app: Address; tokenAuthority: Address; kernelIds: readonly bigint[]; registry?: Address };

async function writeApp(
  client: WalletClient,
  functionName: "registerApp" | "updateApp",
  parameters: AppParameters,
): Promise<Written> {
  const registry = await registryAddress(infoClient(client, parameters), parameters.registry);
  return sendContractWrite(client, {
    ...writeOptionsOf(parameters),
    address: registry,
    abi: abis.KernelRegistry,
    functionName,
    args: [parameters.app, parameters.tokenAuthority, parameters.kernelIds],
  });
}

/** Registers `app` (sent by its owner) with its token authority and the kernels it may use. */
export function registerApp(client: WalletClient, parameters: AppParameters): Promise<Written> {
  return writeApp(client, "registerApp", parameters);
}

/** Changes an app's token authority and kernels (sent by its owner). */
export function updateApp(client: WalletClient, parameters: AppParameters): Promise<Written> {
  return writeApp(client, "updateApp", parameters);
}

/**
 * Registers a kernel: the spec's canonical JSON (what the engine parses, its keccak the specHash), its kind
 * from the spec, and its fee in wei per execution. Returns the new id.
 */
export async function registerKernel(
  client: WalletClient,
  parameters: WriteOptions & { spec: KernelSpec; fee: bigint; registry?: Address },
): Promise<Written & { id: bigint; specHash: Hex }> {
  const registry = await registryAddress(infoClient(client, parameters), parameters.registry);
  const written = await sendContractWrite(client, {
    ...writeOptionsOf(parameters),
    address: registry,
    abi: abis.KernelRegistry,
    functionName: "registerKernel",
    args: [kernelKindIds[parameters.spec.kind], stringToHex(canonicalSpec(parameters.spec)), parameters.fee],
  });
  const [event] = parseEventLogs({ abi: abis.KernelRegistry, eventName: "KernelRegistered", logs: written.receipt.logs });
  if (!event) throw new Error(`registerKernel: no KernelRegistered event in ${written.hash}`);
  return { ...written, id: event.args.id, specHash: hashSpec(parameters.spec) };
}

/** Deposits `value` wei into the app's KrnlVault balance, from which kernel and node fees are paid. */
export async function depositToVault(
  client: WalletClient,
  parameters: WriteOptions & { app: Address; value: bigint; vault?: Address },
): Promise<Written> {
  const vault = await vaultAddress(infoClient(client, parameters), parameters.vault);
  return sendContractWrite(client, {
    ...writeOptionsOf(parameters),
    address: vault,
    abi: abis.KrnlVault,
    functionName: "deposit",
    args: [parameters.app],
    value: parameters.value,
  });
}

/** The app's deposit in the KrnlVault (wei). */
export async function getDeposit(client: ReadClient, parameters: { app: Address; vault?: Address }): Promise<bigint> {
  const vault = await vaultAddress(client, parameters.vault);
  return readContract(client, { address: vault, abi: abis.KrnlVault, functionName: "depositOf", args: [parameters.app] });
}

/** What the vault holds for an account (a kernel owner or an operator's payout address), earned and not withdrawn. */
export async function getVaultBalance(client: ReadClient, parameters: { account: Address; vault?: Address }): Promise<bigint> {
  const vault = await vaultAddress(client, parameters.vault);
  return readContract(client, { address: vault, abi: abis.KrnlVault, functionName: "balanceOf", args: [parameters.account] });
}

/** A kernel owner's earned fees in the vault. */
export function getKernelOwnerBalance(client: ReadClient, parameters: { owner: Address; vault?: Address }): Promise<bigint> {
  return getVaultBalance(client, { account: parameters.owner, ...(parameters.vault ? { vault: parameters.vault } : {}) });
}

/** An operator's earned node fees in the vault (its payout address, or its signer when it registered none). */
export function getOperatorBalance(client: ReadClient, parameters: { payout: Address; vault?: Address }): Promise<bigint> {
  return getVaultBalance(client, { account: parameters.payout, ...(parameters.vault ? { vault: parameters.vault } : {}) });
}

/** The kernels the registry allows for the app. */
export async function getAppKernels(client: ReadClient, parameters: { app: Address; registry?: Address }): Promise<readonly bigint[]> {
  const registry = await registryAddress(client, parameters.registry);
  return readContract(client, { address: registry, abi: abis.KernelRegistry, functionName: "appKernels", args: [parameters.app] });
}

/** The app's token authority in the registry (zero when not registered). */
export async function getTokenAuthority(client: ReadClient, parameters: { app: Address; registry?: Address }): Promise<Address> {
  const registry = await registryAddress(client, parameters.registry);
  return readContract(client, { address: registry, abi: abis.KernelRegistry, functionName: "tokenAuthorityOf", args: [parameters.app] });
}

/** A kernel's current registered fee (wei). */
export async function getKernelFee(client: ReadClient, parameters: { id: bigint; registry?: Address }): Promise<bigint> {
  const registry = await registryAddress(client, parameters.registry);
  return readContract(client, { address: registry, abi: abis.KernelRegistry, functionName: "feeOf", args: [parameters.id] });
}
