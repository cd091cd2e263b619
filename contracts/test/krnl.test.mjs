// KRNL registry, token authority, consumer base and vault, through the seed's use case: RwaTradeApp lets a
// wallet trade a real-world asset only with an attestation that the RWA platform approves it, the asset's
// off-chain metadata says "active" and its DID score is high enough. The test plays the engine: it reads the
// kernels' sources, evaluates the app's policy with a view call and signs with node keys (k = 2 of 3).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { recoverAddress, encodeAbiParameters, keccak256, parseEther, toFunctionSelector, toHex, stringToHex, getAddress, concatHex, sliceHex, numberToHex, padHex } from 'viem';
import {
  accounts, pub, rpc, deploy, read, write, callError, sendValue, latestTimestamp, advanceTime,
  signAttestation, encodePayload, randomNonce, hashResponses, hashFees, artifact,
} from './krnl/lib.mjs';
import { contractHashes } from './krnl/write-vectors.mjs';

const [owner, alice, bob, kernelDev1, kernelDev2, node1, node2, node3, rogue, carol] = accounts;
const NOTICE = 3600n;
const UNSTAKE_DELAY = 86_400n;
const MIN_STAKE = parseEther('1');
const MIN_SCORE = 70n;
const NODE_FEE = 3_000_001n; // odd on purpose: the remainder of the split stays in the deposit
const FEE = { approval: 1_000_000n, metadata: 2_000_000n, did: 500_000n, extra: 7_000n };
const ASSET = 7n;
const TRADE = toFunctionSelector('trade(uint256,uint256,bytes)');
const REDEEM = toFunctionSelector('redeem(uint256,uint256,bytes)');

