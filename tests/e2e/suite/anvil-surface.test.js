// The rest of anvil's surface: edits of history (anvil_rollback, anvil_reorg) and identity
// (anvil_setChainId, anvil_impersonateSignature), the blob getters, and geth's debug_dbGet. Each
// method with its malformed-parameter cases. Hardhat has none of them (skipped with the reason);
// where anvil 1.7 departs from what krnld follows, the part is skipped there with the reason.
// Every test puts back what it changed (a snapshot, the chain id set back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, parseEther, parseGwei } from 'viem';
import {
  deploy,
  devAccounts,
  freshAccount,
  generatePrivateKey,
  isAnvil,
  isHardhat,
  privateKeyToAccount,
  rpc,
  rpcError,
  toHex,
  waitReceipt,
  withSnapshot,
} from '../lib/env.js';

const ANVIL_ONLY = 'anvil only: Hardhat has no such method';
const dev0 = devAccounts[0].address;
const randomAddress = () => privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
const randomWord = () => generatePrivateKey().slice(2); // 32 random bytes, hex without 0x
const blockNumber = async () => BigInt(await rpc('eth_blockNumber'));
const block = (n, full = false) => rpc('eth_getBlockByNumber', [toHex(n), full]);

function assertBadParams(error, what) {
  assert.equal(error.code, -32602, `${what} (message: ${error.message})`);
  assert.ok(error.message.length > 0, `${what}: a message`);
}

async function mineBlocks(n) {
  for (let i = 0; i < n; i++) await rpc('evm_mine');
}

// A transfer signed locally, for the raw form of a transaction.
function signedTransfer(account, { nonce, to, value, chainId = 31337 }) {
  return account.signTransaction({
    chainId,
    type: 'eip1559',
    nonce,
    to,
    value,
    gas: 21000n,
    maxFeePerGas: parseGwei('100'),
    maxPriorityFeePerGas: 1n,
  });
}

test('anvil_rollback removes the last blocks and their transactions', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    await mineBlocks(3);
    const to = randomAddress();
    const hash = await rpc('eth_sendTransaction', [{ from: dev0, to, value: toHex(5) }]);
    await waitReceipt(hash); // anvil seals after it answers
    const head = await blockNumber();
    const parent = await block(head - 1n);
    assert.equal(await rpc('eth_getBalance', [to, 'latest']), '0x5');

    assert.equal(await rpc('anvil_rollback', [null]), null, 'null depth: one block');
    assert.equal(await blockNumber(), head - 1n);
    assert.equal((await block(head - 1n)).hash, parent.hash, 'the kept blocks are unchanged');
    assert.equal(await block(head), null);
    assert.equal(await rpc('eth_getTransactionReceipt', [hash]), null);
    assert.equal(await rpc('eth_getTransactionByHash', [hash]), null, 'dropped, as anvil drops it');
    assert.equal(await rpc('eth_getBalance', [to, 'latest']), '0x0');

    assert.equal(await rpc('anvil_rollback', [2]), null);
    assert.equal(await blockNumber(), head - 3n);
    if (!isAnvil) {
      // anvil 1.7.1 refuses empty params and hex depths (its source takes both).
      assert.equal(await rpc('anvil_rollback', []), null);
      assert.equal(await rpc('anvil_rollback', ['0x0']), null, 'zero: nothing');
      assert.equal(await blockNumber(), head - 4n);
    }

    // The nonce is free again, and the next block takes the next number.
    const again = await rpc('eth_sendTransaction', [{ from: dev0, to, value: toHex(7) }]);
    await waitReceipt(again);
    const receipt = await rpc('eth_getTransactionReceipt', [again]);
    assert.equal(BigInt(receipt.blockNumber), (await blockNumber()));

    const height = await blockNumber();
    const past = await rpcError('anvil_rollback', [Number(height) + 1]);
    assertBadParams(past, 'past genesis');
    assert.match(past.message, /must not exceed .*chain height/i);
    assertBadParams(await rpcError('anvil_rollback', ['x']), 'not a number');
    assertBadParams(await rpcError('anvil_rollback', [1, 2]), 'two params');
    assertBadParams(await rpcError('anvil_rollback', [-1]), 'negative');
    assert.equal(await blockNumber(), height, 'refusals change nothing');
  });
});

