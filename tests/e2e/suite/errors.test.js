// Error answers: the JSON-RPC codec (parse, invalid request, method not found, invalid params, batches)
// and transaction-pool rejections, plus the pending pool with a nonce gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEther, parseGwei } from 'viem';
import { devAccounts, freshAccount, localWallet, post, rpc, rpcError, waitReceipt, withoutAutomine } from '../lib/env.js';
import { assertError } from '../lib/env.js';
import { expected, groupsOf, skipWhereTargetDeparts } from '../expectations.js';

const request = (id, method, params = []) => ({ jsonrpc: '2.0', id, method, params });
const someAddress = devAccounts[0].address;

test('-32700 parse error for a body that is not JSON', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  for (const body of ['{"jsonrpc":"2.0","id":1,', 'not json at all', '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"']) {
    const { json } = await post(body);
    assert.equal(json.jsonrpc, '2.0');
    assert.equal(json.id, null, 'no id can be read from a broken body');
    assertError(json.error, expected.parseError, body);
  }
});

test('-32600 invalid request: wrong version, not an object, no method, method not a string', async () => {
  const bodies = [
    { jsonrpc: '1.0', id: 1, method: 'eth_chainId', params: [] },
    { id: 1, method: 'eth_chainId', params: [] },
    5,
    'a string',
    { jsonrpc: '2.0', id: 1 },
    { jsonrpc: '2.0', id: 1, method: 5 },
  ];
  for (const body of bodies) {
    const { json } = await post(JSON.stringify(body));
    assert.ok(json && !Array.isArray(json), `one error object for ${JSON.stringify(body)}`);
    assertError(json.error, expected.invalidRequest, JSON.stringify(body));
    assert.equal(json.result, undefined);
  }
});

test('-32600 for an empty batch', async () => {
  const { json } = await post('[]');
  if (expected.emptyBatch.reply === 'empty array') {
    assert.deepEqual(json, []);
    return;
  }
  assert.ok(json && !Array.isArray(json), 'one error object, not an array');
  assert.equal(json.id, null);
  assertError(json.error, expected.emptyBatch);
});

test('-32601 method not found names the method', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const error = await rpcError('eth_doesNotExist', []);
  const m = assertError(error, expected.methodNotFound);
  assert.equal(m[1], 'eth_doesNotExist');
});

test('-32602 invalid params: bad address, bad quantity, missing parameter', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  assertError(await rpcError('eth_getBalance', ['0x12', 'latest']), expected.invalidAddress, 'short address');
  assertError(await rpcError('eth_getBalance', ['not an address', 'latest']), expected.invalidAddress, 'not hex');
  assertError(await rpcError('eth_getBalance', [someAddress, '0xzz']), expected.invalidQuantity, 'bad block number');
  assertError(await rpcError('eth_getBalance', []), expected.missingParam, 'no params');
  assertError(await rpcError('eth_getTransactionCount', []), expected.missingParam, 'no params');
});

test('ids are echoed whatever their JSON type', async () => {
  for (const id of [0, 7, 'abc', 'x'.repeat(40)]) {
    const { json } = await post(request(id, 'eth_chainId'));
    assert.deepEqual(json, { jsonrpc: '2.0', id, result: '0x7a69' });
  }
});

test('a batch answers each call by id, errors in place, notifications per JSON-RPC 2.0', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const { json } = await post([
    request(1, 'eth_chainId'),
    { jsonrpc: '2.0', method: 'eth_chainId', params: [] }, // a notification
    request(3, 'eth_doesNotExist'),
    5,
    request('four', 'web3_sha3', ['0x']),
  ]);
  assert.ok(Array.isArray(json));
  const byId = new Map(json.filter((r) => r.id !== null).map((r) => [r.id, r]));
  assert.equal(byId.get(1).result, '0x7a69');
  assertError(byId.get(3).error, expected.methodNotFound);
  assert.equal(byId.get('four').result, '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  const nullIds = json.filter((r) => r.id === null);
  for (const r of nullIds) assertError(r.error, expected.invalidRequest, 'null-id reply');
  if (expected.notificationInBatch === 'no reply') {
    assert.equal(json.length, 4, 'one reply per call, none for the notification');
    assert.equal(nullIds.length, 1, 'only the invalid entry (5)');
  } else {
    assert.equal(json.length, 5);
    assert.equal(nullIds.length, 2, 'the invalid entry and the notification');
  }
});

test('a request made only of notifications gets no reply body', async (t) => {
  if (expected.notificationInBatch !== 'no reply') {
    return t.skip('krnld only: Hardhat answers notifications with -32600');
  }
  const single = await post({ jsonrpc: '2.0', method: 'eth_chainId', params: [] });
  assert.equal(single.text.trim(), '');
  assert.ok(single.status === 200 || single.status === 204, `HTTP ${single.status}`);
  const batch = await post([{ jsonrpc: '2.0', method: 'eth_chainId', params: [] }, { jsonrpc: '2.0', method: 'net_version' }]);
  assert.equal(batch.text.trim(), '');
});

