// Finding 16: debug_traceTransaction replays a block on exactly the state it was built on, dev edits
// (anvil_setCode, anvil_setStorageAt, anvil_setBalance, anvil_setNonce) made before it included.
// The trace's gas and failed flag equal the receipt's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, devToml, freePort, rpc, startNode } from '../lib/node.mjs';

const TARGET = '0x00000000000000000000000000000000000c0de1';

async function withNode(fn) {
  const port = await freePort();
  const n = await startNode({ toml: devToml({ port }), port });
  try {
    await fn(n.url, (await call(n.url, 'eth_accounts'))[0]);
  } finally {
    await n.stop();
  }
}

async function sendAndTrace(url, tx, tracer) {
  const hash = await call(url, 'eth_sendTransaction', [tx]);
  const receipt = await call(url, 'eth_getTransactionReceipt', [hash]);
  assert.ok(receipt, 'no receipt');
  const trace = await rpc(url, 'debug_traceTransaction', [hash, tracer ? { tracer } : {}]);
  assert.ok(trace.result, `the trace failed: ${JSON.stringify(trace.error)}`);
  return { receipt, trace: trace.result };
}

test('code set by anvil_setCode: the trace reverts and charges what the receipt says', async () => {
  await withNode(async (url, from) => {
    // PUSH1 0 PUSH1 0 REVERT
    await call(url, 'anvil_setCode', [TARGET, '0x60006000fd']);
    const { receipt, trace } = await sendAndTrace(url, { from, to: TARGET, gas: '0xf4240' });
    assert.equal(receipt.status, '0x0');
    assert.equal(trace.failed, true);
    assert.equal(BigInt(trace.gas), BigInt(receipt.gasUsed));
    assert.equal(trace.structLogs.length, 3);
    assert.deepEqual(
      trace.structLogs.map((s) => s.op),
      ['PUSH1', 'PUSH1', 'REVERT'],
    );
  });
});

test('a loop set by anvil_setCode: the call tracer runs out of gas at 1,000,000 like the receipt', async () => {
  await withNode(async (url, from) => {
    // JUMPDEST PUSH1 0 JUMP: loops until the gas is gone.
    await call(url, 'anvil_setCode', [TARGET, '0x5b600056']);
    const { receipt, trace } = await sendAndTrace(url, { from, to: TARGET, gas: '0xf4240' }, 'callTracer');
    assert.equal(receipt.status, '0x0');
    assert.equal(BigInt(receipt.gasUsed), 1_000_000n);
    assert.equal(BigInt(trace.gasUsed), 1_000_000n);
    assert.ok(trace.error, JSON.stringify(trace));
  });
});

test('storage set by anvil_setStorageAt: the trace takes the branch the block took', async () => {
  await withNode(async (url, from) => {
    // PUSH1 0 SLOAD PUSH1 11 JUMPI PUSH1 0 PUSH1 0 REVERT JUMPDEST STOP: succeeds when slot 0 != 0.
    await call(url, 'anvil_setCode', [TARGET, '0x600054600b5760006000fd5b00']);
    await call(url, 'evm_mine'); // the code is in an earlier block; the storage edit comes just before
    await call(url, 'anvil_setStorageAt', [TARGET, '0x0', '0x' + '01'.padStart(64, '0')]);
    const { receipt, trace } = await sendAndTrace(url, { from, to: TARGET, gas: '0x30d40' });
    assert.equal(receipt.status, '0x1');
    assert.equal(trace.failed, false);
    assert.equal(BigInt(trace.gas), BigInt(receipt.gasUsed));
    assert.equal(trace.structLogs.at(-1).op, 'STOP');
  });
});

test('balance and nonce set by anvil_setBalance/anvil_setNonce: the sender replays as it was', async () => {
  await withNode(async (url) => {
    const sender = '0x00000000000000000000000000000000000a11ce';
    await call(url, 'anvil_impersonateAccount', [sender]);
    await call(url, 'anvil_setBalance', [sender, '0xde0b6b3a7640000']);
    await call(url, 'anvil_setNonce', [sender, '0x5']);
    const { receipt, trace } = await sendAndTrace(url, { from: sender, to: TARGET, value: '0x1', nonce: '0x5' });
    assert.equal(receipt.status, '0x1');
    assert.equal(trace.failed, false);
    assert.equal(BigInt(trace.gas), BigInt(receipt.gasUsed));
  });
});
