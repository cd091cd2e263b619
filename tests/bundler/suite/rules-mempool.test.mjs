// The mempool with manual bundling, on both EntryPoints: replacement needs both fees bumped by at least
// 10% (the bundler-spec-tests' seven cases), SAME_SENDER_MEMPOOL_COUNT for unstaked senders (UREP-010)
// and none for staked ones, the paymaster's deposit covering all its pending ops (EREP-010, -32508),
// and sendBundleNow putting the pool into one handleOps. Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGwei } from 'viem';
import { VERSIONS, ruleSuite } from '../lib/rules.mjs';
import {
  E,
  MIN_PRICE_BUMP_PERCENT,
  SAME_SENDER_MEMPOOL_COUNT,
  assertOk,
  assertRpcError,
  debug,
  depositTo,
  mempoolKeys,
  opKey,
  rulesOp,
  sendOp,
  waitForOpReceipt,
} from '../lib/scenario.mjs';

const ctx = ruleSuite({ manualBundling: true });

const PRIORITY = parseGwei('1');
const MAX_FEE = parseGwei('5');
const bump = (fee, percent) => (fee * BigInt(100 + percent)) / 100n;

const REPLACEMENTS = [
  ['only the priority fee bumped', MIN_PRICE_BUMP_PERCENT, 0, false],
  ['only the max fee bumped', 0, MIN_PRICE_BUMP_PERCENT, false],
  ['the same fees', 0, 0, false],
  ['lower fees', -MIN_PRICE_BUMP_PERCENT, -MIN_PRICE_BUMP_PERCENT, false],
  ['both bumped just below 10%', MIN_PRICE_BUMP_PERCENT - 1, MIN_PRICE_BUMP_PERCENT - 1, false],
  ['both bumped by exactly 10%', MIN_PRICE_BUMP_PERCENT, MIN_PRICE_BUMP_PERCENT, true],
  ['both bumped by 11%', MIN_PRICE_BUMP_PERCENT + 1, MIN_PRICE_BUMP_PERCENT + 1, true],
];

