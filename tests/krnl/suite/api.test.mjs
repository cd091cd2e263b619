// The krnl_* methods' happy paths with exact fields: krnl_nodeInfo, krnl_getKernel, krnl_listKernels,
// krnl_quote, krnl_executeKernels (three kinds of kernels, one reading another's output, the payload consumed
// on-chain) and krnl_cosign (agreeing, and refusing responses that differ with -33010).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BaseError, ContractFunctionRevertedError, decodeAbiParameters, keccak256, toFunctionSelector } from 'viem';
import { startHostileServer } from '../lib/hostile_server.mjs';
import { NODE_FEE, OPERATOR, REGISTRY, VAULT, artifact, assertError, deploy, dev, hex, home, lower, other, read, rpc, rpcError, send, withSnapshot } from '../lib/env.mjs';
import {
  ACT,
  CODE,
  KERNEL_OWNER,
  SENDER,
  assertAlive,
  assertKernelOk,
  canonical,
  cosignParams,
  computeSpec,
  createApp,
  deployPolicy,
  executeOk,
  executeRequest,
  goodSetup,
  httpSpec,
  readSpec,
  registerKernel,
} from '../lib/krnl.mjs';

const FEES = { read: 1_000n, compute: 2_000n, http: 0n };
const SCORE = 40n;

let server;
let target;
let specs;
let ids;
let app;
let authority;

before(async () => {
  server = await startHostileServer();
  await goodSetup();
  target = await deploy(other, dev[4], 'KrnlTarget');
  await send(other, dev[4], 'KrnlTarget', target, 'setScore', [SENDER.address, SCORE]);
  specs = {
    // score of the sender on chain 31338 plus b
    read: readSpec(31338, target, 'scorePlus(address,uint256)', ['$sender', '$args[1]']),
    // twice its input, which the request binds to the read kernel's output
    compute: computeSpec('double(uint256)', ['$input[0]']),
    // the local server's value for a
    http: httpSpec(`${server.base}/ok/{{$args[0]}}`, [{ path: '$.value', type: 'uint256' }, { path: '$.label', type: 'string' }], { timeoutMs: 5000 }),
  };
  ids = {};
  for (const name of ['read', 'compute', 'http']) ids[name] = await registerKernel(specs[name], { fee: FEES[name] });
  const policy = await deployPolicy(100n);
  ({ app, authority } = await createApp({ kernelIds: [ids.read, ids.compute, ids.http], policy }));
});

after(async () => {
  await server?.close();
});

const request = (extra = {}) =>
  executeRequest(app, [ids.read, { id: ids.compute, inputs: ['$kernel:0[0]'] }, ids.http], { a: 5n, b: 2n, ...extra });

test('krnl_nodeInfo names the signer, home chain, registry, vault, version and peers, on every chain port', async () => {
  const info = await rpc('krnl_nodeInfo');
  assert.deepEqual(Object.keys(info).sort(), ['chainId', 'peers', 'registry', 'signer', 'vault', 'version']);
  assert.equal(info.signer, lower(OPERATOR));
  assert.equal(info.chainId, '0x7a69');
  assert.equal(info.registry, lower(REGISTRY));
  assert.equal(info.vault, lower(VAULT));
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.peers, 0);
  assert.deepEqual(await rpc('krnl_nodeInfo', [], other.url), info, "chain 31338's port serves the same engine");
});

test('krnl_getKernel returns id, owner, kind, fee, active, specHash and the spec itself', async () => {
  for (const [name, kind] of [['read', 'evm-read'], ['compute', 'evm-compute'], ['http', 'http']]) {
    const k = await rpc('krnl_getKernel', [hex(ids[name])]);
    assert.deepEqual(k, {
      id: hex(ids[name]),
      owner: lower(KERNEL_OWNER.address),
      kind,
      fee: hex(FEES[name]),
      active: true,
      specHash: keccak256(new TextEncoder().encode(canonical(specs[name]))),
      spec: specs[name],
    });
  }
  // A JSON integer is an id too.
  assert.deepEqual(await rpc('krnl_getKernel', [Number(ids.read)]), await rpc('krnl_getKernel', [hex(ids.read)]));
});

