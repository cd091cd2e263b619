// Read-only getters beyond the standard set: txpool_content / contentFrom / inspect (geth's shapes),
// eth_getAccount and eth_getAccountInfo, headers without bodies, transactions by sender and nonce,
// and the consensus encodings (eth_getRawTransaction*, debug_getRaw*, debug_codeByHash).
// Hardhat has none of them: every test is skipped there with its reason.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, fromRlp, getAddress, keccak256, parseGwei, parseTransaction, toRlp } from 'viem';
import {
  artifact,
  deploy,
  freshAccount,
  isHardhat,
  isKrnld,
  localWallet,
  nodeWallet,
  rpc,
  rpcError,
  toHex,
  waitReceipt,
  withoutAutomine,
} from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const HARDHAT_SKIP = 'krnld only: Hardhat has no txpool_*, eth_getAccount, eth_getHeaderBy*, raw getters';
const EMPTY_CODE_HASH = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470';
const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
const UNKNOWN_HASH = `0x${'ab'.repeat(32)}`;
/** -32602, and on krnld geth's wording, which names the argument ("invalid argument 1: ..."). */
function assertBadArgument(error, index, what = '') {
  assert.equal(error.code, -32602, `${what} (message: ${error.message})`);
  if (isKrnld) assert.match(error.message, new RegExp(`invalid argument ${index}`), what);
}
const FEES = { maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'), gas: 100_000n };

let store;
let emit; // a mined transaction with a log: { hash, receipt }
before(async () => {
  if (isHardhat) return;
  store = await deploy('Store', [7n]);
  const hash = await nodeWallet().writeContract({
    address: store.address,
    abi: store.abi,
    functionName: 'set',
    args: [99n, 'raw'],
  });
  emit = { hash, receipt: await waitReceipt(hash) };
});

test('txpool_content, contentFrom and inspect: pending and queued by sender (EIP-55) then nonce', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const sender = await freshAccount('1');
  const other = await freshAccount('1');
  const wallet = localWallet(sender);
  // geth keys the senders by their EIP-55 spelling (anvil 1.7 writes them in lower case).
  const bySender = (map) => {
    const key = Object.keys(map).find((k) => k.toLowerCase() === sender.address.toLowerCase());
    if (isKrnld) assert.equal(key, getAddress(sender.address), 'EIP-55 key');
    return map[key];
  };
  await withoutAutomine(async () => {
    const pendingHash = await wallet.sendTransaction({ to: store.address, value: 3n, nonce: 0, ...FEES });
    const queuedHash = await wallet.sendTransaction({ nonce: 2, data: '0x60006000', ...FEES }); // a creation
    const content = await rpc('txpool_content');
    assert.deepEqual(Object.keys(content).sort(), ['pending', 'queued']);
    assert.deepEqual(Object.keys(bySender(content.pending)), ['0'], 'nonce 0 executes now');
    assert.deepEqual(Object.keys(bySender(content.queued)), ['2'], 'nonce 2 waits behind the gap');
    assert.deepEqual(bySender(content.pending)['0'], await rpc('eth_getTransactionByHash', [pendingHash]));
    assert.equal(bySender(content.queued)['2'].hash, queuedHash);
    assert.equal(bySender(content.pending)['0'].blockHash, null);

    const from = await rpc('txpool_contentFrom', [sender.address]);
    assert.deepEqual(from, { pending: bySender(content.pending), queued: bySender(content.queued) });
    assert.deepEqual(await rpc('txpool_contentFrom', [other.address]), { pending: {}, queued: {} });

    const inspect = await rpc('txpool_inspect');
    const to = isKrnld ? getAddress(store.address) : store.address.toLowerCase();
    assert.equal(bySender(inspect.pending)['0'], `${to}: 3 wei + 100000 gas × ${parseGwei('20')} wei`);
    assert.equal(bySender(inspect.queued)['2'], `contract creation: 0 wei + 100000 gas × ${parseGwei('20')} wei`);

    const status = await rpc('txpool_status');
    assert.ok(BigInt(status.pending) >= 1n && BigInt(status.queued) >= 1n, JSON.stringify(status));

    // Filling the gap moves nonce 2 to pending; mining empties the sender's part of the pool.
    await wallet.sendTransaction({ to: store.address, value: 1n, nonce: 1, ...FEES });
    const filled = await rpc('txpool_contentFrom', [sender.address]);
    assert.deepEqual(Object.keys(filled.pending).sort(), ['0', '1', '2']);
    assert.deepEqual(filled.queued, {});
    await rpc('evm_mine');
  });
  assert.deepEqual(await rpc('txpool_contentFrom', [sender.address]), { pending: {}, queued: {} });
});

test('txpool_* refuse bad arguments with -32602 naming the argument', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const bad = await rpcError('txpool_contentFrom', ['0x1234']);
  assertBadArgument(bad, 0);
  assert.equal((await rpcError('txpool_contentFrom', [])).code, -32602);
  assert.equal((await rpcError('txpool_content', [1])).code, -32602);
  assert.equal((await rpcError('txpool_inspect', ['x'])).code, -32602);
});

