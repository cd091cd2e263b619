// Finding 11 (RPC side): filters and subscriptions are capped in number (in total, and subscriptions per
// connection) and in size (addresses and topic alternatives per filter, also for eth_getLogs); dev mining
// has a budget per request that a batch shares.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { blockNumberLatency, call, devToml, freePort, rpc, rpcBody, startNode } from '../lib/node.mjs';

let node;

before(async () => {
  const port = await freePort();
  node = await startNode({
    port,
    toml: devToml({
      port,
      extra: `[limits]
max_filters = 20
max_subscriptions = 8
max_subscriptions_per_connection = 5
max_blocks_mined_per_request = 300
`,
    }),
  });
});

after(async () => {
  await node?.stop();
});

const addresses = (n) => Array.from({ length: n }, (_, i) => '0x' + (i + 1).toString(16).padStart(40, '0'));
const topics = (n) => Array.from({ length: n }, (_, i) => '0x' + (i + 1).toString(16).padStart(64, '0'));

function assertLimit(r, key) {
  assert.equal(r.error?.code, -32005, JSON.stringify(r).slice(0, 300));
  assert.match(r.error.message, new RegExp(`limits\\.${key}`));
}

test('a filter names at most 1,000 addresses and 1,000 alternatives per topic position', async () => {
  for (const method of ['eth_newFilter', 'eth_getLogs']) {
    assertLimit(await rpc(node.url, method, [{ address: addresses(1001) }]), 'max_filter_addresses');
    assertLimit(await rpc(node.url, method, [{ topics: [null, topics(1001)] }]), 'max_filter_topics');
    const ok = await rpc(node.url, method, [{ address: addresses(1000), topics: [topics(1000), null, topics(1000), topics(1000)] }]);
    assert.ok(!ok.error, JSON.stringify(ok.error));
    if (method === 'eth_newFilter') await call(node.url, 'eth_uninstallFilter', [ok.result]);
  }
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});

test('filters are capped in number: -32005 past limits.max_filters, room again after uninstall', async () => {
  const ids = [];
  const kinds = [
    ['eth_newFilter', [{}]],
    ['eth_newBlockFilter', []],
    ['eth_newPendingTransactionFilter', []],
  ];
  for (let i = 0; i < 20; i++) ids.push(await call(node.url, ...kinds[i % 3]));
  for (const [method, params] of kinds) assertLimit(await rpc(node.url, method, params), 'max_filters');
  assert.equal(await call(node.url, 'eth_uninstallFilter', [ids.pop()]), true);
  ids.push(await call(node.url, 'eth_newBlockFilter', []));
  for (const id of ids) await call(node.url, 'eth_uninstallFilter', [id]);
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});

async function openSocket(url) {
  const ws = new WebSocket(url.replace('http', 'ws'));
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  let id = 0;
  const waiting = new Map();
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  return {
    ws,
    request: (method, params = []) =>
      new Promise((res) => {
        const n = ++id;
        waiting.set(n, res);
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: n, method, params }));
      }),
    close: () => new Promise((res) => (ws.readyState === WebSocket.CLOSED ? res() : (ws.once('close', res), ws.close()))),
  };
}

test('subscriptions are capped per connection and in total; closing a connection frees its share', async () => {
  const a = await openSocket(node.url);
  const b = await openSocket(node.url);
  try {
    for (let i = 0; i < 5; i++) assert.ok((await a.request('eth_subscribe', ['newHeads'])).result);
    assertLimit(await a.request('eth_subscribe', ['newHeads']), 'max_subscriptions_per_connection');
    for (let i = 0; i < 3; i++) assert.ok((await b.request('eth_subscribe', ['logs', {}])).result);
    assertLimit(await b.request('eth_subscribe', ['newPendingTransactions']), 'max_subscriptions');
    // A filter of a subscription is capped like any other.
    const c = await openSocket(node.url);
    assertLimit(await c.request('eth_subscribe', ['logs', { address: addresses(1001) }]), 'max_filter_addresses');
    await c.close();
    // Unsubscribing and closing give the room back.
    const first = await b.request('eth_subscribe', ['newHeads']);
    assert.ok(first.error);
    await a.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok((await b.request('eth_subscribe', ['newHeads'])).result);
  } finally {
    await a.close();
    await b.close();
  }
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});

test('dev mining has one budget per request: a batch cannot multiply it', async () => {
  const before = Number(await call(node.url, 'eth_blockNumber'));
  const batch = await rpcBody(
    node.url,
    [1, 2, 3, 4].map((id) => ({ jsonrpc: '2.0', id, method: id % 2 ? 'hardhat_mine' : 'anvil_mine', params: ['0x96'] })),
  ); // 4 x 150 blocks against a budget of 300
  assert.ok(Array.isArray(batch));
  assert.deepEqual(
    batch.map((r) => r.error?.code ?? 'ok'),
    ['ok', 'ok', -32005, -32005],
  );
  assert.match(batch[2].error.message, /limits\.max_blocks_mined_per_request/);
  const mined = Number(await call(node.url, 'eth_blockNumber')) - before;
  assert.equal(mined, 300);
  // evm_mine draws on the same budget.
  const mixed = await rpcBody(node.url, [
    { jsonrpc: '2.0', id: 1, method: 'hardhat_mine', params: ['0x12c'] },
    { jsonrpc: '2.0', id: 2, method: 'evm_mine', params: [] },
  ]);
  assert.equal(mixed[1].error?.code, -32005);
  // One request past the budget alone is refused before it mines anything.
  const single = await rpc(node.url, 'hardhat_mine', ['0x12d']);
  assert.equal(single.error?.code, -32005);
  assert.equal(Number(await call(node.url, 'eth_blockNumber')) - before, 600);
  assert.ok((await blockNumberLatency(node.url)) < 1000);
});

test('filter ids are 128 random bits, so one caller cannot guess and uninstall another\'s', async () => {
  const ids = [];
  for (let i = 0; i < 4; i++) {
    const id = await call(node.url, 'eth_newBlockFilter', []);
    assert.match(id, /^0x[0-9a-f]{32}$/, id);
    ids.push(id);
  }
  assert.equal(new Set(ids).size, ids.length);
  // Consecutive ids share no stride (the old ids were a counter times a constant).
  const n = ids.map((x) => BigInt(x));
  assert.notEqual(n[1] - n[0], n[2] - n[1]);
  for (const id of ids) assert.equal(await call(node.url, 'eth_uninstallFilter', [id]), true);
});
