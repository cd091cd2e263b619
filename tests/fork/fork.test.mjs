// Fork mode end to end: one krnld is the upstream (a contract with storage deployed, an account
// funded), a second krnld forks it through a counting proxy, and the fork's reads, calls, writes
// and errors are checked against the upstream. Run by tests/fork/run.sh (KRNLD names the binary).
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

const KRNLD = process.env.KRNLD;
if (!KRNLD) throw new Error('set KRNLD to the krnld binary');

// Runtime: no calldata returns slot 0; otherwise slot 0 = the first calldata word.
const RUNTIME = '3615600c57600035600055005b60005460005260206000f3';
// Constructor: slot 0 = 42, then returns RUNTIME (24 bytes, copied from offset 17).
const INITCODE = '0x602a60005560186011600039601860' + '00f3' + RUNTIME;
const FUNDED = '0x00000000000000000000000000000000000f0f01';
const DEV0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';

const children = [];
let proxy;
let upstreamUrl, forkUrl, upstream;
const counts = { http: 0, calls: 0 };
let contract, forkBlock, deployHash, transferHash;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function rpcRaw(url, method, params = []) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return r.json();
}

async function rpc(url, method, params = []) {
  const j = await rpcRaw(url, method, params);
  if (j.error) throw new Error(`${method}: ${j.error.code} ${j.error.message}`);
  return j.result;
}