test('eth_getAccount is the trie account (as eth_getProof); eth_getAccountInfo adds the code', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const account = await rpc('eth_getAccount', [store.address, 'latest']);
  const proof = await rpc('eth_getProof', [store.address, [], 'latest']);
  assert.deepEqual(account, {
    balance: proof.balance,
    nonce: proof.nonce,
    codeHash: keccak256(artifact('Store').deployedBytecode),
    storageRoot: proof.storageHash,
  });
  assert.notEqual(account.storageRoot, EMPTY_TRIE_ROOT, 'Store has storage');
  // Before the deployment the address was empty.
  const before = toHex(store.receipt.blockNumber - 1n);
  assert.deepEqual(await rpc('eth_getAccount', [store.address, before]), {
    balance: '0x0',
    nonce: '0x0',
    codeHash: EMPTY_CODE_HASH,
    storageRoot: EMPTY_TRIE_ROOT,
  });

  const info = await rpc('eth_getAccountInfo', [store.address, 'latest']);
  assert.deepEqual(info, {
    balance: proof.balance,
    nonce: proof.nonce,
    code: artifact('Store').deployedBytecode,
  });
  const eoa = await freshAccount('2');
  assert.deepEqual(await rpc('eth_getAccountInfo', [eoa.address]), {
    balance: toHex(2n * 10n ** 18n),
    nonce: '0x0',
    code: '0x',
  });

  const bad = await rpcError('eth_getAccount', ['0x12', 'latest']);
  assertBadArgument(bad, 0);
  assert.equal((await rpcError('eth_getAccount', [store.address, '0xffffffff'])).code, -32000);
});

test('debug_codeByHash answers code by its keccak, null for unknown code', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const { codeHash } = await rpc('eth_getAccount', [store.address, 'latest']);
  assert.equal(await rpc('debug_codeByHash', [codeHash]), artifact('Store').deployedBytecode);
  assert.equal(await rpc('debug_codeByHash', [codeHash, 'latest']), artifact('Store').deployedBytecode);
  assert.equal(await rpc('debug_codeByHash', [EMPTY_CODE_HASH]), '0x');
  assert.equal(await rpc('debug_codeByHash', [UNKNOWN_HASH]), null);
  const bad = await rpcError('debug_codeByHash', ['0x12']);
  assertBadArgument(bad, 0);
});

test('eth_getHeaderByNumber / ByHash: the block without its body; null for unknown blocks', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const number = toHex(emit.receipt.blockNumber);
  const block = await rpc('eth_getBlockByNumber', [number, false]);
  const expected = { ...block };
  for (const body of ['transactions', 'uncles', 'withdrawals', 'size']) delete expected[body];
  assert.deepEqual(await rpc('eth_getHeaderByNumber', [number]), expected);
  assert.deepEqual(await rpc('eth_getHeaderByHash', [block.hash]), expected);
  assert.equal((await rpc('eth_getHeaderByNumber', ['latest'])).number, await rpc('eth_blockNumber'));
  assert.equal(await rpc('eth_getHeaderByNumber', ['0xffffffff']), null);
  assert.equal(await rpc('eth_getHeaderByHash', [UNKNOWN_HASH]), null);
  assert.equal((await rpcError('eth_getHeaderByNumber', [])).code, -32602);
  const bad = await rpcError('eth_getHeaderByHash', ['0x1234']);
  assertBadArgument(bad, 0);
});

test('raw transactions: the EIP-2718 envelope whose keccak is the hash, mined or pooled', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const raw = await rpc('eth_getRawTransactionByHash', [emit.hash]);
  assert.equal(keccak256(raw), emit.hash);
  assert.equal(await rpc('debug_getRawTransaction', [emit.hash]), raw);
  const parsed = parseTransaction(raw);
  const tx = await rpc('eth_getTransactionByHash', [emit.hash]);
  assert.equal(toHex(parsed.nonce), tx.nonce);
  assert.equal(parsed.to, tx.to);
  assert.equal(parsed.data, tx.input);
  const { blockNumber, blockHash, transactionIndex } = tx;
  assert.equal(await rpc('eth_getRawTransactionByBlockNumberAndIndex', [blockNumber, transactionIndex]), raw);
  assert.equal(await rpc('eth_getRawTransactionByBlockHashAndIndex', [blockHash, transactionIndex]), raw);
  assert.equal(await rpc('eth_getRawTransactionByBlockNumberAndIndex', [blockNumber, '0x63']), null);
  assert.equal(await rpc('eth_getRawTransactionByBlockNumberAndIndex', ['0xffffffff', '0x0']), null);
  assert.equal(await rpc('eth_getRawTransactionByBlockHashAndIndex', [UNKNOWN_HASH, '0x0']), null);
  assert.equal(await rpc('eth_getRawTransactionByHash', [UNKNOWN_HASH]), null);
  assert.equal(await rpc('debug_getRawTransaction', [UNKNOWN_HASH]), null);

  const sender = await freshAccount('1');
  await withoutAutomine(async () => {
    const hash = await localWallet(sender).sendTransaction({ to: store.address, value: 1n, ...FEES });
    const pooled = await rpc('eth_getRawTransactionByHash', [hash]);
    assert.equal(keccak256(pooled), hash);
    await rpc('evm_mine');
  });

  const bad = await rpcError('eth_getRawTransactionByBlockNumberAndIndex', [blockNumber, 'x']);
  assertBadArgument(bad, 1);
  assert.equal((await rpcError('eth_getRawTransactionByHash', ['0x12'])).code, -32602);
});

