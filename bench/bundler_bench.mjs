#!/usr/bin/env node
// The built-in ERC-4337 bundler under load, against Alto (npm @pimlico/alto) over anvil (npm
// @foundry-rs/anvil-linux-amd64), in the same run, with the same user operations:
//   - validation throughput: distinct valid ops (SimpleAccount v0.7, one deployed and funded account
//     per op) sent with eth_sendUserOperation over several keep-alive connections in manual bundling
//     mode, so every send is validation + pool admission and nothing is mined; accepted ops/s.
//   - latency: auto bundling, automine, one op at a time; time from sending eth_sendUserOperation to
//     eth_getUserOperationReceipt answering non-null (polled every POLL_MS); p50/p99.
// krnld validates with its ERC-7562 tracer. Alto needs a JavaScript debug_traceCall tracer for its
// safe mode, which anvil lacks, so it runs with --safe-mode false: validation is EntryPointSimulations
// by eth_call, without the ERC-7562 opcode/storage rules (less work than krnld does per op). Its
// timers are set short (ALTO_TUNING) so that its latency on an automining anvil is its lowest.
// anvil gets the EntryPoints v0.7/v0.8 and SimpleAccountFactory v0.7/v0.8 as krnld's genesis has them.
//   node bench/bundler_bench.mjs [--ops N] [--rounds R] [--latency-ops M] [--concurrency C] [--only krnld|alto]
// --concurrency stays <= 18: krnld answers -32005 past limits.max_concurrent_evm_calls (2) running
// plus limits.evm_call_queue (16) waiting, which would count as refused ops here.
// Env: KRNLD (default build/src/node/krnld), KRNL_PREDEPLOYS (build/contracts/predeploys.json),
// ALTO_TUNING (Alto's timer options), ALTO_LOG_LEVEL, ALTO_LOG_FILE (Alto's output when it fails).
// Exits non-zero only if something failed to run; targets are reported, not asserted.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatHex, encodeFunctionData, parseAbi, parseEther, parseGwei, toHex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { getUserOperationHash } from 'viem/account-abstraction';
import { devAccount, freePort, KRNLD, MNEMONIC, root, startDevNode } from '../tests/bundler/lib/node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const OPS = Number(opt('ops', 2000));
const ROUNDS = Number(opt('rounds', 3));
const LATENCY_OPS = Number(opt('latency-ops', 200));
const CONCURRENCY = Number(opt('concurrency', 16));
const ONLY = opt('only', 'both');
const POLL_MS = 2;
const CHAIN_ID = 31337; // krnld's home chain and anvil's default: the same op hashes on both
const EP = '0x0000000071727De22E5E9d8BAf0edAc6f37da032';
const EP08 = '0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108';
const FACTORY = '0x91E60e0613810449d098b0b5Ec8b51A0FE8c8985'; // SimpleAccountFactory v0.7
const ANVIL = join(root, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const ALTO = join(root, 'node_modules/@pimlico/alto/esm/cli/alto.js');
// Alto's bundling loop and its wait for its own transactions run on timers (defaults: bundle every
// 100-1000 ms, block time 1000 ms); on an automining anvil the shortest give its lowest latency.
const ALTO_TUNING = process.env.ALTO_TUNING ?? '--block-time 10 --min-bundle-interval 1 --max-bundle-interval 10';
const ALTO_MODE = 'unsafe mode (--safe-mode false: anvil has no JS tracer, so no ERC-7562 rule tracing)';
const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const factoryAbi = parseAbi(['function createAccount(address owner, uint256 salt) returns (address)', 'function getAddress(address owner, uint256 salt) view returns (address)']);
const accountAbi = parseAbi(['function execute(address dest, uint256 value, bytes func)']);
const T0 = performance.now();
const log = (...a) => console.error(`[bundler-bench ${((performance.now() - T0) / 1000).toFixed(1)}s]`, ...a);

// --- JSON-RPC over keep-alive http (fetch costs the client more than the servers we measure).
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let rpcId = 0;
function rpc(url, method, params = []) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params });
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`${method}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}
async function must(url, method, params) {
  const r = await rpc(url, method, params);
  if (r.error) throw new Error(`${method}: ${r.error.message} (${r.error.code})`);
  return r.result;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

// --- The operations: one owner, OPS + LATENCY_OPS SimpleAccounts (salt i), each op nonce 0 making an
// empty call to the owner, signed once (EIP-191 of the userOpHash, as SimpleAccount v0.7 checks).
const owner = privateKeyToAccount(generatePrivateKey());
const salts = Array.from({ length: OPS + LATENCY_OPS }, (_, i) => BigInt(i));

async function buildOps(url) {
  const senders = [];
  await pool(salts, 16, async (salt, i) => {
    const data = encodeFunctionData({ abi: factoryAbi, functionName: 'getAddress', args: [owner.address, salt] });
    senders[i] = '0x' + (await must(url, 'eth_call', [{ to: FACTORY, data }, 'latest'])).slice(26);
  });
  const ops = [];
  for (const sender of senders) {
    const op = {
      sender,
      nonce: 0n,
      callData: encodeFunctionData({ abi: accountAbi, functionName: 'execute', args: [owner.address, 0n, '0x'] }),
      callGasLimit: 50_000n,
      verificationGasLimit: 150_000n,
      preVerificationGas: 100_000n,
      maxFeePerGas: parseGwei('20'),
      maxPriorityFeePerGas: parseGwei('2'),
      signature: '0x',
    };
    const hash = getUserOperationHash({ userOperation: op, entryPointAddress: EP, entryPointVersion: '0.7', chainId: CHAIN_ID });
    op.signature = await owner.signMessage({ message: { raw: hash } });
    ops.push({ hash, rpc: { sender, nonce: '0x0', callData: op.callData, callGasLimit: toHex(op.callGasLimit), verificationGasLimit: toHex(op.verificationGasLimit), preVerificationGas: toHex(op.preVerificationGas), maxFeePerGas: toHex(op.maxFeePerGas), maxPriorityFeePerGas: toHex(op.maxPriorityFeePerGas), signature: op.signature } });
  }
  return ops;
}

// --- Accounts on a chain: funded with anvil_setBalance (both nodes have it), deployed by
// createAccount transactions from dev accounts 0..7 (signed here, explicit nonces).
async function setupAccounts(url, ops, { anvil = false } = {}) {
  await pool(ops, 16, (op) => must(url, 'anvil_setBalance', [op.rpc.sender, toHex(parseEther('1'))]));
  log('  balances set');
  // Full blocks make the base fee climb during the setup: a high fee cap keeps every transaction
  // minable, and on anvil the base fee is reset afterwards.
  const maxFeePerGas = parseGwei('1000');
  const senders = Array.from({ length: 8 }, (_, i) => devAccount(i));
  const nonces = await Promise.all(senders.map(async (a) => BigInt(await must(url, 'eth_getTransactionCount', [a.address, 'pending']))));
  const hashes = [];
  if (anvil) await must(url, 'evm_setAutomine', [false]);
  await pool(senders.map((_, i) => i), 8, async (k) => {
    for (let i = k; i < salts.length; i += senders.length) {
      const data = encodeFunctionData({ abi: factoryAbi, functionName: 'createAccount', args: [owner.address, salts[i]] });
      const raw = await senders[k].signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to: FACTORY, data, gas: 400_000n, nonce: Number(nonces[k]++), maxFeePerGas, maxPriorityFeePerGas: parseGwei('1') });
      hashes.push(await must(url, 'eth_sendRawTransaction', [raw]));
    }
  });
  log(`  ${hashes.length} createAccount transactions sent`);
  // anvil's automine, fed many transactions at once, leaves some pending or drops them: on anvil
  // the setup mines by hand (evm_mine packs the pool into blocks) and automine comes back after.
  if (anvil) {
    for (let i = 0; (await must(url, 'txpool_status', [])).pending !== '0x0'; i++) {
      if (i > 500) throw new Error('anvil does not mine the setup transactions');
      await must(url, 'evm_mine', []);
    }
    await must(url, 'evm_setAutomine', [true]);
  }
  const deadline = Date.now() + 60_000;
  for (const h of hashes) {
    for (;;) {
      const r = await must(url, 'eth_getTransactionReceipt', [h]);
      if (r) {
        if (r.status !== '0x1') throw new Error(`createAccount ${h} reverted`);
        break;
      }
      if (Date.now() > deadline) {
        const status = await rpc(url, 'txpool_status', []);
        throw new Error(`createAccount ${h} not mined after 60 s (txpool_status ${JSON.stringify(status.result ?? status.error)})`);
      }
      await sleep(5);
    }
  }
  if (anvil) await must(url, 'anvil_setNextBlockBaseFeePerGas', [toHex(parseGwei('1'))]);
  const code = await must(url, 'eth_getCode', [ops.at(-1).rpc.sender, 'latest']);
  if (code === '0x') throw new Error('accounts were not deployed');
}

// --- The two phases against a bundler URL.
async function throughput(url, ops) {
  await must(url, 'debug_bundler_setBundlingMode', ['manual']);
  const rejected = new Map();
  let accepted = 0;
  const t0 = performance.now();
  await pool(ops, CONCURRENCY, async (op) => {
    const r = await rpc(url, 'eth_sendUserOperation', [op.rpc, EP]);
    if (r.result) accepted++;
    else {
      const why = `${r.error?.code} ${r.error?.message}`.slice(0, 160);
      rejected.set(why, (rejected.get(why) ?? 0) + 1);
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  for (const [why, n] of rejected) log(`  rejected ${n}x: ${why}`);
  await must(url, 'debug_bundler_clearState', []);
  return { accepted, sent: ops.length, seconds, rate: accepted / seconds };
}

async function latency(url, ops) {
  await must(url, 'debug_bundler_setBundlingMode', ['auto']);
  const ms = [];
  let atFirstPoll = 0; // receipts there as soon as eth_sendUserOperation answered
  for (const op of ops) {
    const t0 = performance.now();
    const sent = await rpc(url, 'eth_sendUserOperation', [op.rpc, EP]);
    if (sent.error) throw new Error(`latency op refused: ${sent.error.code} ${sent.error.message}`);
    for (let poll = 1; ; poll++) {
      const r = await rpc(url, 'eth_getUserOperationReceipt', [sent.result]);
      if (r.result) {
        if (poll === 1) atFirstPoll++;
        if (!r.result.success) throw new Error(`op ${sent.result} included but failed`);
        break;
      }
      if (performance.now() - t0 > 30_000) throw new Error(`no receipt for ${sent.result} after 30 s`);
      await sleep(POLL_MS);
    }
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const pct = (p) => (ms.length ? ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)] : NaN);
  log(`  ${atFirstPoll}/${ops.length} receipts found at the first poll after eth_sendUserOperation answered`);
  return { n: ms.length, p50: pct(50), p99: pct(99), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

let ops; // built on the first chain up (the senders depend only on the owner and the factory)
async function measure(name, url, { chainUrl = url, anvil = false } = {}) {
  ops ??= await buildOps(chainUrl);
  log(`${name}: deploying and funding ${ops.length} accounts`);
  await setupAccounts(chainUrl, ops, { anvil });
  // The same ops each round: the pool is cleared between rounds and nothing is mined in manual mode.
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    log(`${name}: throughput round ${r + 1}, ${OPS} ops over ${CONCURRENCY} connections (manual bundling)`);
    const round = await throughput(url, ops.slice(0, OPS));
    log(`${name}: ${round.accepted}/${round.sent} accepted in ${round.seconds.toFixed(2)} s (${round.rate.toFixed(1)}/s)`);
    rounds.push(round);
  }
  const tp = rounds.sort((a, b) => a.rate - b.rate)[Math.floor(rounds.length / 2)]; // the median round
  log(`${name}: latency, ${LATENCY_OPS} sequential ops (auto bundling, automine)`);
  const lat = await latency(url, ops.slice(OPS));
  return { ...tp, lat };
}

// --- Processes.
function startProcess(cmd, argv, name) {
  let output = '';
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => (output = (output + d).slice(-4_000_000)));
  proc.stderr.on('data', (d) => (output = (output + d).slice(-4_000_000)));
  const exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
  return {
    proc,
    log: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      }
    },
    async waitFor(url, method, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited:\n${output}`);
        try {
          const r = await rpc(url, method, []);
          if (r.result) return r.result;
        } catch {}
        if (Date.now() > deadline) throw new Error(`${name} did not answer ${method} within ${timeoutMs} ms:\n${output}`);
        await sleep(100);
      }
    },
  };
}