for (const version of VERSIONS) {
  const world = () => ctx.worlds[version];
  const ep = () => world().entryPoint;
  const send = (op) => sendOp(ctx.url, op, ep());
  const pool = async () => debug.dumpMempool(ctx.url, ep());
  const clear = async () => assertOk(await debug.clearMempool(ctx.url), 'debug_bundler_clearMempool');

  describe(`replacement, EntryPoint v${version}`, () => {
    for (const [name, bumpPriority, bumpMax, accepted] of REPLACEMENTS) {
      test(`${name}: ${accepted ? 'replaces' : 'refused with -32602, the first op kept'}`, async () => {
        await clear();
        const sender = await world().account();
        const first = await rulesOp(ctx.clients, world(), { sender, maxPriorityFeePerGas: PRIORITY, maxFeePerGas: MAX_FEE });
        assertOk(await send(first));
        const second = {
          ...first,
          callData: world().emitCall(2n),
          maxPriorityFeePerGas: bump(PRIORITY, bumpPriority),
          maxFeePerGas: bump(MAX_FEE, bumpMax),
        };
        const res = await send(second);
        if (accepted) assertOk(res, 'the replacement');
        else assertRpcError(res, E.invalidParams, /replace|underpriced|fee/i);
        const entries = await pool();
        assert.deepEqual(mempoolKeys(entries), [opKey(first)], 'one op of the sender');
        assert.equal(BigInt(entries[0].maxFeePerGas), accepted ? second.maxFeePerGas : first.maxFeePerGas);
        assert.equal(entries[0].callData, accepted ? second.callData : first.callData);
      });
    }
  });

  describe(`per-sender limits, EntryPoint v${version}`, () => {
    test(`UREP-010: an unstaked sender holds at most ${SAME_SENDER_MEMPOOL_COUNT} ops; sendBundleNow includes them`, async () => {
      await clear();
      const sender = await world().account();
      const ops = [];
      for (let i = 0; i <= SAME_SENDER_MEMPOOL_COUNT; i++) {
        ops.push(await rulesOp(ctx.clients, world(), { sender, nonce: BigInt(i) << 64n }));
      }
      const hashes = [];
      for (const op of ops.slice(0, SAME_SENDER_MEMPOOL_COUNT)) hashes.push(assertOk(await send(op)));
      const res = await send(ops[SAME_SENDER_MEMPOOL_COUNT]);
      assert.ok(res.error, `op ${SAME_SENDER_MEMPOOL_COUNT + 1} of an unstaked sender is refused`);
      assert.deepEqual(mempoolKeys(await pool()), ops.slice(0, SAME_SENDER_MEMPOOL_COUNT).map(opKey));

      assertOk(await debug.sendBundleNow(ctx.url), 'debug_bundler_sendBundleNow');
      const receipts = [];
      for (const h of hashes) receipts.push(await waitForOpReceipt(ctx.url, h));
      assert.ok(receipts.every((r) => r.success));
      assert.equal(new Set(receipts.map((r) => r.receipt.transactionHash)).size, 1, 'one bundle');
      assert.deepEqual(await pool(), []);
    });

    test('a staked sender is not held to that limit', async () => {
      await clear();
      const sender = await world().account({ staked: true });
      for (let i = 0; i <= SAME_SENDER_MEMPOOL_COUNT; i++) {
        assertOk(await send(await rulesOp(ctx.clients, world(), { sender, nonce: BigInt(i + 1) << 64n })), `op ${i + 1}`);
      }
      assert.equal((await pool()).length, SAME_SENDER_MEMPOOL_COUNT + 1);
    });

    test('sequential nonces of one key: queued and bundled in nonce order, or the gap refused with AA25', async () => {
      // The reference bundler validates each op against the chain, so nonce 1 behind a pending nonce 0 is
      // AA25; a bundler that queues dependent ops must bundle them in nonce order. Either is ERC-7769.
      await clear();
      const sender = await world().account();
      const ops = [];
      for (let i = 0; i < 3; i++) ops.push(await rulesOp(ctx.clients, world(), { sender, nonce: BigInt(i) }));
      const first = assertOk(await send(ops[0]));
      const second = await send(ops[1]);
      if (second.error) {
        assertRpcError(second, E.rejectedByEpOrAccount, 'AA25');
        assert.deepEqual(mempoolKeys(await pool()), [opKey(ops[0])]);
        assertOk(await debug.sendBundleNow(ctx.url));
        assert.equal((await waitForOpReceipt(ctx.url, first)).success, true);
        return;
      }
      const third = assertOk(await send(ops[2]));
      assert.deepEqual(mempoolKeys(await pool()), ops.map(opKey));
      assertOk(await debug.sendBundleNow(ctx.url));
      for (const [i, h] of [first, second.result, third].entries()) {
        const r = await waitForOpReceipt(ctx.url, h);
        assert.equal(r.success, true);
        assert.equal(BigInt(r.nonce), BigInt(i));
      }
      assert.deepEqual(await pool(), []);
    });
  });

  describe(`EREP-010 paymaster deposit, EntryPoint v${version}`, () => {
    test('the paymaster\'s deposit must cover all its pending ops: the one past it gets -32508', async () => {
      await clear();
      const paymaster = await world().paymaster({ deposit: 0n });
      const ops = [];
      for (let i = 0; i < 3; i++) {
        const sender = await world().account();
        ops.push(await rulesOp(ctx.clients, world(), { sender, paymaster, maxFeePerGas: MAX_FEE, maxPriorityFeePerGas: PRIORITY }));
      }
      const maxCost = (op) =>
        (op.callGasLimit + op.verificationGasLimit + op.preVerificationGas + op.paymasterVerificationGasLimit + op.paymasterPostOpGasLimit) *
        op.maxFeePerGas;
      const total = ops.reduce((s, op) => s + maxCost(op), 0n);
      await depositTo(ctx.clients, version, paymaster, total - 1n);
      assertOk(await send(ops[0]));
      assertOk(await send(ops[1]));
      assertRpcError(await send(ops[2]), E.paymasterDepositTooLow, /deposit|balance|low/i);
      assert.equal((await pool()).length, 2);
    });
  });
}