test('krnl_getKernel shows a scheduled fee change and deactivation', async () => {
  const id = await registerKernel(computeSpec('double(uint256)', ['$args[1]']), { fee: 7n });
  const fee = await send(home, KERNEL_OWNER, 'KernelRegistry', REGISTRY, 'setFee', [id, 9n]);
  const scheduled = fee.events.find((e) => e.eventName === 'KernelFeeScheduled');
  const off = await send(home, KERNEL_OWNER, 'KernelRegistry', REGISTRY, 'deactivate', [id]);
  const deactivation = off.events.find((e) => e.eventName === 'KernelDeactivationScheduled');
  const k = await rpc('krnl_getKernel', [hex(id)]);
  assert.equal(k.fee, '0x7', 'the current fee holds during the notice period');
  assert.equal(k.pendingFee, '0x9');
  assert.equal(k.feeEffectiveAt, Number(scheduled.args.effectiveAt));
  assert.equal(k.deactivateAt, Number(deactivation.args.inactiveAt));
  assert.equal(k.active, true, 'still active during the notice period');
});

test('krnl_listKernels lists every registered kernel in id order, as krnl_getKernel shows them', async () => {
  const list = await rpc('krnl_listKernels');
  const count = await read(home, 'KernelRegistry', REGISTRY, 'kernelCount');
  assert.equal(list.length, Number(count));
  list.forEach((k, i) => assert.equal(k.id, hex(i + 1)));
  for (const id of Object.values(ids)) assert.deepEqual(list[Number(id) - 1], await rpc('krnl_getKernel', [hex(id)]));
});

test('krnl_quote gives the registered kernel fees, the node fee, their total and the expiry of an attestation now', async () => {
  const quote = await rpc('krnl_quote', [app, [hex(ids.read), hex(ids.compute), hex(ids.http)]]);
  assert.equal(typeof quote.expiry, 'number');
  assert.ok(quote.expiry > Number((await home.pub.getBlock()).timestamp), 'the expiry lies ahead of the chain');
  assert.deepEqual(quote, {
    kernelIds: [hex(ids.read), hex(ids.compute), hex(ids.http)],
    kernelFees: [hex(FEES.read), hex(FEES.compute), hex(FEES.http)],
    nodeFee: hex(NODE_FEE),
    total: hex(FEES.read + FEES.compute + FEES.http + NODE_FEE),
    expiry: quote.expiry,
  });
});

const PAYLOAD_TYPE = [
  {
    type: 'tuple',
    components: [
      { name: 'chainId', type: 'uint256' },
      { name: 'app', type: 'address' },
      { name: 'sender', type: 'address' },
      { name: 'selector', type: 'bytes4' },
      { name: 'argsHash', type: 'bytes32' },
      { name: 'responses', type: 'tuple[]', components: [{ name: 'kernelId', type: 'uint256' }, { name: 'result', type: 'bytes' }, { name: 'err', type: 'string' }] },
      { name: 'nonce', type: 'uint256' },
      { name: 'expiry', type: 'uint64' },
      { name: 'kernelIds', type: 'uint256[]' },
      { name: 'kernelFees', type: 'uint256[]' },
      { name: 'nodeFee', type: 'uint256' },
      { name: 'signatures', type: 'bytes' },
    ],
  },
];

async function revertName(fn) {
  try {
    await fn();
  } catch (e) {
    if (e instanceof BaseError) {
      const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError);
      if (reverted) return reverted.data?.errorName ?? reverted.signature ?? 'unknown';
    }
    throw e;
  }
  return null;
}

let executed;

