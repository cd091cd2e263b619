// A 2-of-3 quorum across real krnld processes (run.sh): the app's TokenAuthority trusts the operators
// of A, B and C (dev accounts 0, 1, 2) with threshold 2. A executes and gathers co-signatures from B
// and C; a dead peer is tolerated while k signatures remain, a lying key holder cannot pass, and an
// untrusted node refuses to execute. A smart account demanding 2 (then 3) of them gets its user operation
// co-signed on the way into A's bundler (j).
//
// The tests run in this order because they share the nodes: those needing B or C alive come first;
// (b) stops C and (c) stops B.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatHex, decodeAbiParameters, getAddress, keccak256, parseEther, recoverAddress, size, sliceHex, encodeAbiParameters, toHex, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  AMOUNT,
  ASSET,
  CODE,
  SELECTOR,
  argsHash,
  cosignParams,
  decodePayload,
  deployer,
  digestOnChain,
  encodePayload,
  home,
  mine,
  operators,
  pinsNow,
  read,
  rpc,
  rwa,
  send,
  setUpUseCase,
  simulate,
  stopEngine,
  tradeRequest,
  urls,
  walletA,
  walletB,
} from './lib.mjs';

const TIMEOUT = 60_000;
const checksum = (a) => getAddress(a); // not .map(getAddress): its second parameter is a chain id
const show = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
const trusted = [operators.A, operators.B, operators.C].map((a) => a.address);
let useCase;

before(async () => {
  useCase = await setUpUseCase({ signers: trusted, k: 2n });
});
after(async () => {
  await useCase?.close();
});

async function execute(url, sender) {
  return rpc(url, 'krnl_executeKernels', [tradeRequest(useCase, sender)]);
}

/// Sends trade(ASSET, AMOUNT, payload) from wallet A and checks what the chain recorded.
async function tradeAndCheck(answer) {
  const before = await read(home, 'RwaTradeApp', useCase.app, 'positionOf', [walletA.address, ASSET]);
  const receipt = await send(home, walletA, 'RwaTradeApp', useCase.app, 'trade', [ASSET, AMOUNT, answer.payload]);
  const traded = receipt.events.find((e) => e.eventName === 'Traded');
  const consumed = receipt.events.find((e) => e.eventName === 'AttestationConsumed');
  assert.ok(traded && consumed, 'trade emits Traded and AttestationConsumed');
  assert.equal(traded.args.didScore, 85n);
  assert.deepEqual(consumed.args.signers.map(checksum), answer.signers.map(checksum));
  assert.equal(consumed.args.digest, answer.digest);
  assert.equal(await read(home, 'RwaTradeApp', useCase.app, 'positionOf', [walletA.address, ASSET]), before + AMOUNT);
}

/// The signers of a payload's signature bundle, recovered against `digest`.
async function recoveredSigners(signatures, digest) {
  const out = [];
  for (let i = 0; i < size(signatures); i += 65) out.push(await recoverAddress({ hash: digest, signature: sliceHex(signatures, i, i + 65) }));
  return out;
}

test('a) A executes: two signatures (A and one peer) meet threshold 2, and the trade succeeds on 31337', { timeout: TIMEOUT }, async (t) => {
  const answer = await execute(urls.home, walletA);
  assert.equal(answer.error, undefined, `A refused: ${show(answer.error)}`);
  const r = answer.result;
  t.diagnostic(`signers ${r.signers.join(', ')}; peers ${show(r.peers)}`);
  assert.equal(r.threshold, 2);
  assert.equal(r.signers.length, 2);
  const signers = r.signers.map(checksum);
  assert.ok(signers.includes(operators.A.address), `A signs its own execution: ${signers}`);
  for (const s of signers) assert.ok(trusted.includes(s), `${s} is one of A, B, C`);
  assert.ok(BigInt(signers[0]) < BigInt(signers[1]), 'signers ascend');

  // The payload carries exactly those two signatures, over the digest the authority computes.
  const payload = decodePayload(r.payload);
  assert.equal(size(payload.signatures), 130);
  assert.equal(await digestOnChain(useCase.authority, payload), r.digest);
  assert.deepEqual(await recoveredSigners(payload.signatures, r.digest), signers);

  // Both peers were asked; the one whose signature is in the payload is reported as the signer.
  assert.deepEqual(r.peers.map((p) => p.url).sort(), [urls.B, urls.C].sort());
  const cosigner = signers.find((s) => s !== operators.A.address);
  assert.ok(r.peers.some((p) => p.signer && getAddress(p.signer) === cosigner), show(r.peers));

  await tradeAndCheck(r);
});

