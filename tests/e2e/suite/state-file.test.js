// State files in anvil's format: anvil_dumpState / anvil_loadState, krnld's --dump-state,
// --load-state and --state, and files moved between krnld and a real anvil (started from
// node_modules on a free port; skipped with the reason when its binary is missing). Every node the
// tests change is their own (spawned here), except the malformed-input checks on the suite's node.
// Hardhat has no state files: skipped there with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { artifact, devAccounts, isHardhat, rpcError, toHex } from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const NOT_HARDHAT = 'anvil_dumpState/anvil_loadState and state files are anvil\'s; Hardhat has none';
const ANVIL = resolve(import.meta.dirname, '../../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const NO_ANVIL = `anvil is not installed at ${ANVIL} (npm ci installs @foundry-rs/anvil-linux-amd64)`;

const FROM = devAccounts[0].address;
const HOLDER = '0x00000000000000000000000000000000000b0b01';
const ETCHED = '0x00000000000000000000000000000000000c0de1';
const ETCHED_CODE = '0x602a60005260206000f3';
const word = (n) => `0x${BigInt(n).toString(16).padStart(64, '0')}`;

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

/** A node of our own (krnld or anvil) on a free port; `call` throws on an RPC error. */
async function startNode(binary, args) {
  const port = await freePort();
  const child = spawn(binary, [...args, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const send = async (method, params = []) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    return res.json();
  };
  const call = async (method, params = []) => {
    const json = await send(method, params);
    if (json.error) throw new Error(`${method}: ${json.error.code} ${json.error.message}`);
    return json.result;
  };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`${binary} exited (${child.exitCode}): ${output}`);
    try {
      if ((await call('eth_chainId')) === '0x7a69') break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = (signal = 'SIGTERM') =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      child.kill(signal);
    });
  return { call, send, stop, output: () => output };
}

const krnld = (args = []) => startNode(process.env.KRNL_E2E_KRNLD, ['--dev', '--quiet', ...args]);
const anvil = (args = []) => startNode(ANVIL, ['--silent', ...args]);

/** anvil answers eth_sendTransaction before its block is in (automine is asynchronous there). */
async function receiptOf(node, hash) {
  for (let i = 0; i < 100; i++) {
    const receipt = await node.call('eth_getTransactionReceipt', [hash]);
    if (receipt) return receipt;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no receipt for ${hash}`);
}

/** Balances, a contract's code and storage, an etched account: what a state file must carry. */
async function makeState(node) {
  await node.call('eth_sendTransaction', [{ from: FROM, to: HOLDER, value: toHex(123_456_789n) }]);
  const store = artifact('Store');
  const deployHash = await node.call('eth_sendTransaction', [
    { from: FROM, data: `${store.bytecode}${(77n).toString(16).padStart(64, '0')}`, gas: toHex(1_000_000n) },
  ]);
  const { contractAddress } = await receiptOf(node, deployHash);
  await node.call('anvil_setCode', [ETCHED, ETCHED_CODE]);
  await node.call('anvil_setStorageAt', [ETCHED, '0x5', word(0xabcd)]);
  await node.call('anvil_setNonce', [HOLDER, '0x9']);
  return contractAddress;
}

async function snapshotOf(node, contract) {
  const at = (method, ...args) => node.call(method, [...args, 'latest']);
  return {
    holderBalance: await at('eth_getBalance', HOLDER),
    holderNonce: await at('eth_getTransactionCount', HOLDER),
    senderNonce: await at('eth_getTransactionCount', FROM),
    contractCode: await at('eth_getCode', contract),
    contractSlot0: await at('eth_getStorageAt', contract, '0x0'),
    etchedCode: await at('eth_getCode', ETCHED),
    etchedSlot5: await at('eth_getStorageAt', ETCHED, '0x5'),
  };
}

function assertCarried(actual, expected, what) {
  assert.deepEqual(actual, expected, what);
  assert.equal(BigInt(actual.contractSlot0), 77n, `${what}: the contract's storage`);
  assert.equal(actual.etchedCode, ETCHED_CODE, `${what}: etched code`);
}

const decode = (hex) => JSON.parse(gunzipSync(Buffer.from(hex.slice(2), 'hex')).toString());

test('anvil_dumpState -> a fresh krnld -> anvil_loadState carries balances, nonces, code and storage', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(NOT_HARDHAT);
  const source = await krnld();
  const target = await krnld();
  try {
    const contract = await makeState(source);
    const before = await snapshotOf(source, contract);
    const dump = await source.call('anvil_dumpState');
    assert.match(dump, /^0x1f8b/, 'gzip-compressed JSON in hex, as anvil answers');
    const state = decode(dump);
    for (const key of ['block', 'accounts', 'best_block_number', 'blocks', 'transactions'])
      assert.ok(key in state, `anvil's field ${key}`);
    assert.equal(state.best_block_number, Number(await source.call('eth_blockNumber')));
    assert.equal(state.accounts[ETCHED].storage[word(5)], word(0xabcd));

    assert.equal(await target.call('anvil_loadState', [dump]), true);
    assertCarried(await snapshotOf(target, contract), before, 'after loading the gzip dump');
    assert.equal(await target.call('eth_blockNumber'), await source.call('eth_blockNumber'), 'the block number is reached');
    const sourceHead = await source.call('eth_getBlockByNumber', ['latest', false]);
    const targetHead = await target.call('eth_getBlockByNumber', ['latest', false]);
    assert.ok(BigInt(targetHead.timestamp) >= BigInt(sourceHead.timestamp), 'block time continues from the file');

    // Plain (not gzip) JSON in hex is taken too, and loading merges: a later write is kept.
    await target.call('anvil_setBalance', [HOLDER, '0x1']);
    const plain = `0x${Buffer.from(JSON.stringify({ accounts: { [ETCHED]: { nonce: 0, balance: '0x0', code: '0x', storage: { '0x6': '0x7' } } } })).toString('hex')}`;
    assert.equal(await target.call('anvil_loadState', [plain]), true);
    assert.equal(BigInt(await target.call('eth_getStorageAt', [ETCHED, '0x6', 'latest'])), 7n);
    assert.equal(BigInt(await target.call('eth_getBalance', [HOLDER, 'latest'])), 1n);

    // anvil's hardhat_ names for the two methods answer the same.
    assert.deepEqual(decode(await source.call('hardhat_dumpState')).accounts, state.accounts);
    assert.equal(await target.call('hardhat_loadState', [dump]), true);
    assertCarried(await snapshotOf(target, contract), before, 'after hardhat_loadState');
  } finally {
    await source.stop();
    await target.stop();
  }
});

