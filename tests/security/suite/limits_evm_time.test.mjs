// Finding 9: the EVM run on behalf of a caller has a time limit (geth's RPCEVMTimeout, 5 s by
// default; [limits] evm_timeout_ms) for eth_call, eth_estimateGas (the whole search),
// eth_createAccessList and debug_trace*, and EVM requests run on the blocking pool under a bound
// (max_concurrent_evm_calls), so an ecrecover loop neither runs for as long as its gas allows nor
// keeps eth_blockNumber waiting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockNumberLatency,
  call,
  devToml,
  freePort,
  rpc,
  rpcBody,
  rpcOwnConnection,
  startNode,
  whileLive,
} from '../lib/node.mjs';

// Copies 128 bytes of calldata to memory, then calls ecrecover (0x01) on them while more than
// 100,000 gas is left: it succeeds at any gas, so eth_estimateGas bisects over the whole range.
const ECRECOVER_LOOP = '0x608060006000375b602060806080600060015afa50620186a05a1160075700';
// ethereum/tests CallEcrecover0: hash, v = 28, r, s.
const ECRECOVER_INPUT =
  '0x18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c' +
  '000000000000000000000000000000000000000000000000000000000000001c' +
  '73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f' +
  'eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549';
const LOOP_ADDRESS = '0x00000000000000000000000000000000000ec0de';
const FROM = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const callObject = (gas) => ({ from: FROM, to: LOOP_ADDRESS, data: ECRECOVER_INPUT, ...(gas ? { gas } : {}) });
const overrides = { [LOOP_ADDRESS]: { code: ECRECOVER_LOOP } };

let fast; // evm_timeout_ms = 1000, blocks of 6M gas
let tiny; // evm_timeout_ms = 100
let defaults; // no [limits]: geth's 5 s
let twoThreads; // evm_timeout_ms = 2000, two I/O threads

before(async () => {
  const port = await freePort();
  fast = await startNode({
    port,
    toml: devToml({ port, chain: 'gas_limit = 6000000', extra: '[limits]\nevm_timeout_ms = 1000\n' }),
  });
  const port1 = await freePort();
  tiny = await startNode({ port: port1, toml: devToml({ port: port1, extra: '[limits]\nevm_timeout_ms = 100\n' }) });
  const port2 = await freePort();
  defaults = await startNode({ port: port2, toml: devToml({ port: port2 }) });
  const port3 = await freePort();
  twoThreads = await startNode({
    port: port3,
    args: ['--threads', '2'],
    toml: devToml({ port: port3, extra: '[limits]\nevm_timeout_ms = 2000\n' }),
  });
});

after(async () => {
  await fast?.stop();
  await tiny?.stop();
  await defaults?.stop();
  await twoThreads?.stop();
});

test('eth_call past the time limit: -32000 "execution aborted (timeout = 100ms)"', async () => {
  // 50M gas of ecrecover: well over the limit.
  const r = await rpc(tiny.url, 'eth_call', [callObject('0x2faf080'), 'latest', overrides]);
  assert.equal(r.error?.code, -32000, JSON.stringify(r).slice(0, 300));
  assert.equal(r.error.message, 'execution aborted (timeout = 100ms)');
  // A short call is not affected.
  const ok = await rpc(tiny.url, 'eth_call', [callObject('0x30d40'), 'latest', overrides]);
  assert.equal(ok.result, '0x');
});

test('eth_estimateGas: one time limit for the whole search, not one per attempt', async () => {
  // Each attempt (at most 6M gas, the block's) runs within the limit... (as eth_call shows)
  const one = await rpc(fast.url, 'eth_call', [callObject('0x5b8d80'), 'latest', overrides]); // 6M gas
  assert.equal(one.result, '0x', JSON.stringify(one).slice(0, 300));
  // ...but the bisection makes some twenty of them.
  const r = await rpc(fast.url, 'eth_estimateGas', [callObject(), 'latest', overrides]);
  assert.equal(r.error?.code, -32000, JSON.stringify(r).slice(0, 300));
  assert.equal(r.error.message, 'execution aborted (timeout = 1s)');
});

