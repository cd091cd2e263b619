// Each krnl_* error the node can produce here, thrown by the SDK as its class with its data.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { stringToHex, zeroAddress, type Address } from "viem";
import { waitForTransactionReceipt, writeContract } from "viem/actions";
import {
  abis,
  AppNotRegisteredError,
  BadRequestError,
  DepositTooLowError,
  depositToVault,
  deployTokenAuthority,
  EngineBusyError,
  executeKernels,
  KernelInactiveError,
  KernelNotAllowedError,
  KrnlError,
  krnlRequest,
  RequesterNotTrustedError,
  toWireRequest,
  PolicyRefusedError,
  QuorumNotReachedError,
  registerApp,
  RequiredKernelFailedError,
  SignerNotTrustedError,
  SpecInvalidError,
  UnknownKernelError,
  type KernelCall,
} from "../src/index.js";
import { appAbi, createTestApp, deployTest, echoSpec, failingSpec, homeOf, registerKernels, roles, type Home } from "./support/app.js";
import { startDevNode, type DevNode } from "./support/krnld.js";

let node: DevNode;
let home: Home;
let echo: bigint;
let failing: bigint;
let other: bigint;
let hanging: bigint;
let server: Server;

before(async () => {
  // An http kernel that never gets an answer keeps the engine's only request slot busy.
  server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  node = await startDevNode({ extra: `[engine]\nmax_requests_in_flight = 1\nhttp_allowed_hosts = ["127.0.0.1:${port}"]\n` });
  home = homeOf(node);
  [echo, failing, other, hanging] = (await registerKernels(home, [
    echoSpec,
    failingSpec,
    { kind: "evm-compute", code: "0x60003560005260206000f3", inputs: ["uint256"], args: ["$args[0]"], outputs: ["uint256"], gas: 100_000 },
    { kind: "http", method: "GET", url: `http://127.0.0.1:${port}/hang`, outputs: [{ path: "$.v", type: "uint256" }], timeoutMs: 3000 },
  ])) as [bigint, bigint, bigint, bigint];
});
after(async () => {
  server?.closeAllConnections();
  server?.close();
  await node?.stop();
});

const act = (app: Address, kernels: readonly KernelCall[], a = 1n) =>
  executeKernels(home.client, { app, sender: roles.sender.address, abi: appAbi, functionName: "act", args: [a, 2n], kernels });

async function refusal<T extends KrnlError>(p: Promise<unknown>, cls: new (...args: never[]) => T, code: number): Promise<T> {
  const e = await p.then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
  assert.ok(e instanceof KrnlError);
  assert.equal(e.code, code);
  assert.equal(e.method, "krnl_executeKernels");
  assert.ok(e.message.length > 0);
  return e;
}

test("-33000 UnknownKernelError", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo] });
  const e = await refusal(act(app, [{ id: 999_999n }]), UnknownKernelError, -33000);
  assert.match(e.message, /999999|unknown/i);
});

test("-33001 KernelNotAllowedError", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo] });
  await refusal(act(app, [{ id: other }]), KernelNotAllowedError, -33001);
});

test("-33002 DepositTooLowError with needed and available", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo], deposit: 0n });
  const e = await refusal(act(app, [{ id: echo }]), DepositTooLowError, -33002);
  assert.equal(e.needed, 1_000n);
  assert.equal(e.available, 0n);
});

test("-33003 PolicyRefusedError with the policy's reason and the responses", async () => {
  const policy = await deployTest(home, roles.appOwner, "KrnlSdkTestPolicy", [10n]);
  const { app } = await createTestApp(home, { kernelIds: [echo], policy });
  const e = await refusal(act(app, [{ id: echo }], 11n), PolicyRefusedError, -33003);
  assert.equal(e.reason, "sdk test policy: a is above the limit");
  assert.equal(e.responses.length, 1);
  assert.equal(e.responses[0]?.kernelId, echo);
  assert.equal(e.responses[0]?.err, "");
  // Within the limit the same app is served.
  assert.equal((await act(app, [{ id: echo }], 10n)).responses.length, 1);
});

test("-33004 RequiredKernelFailedError with the failed response", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo, failing] });
  const e = await refusal(act(app, [{ id: echo }, { id: failing, required: true }]), RequiredKernelFailedError, -33004);
  const failed = e.responses.find((r) => r.kernelId === failing);
  assert.ok(failed && failed.err !== "", "the failed kernel's err is set");
});

test("-33005 AppNotRegisteredError", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo], register: false });
  await refusal(act(app, [{ id: echo }]), AppNotRegisteredError, -33005);
});

