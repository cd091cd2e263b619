// Finding 8: eth_feeHistory's reward percentiles are capped at 100 (geth's limit) and its block count
// at 1,024 (geth's), so 1,024 blocks x 100k percentiles cannot take gigabytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { blockNumberLatency, call, devToml, freePort, rpc, rssBytes, startNode } from '../lib/node.mjs';

let node;

before(async () => {
  const port = await freePort();
  node = await startNode({ port, toml: devToml({ port }) });
  await call(node.url, 'hardhat_mine', ['0x500']); // 1,280 blocks: more than the block cap
});

after(async () => {
  await node?.stop();
});

const percentiles = (n) => Array.from({ length: n }, (_, i) => (i * 100) / n);

test('more than 100 reward percentiles: -32602 naming the limit', async () => {
  const rssBefore = rssBytes(node.proc.pid);
  const r = await rpc(node.url, 'eth_feeHistory', ['0x10', 'latest', percentiles(100_000)]);
  assert.equal(r.error?.code, -32602, JSON.stringify(r).slice(0, 300));
  assert.match(r.error.message, /at most 100 reward percentiles/);
  assert.match(r.error.message, /limits\.max_fee_history_percentiles/);
  const over = await rpc(node.url, 'eth_feeHistory', ['0x1', 'latest', percentiles(101)]);
  assert.equal(over.error?.code, -32602);
  assert.ok(rssBytes(node.proc.pid) - rssBefore < 100 * 2 ** 20, 'memory stayed put');
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});

test('100 percentiles over 1,024 blocks are answered; the block count is capped at 1,024', async () => {
  const r = await call(node.url, 'eth_feeHistory', ['0x1000', 'latest', percentiles(100)]);
  assert.equal(r.reward.length, 1024);
  assert.equal(r.reward[0].length, 100);
  assert.equal(r.baseFeePerGas.length, 1025);
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});
