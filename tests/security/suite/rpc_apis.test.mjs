// [node] apis: a node serving strangers leaves out the dev methods, which rewrite state, and debug_*.
// Without the list every namespace is served (the dev default), so the test checks both sides.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { devToml, freePort, rpc, startNode } from '../lib/node.mjs';

let open, closed;
before(async () => {
  const port = await freePort();
  closed = await startNode({ port, toml: devToml({ port, node: 'apis = ["eth", "net", "web3"]' }) });
  const port2 = await freePort();
  open = await startNode({ port: port2, toml: devToml({ port: port2 }) });
});
after(async () => {
  await closed?.stop();
  await open?.stop();
});

const victim = '0x00000000000000000000000000000000000000aa';

for (const [method, params] of [
  ['anvil_setBalance', [victim, '0x1']],
  ['hardhat_setCode', [victim, '0x00']],
  ['evm_mine', []],
  ['debug_traceCall', [{ to: victim }, 'latest']],
  ['txpool_status', []],
]) {
  test(`${method} is served by default and refused (-32601) outside [node] apis`, async () => {
    const served = await rpc(open.url, method, params);
    assert.ok(!served.error || served.error.code !== -32601, `${method} on the default node: ${JSON.stringify(served)}`);
    const refused = await rpc(closed.url, method, params);
    assert.equal(refused.error?.code, -32601, `${method}: ${JSON.stringify(refused)}`);
  });
}

test('the namespaces named are still served', async () => {
  for (const method of ['eth_blockNumber', 'net_version', 'web3_clientVersion']) {
    const r = await rpc(closed.url, method, []);
    assert.ok(r.result, `${method}: ${JSON.stringify(r)}`);
  }
  assert.equal(await rpc(closed.url, 'eth_getBalance', [victim, 'latest']).then((r) => r.result), '0x0');
});
