// foundry's `cast` (npm @foundry-rs/cast-linux-amd64) against the node under test: send (a transfer, a
// contract call, a 7702 delegation with --auth), call, estimate, receipt, logs, proof and `cast run`
// (a mined transaction replayed on a fork of the node). Every case checks what cast reports against the
// node's own answers. Skipped with the reason when the cast binary is missing, and on Hardhat (which
// refuses cast's requests).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeAbiParameters, encodeFunctionData, keccak256, parseEther, toEventSelector } from 'viem';
import {
  artifact,
  deploy,
  devAccounts,
  generatePrivateKey,
  isHardhat,
  nodeWallet,
  privateKeyToAccount,
  rpc,
  url,
  waitReceipt,
} from '../lib/env.js';
import { accountLeaf, pad32, storageLeaf, verifyProof } from '../lib/mpt.js';
import { expected } from '../expectations.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const CAST = join(ROOT, 'node_modules/@foundry-rs/cast-linux-amd64/bin/cast');
const NO_CAST = `no cast binary at ${CAST} (npm ci at the repository root)`;
// cast puts the calldata in both `input` and `data` (as geth takes); Hardhat refuses every such request.
const HARDHAT_REFUSES = 'Hardhat refuses cast\'s requests: calldata in both input and data is -32602 "duplicate field `data`"';
const run = promisify(execFile);

/** Runs `cast <args> --rpc-url <node>`; resolves to trimmed stdout, rejects with stderr in the message. */
async function cast(...args) {
  try {
    const { stdout } = await run(CAST, [...args, '--rpc-url', url], { timeout: 60_000, maxBuffer: 16 << 20 });
    return stdout.trim();
  } catch (err) {
    const failure = new Error(`cast ${args.join(' ')} failed: ${err.stderr || err.message}`);
    failure.stderr = String(err.stderr ?? '');
    failure.exitCode = err.code;
    throw failure;
  }
}
const castJson = async (...args) => JSON.parse(await cast(...args, '--json'));
/** Runs cast and resolves to { out: stdout + stderr, code } whatever its exit status. */
async function castAll(...args) {
  try {
    const { stdout, stderr } = await run(CAST, [...args, '--rpc-url', url], { timeout: 60_000, maxBuffer: 16 << 20 });
    return { out: `${stdout}${stderr}`, code: 0 };
  } catch (err) {
    if (err.stdout === undefined) throw err;
    return { out: `${err.stdout}${err.stderr}`, code: err.code };
  }
}

/** A new private key holding `ether` ETH (sent from dev account #8, mined before this returns). */
let funding = Promise.resolve();
async function fundedKey(ether = '10') {
  const key = generatePrivateKey();
  const { address } = privateKeyToAccount(key);
  const send = async () => {
    const hash = await nodeWallet(devAccounts[8].address).sendTransaction({ to: address, value: parseEther(ether) });
    assert.equal((await waitReceipt(hash)).status, 'success');
  };
  funding = funding.then(send, send);
  await funding;
  return { key, address };
}

const skipReason = !existsSync(CAST) ? NO_CAST : isHardhat ? HARDHAT_REFUSES : null;
let store; // Store(1234), deployed once for the file
let storeSender; // the key that sent the mined set(77, "from cast")
let setReceipt; // cast send's receipt of that call
before(async () => {
  if (skipReason) return;
  store = await deploy('Store', [1234n]);
  storeSender = await fundedKey('5');
  setReceipt = await castJson('send', '--private-key', storeSender.key, store.address, 'set(uint256,string)', '77', 'from cast');
});

test('cast send: a transfer moves exactly value; the sender pays gasUsed * effectiveGasPrice', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const sender = await fundedKey('3');
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  const before = BigInt(await rpc('eth_getBalance', [sender.address, 'latest']));
  const receipt = await castJson('send', '--private-key', sender.key, recipient, '--value', '1234567wei');
  assert.equal(receipt.status, '0x1');
  assert.equal(receipt.type, '0x2', 'cast sends EIP-1559 transactions by default');
  assert.equal(receipt.from.toLowerCase(), sender.address.toLowerCase());
  assert.equal(receipt.to.toLowerCase(), recipient.toLowerCase());
  assert.equal(BigInt(receipt.gasUsed), 21000n);
  assert.deepEqual(receipt.logs, []);
  // cast's receipt is the node's receipt.
  const nodeReceipt = await rpc('eth_getTransactionReceipt', [receipt.transactionHash]);
  assert.equal(nodeReceipt.blockHash, receipt.blockHash);
  assert.equal(nodeReceipt.status, '0x1');

  assert.equal(BigInt(await rpc('eth_getBalance', [recipient, 'latest'])), 1234567n);
  const after = BigInt(await rpc('eth_getBalance', [sender.address, 'latest']));
  const fee = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
  assert.equal(before - after, 1234567n + fee);
  assert.equal(await cast('balance', recipient), '1234567');
  assert.equal(await cast('nonce', sender.address), '1');
});

