// The ERC-7769 methods over plain JSON-RPC, checked for their exact shapes (the bundler-spec-tests' rpc
// group): eth_supportedEntryPoints, eth_sendUserOperation's hash (= EntryPoint.getUserOpHash),
// eth_estimateUserOperationGas with and without a state override, eth_getUserOperationByHash pending and
// mined, eth_getUserOperationReceipt, unknown and malformed hashes. Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEther, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ENTRY_POINTS, rpc } from '../lib/node.mjs';
import { VERSIONS, ruleSuite } from '../lib/rules.mjs';
import { E, assertOk, assertRpcError, debug, estimateOp, rpcOp, rulesOp, sendOp, waitForOpReceipt } from '../lib/scenario.mjs';
import { entryPointUserOpHash } from '../lib/userop.mjs';

const ctx = ruleSuite();
const QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/;
const HASH = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

test('eth_supportedEntryPoints: both EntryPoints, as addresses, on every chain', async () => {
  for (const chain of ctx.node.chains) {
    const eps = assertOk(await rpc(chain.url, 'eth_supportedEntryPoints', []));
    assert.ok(Array.isArray(eps));
    for (const e of eps) assert.match(e, ADDRESS);
    const lower = eps.map((e) => e.toLowerCase());
    assert.ok(lower.includes(ENTRY_POINTS['0.7'].toLowerCase()));
    assert.ok(lower.includes(ENTRY_POINTS['0.8'].toLowerCase()));
  }
});

test('unknown and malformed hashes', async () => {
  const unknown = `0x${'cd'.repeat(32)}`;
  assert.equal((await rpc(ctx.url, 'eth_getUserOperationByHash', [unknown])).result, null);
  assert.equal((await rpc(ctx.url, 'eth_getUserOperationReceipt', [unknown])).result, null);
  assertRpcError(await rpc(ctx.url, 'eth_getUserOperationByHash', ['0x1234']), E.invalidParams);
  assertRpcError(await rpc(ctx.url, 'eth_getUserOperationReceipt', ['not a hash']), E.invalidParams);
});

for (const version of VERSIONS) {
  const world = () => ctx.worlds[version];
  const ep = () => world().entryPoint;

  describe(`ERC-7769 shapes, EntryPoint v${version}`, () => {
    test('eth_estimateUserOperationGas: hex quantities for every gas field', async () => {
      const op = await rulesOp(ctx.clients, world(), { sender: await world().account() });
      const gas = assertOk(await estimateOp(ctx.url, op, ep()));
      for (const k of ['preVerificationGas', 'verificationGasLimit', 'callGasLimit']) assert.match(gas[k], QUANTITY, k);
      for (const k of ['paymasterVerificationGasLimit', 'paymasterPostOpGasLimit']) {
        if (gas[k] !== undefined && gas[k] !== null) assert.match(gas[k], QUANTITY, k);
      }
    });

    test('eth_estimateUserOperationGas with a state override: a sender whose code exists only in the override', async () => {
      // A fresh address gets a RulesAccount's code (its immutables name this EntryPoint) and a balance.
      const code = await ctx.clients.publicClient.getCode({ address: await world().account({ deposit: 0n }) });
      const sender = privateKeyToAccount(generatePrivateKey()).address;
      const op = await rulesOp(ctx.clients, world(), { sender });
      assertRpcError(await estimateOp(ctx.url, op, ep()), E.rejectedByEpOrAccount, /AA20|AA2/);
      const override = { [sender]: { code, balance: toHex(parseEther('10')) } };
      const gas = assertOk(await rpc(ctx.url, 'eth_estimateUserOperationGas', [rpcOp(op), ep(), override]), 'estimation with the override');
      assert.match(gas.verificationGasLimit, QUANTITY);
      assert.match(gas.callGasLimit, QUANTITY);
      assert.equal(await ctx.clients.publicClient.getCode({ address: sender }), undefined, 'the override changed no state');
    });

    test('eth_sendUserOperation answers the EntryPoint\'s getUserOpHash; the op by hash, pending then mined; its receipt', async () => {
      assertOk(await debug.setBundlingMode(ctx.url, 'manual'));
      try {
        const sender = await world().account();
        const op = await rulesOp(ctx.clients, world(), { sender });
        const hash = assertOk(await sendOp(ctx.url, op, ep()));
        assert.match(hash, HASH);
        assert.equal(hash, await entryPointUserOpHash({ publicClient: ctx.clients.publicClient, version, op }));

        const pending = assertOk(await rpc(ctx.url, 'eth_getUserOperationByHash', [hash]));
        assert.equal(pending.entryPoint.toLowerCase(), ep().toLowerCase());
        assert.equal(pending.transactionHash ?? null, null);
        assert.equal(pending.blockNumber ?? null, null);
        assert.equal(pending.userOperation.sender.toLowerCase(), sender.toLowerCase());
        assert.equal((await rpc(ctx.url, 'eth_getUserOperationReceipt', [hash])).result, null, 'no receipt while pending');

        assertOk(await debug.sendBundleNow(ctx.url));
        const receipt = await waitForOpReceipt(ctx.url, hash);
        assert.equal(receipt.userOpHash, hash);
        assert.equal(receipt.entryPoint.toLowerCase(), ep().toLowerCase());
        assert.equal(receipt.sender.toLowerCase(), sender.toLowerCase());
        assert.match(receipt.nonce, QUANTITY);
        assert.match(receipt.actualGasCost, QUANTITY);
        assert.match(receipt.actualGasUsed, QUANTITY);
        assert.equal(receipt.success, true);
        assert.ok(Array.isArray(receipt.logs));
        assert.ok(receipt.logs.some((l) => l.address.toLowerCase() === world().target.toLowerCase()), 'the emitter\'s log');
        assert.match(receipt.receipt.transactionHash, HASH);
        assert.match(receipt.receipt.blockHash, HASH);
        assert.ok(Array.isArray(receipt.receipt.logs));
        assert.ok(receipt.receipt.logs.length > receipt.logs.length, 'the bundle has the EntryPoint\'s events besides');

        const mined = assertOk(await rpc(ctx.url, 'eth_getUserOperationByHash', [hash]));
        assert.equal(mined.transactionHash, receipt.receipt.transactionHash);
        assert.equal(mined.blockHash, receipt.receipt.blockHash);
        assert.match(mined.blockNumber, QUANTITY);
        const u = mined.userOperation;
        for (const k of ['nonce', 'callGasLimit', 'verificationGasLimit', 'preVerificationGas', 'maxFeePerGas', 'maxPriorityFeePerGas']) {
          assert.match(u[k], QUANTITY, k);
        }
        assert.equal(u.callData, op.callData);
        assert.equal(u.signature, op.signature);
      } finally {
        assertOk(await debug.setBundlingMode(ctx.url, 'auto'));
      }
    });

    test('automine: an accepted op is in a block by the time a client polls for it', async () => {
      const sender = await world().account();
      const hash = assertOk(await sendOp(ctx.url, await rulesOp(ctx.clients, world(), { sender }), ep()));
      const receipt = await waitForOpReceipt(ctx.url, hash, { timeoutMs: 10_000 });
      assert.equal(receipt.success, true);
    });
  });
}
