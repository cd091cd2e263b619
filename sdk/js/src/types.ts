// Request and result types of the krnl_* JSON-RPC methods (docs/krnl-rpc.md), in the SDK's form:
// quantities as bigint, addresses and bytes as viem's Address/Hex. The wire forms (Rpc*) are what
// krnld answers; the actions convert them.
import type { Abi, Address, Hex } from "viem";
import type { KernelKind, KernelSpec } from "./spec.js";

/** One kernel of a request: its registry id, its inputs (references only) and whether its failure stops the request. */
export interface KernelCall {
  /** The kernel's id in the KernelRegistry. */
  id: bigint | number;
  /** `"$sender"`, `"$app"`, `"$args[i]"` or `"$kernel:<k>[<j>]"`; a literal is refused (-33006). */
  inputs?: readonly string[];
  /** A required kernel that fails stops the request with -33004; otherwise the policy judges its `err`. */
  required?: boolean;
}

interface KernelRequestBase {
  /** The contract that will consume the payload. */
  app: Address;
  /** The app's chain (the node's home chain); defaults to the client's chain. */
  chainId?: number | bigint;
  /** `msg.sender` of the app call. */
  sender: Address;
  kernels: readonly KernelCall[];
}

/** A request whose call is given already encoded: `function` is the signature (payload parameter last), `args` the abi.encode of the arguments before the payload. */
export interface EncodedKernelRequest extends KernelRequestBase {
  function: string;
  args?: Hex;
}

/** A request whose call the SDK encodes from the app's ABI: `args` are the values before the payload. */
export interface AbiKernelRequest extends KernelRequestBase {
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

/** What krnl_executeKernels takes. */
export type KernelRequest = EncodedKernelRequest | AbiKernelRequest;

/** One kernel's outcome as the engine attests it. */
export interface KernelResponse {
  kernelId: bigint;
  /** abi.encode of the kernel's outputs; `0x` when it failed. */
  result: Hex;
  /** Empty on success, else why the kernel failed. */
  err: string;
}

/** The fees an execution charges the app's vault deposit. */
export interface Fees {
  kernelIds: bigint[];
  kernelFees: bigint[];
  nodeFee: bigint;
  /** The kernel fees plus the node fee. */
  total: bigint;
}

/** How a co-signing peer answered. */
export interface PeerAnswer {
  url: string;
  signer?: Address;
  error?: string;
}

/** The result of krnl_executeKernels: the signed payload and what it attests. */
export interface KernelExecution {
  responses: KernelResponse[];
  /** abi.encode(KrnlPayload): the app function's last argument. */
  payload: Hex;
  /** The EIP-712 digest the signers signed. */
  digest: Hex;
  signers: Address[];
  threshold: number;
  /** The block the node read of each chain, by chain id. */
  blocks: Record<string, bigint>;
  tokenAuthority: Address;
  fees: Fees;
  nonce: bigint;
  /** Unix seconds; the payload is valid while `block.timestamp <= expiry`. */
  expiry: bigint;
  timings: { kernels: { kernelId: bigint; ms: number }[]; totalMs: number };
  peers: PeerAnswer[];
}

/** The result of krnl_quote: what an execution now would charge. */
export interface Quote extends Fees {
  expiry: bigint;
}

/** A registered kernel as krnl_getKernel answers it. */
export interface Kernel {
  id: bigint;
  owner: Address;
  kind: KernelKind;
  fee: bigint;
  active: boolean;
  specHash: Hex;
  /** The registered spec, parsed; a string when the registered bytes are not JSON. */
  spec: KernelSpec | string;
  pendingFee?: bigint;
  feeEffectiveAt?: bigint;
  deactivateAt?: bigint;
}

/** krnl_nodeInfo. */
export interface NodeInfo {
  /** The node's operator key, the signer apps trust. */
  signer: Address;
  /** The home chain. */
  chainId: number;
  registry: Address;
  vault: Address;
  version: string;
  /** How many co-signing peers the node is configured with. */
  peers: number;
}

/** What the spec's references resolve against in a dry run. */
export interface DryRunParameters {
  spec: KernelSpec;
  sender?: Address;
  app?: Address;
  /** The app function's signature, payload parameter last. */
  function?: string;
  /** abi.encode of the arguments before the payload. */
  args?: Hex;
  /** `$input[i]`: JSON literals. */
  inputs?: readonly unknown[];
}

/** krnl_dryRunKernel: one unregistered spec run once. */
export interface DryRun {
  kind: KernelKind;
  specHash: Hex;
  /** The canonical JSON the registry would store. */
  canonical: string;
  /** abi.encode of the outputs, as in a response's result. */
  outputs: Hex;
  /** The outputs as JSON; null on error. */
  decoded: unknown;
  blocks: Record<string, bigint>;
  timeMs: number;
  /** Set when the kernel failed. */
  error?: string;
}

/** A decoded KrnlPayload (docs/attestation.md). */
export interface DecodedPayload {
  chainId: bigint;
  app: Address;
  sender: Address;
  selector: Hex;
  argsHash: Hex;
  responses: KernelResponse[];
  nonce: bigint;
  expiry: bigint;
  kernelIds: bigint[];
  kernelFees: bigint[];
  nodeFee: bigint;
  /** Concatenated 65-byte signatures, signers ascending. */
  signatures: Hex;
}
