// Identity and chain-level queries: web3_*, net_*, eth_chainId/accounts/blockNumber/syncing/mining/coinbase,
// gas price, priority fee and fee history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAddress, keccak256, parseEther } from 'viem';
import { DEV_BALANCE, devAccounts, freshAccount, nodeWallet, publicClient, rpc, waitReceipt } from '../lib/env.js';
import { expected, skipWhereTargetDeparts } from '../expectations.js';

const HEX_QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/;

test('web3_clientVersion names the node and its version', async () => {
  const version = await rpc('web3_clientVersion');
  assert.match(version, expected.clientVersion);
});

test('web3_sha3 is keccak-256 of the bytes', async () => {
  assert.equal(await rpc('web3_sha3', ['0x68656c6c6f']), keccak256('0x68656c6c6f'));
  assert.equal(
    await rpc('web3_sha3', ['0x']),
    '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
  );
});

test('net_version, net_listening, net_peerCount of a dev node', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  assert.equal(await rpc('net_version'), '31337');
  assert.equal(await rpc('net_listening'), true);
  assert.equal(await rpc('net_peerCount'), '0x0');
});

test('eth_chainId is 31337', async () => {
  assert.equal(await rpc('eth_chainId'), '0x7a69');
});

test('eth_accounts are the 10 dev accounts of the test mnemonic, in derivation order', async () => {
  const accounts = await rpc('eth_accounts');
  assert.deepEqual(
    accounts.map((a) => getAddress(a)),
    devAccounts.map((a) => a.address),
  );
  assert.equal(accounts[0].toLowerCase(), '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
  assert.equal(accounts[9].toLowerCase(), '0xa0ee7a142d267c1f36714e4a8f75612f20a79720');
});

test('each dev account starts with 10,000 ETH and nonce 0 at genesis', async () => {
  for (const { address } of devAccounts) {
    assert.equal(BigInt(await rpc('eth_getBalance', [address, '0x0'])), DEV_BALANCE);
    assert.equal(await rpc('eth_getTransactionCount', [address, '0x0']), '0x0');
  }
});

test('eth_blockNumber advances by one per automined transaction', async () => {
  const before = BigInt(await rpc('eth_blockNumber'));
  const account = await freshAccount('1'); // one automined transfer
  const after = BigInt(await rpc('eth_blockNumber'));
  assert.equal(after, before + 1n);
  assert.equal(await publicClient.getBalance({ address: account.address }), parseEther('1'));
});

test('eth_syncing is false, eth_mining is a boolean', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  assert.equal(await rpc('eth_syncing'), false);
  assert.equal(typeof (await rpc('eth_mining')), 'boolean');
});

test('eth_coinbase is the fee recipient of mined blocks', async () => {
  const coinbase = await rpc('eth_coinbase');
  assert.match(coinbase, /^0x[0-9a-fA-F]{40}$/);
  const hash = await nodeWallet().sendTransaction({ to: devAccounts[1].address, value: 1n });
  const receipt = await waitReceipt(hash);
  const block = await rpc('eth_getBlockByNumber', [`0x${receipt.blockNumber.toString(16)}`, false]);
  assert.equal(block.miner.toLowerCase(), coinbase.toLowerCase());
});

test('eth_gasPrice and eth_maxPriorityFeePerGas are quantities consistent with the base fee', async () => {
  const gasPrice = await rpc('eth_gasPrice');
  const tip = await rpc('eth_maxPriorityFeePerGas');
  assert.match(gasPrice, HEX_QUANTITY);
  assert.match(tip, HEX_QUANTITY);
  const latest = await rpc('eth_getBlockByNumber', ['latest', false]);
  assert.ok(BigInt(gasPrice) >= BigInt(latest.baseFeePerGas), 'gas price covers the base fee');
  assert.ok(BigInt(gasPrice) > 0n);
});

test('eth_feeHistory matches the blocks it describes', async () => {
  // Three blocks with known contents: two transfers and one empty block.
  await freshAccount('1');
  await freshAccount('1');
  await rpc('evm_mine');
  const newest = BigInt(await rpc('eth_blockNumber'));
  const history = await rpc('eth_feeHistory', ['0x3', 'latest', [25, 75]]);
  assert.equal(BigInt(history.oldestBlock), newest - 2n);
  assert.equal(history.baseFeePerGas.length, 4, 'three blocks plus the next one');
  assert.equal(history.gasUsedRatio.length, 3);
  assert.equal(history.reward.length, 3);
  for (let i = 0; i < 3; i++) {
    const block = await rpc('eth_getBlockByNumber', [`0x${(newest - 2n + BigInt(i)).toString(16)}`, false]);
    assert.equal(BigInt(history.baseFeePerGas[i]), BigInt(block.baseFeePerGas), `base fee of block ${i}`);
    const ratio = Number(BigInt(block.gasUsed)) / Number(BigInt(block.gasLimit));
    assert.ok(Math.abs(history.gasUsedRatio[i] - ratio) < 1e-9, `gas used ratio of block ${i}`);
    assert.equal(history.reward[i].length, 2);
    for (const r of history.reward[i]) assert.match(r, HEX_QUANTITY);
  }
  assert.equal(history.gasUsedRatio[2], 0, 'the empty block used no gas');
  // The next base fee follows EIP-1559 from the newest block (gas used below target: it falls).
  const last = await rpc('eth_getBlockByNumber', ['latest', false]);
  assert.ok(BigInt(history.baseFeePerGas[3]) <= BigInt(last.baseFeePerGas));
});
