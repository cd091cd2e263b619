// eth_getLogs (address, topics, ranges, blockHash), the logs bloom, and polling filters.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEventLog, encodeEventTopics, encodeFunctionData, hexToBytes, keccak256, parseGwei } from 'viem';
import {
  deploy,
  freshAccount,
  isHardhat,
  localWallet,
  nodeWallet,
  rpc,
  rpcError,
  toHex,
  waitReceipt,
  withSnapshot,
  withoutAutomine,
} from '../lib/env.js';
import { openSocket } from '../lib/ws.js';
import { pad32 } from '../lib/mpt.js';
import { expected, skipWhereTargetDeparts } from '../expectations.js';

let a;
let b;
let first; // block of a.set(1)
let second; // block of b.set(2)
let third; // block of a.ping(3)
const valueSetTopic = () => encodeEventTopics({ abi: a.abi, eventName: 'ValueSet' })[0];
const pingTopic = () => encodeEventTopics({ abi: a.abi, eventName: 'Ping' })[0];

async function write(contract, functionName, args) {
  const hash = await nodeWallet().writeContract({ address: contract.address, abi: contract.abi, functionName, args });
  return waitReceipt(hash);
}

before(async () => {
  a = await deploy('Store', [0n]);
  b = await deploy('Store', [0n]);
  first = await write(a, 'set', [1n, 'first']);
  second = await write(b, 'set', [2n, 'second']);
  third = await write(a, 'ping', [3n]);
});

const range = () => ({ fromBlock: toHex(first.blockNumber), toBlock: toHex(third.blockNumber) });
const lower = (x) => x.toLowerCase();

test('eth_getLogs by address returns that contract\'s logs in order with full fields', async () => {
  const logs = await rpc('eth_getLogs', [{ ...range(), address: a.address }]);
  assert.equal(logs.length, 2);
  const [set, ping] = logs;
  assert.equal(lower(set.address), lower(a.address));
  assert.equal(set.blockNumber, toHex(first.blockNumber));
  assert.equal(set.blockHash, first.blockHash);
  assert.equal(set.transactionHash, first.transactionHash);
  assert.equal(set.transactionIndex, '0x0');
  assert.equal(set.logIndex, '0x0');
  assert.equal(set.removed, false);
  assert.deepEqual(set.topics, [valueSetTopic(), pad32(lower(nodeWallet().account.address)), pad32(1n)]);
  const decoded = decodeEventLog({ abi: a.abi, data: set.data, topics: set.topics });
  assert.equal(decoded.eventName, 'ValueSet');
  assert.equal(decoded.args.newValue, 1n);
  assert.equal(decoded.args.note, 'first');
  assert.deepEqual(ping.topics, [pingTopic()]);
  assert.equal(BigInt(ping.data), 3n);
  assert.equal(ping.blockNumber, toHex(third.blockNumber));
});

test('eth_getLogs by topics: exact, wildcard position, OR-list, and several addresses', async () => {
  const byEvent = await rpc('eth_getLogs', [{ ...range(), topics: [valueSetTopic()] }]);
  assert.deepEqual(byEvent.map((l) => lower(l.address)), [lower(a.address), lower(b.address)]);
  const byValue = await rpc('eth_getLogs', [{ ...range(), topics: [valueSetTopic(), null, pad32(2n)] }]);
  assert.equal(byValue.length, 1);
  assert.equal(lower(byValue[0].address), lower(b.address));
  const either = await rpc('eth_getLogs', [{ ...range(), address: a.address, topics: [[valueSetTopic(), pingTopic()]] }]);
  assert.equal(either.length, 2);
  const both = await rpc('eth_getLogs', [{ ...range(), address: [a.address, b.address] }]);
  assert.equal(both.length, 3);
  const none = await rpc('eth_getLogs', [{ ...range(), topics: [valueSetTopic(), null, pad32(99n)] }]);
  assert.deepEqual(none, []);
});

