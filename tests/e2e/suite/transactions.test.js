// Sending transactions of every type, node-side signing, and looking transactions, receipts and blocks up.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeFunctionData,
  getAddress,
  keccak256,
  parseEther,
  parseGwei,
  sha256,
  toRlp,
  verifyMessage,
  verifyTypedData,
} from 'viem';
import {
  deploy,
  devAccounts,
  freshAccount,
  generatePrivateKey,
  privateKeyToAccount,
  localWallet,
  nodeWallet,
  publicClient,
  rpc,
  rpcError,
  toHex,
  waitReceipt,
  withoutAutomine,
} from '../lib/env.js';
import { pad32 } from '../lib/mpt.js';
import { expected } from '../expectations.js';

let store;
let delegate;
const encode = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
const q = (value) => (BigInt(value) === 0n ? '0x' : toHex(value).length % 2 ? `0x0${toHex(value).slice(2)}` : toHex(value));

before(async () => {
  store = await deploy('Store', [0n]);
  delegate = await deploy('Delegate');
});

async function sendRaw(serialized) {
  const hash = await rpc('eth_sendRawTransaction', [serialized]);
  assert.equal(hash, keccak256(serialized), 'the returned hash is keccak of the raw bytes');
  const receipt = await waitReceipt(hash);
  return { hash, receipt, tx: await rpc('eth_getTransactionByHash', [hash]) };
}

test('eth_sendRawTransaction: legacy (type 0, EIP-155)', async () => {
  const sender = await freshAccount('1');
  const to = devAccounts[2].address;
  const before = await publicClient.getBalance({ address: to });
  const raw = await localWallet(sender).signTransaction({
    type: 'legacy', to, value: 1000n, gas: 21000n, gasPrice: parseGwei('3'), nonce: 0,
  });
  const { receipt, tx } = await sendRaw(raw);
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.type, 'legacy');
  assert.equal(tx.type, '0x0');
  assert.equal(BigInt(tx.gasPrice), parseGwei('3'));
  assert.ok(['0xf4f5', '0xf4f6'].includes(tx.v), `EIP-155 v = chainId * 2 + 35/36, got ${tx.v}`);
  assert.equal(getAddress(tx.from), sender.address);
  assert.equal(receipt.effectiveGasPrice, parseGwei('3'));
  assert.equal(await publicClient.getBalance({ address: to }), before + 1000n);
});