// Kernel specs in the engine's shape (src/engine/kernel_spec.hpp), as canonical JSON (keys sorted, no
// whitespace). The registry treats them as opaque bytes; the engine parses them.
const canonical = (v) =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((key) => `${JSON.stringify(key)}:${canonical(v[key])}`).join(',')}}`
  : JSON.stringify(v);
const SPEC = {
  approval: () => canonical({ kind: 'evm-read', chainId: 31338, to: c.platform.toLowerCase(), function: 'isApproved(address,uint256)', args: ['$sender', '$args[0]'], outputs: ['bool'] }),
  metadata: () => canonical({ kind: 'http', method: 'GET', url: 'https://rwa.example/assets/{{$args[0]}}', outputs: [{ path: '$.status', type: 'string' }] }),
  did: () => canonical({ kind: 'evm-read', chainId: 31339, to: c.did.toLowerCase(), function: 'scoreOf(address)', args: ['$sender'], outputs: ['uint256'] }),
  extra: () => canonical({ kind: 'evm-compute', code: '0x600160005260206000f3', outputs: ['uint256'] }),
};

const c = {}; // deployed addresses
const k = {}; // kernel ids
const offchainStatus = new Map(); // the RWA platform's off-chain metadata, as the http kernel would read it
let chainId;

async function balance(address) {
  return pub.getBalance({ address });
}
const gasCost = (r) => r.gasUsed * r.effectiveGasPrice;

/// The engine's part: run the three kernels for `sender`, build the attestation fields.
async function attestation({ sender = alice, selector = TRADE, assetId = ASSET, amount = 10n, extra = [], expiryIn = 600n } = {}) {
  const approved = await read('RwaPlatform', c.platform, 'isApproved', [sender.address, assetId]);
  const score = await read('DidRegistry', c.did, 'scoreOf', [sender.address]);
  const status = offchainStatus.get(assetId) ?? 'unknown';
  const responses = [
    { kernelId: k.approval, result: encodeAbiParameters([{ type: 'bool' }], [approved]), err: '' },
    { kernelId: k.metadata, result: encodeAbiParameters([{ type: 'string' }], [status]), err: '' },
    { kernelId: k.did, result: encodeAbiParameters([{ type: 'uint256' }], [score]), err: '' },
    ...extra.map((id) => ({ kernelId: id, result: encodeAbiParameters([{ type: 'uint256' }], [1n]), err: '' })),
  ];
  const kernelIds = responses.map((r) => r.kernelId);
  const kernelFees = [];
  for (const id of kernelIds) kernelFees.push(await read('KernelRegistry', c.registry, 'feeOf', [id]));
  return {
    chainId: BigInt(chainId),
    tokenAuthority: c.authority,
    app: c.app,
    sender: sender.address,
    selector,
    argsHash: keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [assetId, amount])),
    responses,
    nonce: randomNonce(),
    expiry: (await latestTimestamp()) + expiryIn,
    kernelIds,
    kernelFees,
    nodeFee: NODE_FEE,
  };
}

async function signed(fields, signers = [node1, node2], opts) {
  return encodePayload(fields, await signAttestation(fields, signers, opts));
}

const tradeError = (from, assetId, amount, payload) => callError(from, 'RwaTradeApp', c.app, 'trade', [assetId, amount, payload]);

/// Prints the transaction's gas and, where the node can trace calls (krnld's callTracer), that of the
/// TokenAuthority.consume call inside it (3 kernels; includes the vault's settlement and the registry reads).
async function reportGas(what, receipt) {
  let consume = 'consume: no callTracer on this node';
  try {
    const trace = await rpc('debug_traceTransaction', [receipt.transactionHash, { tracer: 'callTracer' }]);
    const find = (call) => (call.to && getAddress(call.to) === c.authority ? call : (call.calls ?? []).map(find).find(Boolean));
    const found = find(trace);
    if (found) consume = `TokenAuthority.consume ${BigInt(found.gasUsed)} gas`;
  } catch {}
  console.log(`gas: ${what}: transaction ${receipt.gasUsed}, ${consume}`);
}

function assertError(err, name, args) {
  assert.ok(err, `expected ${name}, but the call succeeded`);
  assert.equal(err.name, name);
  if (args) assert.deepEqual(err.args, args);
}

before(async () => {
  chainId = await pub.getChainId();
  c.registry = await deploy(owner, 'KernelRegistry', [NOTICE, UNSTAKE_DELAY, MIN_STAKE]);
  c.vault = await deploy(owner, 'KrnlVault', [c.registry]);
  c.platform = await deploy(owner, 'RwaPlatform', [owner.address]);
  c.did = await deploy(owner, 'DidRegistry', [owner.address]);

  const register = async (from, kind, spec, fee) => {
    const r = await write(from, 'KernelRegistry', c.registry, 'registerKernel', [kind, stringToHex(spec), fee]);
    return r.events.find((e) => e.eventName === 'KernelRegistered').args.id;
  };
  k.approval = await register(kernelDev1, 0, SPEC.approval(), FEE.approval);
  k.metadata = await register(kernelDev2, 1, SPEC.metadata(), FEE.metadata);
  k.did = await register(kernelDev1, 0, SPEC.did(), FEE.did);
  k.extra = await register(kernelDev2, 2, SPEC.extra(), FEE.extra);
  k.unlisted = await register(kernelDev2, 2, SPEC.extra(), 0n);

  for (const [i, n] of [node1, node2, node3].entries())
    await write(n, 'KernelRegistry', c.registry, 'registerOperator', [n.address, `http://127.0.0.1:${8600 + i}`], MIN_STAKE);

  c.policy = await deploy(owner, 'RwaTradePolicy', [k.approval, k.metadata, k.did, MIN_SCORE]);
  c.app = await deploy(owner, 'RwaTradeApp', [c.registry, owner.address, k.did]);
  c.authority = await deploy(owner, 'TokenAuthority', [c.app, owner.address, c.vault, c.policy, [node1.address, node2.address, node3.address], 2n]);
  await write(owner, 'KernelRegistry', c.registry, 'registerApp', [c.app, c.authority, [k.approval, k.metadata, k.did, k.extra]]);
  await write(carol, 'KrnlVault', c.vault, 'deposit', [c.app], parseEther('1'));

  await write(owner, 'RwaPlatform', c.platform, 'setApproval', [alice.address, ASSET, true]);
  await write(owner, 'DidRegistry', c.did, 'setScore', [alice.address, 85n]);
  await write(owner, 'DidRegistry', c.did, 'setScore', [bob.address, 90n]);
  offchainStatus.set(ASSET, 'active');
});

