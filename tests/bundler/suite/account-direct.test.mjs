// Our account as a viem SmartAccount, proved without a bundler: ops built and signed by toKrnlAccount
// go straight to the predeployed EntryPoints with handleOps from a dev account. The first op creates the
// account through its factory and sends ETH; the second (a batch) runs on the deployed account; the
// UserOperationEvent carries the hash viem computes; a wrong key, the stub signature and ERC-1271 are
// checked against the account's own code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeFunctionData, getAddress, hashMessage, parseEther, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { getUserOperationHash, toPackedUserOperation } from 'viem/account-abstraction';
import { KRNL_ACCOUNT, MODE, STUB_SIGNATURE, accountFactoryAbi, krnlAccountAbi, toKrnlAccount } from '../lib/krnl-account.mjs';
import { ENTRY_POINTS, clientsFor, fund, predeploys, startDevNode } from '../lib/node.mjs';
import { buildUserOp, entryPointAbi, entryPointErrorName, entryPointEvents, entryPointUserOpHash, handleOpsDirect } from '../lib/userop.mjs';

let node;
let clients;
before(async () => {
  node = await startDevNode();
  clients = clientsFor(node.chains[0]);
});
after(async () => node?.stop());

test('the node\'s account predeploys are the build\'s: each factory has code and makes that implementation', async () => {
  const p = predeploys();
  assert.ok(Object.keys(p).length > 0, 'build/contracts/predeploys.json is missing');
  assert.equal(p.EntryPointV07, ENTRY_POINTS['0.7']);
  assert.equal(p.EntryPointV08, ENTRY_POINTS['0.8']);
  const abi = [{ type: 'function', name: 'ACCOUNT_IMPLEMENTATION', stateMutability: 'view', inputs: [], outputs: [{ type: 'address' }] }];
  for (const v of ['0.7', '0.8']) {
    const { factory, implementation } = KRNL_ACCOUNT[v];
    assert.ok(await clients.publicClient.getCode({ address: implementation }), `no code at the v${v} implementation`);
    const made = await clients.publicClient.readContract({ address: factory, abi, functionName: 'ACCOUNT_IMPLEMENTATION' });
    assert.equal(made, implementation, `the v${v} factory deploys proxies of ${made}`);
  }
});

