// KrnlValidator (issue 12): Proof of Provenance on the account side, on both EntryPoints through real
// handleOps. The test plays the engine: it signs the attestation with node keys the account trusts (EIP-712
// domain KRNL / 1 / chainId / KrnlValidator, nonce = userOp.nonce). Fees settle through executeUserOp into the
// vault; each attack sent straight to handleOps is refused with its named error.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { decodeErrorResult, encodeFunctionData, hashDomain, keccak256, parseEventLogs, size, stringToHex, toHex, zeroAddress, concatHex, sliceHex } from 'viem';
import * as h from './lib/harness.mjs';
import { EXECUTE, EXECUTE_USER_OP, installData, krnlOp, krnlPart, wrap, domain } from './lib/krnl-validator.mjs';

const { EP, addressOf, artifact, pub } = h;
const KV = addressOf('KrnlValidator');
const REGISTRY = addressOf('KernelRegistry');
const VAULT = addressOf('KrnlVault');
const FEES = [1_000_000n, 2_000_000n, 500_000n];
const NODE_FEE = 3_000_001n;
const REQUIREMENT = '{"function":"execute(address,uint256,bytes)","kernels":[{"id":"0x1","inputs":["$sender"],"required":true}]}';

const nodes = [h.newKey(), h.newKey(), h.newKey()];
const rogue = h.newKey();
const kernelOwners = [h.newKey(), h.newKey(), h.newKey()];
let kernelIds = [];
let recorder;