describe('registry', () => {
  test('KernelRegistered carries the full spec and its hash; kernel(id) returns the same', async () => {
    const logs = await pub.getContractEvents({ address: c.registry, abi: artifact('KernelRegistry').abi, eventName: 'KernelRegistered', fromBlock: 0n });
    const ev = logs.find((l) => l.args.id === k.metadata).args;
    assert.equal(ev.spec, stringToHex(SPEC.metadata()));
    assert.equal(ev.specHash, keccak256(stringToHex(SPEC.metadata())));
    assert.equal(ev.kind, 1);
    assert.equal(getAddress(ev.owner), kernelDev2.address);
    const kern = await read('KernelRegistry', c.registry, 'kernel', [k.metadata]);
    assert.equal(kern.spec, ev.spec);
    assert.equal(kern.specHash, ev.specHash);
    assert.equal(kern.fee, FEE.metadata);
    assert.equal(kern.active, true);
    assertError(await callError(owner, 'KernelRegistry', c.registry, 'kernel', [999n]), 'UnknownKernel', [999n]);
    assertError(await callError(owner, 'KernelRegistry', c.registry, 'registerKernel', [3, '0x01', 0n]), 'UnknownKind', [3]);
  });

  test('views for the engine: isAllowed, tokenAuthorityOf, operator, appKernels', async () => {
    assert.equal(await read('KernelRegistry', c.registry, 'isAllowed', [c.app, k.did]), true);
    assert.equal(await read('KernelRegistry', c.registry, 'isAllowed', [c.app, k.unlisted]), false);
    assert.equal(await read('KernelRegistry', c.registry, 'tokenAuthorityOf', [c.app]), c.authority);
    assert.deepEqual(await read('KernelRegistry', c.registry, 'appKernels', [c.app]), [k.approval, k.metadata, k.did, k.extra]);
    const op = await read('KernelRegistry', c.registry, 'operator', [node2.address]);
    assert.equal(op.payout, node2.address);
    assert.equal(op.endpoint, 'http://127.0.0.1:8601');
    assert.equal(op.stake, MIN_STAKE);
    assert.equal(await read('KernelRegistry', c.registry, 'isStakedOperator', [node2.address]), true);
    assert.equal(await read('KernelRegistry', c.registry, 'isStakedOperator', [rogue.address]), false);
  });

  test('an app is registered and updated only by its owner(); a token authority must serve that app', async () => {
    const app2 = await deploy(owner, 'RwaTradeApp', [c.registry, owner.address, k.did]);
    const ta2 = await deploy(owner, 'TokenAuthority', [app2, owner.address, c.vault, c.policy, [node1.address], 1n]);
    assertError(await callError(rogue, 'KernelRegistry', c.registry, 'registerApp', [app2, ta2, [k.did]]), 'NotAppOwner', [app2, rogue.address]);
    // An EOA or a contract without owner() cannot be registered by anyone.
    assertError(await callError(rogue, 'KernelRegistry', c.registry, 'registerApp', [rogue.address, ta2, []]), 'NotAppOwner');
    assertError(await callError(owner, 'KernelRegistry', c.registry, 'registerApp', [c.registry, ta2, []]), 'NotAppOwner');
    // The authority of app2 cannot be attached to the main app.
    assertError(await callError(owner, 'KernelRegistry', c.registry, 'updateApp', [c.app, ta2, [k.did]]), 'AuthorityForOtherApp', [ta2, c.app]);
    assertError(await callError(rogue, 'KernelRegistry', c.registry, 'updateApp', [c.app, c.authority, [k.did]]), 'NotAppOwner', [c.app, rogue.address]);
    assertError(await callError(owner, 'KernelRegistry', c.registry, 'registerApp', [app2, ta2, [999n]]), 'UnknownKernel', [999n]);
    assertError(await callError(owner, 'KernelRegistry', c.registry, 'registerApp', [c.app, c.authority, []]), 'AppExists', [c.app]);

    await write(owner, 'KernelRegistry', c.registry, 'registerApp', [app2, ta2, [k.did, k.approval]]);
    assert.equal(await read('KernelRegistry', c.registry, 'isAllowed', [app2, k.approval]), true);
    await write(owner, 'KernelRegistry', c.registry, 'updateApp', [app2, ta2, [k.metadata]]);
    assert.equal(await read('KernelRegistry', c.registry, 'isAllowed', [app2, k.approval]), false);
    assert.equal(await read('KernelRegistry', c.registry, 'isAllowed', [app2, k.metadata]), true);
    assert.deepEqual(await read('KernelRegistry', c.registry, 'appKernels', [app2]), [k.metadata]);
  });
});

