// A separate engine (createKrnlClient's `engine`, krnlTransport), checksummed addresses, a reusable
// simulation request, and sendContractWrite / revertErrorOf, against krnld. The "chain node" here is a
// transport to krnld that refuses krnl_*, as a Hardhat node would: only the engine answers them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createWalletClient, custom, getAddress, http, parseEther, type EIP1193RequestFn } from "viem";
import { readContract, simulateContract, writeContract, waitForTransactionReceipt } from "viem/actions";
import {
  abis,
  createKrnlClient,
  deployTokenAuthority,
  depositToVault,
  executeKernels,
  getDeposit,
  getKernel,
  krnlTransport,
  nodeInfo,
  registerKernel,
  revertErrorOf,
  sendContractWrite,
  simulateContractWithKrnl,
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
  testApp = await createTestApp(home, { kernelIds: [echo] });
});
after(async () => {
  await node?.stop();
});

/** krnld's home chain without krnl_* (method not found, as on Hardhat), recording what it was asked. */
function chainOnly(seen: string[]) {
  const upstream = http(node.home.url, { retryCount: 0 })({});
  const request = (async (args: { method: string; params?: unknown }) => {
    seen.push(args.method);
    if (args.method.startsWith("krnl_")) throw Object.assign(new Error(`the method ${args.method} does not exist`), { code: -32601 });
    return upstream.request(args as never);
  }) as EIP1193RequestFn;
  return custom({ request }, { retryCount: 0 });
}

/** The engine (krnld), recording what it was asked. */
function engineOf(seen: string[]) {
  const upstream = http(node.home.url, { retryCount: 0 })({});
  return custom({ request: (async (args: { method: string; params?: unknown }) => (seen.push(args.method), upstream.request(args as never))) as EIP1193RequestFn }, { retryCount: 0 });
}

test("createKrnlClient's engine: krnl_* of every action and builder go to the engine, chain calls to the chain", async () => {
  const [chainSeen, engineSeen]: [string[], string[]] = [[], []];
  const client = createKrnlClient({ chain: node.home.chain, transport: chainOnly(chainSeen), engine: engineOf(engineSeen), pollingInterval: 50 });
  const wallet = createKrnlClient({ chain: node.home.chain, transport: chainOnly(chainSeen), engine: engineOf(engineSeen), account: roles.kernelOwner, pollingInterval: 50 });

  const info = await client.nodeInfo();
  assert.equal(info.chainId, 31337);
  const { id } = await registerKernel(wallet, { spec: echoSpec, fee: 5n });
  assert.equal((await getKernel(client, { id })).fee, 5n);
  assert.equal(await getDeposit(client, { app: testApp.app }), await getDeposit(home.client, { app: testApp.app }));
  const execution = await executeKernels(client, { app: testApp.app, sender: roles.sender.address, abi: appAbi, functionName: "act", args: [1n, 2n], kernels: [{ id: echo }] });
  assert.equal(execution.responses[0]?.err, "");

  assert.ok(engineSeen.includes("krnl_nodeInfo") && engineSeen.includes("krnl_getKernel") && engineSeen.includes("krnl_executeKernels"));
  assert.deepEqual(engineSeen.filter((m) => !m.startsWith("krnl_")), [], "only krnl_* reach the engine");
  assert.deepEqual(chainSeen.filter((m) => m.startsWith("krnl_")), [], "no krnl_* reach the chain");
  assert.ok(chainSeen.includes("eth_sendRawTransaction") && chainSeen.includes("eth_call"));
});

test("createKrnlClient's engine as a URL: an attested write from a wallet whose chain node has no krnl_*", async () => {
  const chainSeen: string[] = [];
  const wallet = createKrnlClient({ chain: node.home.chain, transport: chainOnly(chainSeen), engine: node.home.url, account: roles.sender, pollingInterval: 50 });
  const w = await wallet.writeContractWithKrnl({ address: testApp.app, abi: appAbi, functionName: "act", args: [9n, 1n], kernels: [{ id: echo }] });
  assert.equal(w.receipt.status, "success");
  assert.deepEqual(chainSeen.filter((m) => m.startsWith("krnl_")), []);
  // The client keeps the chain transport's kind and attributes.
  assert.equal(wallet.transport.type, "custom");
});