test("-33006 BadRequestError: a literal input is refused, the message names the field", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo] });
  const e = await refusal(act(app, [{ id: echo, inputs: ["42"] }]), BadRequestError, -33006);
  assert.match(e.message, /kernels\[0\]\.inputs|literal|input/);
});

test("-33008 SpecInvalidError: the registered bytes do not parse", async () => {
  const kernelOwner = home.wallet(roles.kernelOwner);
  const info = await home.client.nodeInfo();
  const hash = await writeContract(kernelOwner, {
    address: info.registry,
    abi: abis.KernelRegistry,
    functionName: "registerKernel",
    args: [2, stringToHex('{"kind":"evm-compute"}'), 0n],
  });
  await waitForTransactionReceipt(home.client, { hash });
  const id = (await home.client.listKernels()).at(-1)?.id as bigint;
  const { app } = await createTestApp(home, { kernelIds: [id] });
  await refusal(act(app, [{ id }]), SpecInvalidError, -33008);
});

test("-33007 KernelInactiveError once a deactivation's notice has passed", async () => {
  const [id] = (await registerKernels(home, [echoSpec])) as [bigint];
  const { app } = await createTestApp(home, { kernelIds: [id] });
  assert.equal((await act(app, [{ id }])).responses.length, 1);
  const info = await home.client.nodeInfo();
  const hash = await writeContract(home.wallet(roles.kernelOwner), { address: info.registry, abi: abis.KernelRegistry, functionName: "deactivate", args: [id] });
  await waitForTransactionReceipt(home.client, { hash });
  // The registry's notice period is an hour (contracts/build.mjs).
  await home.client.request({ method: "evm_increaseTime", params: [3601] } as never);
  await home.client.request({ method: "evm_mine", params: [] } as never);
  await refusal(act(app, [{ id }]), KernelInactiveError, -33007);
  assert.equal((await home.client.getKernel({ id })).active, false);
});

test("-33011 QuorumNotReachedError: k = 2 with no peers", async () => {
  const app = await deployTest(home, roles.appOwner, "KrnlSdkTestApp", [(await home.client.nodeInfo()).registry, roles.appOwner.address]);
  const owner = home.wallet(roles.appOwner);
  const { address } = await deployTokenAuthority(owner, { app, signers: [roles.operator.address, roles.stranger.address], threshold: 2n });
  await registerApp(owner, { app, tokenAuthority: address, kernelIds: [echo] });
  await depositToVault(owner, { app, value: 10n ** 16n });
  const e = await refusal(act(app, [{ id: echo }]), QuorumNotReachedError, -33011);
  assert.equal(e.threshold, 2);
});

test("-33012 SignerNotTrustedError: the authority does not trust this node", async () => {
  const app = await deployTest(home, roles.appOwner, "KrnlSdkTestApp", [(await home.client.nodeInfo()).registry, roles.appOwner.address]);
  const owner = home.wallet(roles.appOwner);
  const { address } = await deployTokenAuthority(owner, { app, signers: [roles.stranger.address], policy: zeroAddress });
  await registerApp(owner, { app, tokenAuthority: address, kernelIds: [echo] });
  await depositToVault(owner, { app, value: 10n ** 16n });
  await refusal(act(app, [{ id: echo }]), SignerNotTrustedError, -33012);
});

test("-33013 RequesterNotTrustedError: an unsigned krnl_cosign, through krnlRequest", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo] });
  const request = toWireRequest({ app, sender: roles.sender.address, abi: appAbi, functionName: "act", args: [1n, 2n], kernels: [{ id: echo }] }, 31337);
  const e = await krnlRequest(home.client, "krnl_cosign", [request, "none", "0x1", "0x1", "0x0"]).then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(e instanceof RequesterNotTrustedError, String(e));
  assert.equal(e.code, -33013);
  assert.equal(e.method, "krnl_cosign");
});

test("-33017 EngineBusyError while the only request slot is taken", async () => {
  const { app } = await createTestApp(home, { kernelIds: [echo, hanging] });
  const slow = act(app, [{ id: hanging }]).catch((e: unknown) => e);
  let busy: EngineBusyError | undefined;
  // The slow request holds the slot for its kernel's 3 s timeout; ask until it has taken it.
  for (let i = 0; i < 100 && !busy; i++) {
    try {
      await act(app, [{ id: echo }]);
    } catch (e) {
      if (e instanceof EngineBusyError) busy = e;
      else throw e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await slow;
  assert.ok(busy, "a second request was refused as busy");
  assert.equal(busy.code, -33017);
  assert.equal(busy.limit, "max_requests_in_flight");
  assert.equal(busy.max, 1);
});