test('anvil_reorg replaces the last blocks with blocks of the given transactions', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    const sender = await freshAccount('1');
    await mineBlocks(2);
    const y = randomAddress();
    const old = await rpc('eth_sendTransaction', [{ from: dev0, to: y, value: toHex(1) }]);
    await waitReceipt(old); // anvil seals after it answers
    const head = await blockNumber();
    const oldHead = await block(head);
    const raw = await signedTransfer(sender, { nonce: 0, to: y, value: 3n });

    const pairs = [
      [{ from: dev0, to: y, value: toHex(2) }, 0],
      [raw, 1],
    ];
    assert.equal(await rpc('anvil_reorg', [2, pairs]), null);
    assert.equal(await blockNumber(), head, 'the same height');
    const newHead = await block(head, true);
    assert.notEqual(newHead.hash, oldHead.hash);
    assert.equal(await rpc('eth_getTransactionReceipt', [old]), null, 'the old transaction is gone');
    const first = await block(head - 1n, true);
    assert.equal(first.transactions.length, 1);
    assert.equal(first.transactions[0].to, y);
    assert.equal(first.transactions[0].value, '0x2');
    assert.equal(newHead.parentHash, first.hash);
    assert.equal(newHead.transactions.length, 1);
    assert.equal(newHead.transactions[0].hash, keccak256(raw));
    assert.equal(await rpc('eth_getBalance', [y, 'latest']), '0x5');

    // The object form, no transactions: empty blocks.
    assert.equal(await rpc('anvil_reorg', { depth: 1, tx_block_pairs: [] }), null);
    assert.equal((await block(head)).transactions.length, 0);
    assert.equal(await blockNumber(), head);

    const height = await blockNumber();
    const deep = await rpcError('anvil_reorg', [Number(height) + 1, []]);
    assertBadParams(deep, 'past genesis');
    assert.match(deep.message, /must not exceed .*chain height/i);
    const offset = await rpcError('anvil_reorg', [1, [[{ from: dev0, to: y }, 1]]]);
    assertBadParams(offset, 'offset past the depth');
    assert.match(offset.message, /must not exceed/);
    assertBadParams(await rpcError('anvil_reorg', [1, [[5, 0]]]), 'a number for a transaction');
    assertBadParams(await rpcError('anvil_reorg', [1, [['0x1234', 0]]]), 'undecodable raw bytes');
    assertBadParams(await rpcError('anvil_reorg', []), 'no params');
    assertBadParams(await rpcError('anvil_reorg', [1]), 'no pairs');
    assertBadParams(await rpcError('anvil_reorg', { depth: 1 }), 'no tx_block_pairs');
    if (!isAnvil) {
      // anvil answers -32603 "Required data unavailable" for depth 0.
      assertBadParams(await rpcError('anvil_reorg', [0, []]), 'depth 0');
      const otherChain = await signedTransfer(sender, { nonce: 0, to: y, value: 1n, chainId: 1 });
      const wrongChain = await rpcError('anvil_reorg', [1, [[otherChain, 0]]]);
      assertBadParams(wrongChain, 'signed for another chain');
      assert.match(wrongChain.message, /chain id/);
    }
    assert.equal(await blockNumber(), height, 'refusals change nothing');
  });
});

test('anvil_setChainId changes the id transactions are signed for', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  const sender = await freshAccount('1');
  await withSnapshot(async () => {
    try {
      assert.equal(await rpc('anvil_setChainId', [17]), null);
      assert.equal(await rpc('eth_chainId'), '0x11');
      assert.equal(await rpc('net_version'), '17');
      const stale = await signedTransfer(sender, { nonce: 0, to: dev0, value: 1n });
      const refused = await rpcError('eth_sendRawTransaction', [stale]);
      assert.match(refused.message, /chain id/i);
      const fresh = await signedTransfer(sender, { nonce: 0, to: dev0, value: 1n, chainId: 17 });
      const hash = await rpc('eth_sendRawTransaction', [fresh]);
      assert.equal((await waitReceipt(hash)).status, 'success'); // anvil seals after it answers
      if (!isAnvil) {
        // anvil 1.7's dev signer keeps the id it started with (it refuses the send).
        const sent = await rpc('eth_sendTransaction', [{ from: dev0, to: dev0, value: '0x1' }]);
        assert.equal((await rpc('eth_getTransactionByHash', [sent])).chainId, '0x11');
      }

      assertBadParams(await rpcError('anvil_setChainId', []), 'no id');
      assertBadParams(await rpcError('anvil_setChainId', ['abc']), 'not a number');
      assertBadParams(await rpcError('anvil_setChainId', [-5]), 'negative');
      if (!isAnvil) assertBadParams(await rpcError('anvil_setChainId', [0]), 'zero (anvil takes it)');
      assert.equal(await rpc('eth_chainId'), '0x11', 'refusals change nothing');
    } finally {
      assert.equal(await rpc('anvil_setChainId', [31337]), null);
    }
  });
  assert.equal(await rpc('eth_chainId'), '0x7a69');
});

// ecrecover (precompile 0x01) called with digest, v, r, s (hex words without 0x).
const ecrecover = (digest, v, r, s) =>
  rpc('eth_call', [
    { to: '0x0000000000000000000000000000000000000001', data: `0x${digest}${v.padStart(64, '0')}${r}${s}` },
    'latest',
  ]);

