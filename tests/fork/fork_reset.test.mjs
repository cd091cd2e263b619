// anvil_reset, hardhat_reset and anvil_setRpcUrl end to end, and fork mode over an anvil
// upstream: a krnld and an anvil are the upstreams (each with the test contract deployed), krnlds
// fork them and reset between them. Run by tests/fork/run.sh (KRNLD names the binary).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEV0,
  RUNTIME,
  countingProxy,
  deploy,
  freePort,
  hex,
  rpc,
  rpcError,
  send,
  startAnvil,
  startKrnld,
  stop,
  stopAll,
  word,
} from './lib.mjs';

const FUNDED = '0x00000000000000000000000000000000000f0f01';
const ANVIL_CHAIN = 4242;

let krnlUp; // upstream krnld: contract slot 0 = 42, FUNDED 1.5 ETH
let anvilUp; // upstream anvil (chain 4242): contract slot 0 = 7, FUNDED 2 ETH
let krnlContract, krnlBlock, anvilContract, anvilBlock;
let own; // a krnld started as a chain of its own
const proxies = [];

before(async () => {
  krnlUp = await startKrnld();
  krnlContract = await deploy(krnlUp.url);
  await send(krnlUp.url, { from: DEV0, to: FUNDED, value: hex(1500000000000000000n) });
  krnlBlock = Number(await rpc(krnlUp.url, 'eth_blockNumber'));

  anvilUp = await startAnvil(['--chain-id', String(ANVIL_CHAIN)]);
  anvilContract = await deploy(anvilUp.url);
  await send(anvilUp.url, { from: DEV0, to: anvilContract, data: word(7) });
  await send(anvilUp.url, { from: DEV0, to: FUNDED, value: hex(2000000000000000000n) });
  anvilBlock = Number(await rpc(anvilUp.url, 'eth_blockNumber'));

  own = await startKrnld();
});

after(async () => {
  for (const p of proxies) await p.close();
  await stopAll();
});

async function proxyTo(url) {
  const p = await countingProxy(url);
  proxies.push(p);
  return p;
}

const call = (url, to) => rpc(url, 'eth_call', [{ to, data: '0x' }, 'latest']);

test('a krnld forked from anvil reads its contract; eth_call, eth_getProof, tracing and impersonation work on forked state', async () => {
  const proxy = await proxyTo(anvilUp.url);
  const fork = await startKrnld(['--fork-url', proxy.url]);
  assert.equal(Number(await rpc(fork.url, 'eth_chainId')), ANVIL_CHAIN);
  assert.equal(Number(await rpc(fork.url, 'eth_blockNumber')), anvilBlock);
  const head = await rpc(anvilUp.url, 'eth_getBlockByNumber', ['latest', false]);
  assert.equal((await rpc(fork.url, 'eth_getBlockByNumber', ['latest', false])).hash, head.hash);

  // eth_call, cold then warm, with the upstream requests it costs.
  const before = { ...proxy.counts };
  assert.equal(BigInt(await call(fork.url, anvilContract)), 7n);
  const cold = { http: proxy.counts.http - before.http, calls: proxy.counts.calls - before.calls };
  const mid = { ...proxy.counts };
  assert.equal(BigInt(await call(fork.url, anvilContract)), 7n);
  assert.equal(proxy.counts.calls, mid.calls, 'a warm eth_call asks the upstream nothing');
  console.log(
    `# anvil upstream: a forked eth_call costs ${cold.http} HTTP round trips ` +
      `(${cold.calls} JSON-RPC calls) cold, 0 warm`,
  );
  assert.equal(await rpc(fork.url, 'eth_getCode', [anvilContract, 'latest']), '0x' + RUNTIME);

  // eth_getProof over forked state: the account and slot are anvil's.
  const proof = await rpc(fork.url, 'eth_getProof', [anvilContract, [word(0)], 'latest']);
  const upstreamProof = await rpc(anvilUp.url, 'eth_getProof', [anvilContract, [word(0)], 'latest']);
  assert.equal(BigInt(proof.nonce), BigInt(upstreamProof.nonce));
  assert.equal(BigInt(proof.balance), BigInt(upstreamProof.balance));
  assert.equal(proof.codeHash, upstreamProof.codeHash);
  assert.equal(BigInt(proof.storageProof[0].value), 7n);
  // Untouched by the fork, the account's proof is the upstream's, exact against the fork block's root.
  assert.ok(proof.accountProof.length > 0);
  assert.deepEqual(proof.accountProof, upstreamProof.accountProof);
  assert.deepEqual(proof.storageProof[0].proof, upstreamProof.storageProof[0].proof);

  // debug_traceCall on forked code: the SLOAD sees the upstream's value.
  const trace = await rpc(fork.url, 'debug_traceCall', [
    { to: anvilContract, data: '0x' },
    'latest',
    {},
  ]);
  assert.equal(trace.failed, false);
  assert.equal(BigInt('0x' + trace.returnValue.replace(/^0x/, '')), 7n);
  const sload = trace.structLogs.findIndex((s) => s.op === 'SLOAD');
  assert.ok(sload >= 0, 'the trace has the SLOAD');
  assert.equal(BigInt('0x' + trace.structLogs[sload + 1].stack.at(-1).replace(/^0x/, '')), 7n);
  const callFrame = await rpc(fork.url, 'debug_traceCall', [
    { to: anvilContract, data: word(5) },
    'latest',
    { tracer: 'callTracer' },
  ]);
  assert.equal(callFrame.to.toLowerCase(), anvilContract.toLowerCase());

  // Impersonation of an account that exists only upstream: it sends from its upstream balance.
  await rpc(fork.url, 'anvil_impersonateAccount', [FUNDED]);
  const sent = await rpc(fork.url, 'eth_sendTransaction', [
    { from: FUNDED, to: anvilContract, data: word(11) },
  ]);
  const receipt = await rpc(fork.url, 'eth_getTransactionReceipt', [sent]);
  assert.equal(receipt.status, '0x1');
  assert.equal(BigInt(await call(fork.url, anvilContract)), 11n);
  // Written by the fork: its proof is the local one, with the local value.
  const local = await rpc(fork.url, 'eth_getProof', [anvilContract, [word(0)], 'latest']);
  assert.equal(BigInt(local.storageProof[0].value), 11n);
  assert.equal(BigInt(local.nonce), BigInt(upstreamProof.nonce));
  assert.ok(BigInt(await rpc(fork.url, 'eth_getBalance', [FUNDED, 'latest'])) < 2000000000000000000n);
  assert.equal(BigInt(await call(anvilUp.url, anvilContract)), 7n, 'the upstream is untouched');

  // With its upstream gone, a reset back to the fork block fails with -32010 and changes nothing.
  const height = Number(await rpc(fork.url, 'eth_blockNumber'));
  await proxy.close();
  proxies.splice(proxies.indexOf(proxy), 1);
  const gone = await rpcError(fork.url, 'anvil_reset', []);
  assert.equal(gone.code, -32010, gone.message);
  assert.equal(Number(await rpc(fork.url, 'eth_blockNumber')), height);
  assert.equal(BigInt(await call(fork.url, anvilContract)), 11n);
});

