// What the fork suites share: free ports, JSON-RPC over fetch, krnld and anvil children, and a
// proxy in front of an upstream that counts what a fork asks it.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const KRNLD = process.env.KRNLD;
if (!KRNLD) throw new Error('set KRNLD to the krnld binary');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ANVIL =
  process.env.ANVIL ?? path.join(ROOT, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');

// Runtime: no calldata returns slot 0; otherwise slot 0 = the first calldata word.
export const RUNTIME = '3615600c57600035600055005b60005460005260206000f3';
// Constructor: slot 0 = 42, then returns RUNTIME (24 bytes, copied from offset 17).
export const INITCODE = '0x602a60005560186011600039601860' + '00f3' + RUNTIME;
export const DEV0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';

export const word = (n) => '0x' + BigInt(n).toString(16).padStart(64, '0');
export const hex = (n) => '0x' + BigInt(n).toString(16);

const children = [];

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function rpcRaw(url, method, params = []) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return r.json();
}

export async function rpc(url, method, params = []) {
  const j = await rpcRaw(url, method, params);
  if (j.error) throw new Error(`${method}: ${j.error.code} ${j.error.message}`);
  return j.result;
}

// The error of a call that must fail.
export async function rpcError(url, method, params = []) {
  const j = await rpcRaw(url, method, params);
  if (!j.error) throw new Error(`${method} ${JSON.stringify(params)} answered ${JSON.stringify(j.result)}`);
  return j.error;
}

function start(bin, args) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  child.log = () => log;
  children.push(child);
  return child;
}

async function waitUp(url, child) {
  for (let i = 0; i < 300; ++i) {
    if (child.exitCode !== null) break;
    try {
      if ((await rpcRaw(url, 'eth_chainId')).result) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start:\n${child.log()}`);
}

// A krnld on a free port; `args` after --dev --quiet --port.
export async function startKrnld(args = []) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = start(KRNLD, ['--dev', '--quiet', '--port', String(port), ...args]);
  await waitUp(url, child);
  return { url, child };
}

export async function startAnvil(args = []) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = start(ANVIL, ['--port', String(port), '--silent', ...args]);
  await waitUp(url, child);
  return { url, child };
}

export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

// A proxy to `target` counting HTTP requests and JSON-RPC calls (a batch counts its calls).
export async function countingProxy(target) {
  const counts = { http: 0, calls: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      counts.http += 1;
      try {
        const parsed = JSON.parse(body);
        counts.calls += Array.isArray(parsed) ? parsed.length : 1;
        const r = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(await r.text());
      } catch {
        res.writeHead(502);
        res.end();
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    });
  return { url: `http://127.0.0.1:${server.address().port}`, counts, close };
}

// Sends `tx` from the node's unlocked accounts and waits for its receipt: anvil seals the block
// after it answers, so a read straight after eth_sendTransaction can still see the old head.
export async function send(url, tx) {
  const hash = await rpc(url, 'eth_sendTransaction', [tx]);
  for (let i = 0; i < 200; ++i) {
    const receipt = await rpc(url, 'eth_getTransactionReceipt', [hash]);
    if (receipt) return receipt;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${hash} was not mined`);
}

// Deploys the test contract (slot 0 = 42) from dev0; its address.
export async function deploy(url) {
  return (await send(url, { from: DEV0, data: INITCODE })).contractAddress;
}

export async function stopAll() {
  for (const c of children) await stop(c);
}
