// eth_simulateV1 (ethereum/execution-apis): simulated blocks on top of the head, one state carried
// through them, block and state overrides, per-call results with logs, and validation errors.
// Hardhat has no eth_simulateV1: every test is skipped there with its reason.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, parseEther, parseGwei } from 'viem';
import { deploy, devAccounts, isHardhat, isKrnld, rpc, rpcError, toHex } from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const HARDHAT_SKIP = 'krnld only: Hardhat has no eth_simulateV1';
const encode = (c, functionName, args = []) => encodeFunctionData({ abi: c.abi, functionName, args });
const STRANGER = '0x000000000000000000000000000000000000c0de';

let store;
before(async () => {
  if (isHardhat) return;
  store = await deploy('Store', [7n]);
});

test('eth_simulateV1: blocks in sequence, overrides, results with logs; the chain unchanged', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const head = await rpc('eth_getBlockByNumber', ['latest', false]);
  const from = STRANGER;
  const out = await rpc('eth_simulateV1', [
    {
      blockStateCalls: [
        {
          stateOverrides: { [from]: { balance: toHex(parseEther('1')) } },
          calls: [
            { from, to: store.address, data: encode(store, 'set', [5n, 'sim']) },
            { from, to: store.address, data: encode(store, 'value') },
          ],
        },
        {
          blockOverrides: { time: toHex(BigInt(head.timestamp) + 1000n) },
          calls: [
            { from, to: store.address, data: encode(store, 'blockInfo') },
            { from, to: store.address, data: encode(store, 'failWithReason') },
          ],
        },
      ],
    },
    'latest',
  ]);
  assert.equal(out.length, 2);
  const [b1, b2] = out;
  assert.equal(BigInt(b1.number), BigInt(head.number) + 1n);
  assert.equal(b1.parentHash, head.hash);
  assert.equal(b2.parentHash, b1.hash);
  assert.equal(b1.transactions.length, 2, 'transaction hashes');
  assert.equal(b1.calls[0].status, '0x1');
  assert.equal(b1.calls[0].logs.length, 1);
  assert.equal(b1.calls[0].logs[0].blockHash, b1.hash);
  assert.equal(b1.calls[0].logs[0].transactionHash, b1.transactions[0]);
  assert.equal(BigInt(b1.calls[1].returnData), 5n, 'the second call sees the first');
  assert.equal(BigInt(b1.gasUsed), BigInt(b1.calls[0].gasUsed) + BigInt(b1.calls[1].gasUsed));
  assert.equal(BigInt(`0x${b2.calls[0].returnData.slice(66, 130)}`), BigInt(head.timestamp) + 1000n, 'time overridden');
  assert.equal(b2.calls[1].status, '0x0');
  assert.equal(b2.calls[1].error.code, 3);
  assert.match(b2.calls[1].error.message, /execution reverted: store: nope/);
  assert.equal(BigInt(await rpc('eth_call', [{ to: store.address, data: encode(store, 'value') }])), 7n, 'nothing mined');
  const full = await rpc('eth_simulateV1', [{ blockStateCalls: [{ calls: [{ from, to: store.address }] }], returnFullTransactions: true }, 'latest']);
  assert.equal(full[0].transactions[0].from, from);
});

test('eth_simulateV1 with validation: fees and balances checked, the spec codes', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const poor = await rpcError('eth_simulateV1', [
    { blockStateCalls: [{ calls: [{ from: STRANGER, to: store.address, maxFeePerGas: toHex(parseGwei('10')), value: '0x1' }] }], validation: true },
    'latest',
  ]);
  assert.equal(poor.code, -38014, poor.message);
  const low = await rpcError('eth_simulateV1', [
    { blockStateCalls: [{ calls: [{ from: devAccounts[0].address, to: store.address, nonce: '0x0' }] }], validation: true },
    'latest',
  ]);
  assert.equal(low.code, -38010, low.message);
  const ok = await rpc('eth_simulateV1', [
    { blockStateCalls: [{ calls: [{ from: devAccounts[0].address, to: STRANGER, value: '0x1' }] }], validation: true },
    'latest',
  ]);
  assert.ok(BigInt(ok[0].baseFeePerGas) > 0n, 'the base fee follows the parent');
  assert.equal(ok[0].calls[0].status, '0x1');
  const backwards = await rpcError('eth_simulateV1', [{ blockStateCalls: [{ blockOverrides: { number: '0x1' } }] }, 'latest']);
  assert.equal(backwards.code, -38020, backwards.message);
  const bad = await rpcError('eth_simulateV1', [{ blockStateCalls: 'x' }]);
  assert.equal(bad.code, -32602);
  if (isKrnld) assert.match(bad.message, /invalid argument 0/);
});
