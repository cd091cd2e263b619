// writeContractWithKrnl / simulateContractWithKrnl end to end on KrnlSdkTestApp (a KrnlConsumer): the
// payload is bound to the call and consumed; a replayed or stolen payload reverts with KRNL's named error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { BaseError, ContractFunctionRevertedError, decodeAbiParameters, getAddress, http } from "viem";
import { readContract, simulateContract } from "viem/actions";
import {
  createKrnlClient,
  krnlActions,
  PolicyRefusedError,
  simulateContractWithKrnl,
  withKrnlErrors,
  writeContractWithKrnl,
} from "../src/index.js";
import { appAbi, createTestApp, deployTest, echoSpec, homeOf, registerKernels, roles, type Home, type TestApp } from "./support/app.js";
import { startDevNode, type DevNode } from "./support/krnld.js";

let node: DevNode;
let home: Home;
let echo: bigint;
let testApp: TestApp;

before(async () => {
  node = await startDevNode();
  home = homeOf(node);
  [echo] = (await registerKernels(home, [echoSpec])) as [bigint];
  const policy = await deployTest(home, roles.appOwner, "KrnlSdkTestPolicy", [100n]);
  testApp = await createTestApp(home, { kernelIds: [echo], policy });
});
after(async () => {
  await node?.stop();
});

/** The KRNL error a call reverts with, by name (viem decodes it from the merged ABI). */
async function revertName(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => assert.fail("expected a revert"),
    (e: unknown) => e,
  );
  assert.ok(e instanceof BaseError, String(e));
  const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError);
  assert.ok(reverted instanceof ContractFunctionRevertedError, `not a contract revert: ${e.message}`);
  return reverted.data?.errorName;
}

test("writeContractWithKrnl: kernels run for this call, the payload is appended and consumed", async () => {
  const sender = home.wallet(roles.sender);
  const w = await writeContractWithKrnl(sender, { address: testApp.app, abi: appAbi, functionName: "act", args: [42n, 1n], kernels: [{ id: echo }] });
  assert.equal(w.receipt.status, "success");
  assert.equal(getAddress(w.payload.sender), roles.sender.address);
  assert.equal(getAddress(w.payload.app), getAddress(testApp.app));
  assert.equal(w.payload.nonce, w.execution.nonce);
  assert.deepEqual(w.payload.responses, w.execution.responses);
  assert.equal(await readContract(home.client, { address: testApp.app, abi: appAbi, functionName: "acted" }), 1n);
  const last = await readContract(home.client, { address: testApp.app, abi: appAbi, functionName: "lastResult" });
  assert.deepEqual(decodeAbiParameters([{ type: "uint256" }], last), [42n]);
});

test("simulateContractWithKrnl returns the function's result and a request writeContract takes", async () => {
  const sim = await home.client.simulateContractWithKrnl({
    address: testApp.app,
    abi: appAbi,
    functionName: "act",
    args: [3n, 4n],
    kernels: [{ id: echo }],
    account: roles.sender.address,
  });
  assert.equal(sim.result, 2n);
  assert.equal(sim.request.args.length, 3);
  assert.equal(sim.request.args[2], sim.execution.payload);
  assert.equal(sim.payload.kernelIds[0], echo);
});

test("a replayed payload reverts with TokenAuthority's NonceUsed", async () => {
  const w = await writeContractWithKrnl(home.wallet(roles.sender), { address: testApp.app, abi: appAbi, functionName: "act", args: [5n, 6n], kernels: [{ id: echo }] });
  const replay = simulateContract(home.client, {
    address: testApp.app,
    abi: withKrnlErrors(appAbi),
    functionName: "act",
    args: [5n, 6n, w.execution.payload],
    account: roles.sender.address,
  });
  assert.equal(await revertName(replay), "NonceUsed");
});

test("another caller's payload reverts with KrnlConsumer's WrongSender; other arguments with WrongArguments", async () => {
  const sim = await simulateContractWithKrnl(home.client, {
    address: testApp.app,
    abi: appAbi,
    functionName: "act",
    args: [7n, 8n],
    kernels: [{ id: echo }],
    account: roles.sender.address,
  });
  const abi = withKrnlErrors(appAbi);
  const stolen = simulateContract(home.client, { address: testApp.app, abi, functionName: "act", args: [7n, 8n, sim.execution.payload], account: roles.stranger.address });
  assert.equal(await revertName(stolen), "WrongSender");
  const changed = simulateContract(home.client, { address: testApp.app, abi, functionName: "act", args: [7n, 9n, sim.execution.payload], account: roles.sender.address });
  assert.equal(await revertName(changed), "WrongArguments");
});

test("writeContractWithKrnl surfaces the engine's refusal as its class and sends nothing", async () => {
  const before = await readContract(home.client, { address: testApp.app, abi: appAbi, functionName: "acted" });
  const e = await writeContractWithKrnl(home.wallet(roles.sender), {
    address: testApp.app,
    abi: appAbi,
    functionName: "act",
    args: [101n, 0n],
    kernels: [{ id: echo }],
  }).then(
    () => assert.fail("expected the policy's refusal"),
    (e: unknown) => e,
  );
  assert.ok(e instanceof PolicyRefusedError, String(e));
  assert.equal(e.reason, "sdk test policy: a is above the limit");
  assert.equal(await readContract(home.client, { address: testApp.app, abi: appAbi, functionName: "acted" }), before);
});

test("an ABI whose function lacks the payload parameter is refused before any request", async () => {
  const abi = [{ type: "function", name: "acted", stateMutability: "nonpayable", inputs: [{ name: "x", type: "uint256" }], outputs: [] }] as const;
  await assert.rejects(
    simulateContractWithKrnl(home.client, { address: testApp.app, abi, functionName: "acted", args: [] as never, kernels: [], account: roles.sender.address }),
    /payload/,
  );
});

test("bound actions: a KrnlClient with an account, and a viem wallet client extended with krnlActions", async () => {
  const withAccount = createKrnlClient({ chain: node.home.chain, transport: http(node.home.url), account: roles.sender, pollingInterval: 50 });
  const a = await withAccount.writeContractWithKrnl({ address: testApp.app, abi: appAbi, functionName: "act", args: [11n, 1n], kernels: [{ id: echo }] });
  assert.equal(a.receipt.status, "success");
  assert.equal(getAddress(a.payload.sender), roles.sender.address);
  const extended = home.wallet(roles.sender).extend(krnlActions);
  const b = await extended.writeContractWithKrnl({ address: testApp.app, abi: appAbi, functionName: "act", args: [12n, 1n], kernels: [{ id: echo }] });
  assert.equal(b.receipt.status, "success");
  assert.equal(b.payload.nonce === a.payload.nonce, false);
});
