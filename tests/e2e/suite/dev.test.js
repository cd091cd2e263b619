// Dev-node methods: evm_* mining and time control, snapshots, and the anvil_* / hardhat_* state setters
// and impersonation.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, decodeFunctionResult, parseEther, parseGwei } from 'viem';
import {
  artifact,
  deploy,
  freshAccount,
  generatePrivateKey,
  localWallet,
  privateKeyToAccount,
  rpc,
  rpcError,
  toHex,
  waitReceipt,
} from '../lib/env.js';
import { pad32 } from '../lib/mpt.js';
import { expected, skipWhereTargetDeparts } from '../expectations.js';

let store;
before(async () => {
  store = await deploy('Store', [3n]);
});

const randomAddress = () => privateKeyToAccount(generatePrivateKey()).address;
const latest = () => rpc('eth_getBlockByNumber', ['latest', false]);
const prefixes = ['hardhat', 'anvil'];
/** Calls a state setter; hardhat_* answers true, anvil_* answers null (anvil) or true. */
async function setter(prefix, name, params) {
  const result = await rpc(`${prefix}_${name}`, params);
  if (prefix === 'hardhat') assert.equal(result, true);
  else assert.ok(result === null || result === true, `${prefix}_${name} answered ${JSON.stringify(result)}`);
}
const skipUnlessSupported = (t, prefix) => {
  if (prefix === 'anvil' && !expected.supports.anvilMethods) {
    t.skip('krnld only: Hardhat has no anvil_* methods');
    return true;
  }
  if (prefix === 'hardhat' && !expected.supports.hardhatMethods) {
    t.skip('the target has no hardhat_* methods');
    return true;
  }
  return false;
};

test('evm_mine seals one empty block; with a timestamp it uses it', async () => {
  const before = await latest();
  await rpc('evm_mine');
  const block = await latest();
  assert.equal(BigInt(block.number), BigInt(before.number) + 1n);
  assert.deepEqual(block.transactions, []);
  assert.equal(block.parentHash, before.hash);
  const at = BigInt(block.timestamp) + 500n;
  await rpc('evm_mine', [Number(at)]);
  assert.equal(BigInt((await latest()).timestamp), at);
});

test('evm_snapshot / evm_revert restore balances, nonces, code and the block number', async () => {
  const account = await freshAccount('3');
  const recipient = randomAddress();
  const head = await rpc('eth_blockNumber');
  const id = await rpc('evm_snapshot');
  assert.match(id, /^0x[0-9a-f]+$/);
  await waitReceipt(await localWallet(account).sendTransaction({ to: recipient, value: parseEther('1') }));
  const deployed = await deploy('Store', [1n]);
  assert.equal(BigInt(await rpc('eth_getBalance', [recipient, 'latest'])), parseEther('1'));
  assert.equal(await rpc('evm_revert', [id]), true);
  assert.equal(await rpc('eth_blockNumber'), head);
  assert.equal(BigInt(await rpc('eth_getBalance', [recipient, 'latest'])), 0n);
  assert.equal(BigInt(await rpc('eth_getBalance', [account.address, 'latest'])), parseEther('3'));
  assert.equal(await rpc('eth_getTransactionCount', [account.address, 'latest']), '0x0');
  assert.equal(await rpc('eth_getCode', [deployed.address, 'latest']), '0x');
  assert.equal(await rpc('evm_revert', [id]), false, 'a snapshot is used up by reverting to it');
  // The chain goes on from the restored head.
  await rpc('evm_mine');
  assert.equal(BigInt(await rpc('eth_blockNumber')), BigInt(head) + 1n);
});

test('nested snapshots revert independently', async () => {
  const slot = () => rpc('eth_getStorageAt', [store.address, '0x0', 'latest']).then(BigInt);
  const set = async (v) =>
    waitReceipt(await localWallet(await freshAccount('0.1')).writeContract({ address: store.address, abi: store.abi, functionName: 'set', args: [v, 'n'] }));
  const outer = await rpc('evm_snapshot');
  await set(10n);
  const inner = await rpc('evm_snapshot');
  await set(20n);
  assert.equal(await slot(), 20n);
  assert.equal(await rpc('evm_revert', [inner]), true);
  assert.equal(await slot(), 10n);
  assert.equal(await rpc('evm_revert', [outer]), true);
  assert.equal(await slot(), 3n);
});

test('evm_increaseTime moves the clock of the next block forward', async () => {
  const before = BigInt((await latest()).timestamp);
  const result = await rpc('evm_increaseTime', [3600]);
  assert.ok(expected.increaseTimeResult(result) >= 3600, `evm_increaseTime answered ${result}`);
  await rpc('evm_mine');
  assert.ok(BigInt((await latest()).timestamp) >= before + 3600n);
});

test('evm_setNextBlockTimestamp fixes the next block timestamp, seen by the EVM', async () => {
  const next = BigInt((await latest()).timestamp) + 1000n;
  await rpc('evm_setNextBlockTimestamp', [Number(next)]);
  const sender = await freshAccount('0.1'); // mined in the block with that timestamp
  const block = await latest();
  assert.equal(BigInt(block.timestamp), next);
  assert.equal(BigInt(await rpc('eth_getBalance', [sender.address, block.number])), parseEther('0.1'));
  // A timestamp before the head is refused.
  const error = await rpcError('evm_setNextBlockTimestamp', [Number(next) - 10]);
  assert.ok(error.code < 0);
});