test('krnl_executeKernels runs evm-read, evm-compute (on the read output) and http kernels and signs', async () => {
  const req = request();
  const r = await executeOk(req);
  executed = { req, r };
  assert.deepEqual(Object.keys(r).sort(), ['blocks', 'digest', 'expiry', 'fees', 'nonce', 'payload', 'peers', 'responses', 'signers', 'threshold', 'timings', 'tokenAuthority']);
  assert.equal(r.responses.length, 3);
  assertKernelOk(r.responses[0], ids.read, ['uint256'], [SCORE + 2n]);
  assertKernelOk(r.responses[1], ids.compute, ['uint256'], [(SCORE + 2n) * 2n]);
  assertKernelOk(r.responses[2], ids.http, ['uint256', 'string'], [5n, 'ok']);
  assert.deepEqual(r.signers, [lower(OPERATOR)]);
  assert.deepEqual(r.peers, []);
  assert.equal(r.tokenAuthority, lower(authority));
  const { expiry: _, ...quotedFees } = await rpc('krnl_quote', [app, [hex(ids.read), hex(ids.compute), hex(ids.http)]]);
  assert.deepEqual(r.fees, quotedFees);
  assert.equal(r.threshold, 1);
  // Every read was pinned to the head of its chain (nothing was mined since).
  assert.deepEqual(r.blocks, { 31337: await rpc('eth_blockNumber', [], home.url), 31338: await rpc('eth_blockNumber', [], other.url) });
  assert.deepEqual(r.timings.kernels.map((k) => k.kernelId), [hex(ids.read), hex(ids.compute), hex(ids.http)]);
  assert.equal(typeof r.timings.totalMs, 'number');
  assert.equal(typeof r.expiry, 'number');
  assert.equal(server.hits('/ok'), 1);

  // The payload is abi.encode(KrnlPayload) of exactly this call and these responses.
  const [p] = decodeAbiParameters(PAYLOAD_TYPE, r.payload);
  assert.equal(p.chainId, 31337n);
  assert.equal(lower(p.app), lower(app));
  assert.equal(lower(p.sender), lower(SENDER.address));
  assert.equal(p.selector, toFunctionSelector(ACT));
  assert.equal(p.argsHash, keccak256(req.args));
  assert.deepEqual(
    p.responses.map((x) => ({ kernelId: hex(x.kernelId), result: x.result, err: x.err })),
    r.responses,
  );
  assert.equal(hex(p.nonce), r.nonce);
  assert.equal(Number(p.expiry), r.expiry);
  assert.deepEqual(p.kernelIds.map(hex), r.fees.kernelIds);
  assert.deepEqual(p.kernelFees.map(hex), r.fees.kernelFees);
  assert.equal(hex(p.nodeFee), r.fees.nodeFee);
  assert.equal((p.signatures.length - 2) / 2, 65);

  // The digest is the one the TokenAuthority computes.
  const responsesHash = await read(home, 'TokenAuthority', authority, 'hashResponses', [p.responses]);
  const feesHash = await read(home, 'TokenAuthority', authority, 'hashFees', [p.kernelIds, p.kernelFees, p.nodeFee]);
  const digest = await read(home, 'TokenAuthority', authority, 'attestationDigest', [app, SENDER.address, p.selector, p.argsHash, responsesHash, p.nonce, p.expiry, feesHash]);
  assert.equal(r.digest, digest);
});

test('the payload is accepted on-chain once: fees settled from the deposit, a replay reverts NonceUsed', async () => {
  assert.ok(executed, 'depends on the previous test');
  const { r } = executed;
  const before = await read(home, 'KrnlVault', VAULT, 'depositOf', [app]);
  const receipt = await send(home, SENDER, 'KrnlTestApp', app, 'act', [5n, 2n, r.payload]);
  const acted = receipt.events.find((e) => e.eventName === 'Acted');
  assert.ok(acted, 'Acted emitted');
  assert.equal(acted.args.responses, 3n);
  const consumed = receipt.events.find((e) => e.eventName === 'AttestationConsumed');
  assert.equal(hex(consumed.args.nonce), r.nonce);
  assert.equal(consumed.args.digest, r.digest);
  assert.equal(await read(home, 'KrnlTestApp', app, 'lastResult'), r.responses[0].result);
  const afterDeposit = await read(home, 'KrnlVault', VAULT, 'depositOf', [app]);
  assert.equal(before - afterDeposit, BigInt(r.fees.total));
  const abi = [...artifact('KrnlTestApp').abi, ...artifact('TokenAuthority').abi.filter((x) => x.type === 'error')];
  const replay = await revertName(() =>
    home.pub.simulateContract({ account: SENDER.address, address: app, abi, functionName: 'act', args: [5n, 2n, r.payload] }),
  );
  assert.equal(replay, 'NonceUsed');
});

test("krnl_executeKernels through chain 31338's port attests for the home chain alike", async () => {
  const r = await executeOk(request(), other.url);
  assertKernelOk(r.responses[0], ids.read, ['uint256'], [SCORE + 2n]);
  assertKernelOk(r.responses[1], ids.compute, ['uint256'], [(SCORE + 2n) * 2n]);
  const [p] = decodeAbiParameters(PAYLOAD_TYPE, r.payload);
  assert.equal(p.chainId, 31337n);
  assert.deepEqual(r.signers, [lower(OPERATOR)]);
});

test('krnl_cosign signs the same digest when its own responses agree', async () => {
  const req = executeRequest(app, [ids.read, { id: ids.compute, inputs: ['$kernel:0[0]'] }], { a: 5n, b: 3n });
  const r = await executeOk(req);
  // As the executing node asks a peer: signed by its operator key, pinned at the blocks it read.
  const signed = await rpc('krnl_cosign', await cosignParams(req, r.responses, { nonce: r.nonce, expiry: r.expiry, nodeFee: r.fees.nodeFee, blocks: r.blocks }));
  assert.deepEqual(Object.keys(signed).sort(), ['digest', 'signature', 'signer']);
  assert.equal(signed.signer, lower(OPERATOR));
  assert.equal(signed.digest, r.digest);
  assert.equal((signed.signature.length - 2) / 2, 65);
});

