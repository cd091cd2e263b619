// viem's bundler client against krnld's built-in bundler, with our account (toKrnlAccount) on both
// EntryPoints: estimation, the first op deploying through the factory, an op on the deployed account,
// a batch, the op by hash, its receipt (its own logs and the bundle's receipt), the supported
// EntryPoints, and the bundler on every chain's port. Needs the bundler (-32601 without it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeFunctionData, getAddress, parseEther, parseEventLogs, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { getUserOperationHash } from 'viem/account-abstraction';
import { toKrnlAccount } from '../lib/krnl-account.mjs';
import { ENTRY_POINTS, clientsFor, fund, startDevNode } from '../lib/node.mjs';
import { abiOf, deploy } from '../lib/scenario.mjs';
import { entryPointAbi } from '../lib/userop.mjs';

let node;
let clients;
let emitter; // a RulesTarget: emitEvent(uint256) logs Emitted(msg.sender, value)
before(async () => {
  node = await startDevNode();
  clients = clientsFor(node.chains[0]);
  emitter = await deploy(clients, 'RulesTarget');
});
after(async () => node?.stop());

const emitCall = (value) => ({
  to: emitter,
  data: encodeFunctionData({ abi: abiOf('RulesTarget'), functionName: 'emitEvent', args: [value] }),
});
const sameAddress = (a, b) => a.toLowerCase() === b.toLowerCase();

test('eth_supportedEntryPoints lists both EntryPoints, on every chain\'s port', async () => {
  for (const chain of node.chains) {
    const bundler = clientsFor(chain).bundlerClient();
    const eps = await bundler.getSupportedEntryPoints();
    assert.ok(Array.isArray(eps));
    for (const v of ['0.7', '0.8']) assert.ok(eps.some((e) => sameAddress(e, ENTRY_POINTS[v])), `chain ${chain.chainId} lacks v${v}`);
    assert.equal(await bundler.getChainId(), chain.chainId);
  }
});

