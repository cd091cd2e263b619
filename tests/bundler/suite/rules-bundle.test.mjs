// Bundle-time rules with manual bundling, on both EntryPoints: the second validation before a bundle
// drops an op whose validation no longer passes (its window closed after it was accepted) while the other
// ops go into the bundle, and COD-010 drops an op when the code of an address its validation visited
// changed between the two validations (hardhat_setCode). Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatHex } from 'viem';
import { call, rpc } from '../lib/node.mjs';
import { VERSIONS, ruleSuite } from '../lib/rules.mjs';
import { abiOf, assertOk, debug, rulesOp, send as sendTx, sendOp, waitForOpReceipt } from '../lib/scenario.mjs';

const ctx = ruleSuite({ manualBundling: true });

for (const version of VERSIONS) {
  const world = () => ctx.worlds[version];
  const ep = () => world().entryPoint;
  const send = (op) => sendOp(ctx.url, op, ep());

  describe(`second validation before a bundle, EntryPoint v${version}`, () => {
    test('an op whose window closed after acceptance is dropped; the op beside it is bundled', async () => {
      assertOk(await debug.clearMempool(ctx.url));
      const now = Number((await ctx.clients.publicClient.getBlock()).timestamp);
      const closing = await world().account();
      await sendTx(ctx.clients, { address: closing, abi: abiOf('RulesAccount'), functionName: 'setWindow', args: [0, now + 3600] });
      const closingHash = assertOk(await send(await rulesOp(ctx.clients, world(), { sender: closing, rule: 'window' })));
      const steady = await world().account();
      const steadyHash = assertOk(await send(await rulesOp(ctx.clients, world(), { sender: steady })));
      assert.equal((await debug.dumpMempool(ctx.url, ep())).length, 2);

      // validUntil = 1: the window is over by the time the bundle is built.
      await sendTx(ctx.clients, { address: closing, abi: abiOf('RulesAccount'), functionName: 'setWindow', args: [0, 1] });
      assertOk(await debug.sendBundleNow(ctx.url));
      const receipt = await waitForOpReceipt(ctx.url, steadyHash);
      assert.equal(receipt.success, true);
      assert.equal((await rpc(ctx.url, 'eth_getUserOperationReceipt', [closingHash])).result, null, 'the closed op is not included');
      assert.deepEqual(await debug.dumpMempool(ctx.url, ep()), [], 'and not kept');
    });

    test('COD-010: the code of a visited address changes between validations: the op is dropped', async () => {
      assertOk(await debug.clearMempool(ctx.url));
      const sender = await world().account();
      // The account's validation calls RulesTarget.balanceOf(sender): the target's code is visited.
      const hash = assertOk(await send(await rulesOp(ctx.clients, world(), { sender, rule: 'external_assoc_sender' })));
      const steadyHash = assertOk(await send(await rulesOp(ctx.clients, world(), { sender: await world().account() })));
      const code = await ctx.clients.publicClient.getCode({ address: world().target });
      // Same behaviour, another code hash: one byte more after the metadata.
      await call(ctx.url, 'hardhat_setCode', [world().target, concatHex([code, '0x00'])]);
      assert.equal(await ctx.clients.publicClient.getCode({ address: world().target }), concatHex([code, '0x00']));
      assertOk(await debug.sendBundleNow(ctx.url));
      assert.equal((await waitForOpReceipt(ctx.url, steadyHash)).success, true, 'the bundle was built');
      assert.equal((await rpc(ctx.url, 'eth_getUserOperationReceipt', [hash])).result, null, 'not included');
      assert.deepEqual(await debug.dumpMempool(ctx.url, ep()), [], 'dropped from the pool');
      await call(ctx.url, 'hardhat_setCode', [world().target, code]);
    });
  });
}
