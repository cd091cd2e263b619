// Finding 14: block timestamps never wrap. evm_setNextBlockTimestamp 0xffffffffffffffff then two
// evm_mine stamped the second block 0; evm_increaseTime 0x7fff... twice answered "-2".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, devToml, freePort, rpc, startNode } from '../lib/node.mjs';

const MAX_U64 = 0xffffffffffffffffn;

async function node() {
  const port = await freePort();
  return startNode({ toml: devToml({ port }), port });
}

const latestTimestamp = async (url) => BigInt((await call(url, 'eth_getBlockByNumber', ['latest', false])).timestamp);

test('the largest timestamp is mined once; no block follows it (none stamped 0)', async () => {
  const n = await node();
  try {
    await call(n.url, 'evm_setNextBlockTimestamp', ['0xffffffffffffffff']);
    await call(n.url, 'evm_mine');
    assert.equal(await latestTimestamp(n.url), MAX_U64);
    const head = await call(n.url, 'eth_blockNumber');
    const second = await rpc(n.url, 'evm_mine');
    assert.ok(second.error, `a block after the largest timestamp was mined: ${JSON.stringify(second)}`);
    assert.equal(second.error.code, -32602);
    assert.match(second.error.message, /the largest a block can carry: no later block can be mined/);
    assert.equal(await call(n.url, 'eth_blockNumber'), head);
    assert.equal(await latestTimestamp(n.url), MAX_U64);
  } finally {
    await n.stop();
  }
});

test('evm_increaseTime past what a timestamp can hold is refused, never a negative total', async () => {
  const n = await node();
  try {
    const first = await call(n.url, 'evm_increaseTime', ['0x7fffffffffffffff']);
    assert.equal(first, '9223372036854775807');
    const second = await rpc(n.url, 'evm_increaseTime', ['0x7fffffffffffffff']);
    assert.ok(second.error, `answered ${JSON.stringify(second.result)}`);
    assert.equal(second.error.code, -32602);
    assert.match(second.error.message, /it is 9223372036854775807 s now/);
    // 2^64 - 1 seconds (once taken as -1: time moving back) is refused as well.
    const huge = await rpc(n.url, 'evm_increaseTime', ['0xffffffffffffffff']);
    assert.equal(huge.error?.code, -32602, JSON.stringify(huge));
    // Blocks keep increasing timestamps on top of the offset that was accepted.
    const before = await latestTimestamp(n.url);
    await call(n.url, 'evm_mine');
    const t1 = await latestTimestamp(n.url);
    await call(n.url, 'evm_mine');
    const t2 = await latestTimestamp(n.url);
    assert.ok(t1 > before && t1 >= 0x7fffffffffffffffn, `t1 ${t1}`);
    assert.ok(t2 > t1, `t2 ${t2} <= t1 ${t1}`);
  } finally {
    await n.stop();
  }
});
