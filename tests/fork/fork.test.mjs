// Fork mode end to end: one krnld is the upstream (a contract with storage deployed, an account
// funded), a second krnld forks it through a counting proxy, and the fork's reads, calls, writes
// and errors are checked against the upstream. Run by tests/fork/run.sh (KRNLD names the binary).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEV0,
  INITCODE,
  RUNTIME,
  countingProxy,
  rpc,
  rpcRaw,
  startKrnld,
  stop,
  stopAll,
} from './lib.mjs';

const FUNDED = '0x00000000000000000000000000000000000f0f01';

let proxy, counts;
let upstreamUrl, forkUrl, upstream;
let contract, forkBlock, deployHash, transferHash;

before(async () => {
  ({ url: upstreamUrl, child: upstream } = await startKrnld());

  // The upstream's state: a contract with storage, a funded account, dev0 at nonce 2.
  deployHash = await rpc(upstreamUrl, 'eth_sendTransaction', [{ from: DEV0, data: INITCODE }]);
  contract = (await rpc(upstreamUrl, 'eth_getTransactionReceipt', [deployHash])).contractAddress;
  transferHash = await rpc(upstreamUrl, 'eth_sendTransaction', [
    { from: DEV0, to: FUNDED, value: '0x14d1120d7b160000' }, // 1.5 ETH
  ]);
  forkBlock = Number(await rpc(upstreamUrl, 'eth_blockNumber'));

  // A proxy in front of the upstream counts what the fork asks (HTTP requests and JSON-RPC calls).
  proxy = await countingProxy(upstreamUrl);
  counts = proxy.counts;
  ({ url: forkUrl } = await startKrnld(['--fork-url', proxy.url, '--fork-block-number', String(forkBlock)]));
});

after(async () => {
  await stopAll();
  if (proxy) await proxy.close();
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
  await proxy.close();
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