const fees = { maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1') };

test('nonce too low', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  await waitReceipt(await wallet.sendTransaction({ to: someAddress, value: 1n }));
  const raw = await wallet.signTransaction({ to: someAddress, value: 1n, nonce: 0, gas: 21000n, ...fees });
  const error = await rpcError('eth_sendRawTransaction', [raw]);
  const m = assertError(error, expected.nonceTooLow);
  assert.deepEqual(groupsOf(expected.nonceTooLow, m), { expected: 1n, got: 0n });
});

test('insufficient funds for gas * price + value', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const sender = await freshAccount('1');
  const value = parseEther('5');
  const raw = await localWallet(sender).signTransaction({ to: someAddress, value, nonce: 0, gas: 21000n, ...fees });
  const m = assertError(await rpcError('eth_sendRawTransaction', [raw]), expected.insufficientFunds);
  const { balance, cost } = groupsOf(expected.insufficientFunds, m);
  assert.equal(balance, parseEther('1'));
  assert.equal(cost, value + 21000n * fees.maxFeePerGas);
  assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'pending']), '0x0', 'nothing was pooled');
});

test('intrinsic gas too low', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const sender = await freshAccount('1');
  const raw = await localWallet(sender).signTransaction({ to: someAddress, value: 1n, nonce: 0, gas: 20999n, ...fees });
  const m = assertError(await rpcError('eth_sendRawTransaction', [raw]), expected.intrinsicGasTooLow);
  assert.deepEqual(groupsOf(expected.intrinsicGasTooLow, m), { got: 20999n, needed: 21000n });
});

test('replacement transaction underpriced; a bump of at least 10% replaces', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  const to = someAddress;
  const sign = (maxFeePerGas, maxPriorityFeePerGas, value) =>
    wallet.signTransaction({ to, value, nonce: 0, gas: 21000n, maxFeePerGas, maxPriorityFeePerGas });
  await withoutAutomine(async () => {
    const original = await rpc('eth_sendRawTransaction', [await sign(parseGwei('10'), parseGwei('1'), 1n)]);
    const low = await sign(parseGwei('10.5'), parseGwei('1.05'), 2n); // +5%
    assertError(await rpcError('eth_sendRawTransaction', [low]), expected.replacementUnderpriced);
    const bumped = await rpc('eth_sendRawTransaction', [await sign(parseGwei('11'), parseGwei('1.1'), 3n)]); // +10%
    assert.notEqual(bumped, original);
    await rpc('evm_mine');
    const receipt = await rpc('eth_getTransactionReceipt', [bumped]);
    assert.equal(receipt.status, '0x1');
    assert.equal(await rpc('eth_getTransactionReceipt', [original]), null, 'the replaced one is never mined');
    const mined = await rpc('eth_getTransactionByHash', [bumped]);
    assert.equal(BigInt(mined.value), 3n);
  });
  assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'latest']), '0x1');
});

test('pending pool: a future-nonce transaction waits until the gap is filled', async () => {
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  const to = (await freshAccount('0.01')).address;
  await withoutAutomine(async () => {
    const later = await rpc('eth_sendRawTransaction', [await wallet.signTransaction({ to, value: 2n, nonce: 1, gas: 21000n, ...fees })]);
    assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'pending']), '0x0', 'a gapped tx is queued, not pending');
    await rpc('evm_mine');
    assert.equal(await rpc('eth_getTransactionReceipt', [later]), null, 'not mined while the gap is open');
    assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'latest']), '0x0');
    const first = await rpc('eth_sendRawTransaction', [await wallet.signTransaction({ to, value: 1n, nonce: 0, gas: 21000n, ...fees })]);
    assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'pending']), '0x2', 'both are now executable');
    await rpc('evm_mine');
    const [r0, r1] = await Promise.all([first, later].map((h) => rpc('eth_getTransactionReceipt', [h])));
    assert.equal(r0.status, '0x1');
    assert.equal(r1.status, '0x1');
    assert.equal(r0.blockNumber, r1.blockNumber, 'mined together once the gap closed');
    assert.ok(BigInt(r0.transactionIndex) < BigInt(r1.transactionIndex), 'in nonce order');
  });
  assert.equal(BigInt(await rpc('eth_getBalance', [to, 'latest'])), parseEther('0.01') + 3n);
});

test('a transaction signed for another chain is refused', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const sender = await freshAccount('1');
  const raw = await sender.signTransaction({ chainId: 1, to: someAddress, value: 1n, nonce: 0, gas: 21000n, type: 'eip1559', ...fees });
  const error = await rpcError('eth_sendRawTransaction', [raw]);
  assertError(error, expected.wrongChainId);
});

test('undecodable raw transaction bytes are refused', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const error = await rpcError('eth_sendRawTransaction', ['0xdeadbeef']);
  assertError(error, expected.undecodableTransaction);
});