test('debug_getRawHeader / RawBlock / RawTransactions / RawReceipts encode the block as committed', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const number = toHex(emit.receipt.blockNumber);
  const block = await rpc('eth_getBlockByNumber', [number, false]);
  const header = await rpc('debug_getRawHeader', [number]);
  assert.equal(keccak256(header), block.hash, 'the header hashes to the block hash');
  assert.equal(await rpc('debug_getRawHeader', [block.hash]), header, 'by hash too');
  assert.equal(await rpc('debug_getRawHeader', [{ blockHash: block.hash }]), header, 'and as {blockHash}');

  const raw = await rpc('debug_getRawBlock', [number]);
  const [headerFields, transactions, ommers] = fromRlp(raw);
  assert.equal(toRlp(headerFields), header);
  assert.deepEqual(ommers, []);
  const envelopes = await rpc('debug_getRawTransactions', [number]);
  assert.equal(envelopes.length, block.transactions.length);
  envelopes.forEach((envelope, i) => {
    assert.equal(keccak256(envelope), block.transactions[i]);
    assert.equal(transactions[i], envelope, 'typed transactions are RLP strings in the body');
  });

  const receipts = await rpc('debug_getRawReceipts', [number]);
  const json = await rpc('eth_getBlockReceipts', [number]);
  assert.equal(receipts.length, json.length);
  receipts.forEach((encoded, i) => {
    const typed = Number.parseInt(encoded.slice(2, 4), 16) < 0x80;
    assert.equal(typed, json[i].type !== '0x0');
    const [status, cumulative, bloom, logs] = fromRlp(typed ? `0x${encoded.slice(4)}` : encoded);
    assert.equal(BigInt(status === '0x' ? 0 : status), BigInt(json[i].status));
    assert.equal(BigInt(cumulative), BigInt(json[i].cumulativeGasUsed));
    assert.equal(bloom, json[i].logsBloom);
    assert.equal(logs.length, json[i].logs.length);
    logs.forEach(([address, topics, data], j) => {
      assert.equal(address, json[i].logs[j].address);
      assert.deepEqual(topics, json[i].logs[j].topics);
      assert.equal(data, json[i].logs[j].data);
    });
  });
  assert.ok(json.some((r) => r.logs.length > 0), 'the block has a log to check');

  const byBlock = ['debug_getRawHeader', 'debug_getRawBlock', 'debug_getRawReceipts', 'debug_getRawTransactions'];
  for (const method of byBlock) {
    assert.equal(await rpc(method, ['0xffffffff']), null, `${method} of an unknown number`);
    assert.equal(await rpc(method, [UNKNOWN_HASH]), null, `${method} of an unknown hash`);
    const bad = await rpcError(method, ['lastest']);
    assertBadArgument(bad, 0, method);
    assert.equal((await rpcError(method, [])).code, -32602, `${method} without a block`);
  }
});

test('eth_getTransactionBySenderAndNonce finds mined and pooled transactions (anvil)', async (t) => {
  if (isHardhat) return t.skip(HARDHAT_SKIP);
  const sender = await freshAccount('1');
  const wallet = localWallet(sender);
  const hashes = [];
  for (let i = 0; i < 3; i++) {
    const hash = await wallet.sendTransaction({
      to: store.address,
      data: encodeFunctionData({ abi: store.abi, functionName: 'ping', args: [BigInt(i)] }),
    });
    await waitReceipt(hash);
    hashes.push(hash);
  }
  await rpc('evm_mine'); // a block after the last one, so the search has blocks on both sides
  for (let i = 0; i < 3; i++) {
    const found = await rpc('eth_getTransactionBySenderAndNonce', [sender.address, toHex(i)]);
    assert.deepEqual(found, await rpc('eth_getTransactionByHash', [hashes[i]]), `nonce ${i}`);
  }
  assert.equal(await rpc('eth_getTransactionBySenderAndNonce', [sender.address, '0x3']), null);
  const stranger = await freshAccount('1');
  assert.equal(await rpc('eth_getTransactionBySenderAndNonce', [stranger.address, '0x0']), null);

  await withoutAutomine(async () => {
    const hash = await wallet.sendTransaction({ to: store.address, value: 1n, nonce: 3, ...FEES });
    const pooled = await rpc('eth_getTransactionBySenderAndNonce', [sender.address, '0x3']);
    assert.equal(pooled.hash, hash);
    assert.equal(pooled.blockHash, null);
    await rpc('evm_mine');
  });

  const bad = await rpcError('eth_getTransactionBySenderAndNonce', [sender.address, 'zz']);
  assertBadArgument(bad, 1);
  assert.equal((await rpcError('eth_getTransactionBySenderAndNonce', ['0x12', '0x0'])).code, -32602);
});