describe('policy', () => {
  const evaluate = (fields) => read('RwaTradePolicy', c.policy, 'evaluate', [fields.sender, fields.selector, encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [ASSET, 10n]), fields.responses]);

  test('passes for an approved wallet, active asset and a high enough DID score', async () => {
    assert.deepEqual(await evaluate(await attestation()), [true, '']);
  });

  test('names the failing condition', async () => {
    assert.deepEqual(await evaluate(await attestation({ sender: bob })), [false, 'policy: wallet is not approved for this asset on the RWA platform']);
    offchainStatus.set(ASSET, 'suspended');
    assert.deepEqual(await evaluate(await attestation()), [false, 'policy: asset metadata status is not active']);
    offchainStatus.set(ASSET, 'active');
    await write(owner, 'DidRegistry', c.did, 'setScore', [alice.address, MIN_SCORE - 1n]);
    assert.deepEqual(await evaluate(await attestation()), [false, 'policy: DID score is below the minimum']);
    await write(owner, 'DidRegistry', c.did, 'setScore', [alice.address, 85n]);
    const f = await attestation();
    f.responses[1] = { ...f.responses[1], result: '0x', err: 'HTTP 503' };
    assert.deepEqual(await evaluate(f), [false, 'policy: asset metadata kernel failed: HTTP 503']);
    f.responses.splice(2, 1);
    assert.deepEqual(await evaluate({ ...f, responses: [f.responses[0], { ...f.responses[0], kernelId: k.metadata, result: encodeAbiParameters([{ type: 'string' }], ['active']) }] }), [false, 'policy: no response from the DID score kernel']);
    assert.deepEqual(await evaluate({ ...(await attestation()), selector: '0x12345678' }), [false, 'policy: only trade and redeem are covered']);
  });
});

