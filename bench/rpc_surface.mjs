#!/usr/bin/env node
// How much of anvil's JSON-RPC surface krnld answers, measured against the anvil binary itself.
//
//   node bench/rpc_surface.mjs [KRNLD] [--list]
//
// anvil's method names are taken from its binary (npm @foundry-rs/anvil-linux-amd64): every string
// that starts with a namespace prefix, cut at each length (the linker glues names together), is sent
// to a running anvil; a name counts as anvil's when the answer is anything but -32601 (method not
// found): a result or a params error. The same names are then sent to krnld. Both nodes are started
// here on free ports and stopped afterwards. Prints the count per namespace, the total ratio, and
// with --list the names krnld lacks. Chain-specific namespaces (wallet_, odyssey_, ...) are counted
// apart, as the issue does.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ANVIL = join(root, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const KRNLD = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? join(root, 'build/src/node/krnld');
const LIST = process.argv.includes('--list');
const NAMESPACES = ['anvil', 'evm', 'hardhat', 'ots', 'trace', 'txpool', 'debug', 'eth', 'web3', 'net', 'erigon', 'personal'];
const CHAIN_SPECIFIC = ['wallet', 'odyssey'];

function candidates() {
  const text = readFileSync(ANVIL).toString('latin1');
  // A lookahead, so names glued after another name's start are found too.
  const re = new RegExp(`(?=((?:${[...NAMESPACES, ...CHAIN_SPECIFIC].join('|')})_[A-Za-z0-9_]{2,64}))`, 'g');
  const out = new Set();
  for (const [, match] of text.matchAll(re)) {
    const start = match.indexOf('_') + 3;
    for (let end = start; end <= match.length; end++) out.add(match.slice(0, end));
  }
  return [...out];
}

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

async function post(url, body) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return r.json();
}

async function start(command, args, url) {
  const proc = spawn(command, args, { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await post(url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })).result) return proc;
    } catch {}
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`${command} did not answer at ${url}`);
}

/** The names of `names` that `url` knows (an answer other than -32601), asked in batches. */
async function known(url, names) {
  const out = [];
  for (let i = 0; i < names.length; i += 100) {
    const batch = names.slice(i, i + 100).map((method, j) => ({ jsonrpc: '2.0', id: i + j, method, params: [] }));
    const answers = await post(url, batch);
    for (const a of Array.isArray(answers) ? answers : []) if (a.error?.code !== -32601) out.push(names[a.id]);
  }
  return out.sort();
}

const anvilPort = await freePort();
const anvilUrl = `http://127.0.0.1:${anvilPort}`;
const anvil = await start(ANVIL, ['--port', String(anvilPort), '--silent'], anvilUrl);
let anvilNames;
try {
  anvilNames = await known(anvilUrl, candidates());
} finally {
  anvil.kill('SIGKILL');
}
const krnldPort = await freePort();
const krnldUrl = `http://127.0.0.1:${krnldPort}`;
const krnld = await start(KRNLD, ['--dev', '--port', String(krnldPort), '--quiet'], krnldUrl);
let krnldNames;
try {
  krnldNames = new Set(await known(krnldUrl, anvilNames));
} finally {
  krnld.kill('SIGKILL');
}

const namespace = (m) => m.slice(0, m.indexOf('_'));
const general = anvilNames.filter((m) => !CHAIN_SPECIFIC.includes(namespace(m)));
console.log('namespace   anvil  krnld');
for (const ns of [...NAMESPACES, ...CHAIN_SPECIFIC]) {
  const names = anvilNames.filter((m) => namespace(m) === ns);
  if (names.length) console.log(`${ns.padEnd(10)} ${String(names.length).padStart(6)} ${String(names.filter((m) => krnldNames.has(m)).length).padStart(6)}`);
}
const answered = general.filter((m) => krnldNames.has(m)).length;
console.log(`anvil ${anvilNames.length} names (${general.length} without chain-specific ones); krnld answers ${answered} of those: ${((100 * answered) / general.length).toFixed(1)}%`);
if (LIST) for (const m of general.filter((x) => !krnldNames.has(x))) console.log(`missing ${m}`);
