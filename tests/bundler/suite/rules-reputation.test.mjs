// Reputation (ERC-7562 GREP/UREP) through the debug_bundler_* methods, manual bundling, both EntryPoints:
// set/dump/clear round trip, a banned paymaster or factory refused (-32504), a throttled staked paymaster
// held to THROTTLED_ENTITY_MEMPOOL_COUNT ops (-32504 past it), an unstaked paymaster held to
// SAME_UNSTAKED_ENTITY_MEMPOOL_COUNT (-32505 past it), and opsSeen counted for accepted ops. Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VERSIONS, ruleSuite } from '../lib/rules.mjs';
import { E, assertOk, assertRpcError, debug, rulesOp, sendOp } from '../lib/scenario.mjs';

const THROTTLED_ENTITY_MEMPOOL_COUNT = 4;
const SAME_UNSTAKED_ENTITY_MEMPOOL_COUNT = 10;
const BANNED = { opsSeen: 100_000, opsIncluded: 1 };
const THROTTLED = { opsSeen: 120, opsIncluded: 1 }; // opsSeen/10 exceeds opsIncluded by more than 10, not by 50

const ctx = ruleSuite({ manualBundling: true });

for (const version of VERSIONS) {
  const world = () => ctx.worlds[version];
  const ep = () => world().entryPoint;
  const send = (op) => sendOp(ctx.url, op, ep());
  const reset = async () => {
    assertOk(await debug.clearMempool(ctx.url));
    assertOk(await debug.clearReputation(ctx.url));
  };
  const entryOf = (dump, address) => dump.find((e) => e.address.toLowerCase() === address.toLowerCase());

  describe(`reputation, EntryPoint v${version}`, () => {
    test('setReputation / dumpReputation / clearReputation round trip', async () => {
      await reset();
      const paymaster = await world().paymaster();
      assertOk(await debug.setReputation(ctx.url, [{ address: paymaster, opsSeen: 5, opsIncluded: 2 }], ep()));
      const e = entryOf(await debug.dumpReputation(ctx.url, ep()), paymaster);
      assert.ok(e, 'the entry is dumped');
      assert.equal(BigInt(e.opsSeen), 5n);
      assert.equal(BigInt(e.opsIncluded), 2n);
      assert.match(String(e.status ?? 'ok'), /ok|0/i);
      assertOk(await debug.clearReputation(ctx.url));
      assert.equal(entryOf(await debug.dumpReputation(ctx.url, ep()), paymaster), undefined);
    });

    test('GREP-010: a banned paymaster is refused with -32504 naming it', async () => {
      await reset();
      const paymaster = await world().paymaster({ staked: true });
      assertOk(await debug.setReputation(ctx.url, [{ address: paymaster, ...BANNED }], ep()));
      const e = entryOf(await debug.dumpReputation(ctx.url, ep()), paymaster);
      assert.match(String(e.status), /banned|2/i);
      const sender = await world().account();
      const res = await send(await rulesOp(ctx.clients, world(), { sender, paymaster }));
      assertRpcError(res, E.throttledOrBanned, /paymaster/i, new RegExp(paymaster.slice(2), 'i'));
    });

    test('GREP-010: a banned factory is refused with -32504', async () => {
      await reset();
      const factory = await world().factory({ staked: true });
      assertOk(await debug.setReputation(ctx.url, [{ address: factory, ...BANNED }], ep()));
      const u = await world().undeployed(factory, 31337, 'ok');
      const res = await send(await rulesOp(ctx.clients, world(), { ...u }));
      assertRpcError(res, E.throttledOrBanned, /factory|deployer/i);
    });

    test(`GREP-020: a throttled staked paymaster keeps ${THROTTLED_ENTITY_MEMPOOL_COUNT} ops in the pool, the next is -32504`, async () => {
      await reset();
      const paymaster = await world().paymaster({ staked: true });
      assertOk(await debug.setReputation(ctx.url, [{ address: paymaster, ...THROTTLED }], ep()));
      assert.match(String(entryOf(await debug.dumpReputation(ctx.url, ep()), paymaster).status), /throttled|1/i);
      for (let i = 0; i < THROTTLED_ENTITY_MEMPOOL_COUNT; i++) {
        const sender = await world().account();
        assertOk(await send(await rulesOp(ctx.clients, world(), { sender, paymaster })), `op ${i + 1}`);
      }
      const sender = await world().account();
      assertRpcError(await send(await rulesOp(ctx.clients, world(), { sender, paymaster })), E.throttledOrBanned, /paymaster/i);
    });

    test(`UREP-020: an unstaked paymaster keeps ${SAME_UNSTAKED_ENTITY_MEMPOOL_COUNT} ops in the pool, the next is -32505`, async () => {
      await reset();
      const paymaster = await world().paymaster();
      for (let i = 0; i < SAME_UNSTAKED_ENTITY_MEMPOOL_COUNT; i++) {
        const sender = await world().account();
        assertOk(await send(await rulesOp(ctx.clients, world(), { sender, paymaster })), `op ${i + 1}`);
      }
      const sender = await world().account();
      const res = await send(await rulesOp(ctx.clients, world(), { sender, paymaster }));
      assertRpcError(res, E.stakeTooLow, /paymaster/i, /stake/i);
      assert.equal((await debug.dumpMempool(ctx.url, ep())).length, SAME_UNSTAKED_ENTITY_MEMPOOL_COUNT);
    });

    test('accepted ops count in opsSeen of their paymaster', async () => {
      await reset();
      const paymaster = await world().paymaster({ staked: true });
      for (let i = 0; i < 2; i++) {
        const sender = await world().account();
        assertOk(await send(await rulesOp(ctx.clients, world(), { sender, paymaster })));
      }
      const e = entryOf(await debug.dumpReputation(ctx.url, ep()), paymaster);
      assert.ok(e, 'the paymaster has a reputation entry');
      assert.equal(BigInt(e.opsSeen), 2n);
    });

    test('after clearReputation a formerly banned paymaster is accepted again', async () => {
      await reset();
      const paymaster = await world().paymaster({ staked: true });
      assertOk(await debug.setReputation(ctx.url, [{ address: paymaster, ...BANNED }], ep()));
      const sender = await world().account();
      const op = await rulesOp(ctx.clients, world(), { sender, paymaster });
      assertRpcError(await send(op), E.throttledOrBanned);
      assertOk(await debug.clearReputation(ctx.url));
      assertOk(await send(op));
    });
  });
}