test('cast send: a contract call stores its value and emits the event', async (t) => {
  if (skipReason) return t.skip(skipReason);
  assert.equal(setReceipt.status, '0x1');
  assert.equal(setReceipt.to.toLowerCase(), store.address.toLowerCase());
  assert.equal(setReceipt.logs.length, 1);
  const [log] = setReceipt.logs;
  assert.equal(log.address.toLowerCase(), store.address.toLowerCase());
  assert.equal(log.topics[0], toEventSelector('ValueSet(address,uint256,string)'));
  assert.equal(BigInt(log.topics[1]), BigInt(storeSender.address));
  assert.equal(BigInt(log.topics[2]), 77n);
  assert.deepEqual(decodeAbiParameters([{ type: 'string' }], log.data), ['from cast']);
  assert.equal(BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', 'latest'])), 77n);

  // A call that reverts when mined: cast sends it with a fixed gas limit (no estimate) and reports status 0.
  const failed = await castJson('send', '--private-key', storeSender.key, '--gas-limit', '200000', store.address, 'setThenFail(uint256)', '5');
  assert.equal(failed.status, '0x0');
  assert.deepEqual(failed.logs, []);
  assert.equal(BigInt(await rpc('eth_getStorageAt', [store.address, '0x0', 'latest'])), 77n, 'the revert rolled the store back');
});

test('cast call: decoded results, a historical block, and a revert with its reason', async (t) => {
  if (skipReason) return t.skip(skipReason);
  assert.equal(await cast('call', store.address, 'value()(uint256)'), '77');
  // Before the set was mined the store held its constructor value.
  const beforeSet = String(BigInt(setReceipt.blockNumber) - 1n);
  assert.equal(await cast('call', '--block', beforeSet, store.address, 'value()(uint256)'), '1234');
  assert.equal(await cast('call', store.address, 'credits(address)(uint256)', storeSender.address), '0');

  const head = await rpc('eth_getBlockByNumber', ['latest', false]);
  const [number, , coinbase, basefee] = (await cast('call', '--block', String(BigInt(head.number)), store.address, 'blockInfo()(uint256,uint256,address,uint256)'))
    .split('\n')
    .map((line) => line.split(' ')[0]);
  assert.equal(BigInt(number), BigInt(head.number));
  assert.equal(coinbase.toLowerCase(), head.miner.toLowerCase());
  // geth lowers BASEFEE to 0 in a call that names no gas price (so fee caps never fail a call).
  const zeroBaseFee = expected.callBaseFeeWithoutGasPrice === 'zero';
  assert.equal(BigInt(basefee), zeroBaseFee ? 0n : BigInt(head.baseFeePerGas), 'BASEFEE without a gas price');
  const priced = await cast('call', '--block', String(BigInt(head.number)), '--gas-price', String(2n * BigInt(head.baseFeePerGas)), store.address, 'blockInfo()(uint256,uint256,address,uint256)');
  assert.equal(BigInt(priced.split('\n')[3].split(' ')[0]), BigInt(head.baseFeePerGas), 'BASEFEE with a gas price');

  await assert.rejects(cast('call', store.address, 'failWithReason()'), (err) => {
    assert.notEqual(err.exitCode, 0);
    assert.match(err.stderr, /execution reverted/);
    assert.match(err.stderr, /store: nope/);
    return true;
  });
});

test('cast estimate: 21000 for a transfer; a contract call estimate is enough and is the node\'s', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const sender = await fundedKey('2');
  const transfer = BigInt(await cast('estimate', '--from', sender.address, privateKeyToAccount(generatePrivateKey()).address, '--value', '1'));
  assert.ok(expected.transferEstimate(transfer), `transfer estimate ${transfer}`);

  const estimate = BigInt(await cast('estimate', '--from', sender.address, store.address, 'set(uint256,string)', '9', 'estimated'));
  const data = encodeFunctionData({ abi: artifact('Store').abi, functionName: 'set', args: [9n, 'estimated'] });
  const nodeEstimate = BigInt(await rpc('eth_estimateGas', [{ from: sender.address, to: store.address, data }]));
  assert.equal(estimate, nodeEstimate, 'cast estimate is eth_estimateGas');
  assert.ok(estimate > 21000n);

  // Sent with exactly the estimate, the call succeeds and uses no more than it.
  const receipt = await castJson('send', '--private-key', sender.key, '--gas-limit', String(estimate), store.address, 'set(uint256,string)', '9', 'estimated');
  assert.equal(receipt.status, '0x1');
  assert.ok(BigInt(receipt.gasUsed) <= estimate);
  assert.equal(await cast('call', store.address, 'value()(uint256)'), '9');
  // Put the value back for the tests that read it.
  const back = await castJson('send', '--private-key', sender.key, store.address, 'set(uint256,string)', '77', 'from cast');
  assert.equal(back.status, '0x1');

  // A call that always reverts cannot be estimated; cast passes the reason on.
  await assert.rejects(cast('estimate', '--from', sender.address, store.address, 'failWithReason()'), /store: nope/);
});

