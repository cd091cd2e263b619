// The dashboard (web/, served by krnld at GET /) in Debian's chromium, driven by playwright-core:
// krnld serves config/dev.toml's three chains on free ports; the page must load with no console
// errors, list the three chains, and once the seed's use case has run (examples/rwa-did/run.mjs)
// show its kernels, the approved execution and the one the policy refused, with the reason.
// Run by tests/dashboard/run.sh (KRNLD, CHROMIUM, KRNL_CONTRACTS_OUT, DASHBOARD_OUT).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { decodeFunctionData, encodeAbiParameters, encodeEventTopics, encodeFunctionData, keccak256, parseAbi, parseAbiParameters, toEventSelector, toFunctionSelector, toHex } from 'viem';

const ROOT = resolve(import.meta.dirname, '../..');
const { KRNLD, CHROMIUM, DASHBOARD_OUT, KRNL_CONTRACTS_OUT } = process.env;
if (!KRNLD || !CHROMIUM || !DASHBOARD_OUT) throw new Error('run through tests/dashboard/run.sh');

const work = mkdtempSync(join(tmpdir(), 'krnl-dashboard-'));
const children = [];
let ports, browser, page;
const consoleErrors = [];

function freePort() {
  return new Promise((done) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

async function rpcRaw(port, method, params = []) {
  const r = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return r.json();
}

// Starts krnld on a config file; resolves once it prints "ready".
function startKrnld(config) {
  const child = spawn(KRNLD, ['--config', config, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let log = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`krnld not ready after 60 s:\n${log}`)), 60_000);
    const seen = (d) => {
      log += d;
      if (log.includes(' ready')) {
        clearTimeout(timer);
        done(child);
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => fail(new Error(`krnld exited (${code}):\n${log}`)));
  });
}

function run(command, args, env) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

