// The kernel author's toolkit end to end: `krnl kernels validate` (offline, the engine's parser),
// `krnl kernels test` (krnl_dryRunKernel on the running krnld: evm-read, evm-compute, http, and the refusals
// a registered kernel gets), and `krnl init app` (a starter whose contracts compile with the npm solc).
// The krnl command: KRNL_CLI, default build/src/cli/krnl beside the krnld run.sh started.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeAbiParameters } from 'viem';
import { startHostileServer } from '../lib/hostile_server.mjs';
import { REGISTRY, VAULT, assertError, dev, home, rpc, rpcError } from '../lib/env.mjs';
import { CODE } from '../lib/krnl.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = process.env.KRNL_CLI ?? join(root, 'build/src/cli/krnl');
const ADDER = '0x6024356004350160005260206000f3'; // add(a, b) = a + b
const work = mkdtempSync(join(tmpdir(), 'krnl-dry-run-'));
let server;

/** Runs the krnl command: { code, stdout, stderr }. */
function krnl(args, { cwd = work, timeout = 120_000 } = {}) {
  return new Promise((done) => {
    execFile(CLI, ['--rpc', home.url, ...args], { cwd, timeout }, (error, stdout, stderr) =>
      done({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
function node(args, cwd) {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, timeout: 300_000 }, (error, stdout, stderr) => done({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}
function specFile(name, spec) {
  const path = join(work, `${name}.json`);
  writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return path;
}

before(async () => {
  assert.ok(existsSync(CLI), `the krnl command is not at ${CLI} (build the krnl target, or set KRNL_CLI)`);
  server = await startHostileServer();
});
after(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

test('kernels validate: a good spec gives its kind, specHash and canonical form, as the node computes them', async () => {
  const spec = { outputs: ['uint256'], kind: 'evm-compute', code: ADDER, function: 'add(uint256,uint256)', args: ['$input[0]', 1] };
  const path = specFile('adder', spec);
  const human = await krnl(['kernels', 'validate', '--spec', path]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /a valid evm-compute kernel spec/);
  const json = await krnl(['--json', 'kernels', 'validate', '--spec', path]);
  assert.equal(json.code, 0, json.stderr);
  const validated = JSON.parse(json.stdout);
  assert.equal(validated.canonical, '{"args":["$input[0]",1],"code":"0x6024356004350160005260206000f3","function":"add(uint256,uint256)","kind":"evm-compute","outputs":["uint256"]}');
  const dry = await rpc('krnl_dryRunKernel', [spec, { inputs: [41] }]);
  assert.equal(dry.specHash, validated.specHash);
  assert.equal(dry.canonical, validated.canonical);
});

test('kernels validate: a bad spec exits 1 with the field the parser names', async () => {
  const cases = [
    [{ kind: 'evm-compute', code: ADDER, outputs: ['uint256', 'uint7'] }, /outputs\[1\]: bad ABI type/],
    [{ kind: 'http', method: 'GET', url: 'https://{{$sender}}.example.com/', outputs: [] }, /url: placeholders are only allowed in the path and query/],
    [{ kind: 'evm-read', chainId: 31337, to: '0x12', function: 'f()', outputs: [] }, /to: must be a 0x-prefixed 20-byte address/],
    ['{"kind": "http",', /not valid JSON/],
  ];
  for (const [spec, message] of cases) {
    const r = await krnl(['kernels', 'validate', '--spec', specFile('bad', spec)]);
    assert.equal(r.code, 1, `exit code for ${JSON.stringify(spec)}`);
    assert.match(r.stderr, message);
  }
});

test('kernels test: evm-compute with --input, the raw and decoded result and the time', async () => {
  const path = specFile('adder2', { kind: 'evm-compute', code: ADDER, function: 'add(uint256,uint256)', args: ['$input[0]', '$input[1]'], outputs: ['uint256'] });
  const r = await krnl(['kernels', 'test', '--spec', path, '--input', '40', '--input', '0x2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /outputs: {2}0x0{62}2a \(32 bytes\)/);
  assert.match(r.stdout, /\[0\] uint256 = "42"/);
  assert.match(r.stdout, /time: +\d+ ms/);
});

test('kernels test: evm-read on the home chain with the call context (--sender, --function, --args)', async () => {
  const spec = { kind: 'evm-read', chainId: home.id, to: VAULT, function: 'balanceOf(address)', args: ['$sender'], outputs: ['uint256'] };
  const args = encodeAbiParameters([{ type: 'uint256' }], [7n]);
  // A sender no other test of the suite (one node for all files) pays or earns fees: its balance is 0.
  const sender = '0x' + 'ab'.repeat(20);
  const r = await krnl(['--json', 'kernels', 'test', '--spec', specFile('read', spec), '--sender', sender, '--function', 'act(uint256,bytes)', '--args', args]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.kind, 'evm-read');
  assert.equal(result.error, undefined);
  assert.deepEqual(result.decoded, ['0']);
  const head = BigInt(await rpc('eth_blockNumber'));
  assert.ok(BigInt(result.blocks[String(home.id)]) <= head);

  // $args[0] of the call: the registry's kernel(id) reverts for an unknown id, a result with an error.
  const byArg = { kind: 'evm-read', chainId: home.id, to: REGISTRY, function: 'kernel(uint256)', args: ['$args[0]'], outputs: ['address'] };
  const unknown = encodeAbiParameters([{ type: 'uint256' }], [10n ** 9n]);
  const failed = await krnl(['--json', 'kernels', 'test', '--spec', specFile('read2', byArg), '--function', 'act(uint256,bytes)', '--args', unknown]);
  assert.equal(failed.code, 1);
  const answer = JSON.parse(failed.stdout);
  assert.match(answer.error, /reverted: custom error/);
  assert.equal(answer.decoded, null);
  assert.equal(typeof answer.timeMs, 'number');
});

test('kernels test: http to an allowed server, and an http 500 answered as an error', async () => {
  const ok = await krnl(['--json', 'kernels', 'test', '--spec', specFile('http', { kind: 'http', method: 'GET', url: `${server.base}/ok/{{$input[0]}}`, outputs: [{ path: '$.value', type: 'uint256' }, { path: '$.label', type: 'string' }] }), '--input', '77']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).decoded, ['77', 'ok']);
  const broken = await krnl(['kernels', 'test', '--spec', specFile('http500', { kind: 'http', method: 'GET', url: `${server.base}/status/500`, outputs: [] })]);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /error: +HTTP 500/);
});

test('krnl_dryRunKernel: the node\'s own port is refused, a hostile loop stops at its gas, bad specs are -33006', async () => {
  const own = await rpc('krnl_dryRunKernel', [{ kind: 'http', method: 'POST', url: home.url, body: { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }, outputs: [] }]);
  assert.match(own.error, /this node's own RPC/);
  const loop = await rpc('krnl_dryRunKernel', [{ kind: 'evm-compute', code: '0x5b600056', outputs: ['uint256'], gas: 3_000_000 }]);
  assert.equal(loop.error, 'out of gas (limit 3000000)');
  assert.equal(loop.outputs, '0x');
  assertError(await rpcError('krnl_dryRunKernel', [{ kind: 'evm-compute', code: ADDER, outputs: ['uint256'], gas: 10_000_001 }]), CODE.badRequest, /invalid kernel spec: gas: must be between 1 and 10000000/);
  assertError(await rpcError('krnl_dryRunKernel', [{ kind: 'evm-compute', code: ADDER, outputs: [] }, { inputs: ['$kernel:0[0]'] }]), CODE.badRequest, /context\.inputs\[0\]/);
  assertError(await rpcError('krnl_dryRunKernel', []), -32602);
});

test('init app: a starter whose contracts compile and whose kernel runs on the node', async () => {
  const dir = join(work, 'starter');
  const made = await krnl(['init', 'app', dir, '--name', 'Demo']);
  assert.equal(made.code, 0, made.stderr);
  for (const file of ['contracts/Demo.sol', 'contracts/DemoPolicy.sol', 'kernels/kernel.json', 'compile.mjs', 'run.mjs', 'package.json', 'README.md']) {
    assert.ok(existsSync(join(dir, file)), `${file} was not written`);
  }
  assert.match(readFileSync(join(dir, 'contracts/Demo.sol'), 'utf8'), /contract Demo is KrnlConsumer/);
  assert.match(readFileSync(join(dir, 'run.mjs'), 'utf8'), /from '@krnl\/sdk'/);
  const again = await krnl(['init', 'app', dir]);
  assert.equal(again.code, 2, 'a non-empty directory is refused');

  const compiled = await node(['compile.mjs'], dir);
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.match(compiled.stdout, /^Demo: \d+ bytes$/m);
  assert.match(compiled.stdout, /^DemoPolicy: \d+ bytes$/m);
  assert.equal((await node(['--check', 'run.mjs'], dir)).code, 0);

  const kernel = join(dir, 'kernels/kernel.json');
  assert.equal((await krnl(['kernels', 'validate', '--spec', kernel])).code, 0);
  const args = encodeAbiParameters([{ type: 'uint256' }], [41n]);
  const ran = await krnl(['--json', 'kernels', 'test', '--spec', kernel, '--function', 'add(uint256,bytes)', '--args', args]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(JSON.parse(ran.stdout).decoded, ['42']);
});