test('d) a liar holding one trusted key (C\'s) cannot make tampered responses pass', { timeout: TIMEOUT }, async (t) => {
  const liar = operators.C;
  // Wallet B is refused honestly: not approved, score 40.
  const honest = await execute(urls.home, walletB);
  assert.equal(honest.error?.code, CODE.policyRefused, show(honest.error ?? honest.result));

  // The liar builds wallet B's attestation with the approval flipped to true and the score raised.
  const quote = await rpc(urls.home, 'krnl_quote', [useCase.app, Object.values(useCase.kernelIds).map((id) => toHex(id))]);
  assert.equal(quote.error, undefined, show(quote.error));
  const ids = Object.values(useCase.kernelIds);
  const tampered = [
    { kernelId: useCase.kernelIds.approval, result: encodeAbiParameters([{ type: 'bool' }], [true]), err: '' },
    { kernelId: useCase.kernelIds.metadata, result: encodeAbiParameters([{ type: 'string' }], ['active']), err: '' },
    { kernelId: useCase.kernelIds.did, result: encodeAbiParameters([{ type: 'uint256' }], [85n]), err: '' },
  ];
  const latest = await home.pub.getBlock();
  const attestation = {
    chainId: 31337n,
    app: useCase.app,
    sender: walletB.address,
    selector: SELECTOR,
    argsHash,
    responses: tampered,
    nonce: BigInt(generatePrivateKey()),
    expiry: latest.timestamp + 300n,
    kernelIds: ids,
    kernelFees: quote.result.kernelFees.map(BigInt),
    nodeFee: BigInt(quote.result.nodeFee),
  };
  const digest = await digestOnChain(useCase.authority, attestation);
  const signature = await liar.sign({ hash: digest });
  assert.equal(await recoverAddress({ hash: digest, signature }), liar.address);

  // One trusted signature is not enough for k = 2.
  const alone = encodePayload({ ...attestation, signatures: signature });
  const revert1 = await simulate(home, walletB, 'RwaTradeApp', useCase.app, 'trade', [ASSET, AMOUNT, alone]);
  assert.equal(revert1?.name, 'NotEnoughSignatures', show(revert1));
  assert.deepEqual(revert1.args, [1n, 2n]);

  // An honest peer re-runs the kernels and refuses to co-sign responses it did not get, even
  // when the liar signs its co-sign request with C's trusted operator key.
  const request = tradeRequest(useCase, walletB);
  const pins = await pinsNow();
  let nonce = attestation.nonce;
  const cosign = async (responses) =>
    rpc(urls.B, 'krnl_cosign', await cosignParams(liar, request, responses, { nonce: nonce++, expiry: attestation.expiry, nodeFee: attestation.nodeFee, pins }));
  const refused = await cosign(tampered);
  assert.equal(refused.error?.code, CODE.responsesDiffer, show(refused.error ?? refused.result));
  assert.match(refused.error.message, /position 0/);
  t.diagnostic(`B's krnl_cosign: ${refused.error.code} ${refused.error.message}`);
  // With the true responses it refuses too: the policy does not pass for wallet B.
  const truthful = refused.error.data.responses.map((x) => ({ kernelId: BigInt(x.kernelId), result: x.result, err: x.err }));
  const refusedByPolicy = await cosign(truthful);
  assert.equal(refusedByPolicy.error?.code, CODE.policyRefused, show(refusedByPolicy.error ?? refusedByPolicy.result));

  // The same signature twice does not count as two signers.
  const twice = encodePayload({ ...attestation, signatures: concatHex([signature, signature]) });
  const revert2 = await simulate(home, walletB, 'RwaTradeApp', useCase.app, 'trade', [ASSET, AMOUNT, twice]);
  assert.equal(revert2?.name, 'DuplicateOrUnsortedSigner', show(revert2));
  assert.equal(getAddress(revert2.args[0]), liar.address);

  // Nor do honest signatures lifted from wallet A's payload: they sign other data.
  const forA = await execute(urls.home, walletA);
  assert.equal(forA.error, undefined, show(forA.error));
  const lifted = encodePayload({ ...attestation, signatures: decodePayload(forA.result.payload).signatures });
  const revert3 = await simulate(home, walletB, 'RwaTradeApp', useCase.app, 'trade', [ASSET, AMOUNT, lifted]);
  assert.equal(revert3?.name, 'UntrustedSigner', show(revert3));
  assert.ok(!trusted.includes(getAddress(revert3.args[0])));

  assert.equal(await read(home, 'RwaTradeApp', useCase.app, 'positionOf', [walletB.address, ASSET]), 0n);
});