before(async () => {
  ports = [await freePort(), await freePort(), await freePort()];
  const toml = readFileSync(join(ROOT, 'config/dev.toml'), 'utf8')
    .replace(/^port = 8545$/m, `port = ${ports[0]}`)
    .replace(/^port = 8546$/m, `port = ${ports[1]}`)
    .replace(/^port = 8547$/m, `port = ${ports[2]}`)
    // A node fee, so that the attestations table shows one beside the kernel fees.
    .replace(/^node_fee = 0$/m, 'node_fee = 7000');
  writeFileSync(join(work, 'dev.toml'), toml);
  await startKrnld(join(work, 'dev.toml'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

test('GET / is the page, with a strict CSP and an ETag; unknown paths are 404; POST stays JSON-RPC', async () => {
  const base = `http://127.0.0.1:${ports[0]}`;
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  const etag = page.headers.get('etag');
  assert.ok(etag);
  assert.equal((await fetch(`${base}/`, { headers: { 'if-none-match': etag } })).status, 304);
  assert.match((await fetch(`${base}/app.js`)).headers.get('content-type'), /^text\/javascript/);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/../config/dev.toml`)).status, 404);
  assert.equal((await rpcRaw(ports[0], 'eth_chainId')).result, '0x7a69');
});

test('the page loads without console errors and lists the three dev chains', async () => {
  await page.goto(`http://127.0.0.1:${ports[1]}/`);
  await page.locator('#this-chain', { hasText: 'chain 31338' }).waitFor();
  const chains = page.locator('#chains-body tr');
  await page.waitForFunction(() => document.querySelectorAll('#chains-body tr th').length === 3);
  assert.deepEqual(await chains.locator('th').allTextContents(), ['31337', '31338', '31339']);
  assert.equal(await page.locator('#chains-body tr.here th').textContent(), '31338');
  await page.locator('#blocks-body tr td', { hasText: /^0$/ }).first().waitFor();
  await page.screenshot({ path: join(DASHBOARD_OUT, 'chains.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

test('after the use case: its kernels, the approved execution and the refusal with its reason', async () => {
  await page.goto(`http://127.0.0.1:${ports[0]}/`);
  await page.locator('#this-chain', { hasText: 'chain 31337' }).waitFor();
  const out = await run('node', [join(ROOT, 'examples/rwa-did/run.mjs')], {
    KRNL_HOME_RPC: `http://127.0.0.1:${ports[0]}`,
    KRNL_RWA_RPC: `http://127.0.0.1:${ports[1]}`,
    KRNL_DID_RPC: `http://127.0.0.1:${ports[2]}`,
    ...(KRNL_CONTRACTS_OUT ? { KRNL_CONTRACTS_OUT } : {}),
  });
  assert.match(out, /OK: wallet A traded/);
  // The page follows by itself (new heads, and a poll for what makes no block).
  await page.locator('li.execution.approved').first().waitFor({ timeout: 15_000 });
  await page.locator('li.execution.refused').first().waitFor({ timeout: 15_000 });
  assert.ok((await page.locator('#kernels-body tr').count()) >= 3, 'the three kernels of the use case');
  assert.ok((await page.locator('#blocks-body tr').count()) > 1);
  assert.ok((await page.locator('#latency rect').count()) >= 2, 'a bar per execution');

  // The engine's own record agrees with what the page shows.
  const { result: executions } = await rpcRaw(ports[0], 'krnl_recentExecutions', [10]);
  const refused = executions.find((x) => x.verdict === 'refused');
  const approved = executions.find((x) => x.verdict === 'approved');
  assert.ok(refused && approved);
  assert.ok(refused.reason.length > 0);
  assert.equal(approved.attested, true);
  assert.equal(approved.kernels.length, 3);
  assert.ok(approved.kernels.every((k) => k.ms !== null && !k.error));

  // Keyboard: the refused execution opens with Enter on its summary and shows the policy's reason.
  // Wallet A traded twice, each time consuming an attestation the engine issued (matched by digest).
  const approvedIds = executions.filter((x) => x.verdict === 'approved').map((x) => x.id);
  assert.equal(approvedIds.length, 2);
  for (const id of approvedIds)
    await page.locator('#attestations-body tr td', { hasText: new RegExp(`^#${id}$`) }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('#attestations-body tr').count(), 2);

  const item = page.locator('li.execution.refused').first();
  await item.locator('summary').focus();
  await page.keyboard.press('Enter');
  await item.locator('.reason', { hasText: refused.reason }).waitFor();
  assert.equal(await item.locator('table.kernels tbody tr').count(), refused.kernels.length);
  const good = page.locator('li.execution.approved').first();
  await good.locator('summary').focus();
  await page.keyboard.press('Enter');
  await good.locator('dd', { hasText: 'issued, signed by' }).waitFor();
  // A new execution (failed: the app is not registered) redraws the list; what was open stays open.
  const failed = await rpcRaw(ports[0], 'krnl_executeKernels', [{
    app: '0x00000000000000000000000000000000000000aa', chainId: '0x7a69', sender: '0x00000000000000000000000000000000000000bb',
    function: 'trade(uint256,uint256,bytes)', args: `0x${'00'.repeat(64)}`, kernels: [{ id: '0x1' }],
  }]);
  assert.equal(failed.error?.code, -33005);
  await page.locator('li.execution.failed').first().waitFor({ timeout: 15_000 });
  assert.equal(await item.locator('details').getAttribute('open'), '');
  assert.equal(await good.locator('details').getAttribute('open'), '');
  await page.screenshot({ path: join(DASHBOARD_OUT, 'executions.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

test("the page's AttestationConsumed topic is TokenAuthority's event", () => {
  const script = readFileSync(join(ROOT, 'web/app.js'), 'utf8');
  const topic = script.match(/ATTESTATION_CONSUMED = '(0x[0-9a-f]{64})'/)?.[1];
  assert.equal(topic, keccak256(toHex('AttestationConsumed(uint256,address,bytes4,bytes32,address[],uint256)')));
  const source = readFileSync(join(ROOT, 'contracts/src/krnl/TokenAuthority.sol'), 'utf8');
  assert.match(source.replace(/\s+/g, ' '), /event AttestationConsumed\( uint256 indexed nonce, address indexed sender, bytes4 selector, bytes32 digest, address\[\] signers, uint256 charged \);/);
});

test("the page's event table: each topic is its signature's (viem), each signature an event of the sources", () => {
  const script = readFileSync(join(ROOT, 'web/app.js'), 'utf8');
  const entries = [...script.match(/const EVENTS = \{([^}]*)\}/)[1].matchAll(/'(0x[0-9a-f]{64})': '([^']+)'/g)];
  assert.ok(entries.length >= 20, 'the table is read');
  // Each source's events as canonical signatures: parameter names and `indexed` dropped.
  const sources = ['contracts/src/krnl/KernelRegistry.sol', 'contracts/src/krnl/TokenAuthority.sol', 'contracts/src/krnl/KrnlVault.sol',
    'node_modules/solady/src/tokens/ERC20.sol', 'node_modules/solady/src/auth/Ownable.sol', 'node_modules/@account-abstraction/contracts-v07/interfaces/IEntryPoint.sol'];
  const declared = new Set();
  for (const file of sources)
    for (const [, name, params] of readFileSync(join(ROOT, file), 'utf8').matchAll(/\bevent\s+(\w+)\s*\(([^)]*)\)\s*;/g))
      declared.add(`${name}(${params.split(',').map((p) => p.trim().split(/\s+/)).filter((w) => w[0])
        .map((w) => (w[1] === 'indexed' ? `${w[0]} indexed` : w[0])).join(',')})`);
  // Entries mark the indexed parameters (as the sources do); the topic hashes the signature without them.
  for (const [, topic, marked] of entries) {
    assert.equal(topic, toEventSelector(marked.replaceAll(' indexed', '')), marked);
    assert.ok(declared.has(marked), `${marked} is declared, with the same parameters indexed, in ${sources.join(', ')}`);
  }
  for (const name of ['AttestationConsumed', 'Settled', 'KernelRegistered', 'Transfer', 'UserOperationEvent'])
    assert.ok(entries.some(([, , signature]) => signature.startsWith(`${name}(`)), name);
  assert.equal(script.match(/const SETTLED = '(0x[0-9a-f]{64})'/)?.[1], toEventSelector('Settled(address,uint256,uint256)'));
  // The named contracts are the predeploys at their manifest addresses.
  const manifest = JSON.parse(readFileSync(join(KRNL_CONTRACTS_OUT, 'predeploys.json'), 'utf8')).predeploys;
  const at = (name) => manifest.find((p) => p.name === name).address.toLowerCase();
  const contracts = Object.fromEntries([...script.match(/const CONTRACTS = \{([^}]*)\}/)[1].matchAll(/'(0x[0-9a-f]{40})': '([^']+)'/g)].map(([, a, n]) => [n, a]));
  assert.deepEqual(contracts, { KernelRegistry: at('KernelRegistry'), KrnlVault: at('KrnlVault'),
    'EntryPoint v0.7': at('EntryPointV07'), 'EntryPoint v0.8': at('EntryPointV08') });
});

test("after the use case: each attestation's kernel and node fees are its Settled log's, with a total; the events are named", async () => {
  await page.goto(`http://127.0.0.1:${ports[0]}/`);
  await page.locator('#this-chain', { hasText: 'chain 31337' }).waitFor();
  const range = { fromBlock: '0x0', toBlock: 'latest' };
  const { result: consumed } = await rpcRaw(ports[0], 'eth_getLogs', [{ ...range, topics: [toEventSelector('AttestationConsumed(uint256,address,bytes4,bytes32,address[],uint256)')] }]);
  const { result: settled } = await rpcRaw(ports[0], 'eth_getLogs', [{ ...range, topics: [toEventSelector('Settled(address,uint256,uint256)')] }]);
  assert.equal(consumed.length, 2, 'the use case consumed two attestations');
  let kernelTotal = 0n, nodeTotal = 0n;
  for (const c of consumed) {
    const mine = settled.filter((s) => s.transactionHash === c.transactionHash);
    assert.equal(mine.length, 1, 'one settlement per attestation');
    const kernelFees = BigInt(`0x${mine[0].data.slice(2, 66)}`), nodeFee = BigInt(`0x${mine[0].data.slice(66, 130)}`);
    assert.ok(kernelFees > 0n && nodeFee > 0n, `the use case pays both: ${kernelFees}, ${nodeFee}`);
    assert.equal(kernelFees + nodeFee, BigInt(`0x${c.data.slice(2 + 64 * 3, 2 + 64 * 4)}`), 'charged = kernel fees + node fee');
    kernelTotal += kernelFees;
    nodeTotal += nodeFee;
    const row = page.locator('#attestations-body tr', { has: page.locator(`code[title="${c.transactionHash}"]`) });
    await row.locator('td.fee-node', { hasText: new RegExp(`^${nodeFee}$`) }).waitFor({ timeout: 15_000 });
    assert.equal(await row.locator('td.fee-kernels').textContent(), kernelFees.toString());
  }
  assert.equal(await page.locator('#attestations-foot td.fee-kernels').textContent(), kernelTotal.toString());
  assert.equal(await page.locator('#attestations-foot td.fee-node').textContent(), nodeTotal.toString());
  assert.match(await page.locator('#attestations caption').textContent(), /Settled/);

  // Latest events: the settlement's two events, named, from the vault (a predeploy, named) and the token authority.
  const settledRow = page.locator('#events-body tr', { has: page.locator('span.event', { hasText: /^Settled$/ }) }).first();
  await settledRow.waitFor({ timeout: 15_000 });
  assert.equal(await settledRow.locator('td').nth(1).textContent(), 'KrnlVault');
  // Its arguments: the app (indexed, from the topic) and the two fees (from the data), as eth_getLogs has them.
  const last = settled.at(-1);
  const settledArgs = `0x${last.topics[1].slice(26)}, ${BigInt(`0x${last.data.slice(2, 66)}`)}, ${BigInt(`0x${last.data.slice(66, 130)}`)}`;
  assert.equal(await settledRow.locator('td.args').getAttribute('title'), settledArgs);
  assert.equal(await settledRow.locator('td.args').textContent(), settledArgs.length > 60 ? `${settledArgs.slice(0, 60)}…` : settledArgs);
  const consumedRow = page.locator('#events-body tr', { has: page.locator('span.event', { hasText: /^AttestationConsumed$/ }) }).first();
  await consumedRow.waitFor({ timeout: 15_000 });
  assert.equal(await consumedRow.locator('td code').first().getAttribute('title'), consumed.at(-1).address);
  assert.ok((await page.locator('#events-body tr').count()) <= 50);
  await page.screenshot({ path: join(DASHBOARD_OUT, 'attestations.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

test("the page's ABI decoder: viem's encodings come back as text; malformed data gives (malformed) and never throws", async () => {
  await page.goto(`http://127.0.0.1:${ports[0]}/`);
  await page.locator('#this-chain', { hasText: 'chain 31337' }).waitFor();
  const a = '0x00000000000000000000000000000000000000c1', b = '0x1234567890abcdef1234567890abcdef12345678';
  const abi = parseAbi(['function registerKernel(uint8,bytes,uint256)', 'function transfer(address,uint256)',
    'function registerApp(address,address,uint256[])', 'function registerOperator(address,string)', 'function setApproval(address,uint256,bool)',
    'function execute(address,uint256,bytes)']);
  const call = (functionName, args) => encodeFunctionData({ abi, functionName, args });
  const calls = [
    [call('registerKernel', [2, `0x${'ab'.repeat(68)}`, 10n ** 18n]), ['2', 'bytes(68)', '1000000000000000000']],
    [call('transfer', [a, 2n ** 256n - 1n]), [a, (2n ** 256n - 1n).toString()]],
    [call('registerApp', [a, b, [1n, 2n]]), [a, b, 'uint256[2]']],
    [call('registerOperator', [b, 'x'.repeat(40)]), [b, `string "${'x'.repeat(32)}…"`]],
    [call('setApproval', [a, 7n, true]), [a, '7', 'true']],
    [call('execute', [a, 0n, '0x']), [a, '0', 'bytes(0)']],
  ];
  assert.deepEqual(await page.evaluate((inputs) => inputs.map((i) => decodeCall(i)), calls.map(([input]) => input)), calls.map(([, want]) => want));
  assert.equal(await page.evaluate(() => decodeCall('0x12345678')), null, 'an unknown selector');

  const types = 'int256,int8,bytes4,bool,string,bytes,address,uint256[],(address,uint256,bytes)[]';
  const encoded = encodeAbiParameters(parseAbiParameters(types), [-123456789n, -1, '0xdeadbeef', false, 'héllo', '0x0102', a, [], [{ 0: a, 1: 1n, 2: '0x' }].map(Object.values)]);
  assert.deepEqual(await page.evaluate(([t, hex]) => abiDecode(t, hex), [types.split(/,(?![^(]*\))/), encoded.slice(2)]),
    ['-123456789', '-1', '0xdeadbeef', 'false', 'string "héllo"', 'bytes(2)', a, 'uint256[0]', 'tuple[1]']);

  const event = (signature, args, types, values) => {
    const topics = encodeEventTopics({ abi: parseAbi([`event ${signature}`]), args });
    return { topics, data: encodeAbiParameters(parseAbiParameters(types), values) };
  };
  const hash = keccak256(toHex('spec'));
  const logs = [
    [event('Settled(address indexed app, uint256 kernelFees, uint256 nodeFeePaid)', { app: b }, 'uint256,uint256', [5n, 7n]), [b, '5', '7']],
    [event('KernelRegistered(uint256 indexed id, address indexed owner, uint8 kind, bytes32 specHash, bytes spec, uint256 fee)', { id: 3n, owner: a },
      'uint8,bytes32,bytes,uint256', [1, hash, '0x0102', 9n]), ['3', a, '1', hash, 'bytes(2)', '9']],
    [event('AttestationConsumed(uint256 indexed nonce, address indexed sender, bytes4 selector, bytes32 digest, address[] signers, uint256 charged)',
      { nonce: 11n, sender: a }, 'bytes4,bytes32,address[],uint256', ['0x4aa8b669', hash, [a, b], 42n]), ['11', a, '0x4aa8b669', hash, 'address[2]', '42']],
    [event('ThresholdChanged(uint256 threshold)', {}, 'uint256', [2n]), ['2']],
  ];
  assert.deepEqual(await page.evaluate((ls) => ls.map((l) => decodeLog(l)), logs.map(([l]) => l)), logs.map(([, want]) => want));

  // Hostile data: each case decodes to (malformed) where it is broken, and nothing throws.
  const word = (n) => BigInt(n).toString(16).padStart(64, '0');
  const kernel = calls[0][0];
  const bad = await page.evaluate(({ kernel, word, settled }) => ({
    truncated: decodeCall(kernel.slice(0, 10 + 64 * 2)),
    oddLength: decodeCall(kernel.slice(0, -1)),
    notHex: decodeCall(`${kernel.slice(0, -2)}zz`),
    offsetPastEnd: abiDecode(['bytes'], word.offset),
    hugeOffset: abiDecode(['string'], word.hugeOffset),
    hugeLength: abiDecode(['string', 'uint256[]'], word.hugeLength),
    notBool: abiDecode(['bool'], word.two),
    noTopic: decodeLog({ topics: [settled.topics[0]], data: settled.data }),
    noData: decodeLog({ topics: settled.topics, data: '0x' }),
    badTopic: decodeLog({ topics: [settled.topics[0], null], data: settled.data }),
  }), {
    kernel, settled: logs[0][0],
    word: { offset: word(0x1000), hugeOffset: word(2n ** 256n - 1n), two: word(2),
      hugeLength: word(0x40) + word(0x40) + word(2n ** 255n) },
  });
  assert.deepEqual(bad, {
    truncated: ['2', '(malformed)', '(malformed)'],
    oddLength: ['(malformed)', '(malformed)', '(malformed)'],
    notHex: ['(malformed)', '(malformed)', '(malformed)'],
    offsetPastEnd: ['(malformed)'],
    hugeOffset: ['(malformed)'],
    hugeLength: ['(malformed)', '(malformed)'],
    notBool: ['(malformed)'],
    noTopic: ['(malformed)', '5', '7'],
    noData: [b, '(malformed)', '(malformed)'],
    badTopic: ['(malformed)', '5', '7'],
  });
  assert.deepEqual(consoleErrors, []);
});

test("the page's selector table: each selector is its signature's (viem), and the predeploys' names are theirs", () => {
  const script = readFileSync(join(ROOT, 'web/app.js'), 'utf8');
  const table = script.match(/const SELECTORS = \{([^}]*)\}/)[1];
  const entries = [...table.matchAll(/'(0x[0-9a-f]{8})': '([^']+)'/g)];
  assert.ok(entries.length >= 10, 'the table is read');
  for (const [, selector, signature] of entries) assert.equal(selector, toFunctionSelector(signature), signature);
  const registry = readFileSync(join(ROOT, 'contracts/src/krnl/KernelRegistry.sol'), 'utf8');
  for (const name of ['registerKernel', 'setFee', 'deactivate', 'registerOperator', 'registerApp'])
    assert.match(registry, new RegExp(`function ${name}\\(`), name);
});

test('after the use case: the transactions name their calls where the selector is known', async () => {
  await page.goto(`http://127.0.0.1:${ports[0]}/`);
  await page.locator('#this-chain', { hasText: 'chain 31337' }).waitFor();
  // The use case's last transactions on the home chain are wallet A's two trade() calls.
  const trade = page.locator('#txs-body td span.call', { hasText: /^trade$/ }).first();
  await trade.waitFor({ timeout: 15_000 });
  assert.match(await trade.getAttribute('title'), /^0x4aa8b669 trade\(uint256,uint256,bytes\)$/);
  // Its arguments, behind a disclosure opened by keyboard, are what the transaction's input encodes.
  const tradeRow = page.locator('#txs-body tr', { has: page.locator('span.call', { hasText: /^trade$/ }) }).first();
  const hash = await tradeRow.locator('td').nth(1).locator('code').getAttribute('title');
  const { result: tx } = await rpcRaw(ports[0], 'eth_getTransactionByHash', [hash]);
  const { args: [a, b, payload] } = decodeFunctionData({ abi: parseAbi(['function trade(uint256,uint256,bytes)']), data: tx.input });
  const tradeArgs = tradeRow.locator('details.args > code');
  assert.equal(await tradeArgs.isVisible(), false);
  await tradeRow.locator('details.args > summary').focus();
  await page.keyboard.press('Enter');
  await tradeArgs.waitFor({ state: 'visible' });
  assert.equal(await tradeArgs.textContent(), `${a}, ${b}, bytes(${(payload.length - 2) / 2})`);
  // A dev account's ERC-20-shaped call (to an account without code: it succeeds and does nothing).
  const { result: accounts } = await rpcRaw(ports[0], 'eth_accounts');
  const data = encodeFunctionData({ abi: parseAbi(['function approve(address,uint256)']), args: [accounts[2], 5n] });
  const sent = await rpcRaw(ports[0], 'eth_sendTransaction', [{ from: accounts[1], to: accounts[3], data }]);
  assert.ok(sent.result, JSON.stringify(sent.error));
  const approveRow = page.locator('#txs-body tr', { hasText: sent.result.slice(0, 8) });
  await approveRow.locator('span.call', { hasText: /^approve$/ }).waitFor({ timeout: 15_000 });
  assert.equal(await approveRow.locator('details.args > code').textContent(), `${accounts[2].toLowerCase()}, 5`);
  // The disclosure opened above stays open across the redraw the new transaction caused.
  assert.equal(await tradeRow.locator('details.args').getAttribute('open'), '');
  await page.screenshot({ path: join(DASHBOARD_OUT, 'transactions.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

test("accounts: the node's accounts with their balances and nonces, refreshed on a new head", async () => {
  await page.goto(`http://127.0.0.1:${ports[2]}/`);
  await page.locator('#this-chain', { hasText: 'chain 31339' }).waitFor();
  const { result: accounts } = await rpcRaw(ports[2], 'eth_accounts');
  assert.ok(accounts.length > 0);
  await page.waitForFunction((n) => document.querySelectorAll('#accounts-body tr th').length === n, accounts.length);
  const row = (a) => page.locator('#accounts-body tr', { has: page.locator('th', { hasText: a }) });
  const balance = BigInt((await rpcRaw(ports[2], 'eth_getBalance', [accounts[0], 'latest'])).result);
  assert.ok(balance > 0n);
  assert.equal(await row(accounts[0]).locator('td span').first().getAttribute('title'), `${balance} wei`);
  assert.notEqual(await row(accounts[0]).locator('td').first().textContent(), '0');
  const nonce = Number((await rpcRaw(ports[2], 'eth_getTransactionCount', [accounts[0], 'latest'])).result);
  assert.equal(await row(accounts[0]).locator('td').nth(1).textContent(), String(nonce));
  const sent = await rpcRaw(ports[2], 'eth_sendTransaction', [{ from: accounts[0], to: accounts[1], value: '0xde0b6b3a7640000' }]);
  assert.ok(sent.result, JSON.stringify(sent.error));
  await row(accounts[0]).locator('td', { hasText: new RegExp(`^${nonce + 1}$`) }).waitFor({ timeout: 15_000 });
  const after = BigInt((await rpcRaw(ports[2], 'eth_getBalance', [accounts[1], 'latest'])).result);
  await page.waitForFunction(([a, wei]) => [...document.querySelectorAll('#accounts-body tr')]
    .some((tr) => tr.querySelector('th').textContent === a && tr.querySelector('td').firstChild.title === `${wei} wei`), [accounts[1], after.toString()]);
  await page.screenshot({ path: join(DASHBOARD_OUT, 'accounts.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

test('user operations: the empty mempool, then a pending op (decoded) and a reputation entry, as the bundler holds them', async () => {
  const port = ports[1];
  const entryPoint = '0x0000000071727De22E5E9d8BAf0edAc6f37da032';
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('#this-chain', { hasText: 'chain 31338' }).waitFor();
  assert.deepEqual((await rpcRaw(port, 'debug_bundler_dumpMempool', [entryPoint])).result, []);
  await page.locator('#mempool-body td', { hasText: 'no pending user operations' }).waitFor();
  await page.locator('#mempool-note', { hasText: /^0 pending for EntryPoint v0\.7 and v0\.8$/ }).waitFor();

  // Manual mode, an op added without validation (as the bundler spec tests do): it waits in the pool.
  assert.equal((await rpcRaw(port, 'debug_bundler_setBundlingMode', ['manual'])).result, 'ok');
  const sender = '0x00000000000000000000000000000000000000c1';
  const callData = encodeFunctionData({ abi: parseAbi(['function execute(address,uint256,bytes)']), args: [sender, 0n, '0x'] });
  const op = {
    sender, nonce: '0x3', callData, callGasLimit: '0x186a0', verificationGasLimit: '0x30d40', preVerificationGas: '0xc350',
    maxFeePerGas: '0x77359400', maxPriorityFeePerGas: '0x3b9aca00', signature: `0x${'11'.repeat(65)}`,
  };
  const added = await rpcRaw(port, 'debug_bundler_addUserOps', [[op], entryPoint]);
  assert.equal(added.result, 'ok', JSON.stringify(added.error));
  const reputation = await rpcRaw(port, 'debug_bundler_setReputation', [[{ address: sender, opsSeen: '0x20', opsIncluded: '0x1' }], entryPoint]);
  assert.equal(reputation.result, 'ok', JSON.stringify(reputation.error));
  try {
    const row = page.locator('#mempool-body tr', { has: page.locator(`code[title="${sender}"]`) });
    await row.waitFor({ timeout: 15_000 });
    assert.deepEqual(await row.locator('td').allTextContents(),
      ['v0.7', '0x000000…00c1', '3', 'execute', '100000', '200000', '50000', '2000000000 / 1000000000', 'none']);
    const entry = page.locator('#reputation-body tr', { has: page.locator('th', { hasText: sender }) });
    await entry.waitFor({ timeout: 15_000 });
    const { result: dumped } = await rpcRaw(port, 'debug_bundler_dumpReputation', [entryPoint]);
    const mine = dumped.find((r) => r.address.toLowerCase() === sender);
    assert.deepEqual((await entry.locator('td').allTextContents()).slice(0, 2), ['32', '1']);
    assert.equal(await entry.locator('td').nth(2).textContent(), ['ok', 'throttled', 'banned'][mine.status]);
    await page.screenshot({ path: join(DASHBOARD_OUT, 'mempool.png'), fullPage: true });
  } finally {
    await rpcRaw(port, 'debug_bundler_clearState');
    await rpcRaw(port, 'debug_bundler_setBundlingMode', ['auto']);
  }
  await page.locator('#mempool-body td', { hasText: 'no pending user operations' }).waitFor({ timeout: 15_000 });
  await page.locator('#reputation-body td', { hasText: 'no reputation entries' }).waitFor({ timeout: 15_000 });
  assert.deepEqual(consoleErrors, []);
});

test('krnl_recentExecutions: newest first, a bounded limit, -32602 on malformed parameters', async () => {
  const { result: one } = await rpcRaw(ports[0], 'krnl_recentExecutions', [1]);
  const { result: all } = await rpcRaw(ports[0], 'krnl_recentExecutions', []);
  assert.equal(one.length, 1);
  assert.equal(one[0].id, all[0].id);
  assert.ok(all.every((x, i) => i === 0 || all[i - 1].id > x.id));
  for (const params of [[257], ['ten'], [-1], [1.5], [1, 2]])
    assert.equal((await rpcRaw(ports[0], 'krnl_recentExecutions', params)).error?.code, -32602, JSON.stringify(params));
});

test('krnl_chains: every served chain with its port and head, the same from each port; -32602 on parameters', async () => {
  const answers = await Promise.all(ports.map((port) => rpcRaw(port, 'krnl_chains', [])));
  const chains = answers[0].result;
  assert.deepEqual(chains.map((c) => Number(c.chainId)), [31337, 31338, 31339]);
  assert.deepEqual(chains.map((c) => c.port), ports);
  for (const c of chains)
    assert.equal(c.head, (await rpcRaw(c.port, 'eth_blockNumber', [])).result, `chain ${c.chainId}`);
  for (const a of answers.slice(1)) assert.deepEqual(a.result.map((c) => c.chainId), chains.map((c) => c.chainId));
  for (const params of [[1], ['all'], [{}]])
    assert.equal((await rpcRaw(ports[0], 'krnl_chains', params)).error?.code, -32602, JSON.stringify(params));
});

test('[bundler] enabled = false: the page says the bundler is off', async () => {
  const port = await freePort();
  const config = join(work, 'no-bundler.toml');
  writeFileSync(config, `[bundler]\nenabled = false\n\n[engine]\nenabled = false\n\n[[chains]]\nchain_id = 31337\nport = ${port}\n`);
  const child = await startKrnld(config);
  try {
    assert.equal((await rpcRaw(port, 'eth_supportedEntryPoints')).error?.code, -32601);
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator('#mempool-note', { hasText: 'The bundler is off on this port' }).waitFor();
    assert.equal(await page.locator('#mempool-body td').textContent(), 'bundler off');
    await page.locator('#accounts-body tr').first().waitFor();
    assert.deepEqual(consoleErrors, []);
  } finally {
    await page.goto('about:blank');
    child.kill('SIGTERM');
  }
});

test('[ui] enabled = false: GET / is refused and JSON-RPC still answers', async () => {
  const port = await freePort();
  const config = join(work, 'off.toml');
  writeFileSync(config, `[ui]\nenabled = false\n\n[engine]\nenabled = false\n\n[[chains]]\nchain_id = 31337\nport = ${port}\n`);
  const child = await startKrnld(config);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 405);
    assert.equal((await rpcRaw(port, 'eth_chainId')).result, '0x7a69');
  } finally {
    child.kill('SIGTERM');
  }
});
