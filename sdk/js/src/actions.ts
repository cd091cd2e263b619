// The krnl_* JSON-RPC methods as viem-style actions: `action(client, parameters)`, typed results, and the
// node's errors as KrnlError classes (errors.ts).
import { numberToHex, type Address, type Client } from "viem";
import { getChainId } from "viem/actions";
import { encodeKrnlCall } from "./call.js";
import { parseKrnlError } from "./errors.js";
import type { DryRun, DryRunParameters, Kernel, KernelExecution, KernelRequest, NodeInfo, Quote } from "./types.js";
import { toDryRun, toExecution, toKernel, toNodeInfo, toQuote } from "./wire.js";

type RawRequest = (args: { method: string; params: readonly unknown[] }) => Promise<unknown>;

/** Sends one krnl_* call on the client's transport; a node error is thrown as its KrnlError class. */
export async function krnlRequest(client: Client, method: string, params: readonly unknown[]): Promise<unknown> {
  try {
    return await (client.request as unknown as RawRequest)({ method, params });
  } catch (e) {
    throw parseKrnlError(e, method) ?? e;
  }
}

/** The wire form of a request (docs/krnl-rpc.md, "The request"). */
export function toWireRequest(request: KernelRequest, defaultChainId?: number | bigint): Record<string, unknown> {
  const chainId = request.chainId ?? defaultChainId;
  if (chainId === undefined) throw new Error("executeKernels: give chainId or a client with a chain");
  let fn: string;
  let args: string;
  if ("abi" in request) {
    const call = encodeKrnlCall(request.abi, request.functionName, request.args);
    fn = call.function;
    args = call.args;
  } else {
    fn = request.function;
    args = request.args ?? "0x";
  }
  return {
    app: request.app,
    chainId: numberToHex(chainId),
    sender: request.sender,
    function: fn,
    args,
    kernels: request.kernels.map((k) => {
      const out: Record<string, unknown> = { id: numberToHex(k.id), inputs: k.inputs ?? [] };
      if (k.required !== undefined) out["required"] = k.required;
      return out;
    }),
  };
}

/** krnl_executeKernels: runs the kernels, asks the app's policy and returns the signed payload. `chainId`
 *  defaults to the client's chain, else the node's (eth_chainId). */
export async function executeKernels(client: Client, request: KernelRequest): Promise<KernelExecution> {
  const chainId = request.chainId ?? client.chain?.id ?? (await getChainId(client));
  return toExecution(await krnlRequest(client, "krnl_executeKernels", [toWireRequest(request, chainId)]));
}

/** krnl_quote: what an execution of these kernels for the app would charge now. */
export async function quote(client: Client, parameters: { app: Address; kernelIds: readonly (bigint | number)[] }): Promise<Quote> {
  return toQuote(
    await krnlRequest(client, "krnl_quote", [parameters.app, parameters.kernelIds.map((id) => numberToHex(id))]),
  );
}

/** krnl_getKernel: one registered kernel with its parsed spec. */
export async function getKernel(client: Client, parameters: { id: bigint | number }): Promise<Kernel> {
  return toKernel(await krnlRequest(client, "krnl_getKernel", [numberToHex(parameters.id)]));
}

/** krnl_listKernels: every registered kernel. */
export async function listKernels(client: Client): Promise<Kernel[]> {
  const all = await krnlRequest(client, "krnl_listKernels", []);
  return Array.isArray(all) ? all.map(toKernel) : [];
}

/** krnl_nodeInfo: the node's signer, home chain, registry and vault. */
export async function nodeInfo(client: Client): Promise<NodeInfo> {
  return toNodeInfo(await krnlRequest(client, "krnl_nodeInfo", []));
}

/** krnl_dryRunKernel: runs an unregistered spec once (nothing signed, no fees). A kernel that fails is a result with `error`. */
export async function dryRunKernel(client: Client, parameters: DryRunParameters): Promise<DryRun> {
  const { spec, ...rest } = parameters;
  const context: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) context[key] = value;
  const params: unknown[] = Object.keys(context).length > 0 ? [spec, context] : [spec];
  return toDryRun(await krnlRequest(client, "krnl_dryRunKernel", params));
}