for (const version of ['0.7', '0.8']) {
  describe(`krnl account on EntryPoint v${version}, handleOps without a bundler`, () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    const recipient2 = privateKeyToAccount(generatePrivateKey()).address;
    let account;

    test('the factory is wired to this EntryPoint and predicts the account address', async () => {
      const { publicClient } = clients;
      const factory = KRNL_ACCOUNT[version].factory;
      assert.equal(
        await publicClient.readContract({ address: factory, abi: accountFactoryAbi, functionName: 'ENTRY_POINT' }),
        ENTRY_POINTS[version],
      );
      account = await toKrnlAccount({ client: publicClient, owner, entryPointVersion: version });
      assert.equal(account.entryPoint.address, ENTRY_POINTS[version]);
      assert.equal(account.entryPoint.version, version);
      // The EntryPoint's own view of the initCode's sender (getSenderAddress reverts with it).
      const { factory: f, factoryData } = await account.getFactoryArgs();
      assert.equal(f, factory);
      assert.equal(
        factoryData,
        encodeFunctionData({ abi: accountFactoryAbi, functionName: 'createAccount', args: [owner.address, 0n] }),
      );
      assert.equal(factoryData.length, 2 + 2 * 68, 'createAccount(owner, index) is a selector and two words');
      assert.equal(await publicClient.getCode({ address: account.address }), undefined);
      assert.equal(await account.isDeployed(), false);
      assert.equal(await account.getNonce(), 0n);
    });

    test('first op: created by its factory, sends ETH, event hash = viem\'s getUserOperationHash', async () => {
      const { publicClient } = clients;
      await fund(clients, account.address, parseEther('1'));
      const op = await buildUserOp({ account, publicClient, calls: [{ to: recipient, value: parseEther('0.1') }] });
      assert.ok(op.factory, 'an undeployed account carries factory/factoryData');
      op.signature = await account.signUserOperation(op);
      assert.equal(op.signature.slice(0, 10), MODE.sudo);
      assert.equal((op.signature.length - 2) / 2, 4 + 65, 'sudo signature: 4-byte mode + 65-byte ECDSA');

      const viemHash = getUserOperationHash({
        userOperation: op,
        entryPointAddress: ENTRY_POINTS[version],
        entryPointVersion: version,
        chainId: node.chains[0].chainId,
      });
      assert.equal(await entryPointUserOpHash({ publicClient, version, op }), viemHash);

      const beneficiary = privateKeyToAccount(generatePrivateKey()).address;
      const receipt = await handleOpsDirect({ wallet: clients.wallet(1), publicClient, version, ops: [op], beneficiary });
      assert.equal(receipt.status, 'success');
      const events = entryPointEvents(receipt, version);
      assert.equal(events.AccountDeployed?.length, 1);
      assert.equal(getAddress(events.AccountDeployed[0].sender), account.address);
      assert.equal(getAddress(events.AccountDeployed[0].factory), KRNL_ACCOUNT[version].factory);
      assert.equal(events.UserOperationEvent?.length, 1);
      const ev = events.UserOperationEvent[0];
      assert.equal(ev.userOpHash, viemHash);
      assert.equal(getAddress(ev.sender), account.address);
      assert.equal(ev.success, true);
      assert.equal(ev.nonce, 0n);
      assert.equal(events.UserOperationRevertReason, undefined);

      assert.equal(await publicClient.getBalance({ address: recipient }), parseEther('0.1'));
      assert.ok((await publicClient.getBalance({ address: beneficiary })) > 0n, 'the beneficiary is paid');
      assert.ok(await account.isDeployed());
      assert.equal(
        await publicClient.readContract({ address: account.address, abi: krnlAccountAbi, functionName: 'rootSigner' }),
        owner.address,
      );
      assert.equal(
        await publicClient.readContract({ address: account.address, abi: krnlAccountAbi, functionName: 'entryPoint' }),
        ENTRY_POINTS[version],
      );
    });

    test('second op on the deployed account: a batch of two calls, no factory', async () => {
      const { publicClient } = clients;
      assert.equal(await account.getNonce(), 1n);
      const op = await buildUserOp({
        account,
        publicClient,
        calls: [
          { to: recipient, value: parseEther('0.01') },
          { to: recipient2, value: parseEther('0.02') },
        ],
      });
      assert.equal(op.factory, undefined);
      assert.equal(op.callData.slice(0, 10), '0x34fcd5be', 'executeBatch((address,uint256,bytes)[])');
      assert.deepEqual(await account.decodeCalls(op.callData), [
        { to: recipient, value: parseEther('0.01'), data: '0x' },
        { to: recipient2, value: parseEther('0.02'), data: '0x' },
      ]);
      op.signature = await account.signUserOperation(op);
      const receipt = await handleOpsDirect({ wallet: clients.wallet(1), publicClient, version, ops: [op] });
      const events = entryPointEvents(receipt, version);
      assert.equal(events.AccountDeployed, undefined);
      assert.equal(events.UserOperationEvent?.[0].success, true);
      assert.equal(events.UserOperationEvent[0].nonce, 1n);
      assert.equal(
        events.UserOperationEvent[0].userOpHash,
        getUserOperationHash({
          userOperation: op,
          entryPointAddress: ENTRY_POINTS[version],
          entryPointVersion: version,
          chainId: node.chains[0].chainId,
        }),
      );
      assert.equal(await publicClient.getBalance({ address: recipient }), parseEther('0.11'));
      assert.equal(await publicClient.getBalance({ address: recipient2 }), parseEther('0.02'));
    });

    test('a signature by another key is refused by the EntryPoint (AA24)', async () => {
      const { publicClient } = clients;
      const op = await buildUserOp({ account, publicClient, calls: [{ to: recipient, value: 1n }] });
      const stranger = await toKrnlAccount({
        client: publicClient,
        owner: privateKeyToAccount(generatePrivateKey()),
        entryPointVersion: version,
        address: account.address,
      });
      op.signature = await stranger.signUserOperation(op);
      await assert.rejects(
        publicClient.simulateContract({
          account: clients.wallet(1).account,
          address: ENTRY_POINTS[version],
          abi: entryPointAbi(version),
          functionName: 'handleOps',
          args: [[toPackedUserOperation(op)], clients.wallet(1).account.address],
        }),
        (e) => {
          const err = entryPointErrorName(e);
          assert.equal(err?.name, 'FailedOp', String(e));
          assert.match(err.args[1], /^AA24/);
          return true;
        },
      );
    });

    test('the stub signature runs validation without reverting and fails the signature check', async () => {
      const { publicClient } = clients;
      const op = await buildUserOp({ account, publicClient, calls: [{ to: recipient, value: 1n }] });
      const validate = async (signature) => {
        const signed = { ...op, signature };
        const hash = await entryPointUserOpHash({ publicClient, version, op: signed });
        const { result } = await publicClient.simulateContract({
          account: ENTRY_POINTS[version],
          address: account.address,
          abi: krnlAccountAbi,
          functionName: 'validateUserOp',
          args: [toPackedUserOperation(signed), hash, 0n],
        });
        return result;
      };
      assert.equal(await account.getStubSignature(), STUB_SIGNATURE);
      assert.equal(await validate(STUB_SIGNATURE), 1n, 'SIG_VALIDATION_FAILED, not a revert');
      assert.equal(await validate(await account.signUserOperation(op)), 0n);
      assert.equal(await validate('0x00'), 1n, 'a signature without a mode fails');
    });

    test('signMessage is an ERC-1271 signature the deployed account accepts', async () => {
      const { publicClient } = clients;
      const signature = await account.signMessage({ message: 'krnl bundler suite' });
      const isValid = (hash, sig) =>
        publicClient.readContract({ address: account.address, abi: krnlAccountAbi, functionName: 'isValidSignature', args: [hash, sig] });
      assert.equal(await isValid(hashMessage('krnl bundler suite'), signature), '0x1626ba7e');
      assert.equal(await isValid(hashMessage('another message'), signature), '0xffffffff');
    });
  });
}

