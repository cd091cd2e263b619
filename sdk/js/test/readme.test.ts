// sdk/js/README.md's examples: every ```ts block of the README is a region of readme-examples.ts (so tsc
// checks it), and the regions run against krnld here: the client, the builders, an attested call, errors,
// sendContractWrite and the smart account.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createWalletClient, getAddress, http, type Abi, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { simulateContract, waitForTransactionReceipt } from "viem/actions";
import { writeContractWithKrnl } from "../src/index.js";
import { anotherNode, attestedCall, explain, ownContract, setUp, smartAccount, theClient } from "./readme-examples.js";
import { appAbi, createTestApp, deployTest, homeOf, roles, type Home } from "./support/app.js";
import { devAccount, repoRoot, startDevNode, type DevNode } from "./support/krnld.js";

/** The ```ts blocks of the README, and the regions of the examples file (its imports as the README writes them). */
function blocks(): { readme: string[][]; examples: string[][] } {
  const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const readmeText = readFileSync(join(repoRoot, "sdk/js/README.md"), "utf8");
  const readme = [...readmeText.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => lines(m[1] ?? ""));
  const source = readFileSync(join(repoRoot, "sdk/js/test/readme-examples.ts"), "utf8").replaceAll('"../src/index.js"', '"@krnl/sdk"');
  const examples = [...source.matchAll(/\/\/ README: [^\n]*\n([\s\S]*?)\/\/ README end/g)].map((m) => lines(m[1] ?? ""));
  return { readme, examples };
}

test("every ts block of the README is a region of readme-examples.ts, in order", () => {
  const { readme, examples } = blocks();
  assert.ok(readme.length >= 7, `the README has ${readme.length} ts blocks`);
  assert.deepEqual(readme, examples);
});

let node: DevNode;
let home: Home;
let didRegistry: Address;
let app: Address;

/** A DID registry stub on chain 31339: every score is 85. */
function scoresContract(): { abi: Abi; bytecode: Hex } {
  const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string };
  const content = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.30;\ncontract Scores { function scoreOf(address) external pure returns (uint256) { return 85; } }\n";
  const input = { language: "Solidity", sources: { "s.sol": { content } }, settings: { outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } } };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as { contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>> };
  const c = out.contracts["s.sol"]?.["Scores"];
  assert.ok(c, "Scores compiled");
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}

before(async () => {
  node = await startDevNode();
  home = homeOf(node);
  const did = node.chains[2]!;
  const wallet = createWalletClient({ chain: did.chain, account: roles.appOwner, transport: http(did.url) });
  const hash = await wallet.deployContract(scoresContract());
  didRegistry = getAddress((await waitForTransactionReceipt(wallet, { hash })).contractAddress!);
  app = await deployTest(home, roles.appOwner, "KrnlSdkTestApp", [(await home.client.nodeInfo()).registry, roles.appOwner.address]);
});
after(async () => node?.stop());

test("README: the client, the engine option, the builders, an attested call, errors, sendContractWrite, the smart account", async () => {
  const { chain, url } = node.home;
  const { client, info } = await theClient(chain, url);
  assert.equal(info.signer, roles.operator.address);
  const other = await anotherNode(chain, url, url, privateKeyToAccount(generatePrivateKey()));
  assert.deepEqual(other.info, info);

  const setup = await setUp({ client, developer: devAccount(3) as never, appOwner: roles.appOwner as never, chain, url, app, didRegistry });
  assert.equal(setup.total, 1_000n);
  assert.ok(setup.deposit > 0n);

  const call = await attestedCall({ chain, url, user: roles.sender as never, app, appAbi, kernelId: setup.kernelId });
  assert.equal(call.receipt.status, "success");
  assert.equal(call.score, 85n, "the kernel read the score on chain 31339");
  assert.equal(call.result, 2n);
  assert.equal((await waitForTransactionReceipt(client, { hash: call.hash })).status, "success");

  // errors: a replayed payload reverts (NonceUsed); an app without a deposit is refused by the engine.
  const replay = simulateContract(client, call.request);
  assert.match(await explain(replay), /^reverted with NonceUsed\(\d+\)$/);
  const kernels = [{ id: setup.kernelId }];
  const { app: poor } = await createTestApp(home, { kernelIds: [setup.kernelId], deposit: 0n });
  const sender = home.wallet(roles.sender);
  assert.match(await explain(writeContractWithKrnl(sender, { address: poor, abi: appAbi, functionName: "act", args: [1n, 1n], kernels })), /^the app.s deposit 0 is below [1-9][0-9]*$/);
  assert.equal(await explain(writeContractWithKrnl(sender, { address: app, abi: appAbi, functionName: "act", args: [1n, 1n], kernels })), "ok");
  const unregistered = await deployTest(home, roles.appOwner, "KrnlSdkTestApp", [info.registry, roles.appOwner.address]);
  await assert.rejects(explain(writeContractWithKrnl(sender, { address: unregistered, abi: appAbi, functionName: "act", args: [1n, 1n], kernels })), /not registered/);

  const sent = await ownContract({ chain, url, appOwner: roles.appOwner as never, registry: info.registry, app, tokenAuthority: setup.tokenAuthority, kernelId: setup.kernelId });
  assert.equal(sent.receipt.status, "success");

  const to = privateKeyToAccount(generatePrivateKey()).address;
  const smart = await smartAccount({ chain, url, owner: privateKeyToAccount(generatePrivateKey()), funder: devAccount(5) as never, kernelId: setup.kernelId, to });
  assert.equal(smart.success, true);
  assert.equal(smart.attestation?.nonce, smart.nonce);
  assert.deepEqual(smart.attestation?.kernelIds, [setup.kernelId]);
  assert.equal(await client.getBalance({ address: to }), 1n);
});