test('cast receipt: the node\'s receipt, whole and field by field, for a success and a failure', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const hash = setReceipt.transactionHash;
  const viaCast = await castJson('receipt', hash);
  const viaNode = await rpc('eth_getTransactionReceipt', [hash]);
  for (const field of ['transactionHash', 'blockHash', 'blockNumber', 'status', 'gasUsed', 'cumulativeGasUsed', 'effectiveGasPrice', 'logsBloom', 'type']) {
    assert.equal(viaCast[field], viaNode[field], field);
  }
  assert.equal(viaCast.logs.length, viaNode.logs.length);
  assert.equal(await cast('receipt', hash, 'status'), 'true');
  assert.equal(BigInt(await cast('receipt', hash, 'gasUsed')), BigInt(viaNode.gasUsed));
  assert.equal(await cast('receipt', hash, 'blockNumber'), String(BigInt(viaNode.blockNumber)));

  const sender = await fundedKey('1');
  const failed = await castJson('send', '--private-key', sender.key, '--gas-limit', '200000', store.address, 'setThenFail(uint256)', '1');
  assert.equal(await cast('receipt', failed.transactionHash, 'status'), 'false');
  // An unknown hash has no receipt: cast waits for it, so ask with a short timeout and expect a failure.
  await assert.rejects(cast('receipt', '--async', `0x${'ab'.repeat(32)}`));
});

test('cast logs: by address and event, by an indexed argument, over a block range', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const sender = await fundedKey('1');
  const pinged = [];
  for (const n of [11, 12]) pinged.push(await castJson('send', '--private-key', sender.key, store.address, 'ping(uint256)', String(n)));
  const from = String(BigInt(setReceipt.blockNumber));
  const to = String(BigInt(pinged[1].blockNumber));

  const event = 'ValueSet(address indexed setter,uint256 indexed newValue,string note)';
  const all = JSON.parse(await cast('logs', '--json', '--from-block', from, '--to-block', to, '--address', store.address, event));
  const nodeLogs = await rpc('eth_getLogs', [
    { fromBlock: setReceipt.blockNumber, toBlock: pinged[1].blockNumber, address: store.address, topics: [toEventSelector('ValueSet(address,uint256,string)')] },
  ]);
  assert.deepEqual(all.map((l) => [l.transactionHash, l.logIndex]), nodeLogs.map((l) => [l.transactionHash, l.logIndex]));
  const first = all.find((l) => l.transactionHash === setReceipt.transactionHash);
  assert.ok(first, 'the set mined by cast send is found');
  assert.equal(BigInt(first.topics[2]), 77n);
  assert.equal(first.blockHash, setReceipt.blockHash);

  // By the indexed setter: only storeSender's sets.
  const bySetter = JSON.parse(await cast('logs', '--json', '--from-block', from, '--to-block', to, '--address', store.address, event, storeSender.address));
  assert.ok(bySetter.length >= 1);
  for (const log of bySetter) assert.equal(BigInt(log.topics[1]), BigInt(storeSender.address));
  assert.ok(bySetter.length < all.length || all.every((l) => BigInt(l.topics[1]) === BigInt(storeSender.address)));

  // Ping(uint256): exactly the two just sent, in order, with their data.
  const pings = JSON.parse(await cast('logs', '--json', '--from-block', String(BigInt(pinged[0].blockNumber)), '--to-block', to, '--address', store.address, 'Ping(uint256)'));
  assert.deepEqual(pings.map((l) => BigInt(l.data)), [11n, 12n]);
  assert.deepEqual(pings.map((l) => l.transactionHash), pinged.map((r) => r.transactionHash));
});

test('cast proof: the account and storage proofs verify against the block state root', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const block = await rpc('eth_getBlockByNumber', ['latest', false]);
  const number = String(BigInt(block.number));
  const proof = JSON.parse(await cast('proof', '--block', number, store.address, '0', '1'));
  assert.equal(proof.address.toLowerCase(), store.address.toLowerCase());
  assert.equal(proof.codeHash, keccak256(artifact('Store').deployedBytecode));
  assert.equal(BigInt(proof.nonce), 1n);
  assert.equal(BigInt(proof.balance), BigInt(await rpc('eth_getBalance', [store.address, block.number])));
  assert.equal(verifyProof(block.stateRoot, store.address, proof.accountProof), accountLeaf(proof));

  assert.equal(proof.storageProof.length, 2);
  const [slot0, slot1] = proof.storageProof;
  assert.equal(BigInt(slot0.key), 0n);
  assert.equal(BigInt(slot0.value), 77n);
  assert.equal(verifyProof(proof.storageHash, pad32(0n), slot0.proof), storageLeaf(77n));
  assert.equal(BigInt(slot1.value), 0n);
  assert.equal(verifyProof(proof.storageHash, pad32(1n), slot1.proof), null, 'slot 1 is proven absent');
  // The same proof as eth_getProof's.
  assert.deepEqual(proof.accountProof, (await rpc('eth_getProof', [store.address, [pad32(0n)], block.number])).accountProof);
});

