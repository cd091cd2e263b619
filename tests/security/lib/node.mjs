// Each test file of the security suite starts the krnld processes it needs, with the configuration the
// finding needs (small limits, a corrupted data dir, a block time), on free ports, and stops them at the end.
// startNode() resolves once eth_chainId answers; a node that exits first rejects with its log.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const KRNLD = process.env.KRNLD ?? join(root, 'build/src/node/krnld');
export const MNEMONIC = 'test test test test test test test test test test test junk';

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

/** A fresh temporary directory, removed by the returned node's stop() when passed as `workDir`. */
export const tempDir = (tag = 'krnl-security') => mkdtempSync(join(tmpdir(), `${tag}.`));

/**
 * The TOML of a one-chain node (chain 31337 on `port`) with the dev accounts; `extra` is appended as is
 * (more tables: [limits], [engine], ...), `chain` adds keys to the chain's table.
 */
export function devToml({ port, chainId = 31337, chain = '', extra = '', node = '' }) {
  return `[node]
host = "127.0.0.1"
mnemonic = "${MNEMONIC}"
dev_accounts = 10
dev_balance_eth = 10000
${node}

[[chains]]
name = "home"
chain_id = ${chainId}
port = ${port}
block_time_ms = 0
${chain}

${extra}
`;
}

/**
 * Starts krnld. Either `toml` (written to a file and passed with --config; `port` must be the port it
 * serves) or `args` alone (e.g. ['--dev', '--port', p]). Returns {url, port, proc, log(), stop()}.
 * `ulimitNofile` runs it through a shell that sets `ulimit -n` first (the shell execs krnld, so
 * proc.pid is krnld's).
 */
export async function startNode({ toml, args = [], port, env = {}, readyTimeoutMs = 30_000, workDir, ulimitNofile } = {}) {
  port ??= await freePort();
  const dir = workDir ?? tempDir();
  const argv = [...args];
  if (toml !== undefined) {
    const file = join(dir, 'krnld.toml');
    writeFileSync(file, toml);
    argv.unshift('--config', file);
  } else if (!argv.includes('--port')) {
    argv.push('--port', String(port));
  }
  const logFile = join(dir, 'krnld.log');
  let output = '';
  const [command, commandArgs] =
    ulimitNofile === undefined
      ? [KRNLD, argv]
      : ['bash', ['-c', `ulimit -n ${Number(ulimitNofile)} && exec "$0" "$@"`, KRNLD, ...argv]];
  const proc = spawn(command, commandArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const node = {
    url,
    port,
    proc,
    dir,
    exited,
    log: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(t);
      }
      try {
        writeFileSync(logFile, output);
      } catch {}
      if (!workDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      const how = await exited;
      throw Object.assign(new Error(`krnld exited (${JSON.stringify(how)}) before answering:\n${output}`), { node, how });
    }
    try {
      const r = await rpc(url, 'eth_chainId', [], { timeoutMs: 1_000 });
      if (r.result) return node;
    } catch {}
    if (Date.now() > deadline) {
      await node.stop();
      throw new Error(`krnld did not answer on ${url} within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs krnld to its exit (for start-up failures). Resolves {code, signal, output}; never hangs longer
 * than `timeoutMs` (then it is killed and `timedOut` is set).
 */
export function runNodeToExit(args, { timeoutMs = 20_000, env = {} } = {}) {
  return new Promise((res) => {
    const proc = spawn(KRNLD, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const t = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(t);
      res({ code, signal, output, timedOut });
    });
  });
}

/** One JSON-RPC call; resolves the whole response object ({result} or {error}). */
export async function rpc(url, method, params = [], { timeoutMs = 30_000, id = 1 } = {}) {
  return rpcBody(url, { jsonrpc: '2.0', id, method, params }, { timeoutMs });
}

/** POSTs `body` (an object, serialised, or a string, sent as is); resolves the parsed JSON answer. */
export async function rpcBody(url, body, { timeoutMs = 30_000 } = {}) {
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

/**
 * One JSON-RPC request over a connection of its own, closed after it (fetch keeps connections alive
 * and reuses them): for tests about which connection, and so which I/O thread, a request lands on.
 */
export function rpcOwnConnection(url, method, params = [], { timeoutMs = 30_000 } = {}) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  return new Promise((res, rej) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (d) => (text += d));
        response.on('end', () => {
          try {
            res(JSON.parse(text));
          } catch {
            res({ httpStatus: response.statusCode, text });
          }
        });
      },
    );
    req.once('error', rej);
    req.end(body);
  });
}

/** The result of a call, or throws with the JSON-RPC error (its code kept on the Error). */
export async function call(url, method, params = [], opts) {
  const r = await rpc(url, method, params, opts);
  if (r.error) throw Object.assign(new Error(`${method}: ${r.error.message} (${r.error.code})`), { rpc: r.error });
  return r.result;
}

/**
 * How long eth_blockNumber takes right now, in ms (Infinity when it fails or takes over `timeoutMs`).
 * Liveness checks measure with this; tests do not assert on time except as a liveness bound the
 * issue names (the node keeps answering within a second).
 */
export async function blockNumberLatency(url, timeoutMs = 5_000, { ownConnection = false } = {}) {
  const t0 = performance.now();
  try {
    const r = ownConnection
      ? await rpcOwnConnection(url, 'eth_blockNumber', [], { timeoutMs })
      : await rpc(url, 'eth_blockNumber', [], { timeoutMs });
    if (!r.result) return Infinity;
  } catch {
    return Infinity;
  }
  return performance.now() - t0;
}

/**
 * Polls liveness every `everyMs` while `work` runs; resolves {result, worstMs}. With `ownConnection`
 * each poll comes on a new connection, so the polls reach every I/O thread in turn (and the acceptor).
 */
export async function whileLive(url, work, { everyMs = 200, ownConnection = false } = {}) {
  let worst = 0;
  let done = false;
  const poller = (async () => {
    while (!done) {
      worst = Math.max(worst, await blockNumberLatency(url, 5_000, { ownConnection }));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    const result = await work();
    return { result, worstMs: worst };
  } finally {
    done = true;
    await poller;
  }
}

/** The resident set of a process in bytes (Linux /proc). */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}
