// Otterscan's ots_* (API level 8) in Erigon's shapes: code checks, internal operations, call
// traces and revert data of mined transactions, block details and pages, address history, and the
// lookups by sender/nonce and of a contract's creator. Hardhat has no ots_*: every test is skipped
// there with its reason.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { decodeErrorResult, encodeFunctionData, getContractAddress, parseGwei } from 'viem';
import { deploy, devAccounts, freshAccount, isHardhat, isKrnld, localWallet, nodeWallet, rpc, rpcError, toHex, waitReceipt } from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const HARDHAT_SKIP = 'krnld only: Hardhat has no Otterscan ots_* methods';
const encode = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
const lower = (s) => s.toLowerCase();
function assertBadArgument(error, index, what = '') {
  assert.equal(error.code, -32602, `${what} (message: ${error.message})`);
  if (isKrnld) assert.match(error.message, new RegExp(`invalid argument ${index}`), what);
}

// Runtime: CALL(gas, TARGET, callvalue) with no data, then CREATE(0, 0, 0): one value transfer and
// one creation below the top call.
const TARGET = '0x00000000000000000000000000000000000a11ce';
const RUNTIME = `60006000600060003473${TARGET.slice(2)}5af150600060006000f05000`;
const INIT = `0x602a600c600039602a6000f3${RUNTIME}`;

let store;
let relay;
let forwarder; // { address, deployHash, deployer }
let forward; // a mined call of the forwarder with value: { receipt }
let failed; // a mined Store.setThenFail: { receipt }
let nested; // a mined Relay.tryCall → Store.failWithReason: { receipt, sender }
before(async () => {
  if (isHardhat) return;
  store = await deploy('Store', [7n]);
  relay = await deploy('Relay');
  const deployer = devAccounts[8].address;
  const deployHash = await nodeWallet(deployer).sendTransaction({ data: INIT, gas: 200_000n });
  const deployReceipt = await waitReceipt(deployHash);
  forwarder = { address: deployReceipt.contractAddress, deployHash, deployer };
  const hash = await nodeWallet(deployer).sendTransaction({ to: forwarder.address, value: 1000n, gas: 200_000n });
  forward = { receipt: await waitReceipt(hash) };
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  const h1 = await wallet.sendTransaction({
    to: relay.address,
    data: encode(relay, 'tryCall', [store.address, encode(store, 'failWithReason')]),
    gas: 200_000n,
  });
  nested = { sender, receipt: await waitReceipt(h1) };
  const h2 = await wallet.sendTransaction({ to: store.address, data: encode(store, 'setThenFail', [1n]), gas: 100_000n });
  failed = { receipt: await waitReceipt(h2) };
});

test('ots_getApiLevel is 8; ots_hasCode at a block', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  assert.equal(await rpc('ots_getApiLevel'), 8);
  assert.equal(await rpc('ots_hasCode', [store.address, 'latest']), true);
  assert.equal(await rpc('ots_hasCode', [devAccounts[0].address, 'latest']), false);
  assert.equal(await rpc('ots_hasCode', [store.address, toHex(store.receipt.blockNumber - 1n)]), false, 'before its deployment');
  assertBadArgument(await rpcError('ots_hasCode', ['0x12', 'latest']), 0, 'short address');
});

test('ots_getInternalOperations: value transfers and creations below the top call', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const ops = await rpc('ots_getInternalOperations', [forward.receipt.transactionHash]);
  const created = getContractAddress({ from: forwarder.address, nonce: 1n });
  assert.deepEqual(ops, [
    { type: 0, from: lower(forwarder.address), to: TARGET, value: '0x3e8' },
    { type: 2, from: lower(forwarder.address), to: lower(created), value: '0x0' },
  ]);
  assert.deepEqual(await rpc('ots_getInternalOperations', [nested.receipt.transactionHash]), [], 'no value moved');
  assertBadArgument(await rpcError('ots_getInternalOperations', ['0x1234']), 0, 'short hash');
});

test('ots_traceTransaction: every frame with its depth', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const trace = await rpc('ots_traceTransaction', [nested.receipt.transactionHash]);
  assert.equal(trace.length, 2);
  assert.deepEqual(
    trace.map((f) => [f.type, f.depth, f.from, f.to, f.value]),
    [
      ['CALL', 0, lower(nested.sender.address), lower(relay.address), '0x0'],
      ['CALL', 1, lower(relay.address), lower(store.address), '0x0'],
    ],
  );
  assert.equal(trace[1].input, encode(store, 'failWithReason'));
  assert.match(trace[1].output, /^0x08c379a0/);
  assertBadArgument(await rpcError('ots_traceTransaction', [42]), 0, 'not a hash');
});

test('ots_getTransactionError: the revert data of a failed transaction, 0x otherwise', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  assert.equal(failed.receipt.status, 'reverted');
  const data = await rpc('ots_getTransactionError', [failed.receipt.transactionHash]);
  assert.deepEqual(decodeErrorResult({ abi: [], data }).args, ['store: rolled back']);
  assert.equal(await rpc('ots_getTransactionError', [nested.receipt.transactionHash]), '0x');
  assertBadArgument(await rpcError('ots_getTransactionError', ['0x12']), 0, 'short hash');
});