test("krnlTransport routes a plain viem wallet client, and the builders' `engine` option serves one that cannot", async () => {
  const [chainSeen, engineSeen]: [string[], string[]] = [[], []];
  const transport = krnlTransport({ chain: chainOnly(chainSeen), engine: engineOf(engineSeen) });
  const owner = createWalletClient({ chain: node.home.chain, transport, account: roles.appOwner, pollingInterval: 50 });
  await depositToVault(owner, { app: testApp.app, value: 1n });
  assert.ok(engineSeen.includes("krnl_nodeInfo"));
  // A wallet on the bare chain node: its krnl_nodeInfo would fail; `engine` names where it goes instead.
  const bare = createWalletClient({ chain: node.home.chain, transport: chainOnly(chainSeen), account: roles.appOwner, pollingInterval: 50 });
  const engine = createKrnlClient({ chain: node.home.chain, transport: engineOf(engineSeen) });
  const before = engineSeen.length;
  await depositToVault(bare, { app: testApp.app, value: 1n, engine });
  assert.ok(engineSeen.slice(before).includes("krnl_nodeInfo"));
  assert.deepEqual(chainSeen.filter((m) => m.startsWith("krnl_")), []);
});

test("addresses come back checksummed: nodeInfo, execution signers and token authority, kernel owner, deployed authority", async () => {
  const info = await nodeInfo(home.client);
  for (const a of [info.signer, info.registry, info.vault]) assert.equal(a, getAddress(a));
  assert.equal(info.signer, roles.operator.address);
  const execution = await executeKernels(home.client, { app: testApp.app, sender: roles.sender.address, abi: appAbi, functionName: "act", args: [1n, 2n], kernels: [{ id: echo }] });
  assert.deepEqual(execution.signers, [roles.operator.address]);
  assert.equal(execution.tokenAuthority, getAddress(testApp.authority));
  assert.equal((await getKernel(home.client, { id: echo })).owner, roles.kernelOwner.address);
  const { address } = await deployTokenAuthority(home.wallet(roles.appOwner), { app: testApp.app, signers: [info.signer] });
  assert.equal(address, getAddress(address));
  assert.match(address, /[A-F]/, "a checksummed address has upper-case letters (almost surely)");
});

test("simulateContractWithKrnl's request goes to viem's simulateContract and writeContract as is", async () => {
  const sim = await simulateContractWithKrnl(home.client, { address: testApp.app, abi: appAbi, functionName: "act", args: [21n, 1n], kernels: [{ id: echo }], account: roles.sender });
  assert.equal("chain" in sim.request, false);
  const again = await simulateContract(home.client, sim.request);
  assert.equal(again.result, sim.result);
  // Another sender with the same request: KrnlConsumer's WrongSender, named.
  const stolen = await simulateContract(home.client, { ...sim.request, account: roles.stranger.address }).then(() => undefined, revertErrorOf);
  assert.equal(stolen?.name, "WrongSender");
  const before = await readContract(home.client, { address: testApp.app, abi: appAbi, functionName: "acted" });
  const hash = await writeContract(home.wallet(roles.sender), sim.request);
  assert.equal((await waitForTransactionReceipt(home.client, { hash })).status, "success");
  assert.equal(await readContract(home.client, { address: testApp.app, abi: appAbi, functionName: "acted" }), before + 1n);
  const replay = await simulateContract(home.client, sim.request).then(() => undefined, revertErrorOf);
  assert.deepEqual(replay?.name, "NonceUsed");
});

test("sendContractWrite simulates, sends and waits; revertErrorOf names the revert with its arguments", async () => {
  const owner = home.wallet(roles.appOwner);
  const app = await deployTest(home, roles.appOwner, "KrnlSdkTestApp", [(await nodeInfo(home.client)).registry, roles.appOwner.address]);
  const { address: authority } = await deployTokenAuthority(owner, { app, signers: [roles.operator.address] });
  const registry = (await nodeInfo(home.client)).registry;
  const call = { address: registry, abi: abis.KernelRegistry, functionName: "registerApp", args: [app, authority, [echo]] } as const;
  const { receipt } = await sendContractWrite(owner, call);
  assert.equal(receipt.status, "success");
  assert.equal(await home.client.getTokenAuthority({ app }), authority);

  const again = await sendContractWrite(owner, call).then(() => assert.fail("registering twice must revert"), (e: unknown) => e);
  assert.deepEqual(revertErrorOf(again), { name: "AppExists", args: [app], raw: revertErrorOf(again)?.raw });
  const stranger = await sendContractWrite(home.wallet(roles.stranger), { ...call, functionName: "updateApp" }).then(() => assert.fail("a stranger must not update"), (e: unknown) => e);
  assert.deepEqual(revertErrorOf(stranger)?.args, [app, roles.stranger.address]);
  assert.equal(revertErrorOf(stranger)?.name, "NotAppOwner");
  // Not a revert: undefined.
  assert.equal(revertErrorOf(new Error("network down")), undefined);
  // A bound action, and a payable call.
  const paid = await home.client.sendContractWrite({ address: (await nodeInfo(home.client)).vault, abi: abis.KrnlVault, functionName: "deposit", args: [app], value: parseEther("0.001"), account: roles.appOwner });
  assert.equal(paid.receipt.status, "success");
  assert.equal(await getDeposit(home.client, { app }), parseEther("0.001"));
});
