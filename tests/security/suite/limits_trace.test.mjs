// Finding 7: trace output is bounded. The struct logger stops with an error past
// [limits] trace_max_steps or trace_max_bytes (memory and stack captures counted in the bytes)
// instead of growing by gigabytes; geth's `limit` option bounds the output without an error; the
// call tracer is bounded by trace_max_bytes too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { blockNumberLatency, call, devToml, freePort, rpc, rssBytes, startNode } from '../lib/node.mjs';

// JUMPDEST PUSH1 0 JUMP: three struct logs per 11 gas, until the gas runs out.
const LOOP = '0x5b600056';
// MSTORE at 0x0fe0 (4 KiB of memory), then the same loop: with enableMemory every entry carries it.
const MEMORY_LOOP = '0x6001610fe0525b600656';
// STATICCALL the identity precompile in a loop: a call frame per turn.
const CALL_LOOP = '0x5b600060006040600060045afa50600056';
const AT = '0x0000000000000000000000000000000000100900';
const traceCall = (url, code, gas, options = {}) =>
  rpc(url, 'debug_traceCall', [{ to: AT, gas }, 'latest', { ...options, stateOverrides: { [AT]: { code } } }], {
    timeoutMs: 120_000,
  });

let node;

before(async () => {
  const port = await freePort();
  node = await startNode({
    port,
    toml: devToml({
      port,
      extra: '[limits]\ntrace_max_steps = 20000\ntrace_max_bytes = 4194304\nevm_timeout_ms = 20000\n',
    }),
  });
});

after(async () => {
  await node?.stop();
});

test('more struct logs than trace_max_steps: -32005 naming the key, memory stays put', async () => {
  const rssBefore = rssBytes(node.proc.pid);
  // 300k gas: about 80,000 steps (the old node answered ~80k entries, ~40 MB of JSON).
  const r = await traceCall(node.url, LOOP, '0x493e0');
  assert.equal(r.error?.code, -32005, JSON.stringify(r).slice(0, 300));
  assert.match(r.error.message, /limits\.trace_max_steps/);
  // Under the cap, the same trace is answered.
  const small = await traceCall(node.url, LOOP, '0xc350'); // 50k gas: ~8,000 steps
  assert.equal(small.result?.structLogs?.length > 7000, true, JSON.stringify(small).slice(0, 300));
  assert.ok(rssBytes(node.proc.pid) - rssBefore < 200 * 2 ** 20);
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});

test('memory captures count in trace_max_bytes', async () => {
  // 40k gas, ~5,000 steps: far under the step cap, but each entry carries 4 KiB of memory.
  const plain = await traceCall(node.url, MEMORY_LOOP, '0x9c40');
  assert.ok(plain.result?.structLogs?.length > 2000, JSON.stringify(plain).slice(0, 300));
  const r = await traceCall(node.url, MEMORY_LOOP, '0x9c40', { enableMemory: true });
  assert.equal(r.error?.code, -32005, JSON.stringify(r).slice(0, 300));
  assert.match(r.error.message, /limits\.trace_max_bytes/);
});

test("geth's limit option: the output stops past `limit` bytes, without an error", async () => {
  const r = await traceCall(node.url, LOOP, '0x493e0', { limit: 10000 });
  assert.ok(r.result, JSON.stringify(r).slice(0, 300));
  const logs = r.result.structLogs;
  assert.ok(logs.length > 10, `${logs.length} entries`);
  // geth records entries until the output passes the limit: at most one entry beyond it.
  const bytes = JSON.stringify(logs).length;
  assert.ok(bytes < 10000 + 1000, `${bytes} bytes of struct logs for limit 10000`);
});

test('callTracer output is bounded by trace_max_bytes', async () => {
  // 20M gas of calls: ~30,000 frames (the old node answered them all).
  const r = await traceCall(node.url, CALL_LOOP, '0x1312d00', { tracer: 'callTracer' });
  assert.equal(r.error?.code, -32005, JSON.stringify(r).slice(0, 300));
  assert.match(r.error.message, /limits\.trace_max_bytes/);
  const small = await traceCall(node.url, CALL_LOOP, '0x186a0', { tracer: 'callTracer' });
  assert.ok(small.result?.calls?.length > 10, JSON.stringify(small).slice(0, 300));
  assert.equal(await call(node.url, 'eth_blockNumber'), '0x0');
});
