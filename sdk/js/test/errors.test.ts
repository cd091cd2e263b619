// The mapping of every krnl_* code (and the bundler's -32500 attestation refusal) to its class, from the
// raw JSON-RPC error and from inside viem's error chain (UnknownRpcError -> RpcRequestError -> error object).
import { test } from "node:test";
import assert from "node:assert/strict";
import { RpcRequestError, UnknownRpcError } from "viem";
import { UserOperationExecutionError } from "viem/account-abstraction";
import {
  AppNotRegisteredError,
  AttestationRefusedError,
  BadRequestError,
  ChainUnreadableError,
  CosignNotServedError,
  DepositTooLowError,
  EngineBusyError,
  KernelInactiveError,
  KernelNotAllowedError,
  KrnlError,
  krnlErrorCodes,
  NodeFeeMismatchError,
  NonceReplayedError,
  NonceSetFullError,
  parseKrnlError,
  PinsOutsideWindowError,
  PolicyRefusedError,
  QuorumNotReachedError,
  RequesterNotTrustedError,
  RequiredKernelFailedError,
  ResponsesDifferError,
  SignerNotTrustedError,
  SpecInvalidError,
  UnknownKernelError,
} from "../src/index.js";

const classes = [
  [-33000, UnknownKernelError],
  [-33001, KernelNotAllowedError],
  [-33002, DepositTooLowError],
  [-33003, PolicyRefusedError],
  [-33004, RequiredKernelFailedError],
  [-33005, AppNotRegisteredError],
  [-33006, BadRequestError],
  [-33007, KernelInactiveError],
  [-33008, SpecInvalidError],
  [-33009, ChainUnreadableError],
  [-33010, ResponsesDifferError],
  [-33011, QuorumNotReachedError],
  [-33012, SignerNotTrustedError],
  [-33013, RequesterNotTrustedError],
  [-33014, PinsOutsideWindowError],
  [-33015, NonceReplayedError],
  [-33016, NodeFeeMismatchError],
  [-33017, EngineBusyError],
  [-33018, NonceSetFullError],
  [-33019, CosignNotServedError],
] as const;

/** What viem throws for a JSON-RPC error with a code it does not know. */
function viemError(error: { code: number; message: string; data?: unknown }, method = "krnl_executeKernels"): Error {
  const request = new RpcRequestError({ body: { method, params: [] }, error, url: "http://127.0.0.1:1" });
  return new UnknownRpcError(request);
}

const responses = [{ kernelId: "0x2", result: "0x", err: "timeout" }];

test("every code -33000..-33019 maps to its class, with message, data and method", () => {
  assert.equal(classes.length, 20);
  for (const [code, cls] of classes) {
    const raw = { code, message: `engine says ${code}`, data: { responses } };
    for (const input of [raw, viemError(raw)]) {
      const e = parseKrnlError(input);
      assert.ok(e instanceof cls, `${code} -> ${e?.name}`);
      assert.ok(e instanceof KrnlError);
      assert.equal(e.code, code);
      assert.equal(e.message, `engine says ${code}`);
      assert.deepEqual(e.data, { responses });
      assert.equal(e.name, cls.name);
      assert.equal(e.cause, input);
    }
    assert.equal(parseKrnlError(viemError(raw), "krnl_executeKernels")?.method, "krnl_executeKernels");
    assert.equal(parseKrnlError(raw)?.method, undefined);
  }
  assert.equal(Object.values(krnlErrorCodes).filter((c) => c <= -33000).length, 20);
});

