// EIP-7966's synchronous sends (eth_sendRawTransactionSync, eth_sendTransactionSync), geth's
// eth_signTransaction / eth_fillTransaction ({raw, tx}) and eth_getStorageValues, and eth_callMany
// in reth's and Erigon's shape. Hardhat has none of them: every test is skipped there with its reason.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, keccak256, parseEther, parseGwei, parseTransaction, recoverTransactionAddress } from 'viem';
import { deploy, devAccounts, freshAccount, isHardhat, isKrnld, rpc, rpcError, toHex, withoutAutomine } from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const HARDHAT_SKIP = 'krnld only: Hardhat has no EIP-7966 sends, eth_fillTransaction, eth_getStorageValues, eth_callMany';
const FEES = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'), gas: 21_000n };
const word = (n) => `0x${BigInt(n).toString(16).padStart(64, '0')}`;
const encode = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
function assertBadArgument(error, index, what = '') {
  assert.equal(error.code, -32602, `${what} (message: ${error.message})`);
  if (isKrnld) assert.match(error.message, new RegExp(`invalid argument ${index}`), what);
}

let store;
before(async () => {
  if (isHardhat) return;
  store = await deploy('Store', [7n]);
});

async function signedTransfer(account, nonce, to = devAccounts[1].address) {
  return account.signTransaction({ chainId: 31337, type: 'eip1559', to, value: 1n, nonce, ...FEES });
}

test('eth_sendRawTransactionSync: the receipt of the mined transaction (automine)', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const sender = await freshAccount('1');
  const raw = await signedTransfer(sender, 0);
  const receipt = await rpc('eth_sendRawTransactionSync', [raw]);
  assert.equal(receipt.transactionHash, keccak256(raw));
  assert.equal(receipt.status, '0x1');
  assert.equal(receipt.from, sender.address.toLowerCase());
  assert.deepEqual(receipt, await rpc('eth_getTransactionReceipt', [receipt.transactionHash]), 'the same receipt');
  assertBadArgument(await rpcError('eth_sendRawTransactionSync', [raw, 'soon']), 1, 'timeout not a quantity');
  assertBadArgument(await rpcError('eth_sendRawTransactionSync', ['0xzz']), 0, 'not hex');
});

test('eth_sendRawTransactionSync: code 4 with the hash past the timeout; a block in time answers the receipt', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const sender = await freshAccount('1');
  await withoutAutomine(async () => {
    const raw = await signedTransfer(sender, 0);
    const error = await rpcError('eth_sendRawTransactionSync', [raw, 200]);
    assert.equal(error.code, 4, error.message);
    assert.match(error.message, /wasn't processed in 200ms/);
    assert.equal(error.data, keccak256(raw));
    // Waiting while another request mines the block.
    const raw1 = await signedTransfer(sender, 1);
    const waiting = rpc('eth_sendRawTransactionSync', [raw1, toHex(10_000)]);
    await new Promise((r) => setTimeout(r, 100));
    await rpc('evm_mine');
    const receipt = await waiting;
    assert.equal(receipt.transactionHash, keccak256(raw1));
    assert.equal(receipt.status, '0x1');
  });
});

test('eth_sendRawTransactionSync: a nonce gap is not ready (code 5, the next nonce named)', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const sender = await freshAccount('1');
  const raw = await signedTransfer(sender, 3);
  const error = await rpcError('eth_sendRawTransactionSync', [raw]);
  assert.equal(error.code, 5, error.message);
  assert.match(error.message, /next nonce 0x0/);
  assert.equal(error.data, keccak256(raw));
  await rpc('anvil_dropTransaction', [keccak256(raw)]);
});

test('eth_sendTransactionSync: a dev account sends, the receipt comes back', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const receipt = await rpc('eth_sendTransactionSync', [
    { from: devAccounts[2].address, to: store.address, data: encode(store, 'set', [5n, 'sync']) },
  ]);
  assert.equal(receipt.status, '0x1');
  assert.equal(receipt.logs.length, 1);
  assertBadArgument(await rpcError('eth_sendTransactionSync', ['0x1234']), 0, 'not an object');
});

test('eth_signTransaction: {raw, tx} signed by the dev account, filled like eth_sendTransaction', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const from = devAccounts[3].address;
  const nonce = await rpc('eth_getTransactionCount', [from, 'pending']);
  const out = await rpc('eth_signTransaction', [{ from, to: devAccounts[4].address, value: toHex(parseEther('0.01')) }]);
  assert.deepEqual(Object.keys(out).sort(), ['raw', 'tx']);
  const parsed = parseTransaction(out.raw);
  assert.equal(parsed.type, 'eip1559');
  assert.equal(parsed.gas, 21_000n, 'gas by estimate');
  assert.equal(toHex(parsed.nonce), nonce);
  assert.equal(await recoverTransactionAddress({ serializedTransaction: out.raw }), from);
  assert.equal(out.tx.hash, keccak256(out.raw));
  assert.equal(out.tx.from, from.toLowerCase());
  // Not sent: nothing is pooled, the nonce is unchanged.
  assert.equal(await rpc('eth_getTransactionCount', [from, 'pending']), nonce);
  const unknown = await rpcError('eth_signTransaction', [{ from: '0x000000000000000000000000000000000000dEaD', to: from }]);
  assert.equal(unknown.code, -32000);
  assert.match(unknown.message, /unknown account/);
  const shortTo = await rpcError('eth_signTransaction', [{ from, to: '0x12' }]);
  assert.equal(shortTo.code, -32602, shortTo.message);
  assert.match(shortTo.message, /field to/);
});