test('eth_getLogs by block range and by blockHash', async () => {
  const only = toHex(second.blockNumber);
  const inRange = await rpc('eth_getLogs', [{ fromBlock: only, toBlock: only }]);
  assert.equal(inRange.length, 1);
  assert.equal(inRange[0].transactionHash, second.transactionHash);
  const byHash = await rpc('eth_getLogs', [{ blockHash: second.blockHash }]);
  assert.deepEqual(byHash, inRange);
  const before = await rpc('eth_getLogs', [{ fromBlock: toHex(first.blockNumber - 1n), toBlock: toHex(first.blockNumber - 1n), address: a.address }]);
  assert.deepEqual(before, [], 'no logs of a before its first write');
});

test('the block logs bloom contains the emitting address and the topics', async () => {
  const block = await rpc('eth_getBlockByNumber', [toHex(first.blockNumber), false]);
  const bloom = hexToBytes(block.logsBloom);
  assert.equal(bloom.length, 256);
  const has = (value) => {
    const h = hexToBytes(keccak256(value));
    return [0, 2, 4].every((i) => {
      const bit = ((h[i] << 8) | h[i + 1]) & 2047;
      return (bloom[255 - (bit >> 3)] >> (bit & 7)) & 1;
    });
  };
  assert.ok(has(a.address), 'address in bloom');
  assert.ok(has(valueSetTopic()), 'event topic in bloom');
  assert.ok(has(pad32(1n)), 'indexed value in bloom');
  assert.ok(!has(b.address) || !has(pingTopic()), 'unrelated entries are (almost surely) absent');
});

test('eth_newFilter / eth_getFilterChanges / eth_getFilterLogs / eth_uninstallFilter', async () => {
  await rpc('evm_mine'); // an empty block to start from, so no earlier log matches
  const fromBlock = await rpc('eth_blockNumber');
  const criteria = { fromBlock, address: a.address, topics: [pingTopic()] };
  const id = await rpc('eth_newFilter', [criteria]);
  const twin = await rpc('eth_newFilter', [criteria]); // read only with eth_getFilterLogs
  assert.match(id, /^0x[0-9a-f]+$/);
  assert.notEqual(id, twin);
  assert.deepEqual(await rpc('eth_getFilterChanges', [id]), []);
  const r1 = await write(a, 'ping', [10n]);
  await write(b, 'ping', [11n]); // other address: filtered out
  await write(a, 'set', [12n, 'x']); // other event: filtered out
  const r2 = await write(a, 'ping', [13n]);
  const changes = await rpc('eth_getFilterChanges', [id]);
  assert.deepEqual(changes.map((l) => l.transactionHash), [r1.transactionHash, r2.transactionHash]);
  assert.deepEqual(changes.map((l) => BigInt(l.data)), [10n, 13n]);
  assert.deepEqual(await rpc('eth_getFilterChanges', [id]), [], 'changes are reported once');
  const all = await rpc('eth_getFilterLogs', [twin]);
  assert.deepEqual(all, changes, 'getFilterLogs runs the criteria as a query');
  if (expected.filterLogsRepeatable) {
    assert.deepEqual(await rpc('eth_getFilterLogs', [twin]), all, 'and can be asked again');
    assert.deepEqual(await rpc('eth_getFilterLogs', [id]), all, 'also after getFilterChanges drained it');
  }
  assert.equal(await rpc('eth_uninstallFilter', [twin]), true);
  assert.equal(await rpc('eth_uninstallFilter', [id]), true);
  assert.equal(await rpc('eth_uninstallFilter', [id]), false);
  if (expected.filterNotFound === null) {
    assert.equal(await rpc('eth_getFilterChanges', [id]), null);
  } else {
    const gone = await rpcError('eth_getFilterChanges', [id]);
    assert.equal(gone.code, expected.filterNotFound.code);
    assert.match(gone.message, expected.filterNotFound.message);
  }
});

test('after evm_revert a log filter reports the logs of the blocks mined in place of the reverted ones', async () => {
  await rpc('evm_mine'); // an empty head: Hardhat's filter reports the head block's logs too
  const id = await rpc('eth_newFilter', [{ address: a.address, topics: [pingTopic()] }]);
  try {
    const snapshot = await rpc('evm_snapshot');
    const reverted = await write(a, 'ping', [20n]);
    const seen = await rpc('eth_getFilterChanges', [id]);
    assert.deepEqual(seen.map((l) => l.transactionHash), [reverted.transactionHash]);
    assert.equal(await rpc('evm_revert', [snapshot]), true);
    const mined = await write(a, 'ping', [21n]);
    assert.equal(mined.blockNumber, reverted.blockNumber, 'the new block takes the reverted one\'s number');
    // A revert puts a state back: no removed logs (as anvil and Hardhat), only the new block's.
    const changes = await rpc('eth_getFilterChanges', [id]);
    assert.deepEqual(changes.map((l) => [l.transactionHash, l.removed]), [[mined.transactionHash, false]]);
  } finally {
    await rpc('eth_uninstallFilter', [id]);
  }
});