test('eth_sendRawTransaction: EIP-2930 (type 1) keeps its access list', async () => {
  const sender = await freshAccount('1');
  const accessList = [{ address: store.address, storageKeys: [pad32(0n), pad32(1n)] }];
  const raw = await localWallet(sender).signTransaction({
    type: 'eip2930', to: store.address, data: encode(store, 'set', [5n, 'type 1']),
    gas: 100000n, gasPrice: parseGwei('3'), nonce: 0, accessList,
  });
  const { receipt, tx } = await sendRaw(raw);
  assert.equal(receipt.status, 'success');
  assert.equal(tx.type, '0x1');
  assert.equal(tx.chainId, '0x7a69');
  assert.ok(['0x0', '0x1'].includes(tx.yParity ?? tx.v));
  assert.equal(tx.accessList.length, 1);
  assert.equal(tx.accessList[0].address.toLowerCase(), store.address.toLowerCase());
  assert.deepEqual(tx.accessList[0].storageKeys, [pad32(0n), pad32(1n)]);
  assert.equal(BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', 'latest'])), 5n);
});

test('eth_sendRawTransaction: EIP-1559 (type 2) pays base fee + tip, capped by max fee', async () => {
  const sender = await freshAccount('1');
  const maxFeePerGas = parseGwei('50');
  const maxPriorityFeePerGas = parseGwei('2');
  const raw = await localWallet(sender).signTransaction({
    type: 'eip1559', to: devAccounts[3].address, value: 1n, gas: 21000n, nonce: 0, maxFeePerGas, maxPriorityFeePerGas,
  });
  const { receipt, tx } = await sendRaw(raw);
  assert.equal(tx.type, '0x2');
  assert.equal(BigInt(tx.maxFeePerGas), maxFeePerGas);
  assert.equal(BigInt(tx.maxPriorityFeePerGas), maxPriorityFeePerGas);
  const block = await rpc('eth_getBlockByNumber', [toHex(receipt.blockNumber), false]);
  const effective = BigInt(block.baseFeePerGas) + maxPriorityFeePerGas;
  assert.equal(receipt.effectiveGasPrice, effective < maxFeePerGas ? effective : maxFeePerGas);
  assert.equal(BigInt(tx.gasPrice), receipt.effectiveGasPrice, 'a mined type-2 tx reports its effective price');
  assert.equal(
    await publicClient.getBalance({ address: sender.address }),
    parseEther('1') - 1n - 21000n * receipt.effectiveGasPrice,
  );
});

test('eth_sendRawTransaction: EIP-7702 (type 4) delegates an EOA to a contract, which then runs as the EOA', async () => {
  const eoa = await freshAccount('1');
  const relayer = await freshAccount('1');
  const authorization = await localWallet(eoa).signAuthorization({ contractAddress: delegate.address });
  assert.equal(authorization.nonce, 0);
  const hash = await localWallet(relayer).sendTransaction({
    to: eoa.address,
    data: encode(delegate, 'increment'),
    authorizationList: [authorization],
    gas: 200000n,
  });
  const receipt = await waitReceipt(hash);
  assert.equal(receipt.status, 'success');
  const tx = await rpc('eth_getTransactionByHash', [hash]);
  assert.equal(tx.type, '0x4');
  assert.equal(tx.authorizationList.length, 1);
  assert.equal(tx.authorizationList[0].address.toLowerCase(), delegate.address.toLowerCase());
  assert.equal(BigInt(tx.authorizationList[0].chainId), 31337n);
  assert.equal(BigInt(tx.authorizationList[0].nonce), 0n);

  // The EOA's code is the delegation designator 0xef0100 || address; the authorization bumped its nonce.
  assert.equal(await rpc('eth_getCode', [eoa.address, 'latest']), `0xef0100${delegate.address.slice(2).toLowerCase()}`);
  assert.equal(await rpc('eth_getTransactionCount', [eoa.address, 'latest']), '0x1');
  // The delegate's code ran in the EOA's context: the EOA's storage, the EOA as log emitter.
  assert.equal(BigInt(await rpc('eth_getStorageAt', [eoa.address, '0x0', 'latest'])), 1n);
  assert.equal(BigInt(await rpc('eth_getStorageAt', [delegate.address, '0x0', 'latest'])), 0n);
  assert.equal(receipt.logs.length, 1);
  assert.equal(getAddress(receipt.logs[0].address), eoa.address);
  assert.equal(receipt.logs[0].topics[1], pad32(eoa.address));
  assert.equal(receipt.logs[0].topics[2], pad32(relayer.address));

  // The EOA itself can now use the delegate's self-only function to pay out of its own balance.
  const payee = privateKeyToAccount(generatePrivateKey()).address; // never used before
  const paid = await waitReceipt(
    await localWallet(eoa).sendTransaction({
      to: eoa.address, data: encode(delegate, 'pay', [payee, parseEther('0.25')]), gas: 100000n,
    }),
  );
  assert.equal(paid.status, 'success');
  assert.equal(await publicClient.getBalance({ address: payee }), parseEther('0.25'));
  // Anyone else is refused by the delegate's own check.
  const refused = await rpcError('eth_call', [
    { from: relayer.address, to: eoa.address, data: encode(delegate, 'pay', [payee, 1n]) },
    'latest',
  ]);
  assert.equal(refused.code, expected.revertWithReason.code);
  assert.equal(refused.message.match(expected.revertWithReason.message)?.[1], 'delegate: only self');

  // Delegating to the zero address clears the code again.
  const clear = await localWallet(eoa).signAuthorization({
    contractAddress: '0x0000000000000000000000000000000000000000',
    executor: 'self',
  });
  const cleared = await waitReceipt(
    await localWallet(eoa).sendTransaction({ to: eoa.address, authorizationList: [clear], gas: 100000n }),
  );
  assert.equal(cleared.status, 'success');
  assert.equal(await rpc('eth_getCode', [eoa.address, 'latest']), '0x');
});

test('eth_sendTransaction signs for a dev account', async () => {
  const from = devAccounts[4].address;
  const to = (await freshAccount('0.001')).address;
  const hash = await rpc('eth_sendTransaction', [{ from, to, value: toHex(parseEther('2')) }]);
  const receipt = await waitReceipt(hash);
  assert.equal(getAddress(receipt.from), from);
  assert.equal(await publicClient.getBalance({ address: to }), parseEther('2.001'));
  const tx = await rpc('eth_getTransactionByHash', [hash]);
  assert.equal(BigInt(tx.value), parseEther('2'));
  assert.equal(tx.type, '0x2', 'a dev-account transaction defaults to EIP-1559');
});

test('eth_sign is an EIP-191 personal signature by the dev account key', async () => {
  const account = devAccounts[0];
  const data = '0xdeadbeef00';
  const signature = await rpc('eth_sign', [account.address, data]);
  assert.ok(await verifyMessage({ address: account.address, message: { raw: data }, signature }));
  assert.equal(signature, await account.signMessage({ message: { raw: data } }), 'deterministic (RFC 6979)');
  assert.equal(await verifyMessage({ address: devAccounts[1].address, message: { raw: data }, signature }), false);
});

test('eth_signTypedData_v4 is an EIP-712 signature by the dev account key', async () => {
  const account = devAccounts[1];
  const typedData = {
    domain: { name: 'krnl e2e', version: '1', chainId: 31337, verifyingContract: store.address },
    types: {
      Mail: [
        { name: 'from', type: 'address' },
        { name: 'contents', type: 'string' },
        { name: 'amount', type: 'uint256' },
      ],
    },
    primaryType: 'Mail',
    message: { from: account.address, contents: 'hello', amount: 7n },
  };
  const wire = {
    ...typedData,
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      ...typedData.types,
    },
    message: { ...typedData.message, amount: '7' },
  };
  const signature = await rpc('eth_signTypedData_v4', [account.address, wire]);
  assert.ok(await verifyTypedData({ address: account.address, ...typedData, signature }));
  assert.equal(signature, await account.signTypedData(typedData));
});

