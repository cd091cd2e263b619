// Finding 13: a damaged data dir stops krnld with a message naming the file and what to do, with a
// non-zero exit status, never a signal (SIGBUS on a truncated file, an abort after MDB_CORRUPTED, a
// silent new chain over an empty file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { call, devToml, freePort, rpc, runNodeToExit, startNode, tempDir } from '../lib/node.mjs';

const rmDir = (dir) => rmSync(dir, { recursive: true, force: true });

const WHAT_TO_DO = 'restore it from a backup or remove the directory to start a new chain';

/** A data dir with a chain of `blocks` blocks (several transactions each), the node stopped again. */
async function chainOnDisk(blocks = 40, data = '0x' + '01'.repeat(3000)) {
  const dataDir = tempDir('krnl-storage');
  const port = await freePort();
  const node = await startNode({ toml: devToml({ port, node: `data_dir = "${dataDir}"` }), port });
  try {
    const [from] = await call(node.url, 'eth_accounts');
    for (let i = 0; i < blocks; ++i)
      await call(node.url, 'eth_sendTransaction', [
        { from, to: '0x00000000000000000000000000000000000000aa', value: '0x1', data },
      ]);
  } finally {
    await node.stop();
  }
  return { dataDir, file: join(dataDir, '31337', 'data.mdb') };
}

async function startOn(dataDir) {
  const port = await freePort();
  const dir = tempDir('krnl-storage-run');
  writeFileSync(join(dir, 'krnld.toml'), devToml({ port, node: `data_dir = "${dataDir}"` }));
  const out = await runNodeToExit(['--config', join(dir, 'krnld.toml')], { timeoutMs: 20_000 });
  rmDir(dir);
  return out;
}

function assertRefused(out, file, cause) {
  assert.equal(out.timedOut, false, `krnld kept running on a damaged data dir:\n${out.output}`);
  assert.equal(out.signal, null, `krnld died of ${out.signal}:\n${out.output}`);
  assert.notEqual(out.code, 0, out.output);
  assert.ok(out.output.includes(`${file} is corrupted (`), out.output);
  assert.ok(out.output.includes(WHAT_TO_DO), out.output);
  if (cause) assert.match(out.output, cause);
}

test('an intact data dir reopens with its chain (the checks refuse no healthy file)', async () => {
  const { dataDir } = await chainOnDisk(5);
  const port = await freePort();
  const node = await startNode({ toml: devToml({ port, node: `data_dir = "${dataDir}"` }), port });
  try {
    assert.equal(await call(node.url, 'eth_blockNumber'), '0x5');
  } finally {
    await node.stop();
    rmDir(dataDir);
  }
});

test('data.mdb cut in half: refused at start with the sizes, not SIGBUS', async () => {
  const { dataDir, file } = await chainOnDisk();
  const size = statSync(file).size;
  truncateSync(file, Math.floor(size / 2));
  const out = await startOn(dataDir);
  assertRefused(out, file, /truncated: the file is \d+ bytes, its pages need \d+/);
  rmDir(dataDir);
});

test('a zero-length data.mdb is refused, not taken for a new chain at block 0', async () => {
  const { dataDir, file } = await chainOnDisk(3);
  truncateSync(file, 0);
  const out = await startOn(dataDir);
  assertRefused(out, file, /the file is empty/);
  assert.equal(statSync(file).size, 0, 'the file was written over');
  rmDir(dataDir);
});

