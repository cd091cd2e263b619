// eth_call (with state and block overrides), eth_estimateGas, eth_createAccessList and revert reasons.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeErrorResult,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  parseEther,
  parseGwei,
} from 'viem';
import {
  artifact,
  deploy,
  devAccounts,
  freshAccount,
  localWallet,
  nodeWallet,
  rpc,
  rpcError,
  toHex,
  waitReceipt,
  withoutAutomine,
} from '../lib/env.js';
import { pad32 } from '../lib/mpt.js';
import { expected, skipWhereTargetDeparts } from '../expectations.js';

let store;
let relay;
const from = devAccounts[0].address;
const encode = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
const decode = (c, functionName, data) => decodeFunctionResult({ abi: c.abi, functionName, data });

before(async () => {
  store = await deploy('Store', [41n]);
  relay = await deploy('Relay');
});

test('eth_call returns ABI-encoded results at latest and at an older block', async () => {
  const data = encode(store, 'value');
  assert.equal(decode(store, 'value', await rpc('eth_call', [{ to: store.address, data }, 'latest'])), 41n);
  const receipt = await waitReceipt(
    await nodeWallet().writeContract({ address: store.address, abi: store.abi, functionName: 'set', args: [42n, 'x'] }),
  );
  assert.equal(decode(store, 'value', await rpc('eth_call', [{ to: store.address, data }, 'latest'])), 42n);
  const older = toHex(receipt.blockNumber - 1n);
  assert.equal(decode(store, 'value', await rpc('eth_call', [{ to: store.address, data }, older])), 41n);
  // Restore for the other tests.
  await waitReceipt(
    await nodeWallet().writeContract({ address: store.address, abi: store.abi, functionName: 'set', args: [41n, 'x'] }),
  );
});

test('eth_call with state overrides: balance, code, state and stateDiff', async () => {
  const someone = '0x00000000000000000000000000000000000beef1';
  const balanceCall = { to: store.address, data: encode(store, 'balanceOfAccount', [someone]) };
  assert.equal(decode(store, 'balanceOfAccount', await rpc('eth_call', [balanceCall, 'latest'])), 0n);
  const overridden = await rpc('eth_call', [balanceCall, 'latest', { [someone]: { balance: toHex(12345n) } }]);
  assert.equal(decode(store, 'balanceOfAccount', overridden), 12345n);

  // Code placed at an empty address runs with that address's (empty, or overridden) storage.
  const empty = '0x00000000000000000000000000000000000beef2';
  const valueCall = { to: empty, data: encode(store, 'value') };
  const code = artifact('Store').deployedBytecode;
  assert.equal(decode(store, 'value', await rpc('eth_call', [valueCall, 'latest', { [empty]: { code } }])), 0n);
  const withDiff = await rpc('eth_call', [
    valueCall,
    'latest',
    { [empty]: { code, stateDiff: { [pad32(0n)]: pad32(255n) } } },
  ]);
  assert.equal(decode(store, 'value', withDiff), 255n);

  // `state` replaces the whole storage; `stateDiff` patches it.
  const creditCall = { to: store.address, data: encode(store, 'value') };
  const replaced = await rpc('eth_call', [creditCall, 'latest', { [store.address]: { state: { [pad32(5n)]: pad32(1n) } } }]);
  assert.equal(decode(store, 'value', replaced), 0n, 'slot 0 is gone under a full state override');
  const patched = await rpc('eth_call', [creditCall, 'latest', { [store.address]: { stateDiff: { [pad32(5n)]: pad32(1n) } } }]);
  assert.equal(decode(store, 'value', patched), 41n, 'slot 0 is kept under a state diff');

  // Overrides do not persist.
  assert.equal(decode(store, 'value', await rpc('eth_call', [creditCall, 'latest'])), 41n);
});

test('eth_call with block overrides', async (t) => {
  if (!expected.supports.blockOverrides) return t.skip('krnld only: Hardhat rejects the block-overrides parameter');
  const call = { to: store.address, data: encode(store, 'blockInfo') };
  const coinbase = '0x0000000000000000000000000000000000c0ffee';
  const result = await rpc('eth_call', [
    call,
    'latest',
    {},
    { number: toHex(0x1234n), time: toHex(0x99999999n), feeRecipient: coinbase, baseFeePerGas: toHex(7n) },
  ]);
  const [number, timestamp, miner, basefee] = decode(store, 'blockInfo', result);
  assert.equal(number, 0x1234n);
  assert.equal(timestamp, 0x99999999n);
  assert.equal(getAddress(miner), getAddress(coinbase));
  assert.equal(basefee, 7n);
  // Without overrides the call sees the real next block context.
  const [realNumber] = decode(store, 'blockInfo', await rpc('eth_call', [call, 'latest']));
  assert.ok(realNumber < 0x1234n);
});