test('ots_getBlockDetails / ByHash: the header with a transaction count, issuance and fees', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const { receipt } = nested;
  const details = await rpc('ots_getBlockDetails', [Number(receipt.blockNumber)]);
  assert.equal(details.block.hash, receipt.blockHash);
  assert.equal(details.block.transactionCount, 1);
  assert.equal(details.block.transactions, undefined);
  assert.equal(details.block.logsBloom, null);
  assert.deepEqual(details.issuance, { blockReward: '0x0', uncleReward: '0x0', issuance: '0x0' });
  assert.equal(BigInt(details.totalFees), receipt.gasUsed * receipt.effectiveGasPrice);
  assert.deepEqual(await rpc('ots_getBlockDetailsByHash', [receipt.blockHash]), details);
  assert.equal(await rpc('ots_getBlockDetails', [10 ** 9]), null);
  assertBadArgument(await rpcError('ots_getBlockDetailsByHash', ['0x12']), 0, 'short hash');
});

test('ots_getBlockTransactions: a page with inputs cut to the selector, receipts without logs', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const { receipt } = nested;
  const out = await rpc('ots_getBlockTransactions', [Number(receipt.blockNumber), 0, 25]);
  assert.equal(out.fullblock.transactionCount, 1);
  assert.equal(out.fullblock.transactions.length, 1);
  assert.equal(out.fullblock.transactions[0].input, encode(relay, 'tryCall', [store.address, '0x']).slice(0, 10));
  assert.equal(out.receipts[0].transactionHash, receipt.transactionHash);
  assert.equal(out.receipts[0].logs, null);
  assert.equal(out.receipts[0].logsBloom, null);
  const beyond = await rpc('ots_getBlockTransactions', [Number(receipt.blockNumber), 1, 25]);
  assert.deepEqual(beyond.fullblock.transactions, [], 'page 1 of a one-transaction block');
  assertBadArgument(await rpcError('ots_getBlockTransactions', [Number(receipt.blockNumber), 'x', 25]), 1, 'bad page');
});

test('ots_searchTransactionsBefore/After: an address history, newest first, with timestamps', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const who = nested.sender.address;
  const expected = [failed.receipt.transactionHash, nested.receipt.transactionHash];
  const before = await rpc('ots_searchTransactionsBefore', [who, 0, 2]);
  assert.deepEqual(before.txs.map((x) => x.hash), expected);
  assert.deepEqual(before.receipts.map((x) => x.transactionHash), expected);
  assert.equal(BigInt(before.receipts[0].timestamp), (await publicBlock(failed.receipt.blockNumber)).timestamp);
  assert.equal(before.firstPage, true);
  // Its funding transfer is found next (the relay's traces touch it only as the callee).
  const next = await rpc('ots_searchTransactionsBefore', [who, Number(nested.receipt.blockNumber), 1]);
  assert.equal(next.txs.length, 1);
  assert.equal(lower(next.txs[0].to), lower(who), 'the transfer that funded it');
  assert.equal(next.firstPage, false);
  // The relay is touched inside the call tree too.
  const after = await rpc('ots_searchTransactionsAfter', [store.address, Number(nested.receipt.blockNumber) - 1, 2]);
  assert.deepEqual(after.txs.map((x) => x.hash), expected, 'internal calls count; answered newest first');
  assert.equal(after.lastPage, false);
  assertBadArgument(await rpcError('ots_searchTransactionsBefore', ['0x12', 0, 2]), 0, 'short address');
});

test('ots_getTransactionBySenderAndNonce and ots_getContractCreator', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const who = nested.sender.address;
  assert.equal(await rpc('ots_getTransactionBySenderAndNonce', [who, 0]), nested.receipt.transactionHash);
  assert.equal(await rpc('ots_getTransactionBySenderAndNonce', [who, '0x1']), failed.receipt.transactionHash);
  assert.equal(await rpc('ots_getTransactionBySenderAndNonce', [who, 7]), null);
  assert.deepEqual(await rpc('ots_getContractCreator', [store.address]), { hash: store.hash, creator: lower(devAccounts[0].address) });
  assert.deepEqual(await rpc('ots_getContractCreator', [forwarder.address]), { hash: forwarder.deployHash, creator: lower(forwarder.deployer) });
  const inner = getContractAddress({ from: forwarder.address, nonce: 1n });
  assert.equal(await rpc('ots_hasCode', [inner, 'latest']), false, 'an empty contract has no code');
  assert.equal(await rpc('ots_getContractCreator', [devAccounts[0].address]), null, 'an EOA');
  assertBadArgument(await rpcError('ots_getTransactionBySenderAndNonce', [who, 'x']), 1, 'bad nonce');
});

async function publicBlock(number) {
  const b = await rpc('eth_getBlockByNumber', [toHex(number), false]);
  return { timestamp: BigInt(b.timestamp) };
}