describe('attestation', () => {
  test('happy path: 2 of 3 nodes sign, trade executes, fees move from the deposit to kernel owners and signing operators', async () => {
    const fields = await attestation({ amount: 10n });
    const payload = await signed(fields, [node1, node2]);
    const before = {
      deposit: await read('KrnlVault', c.vault, 'depositOf', [c.app]),
      dev1: await read('KrnlVault', c.vault, 'balanceOf', [kernelDev1.address]),
      dev2: await read('KrnlVault', c.vault, 'balanceOf', [kernelDev2.address]),
      n1: await read('KrnlVault', c.vault, 'balanceOf', [node1.address]),
      n2: await read('KrnlVault', c.vault, 'balanceOf', [node2.address]),
      n3: await read('KrnlVault', c.vault, 'balanceOf', [node3.address]),
    };
    const r = await write(alice, 'RwaTradeApp', c.app, 'trade', [ASSET, 10n, payload]);
    assert.equal(await read('RwaTradeApp', c.app, 'positionOf', [alice.address, ASSET]), 10n);
    const traded = r.events.find((e) => e.eventName === 'Traded');
    assert.equal(traded.args.didScore, 85n);
    const consumed = r.events.find((e) => e.eventName === 'AttestationConsumed');
    assert.equal(consumed.args.nonce, fields.nonce);
    assert.deepEqual(consumed.args.signers, [node1, node2].map((n) => n.address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    assert.equal(await read('TokenAuthority', c.authority, 'nonceUsed', [fields.nonce]), true);

    const share = NODE_FEE / 2n;
    const kernelTotal = FEE.approval + FEE.metadata + FEE.did;
    assert.equal(consumed.args.charged, kernelTotal + 2n * share);
    assert.equal(await read('KrnlVault', c.vault, 'depositOf', [c.app]), before.deposit - kernelTotal - 2n * share);
    assert.equal(await read('KrnlVault', c.vault, 'balanceOf', [kernelDev1.address]), before.dev1 + FEE.approval + FEE.did);
    assert.equal(await read('KrnlVault', c.vault, 'balanceOf', [kernelDev2.address]), before.dev2 + FEE.metadata);
    assert.equal(await read('KrnlVault', c.vault, 'balanceOf', [node1.address]), before.n1 + share);
    assert.equal(await read('KrnlVault', c.vault, 'balanceOf', [node2.address]), before.n2 + share);
    assert.equal(await read('KrnlVault', c.vault, 'balanceOf', [node3.address]), before.n3);

    await reportGas('first k=2 trade (fresh payee balances and nonce slot)', r);
    const again = await write(alice, 'RwaTradeApp', c.app, 'trade', [ASSET, 1n, await signed(await attestation({ amount: 1n }))]);
    await reportGas('second k=2 trade (payee balances already non-zero)', again);
  });

  test('more than k signatures are accepted and the node fee is split between all of them', async () => {
    const fields = await attestation({ amount: 1n });
    const n3Before = await read('KrnlVault', c.vault, 'balanceOf', [node3.address]);
    const depositBefore = await read('KrnlVault', c.vault, 'depositOf', [c.app]);
    const r = await write(alice, 'RwaTradeApp', c.app, 'trade', [ASSET, 1n, await signed(fields, [node1, node2, node3])]);
    await reportGas('trade with 3 signatures (k=2)', r);
    const share = NODE_FEE / 3n;
    assert.equal(await read('KrnlVault', c.vault, 'balanceOf', [node3.address]), n3Before + share);
    assert.equal(await read('KrnlVault', c.vault, 'depositOf', [c.app]), depositBefore - (FEE.approval + FEE.metadata + FEE.did) - 3n * share);
  });

  test('redeem is gated the same way', async () => {
    const fields = await attestation({ selector: REDEEM, amount: 4n });
    const positionBefore = await read('RwaTradeApp', c.app, 'positionOf', [alice.address, ASSET]);
    await write(alice, 'RwaTradeApp', c.app, 'redeem', [ASSET, 4n, await signed(fields)]);
    assert.equal(await read('RwaTradeApp', c.app, 'positionOf', [alice.address, ASSET]), positionBefore - 4n);
  });

  test('replayed payload: NonceUsed', async () => {
    const fields = await attestation({ amount: 2n });
    const payload = await signed(fields);
    await write(alice, 'RwaTradeApp', c.app, 'trade', [ASSET, 2n, payload]);
    assertError(await tradeError(alice, ASSET, 2n, payload), 'NonceUsed', [fields.nonce]);
  });

  test('expired payload: Expired', async () => {
    const fields = await attestation();
    fields.expiry = (await latestTimestamp()) - 1n;
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields)), 'Expired');
  });

  test('another sender: WrongSender', async () => {
    const payload = await signed(await attestation({ sender: alice }));
    assertError(await tradeError(bob, ASSET, 10n, payload), 'WrongSender', [bob.address, alice.address]);
  });

  test('other arguments: WrongArguments', async () => {
    const payload = await signed(await attestation({ amount: 10n }));
    assertError(await tradeError(alice, ASSET, 11n, payload), 'WrongArguments');
    assertError(await tradeError(alice, ASSET + 1n, 10n, payload), 'WrongArguments');
  });

  test('another function: WrongFunction', async () => {
    const payload = await signed(await attestation({ selector: REDEEM }));
    assertError(await tradeError(alice, ASSET, 10n, payload), 'WrongFunction', [TRADE, REDEEM]);
  });

  test('another app: WrongApp', async () => {
    const fields = await attestation();
    fields.app = c.platform;
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields)), 'WrongApp', [c.app, c.platform]);
  });

  test('another chain: WrongChain for the payload chainId, UntrustedSigner for a signature made for another chain', async () => {
    const fields = await attestation();
    const other = { ...fields, chainId: 31338n };
    assertError(await tradeError(alice, ASSET, 10n, await signed(other)), 'WrongChain', [BigInt(chainId), 31338n]);
    const crossSigned = await signed(fields, [node1, node2], { domainChainId: 31338 });
    assertError(await tradeError(alice, ASSET, 10n, crossSigned), 'UntrustedSigner');
  });

  test('a signature from an untrusted node: UntrustedSigner', async () => {
    const fields = await attestation();
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields, [node1, rogue])), 'UntrustedSigner', [rogue.address]);
  });

  test('fewer than k signatures: NotEnoughSignatures', async () => {
    const fields = await attestation();
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields, [node1])), 'NotEnoughSignatures', [1n, 2n]);
    assertError(await tradeError(alice, ASSET, 10n, encodePayload(fields, '0x')), 'NotEnoughSignatures', [0n, 2n]);
  });

  test('the same signer twice, or signers out of order: DuplicateOrUnsortedSigner', async () => {
    const fields = await attestation();
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields, [node1, node1], { keepOrder: true })), 'DuplicateOrUnsortedSigner', [node1.address]);
    const sorted = [node1, node2].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
    const descending = await signed(fields, [sorted[1], sorted[0]], { keepOrder: true });
    assertError(await tradeError(alice, ASSET, 10n, descending), 'DuplicateOrUnsortedSigner', [sorted[0].address]);
  });

  test('a malleated (high-s) twin of a valid signature: InvalidSignature', async () => {
    const fields = await attestation();
    const sigs = await signAttestation(fields, [node1, node2]);
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(sliceHex(sigs, 32, 64));
    const v = Number(BigInt(sliceHex(sigs, 64, 65)));
    const twin = concatHex([sliceHex(sigs, 0, 32), padHex(numberToHex(N - s), { size: 32 }), numberToHex(v === 27 ? 28 : 27, { size: 1 }), sliceHex(sigs, 65)]);
    assertError(await tradeError(alice, ASSET, 10n, encodePayload(fields, twin)), 'InvalidSignature', [0n]);
    assertError(await tradeError(alice, ASSET, 10n, encodePayload(fields, concatHex([sigs, '0x01']))), 'MalformedSignatures', [131n]);
  });

  test('tampered responses: UntrustedSigner (the signatures no longer recover to the nodes)', async () => {
    await write(owner, 'DidRegistry', c.did, 'setScore', [carol.address, 10n]);
    await write(owner, 'RwaPlatform', c.platform, 'setApproval', [carol.address, ASSET, true]);
    const fields = await attestation({ sender: carol });
    const sigs = await signAttestation(fields, [node1, node2]);
    fields.responses[2] = { ...fields.responses[2], result: encodeAbiParameters([{ type: 'uint256' }], [99n]) };
    assertError(await tradeError(carol, ASSET, 10n, encodePayload(fields, sigs)), 'UntrustedSigner');
  });

  test('tampered fees: UntrustedSigner; honestly signed fees below the registry: FeeBelowRegistered', async () => {
    const fields = await attestation();
    const sigs = await signAttestation(fields, [node1, node2]);
    assertError(await tradeError(alice, ASSET, 10n, encodePayload({ ...fields, kernelFees: [0n, 0n, 0n] }, sigs)), 'UntrustedSigner');
    assertError(await tradeError(alice, ASSET, 10n, encodePayload({ ...fields, nodeFee: 0n }, sigs)), 'UntrustedSigner');
    const cheap = { ...fields, kernelFees: [FEE.approval, FEE.metadata - 1n, FEE.did] };
    assertError(await tradeError(alice, ASSET, 10n, await signed(cheap)), 'FeeBelowRegistered', [k.metadata, FEE.metadata - 1n, FEE.metadata]);
  });

  test('fees that do not list the responded kernels: ResponsesDoNotMatchFees', async () => {
    const fields = await attestation();
    const swapped = { ...fields, kernelIds: [k.approval, k.did, k.metadata] };
    assertError(await tradeError(alice, ASSET, 10n, await signed(swapped)), 'ResponsesDoNotMatchFees');
  });

  test('a kernel the app did not list: KernelNotAllowed', async () => {
    const fields = await attestation({ extra: [k.unlisted] });
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields)), 'KernelNotAllowed', [c.app, k.unlisted]);
  });

  test('deposit too low: InsufficientDeposit; only the app owner withdraws the deposit', async () => {
    const deposit = await read('KrnlVault', c.vault, 'depositOf', [c.app]);
    assertError(await callError(rogue, 'KrnlVault', c.vault, 'withdrawDeposit', [c.app, 1n]), 'NotAppOwner', [c.app, rogue.address]);
    const keep = FEE.approval + FEE.metadata + FEE.did; // covers the kernels but not the node fee
    const ownerBefore = await balance(owner.address);
    const r = await write(owner, 'KrnlVault', c.vault, 'withdrawDeposit', [c.app, deposit - keep]);
    assert.equal(await balance(owner.address), ownerBefore + deposit - keep - gasCost(r));
    const fields = await attestation();
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields)), 'InsufficientDeposit', [c.app, keep + NODE_FEE, keep]);
    await write(carol, 'KrnlVault', c.vault, 'deposit', [c.app], parseEther('1'));
    assert.equal(await tradeError(alice, ASSET, 10n, await signed(fields)), null);
  });

  test('consume is callable only by the app: NotApp', async () => {
    const fields = await attestation();
    const sigs = await signAttestation(fields, [node1, node2]);
    assertError(await callError(alice, 'TokenAuthority', c.authority, 'consume', [{ ...fields, signatures: sigs }]), 'NotApp', [alice.address]);
  });

  test('ERC-1271 isValidSignature: magic value only for k distinct trusted signers in ascending order', async () => {
    const fields = await attestation();
    const digest = await read('TokenAuthority', c.authority, 'attestationDigest', [
      fields.app, fields.sender, fields.selector, fields.argsHash, hashResponses(fields.responses), fields.nonce, fields.expiry,
      hashFees(fields.kernelIds, fields.kernelFees, fields.nodeFee),
    ]);
    const check = async (signers, opts) => read('TokenAuthority', c.authority, 'isValidSignature', [digest, await signAttestation(fields, signers, opts)]);
    assert.equal(await check([node2, node3]), '0x1626ba7e');
    assert.equal(await check([node1, node2, node3]), '0x1626ba7e');
    assert.equal(await check([node1]), '0xffffffff');
    assert.equal(await check([node1, rogue]), '0xffffffff');
    assert.equal(await check([node2, node2], { keepOrder: true }), '0xffffffff');
    assert.equal(await check([node1, node2], { domainChainId: 1 }), '0xffffffff');
  });

  test('the token authority owner manages signers and k', async () => {
    assertError(await callError(rogue, 'TokenAuthority', c.authority, 'addSigner', [rogue.address]), 'Unauthorized');
    assertError(await callError(owner, 'TokenAuthority', c.authority, 'setThreshold', [4n]), 'BadThreshold', [4n, 3n]);
    await write(owner, 'TokenAuthority', c.authority, 'addSigner', [rogue.address]);
    const fields = await attestation();
    assert.equal(await tradeError(alice, ASSET, 10n, await signed(fields, [node1, rogue])), null);
    await write(owner, 'TokenAuthority', c.authority, 'removeSigner', [rogue.address]);
    assertError(await tradeError(alice, ASSET, 10n, await signed(fields, [node1, rogue])), 'UntrustedSigner', [rogue.address]);
  });
});