test('anvil_reset and hardhat_reset fork a chain of its own, move it between upstreams, and bring it back', async () => {
  const url = own.url;
  await rpc(url, 'eth_sendTransaction', [{ from: DEV0, to: FUNDED, value: '0x1' }]);
  assert.equal(await rpc(url, 'anvil_reset', [{ forking: { jsonRpcUrl: krnlUp.url, blockNumber: krnlBlock } }]), null);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), krnlBlock);
  assert.equal(BigInt(await call(url, krnlContract)), 42n);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [FUNDED, 'latest'])), 1500000000000000000n);
  // The dev accounts are funded over the upstream's state, as at start.
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [DEV0, 'latest'])), 10000n * 10n ** 18n);

  // hardhat_reset's answer is true; without blockNumber the upstream's latest.
  assert.equal(await rpc(url, 'hardhat_reset', [{ forking: { jsonRpcUrl: anvilUp.url } }]), true);
  assert.equal(Number(await rpc(url, 'eth_chainId')), ANVIL_CHAIN);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), anvilBlock);
  assert.equal(BigInt(await call(url, anvilContract)), 7n);
  // A block can be mined on top, and its parent is the upstream's block.
  await rpc(url, 'evm_mine', []);
  const mined = await rpc(url, 'eth_getBlockByNumber', ['latest', false]);
  const upstreamHead = await rpc(anvilUp.url, 'eth_getBlockByNumber', [hex(anvilBlock), false]);
  assert.equal(mined.parentHash, upstreamHead.hash);

  // Without jsonRpcUrl: the same upstream at another block (before the contract's value was set).
  await rpc(url, 'anvil_reset', [{ forking: { blockNumber: anvilBlock - 2 } }]);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), anvilBlock - 2);
  assert.equal(BigInt(await call(url, anvilContract)), 42n);

  // No params: back to the start, a dev chain at genesis with its own id.
  assert.equal(await rpc(url, 'anvil_reset', []), null);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), 0);
  assert.equal(Number(await rpc(url, 'eth_chainId')), 31337);
  assert.equal(await rpc(url, 'eth_getCode', [anvilContract, 'latest']), '0x');
  assert.equal(Number(await rpc(url, 'eth_getTransactionCount', [DEV0, 'latest'])), 0);
  assert.equal(await rpc(url, 'hardhat_reset', [{}]), true);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), 0);
});

