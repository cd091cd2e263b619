// krnld-only behaviour: persistence across a hard kill (--data-dir) and the node's request limits.
// On Hardhat these tests are skipped with their reason; run.sh exports KRNL_E2E_KRNLD for the restart test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEther } from 'viem';
import { artifact, devAccounts, generatePrivateKey, isHardhat, isKrnld, post, privateKeyToAccount, rpc, rpcError, toHex } from '../lib/env.js';
import { expected } from '../expectations.js';

const KRNLD_ONLY = 'krnld only: ';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A second krnld on its own port and data dir, owned by the test. */
async function startNode(dataDir, port, extraArgs = []) {
  const child = spawn(process.env.KRNL_E2E_KRNLD, ['--dev', '--port', String(port), '--data-dir', dataDir, ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const call = async (method, params = []) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const json = await res.json();
    if (json.error) throw new Error(`${method}: ${json.error.code} ${json.error.message}`);
    return json.result;
  };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`krnld exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await call('eth_chainId')) === '0x7a69') return { child, call };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`krnld did not come up on ${url}: ${stderr}`);
}

function killHard(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

test('restart with --data-dir after kill -9 keeps blocks, balances, receipts, code and the pool', async (t) => {
  if (!isKrnld) return t.skip(`${KRNLD_ONLY}restarts krnld from its data dir`);
  assert.ok(process.env.KRNL_E2E_KRNLD, 'run.sh exports KRNL_E2E_KRNLD');
  const dataDir = mkdtempSync(join(tmpdir(), 'krnl-e2e-data-'));
  const port = await freePort();
  let node;
  try {
    node = await startNode(dataDir, port);
    const from = devAccounts[0].address;
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    const transfer = await node.call('eth_sendTransaction', [{ from, to: recipient, value: toHex(parseEther('1.5')) }]);
    const store = artifact('Store');
    const deployHash = await node.call('eth_sendTransaction', [
      { from, data: `${store.bytecode}${(77n).toString(16).padStart(64, '0')}`, gas: toHex(1_000_000n) },
    ]);
    const deployReceipt = await node.call('eth_getTransactionReceipt', [deployHash]);
    assert.equal(deployReceipt.status, '0x1');
    const head = await node.call('eth_getBlockByNumber', ['latest', false]);
    const transferReceipt = await node.call('eth_getTransactionReceipt', [transfer]);
    const senderBalance = await node.call('eth_getBalance', [from, 'latest']);
    // One more transaction acknowledged but not mined (automine off): it must survive in the pool.
    await node.call('evm_setAutomine', [false]);
    const pooled = await node.call('eth_sendTransaction', [{ from, to: recipient, value: '0x1' }]);

    await killHard(node.child);
    node = await startNode(dataDir, port);

    // (The pooled transaction may be mined as soon as the node is back, so compare by number, not 'latest'.)
    assert.deepEqual(await node.call('eth_getBlockByNumber', [head.number, false]), head, 'same block at the old head');
    assert.ok(BigInt(await node.call('eth_blockNumber')) >= BigInt(head.number));
    assert.deepEqual(await node.call('eth_getTransactionReceipt', [transfer]), transferReceipt);
    assert.deepEqual(await node.call('eth_getTransactionReceipt', [deployHash]), deployReceipt);
    assert.equal(BigInt(await node.call('eth_getBalance', [recipient, 'latest'])), parseEther('1.5'));
    assert.equal(await node.call('eth_getBalance', [from, 'latest']), senderBalance);
    assert.equal(await node.call('eth_getCode', [deployReceipt.contractAddress, 'latest']), store.deployedBytecode);
    assert.equal(BigInt(await node.call('eth_getStorageAt', [deployReceipt.contractAddress, '0x0', 'latest'])), 77n);
    const survivor = await node.call('eth_getTransactionByHash', [pooled]);
    assert.ok(survivor, 'the acknowledged transaction is in a block or in the persisted pool');
    // The chain continues on top of the persisted head.
    await node.call('evm_mine');
    const next = await node.call('eth_getBlockByNumber', [toHex(BigInt(head.number) + 1n), false]);
    assert.equal(next.parentHash, head.hash);
    assert.equal((await node.call('eth_getTransactionReceipt', [pooled]))?.status, '0x1');
  } finally {
    if (node) await killHard(node.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a data dir keeps the hardfork it was created at; another one is refused with both named', async (t) => {
  if (!isKrnld) return t.skip(`${KRNLD_ONLY}restarts krnld from its data dir`);
  const dataDir = mkdtempSync(join(tmpdir(), 'krnl-e2e-fork-'));
  const port = await freePort();
  let node;
  try {
    node = await startNode(dataDir, port, ['--hardfork', 'prague']);
    assert.match(await node.call('web3_clientVersion'), /\/prague$/);
    await killHard(node.child);
    node = undefined;
    // The default (Osaka) on a Prague data dir: krnld exits with the reason.
    const child = spawn(process.env.KRNL_E2E_KRNLD, ['--dev', '--port', String(port), '--data-dir', dataDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /run at Prague, not Osaka: start it with that hardfork, or use a new data dir/);
    node = await startNode(dataDir, port, ['--hardfork', 'prague']);
    assert.equal((await node.call('eth_config')).current.forkId.length, 10);
  } finally {
    if (node) await killHard(node.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('eth_config (EIP-7910): the fork of the chain, its blob schedule, precompiles and system contracts', async (t) => {
  if (!isKrnld) return t.skip(`${KRNLD_ONLY}${isHardhat ? 'Hardhat has no eth_config' : "asserts krnld's own fork config and client version"}`);
  const config = await rpc('eth_config');
  assert.equal(config.next, null);
  assert.equal(config.last, null);
  const { current } = config;
  assert.equal(current.chainId, '0x7a69');
  assert.equal(current.activationTime, 0);
  assert.match(current.forkId, /^0x[0-9a-f]{8}$/);
  assert.deepEqual(current.blobSchedule, { baseFeeUpdateFraction: 5007716, max: 9, target: 6 });
  assert.equal(current.precompiles.ECREC, '0x0000000000000000000000000000000000000001');
  assert.equal(current.precompiles.P256VERIFY, '0x0000000000000000000000000000000000000100');
  assert.equal(current.systemContracts.BEACON_ROOTS_ADDRESS, '0x000f3df6d732807ef1319fb7b8bb8522d0beac02');
  assert.equal(current.systemContracts.HISTORY_STORAGE_ADDRESS, '0x0000f90827f1c53a10cb7a02335b175320002935');
  // The fork id is EIP-6122's CRC32 of the genesis hash (every fork active at genesis): it changes with
  // the genesis, so compare it with one computed here.
  const genesis = await rpc('eth_getBlockByNumber', ['0x0', false]);
  assert.equal(current.forkId, `0x${crc32(Buffer.from(genesis.hash.slice(2), 'hex')).toString(16).padStart(8, '0')}`);
  assert.match(await rpc('web3_clientVersion'), /\/osaka$/);
  // It takes no parameters (EIP-7910): any is refused, naming the argument.
  const extra = await rpcError('eth_config', ['latest']);
  assert.equal(extra.code, -32602);
  assert.match(extra.message, /too many arguments/);
});

/** CRC-32 (IEEE), bit by bit: only for the fork id check above. */
function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('an oversized request body is refused with HTTP 413, and the node keeps serving', async (t) => {
  if (!isKrnld) return t.skip(`${KRNLD_ONLY}the request-body limit is krnld's own`);
  const { maxBodyBytes } = expected.limits;
  const padding = 'ab'.repeat(Math.ceil(maxBodyBytes / 2) + 16);
  const res = await post({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ data: `0x${padding}` }, 'latest'] });
  assert.equal(res.status, 413);
  assert.equal(await rpc('eth_chainId'), '0x7a69');
  // Just under the limit is served.
  const ok = await post({ jsonrpc: '2.0', id: 2, method: 'web3_sha3', params: [`0x${'ab'.repeat(1024 * 1024)}`] });
  assert.equal(ok.status, 200);
  assert.match(ok.json.result, /^0x[0-9a-f]{64}$/);
});

