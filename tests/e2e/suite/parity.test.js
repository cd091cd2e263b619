// Parity's trace_* as reth and anvil shape them: flat call traces with trace addresses, localized
// for mined transactions, "stateDiff" from re-execution, calls and raw transactions traced on a
// block's state, and trace_filter over a bounded block range. Hardhat has no trace_*: every test
// is skipped there with its reason.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, keccak256, parseGwei } from 'viem';
import { artifact, deploy, devAccounts, freshAccount, isHardhat, isKrnld, localWallet, nodeWallet, rpc, rpcError, toHex, waitReceipt } from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const HARDHAT_SKIP = 'krnld only: Hardhat has no Parity trace_* methods';
const encode = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
const word = (n) => `0x${BigInt(n).toString(16).padStart(64, '0')}`;
const lower = (s) => s.toLowerCase();
function assertBadArgument(error, index, what = '') {
  assert.equal(error.code, -32602, `${what} (message: ${error.message})`);
  if (isKrnld) assert.match(error.message, new RegExp(`invalid argument ${index}`), what);
}

let store;
let relay;
let nested; // Relay.tryCall → Store.failWithReason, mined: { receipt, sender }
before(async () => {
  if (isHardhat) return;
  store = await deploy('Store', [7n]);
  relay = await deploy('Relay');
  const sender = await freshAccount('1');
  const hash = await localWallet(sender).sendTransaction({
    to: relay.address,
    data: encode(relay, 'tryCall', [store.address, encode(store, 'failWithReason')]),
    gas: 200_000n,
  });
  nested = { sender, receipt: await waitReceipt(hash) };
});

test('trace_transaction: the call tree as a flat list, localized; trace_get picks one', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const { receipt, sender } = nested;
  const traces = await rpc('trace_transaction', [receipt.transactionHash]);
  assert.equal(traces.length, 2);
  const [top, inner] = traces;
  assert.equal(top.type, 'call');
  assert.equal(top.action.callType, 'call');
  assert.equal(top.action.from, lower(sender.address));
  assert.equal(top.action.to, lower(relay.address));
  assert.equal(top.action.value, '0x0');
  assert.ok(BigInt(top.action.gas) < 200_000n, 'the gas after intrinsic gas');
  assert.ok(BigInt(top.result.gasUsed) < receipt.gasUsed, 'execution gas, without intrinsic gas');
  assert.deepEqual([top.subtraces, top.traceAddress], [1, []]);
  assert.equal(top.error, undefined);
  assert.equal(top.blockHash, receipt.blockHash);
  assert.equal(top.blockNumber, Number(receipt.blockNumber));
  assert.equal(top.transactionHash, receipt.transactionHash);
  assert.equal(top.transactionPosition, receipt.transactionIndex);
  assert.equal(inner.action.to, lower(store.address));
  assert.equal(inner.action.from, lower(relay.address));
  assert.equal(inner.error, 'Reverted');
  assert.match(inner.result.output, /^0x08c379a0/, 'a reverted call keeps its revert data');
  assert.deepEqual([inner.subtraces, inner.traceAddress], [0, [0]]);
  assert.deepEqual(await rpc('trace_get', [receipt.transactionHash, ['0x1']]), inner);
  assert.equal(await rpc('trace_get', [receipt.transactionHash, [5]]), null);
  assert.equal(await rpc('trace_transaction', [`0x${'ab'.repeat(32)}`]), null, 'unknown transaction');
  assertBadArgument(await rpcError('trace_transaction', ['0x12']), 0, 'short hash');
  assertBadArgument(await rpcError('trace_get', [receipt.transactionHash, 'x']), 1, 'indices not a list');
});

test('trace_block: every transaction of the block; null past the head', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const traces = await rpc('trace_block', [toHex(nested.receipt.blockNumber)]);
  assert.deepEqual(traces, await rpc('trace_transaction', [nested.receipt.transactionHash]));
  assert.equal(await rpc('trace_block', [toHex(10n ** 9n)]), null);
  assertBadArgument(await rpcError('trace_block', ['nope']), 0, 'bad block');
});

test('trace_replayTransaction: trace and stateDiff; vmTrace is refused', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const hash = await nodeWallet(devAccounts[6].address).writeContract({ address: store.address, abi: store.abi, functionName: 'set', args: [1234n, 'pt'] });
  const receipt = await waitReceipt(hash);
  const before = BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', toHex(receipt.blockNumber - 1n)]));
  const out = await rpc('trace_replayTransaction', [hash, ['trace', 'stateDiff']]);
  assert.equal(out.output, '0x');
  assert.equal(out.vmTrace, null);
  assert.equal(out.trace.length, 1);
  assert.equal(out.trace[0].blockHash, undefined, 'replays are not localized');
  const diff = out.stateDiff;
  assert.deepEqual(diff[lower(store.address)].storage[word(0)], { '*': { from: word(before), to: word(1234n) } });
  assert.equal(diff[lower(store.address)].balance, '=');
  const sender = diff[lower(devAccounts[6].address)];
  assert.ok(sender.balance['*'], 'the sender paid');
  assert.equal(BigInt(sender.nonce['*'].to) - BigInt(sender.nonce['*'].from), 1n);
  const onlyTrace = await rpc('trace_replayTransaction', [hash, ['trace']]);
  assert.equal(onlyTrace.stateDiff, null);
  const vm = await rpcError('trace_replayTransaction', [hash, ['vmTrace']]);
  assert.equal(vm.code, -32602);
  assert.match(vm.message, /vmTrace is not supported/);
  assertBadArgument(await rpcError('trace_replayTransaction', [hash, 'trace']), 1, 'types not a list');
});

