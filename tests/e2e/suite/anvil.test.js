// anvil's aliases of methods krnld has under another name, and anvil's smaller methods: clock
// and interval getters and setters, auto-impersonation, adding to a balance, mining with the
// mined blocks in the answer, unsigned sends, and the uncle, proof-of-work and legacy typed-data
// methods answered as anvil answers them. Hardhat has hardhat_metadata, hardhat_dropTransaction,
// hardhat_setMinGasPrice and hardhat_setLoggingEnabled; the rest is skipped there with the reason.
// Every test puts back what it changed (a snapshot, or the switch turned back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, parseEther } from 'viem';
import {
  deploy,
  devAccounts,
  isHardhat,
  isKrnld,
  privateKeyToAccount,
  generatePrivateKey,
  rpc,
  rpcError,
  toHex,
  waitReceipt,
  withSnapshot,
  withoutAutomine,
} from '../lib/env.js';
import { skipWhereTargetDeparts } from '../expectations.js';

const ANVIL_ONLY = 'anvil only: Hardhat has no such method';
const latest = () => rpc('eth_getBlockByNumber', ['latest', false]);
const randomAddress = () => privateKeyToAccount(generatePrivateKey()).address.toLowerCase();
const dev0 = devAccounts[0].address;

function assertBadParams(error, what) {
  assert.equal(error.code, -32602, `${what} (message: ${error.message})`);
}

test('anvil_* and evm_* aliases answer as the methods they stand for', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    const id = await rpc('anvil_snapshot');
    assert.match(id, /^0x[0-9a-f]+$/);
    const before = await rpc('eth_blockNumber');
    await rpc('evm_mine');
    assert.equal(await rpc('anvil_revert', [id]), true);
    assert.equal(await rpc('eth_blockNumber'), before, 'anvil_revert went back to the snapshot');

    const head = await latest();
    const next = BigInt(head.timestamp) + 100n;
    assert.equal(await rpc('anvil_setNextBlockTimestamp', [toHex(next)]), null);
    await rpc('evm_mine');
    assert.equal((await latest()).timestamp, toHex(next));
    // anvil answers the clock's total offset as a number (Hardhat's evm_increaseTime: a string).
    assert.equal(typeof (await rpc('anvil_increaseTime', [60])), 'number');

    const gasLimit = (await latest()).gasLimit;
    assert.equal(await rpc('anvil_setBlockGasLimit', [toHex(25_000_000n)]), true);
    await rpc('evm_mine');
    assert.equal((await latest()).gasLimit, toHex(25_000_000n));
    assert.equal(await rpc('anvil_setBlockGasLimit', [gasLimit]), true);

    const account = randomAddress();
    assert.equal(await rpc('evm_setAccountNonce', [account, '0x7']), null);
    assert.equal(await rpc('eth_getTransactionCount', [account, 'latest']), '0x7');

    assertBadParams(await rpcError('anvil_increaseTime', ['zz']), 'anvil_increaseTime: not a number');
    assertBadParams(await rpcError('anvil_revert', []), 'anvil_revert: no id');
    assertBadParams(await rpcError('evm_setAccountNonce', ['0x11', '0x1']), 'evm_setAccountNonce: short address');
  });
});

test('eth_networkId, eth_requestAccounts, erigon_getHeaderByNumber: the answers of net_version, eth_accounts, eth_getHeaderByNumber', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  assert.equal(await rpc('eth_networkId'), await rpc('net_version'));
  assert.deepEqual(await rpc('eth_requestAccounts'), await rpc('eth_accounts'));
  const block = await rpc('eth_getBlockByNumber', ['0x0', false]);
  const header = await rpc('erigon_getHeaderByNumber', ['0x0']);
  assert.equal(header.hash, block.hash);
  assert.equal(header.stateRoot, block.stateRoot);
  assertBadParams(await rpcError('erigon_getHeaderByNumber', ['zz']), 'erigon_getHeaderByNumber: not a block');
});