test('a batch with too many items gets one -32600 error; the limit itself is served', async (t) => {
  if (!isKrnld) return t.skip(`${KRNLD_ONLY}the batch-size limit is krnld's own`);
  const { maxBatchItems } = expected.limits;
  const batch = (n) => Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] }));
  const atLimit = await post(batch(maxBatchItems));
  assert.ok(Array.isArray(atLimit.json));
  assert.equal(atLimit.json.length, maxBatchItems);
  assert.ok(atLimit.json.every((r) => r.result === '0x7a69'));
  const over = await post(batch(maxBatchItems + 1));
  assert.ok(over.json && !Array.isArray(over.json), 'one error object');
  assert.equal(over.json.error.code, expected.batchTooLarge.code);
  assert.match(over.json.error.message, expected.batchTooLarge.message);
});

test('eth_getLogs over too wide a block range is refused', async (t) => {
  if (!isKrnld) return t.skip(`${KRNLD_ONLY}the getLogs block-range limit is krnld's own`);
  const { maxLogsBlockRange } = expected.limits;
  const error = await rpcError('eth_getLogs', [{ fromBlock: '0x0', toBlock: toHex(maxLogsBlockRange) }]);
  assert.equal(error.code, expected.logsRangeTooWide.code);
  assert.match(error.message, expected.logsRangeTooWide.message);
  // The whole (short) dev chain is within the limit.
  assert.ok(Array.isArray(await rpc('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])));
});
