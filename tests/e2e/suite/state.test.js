// Account state: balances after transfers, code, storage, nonces (latest / pending) and eth_getProof.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAbiParameters, encodeFunctionData, keccak256, parseEther, parseGwei } from 'viem';
import {
  artifact,
  deploy,
  freshAccount,
  localWallet,
  nodeWallet,
  publicClient,
  rpc,
  toHex,
  waitReceipt,
  withoutAutomine,
} from '../lib/env.js';
import { accountLeaf, pad32, storageLeaf, verifyProof } from '../lib/mpt.js';

let store;
before(async () => {
  store = await deploy('Store', [1234n]);
});

test('a transfer moves exactly value, and the sender pays gasUsed * effectiveGasPrice', async () => {
  const sender = await freshAccount('5');
  const recipient = await freshAccount('1');
  const value = parseEther('1.25');
  const hash = await localWallet(sender).sendTransaction({ to: recipient.address, value });
  const receipt = await waitReceipt(hash);
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.gasUsed, 21000n);
  const fee = receipt.gasUsed * receipt.effectiveGasPrice;
  assert.equal(await publicClient.getBalance({ address: sender.address }), parseEther('5') - value - fee);
  assert.equal(await publicClient.getBalance({ address: recipient.address }), parseEther('1') + value);
  // The balance before the transfer is still readable at the previous block.
  const previous = toHex(receipt.blockNumber - 1n);
  assert.equal(BigInt(await rpc('eth_getBalance', [sender.address, previous])), parseEther('5'));
});

test('eth_getCode returns the runtime bytecode, 0x for an EOA', async () => {
  assert.equal(await rpc('eth_getCode', [store.address, 'latest']), artifact('Store').deployedBytecode);
  const eoa = await freshAccount('1');
  assert.equal(await rpc('eth_getCode', [eoa.address, 'latest']), '0x');
  // Before the deployment block the contract had no code.
  assert.equal(await rpc('eth_getCode', [store.address, toHex(store.receipt.blockNumber - 1n)]), '0x');
});

test('eth_getStorageAt reads plain slots and mapping slots', async () => {
  assert.equal(BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', 'latest'])), 1234n);
  const who = '0x00000000000000000000000000000000000000aa';
  await waitReceipt(
    await nodeWallet().writeContract({
      address: store.address,
      abi: store.abi,
      functionName: 'credit',
      args: [who, 77n],
    }),
  );
  const slot = keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [who, 1n]));
  const word = await rpc('eth_getStorageAt', [store.address, slot, 'latest']);
  assert.equal(word, pad32(77n), 'a 32-byte word');
  assert.equal(BigInt(await rpc('eth_getStorageAt', [store.address, '0x5', 'latest'])), 0n);
});

test('eth_getTransactionCount counts mined (latest) and pooled (pending) transactions', async () => {
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  await waitReceipt(await wallet.sendTransaction({ to: store.address, value: 1n }));
  assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'latest']), '0x1');
  await withoutAutomine(async () => {
    const fees = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'), gas: 21000n };
    await wallet.sendTransaction({ to: store.address, value: 1n, nonce: 1, ...fees });
    await wallet.sendTransaction({ to: store.address, value: 1n, nonce: 2, ...fees });
    assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'latest']), '0x1');
    assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'pending']), '0x3');
    await rpc('evm_mine');
  });
  assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'latest']), '0x3');
});

test('eth_getProof: account and storage proofs verify against the block state root', async () => {
  const block = await rpc('eth_getBlockByNumber', ['latest', false]);
  const proof = await rpc('eth_getProof', [store.address, [pad32(0n), pad32(1n)], block.number]);
  assert.equal(proof.address.toLowerCase(), store.address.toLowerCase());
  assert.equal(proof.codeHash, keccak256(artifact('Store').deployedBytecode));
  assert.equal(BigInt(proof.nonce), 1n, 'a contract starts at nonce 1 (EIP-161)');
  assert.equal(BigInt(proof.balance), BigInt(await rpc('eth_getBalance', [store.address, block.number])));

  const leaf = verifyProof(block.stateRoot, store.address, proof.accountProof);
  assert.equal(leaf, accountLeaf(proof), 'the proven account leaf is the account returned');

  assert.equal(proof.storageProof.length, 2);
  const [slot0, slot1] = proof.storageProof;
  assert.equal(BigInt(slot0.key), 0n);
  assert.equal(BigInt(slot0.value), 1234n);
  assert.equal(verifyProof(proof.storageHash, pad32(0n), slot0.proof), storageLeaf(1234n));
  assert.equal(BigInt(slot1.value), 0n);
  assert.equal(verifyProof(proof.storageHash, pad32(1n), slot1.proof), null, 'slot 1 is proven absent');

  // A tampered proof is rejected by the verifier (so the checks above can fail).
  const tampered = [...proof.accountProof];
  tampered[0] = `${tampered[0].slice(0, -2)}${tampered[0].endsWith('00') ? '01' : '00'}`;
  assert.throws(() => verifyProof(block.stateRoot, store.address, tampered));
});

test('eth_getProof at an older block proves the older balance against that block root', async () => {
  const account = await freshAccount('2');
  const funded = await rpc('eth_getBlockByNumber', ['latest', false]);
  await waitReceipt(await localWallet(account).sendTransaction({ to: store.address, value: parseEther('1') }));
  const proof = await rpc('eth_getProof', [account.address, [], funded.number]);
  assert.equal(BigInt(proof.balance), parseEther('2'));
  assert.equal(BigInt(proof.nonce), 0n);
  assert.equal(proof.codeHash, keccak256('0x'));
  assert.equal(proof.storageHash, '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
  assert.equal(verifyProof(funded.stateRoot, account.address, proof.accountProof), accountLeaf(proof));
  // An address never touched is proven absent.
  const nobody = '0x000000000000000000000000000000000000dEaD';
  const absent = await rpc('eth_getProof', [nobody, [], funded.number]);
  assert.equal(BigInt(absent.balance), 0n);
  assert.equal(verifyProof(funded.stateRoot, nobody, absent.accountProof), null);
});