test('hardhat_metadata, hardhat_setLoggingEnabled, hardhat_setMinGasPrice as Hardhat answers them', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  const meta = await rpc('hardhat_metadata');
  assert.equal(meta.chainId, Number(await rpc('eth_chainId')));
  assert.equal(meta.latestBlockNumber, Number(await rpc('eth_blockNumber')));
  assert.equal(meta.latestBlockHash, (await latest()).hash);
  assert.match(meta.instanceId, /^0x[0-9a-f]{64}$/);

  assert.equal(await rpc('hardhat_setLoggingEnabled', [false]), true);
  assert.equal(await rpc('hardhat_setLoggingEnabled', [true]), true);
  assertBadParams(await rpcError('hardhat_setLoggingEnabled', ['yes']), 'hardhat_setLoggingEnabled: not a boolean');

  // With EIP-1559 the base fee prices transactions: both nodes refuse.
  const refused = await rpcError('hardhat_setMinGasPrice', ['0x1']);
  assert.equal(refused.code, -32000);
  assert.match(refused.message, /hardhat_setMinGasPrice is not supported when EIP-1559 is active/);
  assertBadParams(await rpcError('hardhat_setMinGasPrice', ['zz']), 'hardhat_setMinGasPrice: not a quantity');
});

test('anvil_setLoggingEnabled answers null', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  assert.equal(await rpc('anvil_setLoggingEnabled', [false]), null);
  assert.equal(await rpc('anvil_setLoggingEnabled', [true]), null);
  assertBadParams(await rpcError('anvil_setLoggingEnabled', []), 'anvil_setLoggingEnabled: no flag');
});

test('hardhat_dropTransaction: true when the pool held it, then false', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  await withSnapshot(() =>
    withoutAutomine(async () => {
      const hash = await rpc('eth_sendTransaction', [{ from: dev0, to: randomAddress(), value: '0x1' }]);
      assert.equal(await rpc('hardhat_dropTransaction', [hash]), true);
      assert.equal(await rpc('eth_getTransactionByHash', [hash]), null);
      assert.equal(await rpc('hardhat_dropTransaction', [hash]), false);
      assertBadParams(await rpcError('hardhat_dropTransaction', ['0x12']), 'hardhat_dropTransaction: short hash');
    }),
  );
});

test('hardhat_dropAllTransactions empties the pool (null, as anvil answers)', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(() =>
    withoutAutomine(async () => {
      const hash = await rpc('eth_sendTransaction', [{ from: dev0, to: randomAddress(), value: '0x1' }]);
      assert.equal(await rpc('hardhat_dropAllTransactions'), null);
      assert.equal(await rpc('eth_getTransactionByHash', [hash]), null);
    }),
  );
});

test('anvil_addBalance / hardhat_addBalance add to the balance', async (t) => {
  if (skipWhereTargetDeparts(t)) return;
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    const account = randomAddress();
    assert.equal(await rpc('anvil_addBalance', [account, toHex(parseEther('1'))]), null);
    assert.equal(await rpc('hardhat_addBalance', [account, 1000]), null, 'a JSON number, as anvil takes');
    assert.equal(await rpc('eth_getBalance', [account, 'latest']), toHex(parseEther('1') + 1000n));
    await rpc('anvil_setBalance', [account, toHex((1n << 256n) - 1n)]);
    assertBadParams(await rpcError('anvil_addBalance', [account, '0x1']), 'anvil_addBalance: past 2^256 - 1');
    assertBadParams(await rpcError('anvil_addBalance', ['0x11', '0x1']), 'anvil_addBalance: short address');
    assertBadParams(await rpcError('hardhat_addBalance', [account]), 'hardhat_addBalance: no value');
  });
});

test('anvil_autoImpersonateAccount: every sender impersonated while on', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    const sender = randomAddress();
    await rpc('anvil_setBalance', [sender, toHex(parseEther('1'))]);
    const tx = { from: sender, to: randomAddress(), value: '0x1' };
    await rpcError('eth_sendTransaction', [tx]);
    try {
      assert.equal(await rpc('anvil_autoImpersonateAccount', [true]), null);
      const receipt = await waitReceipt(await rpc('eth_sendTransaction', [tx]));
      assert.equal(receipt.status, 'success');
      assert.equal(receipt.from, sender);
    } finally {
      assert.equal(await rpc('hardhat_autoImpersonateAccount', [false]), null);
    }
    await rpcError('eth_sendTransaction', [tx]);
    assertBadParams(await rpcError('anvil_autoImpersonateAccount', ['yes']), 'anvil_autoImpersonateAccount: not a boolean');
  });
});

