// Kernel specs: the JSON a kernel owner registers (src/engine/kernel_spec.hpp), one shape per kind, and
// the canonical bytes the registry stores (sorted keys, no whitespace, integers only).
import { keccak256, stringToHex, type Address, type Hex } from "viem";

/** A JSON value (specs allow no fractional numbers). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A value of a kernel argument: a reference (`"$sender"`, `"$app"`, `"$args[i]"`, `"$input[i]"`), a literal
 *  (a string starting with `$` is written `$$...`) or an array/tuple of them. */
export type ArgTemplate = string | number | boolean | readonly ArgTemplate[];

/** Reads a view function on a chain the node reaches. */
export interface EvmReadSpec {
  kind: "evm-read";
  chainId: number;
  to: Address;
  /** e.g. `"isApproved(address,uint256)"`. */
  function: string;
  /** One template per function input. */
  args?: readonly ArgTemplate[];
  /** ABI types of the result. */
  outputs: readonly string[];
  /** A fixed block; default the node's pin of that chain. */
  block?: "latest" | number;
}

/** One value an http kernel takes from the JSON response. */
export interface HttpOutput {
  /** `$`, `.name`, `['name']`, `[index]`. */
  path: string;
  type: string;
  /** Scales a decimal number to an integer type. */
  decimals?: number;
}

/** Fetches a URL and takes typed values from its JSON answer. */
export interface HttpSpec {
  kind: "http";
  method: "GET" | "POST";
  /** `{{reference}}` allowed in the path and query. */
  url: string;
  headers?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string>>;
  /** POST only; a template. */
  body?: JsonValue;
  outputs: readonly HttpOutput[];
  /** 1..60000, default 10000. */
  timeoutMs?: number;
  /** Default 1 MiB, at most 16 MiB. */
  maxBytes?: number;
}

interface EvmComputeBase {
  kind: "evm-compute";
  /** Runtime bytecode, at most 24576 bytes. */
  code: Hex;
  args?: readonly ArgTemplate[];
  outputs: readonly string[];
  /** At most 10,000,000 (the default). */
  gas?: number;
}

/** Runs bytecode in a scratch EVM: call data is the function's selector and encoded args, or with `inputs` the plain encoding. */
export type EvmComputeSpec =
  | (EvmComputeBase & { function: string; inputs?: never })
  | (EvmComputeBase & { function?: never; inputs?: readonly string[] });

/** A kernel spec, any kind. */
export type KernelSpec = EvmReadSpec | HttpSpec | EvmComputeSpec;

/** The kinds, in the registry's numbering. */
export type KernelKind = KernelSpec["kind"];

/** The registry's `uint8 kind` of each kind. */
export const kernelKindIds = { "evm-read": 0, http: 1, "evm-compute": 2 } as const satisfies Record<KernelKind, number>;

/** The kind of a registry `uint8 kind`, if known. */
export function kernelKindOf(id: number): KernelKind | undefined {
  const entry = Object.entries(kernelKindIds).find(([, n]) => n === id);
  return entry?.[0] as KernelKind | undefined;
}

const utf8 = new TextEncoder();
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function write(value: unknown, where: string): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`${where}: ${value} is not an integer a spec can hold; write it as a string`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => write(v, `${where}[${i}]`)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => compareUtf8(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, where ? `${where}.${k}` : k)}`).join(",")}}`;
  }
  throw new Error(`${where || "spec"}: ${typeof value} is not JSON`);
}

/** The canonical JSON text of a spec: the bytes the registry stores and whose keccak is its specHash. */
export function canonicalSpec(spec: KernelSpec): string {
  return write(spec, "");
}

/** keccak256 of the canonical spec, as the registry and the engine compute it. */
export function specHash(spec: KernelSpec): Hex {
  return keccak256(stringToHex(canonicalSpec(spec)));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === "string");
const isUint = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const only = (o: Record<string, unknown>, keys: readonly string[]): boolean => Object.keys(o).every((k) => keys.includes(k));
const isTemplate = (v: unknown): boolean =>
  typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isSafeInteger(v)) || (Array.isArray(v) && v.every(isTemplate));
const isStringMap = (v: unknown): boolean => isRecord(v) && Object.values(v).every((s) => typeof s === "string");

/**
 * Whether `value` has the shape of a KernelSpec (fields, their JSON types, no unknown fields). The node
 * checks more (ABI types, references, URLs, limits): use `dryRunKernel` for the full check.
 */
export function isKernelSpec(value: unknown): value is KernelSpec {
  if (!isRecord(value)) return false;
  const o = value;
  const args = o["args"] === undefined || (Array.isArray(o["args"]) && o["args"].every(isTemplate));
  switch (o["kind"]) {
    case "evm-read":
      return (
        only(o, ["kind", "chainId", "to", "function", "args", "outputs", "block"]) &&
        isUint(o["chainId"]) &&
        typeof o["to"] === "string" &&
        /^0x[0-9a-fA-F]{40}$/.test(o["to"]) &&
        typeof o["function"] === "string" &&
        args &&
        isStringArray(o["outputs"]) &&
        (o["block"] === undefined || o["block"] === "latest" || isUint(o["block"]))
      );
    case "http":
      return (
        only(o, ["kind", "method", "url", "headers", "query", "body", "outputs", "timeoutMs", "maxBytes"]) &&
        (o["method"] === "GET" || o["method"] === "POST") &&
        typeof o["url"] === "string" &&
        (o["headers"] === undefined || isStringMap(o["headers"])) &&
        (o["query"] === undefined || isStringMap(o["query"])) &&
        Array.isArray(o["outputs"]) &&
        o["outputs"].every(
          (out: unknown) =>
            isRecord(out) &&
            only(out, ["path", "type", "decimals"]) &&
            typeof out["path"] === "string" &&
            typeof out["type"] === "string" &&
            (out["decimals"] === undefined || isUint(out["decimals"])),
        ) &&
        (o["timeoutMs"] === undefined || isUint(o["timeoutMs"])) &&
        (o["maxBytes"] === undefined || isUint(o["maxBytes"]))
      );
    case "evm-compute":
      return (
        only(o, ["kind", "code", "function", "inputs", "args", "outputs", "gas"]) &&
        typeof o["code"] === "string" &&
        /^0x([0-9a-fA-F]{2})*$/.test(o["code"]) &&
        !(o["function"] !== undefined && o["inputs"] !== undefined) &&
        (o["function"] === undefined || typeof o["function"] === "string") &&
        (o["inputs"] === undefined || isStringArray(o["inputs"])) &&
        args &&
        isStringArray(o["outputs"]) &&
        (o["gas"] === undefined || isUint(o["gas"]))
      );
    default:
      return false;
  }
}
