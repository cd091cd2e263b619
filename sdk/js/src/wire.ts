// The krnl_* results as krnld answers them (quantities as hex strings) converted to the SDK's types.
// krnld is trusted to answer the documented shapes; a missing quantity reads as 0.
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { kernelKindIds, type KernelKind, type KernelSpec } from "./spec.js";
import type { DryRun, Fees, Kernel, KernelExecution, KernelResponse, NodeInfo, PeerAnswer, Quote } from "./types.js";

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const big = (v: unknown): bigint => (typeof v === "string" || typeof v === "number" || typeof v === "bigint" ? BigInt(v) : 0n);
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "string" ? Number(v) : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const hex = (v: unknown): Hex => (typeof v === "string" && v.startsWith("0x") ? (v as Hex) : "0x");
// Checksummed (EIP-55), as viem returns addresses; what is not an address is passed on as is.
const address = (v: unknown): Address => (typeof v === "string" && isAddress(v, { strict: false }) ? getAddress(v) : (hex(v) as Address));
const kind = (v: unknown): KernelKind => (typeof v === "string" && v in kernelKindIds ? (v as KernelKind) : "evm-read");

/** Kernel responses from their JSON form. */
export function toResponses(v: unknown): KernelResponse[] {
  return arr(v).map((r) => {
    const o = obj(r);
    return { kernelId: big(o["kernelId"]), result: hex(o["result"]), err: str(o["err"]) };
  });
}

function toFees(o: Json): Fees {
  return {
    kernelIds: arr(o["kernelIds"]).map(big),
    kernelFees: arr(o["kernelFees"]).map(big),
    nodeFee: big(o["nodeFee"]),
    total: big(o["total"]),
  };
}

function toBlocks(v: unknown): Record<string, bigint> {
  return Object.fromEntries(Object.entries(obj(v)).map(([chain, n]) => [chain, big(n)]));
}

/** krnl_executeKernels' result. */
export function toExecution(v: unknown): KernelExecution {
  const o = obj(v);
  const timings = obj(o["timings"]);
  return {
    responses: toResponses(o["responses"]),
    payload: hex(o["payload"]),
    digest: hex(o["digest"]),
    signers: arr(o["signers"]).map(address),
    threshold: num(o["threshold"]),
    blocks: toBlocks(o["blocks"]),
    tokenAuthority: address(o["tokenAuthority"]),
    fees: toFees(obj(o["fees"])),
    nonce: big(o["nonce"]),
    expiry: big(o["expiry"]),
    timings: {
      kernels: arr(timings["kernels"]).map((k) => ({ kernelId: big(obj(k)["kernelId"]), ms: num(obj(k)["ms"]) })),
      totalMs: num(timings["totalMs"]),
    },
    peers: arr(o["peers"]).map((p) => {
      const q = obj(p);
      const out: PeerAnswer = { url: str(q["url"]) };
      if (typeof q["signer"] === "string") out.signer = address(q["signer"]);
      if (typeof q["error"] === "string") out.error = q["error"];
      return out;
    }),
  };
}

/** krnl_quote's result. */
export function toQuote(v: unknown): Quote {
  const o = obj(v);
  return { ...toFees(o), expiry: big(o["expiry"]) };
}

/** One kernel of krnl_getKernel / krnl_listKernels. */
export function toKernel(v: unknown): Kernel {
  const o = obj(v);
  const spec = o["spec"];
  const out: Kernel = {
    id: big(o["id"]),
    owner: address(o["owner"]),
    kind: kind(o["kind"]),
    fee: big(o["fee"]),
    active: o["active"] === true,
    specHash: hex(o["specHash"]),
    spec: typeof spec === "string" ? spec : (spec as KernelSpec),
  };
  if (o["pendingFee"] !== undefined) out.pendingFee = big(o["pendingFee"]);
  if (o["feeEffectiveAt"] !== undefined) out.feeEffectiveAt = big(o["feeEffectiveAt"]);
  if (o["deactivateAt"] !== undefined) out.deactivateAt = big(o["deactivateAt"]);
  return out;
}

/** krnl_nodeInfo's result. */
export function toNodeInfo(v: unknown): NodeInfo {
  const o = obj(v);
  return {
    signer: address(o["signer"]),
    chainId: num(o["chainId"]),
    registry: address(o["registry"]),
    vault: address(o["vault"]),
    version: str(o["version"]),
    peers: num(o["peers"]),
  };
}

/** krnl_dryRunKernel's result. */
export function toDryRun(v: unknown): DryRun {
  const o = obj(v);
  const out: DryRun = {
    kind: kind(o["kind"]),
    specHash: hex(o["specHash"]),
    canonical: str(o["canonical"]),
    outputs: hex(o["outputs"]),
    decoded: o["decoded"] ?? null,
    blocks: toBlocks(o["blocks"]),
    timeMs: num(o["timeMs"]),
  };
  if (typeof o["error"] === "string" && o["error"] !== "") out.error = o["error"];
  return out;
}
