// anvil's dev controls of the next block (coinbase, base fee, gas limit, timestamp interval), of
// the pool (dropping transactions, the minimum gas price) and its node information. Hardhat has
// hardhat_setCoinbase, hardhat_setNextBlockBaseFeePerGas and evm_setBlockGasLimit; the anvil-only
// methods are skipped there with the reason. Every test puts back what it changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGwei } from 'viem';
import { freshAccount, isHardhat, isKrnld, localWallet, rpc, rpcError, toHex, withoutAutomine } from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const ANVIL_ONLY = 'anvil only: Hardhat has no such method';
const FEES = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'), gas: 21_000n };
const latest = () => rpc('eth_getBlockByNumber', ['latest', false]);

function assertBadArgument(error, index, what = '') {
  assert.equal(error.code, -32602, `${what} (message: ${error.message})`);
  if (isKrnld) assert.match(error.message, new RegExp(`invalid argument ${index}`), what);
}

test('hardhat_setCoinbase: the next blocks are mined to it', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const before = await rpc('eth_coinbase');
  const miner = '0x1111111111111111111111111111111111111111';
  try {
    assert.equal(await rpc('hardhat_setCoinbase', [miner]), true);
    assert.equal(await rpc('eth_coinbase'), miner);
    await rpc('evm_mine');
    assert.equal((await latest()).miner, miner);
    assertBadArgument(await rpcError('hardhat_setCoinbase', ['0x11']), 0, 'short address');
  } finally {
    await rpc('hardhat_setCoinbase', [before]);
  }
});

test('anvil_setCoinbase answers null, as anvil does', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  const before = await rpc('eth_coinbase');
  try {
    const other = '0x2222222222222222222222222222222222222222';
    assert.equal(await rpc('anvil_setCoinbase', [other]), null);
    await rpc('evm_mine');
    assert.equal((await latest()).miner, other);
  } finally {
    await rpc('anvil_setCoinbase', [before]);
  }
});

test('hardhat_setNextBlockBaseFeePerGas: the next block has it, the one after follows EIP-1559', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const fee = parseGwei('5');
  assert.equal(await rpc('hardhat_setNextBlockBaseFeePerGas', [toHex(fee)]), true);
  await rpc('evm_mine');
  assert.equal(BigInt((await latest()).baseFeePerGas), fee);
  await rpc('evm_mine');
  assert.equal(BigInt((await latest()).baseFeePerGas), (fee * 7n) / 8n, 'an empty block lowers it by 1/8');
  assertBadArgument(await rpcError('hardhat_setNextBlockBaseFeePerGas', ['zz']), 0, 'not a quantity');
});

test('anvil_setNextBlockBaseFeePerGas takes a JSON number; eth_gasPrice follows it', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  // anvil takes a JSON number too.
  assert.equal(await rpc('anvil_setNextBlockBaseFeePerGas', [1_000_000_000]), null);
  assert.equal(await rpc('eth_gasPrice'), toHex(parseGwei('1') + parseGwei('1')), 'base fee set + the suggested tip');
  await rpc('evm_mine');
  assert.equal((await latest()).baseFeePerGas, toHex(parseGwei('1')));
});

test('evm_setBlockGasLimit: the next blocks carry the limit', async () => {
  const before = BigInt((await latest()).gasLimit);
  try {
    assert.equal(await rpc('evm_setBlockGasLimit', [toHex(25_000_000n)]), true);
    await rpc('evm_mine');
    assert.equal((await latest()).gasLimit, toHex(25_000_000n));
    if (isKrnld) {
      // Below one transfer's gas no block could hold a transaction (anvil takes it).
      assertBadArgument(await rpcError('evm_setBlockGasLimit', [toHex(1000n)]), 0, 'below 21000');
    }
  } finally {
    assert.equal(await rpc('evm_setBlockGasLimit', [toHex(before)]), true);
  }
  await rpc('evm_mine');
  assert.equal(BigInt((await latest()).gasLimit), before);
});

