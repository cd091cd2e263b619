// Kernels never reach the node that runs them (issue 10, findings 4 and 5), and the engine bounds the
// requests and kernels it runs at once (finding 11): past the bound a request is refused at once with
// -33017, eth_blockNumber keeps answering within a second, and the threads the flood needed go away.
// run.sh's allowlist names "127.0.0.1:*" and the home port itself: the node's own ports stay refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseEther } from 'viem';
import { startHostileServer } from '../lib/hostile_server.mjs';
import { dev, hex, home, other, rpc } from '../lib/env.mjs';
import { CODE, assertAlive, assertKernelErr, createApp, execute, executeRequest, goodSetup, httpSpec, registerKernel } from '../lib/krnl.mjs';

const VALUE = [{ path: '$.value', type: 'uint256' }];
const NODE_PID = Number(process.env.KRNL_TEST_NODE_PID ?? 0);
let server;
const k = {};
let app;

const threads = () => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${NODE_PID}/status`, 'utf8'))[1]);

/** The slowest eth_blockNumber answer (ms) on the home chain while `work` runs. */
async function slowestBlockNumber(work) {
  let slowest = 0;
  let done = false;
  const probe = (async () => {
    while (!done) {
      const start = performance.now();
      const n = await rpc('eth_blockNumber', [], home.url);
      assert.match(n, /^0x[0-9a-f]+$/);
      slowest = Math.max(slowest, performance.now() - start);
      await new Promise((ok) => setTimeout(ok, 50));
    }
  })();
  try {
    return { result: await work(), slowest: () => slowest };
  } finally {
    done = true;
    await probe;
  }
}

before(async () => {
  server = await startHostileServer();
  await goodSetup();
  const own = home.url;
  k.selfCall = await registerKernel(
    httpSpec(own, VALUE, {
      method: 'POST',
      timeoutMs: 5000,
      body: { jsonrpc: '2.0', id: 1, method: 'krnl_executeKernels', params: [{ app: '0x0000000000000000000000000000000000000001', chainId: '0x7a69', sender: '0x0000000000000000000000000000000000000002', function: 'act(uint256,uint256,bytes)', args: '0x', kernels: [] }] },
    }),
  );
  k.sendEth = await registerKernel(
    httpSpec(own, VALUE, {
      method: 'POST',
      timeoutMs: 5000,
      body: { jsonrpc: '2.0', id: 1, method: 'eth_sendTransaction', params: [{ from: dev[0].address.toLowerCase(), to: dev[9].address.toLowerCase(), value: hex(parseEther('1')) }] },
    }),
  );
  k.sendByName = await registerKernel(httpSpec(`http://localhost:${new URL(own).port}/`, VALUE, { method: 'POST', timeoutMs: 5000, body: { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] } }));
  k.otherChainPort = await registerKernel(httpSpec(`http://127.0.0.1:${new URL(other.url).port}/`, VALUE, { method: 'POST', timeoutMs: 5000, body: { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] } }));
  k.hang = await registerKernel(httpSpec(`${server.base}/hang`, VALUE, { timeoutMs: 3000 }));
  ({ app } = await createApp({ kernelIds: Object.values(k) }));
});

after(async () => {
  await server?.close();
});

test('finding 4: a kernel POSTing krnl_executeKernels to the node\'s own port is refused, and krnl_* keeps answering', async () => {
  const reply = await execute(executeRequest(app, [k.selfCall]));
  assert.ok(!reply.error, `${reply.error?.code} ${reply.error?.message}`);
  assertKernelErr(reply.result.responses[0], k.selfCall, /this node's own RPC/);
  // Nothing of it is left running: the next engine call answers at once.
  const start = performance.now();
  await assertAlive();
  assert.ok(performance.now() - start < 5000);
});

test('finding 5: with the home port on the allowlist, a kernel sending eth_sendTransaction to it moves no ether', async () => {
  const before = await rpc('eth_getBalance', [dev[9].address, 'latest'], home.url);
  const reply = await execute(executeRequest(app, [k.sendEth, k.sendByName, k.otherChainPort]));
  assert.ok(!reply.error, `${reply.error?.code} ${reply.error?.message}`);
  assertKernelErr(reply.result.responses[0], k.sendEth, /this node's own RPC/);
  assertKernelErr(reply.result.responses[1], k.sendByName, /this node's own RPC/); // localhost resolves to loopback
  assertKernelErr(reply.result.responses[2], k.otherChainPort, /this node's own RPC/); // every chain's port
  assert.equal(await rpc('eth_getBalance', [dev[9].address, 'latest'], home.url), before);
});

test('finding 11: a flood of hanging kernels past the engine\'s bounds is refused with -33017; eth_blockNumber stays under a second; threads return', { timeout: 120_000 }, async (t) => {
  assert.ok(NODE_PID > 0, 'run.sh exports KRNL_TEST_NODE_PID');
  const baseline = threads();
  const flood = 40; // x 32 hanging kernels: 1,280, past max_kernels_in_flight (256 by default)
  const request = executeRequest(app, Array.from({ length: 32 }, () => k.hang));
  const { result: replies, slowest } = await slowestBlockNumber(() => Promise.all(Array.from({ length: flood }, () => execute(request))));
  const busy = replies.filter((r) => r.error?.code === CODE.engineBusy);
  const answered = replies.filter((r) => !r.error);
  t.diagnostic(`${answered.length} answered, ${busy.length} refused -33017; slowest eth_blockNumber ${slowest().toFixed(0)} ms; threads ${baseline} before, ${threads()} at the end of the flood`);
  assert.ok(busy.length > 0, 'some requests are refused past the bound');
  assert.equal(busy.length + answered.length, flood, JSON.stringify(replies.find((r) => r.error && r.error.code !== CODE.engineBusy)?.error));
  assert.match(busy[0].error.message, /max_(kernels|requests)_in_flight/);
  for (const r of answered) for (const x of r.result.responses) assert.match(x.err, /timed out/);
  assert.ok(slowest() < 1000, `eth_blockNumber took ${slowest()} ms during the flood`);

  // Once the kernels ended, the node takes requests again and its threads come back near the
  // baseline (the old engine kept a thread per kernel: 1,104 after such a flood).
  await assertAlive();
  let now = threads();
  for (let i = 0; i < 60 && now > baseline + 80; i++) {
    await new Promise((ok) => setTimeout(ok, 500));
    now = threads();
  }
  t.diagnostic(`threads: ${baseline} before, ${now} after`);
  assert.ok(now <= baseline + 80, `threads ${now}, baseline ${baseline}`);
});