test('a reset clears the pool, snapshots, impersonations, impersonated signatures and moves filters on', async () => {
  const url = own.url;
  await rpc(url, 'anvil_reset', []);
  const snapshot = await rpc(url, 'evm_snapshot', []);
  const stranger = '0x00000000000000000000000000000000000000aa';
  await rpc(url, 'anvil_setBalance', [stranger, hex(10n ** 18n)]);
  await rpc(url, 'anvil_impersonateAccount', [stranger]);
  await rpc(url, 'anvil_autoImpersonateAccount', [true]);
  // ecrecover answers `stranger` for a made-up signature.
  const r = '11'.repeat(32);
  const s = '22'.repeat(32);
  await rpc(url, 'anvil_impersonateSignature', ['0x' + r + s + '1b', stranger]);
  const recoverInput = '0x' + 'ab'.repeat(32) + word(27).slice(2) + r + s;
  const recover = () => rpc(url, 'eth_call', [{ to: '0x0000000000000000000000000000000000000001', data: recoverInput }, 'latest']);
  assert.equal(await recover(), word(stranger));
  await rpc(url, 'evm_setAutomine', [false]);
  await rpc(url, 'eth_sendTransaction', [{ from: DEV0, to: FUNDED, value: '0x1' }]);
  assert.equal(Number((await rpc(url, 'txpool_status', [])).pending), 1);
  await rpc(url, 'evm_mine', []);
  const filter = await rpc(url, 'eth_newBlockFilter', []);
  await rpc(url, 'evm_mine', []);

  await rpc(url, 'anvil_reset', []);
  assert.equal(Number((await rpc(url, 'txpool_status', [])).pending), 0);
  assert.equal(await rpc(url, 'evm_revert', [snapshot]), false);
  assert.equal(await rpc(url, 'eth_getBalance', [stranger, 'latest']), '0x0');
  await rpc(url, 'anvil_setBalance', [stranger, hex(10n ** 18n)]);
  const refused = await rpcError(url, 'eth_sendTransaction', [{ from: stranger, to: FUNDED }]);
  assert.notEqual(refused.code, undefined);
  assert.equal(await recover(), '0x', 'the made-up signature recovers nobody again');
  // The filter lives on and reports the blocks after the reset only.
  await rpc(url, 'evm_mine', []);
  const changes = await rpc(url, 'eth_getFilterChanges', [filter]);
  assert.equal(changes.length, 1);
  assert.equal(changes[0], (await rpc(url, 'eth_getBlockByNumber', ['latest', false])).hash);
  await rpc(url, 'evm_setAutomine', [true]);
});

test('malformed reset and setRpcUrl params are -32602 and change nothing', async () => {
  const url = own.url;
  await rpc(url, 'anvil_reset', []);
  await rpc(url, 'evm_mine', []);
  const bad = [
    [{ forking: { jsonRpcUrl: 'ftp://127.0.0.1:1' } }],
    [{ forking: { jsonRpcUrl: 'https://127.0.0.1:1' } }],
    [{ forking: { jsonRpcUrl: 'ws://127.0.0.1:1' } }],
    [{ forking: { jsonRpcUrl: 'http://' } }],
    [{ forking: { jsonRpcUrl: 'http://127.0.0.1:1/' + 'a'.repeat(3000) } }],
    [{ forking: { jsonRpcUrl: 'http://127.0.0.1:1/a b' } }],
    [{ forking: { jsonRpcUrl: 5 } }],
    [{ forking: { jsonRpcUrl: krnlUp.url, blockNumber: -1 } }],
    [{ forking: { jsonRpcUrl: krnlUp.url, blockNumber: 1.5 } }],
    [{ forking: { jsonRpcUrl: krnlUp.url, blockNumber: 'soon' } }],
    [{ forking: { jsonRpcUrl: krnlUp.url, unknown: 1 } }],
    [{ forking: { jsonRpcUrl: krnlUp.url, httpHeaders: { a: 'b' } } }],
    [{ forking: 5 }],
    [{ fork: {} }],
    [5],
    [{}, {}],
    // Forking asked for without an upstream to fork.
    [{ forking: { blockNumber: 1 } }],
  ];
  for (const params of bad) {
    for (const method of ['anvil_reset', 'hardhat_reset']) {
      const e = await rpcError(url, method, params);
      assert.equal(e.code, -32602, `${method} ${JSON.stringify(params).slice(0, 120)}: ${e.message}`);
    }
  }
  const https = await rpcError(url, 'anvil_reset', [{ forking: { jsonRpcUrl: 'https://x.example' } }]);
  assert.match(https.message, /http:\/\//);
  // A block the upstream does not have.
  const far = await rpcError(url, 'anvil_reset', [{ forking: { jsonRpcUrl: krnlUp.url, blockNumber: 1e9 } }]);
  assert.equal(far.code, -32602, far.message);
  for (const params of [[], [5], ['ftp://x'], [krnlUp.url, 1]]) {
    const e = await rpcError(url, 'anvil_setRpcUrl', params);
    assert.equal(e.code, -32602, `anvil_setRpcUrl ${JSON.stringify(params)}: ${e.message}`);
  }
  // Not a fork: nothing to switch.
  const notFork = await rpcError(url, 'anvil_setRpcUrl', [krnlUp.url]);
  assert.equal(notFork.code, -32602);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), 1);
});

