// Finding 6: engine calls (MethodTable::add_blocking) are routed to their own pool by the parsed method
// name, so `"krnl\u005f..."` cannot slip onto the I/O threads; and that pool is bounded
// (limits.max_blocking_requests: past it, -32005 at once instead of an unbounded queue). Dev methods
// that can work for seconds (mining many blocks, the state files) run on that pool too.
//
// A blocking call that hangs without any kernel: the engine's home chain is an upstream "node" that
// accepts connections and never answers, so krnl_listKernels waits out the upstream client's timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { blockNumberLatency, call, devToml, freePort, rpcBody, startNode, whileLive } from '../lib/node.mjs';

let hang;
const sockets = new Set();
const nodes = [];

before(async () => {
  hang = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => hang.listen(0, '127.0.0.1', r));
});

after(async () => {
  for (const n of nodes) await n.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => hang.close(r));
});

async function hangingEngineNode(limits = '') {
  const port = await freePort();
  const node = await startNode({
    port,
    toml: devToml({
      port,
      // Two I/O threads: two requests stuck on them would stall the port.
      node: 'threads = 2',
      extra: `[engine]
home_chain = 1
[engine.upstream]
1 = "http://127.0.0.1:${hang.address().port}"

[limits]
${limits}
`,
    }),
  });
  nodes.push(node);
  return node;
}

// A request body with the method name written with a JSON escape.
const escaped = (id, method) => `{"jsonrpc":"2.0","id":${id},"method":"${method.replace('_', '\\u005f')}","params":[]}`;
const fire = (url, body) => rpcBody(url, body, { timeoutMs: 60_000 }).catch((e) => ({ failed: e }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const [what, body] of [
  ['an escaped engine method name', (i) => escaped(i, 'krnl_listKernels')],
  ['a batch mixing eth_* with an escaped engine method', (i) => `[{"jsonrpc":"2.0","id":${i},"method":"eth_blockNumber"},${escaped(i + 100, 'krnl_listKernels')}]`],
]) {
  test(`${what} goes to the blocking pool, not the I/O threads`, async () => {
    const node = await hangingEngineNode('max_blocking_requests = 64');
    assert.ok((await blockNumberLatency(node.url)) < 1000);
    // Left pending: they end with the upstream client's timeout, or when the node stops.
    for (let i = 0; i < 6; i++) fire(node.url, body(i));
    await sleep(500);
    const worst = Math.max(...(await Promise.all([1, 2, 3].map(() => blockNumberLatency(node.url, 5_000)))));
    assert.ok(worst < 1000, `eth_blockNumber took ${worst} ms while engine calls hang`);
  });
}

test('the blocking pool is bounded: past limits.max_blocking_requests, -32005 at once', async () => {
  const node = await hangingEngineNode('max_blocking_requests = 3');
  for (let i = 0; i < 3; i++) fire(node.url, { jsonrpc: '2.0', id: i, method: 'krnl_listKernels', params: [] });
  await sleep(500);
  const over = await rpcBody(node.url, { jsonrpc: '2.0', id: 9, method: 'krnl_listKernels', params: [] }, { timeoutMs: 60_000 });
  assert.equal(over.error?.code, -32005, JSON.stringify(over));
  assert.match(over.error.message, /limits\.max_blocking_requests/);
  assert.equal(over.id, 9);
  // A batch that needs the pool is refused item by item, with each id.
  const batch = await rpcBody(node.url, `[${escaped(20, 'krnl_listKernels')},{"jsonrpc":"2.0","id":21,"method":"eth_blockNumber"}]`);
  assert.ok(Array.isArray(batch), JSON.stringify(batch));
  assert.deepEqual(batch.map((r) => [r.id, r.error?.code]), [[20, -32005], [21, -32005]]);
  // Everything else is served as usual.
  const latency = await blockNumberLatency(node.url);
  assert.ok(latency < 1000, `eth_blockNumber took ${latency} ms`);
});

test('long dev work (hardhat_mine of 100,000 blocks, anvil_dumpState) runs on the pool: eth_blockNumber answers on new connections', async () => {
  const port = await freePort();
  const node = await startNode({ port, toml: devToml({ port, node: 'threads = 2' }) });
  nodes.push(node);
  // Each poll on a new connection: connections are given to the two I/O threads in turn, and the
  // first thread also accepts, so work held on either would keep some poll waiting for all of it.
  const { worstMs } = await whileLive(
    node.url,
    async () => {
      // The most one request may mine (max_blocks_mined_per_request): seconds of work.
      assert.equal(await call(node.url, 'hardhat_mine', ['0x186a0'], { timeoutMs: 120_000 }), null);
      assert.match(await call(node.url, 'anvil_dumpState'), /^0x1f8b/); // gzip
    },
    { ownConnection: true },
  );
  assert.ok(worstMs < 1000, `eth_blockNumber took ${worstMs} ms while the node mined`);
  assert.equal(await call(node.url, 'eth_blockNumber'), '0x186a0');
});

test('hardhat_mine and anvil_mine with malformed or hostile params: -32602 naming the argument, nothing mined', async () => {
  const port = await freePort();
  const node = await startNode({ port, toml: devToml({ port }) });
  nodes.push(node);
  for (const method of ['hardhat_mine', 'anvil_mine']) {
    for (const [params, what] of [
      [['zz'], /argument 0: hex string without 0x prefix/],
      [[-1], /argument 0: expected a non-negative integer/],
      [[{}], /argument 0: expected a hex string/],
      [['0x1', 'x'], /argument 1: hex string without 0x prefix/],
      [['0x1ffffffffffffffffff'], /argument 0: hex number > 64 bits/],
      // Past the per-request budget (max_blocks_mined_per_request, 100,000): refused before any work.
      [['0x186a1'], /limits\.max_blocks_mined_per_request/],
    ]) {
      const r = await rpcBody(node.url, { jsonrpc: '2.0', id: 1, method, params });
      assert.ok(r.error, `${method} ${JSON.stringify(params)}: ${JSON.stringify(r)}`);
      assert.match(r.error.message, what);
    }
  }
  assert.equal(await call(node.url, 'eth_blockNumber'), '0x0');
});