test('anvil_reorg: a log filter and a logs subscription get the removed logs, then the new chain\'s', async (t) => {
  if (isHardhat) return t.skip('krnld only: Hardhat has no anvil_reorg');
  if (skipWhereTargetDeparts(t)) return;
  const id = await rpc('eth_newFilter', [{ address: a.address, topics: [pingTopic()] }]);
  const ws = await openSocket();
  try {
    const { result: sub } = await ws.request('eth_subscribe', ['logs', { address: a.address, topics: [pingTopic()] }]);
    await withSnapshot(async () => {
      const p1 = await write(a, 'ping', [30n]);
      const p2 = await write(a, 'ping', [31n]);
      assert.deepEqual((await rpc('eth_getFilterChanges', [id])).map((l) => l.transactionHash), [p1.transactionHash, p2.transactionHash]);
      const sent = [await ws.notification(sub), await ws.notification(sub)];
      // Replace both blocks: the first with a ping of another value, the second with nothing.
      const replacement = {
        from: nodeWallet().account.address,
        to: a.address,
        data: encodeFunctionData({ abi: a.abi, functionName: 'ping', args: [32n] }),
      };
      assert.equal(await rpc('anvil_reorg', [2, [[replacement, 0]]]), null);
      const newLog = (await rpc('eth_getLogs', [{ fromBlock: toHex(p1.blockNumber), toBlock: toHex(p1.blockNumber), address: a.address }]))[0];
      assert.equal(BigInt(newLog.data), 32n);
      // Removed first, newest first, each as it was reported but with removed: true.
      const undone = sent.slice().reverse().map((l) => ({ ...l, removed: true }));
      assert.deepEqual(await rpc('eth_getFilterChanges', [id]), [...undone, newLog]);
      assert.deepEqual([await ws.notification(sub), await ws.notification(sub), await ws.notification(sub)], [...undone, newLog]);
    });
  } finally {
    ws.close();
    await rpc('eth_uninstallFilter', [id]);
  }
});

test('eth_newBlockFilter reports new block hashes once, in order', async () => {
  const id = await rpc('eth_newBlockFilter');
  await rpc('evm_mine');
  await rpc('evm_mine');
  let hashes = await rpc('eth_getFilterChanges', [id]);
  if (expected.blockFilterReportsHeadAtCreation) hashes = hashes.slice(1);
  const head = BigInt(await rpc('eth_blockNumber'));
  const expectedHashes = [];
  for (const n of [head - 1n, head]) expectedHashes.push((await rpc('eth_getBlockByNumber', [toHex(n), false])).hash);
  assert.deepEqual(hashes, expectedHashes);
  assert.deepEqual(await rpc('eth_getFilterChanges', [id]), []);
  assert.equal(await rpc('eth_uninstallFilter', [id]), true);
});

test('eth_newPendingTransactionFilter reports hashes of transactions entering the pool', async () => {
  const sender = await freshAccount('1');
  const id = await rpc('eth_newPendingTransactionFilter');
  const hash = await withoutAutomine(async () => {
    const h = await localWallet(sender).sendTransaction({
      to: a.address,
      data: encodeFunctionData({ abi: a.abi, functionName: 'ping', args: [1n] }),
      gas: 50000n,
      maxFeePerGas: parseGwei('20'),
      maxPriorityFeePerGas: parseGwei('1'),
    });
    const changes = await rpc('eth_getFilterChanges', [id]);
    assert.ok(changes.includes(h), 'the pooled transaction is reported');
    await rpc('evm_mine');
    return h;
  });
  assert.equal((await rpc('eth_getTransactionReceipt', [hash])).status, '0x1');
  assert.equal(await rpc('eth_uninstallFilter', [id]), true);
});