test('an unreachable upstream is -32010 and leaves the chain as it was', async () => {
  const url = own.url;
  await rpc(url, 'anvil_reset', [{ forking: { jsonRpcUrl: krnlUp.url, blockNumber: krnlBlock } }]);
  await rpc(url, 'evm_mine', []);
  const closed = `http://127.0.0.1:${await freePort()}`;
  const e = await rpcError(url, 'anvil_reset', [{ forking: { jsonRpcUrl: closed } }]);
  assert.equal(e.code, -32010, e.message);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), krnlBlock + 1);
  assert.equal(Number(await rpc(url, 'eth_chainId')), 31337);
  assert.equal(BigInt(await call(url, krnlContract)), 42n);
  const h = await rpcError(url, 'hardhat_reset', [{ forking: { jsonRpcUrl: closed, blockNumber: 1 } }]);
  assert.equal(h.code, -32010, h.message);
  const s = await rpcError(url, 'anvil_setRpcUrl', [closed]);
  assert.equal(s.code, -32010, s.message);
  assert.equal(Number(await rpc(url, 'eth_blockNumber')), krnlBlock + 1);
});

test('anvil_setRpcUrl moves lazy reads to another URL of the same chain, and refuses another chain', async () => {
  const first = await proxyTo(krnlUp.url);
  const second = await proxyTo(krnlUp.url);
  const fork = await startKrnld(['--fork-url', first.url, '--fork-block-number', String(krnlBlock)]);
  assert.equal(BigInt(await call(fork.url, krnlContract)), 42n);
  assert.equal(await rpc(fork.url, 'anvil_setRpcUrl', [second.url]), null);
  const before = { first: first.counts.calls, second: second.counts.calls };
  // An account not read yet: fetched through the second URL only.
  assert.equal(BigInt(await rpc(fork.url, 'eth_getBalance', [FUNDED, 'latest'])), 1500000000000000000n);
  assert.equal(first.counts.calls, before.first);
  assert.ok(second.counts.calls > before.second);
  // What was cached stays cached: the same fork block, the same state.
  const mid = second.counts.calls;
  assert.equal(BigInt(await call(fork.url, krnlContract)), 42n);
  assert.equal(second.counts.calls, mid);
  // Another chain (the anvil, 4242) is refused, and reads stay on the second URL.
  const other = await rpcError(fork.url, 'anvil_setRpcUrl', [anvilUp.url]);
  assert.equal(other.code, -32602, other.message);
  assert.match(other.message, /chain/);
  // And anvil_reset without params returns to the fork block it started at.
  await rpc(fork.url, 'evm_mine', []);
  await rpc(fork.url, 'anvil_reset', []);
  assert.equal(Number(await rpc(fork.url, 'eth_blockNumber')), krnlBlock);
  assert.equal(BigInt(await call(fork.url, krnlContract)), 42n);
});

test('a forked chain with --data-dir restarts without fetching again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krnl-fork-'));
  try {
    const proxy = await proxyTo(krnlUp.url);
    const args = ['--data-dir', dir, '--fork-url', proxy.url, '--fork-block-number', String(krnlBlock)];
    const first = await startKrnld(args);
    assert.equal(BigInt(await call(first.url, krnlContract)), 42n);
    assert.equal(BigInt(await rpc(first.url, 'eth_getBalance', [FUNDED, 'latest'])), 1500000000000000000n);
    await rpc(first.url, 'evm_mine', []);
    await stop(first.child);

    const second = await startKrnld(args);
    assert.equal(Number(await rpc(second.url, 'eth_blockNumber')), krnlBlock + 1);
    const before = proxy.counts.calls;
    assert.equal(BigInt(await call(second.url, krnlContract)), 42n);
    assert.equal(BigInt(await rpc(second.url, 'eth_getBalance', [FUNDED, 'latest'])), 1500000000000000000n);
    assert.equal(proxy.counts.calls, before, 'served from the cache on disk');
    await stop(second.child);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
