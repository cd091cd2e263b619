// debug_traceTransaction / debug_traceCall / debug_traceBlockByNumber with the struct logger, callTracer
// and prestateTracer, asserted on geth's output format.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { decodeErrorResult, encodeFunctionData, parseGwei } from 'viem';
import { deploy, devAccounts, freshAccount, localWallet, nodeWallet, rpc, toHex, waitReceipt, withoutAutomine } from '../lib/env.js';
import { expected, skipWhereTargetDeparts } from '../expectations.js';

let store;
let relay;
const encode = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
/** A stack or storage word: geth writes "0x80"; older formats write 64 hex digits without 0x. */
const word = (s) => BigInt(s.startsWith('0x') ? s : `0x${s}`);
const hexOf = (s) => (s.startsWith('0x') ? s.slice(2) : s).toLowerCase();
const lower = (x) => x.toLowerCase();

before(async () => {
  store = await deploy('Store', [7n]);
  relay = await deploy('Relay');
});

async function setTx(value, note = 'trace') {
  const hash = await nodeWallet().writeContract({ address: store.address, abi: store.abi, functionName: 'set', args: [value, note] });
  return waitReceipt(hash);
}

/** A mined transaction in which Relay.tryCall calls Store.failWithReason, which reverts (and is swallowed). */
async function revertingSubcallTx() {
  const sender = await freshAccount('1');
  const hash = await localWallet(sender).sendTransaction({
    to: relay.address,
    data: encode(relay, 'tryCall', [store.address, encode(store, 'failWithReason')]),
    gas: 200000n,
  });
  return { sender, receipt: await waitReceipt(hash) };
}

function assertStructLog(log) {
  assert.equal(typeof log.pc, 'number');
  assert.equal(typeof log.op, 'string');
  assert.equal(typeof log.gas, 'number');
  assert.equal(typeof log.gasCost, 'number');
  assert.equal(typeof log.depth, 'number');
  assert.ok(log.depth >= 1);
}

test('debug_traceTransaction (struct logger): steps, SSTORE with its storage, total gas', async () => {
  const receipt = await setTx(99n);
  const trace = await rpc('debug_traceTransaction', [receipt.transactionHash]);
  assert.equal(trace.failed, false);
  assert.equal(BigInt(trace.gas), receipt.gasUsed, 'gas is the gas used by the transaction');
  assert.equal(hexOf(trace.returnValue), '', 'set() returns nothing');
  assert.ok(trace.structLogs.length > 20);
  trace.structLogs.forEach(assertStructLog);
  const [firstStep] = trace.structLogs;
  assert.deepEqual([firstStep.pc, firstStep.op, firstStep.depth], [0, 'PUSH1', 1], 'solc code starts PUSH1 0x80');
  const intrinsic = BigInt((await rpc('eth_getTransactionByHash', [receipt.transactionHash])).gas) - BigInt(firstStep.gas);
  assert.ok(intrinsic > 21000n && intrinsic < 23000n, `intrinsic gas with calldata: ${intrinsic}`);
  const sstores = trace.structLogs.filter((l) => l.op === 'SSTORE');
  assert.equal(sstores.length, 1);
  const [sstore] = sstores;
  const stack = sstore.stack;
  assert.equal(word(stack[stack.length - 1]), 0n, 'key on top of the stack');
  assert.equal(word(stack[stack.length - 2]), 99n, 'value below it');
  const storage = Object.fromEntries(Object.entries(sstore.storage).map(([k, v]) => [word(k), word(v)]));
  assert.equal(storage[0n], 99n, 'the storage map shows the slot written');
  assert.equal(sstore.gasCost, 5000, 'SSTORE changing a cold non-zero slot to another non-zero value: 2100 + 2900');
  assert.equal(trace.structLogs.at(-1).op, 'STOP');
  // Steps at depth 1 consume gas monotonically.
  for (let i = 1; i < trace.structLogs.length; i++) {
    assert.ok(trace.structLogs[i].gas <= trace.structLogs[i - 1].gas);
  }
});

