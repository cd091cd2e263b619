// WebSocket on the HTTP port: requests, eth_subscribe newHeads / logs / newPendingTransactions, eth_unsubscribe.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, parseGwei } from 'viem';
import { deploy, freshAccount, localWallet, nodeWallet, rpc, rpcRaw, waitReceipt, withoutAutomine } from '../lib/env.js';
import { openSocket } from '../lib/ws.js';
import { expected, skipWhereTargetDeparts } from '../expectations.js';

let store;
before(async () => {
  store = await deploy('Store', [0n]);
});

test('plain requests work over ws:// on the same port', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const ws = await openSocket();
  try {
    const res = await ws.request('eth_chainId');
    assert.deepEqual(res, { jsonrpc: '2.0', id: res.id, result: '0x7a69' });
    const number = await ws.request('eth_blockNumber');
    assert.equal(number.result, await rpc('eth_blockNumber'));
    const unknown = await ws.request('eth_noSuchMethod');
    assert.equal(unknown.error.code, expected.methodNotFound.code);
    ws.sendRaw('{"jsonrpc":"2.0","id":1,');
    const parse = await ws.next((m) => m?.error, 'parse error');
    assert.equal(parse.error.code, expected.parseError.code);
    assert.equal(parse.id, null);
  } finally {
    ws.close();
  }
});

test('eth_subscribe newHeads: one notification per block, matching eth_getBlockByNumber', async () => {
  const ws = await openSocket();
  try {
    const { result: id } = await ws.request('eth_subscribe', ['newHeads']);
    assert.match(id, /^0x[0-9a-f]+$/);
    await rpc('evm_mine');
    await rpc('evm_mine');
    const heads = [await ws.notification(id), await ws.notification(id)];
    const head = BigInt(await rpc('eth_blockNumber'));
    assert.deepEqual(heads.map((h) => BigInt(h.number)), [head - 1n, head]);
    for (const h of heads) {
      const block = await rpc('eth_getBlockByNumber', [h.number, false]);
      for (const field of ['hash', 'parentHash', 'stateRoot', 'transactionsRoot', 'receiptsRoot', 'timestamp', 'gasLimit', 'baseFeePerGas', 'miner']) {
        assert.equal(h[field], block[field], field);
      }
    }
    assert.equal(heads[1].parentHash, heads[0].hash);
    assert.equal((await ws.request('eth_unsubscribe', [id])).result, true);
  } finally {
    ws.close();
  }
});

test('eth_subscribe logs: only matching logs, with the same fields as eth_getLogs', async () => {
  const ws = await openSocket();
  try {
    const pingTopic = (await rpc('web3_sha3', [`0x${Buffer.from('Ping(uint256)').toString('hex')}`]));
    const { result: id } = await ws.request('eth_subscribe', ['logs', { address: store.address, topics: [pingTopic] }]);
    const write = async (functionName, args) =>
      waitReceipt(await nodeWallet().writeContract({ address: store.address, abi: store.abi, functionName, args }));
    await write('set', [1n, 'not a ping']); // filtered out by topic
    const receipt = await write('ping', [77n]);
    const log = await ws.notification(id);
    const [fromGetLogs] = await rpc('eth_getLogs', [{ blockHash: receipt.blockHash, address: store.address }]);
    assert.deepEqual(log, fromGetLogs);
    assert.equal(BigInt(log.data), 77n);
    assert.equal(log.transactionHash, receipt.transactionHash);
    assert.equal(ws.queued().filter((m) => m?.params?.subscription === id).length, 0, 'the set() log was not sent');
    assert.equal((await ws.request('eth_unsubscribe', [id])).result, true);
  } finally {
    ws.close();
  }
});

test('eth_subscribe newPendingTransactions: the hash of each pooled transaction', async () => {
  const sender = await freshAccount('1');
  const ws = await openSocket();
  try {
    const { result: id } = await ws.request('eth_subscribe', ['newPendingTransactions']);
    const hash = await withoutAutomine(async () => {
      const h = await localWallet(sender).sendTransaction({
        to: store.address, value: 5n, gas: 50000n, maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'),
      });
      const announced = await ws.notification(id);
      assert.equal(announced, h);
      await rpc('evm_mine');
      return h;
    });
    assert.equal((await rpc('eth_getTransactionReceipt', [hash])).status, '0x1');
    assert.equal((await ws.request('eth_unsubscribe', [id])).result, true);
  } finally {
    ws.close();
  }
});

test('eth_unsubscribe stops notifications for that subscription only', async () => {
  const ws = await openSocket();
  try {
    const { result: first } = await ws.request('eth_subscribe', ['newHeads']);
    const { result: second } = await ws.request('eth_subscribe', ['newHeads']);
    assert.notEqual(first, second);
    assert.equal((await ws.request('eth_unsubscribe', [first])).result, true);
    await rpc('evm_mine');
    const head = await ws.notification(second);
    assert.equal(head.number, await rpc('eth_blockNumber'));
    const later = await rpc('eth_blockNumber');
    await rpc('evm_mine');
    const next = await ws.notification(second);
    assert.equal(BigInt(next.number), BigInt(later) + 1n);
    assert.equal(ws.queued().filter((m) => m?.params?.subscription === first).length, 0, 'nothing for the cancelled one');
    const again = await ws.request('eth_unsubscribe', [first]);
    if (expected.unsubscribeUnknown === false) {
      assert.equal(again.result, false);
    } else {
      assert.equal(again.error?.code, expected.unsubscribeUnknown.code);
      assert.match(again.error.message, expected.unsubscribeUnknown.message);
    }
  } finally {
    ws.close();
  }
});

test('a subscription needs a WebSocket: eth_subscribe over HTTP is refused', async () => {
  const res = await rpcRaw('eth_subscribe', ['newHeads']);
  if (expected.subscribeOverHttp === 'accepted') {
    assert.match(res.result, /^0x[0-9a-f]+$/);
    return;
  }
  assert.ok(res.error, 'no subscription over HTTP');
  assert.equal(res.error.code, expected.subscribeOverHttp.code);
  assert.match(res.error.message, expected.subscribeOverHttp.message);
});