test('eth_sendUnsignedTransaction sends from any address, unsigned', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    const sender = randomAddress();
    await rpc('anvil_setBalance', [sender, toHex(parseEther('1'))]);
    const to = randomAddress();
    const hash = await rpc('eth_sendUnsignedTransaction', [{ from: sender, to, value: '0x5' }]);
    const receipt = await waitReceipt(hash);
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.from, sender);
    assert.equal(await rpc('eth_getBalance', [to, 'latest']), '0x5');
    assertBadParams(await rpcError('eth_sendUnsignedTransaction', [{ to, value: '0x5' }]), 'no from');
  });
});

test('anvil_getIntervalMining follows anvil_setIntervalMining (seconds; null when off)', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  assert.equal(await rpc('anvil_getIntervalMining'), null);
  try {
    // An hour: no block is mined by it while the test runs.
    assert.equal(await rpc('anvil_setIntervalMining', [3600]), null);
    assert.equal(await rpc('anvil_getIntervalMining'), 3600);
  } finally {
    assert.equal(await rpc('anvil_setIntervalMining', [0]), null);
  }
  assert.equal(await rpc('anvil_getIntervalMining'), null);
  assertBadParams(await rpcError('anvil_setIntervalMining', ['x']), 'anvil_setIntervalMining: not a number');
  assertBadParams(await rpcError('anvil_getIntervalMining', [1]), 'anvil_getIntervalMining: takes nothing');
});

test('anvil_getGenesisTime is block 0 timestamp; evm_setTime / anvil_setTime move the clock', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  const genesis = await rpc('eth_getBlockByNumber', ['0x0', false]);
  assert.equal(await rpc('anvil_getGenesisTime'), Number(genesis.timestamp));
  await withSnapshot(async () => {
    const target = Number((await latest()).timestamp) + 10_000;
    const moved = await rpc('evm_setTime', [target]);
    assert.equal(typeof moved, 'number');
    assert.ok(moved > 0, 'the clock moved forward');
    await rpc('evm_mine');
    assert.ok(Number((await latest()).timestamp) >= target);
    assert.equal(typeof (await rpc('anvil_setTime', [toHex(target + 10_000)])), 'number');
    if (isKrnld) {
      // anvil takes a time before the head's; krnld's clock only moves forward.
      assertBadParams(await rpcError('anvil_setTime', [1]), 'anvil_setTime: back in time');
    }
    assertBadParams(await rpcError('evm_setTime', ['x']), 'evm_setTime: not a number');
  });
});

test('anvil_mine_detailed / evm_mine_detailed answer the mined blocks with their transactions', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    const hash = await withoutAutomine(async () => {
      const h = await rpc('eth_sendTransaction', [{ from: dev0, to: randomAddress(), value: '0x1' }]);
      const [block] = await rpc('anvil_mine_detailed', []);
      assert.equal(block.number, await rpc('eth_blockNumber'));
      assert.equal(block.transactions.length, 1);
      assert.equal(block.transactions[0].hash, h, 'transactions in full');
      assert.equal(block.transactions[0].from, dev0.toLowerCase());
      return h;
    });
    assert.ok(hash);
    const start = Number((await latest()).timestamp) + 1000;
    const blocks = await rpc('evm_mine_detailed', [{ timestamp: start, blocks: 2 }]);
    assert.equal(blocks.length, 2);
    assert.equal(blocks[0].timestamp, toHex(start), 'the first block at the given time');
    assert.equal(blocks[1].parentHash, blocks[0].hash);
    assert.deepEqual(blocks[1].transactions, []);
    assert.equal((await rpc('evm_mine_detailed', [toHex(start + 10)]))[0].timestamp, toHex(start + 10));
    assertBadParams(await rpcError('anvil_mine_detailed', ['zz']), 'anvil_mine_detailed: not a timestamp');
    assertBadParams(await rpcError('anvil_mine_detailed', [1, 2]), 'anvil_mine_detailed: two params');
    if (isKrnld) {
      const over = await rpcError('evm_mine_detailed', [{ blocks: 1_000_000_000 }]);
      assert.match(over.message, /max_blocks_mined_per_request/);
    }
  });
});