test('a block of three transactions: lookups by hash, number and index agree', async () => {
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  const fees = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1') };
  const hashes = await withoutAutomine(async () => {
    const out = [];
    for (let i = 0; i < 3; i++) {
      out.push(await wallet.sendTransaction({ to: store.address, data: encode(store, 'ping', [BigInt(i)]), gas: 50000n, nonce: i, ...fees }));
    }
    await rpc('evm_mine');
    return out;
  });
  const receipts = await Promise.all(hashes.map((h) => rpc('eth_getTransactionReceipt', [h])));
  const number = receipts[0].blockNumber;
  const blockHash = receipts[0].blockHash;
  receipts.forEach((r, i) => {
    assert.equal(r.blockNumber, number, 'all in one block');
    assert.equal(BigInt(r.transactionIndex), BigInt(i));
    assert.equal(r.status, '0x1');
    assert.equal(r.logs.length, 1);
    assert.equal(BigInt(r.logs[0].logIndex), BigInt(i), 'log indexes count across the block');
    assert.equal(r.logs[0].transactionHash, hashes[i]);
    assert.equal(r.logs[0].blockHash, blockHash);
  });
  let cumulative = 0n;
  for (const r of receipts) {
    cumulative += BigInt(r.gasUsed);
    assert.equal(BigInt(r.cumulativeGasUsed), cumulative);
  }

  const block = await rpc('eth_getBlockByNumber', [number, false]);
  assert.deepEqual(block.transactions, hashes);
  assert.equal(BigInt(block.gasUsed), cumulative);
  assert.deepEqual(await rpc('eth_getBlockByHash', [blockHash, false]), block);
  const full = await rpc('eth_getBlockByNumber', [number, true]);
  assert.deepEqual(full.transactions.map((t) => t.hash), hashes);
  full.transactions.forEach((t, i) => {
    assert.equal(t.blockHash, blockHash);
    assert.equal(t.blockNumber, number);
    assert.equal(BigInt(t.transactionIndex), BigInt(i));
    assert.equal(BigInt(t.nonce), BigInt(i));
  });
  assert.deepEqual(await rpc('eth_getBlockByHash', [blockHash, true]), full);

  assert.equal(await rpc('eth_getBlockTransactionCountByNumber', [number]), '0x3');
  assert.equal(await rpc('eth_getBlockTransactionCountByHash', [blockHash]), '0x3');
  for (let i = 0; i < 3; i++) {
    const byHash = await rpc('eth_getTransactionByBlockHashAndIndex', [blockHash, toHex(i)]);
    const byNumber = await rpc('eth_getTransactionByBlockNumberAndIndex', [number, toHex(i)]);
    assert.equal(byHash.hash, hashes[i]);
    assert.deepEqual(byNumber, byHash);
    assert.deepEqual(byHash, full.transactions[i]);
  }
  assert.equal(await rpc('eth_getTransactionByBlockHashAndIndex', [blockHash, '0x3']), null);
  assert.equal(await rpc('eth_getTransactionByBlockNumberAndIndex', [number, '0x3']), null);
});

