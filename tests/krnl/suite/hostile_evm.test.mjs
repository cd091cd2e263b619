// Hostile evm-read and evm-compute kernels: reverts (with their decoded reason), calls to a non-contract or
// to a chain the node does not serve, code that loops until the sandbox's gas runs out, code that writes
// state. Each failure is that kernel's err; the request answers; the node keeps serving.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { toFunctionSelector } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { SENDER, assertAlive, assertKernelErr, assertKernelOk, computeSpec, createApp, executeOk, executeRequest, goodSetup, readSpec, registerKernel } from '../lib/krnl.mjs';
import { deploy, dev, other, send } from '../lib/env.mjs';

let good;
let target;
let app;
const k = {};

before(async () => {
  good = await goodSetup();
  target = await deploy(other, dev[4], 'KrnlTarget');
  await send(other, dev[4], 'KrnlTarget', target, 'setScore', [SENDER.address, 11n]);
  const nowhere = privateKeyToAccount(generatePrivateKey()).address;
  const specs = {
    score: readSpec(31338, target, 'scorePlus(address,uint256)', ['$sender', '$args[0]']),
    revertReason: readSpec(31338, target, 'refuse(uint256)', ['$args[0]']),
    revertCustom: readSpec(31338, target, 'refuseCustom(uint256)', ['$args[0]']),
    nonContract: readSpec(31338, nowhere, 'scorePlus(address,uint256)', ['$sender', '$args[0]']),
    unservedChain: readSpec(99999, target, 'scorePlus(address,uint256)', ['$sender', '$args[0]']),
    wrongOutputs: readSpec(31338, target, 'scorePlus(address,uint256)', ['$sender', '$args[0]'], ['string']),
    spin: computeSpec('spin(uint256)', ['$args[0]']),
    spinSmallGas: computeSpec('spin(uint256)', ['$args[0]'], ['uint256'], { gas: 50_000 }),
    rawLoop: { kind: 'evm-compute', code: '0x5b600056', outputs: [] }, // JUMPDEST PUSH1 0 JUMP
    invalidOpcode: { kind: 'evm-compute', code: '0xfe', outputs: [] },
    boom: computeSpec('boom(uint256)', ['$args[0]']),
    write: computeSpec('write(uint256)', ['$args[0]']),
  };
  const dependent = { double: computeSpec('double(uint256)', ['$input[0]']) };
  for (const [name, spec] of Object.entries({ ...specs, ...dependent })) k[name] = await registerKernel(spec);
  ({ app } = await createApp({ kernelIds: [good.kernel, ...Object.values(k)] }));
});

/** Runs [good, kernel] for a = 4; the request answers with good's 8 and the kernel's err. */
async function runAgainst(name, ...patterns) {
  const r = await executeOk(executeRequest(app, [good.kernel, k[name]], { a: 4n }));
  assert.equal(r.responses.length, 2);
  assertKernelOk(r.responses[0], good.kernel, ['uint256'], [8n]);
  return assertKernelErr(r.responses[1], k[name], ...patterns);
}

test('evm-read on chain 31338 works (the control case)', async () => {
  const r = await executeOk(executeRequest(app, [k.score], { a: 4n }));
  assertKernelOk(r.responses[0], k.score, ['uint256'], [15n]);
  await assertAlive();
});

test('evm-read that reverts: the decoded reason, or the custom error selector', async () => {
  await runAgainst('revertReason', /^reverted: target: refused, ask the owner$/);
  await runAgainst('revertCustom', new RegExp(`^reverted: custom error ${toFunctionSelector('Refused(uint256)')}$`));
  await assertAlive();
});

test('evm-read of an address without code says there is no contract there', async () => {
  await runAgainst('nonContract', /returned no data \(is there a contract at 0x[0-9a-f]{40} on chain 31338\?\)/);
  await assertAlive();
});

test('evm-read of a chain the node does not serve names the chain', async () => {
  await runAgainst('unservedChain', /^call failed: /, /99999/);
  await assertAlive();
});

test('evm-read whose result does not decode as its outputs', async () => {
  await runAgainst('wrongOutputs', /cannot decode the result as \(string\)/);
  await assertAlive();
});

test('evm-compute that never ends runs out of the sandbox gas (10M by default, or its own limit)', async () => {
  await runAgainst('spin', /^out of gas \(limit 10000000\)$/);
  await runAgainst('spinSmallGas', /^out of gas \(limit 50000\)$/);
  await runAgainst('rawLoop', /^out of gas \(limit 10000000\)$/);
  await assertAlive();
});

test('evm-compute that reverts, hits an invalid opcode or writes state', async () => {
  await runAgainst('boom', /^reverted: compute: boom, change the input$/);
  await runAgainst('invalidOpcode', /^failed: /);
  await runAgainst('write', /tried to change state \(evm-compute kernels are pure\)/);
  await assertAlive();
});

test("a kernel reading a failed kernel's output fails naming its dependency", async () => {
  const r = await executeOk(executeRequest(app, [k.boom, { id: k.double, inputs: ['$kernel:0[0]'] }], { a: 4n }));
  assertKernelErr(r.responses[0], k.boom, /compute: boom/);
  assertKernelErr(r.responses[1], k.double, new RegExp(`^dependency kernel 0 \\(id ${k.boom}\\) failed: reverted: compute: boom`));
  await assertAlive();
});

test('all hostile evm kernels in one request, next to good ones', async () => {
  const names = Object.keys(k).filter((n) => n !== 'score' && n !== 'double');
  const r = await executeOk(executeRequest(app, [good.kernel, k.score, ...names.map((n) => k[n])], { a: 4n }));
  assertKernelOk(r.responses[0], good.kernel, ['uint256'], [8n]);
  assertKernelOk(r.responses[1], k.score, ['uint256'], [15n]);
  names.forEach((name, i) => assertKernelErr(r.responses[i + 2], k[name]));
  await assertAlive();
});
