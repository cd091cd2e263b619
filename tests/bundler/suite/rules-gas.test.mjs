// preVerificationGas and EIP-7623, on both EntryPoints: the estimate grows with the op's calldata at
// least by its calldata price, an op sent with the estimate is accepted and half of it refused (-32602
// naming preVerificationGas), and with large calldata (where EIP-7623's floor price rules) the bundler
// is paid at least the gas its handleOps transaction used. Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatHex } from 'viem';
import { VERSIONS, ruleSuite } from '../lib/rules.mjs';
import { E, assertOk, assertRpcError, estimateOp, rulesOp, sendOp, waitForOpReceipt } from '../lib/scenario.mjs';

const ctx = ruleSuite();
const NONZERO_CALLDATA_GAS = 16n;

for (const version of VERSIONS) {
  const world = () => ctx.worlds[version];
  const ep = () => world().entryPoint;
  // execute(target, 0, emitEvent(1)) with `extra` nonzero bytes after the ABI data (ignored by the decoder).
  const opWithCalldata = async (extra) => {
    const sender = await world().account();
    return rulesOp(ctx.clients, world(), { sender, callData: concatHex([world().emitCall(), `0x${'ff'.repeat(extra)}`]) });
  };
  const estimatedOp = async (op) => {
    const gas = assertOk(await estimateOp(ctx.url, op, ep()), 'eth_estimateUserOperationGas');
    return {
      ...op,
      preVerificationGas: BigInt(gas.preVerificationGas),
      verificationGasLimit: BigInt(gas.verificationGasLimit),
      callGasLimit: BigInt(gas.callGasLimit),
    };
  };

  describe(`preVerificationGas, EntryPoint v${version}`, () => {
    test('grows with calldata by at least 16 gas per nonzero byte', async () => {
      const pvg = {};
      for (const n of [0, 1000, 4000]) pvg[n] = (await estimatedOp(await opWithCalldata(n))).preVerificationGas;
      assert.ok(pvg[1000] - pvg[0] >= 1000n * NONZERO_CALLDATA_GAS, `1000 bytes add ${pvg[1000] - pvg[0]}`);
      assert.ok(pvg[4000] - pvg[0] >= 4000n * NONZERO_CALLDATA_GAS, `4000 bytes add ${pvg[4000] - pvg[0]}`);
    });

    test('the estimate is accepted; half of its preVerificationGas is refused naming it', async () => {
      const op = await estimatedOp(await opWithCalldata(2000));
      const low = { ...op, preVerificationGas: op.preVerificationGas / 2n };
      assertRpcError(await sendOp(ctx.url, low, ep()), E.invalidParams, /preVerificationGas/i);
      const hash = assertOk(await sendOp(ctx.url, op, ep()));
      assert.equal((await waitForOpReceipt(ctx.url, hash)).success, true);
    });

    for (const n of [0, 7000]) {
      test(`EIP-7623: with ${n} calldata bytes the op pays at least the bundle transaction's gas`, async () => {
        const op = await estimatedOp(await opWithCalldata(n));
        const hash = assertOk(await sendOp(ctx.url, op, ep()));
        const receipt = await waitForOpReceipt(ctx.url, hash);
        assert.equal(receipt.success, true);
        const bundle = await ctx.clients.publicClient.getTransactionReceipt({ hash: receipt.receipt.transactionHash });
        const opsInBundle = bundle.logs.filter((l) => l.address.toLowerCase() === ep().toLowerCase() && l.topics.length === 4).length;
        assert.equal(opsInBundle, 1, 'automine bundles the op alone');
        assert.ok(
          BigInt(receipt.actualGasUsed) >= bundle.gasUsed,
          `the op paid for ${BigInt(receipt.actualGasUsed)} gas, the bundle used ${bundle.gasUsed}`,
        );
      });
    }
  });
}
