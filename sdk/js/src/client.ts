// A viem client with the krnl actions: `createKrnlClient({transport, chain})`, or any viem client
// `.extend(krnlActions)`. The actions are also exported standalone, viem style: `executeKernels(client, ...)`.
import {
  createClient,
  publicActions,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Client,
  type ClientConfig,
  type ContractFunctionName,
  type Hex,
  type PublicActions,
  type Transport,
} from "viem";
import { dryRunKernel, executeKernels, getKernel, listKernels, nodeInfo, quote } from "./actions.js";
import {
  depositToVault,
  deployTokenAuthority,
  getAppKernels,
  getDeposit,
  getKernelFee,
  getTokenAuthority,
  getVaultBalance,
  registerApp,
  registerKernel,
  updateApp,
  type WriteOptions,
  type Written,
} from "./builders.js";
import {
  simulateContractWithKrnl,
  writeContractWithKrnl,
  type KrnlContractParameters,
  type KrnlSimulation,
  type KrnlWrite,
} from "./contract.js";
import type { KernelSpec } from "./spec.js";
import { krnlTransport, type EngineTransport } from "./transport.js";
import { sendContractWrite, type ContractWriteParameters } from "./write.js";
import type { DryRun, DryRunParameters, Kernel, KernelExecution, KernelRequest, NodeInfo, Quote } from "./types.js";

type Mutability = "nonpayable" | "payable";

/** The krnl actions bound to a client. */
export type KrnlActions = {
  executeKernels(request: KernelRequest): Promise<KernelExecution>;
  quote(parameters: { app: Address; kernelIds: readonly (bigint | number)[] }): Promise<Quote>;
  getKernel(parameters: { id: bigint | number }): Promise<Kernel>;
  listKernels(): Promise<Kernel[]>;
  nodeInfo(): Promise<NodeInfo>;
  dryRunKernel(parameters: DryRunParameters): Promise<DryRun>;
  simulateContractWithKrnl<const abi extends Abi, functionName extends ContractFunctionName<abi, Mutability>>(
    parameters: KrnlContractParameters<abi, functionName>,
  ): Promise<KrnlSimulation<abi, functionName>>;
  writeContractWithKrnl<const abi extends Abi, functionName extends ContractFunctionName<abi, Mutability>>(
    parameters: KrnlContractParameters<abi, functionName> & { publicClient?: Client<Transport, Chain | undefined> },
  ): Promise<KrnlWrite>;
  sendContractWrite<const abi extends Abi, functionName extends ContractFunctionName<abi, Mutability>>(
    parameters: ContractWriteParameters<abi, functionName>,
  ): Promise<Written>;
  deployTokenAuthority(
    parameters: WriteOptions & { app: Address; signers: readonly Address[]; threshold?: bigint; policy?: Address; owner?: Address; vault?: Address },
  ): Promise<Written & { address: Address }>;
  registerApp(parameters: WriteOptions & { app: Address; tokenAuthority: Address; kernelIds: readonly bigint[]; registry?: Address }): Promise<Written>;
  updateApp(parameters: WriteOptions & { app: Address; tokenAuthority: Address; kernelIds: readonly bigint[]; registry?: Address }): Promise<Written>;
  registerKernel(parameters: WriteOptions & { spec: KernelSpec; fee: bigint; registry?: Address }): Promise<Written & { id: bigint; specHash: Hex }>;
  depositToVault(parameters: WriteOptions & { app: Address; value: bigint; vault?: Address }): Promise<Written>;
  getDeposit(parameters: { app: Address; vault?: Address }): Promise<bigint>;
  getVaultBalance(parameters: { account: Address; vault?: Address }): Promise<bigint>;
  getAppKernels(parameters: { app: Address; registry?: Address }): Promise<readonly bigint[]>;
  getTokenAuthority(parameters: { app: Address; registry?: Address }): Promise<Address>;
  getKernelFee(parameters: { id: bigint; registry?: Address }): Promise<bigint>;
};

/** The decorator for `client.extend(krnlActions)`. */
export function krnlActions(client: Client<Transport, Chain | undefined, Account | undefined>): KrnlActions {
  return {
    executeKernels: (request) => executeKernels(client, request),
    quote: (p) => quote(client, p),
    getKernel: (p) => getKernel(client, p),
    listKernels: () => listKernels(client),
    nodeInfo: () => nodeInfo(client),
    dryRunKernel: (p) => dryRunKernel(client, p),
    simulateContractWithKrnl: (p) => simulateContractWithKrnl(client, p),
    writeContractWithKrnl: (p) => writeContractWithKrnl(client, p),
    sendContractWrite: (p) => sendContractWrite(client, p),
    deployTokenAuthority: (p) => deployTokenAuthority(client, p),
    registerApp: (p) => registerApp(client, p),
    updateApp: (p) => updateApp(client, p),
    registerKernel: (p) => registerKernel(client, p),
    depositToVault: (p) => depositToVault(client, p),
    getDeposit: (p) => getDeposit(client, p),
    getVaultBalance: (p) => getVaultBalance(client, p),
    getAppKernels: (p) => getAppKernels(client, p),
    getTokenAuthority: (p) => getTokenAuthority(client, p),
    getKernelFee: (p) => getKernelFee(client, p),
  };
}

/** A viem client with the public actions and the krnl actions. */
export type KrnlClient<
  transport extends Transport = Transport,
  chain extends Chain | undefined = Chain | undefined,
  account extends Account | undefined = Account | undefined,
> = Client<transport, chain, account, undefined, PublicActions<transport, chain, account> & KrnlActions>;

/**
 * What createKrnlClient takes: viem's client options (transport, chain, account, pollingInterval, ...) and
 * `engine`, where krnl_* goes when the chain's node is not a krnld (a transport or the engine's URL; default
 * `transport`, since krnld answers krnl_* on every chain port).
 */
export type KrnlClientConfig<
  transport extends Transport = Transport,
  chain extends Chain | undefined = Chain | undefined,
  account extends Account | undefined = Account | undefined,
> = Omit<ClientConfig<transport, chain, account>, "rpcSchema" | "account"> & { account?: account; engine?: EngineTransport | undefined };

/**
 * Creates a viem client (public actions) extended with the krnl actions. Chain calls go to `transport`,
 * krnl_* to `engine` when given (through {@link krnlTransport}), so every action and builder on this client
 * (executeKernels, registerKernel's krnl_nodeInfo, ...) reaches the engine.
 */
export function createKrnlClient<
  transport extends Transport,
  chain extends Chain | undefined = undefined,
  account extends Account | undefined = undefined,
>(config: KrnlClientConfig<transport, chain, account>): KrnlClient<transport, chain, account> {
  const { engine, ...viemConfig } = config;
  const transport = engine === undefined ? viemConfig.transport : krnlTransport({ chain: viemConfig.transport, engine });
  const client = createClient({ key: "krnl", name: "KRNL Client", ...viemConfig, transport } as ClientConfig<transport, chain, account>);
  return client.extend(publicActions).extend(krnlActions) as unknown as KrnlClient<transport, chain, account>;
}