test('eth_createAccessList and debug_traceCall are limited too', async () => {
  // createAccessList takes no overrides: the loop is deployed where the overrides put it.
  await call(tiny.url, 'anvil_setCode', [LOOP_ADDRESS, ECRECOVER_LOOP]);
  const list = await rpc(tiny.url, 'eth_createAccessList', [callObject('0x2faf080'), 'latest']);
  assert.equal(list.error?.code, -32000, JSON.stringify(list).slice(0, 300));
  assert.equal(list.error.message, 'execution aborted (timeout = 100ms)');
  // The tracers' words are geth's tracers' ("execution timeout").
  const trace = await rpc(tiny.url, 'debug_traceCall', [
    callObject('0x2faf080'),
    'latest',
    { tracer: 'callTracer', stateOverrides: overrides },
  ]);
  assert.equal(trace.error?.code, -32000, JSON.stringify(trace).slice(0, 300));
  assert.equal(trace.error.message, 'execution timeout (timeout = 100ms)');
});

test('4 concurrent batches of 4 ecrecover-loop estimates: eth_blockNumber answers within a second', async () => {
  const batch = Array.from({ length: 4 }, (_, i) => ({
    jsonrpc: '2.0',
    id: i + 1,
    method: 'eth_estimateGas',
    params: [callObject(), 'latest', overrides],
  }));
  const { result, worstMs } = await whileLive(defaults.url, () =>
    Promise.all(Array.from({ length: 4 }, () => rpcBody(defaults.url, batch, { timeoutMs: 120_000 }))),
  );
  assert.ok(worstMs < 1000, `eth_blockNumber took ${worstMs} ms during the attack`);
  for (const answers of result) {
    assert.ok(Array.isArray(answers), JSON.stringify(answers).slice(0, 300));
    for (const a of answers) {
      // Aborted at geth's default limit, refused while too many run, or, on a machine fast enough
      // to finish the search inside the limit, answered (a quiet 2-core machine here did once; the
      // whole-search limit itself is checked above on a node with a 1 s limit).
      assert.ok(
        (a.error?.code === -32000 && a.error.message === 'execution aborted (timeout = 5s)') ||
          (a.error?.code === -32005 && /limits\.max_concurrent_evm_calls/.test(a.error.message)) ||
          (a.error === undefined && /^0x[0-9a-f]+$/.test(a.result) && BigInt(a.result) > 21000n),
        JSON.stringify(a).slice(0, 300),
      );
    }
  }
  assert.ok((await blockNumberLatency(defaults.url)) < 1000);
  assert.equal(await call(defaults.url, 'eth_blockNumber'), '0x0');
});

test('single ecrecover-loop estimates on connections of their own: eth_blockNumber answers within a second', async () => {
  // A connection stays on the I/O thread it was given (in turn) from accept to close. The polls
  // each come on a new connection, so while an estimate runs they reach its thread (or, when that
  // is the acceptor's, wait to be accepted). An EVM request runs on its I/O thread only for a short
  // budget, then on the pool: no poll waits for the estimate's whole time limit.
  const { result, worstMs } = await whileLive(
    twoThreads.url,
    async () => {
      const answers = [];
      for (let i = 0; i < 2; ++i)
        answers.push(await rpcOwnConnection(twoThreads.url, 'eth_estimateGas', [callObject(), 'latest', overrides]));
      return answers;
    },
    { ownConnection: true },
  );
  assert.ok(worstMs < 1000, `eth_blockNumber took ${worstMs} ms during the estimates`);
  for (const a of result) {
    // Stopped at the 2 s limit (the search is about twenty runs of up to 30M gas of ecrecover).
    assert.equal(a.error?.code, -32000, JSON.stringify(a).slice(0, 300));
    assert.equal(a.error.message, 'execution aborted (timeout = 2s)');
  }
});