test('evm_setAutomine false keeps transactions pending until evm_mine', async () => {
  const sender = await freshAccount('1');
  await rpc('evm_setAutomine', [false]);
  let hash;
  try {
    hash = await localWallet(sender).sendTransaction({
      to: store.address, value: 1n, gas: 30000n, maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'),
    });
    assert.equal(await rpc('eth_getTransactionReceipt', [hash]), null);
    const pendingTx = await rpc('eth_getTransactionByHash', [hash]);
    assert.equal(pendingTx.blockHash, null);
    assert.equal(pendingTx.blockNumber, null);
    const before = BigInt(await rpc('eth_blockNumber'));
    await rpc('evm_mine');
    assert.equal(BigInt(await rpc('eth_blockNumber')), before + 1n);
  } finally {
    await rpc('evm_setAutomine', [true]);
  }
  const receipt = await rpc('eth_getTransactionReceipt', [hash]);
  assert.equal(receipt.status, '0x1');
  // Automine is back: the next transaction is mined at once (on anvil, by its miner task soon after).
  const again = await localWallet(sender).sendTransaction({ to: store.address, value: 1n });
  if (expected.automineSealsBeforeAnswer) assert.notEqual(await rpc('eth_getTransactionReceipt', [again]), null);
  else assert.equal((await waitReceipt(again)).status, 'success');
});

test('evm_setIntervalMining seals blocks on its own; 0 turns it off', async (t) => {
  if (!expected.intervalMiningInMs) {
    return t.skip('anvil departs from Hardhat: evm_setIntervalMining takes seconds, and 0 stops all mining (automine too)');
  }
  const start = BigInt(await rpc('eth_blockNumber'));
  await rpc('evm_setIntervalMining', [100]);
  try {
    let now = start;
    for (let i = 0; i < 200 && now < start + 2n; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = BigInt(await rpc('eth_blockNumber'));
    }
    assert.ok(now >= start + 2n, `blocks were sealed without transactions (${start} -> ${now})`);
  } finally {
    await rpc('evm_setIntervalMining', [0]);
  }
  // Off again: evm_mine still adds exactly one block.
  const head = BigInt(await rpc('eth_blockNumber'));
  await rpc('evm_mine');
  assert.equal(BigInt(await rpc('eth_blockNumber')), head + 1n);
});

for (const prefix of prefixes) {
  test(`${prefix}_setBalance sets a balance exactly`, async (t) => {
    if (skipWhereTargetDeparts(t)) return;
    if (skipUnlessSupported(t, prefix)) return;
    const who = randomAddress();
    await setter(prefix, 'setBalance', [who, toHex(123456789n)]);
    assert.equal(BigInt(await rpc('eth_getBalance', [who, 'latest'])), 123456789n);
    await setter(prefix, 'setBalance', [who, '0x0']);
    assert.equal(BigInt(await rpc('eth_getBalance', [who, 'latest'])), 0n);
  });

  test(`${prefix}_setCode and ${prefix}_setStorageAt install a working contract`, async (t) => {
    if (skipWhereTargetDeparts(t)) return;
    if (skipUnlessSupported(t, prefix)) return;
    const where = randomAddress();
    const code = artifact('Store').deployedBytecode;
    await setter(prefix, 'setCode', [where, code]);
    assert.equal(await rpc('eth_getCode', [where, 'latest']), code);
    const read = async () =>
      decodeFunctionResult({
        abi: store.abi,
        functionName: 'value',
        data: await rpc('eth_call', [{ to: where, data: encodeFunctionData({ abi: store.abi, functionName: 'value' }) }, 'latest']),
      });
    assert.equal(await read(), 0n);
    await setter(prefix, 'setStorageAt', [where, pad32(0n), pad32(4242n)]);
    assert.equal(await rpc('eth_getStorageAt', [where, '0x0', 'latest']), pad32(4242n));
    assert.equal(await read(), 4242n);
  });

  test(`${prefix}_setNonce sets the next nonce a transaction must use`, async (t) => {
    if (skipWhereTargetDeparts(t)) return;
    if (skipUnlessSupported(t, prefix)) return;
    const account = privateKeyToAccount(generatePrivateKey());
    await setter(prefix, 'setBalance', [account.address, toHex(parseEther('1'))]);
    await setter(prefix, 'setNonce', [account.address, toHex(42)]);
    assert.equal(await rpc('eth_getTransactionCount', [account.address, 'latest']), '0x2a');
    const receipt = await waitReceipt(await localWallet(account).sendTransaction({ to: store.address, value: 1n, nonce: 42 }));
    assert.equal(receipt.status, 'success');
    assert.equal(await rpc('eth_getTransactionCount', [account.address, 'latest']), '0x2b');
  });

  test(`${prefix}_impersonateAccount lets eth_sendTransaction send from any address until stopped`, async (t) => {
    if (skipWhereTargetDeparts(t)) return;
    if (skipUnlessSupported(t, prefix)) return;
    const who = randomAddress();
    const to = randomAddress();
    await setter(prefix, 'setBalance', [who, toHex(parseEther('2'))]);
    const refused = await rpcError('eth_sendTransaction', [{ from: who, to, value: '0x1' }]);
    assert.equal(refused.code, expected.unknownAccount.code);
    assert.match(refused.message, expected.unknownAccount.message);
    await setter(prefix, 'impersonateAccount', [who]);
    const hash = await rpc('eth_sendTransaction', [{ from: who, to, value: toHex(parseEther('0.5')) }]);
    const receipt = await waitReceipt(hash);
    assert.equal(receipt.from.toLowerCase(), who.toLowerCase());
    assert.equal(BigInt(await rpc('eth_getBalance', [to, 'latest'])), parseEther('0.5'));
    await setter(prefix, 'stopImpersonatingAccount', [who]);
    const again = await rpcError('eth_sendTransaction', [{ from: who, to, value: '0x1' }]);
    assert.match(again.message, expected.unknownAccount.message);
  });
}