test('anvil_setBlockTimestampInterval spaces blocks until anvil_removeBlockTimestampInterval', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  try {
    assert.equal(await rpc('anvil_setBlockTimestampInterval', [1000]), null);
    await rpc('evm_mine');
    const first = BigInt((await latest()).timestamp);
    await rpc('evm_mine');
    assert.equal(BigInt((await latest()).timestamp), first + 1000n);
    assertBadArgument(await rpcError('anvil_setBlockTimestampInterval', ['soon']), 0, 'not a number');
  } finally {
    assert.equal(await rpc('anvil_removeBlockTimestampInterval'), true);
  }
  const last = BigInt((await latest()).timestamp);
  await rpc('evm_mine');
  assert.ok(BigInt((await latest()).timestamp) > last, 'time still moves on');
});

test('anvil_dropTransaction, anvil_removePoolTransactions and anvil_dropAllTransactions empty the pool', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  const a = await freshAccount('1');
  const b = await freshAccount('1');
  const to = '0x3333333333333333333333333333333333333333';
  await withoutAutomine(async () => {
    const a0 = await localWallet(a).sendTransaction({ to, value: 1n, nonce: 0, ...FEES });
    const a1 = await localWallet(a).sendTransaction({ to, value: 1n, nonce: 1, ...FEES });
    const b0 = await localWallet(b).sendTransaction({ to, value: 1n, nonce: 0, ...FEES });
    // The dropped hash, then null: the pool no longer holds it.
    assert.equal(await rpc('anvil_dropTransaction', [a1]), a1);
    assert.equal(await rpc('anvil_dropTransaction', [a1]), null);
    assert.equal(await rpc('eth_getTransactionByHash', [a1]), null);
    assertBadArgument(await rpcError('anvil_dropTransaction', ['0x12']), 0, 'short hash');

    assert.equal(await rpc('anvil_removePoolTransactions', [a.address]), null);
    assert.equal(await rpc('eth_getTransactionByHash', [a0]), null);
    assert.notEqual(await rpc('eth_getTransactionByHash', [b0]), null, "b's transaction stays");

    assert.equal(await rpc('anvil_dropAllTransactions'), null);
    assert.equal(await rpc('eth_getTransactionByHash', [b0]), null);
    assert.deepEqual(await rpc('txpool_status'), { pending: '0x0', queued: '0x0' });
  });
});

test('anvil_setMinGasPrice is refused on an EIP-1559 chain, as anvil refuses it', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  const error = await rpcError('anvil_setMinGasPrice', [toHex(parseGwei('1'))]);
  assert.equal(error.code, -32602);
  assert.equal(error.message, 'anvil_setMinGasPrice is not supported when EIP-1559 is active');
});

test('anvil_nodeInfo and anvil_metadata: the head, the environment and the snapshots in anvil shapes', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await rpc('evm_mine');
  const head = await latest();
  const info = await rpc('anvil_nodeInfo');
  assert.equal(info.currentBlockNumber, head.number);
  assert.equal(info.currentBlockHash, head.hash);
  assert.equal(info.currentBlockTimestamp, Number(BigInt(head.timestamp)), 'a JSON number');
  assert.equal(typeof info.hardFork, 'string');
  assert.equal(info.transactionOrder, 'fees');
  assert.equal(info.environment.chainId, Number(BigInt(await rpc('eth_chainId'))));
  assert.equal(info.environment.gasLimit, head.gasLimit);
  assert.equal(info.environment.gasPrice, await rpc('eth_gasPrice'));
  assert.deepEqual(info.forkConfig, { forkUrl: null, forkBlockNumber: null, forkRetryBackoff: null });

  const id = await rpc('evm_snapshot');
  try {
    const meta = await rpc('anvil_metadata');
    assert.equal(meta.clientVersion, await rpc('web3_clientVersion'));
    assert.equal(meta.chainId, info.environment.chainId);
    assert.match(meta.instanceId, /^0x[0-9a-f]{64}$/);
    assert.equal(meta.latestBlockNumber, Number(BigInt(head.number)));
    assert.equal(meta.latestBlockHash, head.hash);
    assert.equal(meta.forkedNetwork, null);
    assert.deepEqual(meta.snapshots[id], [meta.latestBlockNumber, head.hash]);
    assert.equal((await rpc('anvil_metadata')).instanceId, meta.instanceId, 'one id per node');
  } finally {
    assert.equal(await rpc('evm_revert', [id]), true);
  }
  assert.deepEqual((await rpc('anvil_metadata')).snapshots, {}, 'a reverted snapshot is used up');
});