test('cast run: replays a mined transaction with its trace, the gas it used and its outcome', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const out = await cast('run', setReceipt.transactionHash);
  assert.match(out, /Transaction successfully executed\./);
  assert.equal(Number(out.match(/Gas used: (\d+)/)?.[1]), Number(BigInt(setReceipt.gasUsed)), 'replayed gas is the receipt\'s');
  assert.ok(out.toLowerCase().includes(store.address.slice(2).toLowerCase()), 'the trace names the store');
  assert.ok(out.includes(toEventSelector('ValueSet(address,uint256,string)')), 'the trace shows the event');

  const sender = await fundedKey('1');
  const failed = await castJson('send', '--private-key', sender.key, '--gas-limit', '200000', store.address, 'setThenFail(uint256)', '3');
  assert.equal(failed.status, '0x0');
  const { out: replay } = await castAll('run', failed.transactionHash);
  assert.match(replay, /Transaction failed\./);
  assert.doesNotMatch(replay, /successfully executed/);
  assert.match(replay, /store: rolled back/);
  assert.equal(Number(replay.match(/Gas used: (\d+)/)?.[1]), Number(BigInt(failed.gasUsed)));
});

test('cast send --auth: an EIP-7702 delegation, self-sent and sponsored, runs the delegate\'s code', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const delegate = await deploy('Delegate');
  const designator = `0xef0100${delegate.address.slice(2).toLowerCase()}`;
  const incremented = toEventSelector('Incremented(address,address,uint256)');

  // Self-sent: cast signs the authorization with the sender's key (nonce + 1) and sends to itself.
  const self = await fundedKey('1');
  const receipt = await castJson('send', '--private-key', self.key, '--auth', delegate.address, self.address, 'increment()');
  assert.equal(receipt.type, '0x4');
  assert.equal(receipt.status, '0x1');
  assert.equal((await rpc('eth_getCode', [self.address, 'latest'])).toLowerCase(), designator);
  assert.equal(await cast('call', self.address, 'counter()(uint256)'), '1');
  assert.equal(BigInt(await rpc('eth_getStorageAt', [self.address, '0x0', 'latest'])), 1n, 'the storage is the EOA\'s');
  assert.equal(await cast('nonce', self.address), '2', 'the transaction and the authorization each took a nonce');
  assert.equal(receipt.logs.length, 1);
  assert.equal(receipt.logs[0].topics[0], incremented);
  assert.equal(receipt.logs[0].address.toLowerCase(), self.address.toLowerCase());
  assert.equal(BigInt(await rpc('eth_getStorageAt', [delegate.address, '0x0', 'latest'])), 0n, 'the delegate\'s own storage is untouched');

  // Sponsored: the authority signs with `cast wallet sign-auth`, a dev account sends and pays.
  const authorityKey = generatePrivateKey();
  const authority = privateKeyToAccount(authorityKey).address;
  const signed = await cast('wallet', 'sign-auth', '--private-key', authorityKey, delegate.address);
  assert.match(signed, /^0x[0-9a-f]+$/);
  const sponsor = await fundedKey('1');
  const sponsored = await castJson('send', '--private-key', sponsor.key, '--auth', signed, authority, 'increment()');
  assert.equal(sponsored.type, '0x4');
  assert.equal(sponsored.status, '0x1');
  assert.equal(sponsored.from.toLowerCase(), sponsor.address.toLowerCase());
  assert.equal((await rpc('eth_getCode', [authority, 'latest'])).toLowerCase(), designator);
  assert.equal(await cast('call', authority, 'counter()(uint256)'), '1');
  assert.equal(await cast('nonce', authority), '1', 'the authorization took the authority\'s nonce');
  assert.equal(await cast('balance', authority), '0', 'the sponsor paid');
  const tx = await rpc('eth_getTransactionByHash', [sponsored.transactionHash]);
  assert.equal(tx.authorizationList.length, 1);
  assert.equal(tx.authorizationList[0].address.toLowerCase(), delegate.address.toLowerCase());
  assert.equal(BigInt(tx.authorizationList[0].chainId), 31337n);
  assert.equal(BigInt(tx.authorizationList[0].nonce), 0n);
});