test('e) a node the app does not trust refuses to execute (-33012)', { timeout: TIMEOUT }, async (t) => {
  // D signs with dev account 5 and has B and C as peers.
  const info = await rpc(urls.D, 'krnl_nodeInfo');
  assert.equal(getAddress(info.result.signer), operators.D.address);
  const fromD = await execute(urls.D, walletA);
  assert.equal(fromD.error?.code, CODE.signerNotTrusted, show(fromD.error ?? fromD.result));
  assert.ok(fromD.error.message.toLowerCase().includes(operators.D.address.toLowerCase()), fromD.error.message);
  t.diagnostic(`D: ${fromD.error.code} ${fromD.error.message}`);

  // A, once its owner removes it from the authority, refuses the same way; added back, it signs again.
  await send(home, operators.A, 'TokenAuthority', useCase.authority, 'removeSigner', [operators.A.address]);
  try {
    const fromA = await execute(urls.home, walletA);
    assert.equal(fromA.error?.code, CODE.signerNotTrusted, show(fromA.error ?? fromA.result));
  } finally {
    await send(home, operators.A, 'TokenAuthority', useCase.authority, 'addSigner', [operators.A.address]);
  }
  const again = await execute(urls.home, walletA);
  assert.equal(again.error, undefined, show(again.error));
  assert.ok(again.result.signers.map(checksum).includes(operators.A.address));
});

// ---------------------------------------------------------------- the peer protocol (issue 10, findings 1-3)

/// Wallet A's responses and a fresh attestation's terms, from an execution on A.
async function honestTerms() {
  const answer = await execute(urls.home, walletA);
  assert.equal(answer.error, undefined, show(answer.error));
  const latest = await home.pub.getBlock();
  return { result: answer.result, responses: answer.result.responses, expiry: latest.timestamp + 200n, nodeFee: BigInt(answer.result.fees.nodeFee) };
}

test('f) krnl_cosign refuses callers that are not trusted nodes: unsigned, a random key, an untrusted node (-33013)', { timeout: TIMEOUT }, async (t) => {
  const { responses, expiry, nodeFee } = await honestTerms();
  const request = tradeRequest(useCase, walletA);
  const terms = () => ({ nonce: BigInt(generatePrivateKey()), expiry, nodeFee, pins: undefined });
  const pins = await pinsNow();
  const unsigned = await rpc(urls.B, 'krnl_cosign', await cosignParams(null, request, responses, { ...terms(), pins }));
  assert.equal(unsigned.error?.code, CODE.requesterNotTrusted, show(unsigned.error ?? unsigned.result));
  t.diagnostic(`unsigned: ${unsigned.error.message}`);
  const stranger = privateKeyToAccount(generatePrivateKey());
  const byStranger = await rpc(urls.B, 'krnl_cosign', await cosignParams(stranger, request, responses, { ...terms(), pins }));
  assert.equal(byStranger.error?.code, CODE.requesterNotTrusted, show(byStranger.error ?? byStranger.result));
  assert.ok(byStranger.error.message.toLowerCase().includes(stranger.address.toLowerCase()), byStranger.error.message);
  const byD = await rpc(urls.C, 'krnl_cosign', await cosignParams(operators.D, request, responses, { ...terms(), pins }));
  assert.equal(byD.error?.code, CODE.requesterNotTrusted, show(byD.error ?? byD.result));
  // The same request signed by a trusted node is answered: the refusals are about the caller.
  const byA = await rpc(urls.B, 'krnl_cosign', await cosignParams(operators.A, request, responses, { ...terms(), pins }));
  assert.equal(byA.error, undefined, show(byA.error));
  assert.equal(getAddress(byA.result.signer), operators.B.address);
});