// EntryPoints v0.7/v0.8 and their SimpleAccountFactory on anvil, as krnld's genesis has them: CREATE2
// through the deterministic deployment proxy (anvil predeploys it) with the build's salts and init code.
async function deployPredeploys(url) {
  const file = process.env.KRNL_PREDEPLOYS ?? join(root, 'build/contracts/predeploys.json');
  const wanted = ['EntryPointV07', 'EntryPointV08', 'SimpleAccountFactoryV07', 'SimpleAccountFactoryV08'];
  const all = JSON.parse(readFileSync(file, 'utf8')).predeploys;
  const from = devAccount(0).address;
  for (const name of wanted) {
    const p = all.find((x) => x.name === name);
    const hash = await must(url, 'eth_sendTransaction', [{ from, to: p.deployer, data: concatHex([p.salt, p.initCode]), gas: toHex(10_000_000n) }]);
    for (;;) {
      const r = await must(url, 'eth_getTransactionReceipt', [hash]);
      if (r) break;
      await sleep(10);
    }
    const code = await must(url, 'eth_getCode', [p.address, 'latest']);
    if (code === '0x') throw new Error(`${name} did not land at ${p.address} on anvil`);
  }
}

const devKey = (i) => toHex(devAccount(i).getHdKey().privateKey);

