// EIP-7702 user operations through the bundler (EntryPoint v0.8): an EOA whose op carries an eip7702Auth
// tuple delegating to AccountV08 (factory 0x7702) is bundled with the authorization, and bad tuples are
// refused. Needs the bundler.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { getUserOperationHash } from 'viem/account-abstraction';
import { KRNL_ACCOUNT, toKrnlAccount } from '../lib/krnl-account.mjs';
import { ENTRY_POINTS, clientsFor, fund, startDevNode } from '../lib/node.mjs';
import { E, assertOk, assertRpcError, sendOp, waitForOpReceipt } from '../lib/scenario.mjs';
import { buildUserOp } from '../lib/userop.mjs';

const version = '0.8';
let node;
let clients;
before(async () => {
  node = await startDevNode();
  clients = clientsFor(node.chains[0]);
});
after(async () => node?.stop());

/** A funded EOA, its signed delegation to AccountV08 and a signed op with the tuple. */
async function delegatedOp({ signer, nonce = 0, chainId, delegate = KRNL_ACCOUNT[version].implementation, value = 777n } = {}) {
  const eoa = privateKeyToAccount(generatePrivateKey());
  await fund(clients, eoa.address, parseEther('1'));
  const authorization = await (signer ?? eoa).signAuthorization({ address: delegate, chainId: chainId ?? clients.chain.id, nonce });
  const account = await toKrnlAccount({ client: clients.publicClient, owner: eoa, entryPointVersion: version, address: eoa.address });
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  const op = await buildUserOp({
    account,
    publicClient: clients.publicClient,
    calls: [{ to: recipient, value }],
    overrides: { factory: '0x7702', factoryData: '0x', authorization },
  });
  op.signature = await account.signUserOperation(op);
  return { eoa, op, recipient };
}

describe('EIP-7702 tuples, EntryPoint v0.8', () => {
  test('an EOA delegating in its first op: bundled with the authorization, the EOA now delegates', async () => {
    const { eoa, op, recipient } = await delegatedOp();
    const hash = assertOk(await sendOp(node.url, op, ENTRY_POINTS[version]));
    assert.equal(hash, getUserOperationHash({ userOperation: op, entryPointAddress: ENTRY_POINTS[version], entryPointVersion: version, chainId: clients.chain.id }));
    const receipt = await waitForOpReceipt(node.url, hash);
    assert.equal(receipt.success, true);
    assert.equal(await clients.publicClient.getBalance({ address: recipient }), 777n);
    assert.equal(
      (await clients.publicClient.getCode({ address: eoa.address })).toLowerCase(),
      `0xef0100${KRNL_ACCOUNT[version].implementation.slice(2).toLowerCase()}`,
    );
    const tx = await clients.publicClient.getTransaction({ hash: receipt.receipt.transactionHash });
    assert.equal(tx.type, 'eip7702', 'the bundle is a type-4 transaction');
    assert.ok(tx.authorizationList.some((a) => a.address.toLowerCase() === KRNL_ACCOUNT[version].implementation.toLowerCase()));
  });

  test('a tuple signed by another key than the sender: refused', async () => {
    const { op } = await delegatedOp({ signer: privateKeyToAccount(generatePrivateKey()) });
    const res = await sendOp(node.url, op, ENTRY_POINTS[version]);
    assertRpcError(res, [E.invalidParams, E.rejectedByEpOrAccount], /authori[sz]ation|7702|AA/i);
  });

  test('a tuple for another chain: refused', async () => {
    const { op } = await delegatedOp({ chainId: 1 });
    const res = await sendOp(node.url, op, ENTRY_POINTS[version]);
    assertRpcError(res, [E.invalidParams, E.rejectedByEpOrAccount], /chain|authori[sz]ation|7702|AA/i);
  });

  test('a tuple with a stale nonce: refused', async () => {
    const { op } = await delegatedOp({ nonce: 5 });
    const res = await sendOp(node.url, op, ENTRY_POINTS[version]);
    assertRpcError(res, [E.invalidParams, E.rejectedByEpOrAccount], /nonce|authori[sz]ation|7702|AA/i);
  });

  test('factory 0x7702 without a tuple, for an EOA that does not delegate: refused', async () => {
    const { op } = await delegatedOp();
    delete op.authorization;
    const res = await sendOp(node.url, op, ENTRY_POINTS[version]);
    assert.ok(res.error, 'refused');
    assert.ok([E.invalidParams, E.rejectedByEpOrAccount].includes(res.error.code), JSON.stringify(res.error));
  });
});