test("errors carry their typed data", () => {
  const deposit = parseKrnlError({ code: -33002, message: "deposit too low", data: { needed: "0x3e8", available: "0x0" } });
  assert.ok(deposit instanceof DepositTooLowError);
  assert.equal(deposit.needed, 1000n);
  assert.equal(deposit.available, 0n);

  const policy = parseKrnlError({ code: -33003, message: "policy refused: no", data: { reason: "no", responses } });
  assert.ok(policy instanceof PolicyRefusedError);
  assert.equal(policy.reason, "no");
  assert.deepEqual(policy.responses, [{ kernelId: 2n, result: "0x", err: "timeout" }]);

  const reverted = parseKrnlError({ code: -33003, message: "policy refused: reverted", data: { responses: [] } });
  assert.ok(reverted instanceof PolicyRefusedError);
  assert.equal(reverted.reason, undefined);

  const required = parseKrnlError({ code: -33004, message: "kernel 2 failed", data: { responses } });
  assert.ok(required instanceof RequiredKernelFailedError);
  assert.equal(required.responses[0]?.err, "timeout");

  const differ = parseKrnlError({ code: -33010, message: "other responses", data: { position: 1, responses } });
  assert.ok(differ instanceof ResponsesDifferError);
  assert.equal(differ.position, 1);

  const quorum = parseKrnlError({
    code: -33011,
    message: "quorum",
    data: { threshold: 2, signatures: 1, peers: [{ url: "http://peer", error: "down" }], responses },
  });
  assert.ok(quorum instanceof QuorumNotReachedError);
  assert.equal(quorum.threshold, 2);
  assert.deepEqual(quorum.peers, [{ url: "http://peer", error: "down" }]);
  const unreachable = parseKrnlError({ code: -33011, message: "quorum", data: { threshold: 3, peers: 1 } });
  assert.ok(unreachable instanceof QuorumNotReachedError);
  assert.equal(unreachable.peers, 1);

  const fee = parseKrnlError({ code: -33016, message: "fee", data: { nodeFee: "0x64" } });
  assert.ok(fee instanceof NodeFeeMismatchError);
  assert.equal(fee.nodeFee, 100n);

  const busy = parseKrnlError({ code: -33017, message: "busy", data: { limit: "max_kernels_in_flight", inFlight: 256, max: 256 } });
  assert.ok(busy instanceof EngineBusyError);
  assert.equal(busy.limit, "max_kernels_in_flight");
  assert.equal(busy.inFlight, 256);
  assert.equal(busy.max, 256);
});

test("-32500 with engineCode is AttestationRefusedError carrying the engine's error as its class", () => {
  const raw = {
    code: -32500,
    message: "KRNL attestation refused: policy refused: score too low",
    data: { engineCode: -33003, reason: "score too low", responses },
  };
  // The bundler's error reaches the caller wrapped by viem's user-operation error.
  const wrapped = new UserOperationExecutionError(viemError(raw, "eth_sendUserOperation") as never, {} as never);
  for (const input of [raw, viemError(raw, "eth_sendUserOperation"), wrapped]) {
    const e = parseKrnlError(input);
    assert.ok(e instanceof AttestationRefusedError, `${e?.name}`);
    assert.equal(e.code, -32500);
    assert.equal(e.engineCode, -33003);
    assert.equal(e.reason, "score too low");
    assert.equal(e.responses.length, 1);
    assert.ok(e.engineError instanceof PolicyRefusedError);
    assert.equal((e.engineError as PolicyRefusedError).reason, "score too low");
  }
  assert.equal(parseKrnlError(wrapped, "eth_sendUserOperation")?.method, "eth_sendUserOperation");
  const deposit = parseKrnlError({ code: -32500, message: "KRNL attestation refused: deposit", data: { engineCode: -33002, needed: "0x10", available: "0x1" } });
  assert.ok(deposit instanceof AttestationRefusedError);
  assert.ok(deposit.engineError instanceof DepositTooLowError);
  assert.equal(deposit.engineError.needed, 16n);
});

test("errors that are not krnl's are left alone", () => {
  assert.equal(parseKrnlError(new Error("network down")), undefined);
  assert.equal(parseKrnlError(viemError({ code: -32602, message: "invalid params" })), undefined);
  // -32500 without engineCode is some other bundler refusal (e.g. the EntryPoint's).
  assert.equal(parseKrnlError({ code: -32500, message: "AA23 reverted" }), undefined);
  assert.equal(parseKrnlError(undefined), undefined);
  assert.equal(parseKrnlError("text"), undefined);
  // A cause cycle ends the walk.
  const a: { cause?: unknown } = {};
  const b = { cause: a };
  a.cause = b;
  assert.equal(parseKrnlError(a), undefined);
});