async function runKrnld() {
  const node = await startDevNode();
  try {
    const eps = await must(node.url, 'eth_supportedEntryPoints', []);
    log(`krnld ${KRNLD} at ${node.url}, entry points ${eps.join(', ')}`);
    return await measure('krnld', node.url);
  } catch (e) {
    log(node.log().slice(-4000));
    throw e;
  } finally {
    await node.stop();
  }
}

async function runAlto() {
  const anvilPort = await freePort();
  const anvilUrl = `http://127.0.0.1:${anvilPort}`;
  const anvil = startProcess(ANVIL, ['--port', String(anvilPort), '--host', '127.0.0.1', '--chain-id', String(CHAIN_ID), '--mnemonic', MNEMONIC, '--hardfork', 'prague', '--gas-limit', '30000000', '--silent'], 'anvil');
  let alto;
  try {
    await anvil.waitFor(anvilUrl, 'eth_chainId');
    await deployPredeploys(anvilUrl);
    const altoPort = await freePort();
    const altoUrl = `http://127.0.0.1:${altoPort}`;
    const altoArgs = ['--entrypoints', `${EP},${EP08}`, '--rpc-url', anvilUrl, '--port', String(altoPort), '--executor-private-keys', devKey(9), '--utility-private-key', devKey(8), '--safe-mode', 'false', '--enable-debug-endpoints', 'true', '--bundle-mode', 'auto', '--log-level', process.env.ALTO_LOG_LEVEL ?? 'warn', '--public-client-log-level', 'warn', '--rpc-log-level', 'warn', ...ALTO_TUNING.split(' ').filter(Boolean)];
    log(`alto ${altoArgs.join(' ').replace(/0x[0-9a-f]{64}/gi, '<dev key>')}`);
    alto = startProcess(process.execPath, [ALTO, ...altoArgs], 'alto');
    await alto.waitFor(altoUrl, 'eth_supportedEntryPoints', 120_000);
    return await measure('alto', altoUrl, { chainUrl: anvilUrl, anvil: true });
  } catch (e) {
    if (alto) log(`alto output (tail):\n${alto.log().slice(-4000)}`);
    if (alto && process.env.ALTO_LOG_FILE) writeFileSync(process.env.ALTO_LOG_FILE, alto.log());
    throw e;
  } finally {
    await alto?.stop();
    await anvil.stop();
  }
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
async function main() {
  const started = performance.now();
  let krnld, alto;
  let failed = false;
  if (ONLY !== 'alto') {
    try {
      krnld = await runKrnld();
    } catch (e) {
      failed = true;
      log(`krnld failed: ${e.stack ?? e}`);
    }
  }
  if (ONLY !== 'krnld') {
    try {
      alto = await runAlto();
    } catch (e) {
      failed = true;
      log(`alto failed: ${e.stack ?? e}`);
    }
  }
  const altoHead = 'Alto (safe-mode off)';
  const rows = [
    ['accepted ops/s (validation + admission)', krnld?.rate, alto?.rate, 1, (k, a) => k / a],
    ['accepted / sent', krnld && `${krnld.accepted}/${krnld.sent}`, alto && `${alto.accepted}/${alto.sent}`],
    ['op -> receipt p50 ms', krnld?.lat.p50, alto?.lat.p50, 2, (k, a) => a / k],
    ['op -> receipt p99 ms', krnld?.lat.p99, alto?.lat.p99, 2, (k, a) => a / k],
    ['op -> receipt mean ms', krnld?.lat.mean, alto?.lat.mean, 2, (k, a) => a / k],
  ];
  const cell = (v, d) => (v === undefined ? '-' : typeof v === 'number' ? fmt(v, d) : String(v));
  const line = (a, b, c, d) => console.log(`${a.padEnd(40)} ${b.padStart(10)} ${c.padStart(altoHead.length)} ${d.padStart(7)}`);
  line('metric', 'krnld', altoHead, 'ratio');
  for (const [name, k, a, d, ratio] of rows) {
    const r = ratio && typeof k === 'number' && typeof a === 'number' ? `${fmt(ratio(k, a), 1)}x` : '-';
    line(name, cell(k, d), cell(a, d), r);
  }
  console.log('ratio: krnld over Alto for ops/s, Alto over krnld for latency (both > 1 when krnld is ahead)');
  console.log(`krnld: full ERC-7562 validation (native tracer); Alto ${version('@pimlico/alto')} over anvil ${version('@foundry-rs/anvil-linux-amd64')}: ${ALTO_MODE}, ${ALTO_TUNING}`);
  console.log(`ops: SimpleAccount v0.7, one deployed account per op, ${OPS} for throughput over ${CONCURRENCY} connections (median of ${ROUNDS} rounds), ${LATENCY_OPS} sequential for latency (receipt polled every ${POLL_MS} ms)`);
  const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? 'pass' : 'FAIL');
  const opsRatio = krnld && alto ? krnld.rate / alto.rate : undefined;
  console.log(`target: accepted ops/s >= 10x Alto's: ${verdict(opsRatio === undefined ? undefined : opsRatio >= 10)}${opsRatio ? ` (${fmt(opsRatio)}x)` : ''}`);
  console.log(`target: krnld p50 op -> receipt < 20 ms: ${verdict(krnld ? krnld.lat.p50 < 20 : undefined)}${krnld ? ` (${fmt(krnld.lat.p50, 2)} ms)` : ''}`);
  log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  agent.destroy();
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  log(e.stack ?? e);
  process.exit(1);
});