test('an account created for one EntryPoint is a different address on the other', async () => {
  const owner = privateKeyToAccount(generatePrivateKey());
  const a7 = await toKrnlAccount({ client: clients.publicClient, owner, entryPointVersion: '0.7' });
  const a8 = await toKrnlAccount({ client: clients.publicClient, owner, entryPointVersion: '0.8' });
  assert.notEqual(a7.address, a8.address);
  assert.notEqual(a7.address, zeroAddress);
});

test('EIP-7702 on v0.8: an EOA delegating to AccountV08 runs an op (factory 0x7702), hash = viem\'s with the authorization', async () => {
  const { publicClient } = clients;
  const version = '0.8';
  const eoa = privateKeyToAccount(generatePrivateKey());
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  await fund(clients, eoa.address, parseEther('1'));
  const authorization = await eoa.signAuthorization({
    address: KRNL_ACCOUNT[version].implementation,
    chainId: node.chains[0].chainId,
    nonce: 0,
  });
  // The delegate's root signer is the EOA itself until it chooses one: the same toKrnlAccount signs.
  const account = await toKrnlAccount({ client: publicClient, owner: eoa, entryPointVersion: version, address: eoa.address });
  const op = await buildUserOp({
    account,
    publicClient,
    calls: [{ to: recipient, value: 12345n }],
    overrides: { factory: '0x7702', factoryData: '0x', authorization },
  });
  op.signature = await account.signUserOperation(op);
  const viemHash = getUserOperationHash({ userOperation: op, entryPointAddress: ENTRY_POINTS[version], entryPointVersion: version, chainId: node.chains[0].chainId });

  const hash = await clients.wallet(1).writeContract({
    address: ENTRY_POINTS[version],
    abi: entryPointAbi(version),
    functionName: 'handleOps',
    args: [[toPackedUserOperation(op)], clients.wallet(1).account.address],
    authorizationList: [authorization],
    gas: 2_000_000n,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  const ev = entryPointEvents(receipt, version).UserOperationEvent;
  assert.equal(ev?.length, 1);
  assert.equal(ev[0].userOpHash, viemHash);
  assert.equal(ev[0].success, true);
  assert.equal(await publicClient.getBalance({ address: recipient }), 12345n);
  assert.equal(
    (await publicClient.getCode({ address: eoa.address })).toLowerCase(),
    `0xef0100${KRNL_ACCOUNT[version].implementation.slice(2).toLowerCase()}`,
  );
});
