// Finding 11 (transactions, pool, code analysis): a transaction is at most 128 KiB encoded (geth's
// txMaxSize; [limits] max_tx_bytes) with geth's words; the pool is bounded in bytes besides its
// count (pool_max_bytes); the code-analysis cache is bounded in bytes (analysis_cache_bytes), and
// state-override code in size (max_override_code_bytes), so eth_calls with megabytes of override
// code cannot add up to gigabytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { blockNumberLatency, call, devToml, freePort, rpc, rssBytes, startNode } from '../lib/node.mjs';

const FROM = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const TO = '0x70997970c51812dc3a010c7d01b50e5d4f59dc79';
const AT = '0x0000000000000000000000000000000000c0dec0';
const data = (n, byte = 'ab') => '0x' + byte.repeat(n);
// Code of `n` bytes that stops at once (STOP, then a distinct tail): analysed, not run.
const stoppingCode = (n, tag) => '0x00' + tag.toString(16).padStart(8, '0') + '5b'.repeat(n - 5);

let node;

before(async () => {
  const port = await freePort();
  node = await startNode({
    port,
    toml: devToml({
      port,
      extra:
        '[limits]\npool_max_bytes = 300000\nanalysis_cache_bytes = 16777216\nmax_override_code_bytes = 1100000\n',
    }),
  });
});

after(async () => {
  await node?.stop();
});

test('eth_sendRawTransaction over 128 KiB: geth\'s "oversized data"', async () => {
  const r = await rpc(node.url, 'eth_sendRawTransaction', [data(200_000, '02')]);
  assert.equal(r.error?.code, -32000, JSON.stringify(r).slice(0, 300));
  assert.equal(r.error.message, 'oversized data: transaction size 200000, limit 131072');
});

test('eth_sendTransaction over 128 KiB encoded is refused; under it is accepted', async () => {
  const tx = (n) => ({ from: FROM, to: TO, data: data(n), gas: '0x7a1200' });
  const r = await rpc(node.url, 'eth_sendTransaction', [tx(140_000)]);
  assert.equal(r.error?.code, -32000, JSON.stringify(r).slice(0, 300));
  assert.match(r.error.message, /^oversized data: transaction size 140\d{3}, limit 131072$/);
  const ok = await rpc(node.url, 'eth_sendTransaction', [tx(100_000)]);
  assert.match(ok.result ?? JSON.stringify(ok), /^0x[0-9a-f]{64}$/);
});

test('the pool is bounded in bytes: queued 100 kB transactions past pool_max_bytes are refused', async () => {
  const nonce = Number(await call(node.url, 'eth_getTransactionCount', [FROM, 'pending']));
  const answers = [];
  // Nonces past a gap: they stay queued in the pool.
  for (let i = 0; i < 5; i++)
    answers.push(
      await rpc(node.url, 'eth_sendTransaction', [
        { from: FROM, to: TO, data: data(100_000), gas: '0x7a1200', nonce: '0x' + (nonce + 10 + i).toString(16) },
      ]),
    );
  const accepted = answers.filter((a) => a.result).length;
  assert.ok(accepted >= 2 && accepted <= 3, JSON.stringify(answers.map((a) => a.error ?? 'ok')));
  const refused = answers.find((a) => a.error);
  assert.equal(refused.error.code, -32000);
  assert.match(refused.error.message, /^txpool is full/);
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});

test('state override code over max_override_code_bytes: -32005 naming the key', async () => {
  const r = await rpc(node.url, 'eth_call', [{ to: AT }, 'latest', { [AT]: { code: stoppingCode(2_600_000, 1) } }]);
  assert.equal(r.error?.code, -32005, JSON.stringify(r).slice(0, 300));
  assert.match(r.error.message, /limits\.max_override_code_bytes/);
});

test('120 eth_calls with distinct 1 MB override codes: the analysis cache stays within its bytes', async () => {
  const callWith = (tag) => rpc(node.url, 'eth_call', [{ to: AT }, 'latest', { [AT]: { code: stoppingCode(1_000_000, tag) } }]);
  // The allocator's own first growth is not what is measured.
  for (let i = 0; i < 30; i++) assert.equal((await callWith(1000 + i)).result, '0x');
  const before = rssBytes(node.proc.pid);
  for (let i = 0; i < 120; i++) assert.equal((await callWith(i)).result, '0x');
  const grown = rssBytes(node.proc.pid) - before;
  // Kept without a byte bound: 120 analyses of over 1 MB each (the old node grew by ~130 MiB).
  assert.ok(grown < 64 * 2 ** 20, `RSS grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});
