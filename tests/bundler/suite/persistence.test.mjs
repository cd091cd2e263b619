// An acknowledged user operation survives kill -9: in manual bundling mode an op waits in the pool,
// and it is written to the chain's store before eth_sendUserOperation answers. After a SIGKILL and a
// restart on the same data dir the op is in the pool again (debug_bundler_dumpMempool) and a bundle
// includes it; a bundled op is not pooled again by the next restart.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { toKrnlAccount } from '../lib/krnl-account.mjs';
import { DEV_CHAINS, ENTRY_POINTS, KRNLD, clientsFor, devToml, freePort, fund, rpc } from '../lib/node.mjs';
import { buildUserOp } from '../lib/userop.mjs';
import { assertOk, rpcOp, waitForOpReceipt } from '../lib/scenario.mjs';

const dir = mkdtempSync(join(tmpdir(), 'krnl-bundler-persist.'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function start(ports) {
  const toml = devToml({ ports, extra: '[bundler]\nmode = "manual"\n' }).replace(
    '[node]\n',
    `[node]\ndata_dir = "${join(dir, 'data')}"\n`,
  );
  const file = join(dir, 'krnld.toml');
  writeFileSync(file, toml);
  let output = '';
  const proc = spawn(KRNLD, ['--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${ports[0]}`;
  for (let i = 0; ; i++) {
    try {
      if ((await rpc(url, 'eth_chainId', [], { timeoutMs: 1_000 })).result) break;
    } catch {}
    if (proc.exitCode !== null || i > 300) throw new Error(`krnld did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise((r) => proc.once('exit', r));
  return { url, proc, exited, output: () => output };
}

test('an op acknowledged in manual mode survives kill -9 and is bundled after the restart', async () => {
  const ports = [];
  for (let i = 0; i < DEV_CHAINS.length; i++) ports.push(await freePort());
  const chain = { ...DEV_CHAINS[0], port: ports[0], url: `http://127.0.0.1:${ports[0]}` };

  let node = await start(ports);
  const clients = clientsFor(chain);
  const account = await toKrnlAccount({
    client: clients.publicClient,
    owner: privateKeyToAccount(generatePrivateKey()),
    entryPointVersion: '0.7',
  });
  await fund(clients, account.address, parseEther('1'));
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  const op = await buildUserOp({ account, publicClient: clients.publicClient, calls: [{ to: recipient, value: 7n }] });
  op.signature = await account.signUserOperation(op);
  const sent = assertOk(await rpc(node.url, 'eth_sendUserOperation', [rpcOp(op), ENTRY_POINTS['0.7']]));
  const before = assertOk(await rpc(node.url, 'debug_bundler_dumpMempool', [ENTRY_POINTS['0.7']]));
  assert.equal(before.length, 1, 'the op waits in the pool (manual mode)');

  node.proc.kill('SIGKILL');
  await node.exited;
  node = await start(ports);
  try {
    const pooled = assertOk(await rpc(node.url, 'debug_bundler_dumpMempool', [ENTRY_POINTS['0.7']]));
    assert.equal(pooled.length, 1, `the acknowledged op is back in the pool:\n${node.output()}`);
    assert.equal(pooled[0].sender.toLowerCase(), account.address.toLowerCase());
    assertOk(await rpc(node.url, 'debug_bundler_sendBundleNow', []));
    const receipt = await waitForOpReceipt(node.url, sent);
    assert.equal(receipt.success, true);
    assert.equal(await clients.publicClient.getBalance({ address: recipient }), 7n);
  } finally {
    node.proc.kill('SIGKILL');
    await node.exited;
  }
  // Bundled, so forgotten: the next start pools nothing.
  node = await start(ports);
  try {
    const pooled = assertOk(await rpc(node.url, 'debug_bundler_dumpMempool', [ENTRY_POINTS['0.7']]));
    assert.equal(pooled.length, 0);
  } finally {
    node.proc.kill('SIGTERM');
    await node.exited;
  }
});