function startKrnld(args) {
  const child = spawn(KRNLD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  throw new Error(`krnld at ${url} did not start:\n${child.log()}`);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

before(async () => {
  const upstreamPort = await freePort();
  upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  upstream = startKrnld(['--dev', '--quiet', '--port', String(upstreamPort)]);
  await waitUp(upstreamUrl, upstream);

  // The upstream's state: a contract with storage, a funded account, dev0 at nonce 2.
  deployHash = await rpc(upstreamUrl, 'eth_sendTransaction', [{ from: DEV0, data: INITCODE }]);
  contract = (await rpc(upstreamUrl, 'eth_getTransactionReceipt', [deployHash])).contractAddress;
  transferHash = await rpc(upstreamUrl, 'eth_sendTransaction', [
    { from: DEV0, to: FUNDED, value: '0x14d1120d7b160000' }, // 1.5 ETH
  ]);
  forkBlock = Number(await rpc(upstreamUrl, 'eth_blockNumber'));

  // A proxy in front of the upstream counts what the fork asks (HTTP requests and JSON-RPC calls).
  proxy = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      counts.http += 1;
      try {
        const parsed = JSON.parse(body);
        counts.calls += Array.isArray(parsed) ? parsed.length : 1;
        const r = await fetch(upstreamUrl, {
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
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${proxy.address().port}`;

  const forkPort = await freePort();
  forkUrl = `http://127.0.0.1:${forkPort}`;
  const fork = startKrnld([
    '--dev',
    '--quiet',
    '--port',
    String(forkPort),
    '--fork-url',
    proxyUrl,
    '--fork-block-number',
    String(forkBlock),
  ]);
  await waitUp(forkUrl, fork);
});

after(async () => {
  for (const c of children) await stop(c);
  if (proxy) {
    proxy.closeAllConnections();
    proxy.close();
  }
});

test('the fork starts at the upstream block with its chain id', async () => {
  assert.equal(await rpc(forkUrl, 'eth_chainId'), await rpc(upstreamUrl, 'eth_chainId'));
  assert.equal(Number(await rpc(forkUrl, 'eth_blockNumber')), forkBlock);
  const upstreamBlock = await rpc(upstreamUrl, 'eth_getBlockByNumber', ['latest', false]);
  const forkHead = await rpc(forkUrl, 'eth_getBlockByNumber', ['latest', false]);
  assert.equal(forkHead.hash, upstreamBlock.hash);
});

test('a forked eth_call reads code and storage from the upstream, once', async () => {
  const before = { ...counts };
  const cold = await rpc(forkUrl, 'eth_call', [{ to: contract, data: '0x' }, 'latest']);
  const coldHttp = counts.http - before.http;
  const coldCalls = counts.calls - before.calls;
  assert.equal(BigInt(cold), 42n);
  const mid = { ...counts };
  const warm = await rpc(forkUrl, 'eth_call', [{ to: contract, data: '0x' }, 'latest']);
  assert.equal(BigInt(warm), 42n);
  assert.equal(counts.calls - mid.calls, 0, 'a second eth_call is served from the cache');
  console.log(
    `# upstream requests per forked eth_call: cold ${coldHttp} HTTP round trips ` +
      `(${coldCalls} JSON-RPC calls), warm ${counts.http - mid.http}`,
  );
  assert.ok(coldHttp >= 1 && coldHttp <= 4, `cold eth_call took ${coldHttp} round trips`);
});

test('balance, nonce, code and storage read through the fork', async () => {
  assert.equal(BigInt(await rpc(forkUrl, 'eth_getBalance', [FUNDED, 'latest'])), 1500000000000000000n);
  assert.equal(Number(await rpc(forkUrl, 'eth_getTransactionCount', [DEV0, 'latest'])), 2);
  assert.equal(await rpc(forkUrl, 'eth_getCode', [contract, 'latest']), '0x' + RUNTIME);
  assert.equal(BigInt(await rpc(forkUrl, 'eth_getStorageAt', [contract, '0x0', 'latest'])), 42n);
  // The dev accounts are funded locally over the upstream's (their nonce stays the upstream's).
  assert.equal(BigInt(await rpc(forkUrl, 'eth_getBalance', [DEV0, 'latest'])), 10000n * 10n ** 18n);
});

test('a transaction on the fork changes its storage, not the upstream', async () => {
  const word = '0x' + (99).toString(16).padStart(64, '0');
  const hash = await rpc(forkUrl, 'eth_sendTransaction', [{ from: DEV0, to: contract, data: word }]);
  const receipt = await rpc(forkUrl, 'eth_getTransactionReceipt', [hash]);
  assert.equal(receipt.status, '0x1');
  assert.equal(Number(receipt.blockNumber), forkBlock + 1);
  assert.equal(Number(await rpc(forkUrl, 'eth_blockNumber')), forkBlock + 1);
  const mined = await rpc(forkUrl, 'eth_getBlockByNumber', [receipt.blockNumber, false]);
  const upstreamBlock = await rpc(upstreamUrl, 'eth_getBlockByNumber', [
    '0x' + forkBlock.toString(16),
    false,
  ]);
  assert.equal(mined.parentHash, upstreamBlock.hash);
  assert.equal(BigInt(await rpc(forkUrl, 'eth_getStorageAt', [contract, '0x0', 'latest'])), 99n);
  assert.equal(BigInt(await rpc(forkUrl, 'eth_call', [{ to: contract, data: '0x' }, 'latest'])), 99n);
  assert.equal(Number(await rpc(forkUrl, 'eth_getTransactionCount', [DEV0, 'latest'])), 3);
  assert.equal(BigInt(await rpc(upstreamUrl, 'eth_getStorageAt', [contract, '0x0', 'latest'])), 42n);
  assert.equal(Number(await rpc(upstreamUrl, 'eth_getTransactionCount', [DEV0, 'latest'])), 2);
  // A storage write back to zero is a local value, not a reason to read the upstream again.
  const zero = '0x' + '0'.repeat(64);
  await rpc(forkUrl, 'eth_sendTransaction', [{ from: DEV0, to: contract, data: zero }]);
  assert.equal(BigInt(await rpc(forkUrl, 'eth_getStorageAt', [contract, '0x0', 'latest'])), 0n);
});

test('BLOCKHASH below and at the fork block is the upstream hash', async () => {
  for (const n of [forkBlock - 1, forkBlock]) {
    // Initcode run by eth_call: returns blockhash(n).
    const data = '0x60' + n.toString(16).padStart(2, '0') + '40600052' + '60206000f3';
    const got = await rpc(forkUrl, 'eth_call', [{ data }, 'latest']);
    const block = await rpc(upstreamUrl, 'eth_getBlockByNumber', ['0x' + n.toString(16), false]);
    assert.equal(got, block.hash, `block ${n}`);
  }
});

test('blocks, transactions and receipts below the fork block are the upstream\'s, fetched once', async () => {
  const below = '0x' + (forkBlock - 1).toString(16);
  const upstreamBlock = await rpc(upstreamUrl, 'eth_getBlockByNumber', [below, true]);
  const before = counts.calls;
  assert.deepEqual(await rpc(forkUrl, 'eth_getBlockByNumber', [below, true]), upstreamBlock);
  assert.deepEqual(await rpc(forkUrl, 'eth_getBlockByNumber', [below, true]), upstreamBlock);
  assert.equal(counts.calls, before + 1, 'a historic block is fetched once');
  const byHash = await rpc(forkUrl, 'eth_getBlockByHash', [upstreamBlock.hash, false]);
  assert.equal(byHash.number, below);
  assert.deepEqual(byHash.transactions, upstreamBlock.transactions.map((t) => t.hash));
  assert.equal((await rpc(forkUrl, 'eth_getBlockByNumber', ['earliest', false])).number, '0x0');
  // The fork block's and an earlier block's transactions and receipts.
  for (const hash of [deployHash, transferHash]) {
    assert.deepEqual(
      await rpc(forkUrl, 'eth_getTransactionByHash', [hash]),
      await rpc(upstreamUrl, 'eth_getTransactionByHash', [hash]),
    );
    assert.deepEqual(
      await rpc(forkUrl, 'eth_getTransactionReceipt', [hash]),
      await rpc(upstreamUrl, 'eth_getTransactionReceipt', [hash]),
    );
  }
  // What the upstream mined after the fork block is not this chain's.
  const later = await rpc(upstreamUrl, 'eth_sendTransaction', [{ from: DEV0, to: FUNDED, value: '0x1' }]);
  assert.equal(await rpc(forkUrl, 'eth_getTransactionByHash', [later]), null);
  assert.equal(await rpc(forkUrl, 'eth_getTransactionReceipt', [later]), null);
  const laterBlock = (await rpc(upstreamUrl, 'eth_getTransactionReceipt', [later])).blockHash;
  assert.equal(await rpc(forkUrl, 'eth_getBlockByHash', [laterBlock, false]), null);
  assert.equal(await rpc(forkUrl, 'eth_getTransactionReceipt', ['0x' + '12'.repeat(32)]), null);
});

test('with the upstream gone, a read of an unfetched key is a clear error', async () => {
  await stop(upstream);
  proxy.closeAllConnections();
  await new Promise((r) => proxy.close(r));
  const reply = await rpcRaw(forkUrl, 'eth_getBalance', [
    '0x00000000000000000000000000000000000f0f02',
    'latest',
  ]);
  assert.ok(reply.error, JSON.stringify(reply));
  assert.equal(reply.error.code, -32010);
  assert.match(reply.error.message, /fork upstream unavailable/);
  // What was fetched before still answers, and the node keeps serving.
  assert.equal(BigInt(await rpc(forkUrl, 'eth_getBalance', [FUNDED, 'latest'])), 1500000000000000000n);
});