/// Every error any contract on the path can raise, so a revert from any depth decodes by name.
const errorAbi = (() => {
  const seen = new Set();
  const out = [];
  for (const name of ['KrnlValidator', 'KrnlVault', 'KernelRegistry', 'AccountV07', 'TokenAuthority'])
    for (const item of artifact(name).abi)
      if (item.type === 'error') {
        const sig = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`;
        if (!seen.has(sig)) seen.add(sig) && out.push(item);
      }
  return out;
})();

/// Why handleOps([ops]) would revert: the EntryPoint's error, and for FailedOpWithRevert the validator's
/// own error decoded by name.
async function refusal(ep, ops) {
  const raw = await h.handleOpsRevertData(ep, ops);
  assert.ok(raw, 'handleOps would succeed');
  const outer = decodeErrorResult({ abi: artifact(ep.name).abi, data: raw });
  if (outer.errorName === 'FailedOpWithRevert') {
    const inner = decodeErrorResult({ abi: errorAbi, data: outer.args[2] });
    return { reason: outer.args[1], name: inner.errorName, args: inner.args ?? [] };
  }
  return { reason: outer.args[1], name: outer.errorName, args: outer.args };
}

/// The named error an eth_call of `data` to `to` from the dev account reverts with, or null.
async function callError(to, data) {
  try {
    await pub.call({ account: h.dev.address, to, data });
    return null;
  } catch (e) {
    for (let x = e; x; x = x.cause) {
      const data = typeof x.data === 'string' ? x.data : x.data?.data;
      if (typeof data === 'string' && data.startsWith('0x')) return decodeErrorResult({ abi: errorAbi, data });
    }
    throw e;
  }
}

async function assertRefused(ep, ops, name, args) {
  const r = await refusal(ep, ops);
  assert.equal(r.name, name, `expected ${name}, got ${r.name} (${r.reason})`);
  if (name !== 'FailedOp') assert.equal(r.reason, 'AA23 reverted');
  if (args) assert.deepEqual(r.args, args);
  return r;
}

const abiOf = (name) => artifact(name).abi;
const record = (arg) => encodeFunctionData({ abi: abiOf('Recorder'), functionName: 'record', args: [arg] });
const vaultBalance = (a) => h.read('KrnlVault', VAULT, 'balanceOf', [a]);
const depositOf = (a) => h.read('KrnlVault', VAULT, 'depositOf', [a]);

/// The account's setup, one sudo executeBatch: bind `execute` to the KrnlValidator, register itself in the
/// KernelRegistry with the validator as its token authority, and fund its vault deposit.
function setupCalls(account, install, { deposit = h.parseEther('0.1'), selectors = [EXECUTE] } = {}) {
  return h.callData('executeBatch', [[
    ...selectors.map((s) => ({ target: account, value: 0n, data: h.callData('setExecution', [s, zeroAddress, KV, 0, 0, install]) })),
    { target: REGISTRY, value: 0n, data: encodeFunctionData({ abi: abiOf('KernelRegistry'), functionName: 'registerApp', args: [account, KV, kernelIds] }) },
    { target: VAULT, value: deposit, data: encodeFunctionData({ abi: abiOf('KrnlVault'), functionName: 'deposit', args: [account] }) },
  ]]);
}

async function expiryIn(seconds) {
  return BigInt((await h.latestTimestamp()) + seconds);
}

before(async () => {
  await h.ensurePredeploys();
  recorder = await h.deploy('Recorder');
  kernelIds = [];
  for (const [i, fee] of FEES.entries()) {
    const r = await h.write('KernelRegistry', REGISTRY, 'registerKernel', [2, stringToHex(`{"kind":"evm-compute","n":${i}}`), fee]);
    const ev = parseEventLogs({ abi: abiOf('KernelRegistry'), logs: r.logs }).find((e) => e.eventName === 'KernelRegistered');
    kernelIds.push(ev.args.id);
    await h.write('KernelRegistry', REGISTRY, 'transferKernel', [ev.args.id, kernelOwners[i].address]);
  }
});

for (const [version, ep] of Object.entries(EP)) {
  describe(`KrnlValidator (${version})`, () => {
    const owner = h.newKey(); // the account's root
    const krnlOwner = h.newKey(); // the owner the validator checks in plugin mode
    let index = 7000n;
    let account; // k = 1 of three nodes
    const base = () => ({ validator: KV, owner: krnlOwner, nodes: [nodes[0]], kernelIds });

    async function krnlAccount(threshold = 1, deposit) {
      const a = await h.createEcdsaAccount(ep, owner, { index: index++ });
      const install = installData({ owner: krnlOwner.address, signers: nodes, threshold, policy: recorder, selectors: [EXECUTE], requirements: [REQUIREMENT] });
      const r = await h.sudoOp(ep, owner, a, setupCalls(a, install, { deposit }));
      assert.equal(r.opEvents[0].args.success, true, 'setup failed');
      return a;
    }

    before(async () => {
      account = await krnlAccount(1);
    });

    test('setup: bound to execute, registered by the account itself, views answer the spec', async () => {
      const [, validator] = await h.read(ep.account, account, 'executionOf', [EXECUTE]);
      assert.equal(validator, KV);
      assert.equal(await h.read('KernelRegistry', REGISTRY, 'tokenAuthorityOf', [account]), KV);
      assert.deepEqual(await h.read('KernelRegistry', REGISTRY, 'appKernels', [account]), kernelIds);
      assert.equal(await depositOf(account), h.parseEther('0.1'));
      assert.equal(await h.read('KrnlValidator', KV, 'thresholdFor', [account]), 1n);
      assert.equal(await h.read('KrnlValidator', KV, 'policyFor', [account]), recorder);
      assert.equal(await h.read('KrnlValidator', KV, 'ownerOf', [account]), krnlOwner.address);
      assert.deepEqual(await h.read('KrnlValidator', KV, 'signersOf', [account]), nodes.map((n) => n.address));
      for (const n of nodes) assert.equal(await h.read('KrnlValidator', KV, 'isSignerFor', [account, n.address]), true);
      assert.equal(await h.read('KrnlValidator', KV, 'isSignerFor', [account, rogue.address]), false);
      assert.equal(await h.read('KrnlValidator', KV, 'requirementOf', [account, EXECUTE]), REQUIREMENT);
      assert.equal(await h.read('KrnlValidator', KV, 'requirementOf', [account, '0x12345678']), '');
      assert.equal(await h.read('KrnlValidator', KV, 'servesApp', [account]), true);
      assert.equal(await h.read('KrnlValidator', KV, 'servesApp', [owner.address]), false);
      assert.equal(await h.read('KrnlValidator', KV, 'domainSeparator'), hashDomain({ domain: domain(KV), types: { EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'version', type: 'string' }, { name: 'chainId', type: 'uint256' }, { name: 'verifyingContract', type: 'address' }] } }));
    });

    test('a KRNL-validated operation executes (k = 1, three kernels, zero fees, plain execute)', async () => {
      const callData = h.execute(recorder, 0n, record(41n));
      const { op } = await krnlOp(ep, { account, callData, ...base(), expiry: await expiryIn(3600) });
      // The same call on the same account nonce with other gas fields, re-signed by the owner, keeps the
      // attestation (it binds the call, not the gas fields: gas estimation changes them between trials).
      const regassed = { ...op, accountGasLimits: h.packUints(900_000n, 700_000n) };
      regassed.signature = concatHex([h.MODE.plugin, await krnlOwner.signMessage({ message: { raw: await h.userOpHash(ep, regassed) } }), sliceHex(op.signature, 4 + 65)]);
      assert.equal(await h.handleOpsRevertData(ep, [regassed]), null);
      const r = await h.handleOps(ep, [op]);
      assert.equal(r.opEvents[0].args.success, true);
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 41n);
      assert.equal(await h.read('Recorder', recorder, 'lastCaller'), account);
      // The same operation again: the EntryPoint's nonce has moved on (AA25), so the attestation is spent.
      assert.equal((await refusal(ep, [op])).reason, 'AA25 invalid account nonce');
    });

    test('fees settle through executeUserOp into the vault: kernel owners and the node payout rise, the deposit falls', async () => {
      const before = { deposit: await depositOf(account), node: await vaultBalance(nodes[0].address), owners: await Promise.all(kernelOwners.map((o) => vaultBalance(o.address))) };
      const callData = wrap(h.execute(recorder, 0n, record(42n)));
      const { op } = await krnlOp(ep, { account, callData, ...base(), kernelFees: FEES, nodeFee: NODE_FEE, expiry: await expiryIn(3600) });
      const r = await h.handleOps(ep, [op]);
      assert.equal(r.opEvents[0].args.success, true, 'execution reverted');
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 42n);
      assert.equal(await h.read('Recorder', recorder, 'lastCaller'), account);
      for (const [i, o] of kernelOwners.entries()) assert.equal(await vaultBalance(o.address), before.owners[i] + FEES[i]);
      assert.equal(await vaultBalance(nodes[0].address), before.node + NODE_FEE); // k = 1: the whole node fee
      assert.equal(await depositOf(account), before.deposit - FEES.reduce((a, b) => a + b) - NODE_FEE);
    });

    test('two fee-paying operations of one account in one handleOps: each settles its own fees', async () => {
      const before = await depositOf(account);
      const first = await krnlOp(ep, { account, callData: wrap(h.execute(recorder, 0n, record(44n))), ...base(), kernelFees: FEES, nodeFee: NODE_FEE, expiry: await expiryIn(3600) });
      const second = await krnlOp(ep, { account, callData: wrap(h.execute(recorder, 0n, record(45n))), ...base(), kernelFees: FEES, nodeFee: NODE_FEE, expiry: await expiryIn(3600), extra: { nonce: first.op.nonce + 1n } });
      const r = await h.handleOps(ep, [first.op, second.op]);
      assert.deepEqual(r.opEvents.map((e) => e.args.success), [true, true]);
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 45n);
      const perOp = FEES.reduce((a, b) => a + b) + NODE_FEE;
      assert.equal(await depositOf(account), before - 2n * perOp);
    });

    test('the hook settles only what validation checked: nothing outside an operation, no other fees', async () => {
      // Called by the account outside a validated operation (a sudo op calling the validator itself).
      const { op: attested } = await krnlOp(ep, { account, callData: wrap(h.execute(recorder, 0n, record(46n))), ...base(), kernelFees: FEES, nodeFee: NODE_FEE, expiry: await expiryIn(3600) });
      const part = sliceHex(attested.signature, 4);
      const hook = encodeFunctionData({ abi: abiOf('KrnlValidator'), functionName: 'onUserOpExecution', args: [part] });
      const before = await depositOf(account);
      const r = await h.sudoOp(ep, owner, account, h.execute(KV, 0n, hook));
      assert.equal(r.opEvents[0].args.success, false, 'a settlement without its validation reverts');
      assert.equal(await depositOf(account), before);
    });

    test('zero fees through executeUserOp: the hook does nothing, the call runs', async () => {
      const before = await depositOf(account);
      const { op } = await krnlOp(ep, { account, callData: wrap(h.execute(recorder, 0n, record(43n))), ...base(), expiry: await expiryIn(3600) });
      assert.equal((await h.handleOps(ep, [op])).opEvents[0].args.success, true);
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 43n);
      assert.equal(await depositOf(account), before);
    });

    test('attack: a replayed attestation (on a second operation) is refused: AttestationForOtherOperation', async () => {
      const callData = h.execute(recorder, 0n, record(1n));
      const first = await krnlOp(ep, { account, callData, ...base(), expiry: await expiryIn(3600) });
      // Second operation (another account-nonce key, so both are valid at once): the owner signs it, the
      // attestation is the first one's.
      const op2 = h.userOp({ sender: account, nonce: await h.getNonce(ep, account, 1n), callData });
      const hash2 = await h.userOpHash(ep, op2);
      const attestation = sliceHex(first.op.signature, 4 + 65);
      op2.signature = concatHex([h.MODE.plugin, await krnlOwner.signMessage({ message: { raw: hash2 } }), attestation]);
      await assertRefused(ep, [op2], 'AttestationForOtherOperation', [first.op.nonce, op2.nonce]);
      // The first operation runs; sent again, the EntryPoint's nonce has moved on (AA25).
      assert.equal((await h.handleOps(ep, [first.op])).opEvents[0].args.success, true);
      assert.equal((await refusal(ep, [first.op])).reason, 'AA25 invalid account nonce');
      // Its attestation on the next operation (the account nonce it was made for is spent):
      const op3 = h.userOp({ sender: account, nonce: await h.getNonce(ep, account), callData });
      const hash3 = await h.userOpHash(ep, op3);
      op3.signature = concatHex([h.MODE.plugin, await krnlOwner.signMessage({ message: { raw: hash3 } }), attestation]);
      await assertRefused(ep, [op3], 'AttestationForOtherOperation', [first.op.nonce, op3.nonce]);
    });

    test('attack: an attestation made for another account is refused: UntrustedSigner', async () => {
      const other = h.newKey().address;
      const { op } = await krnlOp(ep, { account, callData: h.execute(recorder, 0n, record(1n)), ...base(), expiry: await expiryIn(3600), signed: { app: other, sender: other } });
      const r = await assertRefused(ep, [op], 'UntrustedSigner');
      assert.notEqual(r.args[0], nodes[0].address);
    });

    test('attack: an attestation made for another selector is refused: UntrustedSigner', async () => {
      const { op } = await krnlOp(ep, { account, callData: h.execute(recorder, 0n, record(1n)), ...base(), expiry: await expiryIn(3600), signed: { selector: '0x34fcf437' } });
      await assertRefused(ep, [op], 'UntrustedSigner');
    });

    test('attack: an attestation made for other call data is refused: UntrustedSigner', async () => {
      const other = h.execute(recorder, 0n, record(999n));
      const { op } = await krnlOp(ep, { account, callData: h.execute(recorder, 0n, record(1n)), ...base(), expiry: await expiryIn(3600), signed: { argsHash: keccak256(`0x${other.slice(10)}`) } });
      await assertRefused(ep, [op], 'UntrustedSigner');
    });

    test('attack: call data changed after attesting is refused (UntrustedSigner, with or without the owner re-signing; AA24 for a new attestation without the owner)', async () => {
      const attested = await krnlOp(ep, { account, callData: h.execute(recorder, 0n, record(1n)), ...base(), expiry: await expiryIn(3600) });
      const changed = { ...attested.op, callData: h.execute(recorder, 0n, record(666n)) };
      // Someone between the wallet and the chain changes the call: the attestation is over the old arguments.
      await assertRefused(ep, [changed], 'UntrustedSigner');
      // The owner re-signs the changed operation, the attestation is still the old one: the same.
      const hash = await h.userOpHash(ep, changed);
      const attestation = sliceHex(attested.op.signature, 4 + 65);
      changed.signature = concatHex([h.MODE.plugin, await krnlOwner.signMessage({ message: { raw: hash } }), attestation]);
      await assertRefused(ep, [changed], 'UntrustedSigner');
      // An attestation for the new call with the owner's signature of the old operation: AA24.
      const part = await krnlPart({ account, callData: changed.callData, hash, nonce: changed.nonce, ...base(), expiry: await expiryIn(3600) });
      changed.signature = concatHex([h.MODE.plugin, sliceHex(attested.op.signature, 4, 4 + 65), sliceHex(part, 65)]);
      assert.match((await refusal(ep, [changed])).reason, /AA24/);
    });

    test('attack: an expired attestation is refused by the EntryPoint: AA22 (validUntil = expiry)', async () => {
      const { op } = await krnlOp(ep, { account, callData: h.execute(recorder, 0n, record(1n)), ...base(), expiry: await expiryIn(-1) });
      const r = await refusal(ep, [op]);
      assert.equal(r.name, 'FailedOp');
      assert.match(r.reason, /AA22 expired or not due/);
    });

    test('attack: fewer than k signatures (k = 2, one signature): NotEnoughSignatures; unsorted or twice: DuplicateOrUnsortedSigner; two: ok', async () => {
      const a2 = await krnlAccount(2);
      const callData = h.execute(recorder, 0n, record(2n));
      const expiry = await expiryIn(3600);
      let { op } = await krnlOp(ep, { account: a2, callData, ...base(), expiry });
      await assertRefused(ep, [op], 'NotEnoughSignatures', [1n, 2n]);
      const sorted = [nodes[1], nodes[2]].sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));
      ({ op } = await krnlOp(ep, { account: a2, callData, ...base(), nodes: [sorted[1], sorted[0]], keepOrder: true, expiry }));
      await assertRefused(ep, [op], 'DuplicateOrUnsortedSigner', [sorted[0].address]);
      ({ op } = await krnlOp(ep, { account: a2, callData, ...base(), nodes: [nodes[1], nodes[1]], keepOrder: true, expiry }));
      await assertRefused(ep, [op], 'DuplicateOrUnsortedSigner', [nodes[1].address]);
      // Two signers with fees: the node fee is split between their payouts (the odd wei stays in the deposit).
      const before = await Promise.all(sorted.map((n) => vaultBalance(n.address)));
      const depositBefore = await depositOf(a2);
      ({ op } = await krnlOp(ep, { account: a2, callData: wrap(callData), ...base(), nodes: sorted, kernelFees: FEES, nodeFee: NODE_FEE, expiry }));
      assert.equal((await h.handleOps(ep, [op])).opEvents[0].args.success, true);
      for (const [i, n] of sorted.entries()) assert.equal(await vaultBalance(n.address), before[i] + NODE_FEE / 2n);
      assert.equal(await depositOf(a2), depositBefore - FEES.reduce((x, y) => x + y) - (NODE_FEE / 2n) * 2n);
    });

    test('attack: an untrusted signer is refused: UntrustedSigner(signer)', async () => {
      const { op } = await krnlOp(ep, { account, callData: h.execute(recorder, 0n, record(1n)), ...base(), nodes: [rogue], expiry: await expiryIn(3600) });
      await assertRefused(ep, [op], 'UntrustedSigner', [rogue.address]);
    });

    test('attack: owner signature missing (OwnerSignatureMissing) or wrong (AA24); attestation missing (AttestationMissing) or malformed', async () => {
      const callData = h.execute(recorder, 0n, record(1n));
      const { op, hash } = await krnlOp(ep, { account, callData, ...base(), expiry: await expiryIn(3600) });
      const attestation = sliceHex(op.signature, 4 + 65);
      // Missing: the attestation alone.
      await assertRefused(ep, [{ ...op, signature: h.MODE.plugin }], 'OwnerSignatureMissing');
      await assertRefused(ep, [{ ...op, signature: concatHex([h.MODE.plugin, sliceHex(attestation, 0, 64)]) }], 'OwnerSignatureMissing');
      // Wrong: another key (the account's root is not the validator's owner either).
      for (const key of [h.newKey(), owner, nodes[0]]) {
        const sig = concatHex([h.MODE.plugin, await key.signMessage({ message: { raw: hash } }), attestation]);
        const r = await refusal(ep, [{ ...op, signature: sig }]);
        assert.equal(r.name, 'FailedOp');
        assert.match(r.reason, /AA24/);
      }
      // The owner's signature alone: AttestationMissing; garbage after it: MalformedAttestation.
      const ownerSig = await krnlOwner.signMessage({ message: { raw: hash } });
      await assertRefused(ep, [{ ...op, signature: concatHex([h.MODE.plugin, ownerSig]) }], 'AttestationMissing');
      await assertRefused(ep, [{ ...op, signature: concatHex([h.MODE.plugin, ownerSig, '0x1234']) }], 'MalformedAttestation');
      await assertRefused(ep, [{ ...op, signature: concatHex([h.MODE.plugin, ownerSig, sliceHex(attestation, 0, size(attestation) - 40)]) }], 'MalformedAttestation');
      // The untouched operation passes.
      assert.equal((await h.handleOps(ep, [op])).opEvents[0].args.success, true);
    });

    test('fees on a plain execute (not through executeUserOp) are refused: SettlementNeedsExecuteUserOp', async () => {
      const { op } = await krnlOp(ep, { account, callData: h.execute(recorder, 0n, record(1n)), ...base(), kernelFees: FEES, nodeFee: NODE_FEE, expiry: await expiryIn(3600) });
      await assertRefused(ep, [op], 'SettlementNeedsExecuteUserOp');
    });

    test('fees the deposit cannot cover: the execution reverts with InsufficientDeposit, the call does not run', async () => {
      const poor = await krnlAccount(1, 1000n);
      const callsBefore = await h.read('Recorder', recorder, 'calls');
      const { op } = await krnlOp(ep, { account: poor, callData: wrap(h.execute(recorder, 0n, record(5n))), ...base(), kernelFees: FEES, nodeFee: NODE_FEE, expiry: await expiryIn(3600) });
      const r = await h.handleOps(ep, [op]);
      assert.equal(r.opEvents[0].args.success, false);
      const reason = decodeErrorResult({ abi: errorAbi, data: r.reverts[0].args.revertReason });
      assert.equal(reason.errorName, 'InsufficientDeposit');
      assert.deepEqual(reason.args, [poor, FEES.reduce((a, b) => a + b) + NODE_FEE, 1000n]);
      assert.equal(await h.read('Recorder', recorder, 'calls'), callsBefore);
      assert.equal(await depositOf(poor), 1000n);
    });

    test('executeUserOp is reserved: it cannot be bound, only the EntryPoint may call it', async () => {
      const r = await h.sudoOp(ep, owner, account, h.callData('setExecution', [EXECUTE_USER_OP, zeroAddress, KV, 0, 0, '0x']));
      assert.equal(r.opEvents[0].args.success, false);
      const op = h.userOp({ sender: account, callData: h.execute(recorder, 0n, record(1n)) });
      await assert.rejects(pub.call({ account: h.dev.address, to: account, data: encodeFunctionData({ abi: abiOf(ep.account), functionName: 'executeUserOp', args: [op, keccak256('0x')] }) }), /revert/i);
    });

    test('other validators still work through executeUserOp (their hook is a no-op); sudo with the built-in root too', async () => {
      const key = h.newKey();
      const ecdsa = addressOf('ECDSAValidator');
      const a = await h.createEcdsaAccount(ep, owner, { index: index++ });
      await h.sudoOp(ep, owner, a, h.callData('setExecution', [EXECUTE, zeroAddress, ecdsa, 0, 0, key.address]));
      const op = h.userOp({ sender: a, nonce: await h.getNonce(ep, a), callData: wrap(h.execute(recorder, 0n, record(77n))) });
      op.signature = concatHex([h.MODE.plugin, await key.signMessage({ message: { raw: await h.userOpHash(ep, op) } })]);
      assert.equal((await h.handleOps(ep, [op])).opEvents[0].args.success, true);
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 77n);
      const r = await h.sudoOp(ep, owner, a, wrap(h.execute(recorder, 0n, record(78n))));
      assert.equal(r.opEvents[0].args.success, true);
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 78n);
      // Plugin mode through executeUserOp still cannot reach the account itself.
      const self = h.userOp({ sender: a, nonce: await h.getNonce(ep, a), callData: wrap(h.execute(a, 0n, h.callData('setDefaultValidator', [ecdsa, key.address]))) });
      self.signature = concatHex([h.MODE.plugin, await key.signMessage({ message: { raw: await h.userOpHash(ep, self) } })]);
      assert.match((await refusal(ep, [self])).reason, /AA24/);
    });
  });
}


describe('KrnlValidator: EIP-7702, installation, registry, vault', () => {
  const ep = EP.v08;

  test('EIP-7702: an EOA delegated to AccountV08 (root = its own key, owner 0 in the config) runs KRNL-validated operations', async () => {
    const eoa = h.newKey();
    await h.send(eoa.address, '0x', h.parseEther('1'));
    const authorization = await eoa.signAuthorization({ contractAddress: addressOf('AccountV08'), chainId: 31337, nonce: 0 });
    await h.waitOk(await h.wallet.sendTransaction({ to: h.dev.address, authorizationList: [authorization], gas: 200_000n }));
    const install = installData({ owner: zeroAddress, signers: nodes, threshold: 1 });
    const setup = await h.sudoOp(ep, eoa, eoa.address, setupCalls(eoa.address, install));
    assert.equal(setup.opEvents[0].args.success, true);
    assert.equal(await h.read('KrnlValidator', KV, 'ownerOf', [eoa.address]), zeroAddress);
    assert.equal(await h.read('KernelRegistry', REGISTRY, 'tokenAuthorityOf', [eoa.address]), KV);
    const expiry = await expiryIn(3600);
    const { op } = await krnlOp(ep, { account: eoa.address, callData: h.execute(recorder, 0n, record(70n)), validator: KV, owner: eoa, nodes: [nodes[2]], kernelIds, expiry });
    assert.equal((await h.handleOps(ep, [op])).opEvents[0].args.success, true);
    assert.equal(await h.read('Recorder', recorder, 'lastCaller'), eoa.address);
    // With fees, through executeUserOp.
    const depositBefore = await depositOf(eoa.address);
    const paid = await krnlOp(ep, { account: eoa.address, callData: wrap(h.execute(recorder, 0n, record(71n))), validator: KV, owner: eoa, nodes: [nodes[2]], kernelIds, kernelFees: FEES, nodeFee: NODE_FEE, expiry });
    assert.equal((await h.handleOps(ep, [paid.op])).opEvents[0].args.success, true);
    assert.equal(await h.read('Recorder', recorder, 'lastArg'), 71n);
    assert.equal(await depositOf(eoa.address), depositBefore - FEES.reduce((a, b) => a + b) - NODE_FEE);
    // Another key cannot be the owner.
    const stranger = await krnlOp(ep, { account: eoa.address, callData: h.execute(recorder, 0n, record(72n)), validator: KV, owner: h.newKey(), nodes: [nodes[2]], kernelIds, expiry });
    assert.match((await refusal(ep, [stranger.op])).reason, /AA24/);
  });

  test('onInstall: BadThreshold, ZeroSigner, DuplicateSigner, LengthMismatch; a reinstall replaces the whole configuration; onUninstall clears it', async () => {
    const call = (data) => callError(KV, encodeFunctionData({ abi: abiOf('KrnlValidator'), functionName: 'onInstall', args: [data] }));
    const [a, b] = nodes;
    const expect = async (data, name, args) => {
      const err = await call(data);
      assert.equal(err?.errorName, name);
      assert.deepEqual(err.args ?? [], args);
    };
    await expect(installData({ signers: [a, b], threshold: 0 }), 'BadThreshold', [0n, 2n]);
    await expect(installData({ signers: [a, b], threshold: 3 }), 'BadThreshold', [3n, 2n]);
    await expect(installData({ signers: [a, zeroAddress], threshold: 1 }), 'ZeroSigner', []);
    await expect(installData({ signers: [a, a], threshold: 1 }), 'DuplicateSigner', [a.address]);
    await expect(installData({ signers: [a], threshold: 1, selectors: [EXECUTE], requirements: [] }), 'LengthMismatch', []);

    // The dev account plays an account (the validator keys everything by msg.sender).
    const me = h.dev.address;
    const install = (data) => h.write('KrnlValidator', KV, 'onInstall', [data]);
    await install(installData({ owner: rogue.address, signers: nodes, threshold: 2, policy: recorder, selectors: [EXECUTE, '0x12345678'], requirements: [REQUIREMENT, '{}'] }));
    assert.equal(await h.read('KrnlValidator', KV, 'thresholdFor', [me]), 2n);
    assert.equal(await h.read('KrnlValidator', KV, 'requirementOf', [me, '0x12345678']), '{}');
    await install(installData({ signers: [rogue], threshold: 1, selectors: [EXECUTE], requirements: ['{"kernels":[]}'] }));
    assert.equal(await h.read('KrnlValidator', KV, 'thresholdFor', [me]), 1n);
    assert.equal(await h.read('KrnlValidator', KV, 'ownerOf', [me]), zeroAddress);
    assert.equal(await h.read('KrnlValidator', KV, 'policyFor', [me]), zeroAddress);
    assert.deepEqual(await h.read('KrnlValidator', KV, 'signersOf', [me]), [rogue.address]);
    for (const n of nodes) assert.equal(await h.read('KrnlValidator', KV, 'isSignerFor', [me, n.address]), false);
    assert.equal(await h.read('KrnlValidator', KV, 'requirementOf', [me, '0x12345678']), '');
    assert.equal(await h.read('KrnlValidator', KV, 'requirementOf', [me, EXECUTE]), '{"kernels":[]}');
    await h.write('KrnlValidator', KV, 'onUninstall', ['0x']);
    assert.equal(await h.read('KrnlValidator', KV, 'servesApp', [me]), false);
    assert.equal(await h.read('KrnlValidator', KV, 'isSignerFor', [me, rogue.address]), false);
    assert.equal(await h.read('KrnlValidator', KV, 'requirementOf', [me, EXECUTE]), '');
    assert.deepEqual(await h.read('KrnlValidator', KV, 'signersOf', [me]), []);
  });

  test('registry: an account registers itself with its KrnlValidator; nobody else can, and not before it installed the validator', async () => {
    const owner = h.newKey();
    const a = await h.createEcdsaAccount(ep, owner, { index: 9100n });
    const registerApp = (app) => encodeFunctionData({ abi: abiOf('KernelRegistry'), functionName: 'registerApp', args: [app, KV, kernelIds] });
    // A stranger (the dev EOA) cannot register the account.
    const stranger = await callError(REGISTRY, registerApp(a));
    assert.equal(stranger?.errorName, 'NotAppOwner');
    assert.deepEqual(stranger.args, [a, h.dev.address]);
    // The account itself, before installing the validator: AuthorityForOtherApp.
    const early = await h.sudoOp(ep, owner, a, h.execute(REGISTRY, 0n, registerApp(a)));
    assert.equal(early.opEvents[0].args.success, false);
    const reason = decodeErrorResult({ abi: errorAbi, data: early.reverts[0].args.revertReason });
    assert.equal(reason.errorName, 'AuthorityForOtherApp');
    assert.deepEqual(reason.args, [KV, a]);
    // After installing: registered, and updateApp by the account works too.
    const install = installData({ owner: owner.address, signers: nodes, threshold: 1 });
    const r = await h.sudoOp(ep, owner, a, setupCalls(a, install));
    assert.equal(r.opEvents[0].args.success, true);
    assert.equal(await h.read('KernelRegistry', REGISTRY, 'tokenAuthorityOf', [a]), KV);
    const update = encodeFunctionData({ abi: abiOf('KernelRegistry'), functionName: 'updateApp', args: [a, KV, [kernelIds[0]]] });
    assert.equal((await h.sudoOp(ep, owner, a, h.execute(REGISTRY, 0n, update))).opEvents[0].args.success, true);
    assert.deepEqual(await h.read('KernelRegistry', REGISTRY, 'appKernels', [a]), [kernelIds[0]]);
    // The vault: the account withdraws its own deposit.
    const deposit = await depositOf(a);
    const withdraw = encodeFunctionData({ abi: abiOf('KrnlVault'), functionName: 'withdrawDeposit', args: [a, deposit / 2n] });
    const w = await h.sudoOp(ep, owner, a, h.execute(VAULT, 0n, withdraw));
    assert.equal(w.opEvents[0].args.success, true);
    assert.equal(await depositOf(a), deposit - deposit / 2n);
    const paid = parseEventLogs({ abi: abiOf('KrnlVault'), logs: w.receipt.logs }).find((e) => e.eventName === 'DepositWithdrawn');
    assert.deepEqual([paid.args.app, paid.args.to, paid.args.amount], [a, a, deposit / 2n]);
    // Nobody else can withdraw it.
    const other = await callError(VAULT, withdraw);
    assert.equal(other?.errorName, 'NotAppOwner');
  });

  test('TokenAuthority answers thresholdFor / policyFor / isSignerFor for its own app, 0 / 0 / false for others', async () => {
    const app = h.newKey().address;
    const policy = h.newKey().address;
    const ta = await h.deploy('TokenAuthority', [app, h.dev.address, VAULT, policy, nodes.map((n) => n.address), 2n]);
    assert.equal(await h.read('TokenAuthority', ta, 'thresholdFor', [app]), 2n);
    assert.equal(await h.read('TokenAuthority', ta, 'policyFor', [app]), policy);
    assert.equal(await h.read('TokenAuthority', ta, 'isSignerFor', [app, nodes[1].address]), true);
    assert.equal(await h.read('TokenAuthority', ta, 'isSignerFor', [app, rogue.address]), false);
    assert.equal(await h.read('TokenAuthority', ta, 'thresholdFor', [rogue.address]), 0n);
    assert.equal(await h.read('TokenAuthority', ta, 'policyFor', [rogue.address]), zeroAddress);
    assert.equal(await h.read('TokenAuthority', ta, 'isSignerFor', [rogue.address, nodes[1].address]), false);
  });
});

// On krnld: the built-in bundler validates with ERC-7562 (our native tracer) for an unstaked account, so its
// accepting a KRNL-validated operation shows the validator's validation obeys the rules (no banned opcode,
// only the account's associated storage). Skipped on a node without eth_sendUserOperation.
describe('KrnlValidator through the bundler (krnld only)', () => {
  test('eth_sendUserOperation accepts and includes an attested operation (zero fees and with fees)', async (t) => {
    const supported = await h.rpc('eth_supportedEntryPoints').catch(() => null);
    if (!supported) return t.skip('no bundler on this node');
    for (const ep of [EP.v07, EP.v08]) {
      const owner = h.newKey();
      const a = await h.createEcdsaAccount(ep, owner, { index: 9200n });
      const install = installData({ owner: owner.address, signers: nodes, threshold: 1 });
      assert.equal((await h.sudoOp(ep, owner, a, setupCalls(a, install))).opEvents[0].args.success, true);
      for (const [callData, fees] of [[h.execute(recorder, 0n, record(90n)), undefined], [wrap(h.execute(recorder, 0n, record(91n))), FEES]]) {
        const extra = { verificationGasLimit: 300_000n, callGasLimit: 400_000n, preVerificationGas: 100_000n };
        const { op, hash } = await krnlOp(ep, { account: a, callData, validator: KV, owner, nodes: [nodes[0]], kernelIds, kernelFees: fees, nodeFee: fees ? NODE_FEE : 0n, expiry: await expiryIn(3600), extra });
        const rpcOp = unpack(op);
        const sent = await h.rpc('eth_sendUserOperation', [rpcOp, ep.address]);
        assert.equal(sent, hash);
        let receipt = null;
        for (let i = 0; i < 100 && !receipt; i++) {
          receipt = await h.rpc('eth_getUserOperationReceipt', [hash]);
          if (!receipt) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(receipt, 'no receipt');
        assert.equal(receipt.success, true);
      }
    }
  });
});

/// PackedUserOperation -> the RPC (unpacked) form of ERC-7769.
function unpack(op) {
  const hi = (w) => BigInt(w) >> 128n;
  const lo = (w) => BigInt(w) & ((1n << 128n) - 1n);
  const q = (n) => toHex(n);
  return {
    sender: op.sender,
    nonce: q(op.nonce),
    callData: op.callData,
    verificationGasLimit: q(hi(op.accountGasLimits)),
    callGasLimit: q(lo(op.accountGasLimits)),
    preVerificationGas: q(op.preVerificationGas),
    maxPriorityFeePerGas: q(hi(op.gasFees)),
    maxFeePerGas: q(lo(op.gasFees)),
    signature: op.signature,
  };
}

