// A hostile contract's revert reason is arbitrary bytes: a reason that is not UTF-8 used to end the
// process (nlohmann's dump threw on the I/O thread: "invalid UTF-8 byte", then terminate). The answer
// is now sent with U+FFFD in place of the bad bytes, and the node keeps serving.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blockNumberLatency, rpc, startNode } from '../lib/node.mjs';

let node;
before(async () => {
  node = await startNode({ args: ['--dev', '--quiet'] });
});
after(async () => node?.stop());

// Code that reverts with Error(string) whose one byte is 0xff: CODECOPY the 100 bytes after the
// 11-byte prologue to memory and REVERT with them.
const reason = `08c379a0${(32).toString(16).padStart(64, '0')}${(1).toString(16).padStart(64, '0')}ff${'0'.repeat(62)}`;
const code = `0x606480600b6000396000fd${reason}`;
const target = '0x1000000000000000000000000000000000000001';

test('eth_call of a contract whose revert reason is not UTF-8 answers, and the node lives', async () => {
  for (const method of ['eth_call', 'eth_estimateGas']) {
    const params = method === 'eth_call' ? [{ to: target }, 'latest', { [target]: { code } }] : [{ to: target }, 'latest', { [target]: { code } }];
    const r = await rpc(node.url, method, params);
    assert.ok(r.error, `${method}: ${JSON.stringify(r)}`);
    assert.equal(r.error.code, 3, `${method}: ${JSON.stringify(r.error)}`);
    assert.match(r.error.message, /\uFFFD/, `${method}: the bad byte is replaced`);
  }
  assert.ok(Number.isFinite(await blockNumberLatency(node.url)), 'the node still answers');
  assert.equal(node.proc.exitCode, null);
});