test('eth_getBlockReceipts returns the receipts of the block in order', async (t) => {
  if (!expected.supports.blockReceipts) return t.skip('krnld only: Hardhat has no eth_getBlockReceipts');
  const sender = await freshAccount('1');
  const fees = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'), gas: 50000n };
  const hashes = await withoutAutomine(async () => {
    const out = [];
    for (let i = 0; i < 2; i++) {
      out.push(await localWallet(sender).sendTransaction({ to: store.address, data: encode(store, 'ping', [9n]), nonce: i, ...fees }));
    }
    await rpc('evm_mine');
    return out;
  });
  const one = await rpc('eth_getTransactionReceipt', [hashes[0]]);
  const byNumber = await rpc('eth_getBlockReceipts', [one.blockNumber]);
  const byHash = await rpc('eth_getBlockReceipts', [one.blockHash]);
  assert.equal(byNumber.length, 2);
  assert.deepEqual(byNumber[0], one);
  assert.deepEqual(byNumber[1], await rpc('eth_getTransactionReceipt', [hashes[1]]));
  assert.deepEqual(byHash, byNumber);
});

test('block headers: parent links, Prague fields, and hash = keccak(RLP(header))', async () => {
  await freshAccount('0.1');
  const block = await rpc('eth_getBlockByNumber', ['latest', false]);
  const parent = await rpc('eth_getBlockByNumber', [toHex(BigInt(block.number) - 1n), false]);
  assert.equal(block.parentHash, parent.hash);
  assert.ok(BigInt(block.timestamp) >= BigInt(parent.timestamp));
  assert.equal(block.sha3Uncles, keccak256(toRlp([])));
  assert.deepEqual(block.uncles, []);
  assert.equal(BigInt(block.difficulty), 0n);
  assert.deepEqual(block.withdrawals, []);
  assert.equal(block.withdrawalsRoot, keccak256(toRlp('0x')), 'empty trie root');
  assert.equal(BigInt(block.blobGasUsed), 0n);
  assert.equal(block.requestsHash, sha256('0x'), 'EIP-7685: no requests');
  assert.match(block.parentBeaconBlockRoot, /^0x[0-9a-f]{64}$/);
  const header = [
    block.parentHash, block.sha3Uncles, block.miner, block.stateRoot, block.transactionsRoot,
    block.receiptsRoot, block.logsBloom, q(block.difficulty), q(block.number), q(block.gasLimit),
    q(block.gasUsed), q(block.timestamp), block.extraData, block.mixHash, block.nonce,
    q(block.baseFeePerGas), block.withdrawalsRoot, q(block.blobGasUsed), q(block.excessBlobGas),
    block.parentBeaconBlockRoot, block.requestsHash,
  ];
  assert.equal(keccak256(toRlp(header)), block.hash);
});

test('unknown hashes and future blocks give null', async () => {
  const unknown = `0x${'ab'.repeat(32)}`;
  assert.equal(await rpc('eth_getTransactionByHash', [unknown]), null);
  assert.equal(await rpc('eth_getTransactionReceipt', [unknown]), null);
  assert.equal(await rpc('eth_getBlockByHash', [unknown, false]), null);
  const future = toHex(BigInt(await rpc('eth_blockNumber')) + 1000n);
  assert.equal(await rpc('eth_getBlockByNumber', [future, false]), null);
});
