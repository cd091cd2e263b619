// The krnl_* error codes (docs/krnl-rpc.md, -33000..-33019) and the bundler's "KRNL attestation refused"
// (-32500 with data.engineCode, docs/account-attestation.md) as classes, found inside viem's error chain
// (viem wraps a JSON-RPC error in UnknownRpcError -> RpcRequestError -> {code, message, data}).
import { toResponses } from "./wire.js";
import type { KernelResponse } from "./types.js";

/** The engine's error codes. */
export const krnlErrorCodes = {
  unknownKernel: -33000,
  kernelNotAllowed: -33001,
  depositTooLow: -33002,
  policyRefused: -33003,
  requiredKernelFailed: -33004,
  appNotRegistered: -33005,
  badRequest: -33006,
  kernelInactive: -33007,
  specInvalid: -33008,
  chainUnreadable: -33009,
  responsesDiffer: -33010,
  quorumNotReached: -33011,
  signerNotTrusted: -33012,
  requesterNotTrusted: -33013,
  pinsOutsideWindow: -33014,
  nonceReplayed: -33015,
  nodeFeeMismatch: -33016,
  engineBusy: -33017,
  nonceSetFull: -33018,
  cosignNotServed: -33019,
  /** The bundler's refusal of a user operation whose attestation the engine refused. */
  attestationRefused: -32500,
} as const;