test('eth_fillTransaction: every field filled, unsigned, for any sender', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const sender = await freshAccount('1');
  const out = await rpc('eth_fillTransaction', [{ from: sender.address, to: store.address, data: encode(store, 'set', [9n, 'x']) }]);
  const parsed = parseTransaction(out.raw);
  assert.equal(parsed.nonce, 0);
  assert.ok(parsed.gas > 21_000n, `estimated gas ${parsed.gas}`);
  assert.ok(parsed.maxFeePerGas > 0n && parsed.maxPriorityFeePerGas > 0n);
  assert.equal(out.tx.nonce, '0x0');
  assert.equal(out.tx.gas, toHex(parsed.gas));
  assert.equal(out.tx.r, '0x0', 'unsigned');
  // Reverting calls are reported as eth_estimateGas reports them.
  const reverted = await rpcError('eth_fillTransaction', [{ from: sender.address, to: store.address, data: encode(store, 'failWithReason') }]);
  assert.equal(reverted.code, 3);
  const badValue = await rpcError('eth_fillTransaction', [{ from: sender.address, value: 'lots' }]);
  assert.equal(badValue.code, -32602, badValue.message);
  assert.match(badValue.message, /field value/);
});

test('eth_getStorageValues: many slots of many accounts at a block, bounded', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  await rpc('eth_sendTransactionSync', [{ from: devAccounts[2].address, to: store.address, data: encode(store, 'set', [42n, 'sv']) }]);
  const values = await rpc('eth_getStorageValues', [{ [store.address]: ['0x0', word(5)], [devAccounts[0].address]: [] }, 'latest']);
  assert.deepEqual(values, { [store.address.toLowerCase()]: [word(42), word(0)], [devAccounts[0].address.toLowerCase()]: [] });
  const atDeploy = await rpc('eth_getStorageValues', [{ [store.address]: ['0x0'] }, toHex(store.receipt.blockNumber)]);
  assert.deepEqual(Object.values(atDeploy), [[word(7)]], 'at the deploy block');
  const tooMany = Array.from({ length: 1025 }, (_, i) => toHex(i));
  assertBadArgument(await rpcError('eth_getStorageValues', [{ [store.address]: tooMany }]), 0, '1025 slots');
  assertBadArgument(await rpcError('eth_getStorageValues', [{ '0x12': ['0x0'] }]), 0, 'short address');
});

test('eth_callMany: bundles on one state, block overrides, from inside a block', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const from = devAccounts[5].address;
  const set = (v) => ({ from, to: store.address, data: encode(store, 'set', [v, 'cm']) });
  const read = { from, to: store.address, data: encode(store, 'value') };
  const info = { from, to: store.address, data: encode(store, 'blockInfo') };
  const fail = { from, to: store.address, data: encode(store, 'failWithReason') };
  const out = await rpc('eth_callMany', [
    [
      { transactions: [set(11n), read, fail] },
      { transactions: [read, info], blockOverride: { number: '0x1234', time: '0x5678' } },
    ],
    { blockNumber: 'latest', transactionIndex: -1 },
  ]);
  assert.equal(out.length, 2);
  assert.deepEqual(out[0][0], { value: '0x' });
  assert.equal(BigInt(out[0][1].value), 11n, 'the second call sees the first');
  assert.match(out[0][2].error, /execution reverted: store: nope/);
  assert.equal(BigInt(out[1][0].value), 11n, 'the next bundle sees the first');
  assert.equal(BigInt(out[1][1].value.slice(0, 66)), 0x1234n, 'block number overridden');
  assert.equal(BigInt(`0x${out[1][1].value.slice(66, 130)}`), 0x5678n, 'timestamp overridden');
  // The chain is unchanged.
  assert.notEqual(BigInt(await rpc('eth_call', [read])), 11n);

  // From inside a block: before its only transaction the value is the one before the set.
  const before = BigInt(await rpc('eth_call', [read]));
  const receipt = await rpc('eth_sendTransactionSync', [{ ...set(77n) }]);
  const inside = await rpc('eth_callMany', [[{ transactions: [read] }], { blockNumber: receipt.blockNumber, transactionIndex: 0 }]);
  assert.equal(BigInt(inside[0][0].value), before);
  const after = await rpc('eth_callMany', [[{ transactions: [read] }], { blockNumber: receipt.blockNumber }]);
  assert.equal(BigInt(after[0][0].value), 77n);
  // State overrides apply to every bundle.
  const overridden = await rpc('eth_callMany', [[{ transactions: [read] }], {}, { [store.address]: { stateDiff: { [word(0)]: word(123) } } }]);
  assert.equal(BigInt(overridden[0][0].value), 123n);
  assertBadArgument(await rpcError('eth_callMany', [[]]), 0, 'no bundles');
  assertBadArgument(await rpcError('eth_callMany', [[{ transactions: 'x' }]]), 0, 'transactions not a list');
});