test('g) a replayed co-sign request is refused (-33015), and a payload\'s nonce cannot be signed again (finding 2)', { timeout: TIMEOUT }, async (t) => {
  const { result, responses, expiry, nodeFee } = await honestTerms();
  const request = tradeRequest(useCase, walletA);
  const params = await cosignParams(operators.A, request, responses, { nonce: BigInt(generatePrivateKey()), expiry, nodeFee, pins: await pinsNow() });
  const first = await rpc(urls.C, 'krnl_cosign', params);
  assert.equal(first.error, undefined, show(first.error));
  const replay = await rpc(urls.C, 'krnl_cosign', params);
  assert.equal(replay.error?.code, CODE.nonceReplayed, show(replay.error ?? replay.result));
  t.diagnostic(`replay: ${replay.error.message}`);

  // Finding 2, nonce theft: wallet B asks the peer that co-signed wallet A's payload for a
  // signature with that payload's nonce. As a stranger it is refused outright; even a trusted
  // node cannot get the nonce signed twice.
  const cosigner = result.peers.find((p) => p.signer);
  assert.ok(cosigner, show(result.peers));
  const requestB = tradeRequest(useCase, walletB);
  const nonce = BigInt(result.nonce);
  const stolen = await rpc(cosigner.url, 'krnl_cosign', await cosignParams(null, requestB, responses, { nonce, expiry, nodeFee, pins: await pinsNow() }));
  assert.equal(stolen.error?.code, CODE.requesterNotTrusted, show(stolen.error ?? stolen.result));
  const stolenSigned = await rpc(cosigner.url, 'krnl_cosign', await cosignParams(operators.A, request, responses, { nonce, expiry, nodeFee, pins: await pinsNow() }));
  assert.equal(stolenSigned.error?.code, CODE.nonceReplayed, show(stolenSigned.error ?? stolenSigned.result));
  // Wallet A's payload is still good.
  await tradeAndCheck(result);
});

test('h) old pins are refused (-33014): a lying trusted node rewinding past a revocation, and the unsigned attack of finding 1', { timeout: TIMEOUT }, async (t) => {
  const { responses, expiry, nodeFee } = await honestTerms();
  const request = tradeRequest(useCase, walletA);
  const before = await pinsNow(); // wallet A approved here
  await send(rwa, deployer, 'RwaPlatform', useCase.platform, 'setApproval', [walletA.address, ASSET, false]);
  try {
    await mine(rwa, 10);
    await mine(home, 10);
    const refusedNow = await execute(urls.home, walletA);
    assert.equal(refusedNow.error?.code, CODE.policyRefused, show(refusedNow.error ?? refusedNow.result));
    // The attack as found: krnl_cosign with the pre-revocation blocks, from anyone.
    const unsigned = await rpc(urls.B, 'krnl_cosign', await cosignParams(null, { ...request, blocks: Object.fromEntries(Object.entries(before).map(([c, p]) => [c, toHex(p.number)])) }, responses, { nonce: BigInt(generatePrivateKey()), expiry, nodeFee, pins: before }));
    assert.equal(unsigned.error?.code, CODE.requesterNotTrusted, show(unsigned.error ?? unsigned.result));
    // A trusted node picking those pins (10 blocks back) is refused too.
    const lying = await rpc(urls.B, 'krnl_cosign', await cosignParams(operators.A, request, responses, { nonce: BigInt(generatePrivateKey()), expiry, nodeFee, pins: before }));
    assert.equal(lying.error?.code, CODE.pinsOutsideWindow, show(lying.error ?? lying.result));
    assert.match(lying.error.message, /blocks behind/);
    t.diagnostic(`old pins: ${lying.error.message}`);
    // And so is a pin naming a block of another fork.
    const now = await pinsNow();
    const forked = { ...now, [home.id]: { ...now[home.id], hash: keccak256('0x01') } };
    const onFork = await rpc(urls.B, 'krnl_cosign', await cosignParams(operators.A, request, responses, { nonce: BigInt(generatePrivateKey()), expiry, nodeFee, pins: forked }));
    assert.equal(onFork.error?.code, CODE.pinsOutsideWindow, show(onFork.error ?? onFork.result));
    assert.match(onFork.error.message, /another fork/);
  } finally {
    await send(rwa, deployer, 'RwaPlatform', useCase.platform, 'setApproval', [walletA.address, ASSET, true]);
  }
});

