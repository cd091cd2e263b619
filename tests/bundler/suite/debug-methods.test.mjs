// The debug_bundler_* methods with malformed and hostile params: each gets -32602 naming what is
// wrong, and the node keeps answering (its pool and reputation unchanged by a refused call).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ENTRY_POINTS, rpc, startDevNode } from '../lib/node.mjs';
import { E, assertOk, assertRpcError } from '../lib/scenario.mjs';

let node;
before(async () => {
  node = await startDevNode();
});
after(async () => node?.stop());

const call = (method, params) => rpc(node.url, `debug_bundler_${method}`, params);
const NOT_AN_ENTRY_POINT = `0x${'12'.repeat(20)}`;

test('setBundlingMode: only "auto" or "manual"', async () => {
  for (const params of [[], ['sometimes'], [1], [{ mode: 'auto' }], [null]])
    assertRpcError(await call('setBundlingMode', params), E.invalidParams, /auto.*manual/);
  assert.equal(assertOk(await call('setBundlingMode', ['manual'])), 'ok');
  assert.equal(assertOk(await call('setBundlingMode', ['auto'])), 'ok');
});

test('dumpMempool and dumpReputation: an EntryPoint this node supports', async () => {
  assertRpcError(await call('dumpMempool', []), E.invalidParams);
  assertRpcError(await call('dumpMempool', ['0x1234']), E.invalidParams);
  assertRpcError(await call('dumpMempool', [NOT_AN_ENTRY_POINT]), E.invalidParams, /unsupported EntryPoint/);
  assertRpcError(await call('dumpReputation', [NOT_AN_ENTRY_POINT]), E.invalidParams, /unsupported EntryPoint/);
  assert.deepEqual(assertOk(await call('dumpMempool', [ENTRY_POINTS['0.7']])), []);
});

test('setReputation: a list of {address, opsSeen, opsIncluded}; a bad entry changes nothing', async () => {
  for (const params of [[], ['not a list'], [{ address: ENTRY_POINTS['0.7'] }]])
    assertRpcError(await call('setReputation', params), E.invalidParams);
  for (const entry of [
    'an address',
    { address: '0x12', opsSeen: '0x1', opsIncluded: '0x0' },
    { address: NOT_AN_ENTRY_POINT, opsSeen: '-1', opsIncluded: '0x0' },
    { address: NOT_AN_ENTRY_POINT, opsSeen: `0x1${'0'.repeat(64)}`, opsIncluded: '0x0' },
  ])
    assertRpcError(await call('setReputation', [[entry], ENTRY_POINTS['0.7']]), E.invalidParams);
  assertRpcError(
    await call('setReputation', [[{ address: NOT_AN_ENTRY_POINT, opsSeen: '0x1', opsIncluded: '0x0' }], NOT_AN_ENTRY_POINT]),
    E.invalidParams,
    /unsupported EntryPoint/,
  );
  assert.deepEqual(assertOk(await call('dumpReputation', [ENTRY_POINTS['0.7']])), []);
});

test('addUserOps: a list of well-formed ops and a supported EntryPoint; nothing pooled otherwise', async () => {
  for (const params of [[], [{}], ['ops', ENTRY_POINTS['0.7']], [[{ sender: '0x12' }], ENTRY_POINTS['0.7']], [[], NOT_AN_ENTRY_POINT]])
    assertRpcError(await call('addUserOps', params), E.invalidParams);
  assert.deepEqual(assertOk(await call('dumpMempool', [ENTRY_POINTS['0.7']])), []);
});

test('getStakeStatus: an address and a supported EntryPoint', async () => {
  assertRpcError(await call('getStakeStatus', []), E.invalidParams);
  assertRpcError(await call('getStakeStatus', ['0x12', ENTRY_POINTS['0.7']]), E.invalidParams);
  assertRpcError(await call('getStakeStatus', [NOT_AN_ENTRY_POINT, NOT_AN_ENTRY_POINT]), E.invalidParams, /unsupported EntryPoint/);
  assertRpcError(await call('getStakeStatus', [NOT_AN_ENTRY_POINT, ENTRY_POINTS['0.7'], 'extra']), E.invalidParams);
});

test('the node still answers, and sendBundleNow with nothing pooled bundles nothing', async () => {
  assert.equal(assertOk(await call('sendBundleNow', [])), null);
  assert.ok(assertOk(await rpc(node.url, 'eth_blockNumber', [])));
});

test('anvil_reset empties the mempool and the reputation with the chain', async () => {
  const ep = ENTRY_POINTS['0.7'];
  const sender = `0x${'a1'.repeat(20)}`;
  const op = {
    sender,
    nonce: '0x0',
    callData: '0x',
    callGasLimit: '0x10000',
    verificationGasLimit: '0x10000',
    preVerificationGas: '0x10000',
    maxFeePerGas: '0x3b9aca00',
    maxPriorityFeePerGas: '0x3b9aca00',
    signature: '0x',
  };
  // Manual: the unchecked op waits in the pool instead of going into a bundle that drops it.
  assert.equal(assertOk(await call('setBundlingMode', ['manual'])), 'ok');
  assert.equal(assertOk(await call('addUserOps', [[op], ep])), 'ok');
  assert.equal(assertOk(await call('setReputation', [[{ address: NOT_AN_ENTRY_POINT, opsSeen: '0x5', opsIncluded: '0x1' }], ep])), 'ok');
  assert.equal(assertOk(await call('dumpMempool', [ep])).length, 1);
  assert.equal(assertOk(await call('dumpReputation', [ep])).length, 1);

  assert.equal(assertOk(await rpc(node.url, 'anvil_reset', [])), null);
  assert.deepEqual(assertOk(await call('dumpMempool', [ep])), [], 'the old chain\'s ops are gone');
  assert.deepEqual(assertOk(await call('dumpReputation', [ep])), [], 'and what was counted of its entities');
  assert.equal(assertOk(await rpc(node.url, 'eth_blockNumber', [])), '0x0');
});