test('anvil_impersonateSignature makes ecrecover answer the chosen signer', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  const [r, s] = [randomWord(), randomWord()];
  const signer = randomAddress();
  const answer = `0x${signer.slice(2).padStart(64, '0')}`;
  // anvil takes the pair inside the params: [[signature, address]].
  assert.equal(await rpc('anvil_impersonateSignature', [[`0x${r}${s}1b`, signer]]), null);
  for (const digest of [randomWord(), randomWord()])
    assert.equal(await ecrecover(digest, '1b', r, s), answer, 'whatever the digest');
  // Another v is another signature: whatever (r, s) recovers to then, not the chosen signer.
  assert.notEqual(await ecrecover(randomWord(), '1c', r, s), answer);
  if (!isAnvil) {
    const [r2, s2] = [randomWord(), randomWord()];
    assert.equal(await rpc('anvil_impersonateSignature', [`0x${r2}${s2}1c`, signer]), null, 'flat form');
    assert.equal(await ecrecover(randomWord(), '1c', r2, s2), answer);
  }
  assertBadParams(await rpcError('anvil_impersonateSignature', []), 'no params');
  if (!isAnvil) {
    // anvil takes any bytes (only 65 can ever match).
    assertBadParams(await rpcError('anvil_impersonateSignature', [[`0x${r}${s}`, signer]]), '64 bytes');
  }
  assertBadParams(await rpcError('anvil_impersonateSignature', [[`0x${r}${s}1b`, '0x1234']]), 'bad address');
  assertBadParams(await rpcError('anvil_impersonateSignature', [['zz', signer]]), 'not hex');
});

test('anvil_getBlobByHash and anvil_getBlobsByTransactionHash', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  // No blob is kept for a hash nobody sent, nor for a mined transaction without blobs.
  assert.equal(await rpc('anvil_getBlobByHash', [`0x01${randomWord().slice(2)}`]), null);
  const hash = await rpc('eth_sendTransaction', [{ from: dev0, to: randomAddress(), value: '0x1' }]);
  await withSnapshot(async () => {
    assert.equal(await rpc('anvil_getBlobsByTransactionHash', [hash]), null);
    assert.equal(await rpc('anvil_getBlobsByTransactionHash', [`0x${randomWord()}`]), null);
  });
  for (const method of ['anvil_getBlobByHash', 'anvil_getBlobsByTransactionHash']) {
    assertBadParams(await rpcError(method, []), `${method}: no params`);
    assertBadParams(await rpcError(method, ['0x01']), `${method}: short hash`);
    assertBadParams(await rpcError(method, [7]), `${method}: a number`);
  }
});

test('debug_dbGet reads geth keys: code, headers, numbers, the head', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  // anvil takes the key bare (params: "0x63..."), not in a list as geth does, and only code keys.
  if (isAnvil) return t.skip('anvil takes debug_dbGet params as a bare string, not geth\'s [key]');
  const store = await deploy('Store', [1234n]);
  const code = await rpc('eth_getCode', [store.address, 'latest']);
  const codeHash = keccak256(code);
  assert.equal(await rpc('debug_dbGet', [`0x63${codeHash.slice(2)}`]), code, "'c' ‖ code hash");
  assert.equal(await rpc('debug_dbGet', [`0x63${randomWord()}`]), null, 'unknown code');

  const head = await rpc('eth_getBlockByNumber', ['latest', false]);
  assert.equal(await rpc('debug_dbGet', ['LastBlock']), head.hash);
  const number = BigInt(head.number).toString(16).padStart(16, '0');
  const rlp = await rpc('debug_dbGet', [`0x68${number}${head.hash.slice(2)}`]);
  assert.equal(keccak256(rlp), head.hash, "'h' ‖ number ‖ hash: the header's RLP");
  assert.equal(await rpc('debug_dbGet', [`0x68${number}${randomWord()}`]), null, 'another hash');
  assert.equal(await rpc('debug_dbGet', [`0x48${head.hash.slice(2)}`]), `0x${number}`, "'H' ‖ hash");
  assert.equal(await rpc('debug_dbGet', [`0x48${randomWord()}`]), null);

  assertBadParams(await rpcError('debug_dbGet', []), 'no key');
  assertBadParams(await rpcError('debug_dbGet', ['0xzz']), 'not hex');
  assertBadParams(await rpcError('debug_dbGet', ['0x']), 'empty');
  assertBadParams(await rpcError('debug_dbGet', [`0x${'00'.repeat(300)}`]), 'too long');
  assertBadParams(await rpcError('debug_dbGet', [7]), 'a number');
  const unsupported = await rpcError('debug_dbGet', ['0x99aa']);
  assertBadParams(unsupported, 'a key krnld does not map');
  assert.match(unsupported.message, /LastBlock/, 'names the keys it answers');
  assertBadParams(await rpcError('debug_dbGet', ['0x63', 'extra']), 'two params');
});