/** What a JSON-RPC error carries. */
export interface RpcErrorFields {
  code: number;
  message: string;
  data?: unknown;
  /** The JSON-RPC method, when known. */
  method?: string | undefined;
  cause?: unknown;
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const big = (v: unknown): bigint | undefined => {
  if (typeof v === "bigint") return v;
  if ((typeof v === "string" && v !== "") || typeof v === "number") {
    try {
      return BigInt(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
};
const responsesIn = (data: unknown): KernelResponse[] => {
  const r = record(data)["responses"];
  return Array.isArray(r) ? toResponses(r) : [];
};

/** Base of every krnl error: the JSON-RPC code, message and data, and the method that failed. */
export class KrnlError extends Error {
  override name = "KrnlError";
  readonly code: number;
  readonly data: unknown;
  readonly method: string | undefined;
  constructor(e: RpcErrorFields) {
    super(e.message, e.cause === undefined ? undefined : { cause: e.cause });
    this.code = e.code;
    this.data = e.data;
    this.method = e.method;
  }
}

/** -33000: no kernel with this id in the registry. */
export class UnknownKernelError extends KrnlError {
  override name = "UnknownKernelError";
}
/** -33001: the kernel is not among the app's kernels (KernelRegistry.updateApp). */
export class KernelNotAllowedError extends KrnlError {
  override name = "KernelNotAllowedError";
}
/** -33002: the app's vault deposit does not cover the fees. */
export class DepositTooLowError extends KrnlError {
  override name = "DepositTooLowError";
  readonly needed: bigint | undefined;
  readonly available: bigint | undefined;
  constructor(e: RpcErrorFields) {
    super(e);
    this.needed = big(record(e.data)["needed"]);
    this.available = big(record(e.data)["available"]);
  }
}
/** -33003: the app's policy refused; `reason` is the policy's own (absent when it reverted or failed). */
export class PolicyRefusedError extends KrnlError {
  override name = "PolicyRefusedError";
  readonly reason: string | undefined;
  readonly responses: KernelResponse[];
  constructor(e: RpcErrorFields) {
    super(e);
    const reason = record(e.data)["reason"];
    this.reason = typeof reason === "string" ? reason : undefined;
    this.responses = responsesIn(e.data);
  }
}
/** -33004: a kernel marked `required` failed or timed out; see the responses' `err`. */
export class RequiredKernelFailedError extends KrnlError {
  override name = "RequiredKernelFailedError";
  readonly responses: KernelResponse[];
  constructor(e: RpcErrorFields) {
    super(e);
    this.responses = responsesIn(e.data);
  }
}
/** -33005: the app is not registered (KernelRegistry.registerApp). */
export class AppNotRegisteredError extends KrnlError {
  override name = "AppNotRegisteredError";
}
/** -33006: the request is malformed; the message names the field. */
export class BadRequestError extends KrnlError {
  override name = "BadRequestError";
}
/** -33007: the kernel is inactive or being deactivated within 30 s. */
export class KernelInactiveError extends KrnlError {
  override name = "KernelInactiveError";
}
/** -33008: the registered spec does not parse on this node. */
export class SpecInvalidError extends KrnlError {
  override name = "SpecInvalidError";
}
/** -33009: a chain could not be read (registry, vault, token authority, a pin). */
export class ChainUnreadableError extends KrnlError {
  override name = "ChainUnreadableError";
}
/** -33010 (krnl_cosign): the peer got other responses. */
export class ResponsesDifferError extends KrnlError {
  override name = "ResponsesDifferError";
  readonly position: number | undefined;
  readonly responses: KernelResponse[];
  constructor(e: RpcErrorFields) {
    super(e);
    const p = record(e.data)["position"];
    this.position = typeof p === "number" ? p : undefined;
    this.responses = responsesIn(e.data);
  }
}
/** -33011: k signatures cannot be gathered. */
export class QuorumNotReachedError extends KrnlError {
  override name = "QuorumNotReachedError";
  readonly threshold: number | undefined;
  /** Each peer's answer, when the peers were asked; the number of peers when k is out of reach. */
  readonly peers: { url: string; error?: string }[] | number | undefined;
  readonly responses: KernelResponse[];
  constructor(e: RpcErrorFields) {
    super(e);
    const d = record(e.data);
    this.threshold = typeof d["threshold"] === "number" ? d["threshold"] : undefined;
    const peers = d["peers"];
    this.peers =
      typeof peers === "number"
        ? peers
        : Array.isArray(peers)
          ? peers.map((p) => {
              const r = record(p);
              const out: { url: string; error?: string } = { url: String(r["url"] ?? "") };
              if (typeof r["error"] === "string") out.error = r["error"];
              return out;
            })
          : undefined;
    this.responses = responsesIn(e.data);
  }
}
/** -33012: this node is not a signer of the app's token authority (TokenAuthority.addSigner). */
export class SignerNotTrustedError extends KrnlError {
  override name = "SignerNotTrustedError";
}
/** -33013 (krnl_cosign): unsigned, badly signed, or the requester is not a trusted signer. */
export class RequesterNotTrustedError extends KrnlError {
  override name = "RequesterNotTrustedError";
}
/** -33014 (krnl_cosign): a pin or the request time is outside the peer's window. */
export class PinsOutsideWindowError extends KrnlError {
  override name = "PinsOutsideWindowError";
}
/** -33015 (krnl_cosign): this nonce was co-signed already. */
export class NonceReplayedError extends KrnlError {
  override name = "NonceReplayedError";
}
/** -33016 (krnl_cosign): nodeFee is not the peer's; `nodeFee` is the peer's. */
export class NodeFeeMismatchError extends KrnlError {
  override name = "NodeFeeMismatchError";
  readonly nodeFee: bigint | undefined;
  constructor(e: RpcErrorFields) {
    super(e);
    this.nodeFee = big(record(e.data)["nodeFee"]);
  }
}
/** -33017: the engine is at `max_requests_in_flight` or `max_kernels_in_flight`; retry later. */
export class EngineBusyError extends KrnlError {
  override name = "EngineBusyError";
  readonly limit: string | undefined;
  readonly inFlight: number | undefined;
  readonly max: number | undefined;
  constructor(e: RpcErrorFields) {
    super(e);
    const d = record(e.data);
    this.limit = typeof d["limit"] === "string" ? d["limit"] : undefined;
    this.inFlight = typeof d["inFlight"] === "number" ? d["inFlight"] : undefined;
    this.max = typeof d["max"] === "number" ? d["max"] : undefined;
  }
}
/** -33018 (krnl_cosign): the peer holds too many unexpired nonces. */
export class NonceSetFullError extends KrnlError {
  override name = "NonceSetFullError";
}
/** -33019: krnl_cosign is served on the node's peer_port only. */
export class CosignNotServedError extends KrnlError {
  override name = "CosignNotServedError";
}

/**
 * -32500 "KRNL attestation refused" from the bundler: the engine refused to attest a user operation.
 * `engineError` is the engine's error as its own class (PolicyRefusedError, DepositTooLowError, ...).
 */
export class AttestationRefusedError extends KrnlError {
  override name = "AttestationRefusedError";
  readonly engineCode: number;
  readonly engineError: KrnlError;
  readonly reason: string | undefined;
  readonly responses: KernelResponse[];
  constructor(e: RpcErrorFields) {
    super(e);
    const engineCode = record(e.data)["engineCode"];
    this.engineCode = typeof engineCode === "number" ? engineCode : 0;
    this.engineError = krnlErrorFrom({ code: this.engineCode, message: e.message, data: e.data, method: e.method });
    const reason = record(e.data)["reason"];
    this.reason = typeof reason === "string" ? reason : undefined;
    this.responses = responsesIn(e.data);
  }
}

type ErrorClass = new (e: RpcErrorFields) => KrnlError;
const classes: Record<number, ErrorClass> = {
  [-33000]: UnknownKernelError,
  [-33001]: KernelNotAllowedError,
  [-33002]: DepositTooLowError,
  [-33003]: PolicyRefusedError,
  [-33004]: RequiredKernelFailedError,
  [-33005]: AppNotRegisteredError,
  [-33006]: BadRequestError,
  [-33007]: KernelInactiveError,
  [-33008]: SpecInvalidError,
  [-33009]: ChainUnreadableError,
  [-33010]: ResponsesDifferError,
  [-33011]: QuorumNotReachedError,
  [-33012]: SignerNotTrustedError,
  [-33013]: RequesterNotTrustedError,
  [-33014]: PinsOutsideWindowError,
  [-33015]: NonceReplayedError,
  [-33016]: NodeFeeMismatchError,
  [-33017]: EngineBusyError,
  [-33018]: NonceSetFullError,
  [-33019]: CosignNotServedError,
};

/** Whether a JSON-RPC code is one of the engine's (-33000..-33019). */
export function isKrnlErrorCode(code: number): boolean {
  return code in classes;
}

/** The class for a code and its fields; an unknown code gives a plain KrnlError. */
export function krnlErrorFrom(e: RpcErrorFields): KrnlError {
  const cls = classes[e.code];
  if (cls) return new cls(e);
  if (e.code === krnlErrorCodes.attestationRefused && typeof record(e.data)["engineCode"] === "number")
    return new AttestationRefusedError(e);
  return new KrnlError(e);
}

/**
 * Finds a krnl JSON-RPC error inside `error` (a viem error, walking `cause`; or the raw `{code, message, data}`)
 * and returns it as its class, with `cause` the original error. Undefined when there is none. `method` names
 * the JSON-RPC method when the error does not.
 */
export function parseKrnlError(error: unknown, method?: string): KrnlError | undefined {
  if (error instanceof KrnlError) return error;
  let found: RpcErrorFields | undefined;
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === "object" && e !== null && !seen.has(e); e = record(e)["cause"]) {
    seen.add(e);
    const r = record(e);
    const body = record(r["body"]);
    if (typeof body["method"] === "string") method ??= body["method"];
    const code = r["code"];
    if (typeof code !== "number") continue;
    const krnl = code in classes || (code === krnlErrorCodes.attestationRefused && typeof record(r["data"])["engineCode"] === "number");
    if (!krnl) continue;
    // The innermost object with the code is the JSON-RPC error itself, whose message is the node's.
    const message = typeof r["details"] === "string" ? r["details"] : typeof r["message"] === "string" ? r["message"] : "";
    found = { code, message, data: r["data"] ?? found?.data, method };
  }
  if (!found) return undefined;
  return krnlErrorFrom({ ...found, method: found.method ?? method, cause: error });
}