test('uncles: none after the merge (null)', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  const block = await latest();
  assert.equal(await rpc('eth_getUncleByBlockNumberAndIndex', ['latest', '0x0']), null);
  assert.equal(await rpc('eth_getUncleByBlockHashAndIndex', [block.hash, '0x0']), null);
  assertBadParams(await rpcError('eth_getUncleByBlockNumberAndIndex', ['latest']), 'no index');
  assertBadParams(await rpcError('eth_getUncleByBlockHashAndIndex', ['0x12', '0x0']), 'short hash');
});

test('eth_signTypedData(_v3), eth_getWork, eth_submitWork, eth_submitHashrate: refused as anvil refuses them', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  for (const [method, params] of [
    ['eth_signTypedData', [dev0, {}]],
    ['eth_signTypedData_v3', [dev0, {}]],
    ['eth_getWork', []],
    ['eth_submitWork', ['0x0000000000000001', `0x${'00'.repeat(32)}`, `0x${'00'.repeat(32)}`]],
    ['eth_submitHashrate', ['0x1', `0x${'00'.repeat(32)}`]],
  ]) {
    const err = await rpcError(method, params);
    assert.equal(err.code, -32603, `${method}: ${err.message}`);
  }
  assertBadParams(await rpcError('eth_signTypedData', []), 'eth_signTypedData: no params');
  assertBadParams(await rpcError('eth_submitWork', ['0x1']), 'eth_submitWork: one param');
});

test('anvil_dealERC20 / hardhat_dealERC20 / anvil_setERC20Balance / anvil_setERC20Allowance find the slot and set it', async (t) => {
  if (isHardhat) return t.skip(ANVIL_ONLY);
  await withSnapshot(async () => {
    const token = await deploy('Erc20Like');
    const view = async (functionName, args) =>
      BigInt(await rpc('eth_call', [{ to: token.address, data: encodeFunctionData({ abi: token.abi, functionName, args }) }, 'latest']));
    const holder = randomAddress();
    const spender = randomAddress();
    assert.equal(await rpc('anvil_dealERC20', [holder, token.address, toHex(100n)]), null);
    assert.equal(await view('balanceOf', [holder]), 100n);
    assert.equal(await rpc('hardhat_dealERC20', [holder, token.address, 250]), null, 'a JSON number, as anvil takes');
    assert.equal(await view('balanceOf', [holder]), 250n);
    assert.equal(await rpc('anvil_setERC20Balance', [dev0, token.address, toHex(7n)]), null);
    assert.equal(await view('balanceOf', [dev0]), 7n);
    assert.equal(await view('balanceOf', [holder]), 250n, 'another holder keeps its balance');
    assert.equal(await rpc('anvil_setERC20Allowance', [holder, spender, token.address, toHex(42n)]), null);
    assert.equal(await view('allowance', [holder, spender]), 42n);
    assert.equal(await view('allowance', [spender, holder]), 0n);

    // Not a token: balanceOf reverts, or an account without code answers nothing (-32603, as anvil).
    const notToken = await deploy('NotAToken');
    assert.equal((await rpcError('anvil_dealERC20', [holder, notToken.address, '0x1'])).code, -32603);
    assert.equal((await rpcError('anvil_dealERC20', [holder, holder, '0x1'])).code, -32603);
    assertBadParams(await rpcError('anvil_dealERC20', [holder, '0x12', '0x1']), 'anvil_dealERC20: short token address');
    assertBadParams(await rpcError('anvil_setERC20Allowance', [holder, spender, token.address]), 'no amount');
  });
});