for (const version of ['0.7', '0.8']) {
  describe(`viem bundler client, krnl account, EntryPoint v${version}`, () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    let account;
    let bundler;

    before(async () => {
      account = await toKrnlAccount({ client: clients.publicClient, owner, entryPointVersion: version });
      bundler = clients.bundlerClient({ account });
      await fund(clients, account.address, parseEther('1'));
    });

    test('sendUserOperation with every gas field given (no estimation): deployed, receipt', async () => {
      const other = await toKrnlAccount({ client: clients.publicClient, owner: privateKeyToAccount(generatePrivateKey()), entryPointVersion: version });
      await fund(clients, other.address, parseEther('1'));
      const otherBundler = clients.bundlerClient({ account: other });
      const to = privateKeyToAccount(generatePrivateKey()).address;
      const hash = await otherBundler.sendUserOperation({
        calls: [{ to, value: 5n }],
        callGasLimit: 100_000n,
        verificationGasLimit: 400_000n,
        preVerificationGas: 100_000n,
      });
      const receipt = await otherBundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(receipt.userOpHash, hash);
      assert.equal(getAddress(receipt.sender), other.address);
      assert.equal(await clients.publicClient.getBalance({ address: to }), 5n);
      assert.equal(await other.isDeployed(), true);
    });

    test('estimateUserOperationGas for the first op (with the factory) answers every gas field', async () => {
      const gas = await bundler.estimateUserOperationGas({ calls: [{ to: recipient, value: 1n }] });
      for (const k of ['preVerificationGas', 'verificationGasLimit', 'callGasLimit']) {
        assert.equal(typeof gas[k], 'bigint', k);
        assert.ok(gas[k] > 0n, `${k} > 0`);
      }
      // Deploying the account costs more verification gas than validating it: the estimate must cover it.
      assert.ok(gas.verificationGasLimit > 50_000n, `verificationGasLimit ${gas.verificationGasLimit} covers creation`);
      assert.equal(await account.isDeployed(), false, 'estimation changes no state');
    });

    test('first op: deployed by the factory, sends ETH, receipt and op by hash', async () => {
      const prepared = await bundler.prepareUserOperation({ calls: [{ to: recipient, value: parseEther('0.1') }, emitCall(7n)] });
      assert.equal(prepared.factory, account.factory.address);
      prepared.signature = await account.signUserOperation(prepared);
      const hash = await bundler.sendUserOperation(prepared);
      assert.equal(
        hash,
        getUserOperationHash({ userOperation: prepared, entryPointAddress: ENTRY_POINTS[version], entryPointVersion: version, chainId: clients.chain.id }),
      );
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(receipt.userOpHash, hash);
      assert.equal(getAddress(receipt.sender), account.address);
      assert.ok(sameAddress(receipt.entryPoint, ENTRY_POINTS[version]));
      assert.equal(receipt.nonce, 0n);
      assert.ok(!receipt.paymaster || receipt.paymaster === zeroAddress, 'no paymaster (absent, or the zero address as the EntryPoint logs it)');
      assert.ok(receipt.actualGasCost > 0n && receipt.actualGasUsed > 0n);

      // The op's own logs: the emitter's event, and none of the EntryPoint's bookkeeping events.
      const emitted = parseEventLogs({ abi: abiOf('RulesTarget'), logs: receipt.logs, eventName: 'Emitted' });
      assert.equal(emitted.length, 1);
      assert.equal(getAddress(emitted[0].args.from), account.address);
      assert.equal(emitted[0].args.value, 7n);
      assert.equal(
        parseEventLogs({ abi: entryPointAbi(version), logs: receipt.logs, eventName: 'UserOperationEvent' }).length,
        0,
        'the op\'s logs exclude its UserOperationEvent',
      );

      // The bundle's receipt is the chain's receipt of the handleOps transaction.
      const chainReceipt = await clients.publicClient.getTransactionReceipt({ hash: receipt.receipt.transactionHash });
      assert.equal(receipt.receipt.blockHash, chainReceipt.blockHash);
      assert.equal(receipt.receipt.blockNumber, chainReceipt.blockNumber);
      assert.ok(sameAddress(chainReceipt.to, ENTRY_POINTS[version]), 'the bundle calls the EntryPoint');
      const events = parseEventLogs({ abi: entryPointAbi(version), logs: chainReceipt.logs, eventName: 'UserOperationEvent' });
      assert.ok(events.some((e) => e.args.userOpHash === hash && e.args.success));
      assert.ok(
        parseEventLogs({ abi: entryPointAbi(version), logs: chainReceipt.logs, eventName: 'AccountDeployed' }).some(
          (e) => getAddress(e.args.sender) === account.address,
        ),
      );

      assert.equal(await clients.publicClient.getBalance({ address: recipient }), parseEther('0.1'));
      assert.equal(await account.isDeployed(), true);

      const byHash = await bundler.getUserOperation({ hash });
      assert.ok(sameAddress(byHash.entryPoint, ENTRY_POINTS[version]));
      assert.equal(byHash.transactionHash, receipt.receipt.transactionHash);
      assert.equal(byHash.blockHash, receipt.receipt.blockHash);
      assert.equal(byHash.blockNumber, receipt.receipt.blockNumber);
      assert.equal(getAddress(byHash.userOperation.sender), account.address);
      assert.equal(byHash.userOperation.nonce, 0n);
      assert.equal(byHash.userOperation.callData, prepared.callData);
      assert.equal(byHash.userOperation.signature, prepared.signature);
      assert.ok(sameAddress(byHash.userOperation.factory, account.factory.address));

      const again = await bundler.getUserOperationReceipt({ hash });
      assert.equal(again.userOpHash, hash);
      assert.equal(again.receipt.transactionHash, receipt.receipt.transactionHash);
    });

    test('second op on the deployed account: no factory, next nonce', async () => {
      const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: parseEther('0.01') }] });
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(receipt.nonce, 1n);
      const op = await bundler.getUserOperation({ hash });
      assert.equal(op.userOperation.factory ?? null, null);
      assert.equal(await clients.publicClient.getBalance({ address: recipient }), parseEther('0.11'));
    });

    test('a batch of calls in one op: every call runs, logs in call order', async () => {
      const recipient2 = privateKeyToAccount(generatePrivateKey()).address;
      const hash = await bundler.sendUserOperation({
        calls: [emitCall(1n), { to: recipient2, value: 5n }, emitCall(2n), emitCall(3n)],
      });
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      const values = parseEventLogs({ abi: abiOf('RulesTarget'), logs: receipt.logs, eventName: 'Emitted' }).map((e) => e.args.value);
      assert.deepEqual(values, [1n, 2n, 3n]);
      assert.equal(await clients.publicClient.getBalance({ address: recipient2 }), 5n);
    });

    test('an op the account cannot pay for is refused with AA21 (-32500)', async () => {
      const poor = await toKrnlAccount({ client: clients.publicClient, owner: privateKeyToAccount(generatePrivateKey()), entryPointVersion: version });
      const poorBundler = clients.bundlerClient({ account: poor });
      await assert.rejects(
        poorBundler.sendUserOperation({
          calls: [{ to: recipient, value: 0n }],
          callGasLimit: 100_000n,
          verificationGasLimit: 400_000n,
          preVerificationGas: 100_000n,
        }),
        (e) => {
          const text = `${e.details ?? ''} ${e.message}`;
          assert.match(text, /AA21/, text);
          let c = e;
          while (c && c.code === undefined) c = c.cause;
          assert.equal(c?.code, -32500, text);
          return true;
        },
      );
    });

    test('unknown hashes: getUserOperation and getUserOperationReceipt find nothing', async () => {
      const unknown = `0x${'ab'.repeat(32)}`;
      await assert.rejects(bundler.getUserOperation({ hash: unknown }), /UserOperationNotFound|not be found|not found/i);
      await assert.rejects(bundler.getUserOperationReceipt({ hash: unknown }), /UserOperationReceiptNotFound|not be found|not found/i);
    });
  });
}

test('the bundler serves the other chains too: an op on chain 31339 (v0.7)', async () => {
  const chain = node.chains[2];
  const c = clientsFor(chain);
  const account = await toKrnlAccount({ client: c.publicClient, owner: privateKeyToAccount(generatePrivateKey()), entryPointVersion: '0.7' });
  await fund(c, account.address, parseEther('1'));
  const bundler = c.bundlerClient({ account });
  const to = privateKeyToAccount(generatePrivateKey()).address;
  const hash = await bundler.sendUserOperation({ calls: [{ to, value: 3n }] });
  const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
  assert.equal(receipt.success, true);
  assert.equal(await c.publicClient.getBalance({ address: to }), 3n);
  // ... and not on the home chain: the op's hash binds chain 31339.
  assert.equal(await clients.bundlerClient().getUserOperationReceipt({ hash }).catch(() => null), null);
});