test('anvil_loadState refuses malformed hex, gzip and JSON with -32602 naming the problem', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(NOT_HARDHAT);
  const hexOf = (buffer) => `0x${buffer.toString('hex')}`;
  const cases = [
    [[], /missing value for required argument 0/],
    [['0xzz'], /invalid argument 0: invalid hex string/],
    [[hexOf(Buffer.from('{not json'))], /not valid JSON/],
    [[hexOf(Buffer.from('{}'))], /accounts/],
    [[hexOf(Buffer.from('{"accounts":{"0x12":{}}}'))], /accounts\.0x12/],
    [[hexOf(Buffer.from(`{"accounts":{"${HOLDER}":{"balance":"lots"}}}`))], /balance/],
    [[hexOf(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]))], /gzip/],
    // A gzip bomb: 200 MiB of zeros in about 200 KiB, stopped at the inflate limit.
    [[hexOf(gzipSync(Buffer.alloc(200 << 20), { level: 9 }))], /inflates past the limit/],
    [[hexOf(Buffer.from(`${'['.repeat(200)}${']'.repeat(200)}`))], /deeper than/],
  ];
  for (const [params, message] of cases) {
    const error = await rpcError('anvil_loadState', params);
    assert.equal(error.code, -32602, `${JSON.stringify(params).slice(0, 60)}: ${error.message}`);
    assert.match(error.message, message);
  }
  const error = await rpcError('anvil_dumpState', ['yes']);
  assert.equal(error.code, -32602, error.message);
});

