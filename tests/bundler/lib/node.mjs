// The bundler suite's harness: krnld with the dev setup of config/dev.toml (three chains, the ten dev
// accounts of the test mnemonic, automine), each chain on a free port, and viem clients for one chain.
// Every test file starts its own node, so files run in parallel without sharing a mempool.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, defineChain, http, parseEther } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { createBundlerClient, entryPoint07Address, entryPoint08Address } from 'viem/account-abstraction';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const KRNLD = process.env.KRNLD ?? join(root, 'build/src/node/krnld');
export const MNEMONIC = 'test test test test test test test test test test test junk';

/** The three chains of config/dev.toml. */
export const DEV_CHAINS = [
  { name: 'home', chainId: 31337 },
  { name: 'rwa', chainId: 31338 },
  { name: 'did', chainId: 31339 },
];

export const ENTRY_POINTS = { '0.7': entryPoint07Address, '0.8': entryPoint08Address };

/** The predeploys of the build (name -> address), from build/contracts/predeploys.json. */
export function predeploys() {
  const file = process.env.KRNL_PREDEPLOYS ?? join(root, 'build/contracts/predeploys.json');
  const out = {};
  if (existsSync(file)) {
    for (const p of JSON.parse(readFileSync(file, 'utf8')).predeploys) out[p.name] = p.address;
  }
  return out;
}

/** The ABI of a contract of the build (build/contracts/artifacts/NAME.json). */
export function buildAbi(name) {
  return JSON.parse(readFileSync(join(root, 'build/contracts/artifacts', `${name}.json`), 'utf8')).abi;
}

/** A port nothing listens on right now. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * The TOML of the dev setup with the given ports. `blockTimeMs` 0 is automine. `chainExtra` is added to
 * every chain's table and `extra` appended as is (a [bundler] table, [limits], ...).
 */
export function devToml({ ports, blockTimeMs = 0, chainExtra = '', extra = '' }) {
  const chains = DEV_CHAINS.map(
    (c, i) => `[[chains]]
name = "${c.name}"
chain_id = ${c.chainId}
port = ${ports[i]}
gas_limit = 30000000
base_fee = 1000000000
block_time_ms = ${blockTimeMs}
${chainExtra}
`,
  ).join('\n');
  return `[node]
host = "127.0.0.1"
mnemonic = "${MNEMONIC}"
dev_accounts = 10
dev_balance_eth = 10000

${chains}
${extra}
${process.env.BUNDLER_TEST_EXTRA_TOML ?? ''}
`;
}

/**
 * Starts krnld with the dev setup on free ports and waits until every chain answers eth_chainId.
 * Returns {chains: [{name, chainId, port, url}], url (the home chain's), log(), stop()}.
 */
export async function startDevNode({ blockTimeMs = 0, chainExtra = '', extra = '', readyTimeoutMs = 30_000 } = {}) {
  const ports = [];
  for (let i = 0; i < DEV_CHAINS.length; i++) ports.push(await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'krnl-bundler.'));
  const configFile = join(dir, 'krnld.toml');
  writeFileSync(configFile, devToml({ ports, blockTimeMs, chainExtra, extra }));
  let output = '';
  const proc = spawn(KRNLD, ['--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  // 'error' (e.g. ENOENT while the binary is being relinked) ends the process as 'exit' does.
  let exitInfo;
  const exited = new Promise((res) => {
    proc.once('exit', (code, signal) => res((exitInfo ??= { code, signal })));
    proc.once('error', (error) => res((exitInfo ??= { error: String(error) })));
  });
  const chains = DEV_CHAINS.map((c, i) => ({ ...c, port: ports[i], url: `http://127.0.0.1:${ports[i]}` }));
  const node = {
    chains,
    url: chains[0].url,
    proc,
    dir,
    log: () => output,
    async stop() {
      if (!exitInfo && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(t);
      }
      if (process.env.BUNDLER_TEST_KEEP_LOGS) writeFileSync(join(dir, 'krnld.log'), output);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (const chain of chains) {
    for (;;) {
      if (exitInfo || proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`krnld (${KRNLD}) exited (${JSON.stringify(await exited)}) before answering:\n${output}`);
      }
      try {
        const r = await rpc(chain.url, 'eth_chainId', [], { timeoutMs: 1_000 });
        if (r.result) break;
      } catch {}
      if (Date.now() > deadline) {
        await node.stop();
        throw new Error(`krnld did not answer on ${chain.url} within ${readyTimeoutMs} ms:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return node;
}

/** One JSON-RPC call; resolves the whole response object ({result} or {error}). */
export async function rpc(url, method, params = [], { timeoutMs = 60_000, id = 1 } = {}) {
  return rpcBody(url, { jsonrpc: '2.0', id, method, params }, { timeoutMs });
}

/** POSTs `body` (an object, serialised, or a string, sent as is); resolves the parsed JSON answer. */
export async function rpcBody(url, body, { timeoutMs = 60_000 } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { httpStatus: res.status, text };
  }
}

/** The result of a call, or throws with the JSON-RPC error (its code kept on the Error as `rpc`). */
export async function call(url, method, params = [], opts) {
  const r = await rpc(url, method, params, opts);
  if (r.error) throw Object.assign(new Error(`${method}: ${r.error.message} (${r.error.code})`), { rpc: r.error });
  return r.result;
}

/** Dev account `i` of the test mnemonic (a viem local account). */
export const devAccount = (i) => mnemonicToAccount(MNEMONIC, { addressIndex: i });

/** A viem chain for a chain of the node. */
export function viemChain({ chainId, url, name = 'krnl' }) {
  return defineChain({
    id: chainId,
    name: `krnl-${name}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
}

/**
 * viem clients for one chain of the node: `publicClient`, `wallet(i)` (a wallet client of dev account
 * i), `bundlerClient({account, ...})` (viem's createBundlerClient on the same port: the bundler is in
 * the node).
 */
export function clientsFor(chain) {
  const vchain = viemChain(chain);
  const transport = http(chain.url, { timeout: 60_000 });
  const publicClient = createPublicClient({ chain: vchain, transport, pollingInterval: 50 });
  return {
    chain: vchain,
    transport,
    publicClient,
    wallet: (i = 0) => createWalletClient({ chain: vchain, transport, account: devAccount(i) }),
    bundlerClient: (opts = {}) =>
      createBundlerClient({ chain: vchain, client: publicClient, transport, pollingInterval: 50, ...opts }),
  };
}

/** Sends `value` wei from dev account `from` to `to` and waits for it to be mined. */
export async function fund(clients, to, value = parseEther('1'), from = 0) {
  const hash = await clients.wallet(from).sendTransaction({ to, value });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`funding ${to} failed`);
  return receipt;
}