test('random bytes inside data.mdb: refused, or every request answered; never a signal', async () => {
  // Pages 0 and 1 are LMDB's meta pages; each trial writes random bytes over a run of the table
  // pages of a fresh copy (blocks of plain transfers: no large values, so the bytes land in B-tree
  // pages, where LMDB follows them).
  for (let trial = 0; trial < 4; ++trial) {
    const { dataDir, file } = await chainOnDisk(40, '0x');
    const pages = Math.floor(statSync(file).size / 4096);
    let x = 0x9e3779b9 + trial;
    const junk = Buffer.alloc(4096 * Math.max(1, Math.floor((pages - 2) / 2)));
    for (let i = 0; i < junk.length; ++i) {
      x = (x * 1103515245 + 12345) >>> 0;
      junk[i] = x >>> 24;
    }
    const fd = openSync(file, 'r+');
    writeSync(fd, junk, 0, junk.length, 4096 * (2 + (trial % 2) * Math.floor((pages - 2) / 2)));
    closeSync(fd);
    const port = await freePort();
    let node;
    try {
      node = await startNode({ toml: devToml({ port, node: `data_dir = "${dataDir}"` }), port });
    } catch (e) {
      const how = e.how ?? (await e.node?.exited);
      assert.ok(how, `trial ${trial}: ${e.message}`);
      assert.equal(how.signal, null, `trial ${trial}: krnld died of ${how.signal}:\n${e.message}`);
      assert.notEqual(how.code, 0);
      assert.ok(e.message.includes(`${file} is corrupted (`), e.message);
      assert.ok(e.message.includes(WHAT_TO_DO), e.message);
      rmDir(dataDir);
      continue;
    }
    // Started (the damage missed what start-up reads): every request is answered or the node ends
    // with the file named; an error names the file.
    try {
      const [from] = (await rpc(node.url, 'eth_accounts')).result ?? [];
      const requests = [];
      for (let n = 0; n <= 40; ++n) {
        requests.push(['eth_getBlockByNumber', ['0x' + n.toString(16), true]]);
        requests.push(['eth_getBlockReceipts', ['0x' + n.toString(16)]]);
      }
      requests.push(['eth_getBalance', [from, 'latest']]);
      requests.push(['eth_sendTransaction', [{ from, to: from, value: '0x1' }]]);
      requests.push(['eth_blockNumber', []]);
      for (const [method, params] of requests) {
        if (node.proc.exitCode !== null || node.proc.signalCode !== null) break;
        const r = await rpc(node.url, method, params).catch(() => ({}));
        if (r.error && r.error.code === -32603)
          assert.ok(r.error.message.includes(file), `${method}: ${r.error.message}`);
      }
      if (node.proc.exitCode !== null || node.proc.signalCode !== null) {
        const how = await node.exited;
        assert.equal(how.signal, null, `trial ${trial}: krnld died of ${how.signal}:\n${node.log()}`);
        assert.ok(node.log().includes(`${file} is corrupted (`), node.log());
      }
    } finally {
      await node.stop();
      rmDir(dataDir);
    }
  }
});

test('damage met by a request: the RPC gets -32603 naming the file, the node stays up', async () => {
  // The damage is made while the node runs (past the start-up checks): every page after LMDB's two
  // meta pages is zeroed under it, so the next read of a table meets it.
  const { dataDir, file } = await chainOnDisk(10);
  const port = await freePort();
  const node = await startNode({ toml: devToml({ port, node: `data_dir = "${dataDir}"` }), port });
  try {
    const [from] = await call(node.url, 'eth_accounts');
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(size - 8192), 0, size - 8192, 8192);
    closeSync(fd);
    let failure;
    for (let n = 10; n >= 1 && !failure; --n) {
      const r = await rpc(node.url, 'eth_getBlockByNumber', ['0x' + n.toString(16), true]);
      const r2 = await rpc(node.url, 'eth_getBlockReceipts', ['0x' + n.toString(16)]);
      failure = [r, r2].find((x) => x.error)?.error;
      if (node.proc.exitCode !== null) break;
    }
    if (node.proc.exitCode !== null || node.proc.signalCode !== null) {
      // LMDB met the damage inside itself: krnld ended cleanly with the file named.
      const how = await node.exited;
      assert.equal(how.signal, null, node.log());
      assert.notEqual(how.code, 0);
      assert.ok(node.log().includes(`${file} is corrupted (`), node.log());
      return;
    }
    assert.ok(failure, 'no read of the damaged pages failed');
    assert.equal(failure.code, -32603);
    assert.ok(failure.message.includes(`${file} is corrupted (`), failure.message);
    // A write fails with the reason (the database is refused for writes from then on: the unit
    // tests of src/state cover that), and the node keeps answering what needs no pages.
    const sent = await rpc(node.url, 'eth_sendTransaction', [{ from, to: from, value: '0x1' }]);
    if (node.proc.exitCode === null) {
      assert.ok(sent.error, JSON.stringify(sent));
      assert.ok(sent.error.message.includes(`${file} is corrupted (`), sent.error.message);
      assert.equal((await rpc(node.url, 'eth_chainId')).result, '0x7a69');
      assert.equal(node.proc.exitCode, null);
    }
  } finally {
    await node.stop();
    rmDir(dataDir);
  }
});

test('data.mdb truncated under a running node: it ends with the file named, not SIGBUS', async () => {
  const { dataDir, file } = await chainOnDisk(10);
  const port = await freePort();
  const node = await startNode({ toml: devToml({ port, node: `data_dir = "${dataDir}"` }), port });
  try {
    truncateSync(file, 8192); // the two meta pages are left; every table page is past the end
    for (let n = 10; n >= 0 && node.proc.exitCode === null && node.proc.signalCode === null; --n)
      await rpc(node.url, 'eth_getBlockByNumber', ['0x' + n.toString(16), true]).catch(() => null);
    const how = await node.exited;
    assert.equal(how.signal, null, `krnld died of ${how.signal}:\n${node.log()}`);
    assert.equal(how.code, 1);
    assert.ok(node.log().includes(`krnld: ${file} is corrupted (reading it faulted`), node.log());
    assert.ok(node.log().includes(WHAT_TO_DO), node.log());
  } finally {
    await node.stop();
    rmDir(dataDir);
  }
});