test('--state: a missing file is a fresh start; the state is written at SIGTERM and loads back with --load-state', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(NOT_HARDHAT);
  const dir = mkdtempSync(join(tmpdir(), 'krnl-e2e-state-'));
  const file = join(dir, 'state.json');
  let first, second, third;
  try {
    first = await krnld(['--state', file]);
    const contract = await makeState(first);
    const before = await snapshotOf(first, contract);
    await first.stop('SIGTERM');
    assert.ok(existsSync(file), `--state writes ${file} at exit (log: ${first.output()})`);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(state.accounts[HOLDER].balance, toHex(123_456_789n), 'plain JSON, as anvil --dump-state writes');

    second = await krnld(['--load-state', file]);
    assertCarried(await snapshotOf(second, contract), before, '--load-state');
    // A directory means <dir>/state.json, as in anvil.
    await second.call('anvil_setBalance', [HOLDER, '0x2a']);
    const out = mkdtempSync(join(tmpdir(), 'krnl-e2e-dump-'));
    await second.stop();
    second = await krnld(['--dump-state', out]);
    await second.call('anvil_setBalance', [HOLDER, '0x2b']);
    await second.stop('SIGINT');
    assert.equal(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).accounts[HOLDER].balance, '0x2b');
    rmSync(out, { recursive: true, force: true });

    third = await krnld(['--state', file]);
    assert.equal(BigInt(await third.call('eth_getBalance', [HOLDER, 'latest'])), 123_456_789n, '--state loads the file when it exists');
  } finally {
    for (const node of [first, second, third]) if (node) await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--load-state with a broken file stops krnld with the reason', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(NOT_HARDHAT);
  const dir = mkdtempSync(join(tmpdir(), 'krnl-e2e-state-'));
  try {
    await assert.rejects(krnld(['--load-state', join(dir, 'missing.json')]), /missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a real anvil\'s dump loads into krnld, and a krnld dump loads into anvil', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(NOT_HARDHAT);
  if (!existsSync(ANVIL)) return t.skip(NO_ANVIL);
  const dir = mkdtempSync(join(tmpdir(), 'krnl-e2e-anvil-'));
  const nodes = [];
  try {
    // anvil -> krnld, through anvil_dumpState (gzip hex) and through anvil's --dump-state file.
    const anvilFile = join(dir, 'anvil.json');
    const fromAnvil = await anvil(['--dump-state', anvilFile]);
    nodes.push(fromAnvil);
    const anvilContract = await makeState(fromAnvil);
    const anvilState = await snapshotOf(fromAnvil, anvilContract);
    const anvilDump = await fromAnvil.call('anvil_dumpState');
    const intoKrnld = await krnld();
    nodes.push(intoKrnld);
    assert.equal(await intoKrnld.call('anvil_loadState', [anvilDump]), true);
    assertCarried(await snapshotOf(intoKrnld, anvilContract), anvilState, 'anvil_dumpState into krnld');
    await fromAnvil.stop('SIGINT');
    assert.ok(existsSync(anvilFile), 'anvil wrote its --dump-state file');
    const fromFile = await krnld(['--load-state', anvilFile]);
    nodes.push(fromFile);
    assertCarried(await snapshotOf(fromFile, anvilContract), anvilState, 'anvil --dump-state into krnld --load-state');

    // krnld -> anvil, through anvil_dumpState and through krnld's --dump-state file.
    const krnldFile = join(dir, 'krnld.json');
    const fromKrnld = await krnld(['--dump-state', krnldFile]);
    nodes.push(fromKrnld);
    const krnldContract = await makeState(fromKrnld);
    const krnldState = await snapshotOf(fromKrnld, krnldContract);
    const intoAnvil = await anvil();
    nodes.push(intoAnvil);
    assert.equal(await intoAnvil.call('anvil_loadState', [await fromKrnld.call('anvil_dumpState')]), true);
    assertCarried(await snapshotOf(intoAnvil, krnldContract), krnldState, 'krnld anvil_dumpState into anvil');
    // The head block goes along: anvil holds it under the same hash and mines on top of it.
    const krnldHead = await fromKrnld.call('eth_getBlockByNumber', ['latest', false]);
    assert.equal(await intoAnvil.call('eth_blockNumber'), krnldHead.number);
    assert.equal((await intoAnvil.call('eth_getBlockByNumber', [krnldHead.number, false])).hash, krnldHead.hash);
    await intoAnvil.call('evm_mine');
    assert.equal((await intoAnvil.call('eth_getBlockByNumber', ['latest', false])).parentHash, krnldHead.hash);
    await fromKrnld.stop();
    const anvilFromFile = await anvil(['--load-state', krnldFile]);
    nodes.push(anvilFromFile);
    assertCarried(await snapshotOf(anvilFromFile, krnldContract), krnldState, 'krnld --dump-state into anvil --load-state');
  } finally {
    for (const node of nodes) await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
