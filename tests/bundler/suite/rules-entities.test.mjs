// What the entities return and what they can pay, on both EntryPoints: paymaster context (EREP-050),
// deposits (-32501 without one), the EntryPoint's AAxx errors (-32500 account, -32501 paymaster),
// signature failures (-32507), time ranges (-32503), ops that would revert in execution (-32521), and
// the stake status the bundler reads from the EntryPoint (SREP-010). Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEther } from 'viem';
import { ENTITY, VERSIONS, opWithRule, ruleSuite } from '../lib/rules.mjs';
import {
  E,
  STAKE_WEI,
  UNSTAKE_DELAY_SEC,
  abiOf,
  assertNeedsStake,
  assertOk,
  assertRpcError,
  debug,
  estimateOp,
  rulesOp,
  send as sendTx,
  sendOp,
  waitForOpReceipt,
} from '../lib/scenario.mjs';

const ctx = ruleSuite();

for (const version of VERSIONS) {
  const ep = () => ctx.worlds[version].entryPoint;
  const send = (op) => sendOp(ctx.url, op, ep());
  const world = () => ctx.worlds[version];

  describe(`paymaster context and deposit, EntryPoint v${version}`, () => {
    test('EREP-050: an unstaked paymaster that returns a context is refused', async () => {
      const res = await send(await opWithRule(ctx, version, 'paymaster', 'context'));
      assertNeedsStake(res, ENTITY.paymaster, 'EREP-050');
    });
    test('a staked paymaster may return a context', async () => {
      assertOk(await send(await opWithRule(ctx, version, 'paymaster', 'context', { staked: true })));
    });
    test('an unstaked paymaster with a huge context is refused, the node unharmed', async () => {
      const res = await send(await opWithRule(ctx, version, 'paymaster', 'context_huge'));
      assert.ok(res.error, 'refused');
      assert.ok([E.bannedOpcode, E.stakeTooLow, E.rejectedByPaymaster, E.rejectedByEpOrAccount].includes(res.error.code), JSON.stringify(res.error));
      assertOk(await send(await opWithRule(ctx, version, 'paymaster', 'nothing')), 'the next op');
    });
    test('a paymaster without a deposit: -32501 (rejected by the paymaster) or -32508 (deposit too low), with AA31', async () => {
      const sender = await world().account();
      const paymaster = await world().paymaster({ deposit: 0n });
      const res = await send(await rulesOp(ctx.clients, world(), { sender, paymaster }));
      assertRpcError(res, [E.rejectedByPaymaster, E.paymasterDepositTooLow], 'AA31');
    });
    test('a paymaster whose validation reverts: -32501 with AA33', async () => {
      const res = await send(await opWithRule(ctx, version, 'paymaster', 'revert'));
      assertRpcError(res, E.rejectedByPaymaster, 'AA33');
    });
  });

  describe(`account and signature errors, EntryPoint v${version}`, () => {
    test('an account whose validation reverts: -32500 with AA23 and its reason', async () => {
      const res = await send(await opWithRule(ctx, version, 'account', 'revert'));
      assertRpcError(res, E.rejectedByEpOrAccount, 'AA23');
    });
    test('an account without deposit or balance: -32500 with AA21', async () => {
      const sender = await world().account({ deposit: 0n });
      const res = await send(await rulesOp(ctx.clients, world(), { sender }));
      assertRpcError(res, E.rejectedByEpOrAccount, 'AA21');
    });
    test('a wrong nonce: -32500 with AA25', async () => {
      const sender = await world().account();
      const res = await send(await rulesOp(ctx.clients, world(), { sender, nonce: 5n }));
      assertRpcError(res, E.rejectedByEpOrAccount, 'AA25');
    });
    test('a factory whose sender is already deployed: -32500 with AA10', async () => {
      const factory = await world().factory();
      const u = await world().undeployed(factory, 9001, 'ok');
      const first = await rulesOp(ctx.clients, world(), { ...u });
      await waitForOpReceipt(ctx.url, assertOk(await send(first)));
      assert.ok(await ctx.clients.publicClient.getCode({ address: u.sender }), 'the first op deployed the sender');
      const res = await send(await rulesOp(ctx.clients, world(), { ...u, nonce: 1n }));
      assertRpcError(res, E.rejectedByEpOrAccount, 'AA10');
    });
    test('the account reports a signature failure: -32507', async () => {
      const res = await send(await opWithRule(ctx, version, 'account', 'sig_fail'));
      assertRpcError(res, E.invalidSignature);
    });
    test('the paymaster reports a signature failure: -32507', async () => {
      const res = await send(await opWithRule(ctx, version, 'paymaster', 'sig_fail'));
      assertRpcError(res, E.invalidSignature);
    });
  });

  describe(`time ranges, EntryPoint v${version}`, () => {
    test('validUntil in the past: -32503 (or the EntryPoint\'s AA22 as -32500)', async () => {
      const res = await send(await opWithRule(ctx, version, 'account', 'expired'));
      const err = assertRpcError(res, [E.timeRange, E.rejectedByEpOrAccount]);
      if (err.code === E.rejectedByEpOrAccount) assert.match(err.message, /AA22/);
    });
    test('validUntil a few seconds ahead: -32503 naming validUntil', async () => {
      const sender = await world().account();
      const now = Number((await ctx.clients.publicClient.getBlock()).timestamp);
      await sendTx(ctx.clients, { address: sender, abi: abiOf('RulesAccount'), functionName: 'setWindow', args: [0, now + 3] });
      const res = await send(await rulesOp(ctx.clients, world(), { sender, rule: 'window' }));
      assertRpcError(res, E.timeRange, /validUntil|expire/i);
    });
    test('a window an hour long is accepted', async () => {
      const sender = await world().account();
      const now = Number((await ctx.clients.publicClient.getBlock()).timestamp);
      await sendTx(ctx.clients, { address: sender, abi: abiOf('RulesAccount'), functionName: 'setWindow', args: [0, now + 3600] });
      assertOk(await send(await rulesOp(ctx.clients, world(), { sender, rule: 'window' })));
    });
    test('a paymaster window already over: -32503 (or AA32 as -32501)', async () => {
      const res = await send(await opWithRule(ctx, version, 'paymaster', 'expired'));
      const err = assertRpcError(res, [E.timeRange, E.rejectedByPaymaster]);
      if (err.code === E.rejectedByPaymaster) assert.match(err.message, /AA32/);
    });
  });

  describe(`execution, EntryPoint v${version}`, () => {
    test('eth_estimateUserOperationGas of an op whose call reverts: -32521 with the revert data', async () => {
      const sender = await world().account();
      const op = await rulesOp(ctx.clients, world(), { sender, callData: world().revertCall() });
      const res = await estimateOp(ctx.url, op, ep());
      assertRpcError(res, E.executionReverted);
      assert.match(JSON.stringify(res.error), /RulesTarget: always reverts|0x08c379a0|revert/i);
    });
    test('eth_estimateUserOperationGas of a valid op answers gas the op then succeeds with', async () => {
      const sender = await world().account();
      const op = await rulesOp(ctx.clients, world(), { sender });
      const gas = assertOk(await estimateOp(ctx.url, op, ep()));
      for (const k of ['preVerificationGas', 'verificationGasLimit', 'callGasLimit']) assert.ok(BigInt(gas[k]) > 0n, k);
      const hash = assertOk(
        await send({
          ...op,
          preVerificationGas: BigInt(gas.preVerificationGas),
          verificationGasLimit: BigInt(gas.verificationGasLimit),
          callGasLimit: BigInt(gas.callGasLimit),
        }),
      );
      assert.match(hash, /^0x[0-9a-f]{64}$/i);
    });
  });

  describe(`stake status (SREP-010), EntryPoint v${version}`, () => {
    test('debug_bundler_getStakeStatus reads stake and delay from the EntryPoint', async () => {
      const unstaked = await world().paymaster();
      let status = await debug.getStakeStatus(ctx.url, unstaked, ep());
      assert.equal(status.stakeInfo.addr.toLowerCase(), unstaked.toLowerCase());
      assert.equal(BigInt(status.stakeInfo.stake), 0n);
      assert.equal(BigInt(status.stakeInfo.unstakeDelaySec), 0n);
      assert.equal(status.isStaked, false);
      const staked = await world().paymaster({ staked: true });
      status = await debug.getStakeStatus(ctx.url, staked, ep());
      assert.equal(BigInt(status.stakeInfo.stake), STAKE_WEI);
      assert.equal(BigInt(status.stakeInfo.unstakeDelaySec), BigInt(UNSTAKE_DELAY_SEC));
      assert.equal(status.isStaked, true);
    });
    test('a stake below the minimum does not count as staked', async () => {
      const paymaster = await world().paymaster();
      await sendTx(ctx.clients, { address: paymaster, abi: abiOf('RulesPaymaster'), functionName: 'addStake', args: [1], value: parseEther('0.001') });
      const status = await debug.getStakeStatus(ctx.url, paymaster, ep());
      assert.equal(status.isStaked, false);
    });
  });
}
