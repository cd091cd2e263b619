// permissionless (npm, unchanged) against krnld's built-in bundler: toSimpleSmartAccount, whose
// factories must be at their canonical addresses (krnld predeploys them at genesis), and
// createSmartAccountClient, on both EntryPoints. Needs the bundler and the SimpleAccountFactories.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeFunctionData, getAddress, http, parseEther, parseEventLogs } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSmartAccountClient } from 'permissionless';
import { toSimpleSmartAccount } from 'permissionless/accounts';
import { ENTRY_POINTS, clientsFor, fund, startDevNode } from '../lib/node.mjs';
import { abiOf, deploy } from '../lib/scenario.mjs';

/** The canonical SimpleAccountFactory deployments (eth-infinitism, the addresses permissionless defaults to). */
export const SIMPLE_ACCOUNT_FACTORY = {
  '0.7': '0x91E60e0613810449d098b0b5Ec8b51A0FE8c8985',
  '0.8': '0x13E9ed32155810FDbd067D4522C492D6f68E5944',
};

let node;
let clients;
let emitter;
before(async () => {
  node = await startDevNode();
  clients = clientsFor(node.chains[0]);
  emitter = await deploy(clients, 'RulesTarget');
});
after(async () => node?.stop());

for (const version of ['0.7', '0.8']) {
  describe(`permissionless SimpleAccount, EntryPoint v${version}`, () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    let account;
    let smartClient;

    test('the canonical SimpleAccountFactory is predeployed and bound to this EntryPoint', async () => {
      const factory = SIMPLE_ACCOUNT_FACTORY[version];
      const code = await clients.publicClient.getCode({ address: factory });
      assert.ok(code && code.length > 2, `no code at the canonical SimpleAccountFactory v${version} ${factory}`);
      // v0.7's factory exposes its account implementation; the implementation knows its EntryPoint.
      const implementation = await clients.publicClient.readContract({
        address: factory,
        abi: [{ type: 'function', name: 'accountImplementation', inputs: [], outputs: [{ type: 'address' }], stateMutability: 'view' }],
        functionName: 'accountImplementation',
      });
      const ep = await clients.publicClient.readContract({
        address: implementation,
        abi: [{ type: 'function', name: 'entryPoint', inputs: [], outputs: [{ type: 'address' }], stateMutability: 'view' }],
        functionName: 'entryPoint',
      });
      assert.equal(getAddress(ep), ENTRY_POINTS[version]);
    });

    test('toSimpleSmartAccount + createSmartAccountClient: sendTransaction deploys and pays', async () => {
      account = await toSimpleSmartAccount({
        client: clients.publicClient,
        owner,
        entryPoint: { address: ENTRY_POINTS[version], version },
      });
      assert.equal(await account.isDeployed(), false);
      await fund(clients, account.address, parseEther('1'));
      smartClient = createSmartAccountClient({
        account,
        chain: clients.chain,
        client: clients.publicClient,
        bundlerTransport: http(node.url),
        pollingInterval: 50,
      });
      const to = privateKeyToAccount(generatePrivateKey()).address;
      const txHash = await smartClient.sendTransaction({ to, value: parseEther('0.2') });
      const receipt = await clients.publicClient.getTransactionReceipt({ hash: txHash });
      assert.equal(receipt.status, 'success');
      assert.equal(await clients.publicClient.getBalance({ address: to }), parseEther('0.2'));
      assert.equal(await account.isDeployed(), true);
    });

    test('sendUserOperation with a batch, then waitForUserOperationReceipt', async () => {
      const data = (v) => encodeFunctionData({ abi: abiOf('RulesTarget'), functionName: 'emitEvent', args: [v] });
      const hash = await smartClient.sendUserOperation({
        calls: [
          { to: emitter, data: data(11n), value: 0n },
          { to: emitter, data: data(12n), value: 0n },
        ],
      });
      const receipt = await smartClient.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(getAddress(receipt.sender), account.address);
      const values = parseEventLogs({ abi: abiOf('RulesTarget'), logs: receipt.logs, eventName: 'Emitted' }).map((e) => e.args.value);
      assert.deepEqual(values, [11n, 12n]);
    });

    test('a second sendTransaction on the deployed account', async () => {
      const to = privateKeyToAccount(generatePrivateKey()).address;
      const txHash = await smartClient.sendTransaction({ to, value: 9n });
      assert.equal((await clients.publicClient.getTransactionReceipt({ hash: txHash })).status, 'success');
      assert.equal(await clients.publicClient.getBalance({ address: to }), 9n);
    });
  });
}