describe('vault, operators and notice periods', () => {
  test('earnings are pulled: each payee withdraws exactly its balance once', async () => {
    const owed = await read('KrnlVault', c.vault, 'balanceOf', [kernelDev1.address]);
    assert.ok(owed > 0n);
    const before = await balance(kernelDev1.address);
    const r = await write(kernelDev1, 'KrnlVault', c.vault, 'withdraw');
    assert.equal(await balance(kernelDev1.address), before + owed - gasCost(r));
    assert.equal(await read('KrnlVault', c.vault, 'balanceOf', [kernelDev1.address]), 0n);
    assertError(await callError(kernelDev1, 'KrnlVault', c.vault, 'withdraw'), 'NothingToWithdraw');

    const nodeOwed = await read('KrnlVault', c.vault, 'balanceOf', [node1.address]);
    const nodeBefore = await balance(node1.address);
    const r2 = await write(node1, 'KrnlVault', c.vault, 'withdraw');
    assert.equal(await balance(node1.address), nodeBefore + nodeOwed - gasCost(r2));
  });

  test('the vault pays out only through settle from the app\'s registered token authority', async () => {
    assertError(await callError(rogue, 'KrnlVault', c.vault, 'settle', [c.app, [k.did], [0n], 0n, []]), 'NotTokenAuthority', [rogue.address, c.app]);
  });

  test('stake leaves only after the unstake delay, to the payout address', async () => {
    assertError(await callError(node3, 'KernelRegistry', c.registry, 'requestUnstake', [MIN_STAKE + 1n]), 'UnstakeTooLarge', [MIN_STAKE + 1n, MIN_STAKE]);
    const r = await write(node3, 'KernelRegistry', c.registry, 'requestUnstake', [MIN_STAKE / 2n]);
    const readyAt = r.events.find((e) => e.eventName === 'UnstakeRequested').args.readyAt;
    assert.equal(await read('KernelRegistry', c.registry, 'isStakedOperator', [node3.address]), false);
    assertError(await callError(node3, 'KernelRegistry', c.registry, 'withdrawStake'), 'UnstakeNotReady', [readyAt]);
    await advanceTime(UNSTAKE_DELAY / 2n);
    assertError(await callError(node3, 'KernelRegistry', c.registry, 'withdrawStake'), 'UnstakeNotReady', [readyAt]);
    await advanceTime(UNSTAKE_DELAY / 2n + 1n);
    const before = await balance(node3.address);
    const w = await write(node3, 'KernelRegistry', c.registry, 'withdrawStake');
    assert.equal(await balance(node3.address), before + MIN_STAKE / 2n - gasCost(w));
    assert.equal((await read('KernelRegistry', c.registry, 'operator', [node3.address])).stake, MIN_STAKE / 2n);
    assertError(await callError(node3, 'KernelRegistry', c.registry, 'withdrawStake'), 'NothingToUnstake');
  });

  test('a fee change applies only after the notice period', async () => {
    assertError(await callError(rogue, 'KernelRegistry', c.registry, 'setFee', [k.extra, 1n]), 'NotKernelOwner', [k.extra, rogue.address]);
    const newFee = FEE.extra * 3n;
    await write(kernelDev2, 'KernelRegistry', c.registry, 'setFee', [k.extra, newFee]);
    const pending = await read('KernelRegistry', c.registry, 'kernel', [k.extra]);
    assert.equal(pending.fee, FEE.extra);
    assert.equal(pending.pendingFee, newFee);
    // Until the notice runs out, an attestation quoting the old fee is honoured.
    const early = await attestation({ extra: [k.extra] });
    assert.equal(early.kernelFees[3], FEE.extra);
    assert.equal(await tradeError(alice, ASSET, 10n, await signed(early)), null);
    await advanceTime(NOTICE);
    assert.equal(await read('KernelRegistry', c.registry, 'feeOf', [k.extra]), newFee);
    assertError(await tradeError(alice, ASSET, 10n, await signed({ ...early, expiry: (await latestTimestamp()) + 600n })), 'FeeBelowRegistered', [k.extra, FEE.extra, newFee]);
    const late = await attestation({ extra: [k.extra] });
    assert.equal(await tradeError(alice, ASSET, 10n, await signed(late)), null);
  });

  test('a deactivated kernel stays usable for the notice period, then KernelInactive', async () => {
    await write(kernelDev2, 'KernelRegistry', c.registry, 'deactivate', [k.extra]);
    assertError(await callError(kernelDev2, 'KernelRegistry', c.registry, 'deactivate', [k.extra]), 'AlreadyDeactivating', [k.extra]);
    assert.equal((await read('KernelRegistry', c.registry, 'kernel', [k.extra])).active, true);
    const fields = await attestation({ extra: [k.extra], amount: 3n });
    await write(alice, 'RwaTradeApp', c.app, 'trade', [ASSET, 3n, await signed(fields)]);
    await advanceTime(NOTICE);
    assert.equal((await read('KernelRegistry', c.registry, 'kernel', [k.extra])).active, false);
    assert.equal(await read('KernelRegistry', c.registry, 'isActive', [k.extra]), false);
    const after = await attestation({ extra: [k.extra] });
    assertError(await tradeError(alice, ASSET, 10n, await signed(after)), 'KernelInactive', [k.extra]);
    // The app's other kernels are unaffected.
    assert.equal(await tradeError(alice, ASSET, 10n, await signed(await attestation())), null);
  });
});

describe('vectors', () => {
  test('contracts/test/vectors/attestation.json matches what TokenAuthority computes now', async () => {
    const doc = JSON.parse(readFileSync(new URL('./vectors/attestation.json', import.meta.url), 'utf8'));
    assert.ok(doc.vectors.length >= 4);
    for (const { name, inputs: i, outputs, signature } of doc.vectors) {
      const v = {
        ...i,
        chainId: BigInt(i.chainId),
        nonce: BigInt(i.nonce),
        expiry: BigInt(i.expiry),
        nodeFee: BigInt(i.nodeFee),
        kernelIds: i.kernelIds.map(BigInt),
        kernelFees: i.kernelFees.map(BigInt),
        responses: i.responses.map((r) => ({ ...r, kernelId: BigInt(r.kernelId) })),
      };
      assert.deepEqual(await contractHashes(c.authority, v), outputs, name);
      if (signature) assert.equal(await recoverAddress({ hash: outputs.digest, signature: signature.signature }), signature.signer, name);
    }
  });
});
