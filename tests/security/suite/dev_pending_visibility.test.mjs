// Finding 15: with interval mining, eth_getTransactionByHash of an acknowledged transaction answered
// null while its block was sealed (pending -> null -> mined): a client polling for it could conclude
// it was dropped. The pending nonce had the same gap (a nonce already used). Pollers hammer both
// across many short blocks and must never see the gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, devToml, freePort, rpc, startNode } from '../lib/node.mjs';

const LOOP = '0x000000000000000000000000000000000000100b';

test('an acknowledged transaction is pending or mined at every poll, never null; the pending nonce never goes back', async () => {
  const port = await freePort();
  const n = await startNode({ toml: devToml({ port }).replace('block_time_ms = 0', 'block_time_ms = 50'), port });
  try {
    const [from] = await call(n.url, 'eth_accounts');
    const acked = []; // hashes, in the order they were acknowledged
    let sent = 0;
    let done = false;
    const nulls = [];
    const nonceGaps = [];
    const sender = (async () => {
      // Calls to a loop that burns their 1M gas (sealing a block takes a while), a few in flight at
      // once so blocks hold many.
      await call(n.url, 'anvil_setCode', [LOOP, '0x5b600056']);
      for (let round = 0; round < 60; ++round) {
        const hashes = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            call(n.url, 'eth_sendTransaction', [
              { from, to: LOOP, gas: '0xf4240', nonce: '0x' + (sent + i).toString(16) },
            ]),
          ),
        );
        acked.push(...hashes);
        sent += hashes.length;
      }
      done = true;
    })();
    const poller = async (id) => {
      while (!done) {
        // Every transaction acknowledged before this poll began must be found.
        const known = acked.slice(Math.max(0, acked.length - 24));
        const ackedCount = sent;
        const answers = await Promise.all(known.map((h) => rpc(n.url, 'eth_getTransactionByHash', [h])));
        answers.forEach((a, i) => {
          if (a.result === null) nulls.push(known[i]);
        });
        const pending = await rpc(n.url, 'eth_getTransactionCount', [from, 'pending']);
        if (BigInt(pending.result) < BigInt(ackedCount)) nonceGaps.push(`${pending.result} < ${ackedCount} (poller ${id})`);
      }
    };
    await Promise.all([sender, poller(1), poller(2), poller(3)]);
    assert.equal(sent, 480);
    assert.deepEqual(nulls, [], `${nulls.length} polls answered null for an acknowledged transaction`);
    assert.deepEqual(nonceGaps, []);
    // All of them were mined in the end.
    const last = await call(n.url, 'eth_getTransactionReceipt', [acked.at(-1)]).catch(() => null);
    assert.ok(last === null || last.status === '0x0');
  } finally {
    await n.stop();
  }
});