test('i) the node fee is the peer\'s own (-33016): nodeFee = deposit - quote cannot be signed (finding 3)', { timeout: TIMEOUT }, async (t) => {
  const { responses, expiry } = await honestTerms();
  const request = tradeRequest(useCase, walletA);
  const quote = await rpc(urls.home, 'krnl_quote', [useCase.app, Object.values(useCase.kernelIds).map((id) => toHex(id))]);
  assert.equal(quote.error, undefined, show(quote.error));
  const deposit = await read(home, 'KrnlVault', useCase.vault, 'depositOf', [useCase.app]);
  const drain = deposit - BigInt(quote.result.total);
  assert.ok(drain > BigInt(quote.result.nodeFee));
  const pins = await pinsNow();
  const unsigned = await rpc(urls.B, 'krnl_cosign', await cosignParams(null, request, responses, { nonce: BigInt(generatePrivateKey()), expiry, nodeFee: drain, pins }));
  assert.equal(unsigned.error?.code, CODE.requesterNotTrusted, show(unsigned.error ?? unsigned.result));
  const signed = await rpc(urls.B, 'krnl_cosign', await cosignParams(operators.A, request, responses, { nonce: BigInt(generatePrivateKey()), expiry, nodeFee: drain, pins }));
  assert.equal(signed.error?.code, CODE.nodeFeeMismatch, show(signed.error ?? signed.result));
  assert.equal(BigInt(signed.error.data.nodeFee), BigInt(quote.result.nodeFee));
  t.diagnostic(`fee: ${signed.error.message}`);
  assert.equal(await read(home, 'KrnlVault', useCase.vault, 'depositOf', [useCase.app]), deposit);
});