test('debug_traceTransaction (struct logger) options: disableStack, enableMemory', async () => {
  const receipt = await setTx(100n);
  const plain = await rpc('debug_traceTransaction', [receipt.transactionHash, { disableStack: true, enableMemory: true }]);
  assert.ok(plain.structLogs.every((l) => l.stack === undefined || l.stack === null), 'no stacks');
  const withMemory = plain.structLogs.filter((l) => Array.isArray(l.memory) && l.memory.length > 0);
  assert.ok(withMemory.length > 0, 'memory is reported');
  // After the free memory pointer store, word 2 of memory is 0x80.
  const last = plain.structLogs.at(-1);
  assert.equal(word(last.memory[2]), 0x80n);
});

test('debug_traceTransaction (struct logger) of a reverted transaction', async () => {
  const sender = await freshAccount('1');
  const hash = await withoutAutomine(async () => {
    const h = await localWallet(sender).sendTransaction({
      to: store.address, data: encode(store, 'setThenFail', [5n]), gas: 100000n,
      maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'),
    });
    await rpc('evm_mine');
    return h;
  });
  const trace = await rpc('debug_traceTransaction', [hash]);
  assert.equal(trace.failed, true);
  assert.equal(trace.structLogs.at(-1).op, 'REVERT');
  const decoded = decodeErrorResult({ abi: [], data: `0x${hexOf(trace.returnValue)}` });
  assert.deepEqual(decoded.args, ['store: rolled back']);
});

test('debug_traceCall (struct logger) runs a call on a block without changing state', async () => {
  const trace = await rpc('debug_traceCall', [{ to: store.address, data: encode(store, 'value') }, 'latest']);
  assert.equal(trace.failed, false);
  const current = BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', 'latest']));
  assert.equal(BigInt(`0x${hexOf(trace.returnValue)}`), current);
  assert.ok(trace.structLogs.some((l) => l.op === 'SLOAD'));
  assert.equal(trace.structLogs.at(-1).op, 'RETURN');
  const failing = await rpc('debug_traceCall', [{ from: devAccounts[0].address, to: store.address, data: encode(store, 'failWithReason') }, 'latest']);
  assert.equal(failing.failed, true);
  assert.deepEqual(decodeErrorResult({ abi: [], data: `0x${hexOf(failing.returnValue)}` }).args, ['store: nope']);
});

test('callTracer: nested frames, a reverted subcall with its reason inside a successful call', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (!expected.supports.callTracer) return t.skip('krnld only: Hardhat supports only the default struct logger');
  const { sender, receipt } = await revertingSubcallTx();
  assert.equal(receipt.status, 'success');
  const top = await rpc('debug_traceTransaction', [receipt.transactionHash, { tracer: 'callTracer' }]);
  assert.equal(top.type, 'CALL');
  assert.equal(lower(top.from), lower(sender.address));
  assert.equal(lower(top.to), lower(relay.address));
  assert.equal(BigInt(top.value), 0n);
  assert.equal(BigInt(top.gas), 200000n);
  assert.equal(BigInt(top.gasUsed), receipt.gasUsed);
  assert.equal(top.input, encode(relay, 'tryCall', [store.address, encode(store, 'failWithReason')]));
  assert.equal(top.error, undefined, 'the outer call succeeded');
  assert.equal(top.calls.length, 1);
  const [inner] = top.calls;
  assert.equal(inner.type, 'CALL');
  assert.equal(lower(inner.from), lower(relay.address));
  assert.equal(lower(inner.to), lower(store.address));
  assert.equal(inner.input, encode(store, 'failWithReason'));
  assert.equal(inner.error, 'execution reverted');
  assert.equal(inner.revertReason, 'store: nope');
  assert.deepEqual(decodeErrorResult({ abi: [], data: inner.output }).args, ['store: nope']);
  assert.ok(BigInt(inner.gasUsed) < BigInt(inner.gas));
  assert.equal(inner.calls, undefined, 'a leaf frame has no calls');

  // onlyTopCall drops the nested frames.
  const only = await rpc('debug_traceTransaction', [receipt.transactionHash, { tracer: 'callTracer', tracerConfig: { onlyTopCall: true } }]);
  assert.equal(only.calls, undefined);
  assert.equal(only.gasUsed, top.gasUsed);
});

