// Finding 12: connections are bounded below the descriptor limit (limits.max_connections, never above
// RLIMIT_NOFILE minus a reserve); past the bound the oldest idle HTTP connection makes room (or a new one
// is closed at once), and the accept loop backs off on EMFILE instead of spinning.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { blockNumberLatency, devToml, freePort, startNode } from '../lib/node.mjs';

const nodes = [];
const sockets = [];

after(async () => {
  for (const s of sockets) s.destroy();
  for (const n of nodes) await n.stop();
});

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function idleConnection(port) {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    s.state = 'connecting';
    s.on('connect', () => {
      s.state = 'open';
      res(s);
    });
    s.on('error', () => {});
    s.on('close', () => {
      s.state = 'closed';
      res(s);
    });
  });
}

test('1,100 idle connections under ulimit -n 1024: eth_blockNumber answers, the node does not spin', async () => {
  const port = await freePort();
  const node = await startNode({ port, toml: devToml({ port }), ulimitNofile: 1024 });
  nodes.push(node);
  const idle = [];
  for (let i = 0; i < 1100; i++) idle.push(idleConnection(port));
  await Promise.all(idle);
  await new Promise((r) => setTimeout(r, 1000));

  const cpu0 = cpuSeconds(node.proc.pid);
  await new Promise((r) => setTimeout(r, 1000));
  const cpu = cpuSeconds(node.proc.pid) - cpu0;
  assert.ok(cpu < 0.2, `krnld used ${cpu.toFixed(2)} s of CPU in 1 s with idle connections open`);

  for (let i = 0; i < 5; i++) {
    const latency = await blockNumberLatency(node.url, 5_000);
    assert.ok(latency < 1000, `eth_blockNumber took ${latency} ms`);
  }
  // The node holds no more connections than its descriptors allow; the rest were closed.
  const open = sockets.filter((s) => s.state === 'open').length;
  assert.ok(open < 1024, `${open} connections held open`);
  assert.ok(node.log().includes('limits.max_connections'), 'the lowered cap is reported');
});

test('past limits.max_connections, new connections are closed at once when no idle one can make room', async () => {
  const port = await freePort();
  const node = await startNode({ port, toml: devToml({ port, extra: '[limits]\nmax_connections = 50\n' }) });
  nodes.push(node);
  // WebSocket-upgraded connections are not idle HTTP: fill the cap with them.
  const { default: WebSocket } = await import('ws');
  const held = [];
  for (let i = 0; i < 50; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    ws.on('error', () => {});
    held.push(
      new Promise((res) => {
        ws.once('open', () => res('open'));
        ws.once('close', () => res('closed'));
      }),
    );
    sockets.push({ destroy: () => ws.terminate() });
  }
  const states = await Promise.all(held);
  assert.equal(states.filter((s) => s === 'open').length, 50);
  const extra = await idleConnection(port);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(extra.state, 'closed', 'a connection past the cap is closed at once');
});