test('j) a smart account demanding 2 of A, B, C: its op to A\'s bundler is attested by A and one peer and mined; at k = 3 with B and C asked, the quorum holds too', { timeout: TIMEOUT }, async (t) => {
  // The bundler suite's account and KrnlValidator helpers (they read the contract build of this run).
  process.env.KRNL_PREDEPLOYS ??= `${process.env.KRNL_CONTRACTS_OUT}/predeploys.json`;
  const { toKrnlAccount } = await import('../bundler/lib/krnl-account.mjs');
  const { clientsFor, fund } = await import('../bundler/lib/node.mjs');
  const { krnlPredeploys, setupCalls, requirement, krnlValidatorAbi } = await import('../bundler/lib/krnl-validator.mjs');
  const clients = clientsFor({ url: urls.home, chainId: 31337, name: 'home' });
  const owner = privateKeyToAccount(generatePrivateKey());
  const sudo = await toKrnlAccount({ client: clients.publicClient, owner, entryPointVersion: '0.8' });
  await fund(clients, sudo.address);
  // One kernel (the DID score of the account, read on 31339 at A's pin by every signer) and no policy.
  const kernels = [{ id: useCase.kernelIds.did, inputs: [] }];
  const setup = async (threshold) => {
    const bundler = clients.bundlerClient({ account: sudo });
    const hash = await bundler.sendUserOperation({
      calls: setupCalls({
        account: sudo.address,
        kernelIds: threshold === 2n ? [useCase.kernelIds.did] : [],
        deposit: threshold === 2n ? parseEther('0.01') : 0n,
        config: { owner: owner.address, signers: trusted, threshold, policy: zeroAddress, requirements: [requirement({ kernels })] },
      }).filter((c, i) => threshold === 2n || i === 0),
    });
    const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
    assert.equal(receipt.success, true, `setup at k = ${threshold}`);
  };
  await setup(2n);
  const { validator } = krnlPredeploys();
  assert.equal(await clients.publicClient.readContract({ address: validator, abi: krnlValidatorAbi, functionName: 'thresholdFor', args: [sudo.address] }), 2n);

  const account = await toKrnlAccount({ client: clients.publicClient, owner, entryPointVersion: '0.8', address: sudo.address, krnl: { executeUserOp: true } });
  const bundler = clients.bundlerClient({ account });
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 7n }] });
  const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
  assert.equal(receipt.success, true);
  assert.equal(await clients.publicClient.getBalance({ address: recipient }), 7n);

  // The attestation the node appended carries exactly two signatures, A's and one peer's.
  const { userOperation } = await bundler.getUserOperation({ hash });
  const part = sliceHex(userOperation.signature, 4 + 65);
  const [, , , , , , signatures] = decodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint64' }, { type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }, { type: 'bytes' }],
    part,
  );
  assert.equal(size(signatures), 130, 'k = 2 signatures');
  t.diagnostic(`op ${hash}: attestation of ${size(part)} bytes with 2 signatures`);

  // k = 3: every node must sign (the op's estimation asks them; its submission reuses that attestation).
  await setup(3n);
  const again = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 8n }] });
  const receipt3 = await bundler.waitForUserOperationReceipt({ hash: again, timeout: 30_000 });
  assert.equal(receipt3.success, true);
  const op3 = (await bundler.getUserOperation({ hash: again })).userOperation;
  const [, , , , , , signatures3] = decodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint64' }, { type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }, { type: 'bytes' }],
    sliceHex(op3.signature, 4 + 65),
  );
  assert.equal(size(signatures3), 195, 'k = 3 signatures');
});

test('b) with C stopped, A still gathers 2 signatures (A, B), reports C\'s error, and the trade succeeds', { timeout: TIMEOUT }, async (t) => {
  await stopEngine('C');
  const answer = await execute(urls.home, walletA);
  assert.equal(answer.error, undefined, `A refused: ${show(answer.error)}`);
  const r = answer.result;
  t.diagnostic(`signers ${r.signers.join(', ')}; peers ${show(r.peers)}`);
  assert.equal(r.threshold, 2);
  assert.deepEqual(r.signers.map(checksum).sort(), [operators.A.address, operators.B.address].sort());
  const payload = decodePayload(r.payload);
  assert.equal(size(payload.signatures), 130);
  const c = r.peers.find((p) => p.url === urls.C);
  assert.ok(c && !c.signer && typeof c.error === 'string' && c.error.length > 0, show(r.peers));
  assert.doesNotMatch(c.error, /not needed/, 'C did not answer at all');
  const b = r.peers.find((p) => p.url === urls.B);
  assert.equal(getAddress(b?.signer ?? '0x0000000000000000000000000000000000000000'), operators.B.address);
  await tradeAndCheck(r);
});

test('c) with B and C stopped, A refuses with -33011 naming both peers', { timeout: TIMEOUT }, async (t) => {
  await stopEngine('B');
  const answer = await execute(urls.home, walletA);
  assert.equal(answer.error?.code, CODE.quorumNotReached, show(answer.error ?? answer.result));
  t.diagnostic(`${answer.error.code} ${answer.error.message}`);
  assert.ok(answer.error.message.includes(urls.B) && answer.error.message.includes(urls.C), answer.error.message);
  assert.equal(answer.error.data.threshold, 2);
  assert.equal(answer.error.data.signatures, 1);
  assert.deepEqual(answer.error.data.peers.map((p) => p.url).sort(), [urls.B, urls.C].sort());
  for (const p of answer.error.data.peers) assert.ok(p.error.length > 0);
});