test('krnl_cosign refuses responses that differ from its own (-33010), naming the kernel and position', async () => {
  const req = executeRequest(app, [ids.read, { id: ids.compute, inputs: ['$kernel:0[0]'] }], { a: 5n, b: 3n });
  const r = await executeOk(req);
  const forged = structuredClone(r.responses);
  forged[1].result = `0x${(999n).toString(16).padStart(64, '0')}`;
  const terms = { nonce: r.nonce, expiry: r.expiry, nodeFee: r.fees.nodeFee, blocks: r.blocks };
  const e = await rpcError('krnl_cosign', await cosignParams(req, forged, terms));
  assertError(e, CODE.responsesDiffer, new RegExp(`kernel ${ids.compute} \\(position 1\\) differs`), /this node got result 0x/, /the request carries result 0x0+3e7/);
  assert.equal(e.data.position, 1);
  assert.deepEqual(e.data.responses, r.responses);
  // An err where this node got a result differs too.
  const withErr = structuredClone(r.responses);
  withErr[0] = { ...withErr[0], result: '0x', err: 'made up' };
  assertError(await rpcError('krnl_cosign', await cosignParams(req, withErr, terms)), CODE.responsesDiffer, /position 0/, /error "made up"/);
  await assertAlive();
});

test('krnl_cosign reads at the pinned blocks: one ahead of the head or over 8 behind is refused (-33014)', async () => {
  const req = executeRequest(app, [ids.read], { a: 5n, b: 3n });
  const r = await executeOk(req);
  const cosign = async (blocks, hashes) => rpcError('krnl_cosign', await cosignParams(req, r.responses, { nonce: r.nonce, expiry: r.expiry, nodeFee: r.fees.nodeFee, blocks, hashes }));
  const head = Number(await home.pub.getBlockNumber());
  const zero = `0x${'00'.repeat(32)}`;
  assertError(await cosign({ 31337: hex(head + 1000) }, { 31337: zero }), CODE.pinsOutsideWindow, new RegExp(`block ${head + 1000} of chain 31337 is ahead of this node's head ${head}`));
  await withSnapshot(async () => {
    await rpc('hardhat_mine', [hex(9)]);
    assertError(await cosign(r.blocks), CODE.pinsOutsideWindow, new RegExp(`block ${head} of chain 31337 is 9 blocks behind this node's head ${head + 9}; it co-signs reads at most 8 behind`));
  });
});

test('attestation terms: a fee rise ahead ends the attestation before it; one within the minimum lifetime is charged at once', async () => {
  await withSnapshot(async () => {
    const kernel = await registerKernel(computeSpec('double(uint256)', ['$args[0]']), { fee: 10n });
    const { app: feeApp } = await createApp({ kernelIds: [kernel] });
    const r0 = await send(home, KERNEL_OWNER, 'KernelRegistry', REGISTRY, 'setFee', [kernel, 50n]);
    const effectiveAt = Number(r0.events.find((e) => e.eventName === 'KernelFeeScheduled').args.effectiveAt);
    const expect = (fee, expiry) => ({ kernelIds: [hex(kernel)], kernelFees: [hex(fee)], nodeFee: hex(NODE_FEE), total: hex(fee + NODE_FEE), expiry });

    // 100 s before the rise: the old fee, valid until the second before the rise.
    await rpc('evm_setNextBlockTimestamp', [effectiveAt - 100]);
    await rpc('evm_mine');
    assert.deepEqual(await rpc('krnl_quote', [feeApp, [hex(kernel)]]), expect(10n, effectiveAt - 1));
    const early = await executeOk(executeRequest(feeApp, [kernel]));
    assert.equal(early.expiry, effectiveAt - 1);
    assert.deepEqual(early.fees.kernelFees, [hex(10n)]);
    await send(home, SENDER, 'KrnlTestApp', feeApp, 'act', [1n, 2n, early.payload]);

    // 10 s before it (within the 30 s minimum lifetime): the new fee at once, the full lifetime.
    await rpc('evm_setNextBlockTimestamp', [effectiveAt - 10]);
    await rpc('evm_mine');
    const late = await executeOk(executeRequest(feeApp, [kernel]));
    assert.deepEqual(late.fees.kernelFees, [hex(50n)]);
    assert.deepEqual(await rpc('krnl_quote', [feeApp, [hex(kernel)]]), expect(50n, late.expiry));
    assert.ok(late.expiry > effectiveAt, 'it outlives the rise');
    // ... and is accepted after the rise has taken effect.
    await rpc('evm_setNextBlockTimestamp', [effectiveAt + 5]);
    await send(home, SENDER, 'KrnlTestApp', feeApp, 'act', [1n, 2n, late.payload]);
    assert.equal(await read(home, 'KrnlTestApp', feeApp, 'acted'), 2n);
  });
});