test('eth_estimateGas: 21000 for a transfer; a transaction with exactly the estimate succeeds', async () => {
  const transfer = { from, to: devAccounts[1].address, value: toHex(1n) };
  const transferGas = BigInt(await rpc('eth_estimateGas', [transfer]));
  assert.ok(expected.transferEstimate(transferGas), `estimate for a plain transfer: ${transferGas}`);

  const sender = await freshAccount('1');
  const data = encode(relay, 'heavyCall', [store.address, 6n]);
  const estimate = BigInt(await rpc('eth_estimateGas', [{ from: sender.address, to: relay.address, data }]));
  assert.ok(estimate > 100000n, `a call that writes 6 fresh slots needs > 100k gas, got ${estimate}`);
  const hash = await localWallet(sender).sendTransaction({ to: relay.address, data, gas: estimate });
  const receipt = await waitReceipt(hash);
  assert.equal(receipt.status, 'success');
  assert.ok(receipt.gasUsed <= estimate);
  const tx = await rpc('eth_getTransactionByHash', [hash]);
  assert.equal(BigInt(tx.gas), estimate);
});

test('eth_createAccessList lists the touched contract and slots; a type-1 tx with it succeeds', async (t) => {
  if (!expected.supports.createAccessList) return t.skip('krnld only: Hardhat has no eth_createAccessList');
  const sender = await freshAccount('1');
  const data = encode(store, 'set', [99n, 'access list']);
  const result = await rpc('eth_createAccessList', [{ from: sender.address, to: store.address, data }, 'latest']);
  assert.ok(Array.isArray(result.accessList));
  assert.match(result.gasUsed, /^0x[0-9a-f]+$/);
  assert.equal(result.error, undefined);
  const entry = result.accessList.find((e) => e.address.toLowerCase() === store.address.toLowerCase());
  assert.ok(entry, 'the called contract is listed');
  assert.deepEqual(entry.storageKeys, [pad32(0n)], 'slot 0 (value) is the one slot touched');
  const hash = await localWallet(sender).sendTransaction({
    to: store.address,
    data,
    accessList: result.accessList,
    gasPrice: parseGwei('20'),
    type: 'eip2930',
  });
  const receipt = await waitReceipt(hash);
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.type, 'eip2930');
  await waitReceipt(
    await nodeWallet().writeContract({ address: store.address, abi: store.abi, functionName: 'set', args: [41n, 'x'] }),
  );
});

test('eth_call of a revert with Error(string): reason in the message, revert bytes in data', async () => {
  const error = await rpcError('eth_call', [{ from, to: store.address, data: encode(store, 'failWithReason') }, 'latest']);
  assert.equal(error.code, expected.revertWithReason.code);
  const m = error.message.match(expected.revertWithReason.message);
  assert.ok(m, error.message);
  assert.equal(m[1], 'store: nope');
  const data = expected.revertData(error);
  const decoded = decodeErrorResult({ abi: [], data });
  assert.equal(decoded.errorName, 'Error');
  assert.deepEqual(decoded.args, ['store: nope']);
});

test('eth_call of a revert with a custom error: its encoded arguments in data', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const error = await rpcError('eth_call', [{ from, to: store.address, data: encode(store, 'failWithCustom') }, 'latest']);
  assert.equal(error.code, expected.revertCustom.code);
  assert.match(error.message, expected.revertCustom.message);
  const decoded = decodeErrorResult({ abi: store.abi, data: expected.revertData(error) });
  assert.equal(decoded.errorName, 'Unauthorized');
  assert.deepEqual(decoded.args, [from, 42n]);
});

test('a revert bubbled up through a subcall keeps its data', async () => {
  const inner = encode(store, 'failWithReason');
  const error = await rpcError('eth_call', [
    { from, to: relay.address, data: encode(relay, 'mustCall', [store.address, inner]) },
    'latest',
  ]);
  assert.equal(error.code, expected.revertWithReason.code);
  assert.deepEqual(decodeErrorResult({ abi: [], data: expected.revertData(error) }).args, ['store: nope']);
});

test('eth_estimateGas of a reverting call fails with the revert reason', async () => {
  const error = await rpcError('eth_estimateGas', [{ from, to: store.address, data: encode(store, 'failWithReason') }]);
  assert.equal(error.code, expected.revertWithReason.code);
  assert.equal(error.message.match(expected.revertWithReason.message)?.[1], 'store: nope');
});

test('a mined reverting transaction has status 0 and leaves storage untouched', async () => {
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  const hash = await withoutAutomine(async () => {
    const h = await wallet.sendTransaction({
      to: store.address,
      data: encode(store, 'setThenFail', [7n]),
      gas: 100000n,
      maxFeePerGas: parseGwei('20'),
      maxPriorityFeePerGas: parseGwei('1'),
    });
    await rpc('evm_mine');
    return h;
  });
  const receipt = await rpc('eth_getTransactionReceipt', [hash]);
  assert.equal(receipt.status, '0x0');
  assert.ok(BigInt(receipt.gasUsed) > 21000n && BigInt(receipt.gasUsed) < 100000n);
  assert.deepEqual(receipt.logs, []);
  assert.equal(BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', 'latest'])), 41n);
  // The sender still paid for the gas and its nonce advanced.
  assert.equal(await rpc('eth_getTransactionCount', [sender.address, 'latest']), '0x1');
  const fee = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
  assert.equal(BigInt(await rpc('eth_getBalance', [sender.address, 'latest'])), parseEther('1') - fee);
});
