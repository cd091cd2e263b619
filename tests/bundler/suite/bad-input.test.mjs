// Bad input to eth_sendUserOperation / eth_estimateUserOperationGas, each answered with a clear
// ERC-7769 error and the node unharmed: malformed ops, oversize ops, gas fields out of bounds, an unknown
// EntryPoint, senders that are not accounts, paymasters and factories that are not contracts or have
// no deposit. Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEther, toHex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { devAccount, rpc, rpcBody } from '../lib/node.mjs';
import { VERSIONS, ruleSuite } from '../lib/rules.mjs';
import { E, assertOk, assertRpcError, rpcOp, rulesOp, sendOp } from '../lib/scenario.mjs';

const ctx = ruleSuite();

for (const version of VERSIONS) {
  const world = () => ctx.worlds[version];
  const ep = () => world().entryPoint;
  const send = (op) => sendOp(ctx.url, op, ep());
  const sendRaw = (rawOp, entryPoint = ep()) => rpc(ctx.url, 'eth_sendUserOperation', [rawOp, entryPoint]);
  const goodRaw = async () => rpcOp(await rulesOp(ctx.clients, world(), { sender: await world().account() }));

  describe(`malformed ops, EntryPoint v${version}`, () => {
    test('a missing field (callData): -32602 naming it', async () => {
      const op = await goodRaw();
      delete op.callData;
      assertRpcError(await sendRaw(op), E.invalidParams, /callData/i);
    });
    test('a missing sender: -32602', async () => {
      const op = await goodRaw();
      delete op.sender;
      assertRpcError(await sendRaw(op), E.invalidParams, /sender/i);
    });
    test('a quantity that is not hex: -32602', async () => {
      const op = await goodRaw();
      op.nonce = 'twelve';
      assertRpcError(await sendRaw(op), E.invalidParams, /nonce/i);
    });
    test('a sender that is not 20 bytes: -32602', async () => {
      const op = await goodRaw();
      op.sender = '0x1234';
      assertRpcError(await sendRaw(op), E.invalidParams, /sender|address/i);
    });
    test('bytes of odd length: -32602', async () => {
      const op = await goodRaw();
      op.callData = '0x123';
      assertRpcError(await sendRaw(op), E.invalidParams);
    });
    test('a quantity above 2^256: -32602', async () => {
      const op = await goodRaw();
      op.maxFeePerGas = `0x1${'0'.repeat(64)}`;
      assertRpcError(await sendRaw(op), E.invalidParams);
    });
    test('the op not an object, no EntryPoint, too many params: -32602', async () => {
      assertRpcError(await rpc(ctx.url, 'eth_sendUserOperation', ['0x1234', ep()]), E.invalidParams);
      assertRpcError(await rpc(ctx.url, 'eth_sendUserOperation', [await goodRaw()]), E.invalidParams);
      assertRpcError(await rpc(ctx.url, 'eth_sendUserOperation', []), E.invalidParams);
    });
    test('factoryData without a factory, paymaster fields without a paymaster: -32602', async () => {
      const op = await goodRaw();
      op.factoryData = '0x1234';
      assertRpcError(await sendRaw(op), E.invalidParams, /factory/i);
      const op2 = await goodRaw();
      op2.paymasterData = '0x1234';
      op2.paymasterVerificationGasLimit = '0x1000';
      assertRpcError(await sendRaw(op2), E.invalidParams, /paymaster/i);
    });
  });

  describe(`limits, EntryPoint v${version}`, () => {
    test('an oversize op (a 64 KiB signature): -32602 naming the size', async () => {
      const op = await goodRaw();
      op.signature = toHex(new Uint8Array(64 * 1024).fill(0x61));
      assertRpcError(await sendRaw(op), E.invalidParams, /size|large|bytes|MAX_USEROP/i);
    });
    test('verificationGasLimit above MAX_VERIFICATION_GAS: -32602', async () => {
      const op = await rulesOp(ctx.clients, world(), { sender: await world().account(), verificationGasLimit: 20_000_000n });
      assertRpcError(await send(op), E.invalidParams, /verification/i);
    });
    test('preVerificationGas below the calldata cost: -32602 naming it', async () => {
      const op = await rulesOp(ctx.clients, world(), { sender: await world().account(), preVerificationGas: 1_000n });
      assertRpcError(await send(op), E.invalidParams, /preVerificationGas/i);
    });
    test('a zero maxFeePerGas: refused', async () => {
      const op = await rulesOp(ctx.clients, world(), { sender: await world().account(), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
      const res = await send(op);
      assert.ok(res.error, 'refused');
      assert.ok([E.invalidParams, E.rejectedByEpOrAccount].includes(res.error.code), JSON.stringify(res.error));
    });
  });

  describe(`entities that are not what they claim, EntryPoint v${version}`, () => {
    test('an unknown EntryPoint: -32602 naming the supported ones', async () => {
      const op = await goodRaw();
      const res = await sendRaw(op, '0x000000000000000000000000000000000000dEaD');
      assertRpcError(res, E.invalidParams, /entry ?point/i);
      const est = await rpc(ctx.url, 'eth_estimateUserOperationGas', [op, '0x000000000000000000000000000000000000dEaD']);
      assertRpcError(est, E.invalidParams, /entry ?point/i);
    });
    test('a sender without code and no factory: -32500 with AA20', async () => {
      const op = await rulesOp(ctx.clients, world(), { sender: privateKeyToAccount(generatePrivateKey()).address });
      assertRpcError(await send(op), E.rejectedByEpOrAccount, 'AA20');
    });
    test('a sender that is a contract but not an account: -32500 with AA23', async () => {
      const op = await rulesOp(ctx.clients, world(), { sender: world().target });
      assertRpcError(await send(op), E.rejectedByEpOrAccount, /AA23|AA2/);
    });
    test('a dev account (an EOA) as sender: -32500', async () => {
      const op = await rulesOp(ctx.clients, world(), { sender: devAccount(3).address });
      assertRpcError(await send(op), E.rejectedByEpOrAccount, /AA20|AA2/);
    });
    test('a paymaster without code: -32501 with AA30', async () => {
      const op = await rulesOp(ctx.clients, world(), {
        sender: await world().account(),
        paymaster: privateKeyToAccount(generatePrivateKey()).address,
      });
      assertRpcError(await send(op), E.rejectedByPaymaster, 'AA30');
    });
    test('a factory without code: -32500 with AA13', async () => {
      const op = await rulesOp(ctx.clients, world(), {
        sender: privateKeyToAccount(generatePrivateKey()).address,
        factory: privateKeyToAccount(generatePrivateKey()).address,
        factoryData: '0x12345678',
      });
      assertRpcError(await send(op), E.rejectedByEpOrAccount, /AA13|AA1/);
    });
    test('a factory that creates another address than the sender: -32500 with AA14', async () => {
      const factory = await world().factory();
      const u = await world().undeployed(factory, 555, 'ok');
      const op = await rulesOp(ctx.clients, world(), { ...u, sender: await world().account() });
      assertRpcError(await send(op), E.rejectedByEpOrAccount, /AA10|AA14/);
    });
  });

  describe(`the node unharmed, EntryPoint v${version}`, () => {
    test('after all that: blocks, plain transactions and a good op still go through', async () => {
      assert.match((await rpc(ctx.url, 'eth_blockNumber')).result, /^0x/);
      const hash = await ctx.clients.wallet(2).sendTransaction({ to: devAccount(4).address, value: parseEther('0.001') });
      assert.equal((await ctx.clients.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
      assertOk(await send(await rulesOp(ctx.clients, world(), { sender: await world().account() })));
    });
    test('a body that is not JSON, and a batch mixing good and bad ops, get JSON-RPC answers', async () => {
      const junk = await rpcBody(ctx.url, '{"jsonrpc":"2.0","method":"eth_sendUserOperation","params":[{');
      assert.equal(junk.error?.code, -32700);
      const good = await goodRaw();
      const bad = { ...good, sender: '0x12' };
      const answers = await rpcBody(ctx.url, [
        { jsonrpc: '2.0', id: 1, method: 'eth_sendUserOperation', params: [bad, ep()] },
        { jsonrpc: '2.0', id: 2, method: 'eth_sendUserOperation', params: [good, ep()] },
      ]);
      assert.ok(Array.isArray(answers));
      const byId = Object.fromEntries(answers.map((a) => [a.id, a]));
      assert.equal(byId[1].error?.code, E.invalidParams);
      assert.match(byId[2].result ?? '', /^0x[0-9a-f]{64}$/i, JSON.stringify(byId[2]));
    });
  });
}
