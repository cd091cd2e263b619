// Finding 10: WebSocket send queues are bounded. A notification is serialised once and shared by every
// connection it goes to, so subscribers that never read cost little; one whose queue passes
// limits.ws_send_queue_bytes (or _messages) is dropped with close code 1008 (policy violation).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { blockNumberLatency, call, devToml, freePort, rssBytes, startNode, whileLive } from '../lib/node.mjs';

const nodes = [];
const sockets = [];

after(async () => {
  for (const ws of sockets) ws.terminate();
  for (const n of nodes) await n.stop();
});

async function node(limits = '') {
  const port = await freePort();
  const n = await startNode({ port, toml: devToml({ port, extra: `[limits]\n${limits}\n` }) });
  nodes.push(n);
  return n;
}

/** A WebSocket that subscribes, then stops reading (its socket is paused) until `resume()`. */
async function silentSubscriber(url, params) {
  const ws = new WebSocket(url.replace('http', 'ws'));
  sockets.push(ws);
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  ws.on('error', () => {});
  const closed = new Promise((res) => ws.once('close', (code, reason) => res({ code, reason: reason.toString() })));
  let received = 0;
  const subscribed = new Promise((res) => ws.once('message', (d) => res(JSON.parse(d.toString()))));
  ws.on('message', () => received++);
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params }));
  const reply = await subscribed;
  assert.ok(reply.result, JSON.stringify(reply));
  ws._socket.pause();
  return { ws, closed, received: () => received, resume: () => ws._socket.resume() };
}

const MiB = 2 ** 20;

test('1,000 newHeads subscribers that never read, 1,000 blocks: memory stays bounded', async () => {
  const n = await node('max_connections = 1200');
  const subscribers = [];
  for (let i = 0; i < 1000; i++) subscribers.push(await silentSubscriber(n.url, ['newHeads']));
  const rssBefore = rssBytes(n.proc.pid);
  const { worstMs } = await whileLive(n.url, async () => {
    for (let i = 0; i < 10; i++) await call(n.url, 'hardhat_mine', ['0x64']);
  });
  await new Promise((r) => setTimeout(r, 500));
  const grown = rssBytes(n.proc.pid) - rssBefore;
  assert.ok(grown < 150 * MiB, `RSS grew by ${(grown / MiB).toFixed(0)} MiB`);
  assert.ok(worstMs < 1000, `eth_blockNumber took ${worstMs} ms`);
  assert.equal(Number(await call(n.url, 'eth_blockNumber')), 1000);
});

test('a subscriber whose queue passes limits.ws_send_queue_bytes is dropped with 1008; readers are not', async () => {
  // The bound passes a burst of 100 heads (~100 kB) to a subscriber that reads.
  const n = await node('ws_send_queue_bytes = 262144');
  const slow = await silentSubscriber(n.url, ['newHeads']);
  const reader = await silentSubscriber(n.url, ['newHeads']);
  reader.resume();
  // 3,000 heads (~3 MB) to a socket that reads nothing: more than the kernel's socket buffers hold,
  // so the queue passes the bound. The reader takes each burst before the next is mined, so it is
  // never more than one burst behind, however slowly this process runs beside other work.
  const { worstMs } = await whileLive(n.url, async () => {
    for (let i = 0; i < 30; i++) {
      await call(n.url, 'hardhat_mine', ['0x64']);
      const deadline = Date.now() + 20_000;
      // One message was the subscription's reply; then a head per block.
      while (
        reader.received() < 1 + 100 * (i + 1) &&
        reader.ws.readyState === WebSocket.OPEN &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 5));
    }
  });
  assert.ok(worstMs < 1000, `eth_blockNumber took ${worstMs} ms`);
  // The close frame comes after what the kernel buffered: reading again delivers it.
  slow.resume();
  const timeout = new Promise((res) => setTimeout(() => res({ code: 'none within 20 s' }), 20_000).unref());
  const { code, reason } = await Promise.race([slow.closed, timeout]);
  assert.equal(code, 1008, `closed with ${code} ${reason}`);
  assert.match(reason, /limits\.ws_send_queue/);
  assert.equal(reader.ws.readyState, WebSocket.OPEN, 'a subscriber that reads is kept');
  assert.ok((await blockNumberLatency(n.url)) < 1000);
});

test('300 full newPendingTransactions subscribers of large transactions: memory bounded, node prompt', async () => {
  const n = await node('max_connections = 1200');
  for (let i = 0; i < 300; i++) await silentSubscriber(n.url, ['newPendingTransactions', true]);
  const [from] = await call(n.url, 'eth_accounts');
  const data = '0x' + 'ab'.repeat(100_000); // 100 kB of calldata, under the 128 KiB transaction cap
  const rssBefore = rssBytes(n.proc.pid);
  const { worstMs } = await whileLive(n.url, async () => {
    // 30 of them: ~6 MB to each subscriber, more than the kernel's socket buffers take.
    for (let i = 0; i < 30; i++)
      await call(n.url, 'eth_sendTransaction', [{ from, to: from, data, gas: '0x7a1200' }], { timeoutMs: 60_000 });
  });
  await new Promise((r) => setTimeout(r, 500));
  const grown = rssBytes(n.proc.pid) - rssBefore;
  assert.ok(grown < 150 * MiB, `RSS grew by ${(grown / MiB).toFixed(0)} MiB`);
  assert.ok(worstMs < 1000, `eth_blockNumber took ${worstMs} ms`);
});