test('trace_replayBlockTransactions: one result per transaction, with its hash', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const out = await rpc('trace_replayBlockTransactions', [toHex(nested.receipt.blockNumber), ['trace']]);
  assert.equal(out.length, 1);
  assert.equal(out[0].transactionHash, nested.receipt.transactionHash);
  assert.equal(out[0].trace.length, 2);
  assert.equal(out[0].stateDiff, null);
  assertBadArgument(await rpcError('trace_replayBlockTransactions', ['latest', ['bogus']]), 1, 'unknown type');
});

test('a creation: type create, the new address, "+" in the stateDiff', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const c = await deploy('Store', [3n]);
  const [trace] = await rpc('trace_transaction', [c.hash]);
  assert.equal(trace.type, 'create');
  assert.equal(trace.action.creationMethod, 'create');
  assert.equal(trace.action.init, artifact('Store').bytecode + word(3n).slice(2));
  assert.equal(trace.result.address, lower(c.address));
  assert.equal(trace.result.code, artifact('Store').deployedBytecode);
  const { stateDiff } = await rpc('trace_replayTransaction', [c.hash, ['stateDiff']]);
  const created = stateDiff[lower(c.address)];
  assert.deepEqual(created.nonce, { '+': '0x1' });
  assert.deepEqual(created.storage[word(0)], { '+': word(3n) });
});

test('trace_call and trace_callMany: calls traced on a block state, each seeing the last', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const from = devAccounts[7].address;
  const call = { from, to: relay.address, data: encode(relay, 'mustCall', [store.address, encode(store, 'set', [55n, 'c'])]) };
  const out = await rpc('trace_call', [call, ['trace', 'stateDiff'], 'latest']);
  assert.deepEqual(out.trace.map((x) => x.traceAddress), [[], [0]]);
  assert.equal(out.trace[1].action.to, lower(store.address));
  assert.equal(out.stateDiff[lower(store.address)].storage[word(0)]['*'].to, word(55n));
  // A state override is seen by the call.
  const overridden = await rpc('trace_call', [{ from, to: store.address, data: encode(store, 'value') }, ['trace'], 'latest', { [store.address]: { stateDiff: { [word(0)]: word(99n) } } }]);
  assert.equal(BigInt(overridden.output), 99n);
  const many = await rpc('trace_callMany', [
    [
      [{ from, to: store.address, data: encode(store, 'set', [66n, 'm']) }, ['stateDiff']],
      [{ from, to: store.address, data: encode(store, 'value') }, ['trace']],
    ],
    'latest',
  ]);
  assert.equal(many.length, 2);
  assert.deepEqual(many[0].trace, []);
  assert.equal(BigInt(many[1].output), 66n, 'the second call sees the first');
  assert.equal(many[1].stateDiff, null);
  assertBadArgument(await rpcError('trace_call', [call, ['vmTrace']]), 1, 'vmTrace');
  assertBadArgument(await rpcError('trace_callMany', [[call]]), 0, 'not pairs');
});

test('trace_rawTransaction: a signed transaction traced without being sent', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const sender = await freshAccount('1');
  const raw = await sender.signTransaction({
    chainId: 31337, type: 'eip1559', to: store.address, data: encode(store, 'set', [8n, 'r']), nonce: 0,
    gas: 100_000n, maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'),
  });
  const out = await rpc('trace_rawTransaction', [raw, ['trace', 'stateDiff']]);
  assert.equal(out.trace[0].action.from, lower(sender.address));
  assert.equal(out.stateDiff[lower(store.address)].storage[word(0)]['*'].to, word(8n));
  assert.equal(await rpc('eth_getTransactionByHash', [keccak256(raw)]), null, 'not sent');
  assertBadArgument(await rpcError('trace_rawTransaction', ['0x1234', ['trace']]), 0, 'not a transaction');
});

test('trace_filter: by address over a block range, paged by after/count, the range bounded', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const from = toHex(store.receipt.blockNumber);
  const to = await rpc('eth_blockNumber');
  const toStore = await rpc('trace_filter', [{ fromBlock: from, toBlock: to, toAddress: [store.address] }]);
  assert.ok(toStore.length >= 2);
  for (const x of toStore) assert.equal(x.action.to ?? x.result?.address, lower(store.address));
  assert.ok(toStore.some((x) => x.transactionHash === nested.receipt.transactionHash && x.traceAddress.length === 1));
  const page = await rpc('trace_filter', [{ fromBlock: from, toBlock: to, toAddress: [store.address], after: 1, count: 1 }]);
  assert.deepEqual(page, [toStore[1]]);
  const bySender = await rpc('trace_filter', [{ fromBlock: from, toBlock: to, fromAddress: [nested.sender.address] }]);
  assert.deepEqual(bySender.map((x) => x.transactionHash), [nested.receipt.transactionHash]);
  await rpc('hardhat_mine', ['0x65']); // empty blocks, so that a range of 101 exists
  const head = BigInt(await rpc('eth_blockNumber'));
  const wide = await rpcError('trace_filter', [{ fromBlock: toHex(head - 100n), toBlock: toHex(head) }]);
  assertBadArgument(wide, 0, 'range too large');
  assert.match(wide.message, /limited to 100 blocks/);
  assertBadArgument(await rpcError('trace_filter', [{ fromBlock: from, toBlock: to, toAddress: ['0x12'] }]), 0, 'short address');
  assertBadArgument(await rpcError('trace_filter', [{ fromBlock: '0x5', toBlock: '0x1' }]), 0, 'from > to');
});