test('callTracer with logs, and debug_traceCall with callTracer', async (t) => {
  if (!expected.supports.callTracer) return t.skip('krnld only: Hardhat supports only the default struct logger');
  const receipt = await setTx(123n, 'logged');
  const top = await rpc('debug_traceTransaction', [receipt.transactionHash, { tracer: 'callTracer', tracerConfig: { withLog: true } }]);
  assert.equal(top.logs.length, 1);
  assert.equal(lower(top.logs[0].address), lower(store.address));
  assert.deepEqual(top.logs[0].topics, receipt.logs[0].topics);
  assert.equal(top.logs[0].data, receipt.logs[0].data);

  const call = await rpc('debug_traceCall', [
    { from: devAccounts[0].address, to: relay.address, data: encode(relay, 'mustCall', [store.address, encode(store, 'failWithReason')]) },
    'latest',
    { tracer: 'callTracer' },
  ]);
  assert.equal(call.error, 'execution reverted');
  assert.equal(call.revertReason, 'store: nope');
  assert.equal(call.calls[0].error, 'execution reverted');
});

test('prestateTracer: the touched accounts before the transaction, and diffMode', async (t) => {
  if (!expected.supports.prestateTracer) return t.skip('krnld only: Hardhat supports only the default struct logger');
  const before = BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', 'latest']));
  const sender = await freshAccount('1');
  const senderBalance = BigInt(await rpc('eth_getBalance', [sender.address, 'latest']));
  const hash = await localWallet(sender).writeContract({ address: store.address, abi: store.abi, functionName: 'set', args: [before + 1n, 'p'] });
  const receipt = await waitReceipt(hash);

  const pre = await rpc('debug_traceTransaction', [hash, { tracer: 'prestateTracer' }]);
  const keys = Object.keys(pre).map(lower);
  assert.ok(keys.includes(lower(sender.address)) && keys.includes(lower(store.address)));
  const preSender = pre[Object.keys(pre).find((k) => lower(k) === lower(sender.address))];
  assert.equal(BigInt(preSender.balance), senderBalance);
  assert.equal(BigInt(preSender.nonce ?? 0), 0n);
  const preStore = pre[Object.keys(pre).find((k) => lower(k) === lower(store.address))];
  assert.equal(preStore.code, await rpc('eth_getCode', [store.address, 'latest']));
  assert.equal(BigInt(preStore.nonce), 1n);
  const slot0 = Object.entries(preStore.storage).find(([k]) => word(k) === 0n);
  assert.ok(slot0, 'slot 0 was read');
  assert.equal(word(slot0[1]), before);

  const diff = await rpc('debug_traceTransaction', [hash, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }]);
  assert.ok(diff.pre && diff.post);
  const postStore = diff.post[Object.keys(diff.post).find((k) => lower(k) === lower(store.address))];
  assert.equal(word(Object.entries(postStore.storage).find(([k]) => word(k) === 0n)[1]), before + 1n);
  const postSender = diff.post[Object.keys(diff.post).find((k) => lower(k) === lower(sender.address))];
  assert.equal(BigInt(postSender.nonce), 1n);
  assert.equal(BigInt(postSender.balance), senderBalance - receipt.gasUsed * receipt.effectiveGasPrice);
});

test('debug_traceBlockByNumber: one result per transaction, in block order', async (t) => {
  if (!expected.supports.traceBlock) return t.skip('krnld only: Hardhat has no debug_traceBlockByNumber');
  const sender = await freshAccount('1');
  const fees = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'), gas: 100000n };
  const hashes = await withoutAutomine(async () => {
    const a = await localWallet(sender).sendTransaction({ to: store.address, data: encode(store, 'ping', [1n]), nonce: 0, ...fees });
    const b = await localWallet(sender).sendTransaction({ to: store.address, data: encode(store, 'failWithReason'), nonce: 1, ...fees });
    await rpc('evm_mine');
    return [a, b];
  });
  const { blockNumber } = await rpc('eth_getTransactionReceipt', [hashes[0]]);
  const structs = await rpc('debug_traceBlockByNumber', [blockNumber]);
  assert.deepEqual(structs.map((r) => r.txHash), hashes);
  assert.equal(structs[0].result.failed, false);
  assert.equal(structs[1].result.failed, true);
  assert.deepEqual(structs[0].result, await rpc('debug_traceTransaction', [hashes[0]]));
  const calls = await rpc('debug_traceBlockByNumber', [blockNumber, { tracer: 'callTracer' }]);
  assert.deepEqual(calls.map((r) => r.txHash), hashes);
  assert.equal(calls[0].result.error, undefined);
  assert.equal(calls[1].result.error, 'execution reverted');
  assert.equal(calls[1].result.revertReason, 'store: nope');
});
