// Validators and executors: weighted multisig (2FA as the default validator, social recovery with a
// delay through the recovery executor), P-256 passkeys (WebAuthn), token actions.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { encodeAbiParameters, toFunctionSelector, zeroAddress, hexToBytes, bytesToHex } from 'viem';
import * as h from './lib/harness.mjs';

const { EP, addressOf, artifact, pub } = h;
const ECDSA = addressOf('ECDSAValidator');
const MULTISIG = addressOf('WeightedMultisigValidator');
const PASSKEY = addressOf('PasskeyValidator');
const RECOVERY = addressOf('RecoveryExecutor');
const TOKEN_ACTIONS = addressOf('TokenActions');

const multisigData = (guardians, weights, threshold, delay) =>
  encodeAbiParameters([{ type: 'address[]' }, { type: 'uint96[]' }, { type: 'uint32' }, { type: 'uint48' }], [guardians.map((g) => g.address), weights, threshold, delay]);

/// Concatenated EIP-191 signatures over `hash`, signers ascending.
async function multisign(signers, hash) {
  const sorted = [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  return h.concatHex(await Promise.all(sorted.map((s) => s.signMessage({ message: { raw: hash } }))));
}

// ---------------------------------------------------------------- WebAuthn (P-256) test signer
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
function passkey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const x = bytesToHex(Buffer.from(jwk.x, 'base64url'));
  const y = bytesToHex(Buffer.from(jwk.y, 'base64url'));
  return {
    x,
    y,
    sign(challengeHex) {
      const authenticatorData = Buffer.concat([createHash('sha256').update('krnl.test').digest(), Buffer.from([0x05]), Buffer.from([0, 0, 0, 1])]);
      const challenge = Buffer.from(hexToBytes(challengeHex)).toString('base64url');
      const clientDataJSON = `{"type":"webauthn.get","challenge":"${challenge}","origin":"https://krnl.test","crossOrigin":false}`;
      const message = Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]);
      const rs = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const r = BigInt(bytesToHex(rs.subarray(0, 32)));
      let s = BigInt(bytesToHex(rs.subarray(32)));
      if (s > P256_N / 2n) s = P256_N - s; // low-s, as the verifier requires
      return encodeAbiParameters(
        [{ type: 'tuple', components: [{ type: 'bytes', name: 'a' }, { type: 'string', name: 'c' }, { type: 'uint256', name: 'ci' }, { type: 'uint256', name: 'ti' }, { type: 'bytes32', name: 'r' }, { type: 'bytes32', name: 's' }] }],
        [{ a: bytesToHex(authenticatorData), c: clientDataJSON, ci: BigInt(clientDataJSON.indexOf('"challenge"')), ti: BigInt(clientDataJSON.indexOf('"type"')), r: h.padHex(h.toHex(r), { size: 32 }), s: h.padHex(h.toHex(s), { size: 32 }) }],
      );
    },
  };
}

before(async () => {
  await h.ensurePredeploys();
});

for (const [version, ep] of Object.entries(EP)) {
  describe(`plugins (${version})`, () => {
    let recorder;
    before(async () => {
      recorder = await h.deploy('Recorder');
    });

    async function deployWith(validator, data, index = 0n) {
      const root = { validator, data };
      const sender = await h.counterfactual(ep, root, index);
      await h.send(sender, '0x', h.parseEther('1'));
      return { sender, initCode: h.factoryInitCode(ep, root, index) };
    }

    test('2FA: weighted multisig as the default validator makes the single-key path impossible', async () => {
      const key = h.newKey();
      const second = h.newKey();
      const { sender, initCode } = await deployWith(MULTISIG, multisigData([key, second], [1n, 1n], 2, 0), 1n);
      const op = h.userOp({ sender, initCode, callData: h.execute(recorder, 0n) });
      const hash = await h.userOpHash(ep, op);
      op.signature = h.concatHex([h.MODE.sudo, await key.signMessage({ message: { raw: hash } })]);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
      op.signature = h.concatHex([h.MODE.sudo, await multisign([key, key], hash)]);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/); // the same signer twice does not count twice
      op.signature = h.concatHex([h.MODE.sudo, await multisign([key, second], hash)]);
      const r = await h.handleOps(ep, [op]);
      assert.equal(r.opEvents[0].args.success, true);
      assert.equal(await h.read(ep.account, sender, 'defaultValidator'), MULTISIG);
      // ERC-1271 through the multisig needs both keys too.
      const msg = h.toHex(123n, { size: 32 });
      const digest = await import('viem').then((v) => v.hashTypedData({ domain: h.eip712Domain(sender), types: { AccountMessage: [{ name: 'hash', type: 'bytes32' }] }, primaryType: 'AccountMessage', message: { hash: msg } }));
      const sorted = [key, second].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
      const both = h.concatHex(await Promise.all(sorted.map((s) => s.sign({ hash: digest }))));
      assert.equal(await h.read(ep.account, sender, 'isValidSignature', [msg, h.concatHex(['0x00', both])]), '0x1626ba7e');
      assert.equal(await h.read(ep.account, sender, 'isValidSignature', [msg, h.concatHex(['0x00', await key.sign({ hash: digest })])]), '0xffffffff');
    });

    test('social recovery: guardians propose, the delay passes, the recovery executor swaps the default validator', async () => {
      const owner = h.newKey();
      const account = await h.createEcdsaAccount(ep, owner, { index: 300n });
      const [g1, g2, g3] = [h.newKey(), h.newKey(), h.newKey()];
      const recoverSel = toFunctionSelector('recoverDefaultValidator(address,bytes)');
      await h.sudoOp(ep, owner, account, h.callData('setExecution', [recoverSel, RECOVERY, MULTISIG, 0, 0, multisigData([g1, g2, g3], [1n, 1n, 1n], 2, 3600)]));
      const newOwner = h.newKey();
      const recoverCall = h.encodeFunctionData({ abi: artifact('RecoveryExecutor').abi, functionName: 'recoverDefaultValidator', args: [zeroAddress, newOwner.address] });
      const op = h.userOp({ sender: account, nonce: await h.getNonce(ep, account), callData: recoverCall, signature: h.MODE.plugin });
      const hash = await h.userOpHash(ep, op);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/); // not proposed
      await assert.rejects(h.write('WeightedMultisigValidator', MULTISIG, 'propose', [account, hash, await multisign([g1], hash)]), /revert/i);
      await h.write('WeightedMultisigValidator', MULTISIG, 'propose', [account, hash, await multisign([g1, g3], hash)]);
      assert.match(await h.handleOpsError(ep, [op]), /AA22/); // proposed, delay not over
      const t = Number(await h.read('WeightedMultisigValidator', MULTISIG, 'proposedAt', [hash, account]));
      await h.setNextTimestamp(t + 3601);
      await h.rpc('evm_mine');
      const r = await h.handleOps(ep, [op]);
      assert.equal(r.opEvents[0].args.success, true);
      assert.equal(await h.read(ep.account, account, 'rootSigner'), newOwner.address);
      const stale = h.userOp({ sender: account, nonce: await h.getNonce(ep, account), callData: h.execute(recorder, 0n) });
      stale.signature = await h.sudoSign(ep, owner, stale);
      assert.match(await h.handleOpsError(ep, [stale]), /AA24/);
      stale.signature = await h.sudoSign(ep, newOwner, stale);
      assert.equal((await h.handleOps(ep, [stale])).opEvents[0].args.success, true);
    });

    test('v2 isolation: the guardian plugin reads and writes the state of the account being validated only', async () => {
      const ownerA = h.newKey();
      const ownerB = h.newKey();
      const a = await h.createEcdsaAccount(ep, ownerA, { index: 301n });
      const b = await h.createEcdsaAccount(ep, ownerB, { index: 302n });
      const shared = h.newKey();
      const onlyB = h.newKey();
      const recoverSel = toFunctionSelector('recoverDefaultValidator(address,bytes)');
      await h.sudoOp(ep, ownerA, a, h.callData('setExecution', [recoverSel, RECOVERY, MULTISIG, 0, 0, multisigData([shared], [1n], 1, 60)]));
      await h.sudoOp(ep, ownerB, b, h.callData('setExecution', [recoverSel, RECOVERY, MULTISIG, 0, 0, multisigData([shared, onlyB], [1n, 1n], 1, 60)]));
      const recoverCall = h.encodeFunctionData({ abi: artifact('RecoveryExecutor').abi, functionName: 'recoverDefaultValidator', args: [ECDSA, onlyB.address] });
      const opA = h.userOp({ sender: a, nonce: await h.getNonce(ep, a), callData: recoverCall, signature: h.MODE.plugin });
      const hashA = await h.userOpHash(ep, opA);
      // B's own guardian cannot approve an operation for A.
      await assert.rejects(h.write('WeightedMultisigValidator', MULTISIG, 'propose', [a, hashA, await multisign([onlyB], hashA)]), /revert/i);
      await h.write('WeightedMultisigValidator', MULTISIG, 'propose', [a, hashA, await multisign([shared], hashA)]);
      assert.equal(await h.read('WeightedMultisigValidator', MULTISIG, 'proposedAt', [hashA, b]), 0n);
      // Asked by anything but A itself (here a probe contract), the validator refuses A's operation.
      const probe = await h.deploy('ValidatorProbe');
      const t = Number(await h.read('WeightedMultisigValidator', MULTISIG, 'proposedAt', [hashA, a]));
      await h.setNextTimestamp(t + 61);
      await h.rpc('evm_mine');
      const data = h.encodeFunctionData({ abi: artifact('ValidatorProbe').abi, functionName: 'probe', args: [MULTISIG, opA, hashA, 4n] });
      assert.equal(BigInt((await pub.call({ to: probe, data, account: h.dev.address })).data), 1n);
      assert.equal((await h.handleOps(ep, [opA])).opEvents[0].args.success, true);
      // A's root is now the ECDSA validator with onlyB's key; B's built-in root is untouched.
      assert.equal(await h.read(ep.account, a, 'defaultValidator'), ECDSA);
      assert.equal(await h.read('ECDSAValidator', ECDSA, 'ownerOf', [a]), onlyB.address);
      assert.equal(await h.read(ep.account, b, 'rootSigner'), ownerB.address);
      assert.equal(await h.read(ep.account, b, 'defaultValidator'), zeroAddress);
    });

    test('passkey: WebAuthn P-256 through the precompile at 0x100 (Hardhat RIP-7212)', async () => {
      const pk = passkey();
      const { sender, initCode } = await deployWith(PASSKEY, encodeAbiParameters([{ type: 'bytes32' }, { type: 'bytes32' }], [pk.x, pk.y]), 2n);
      const op = h.userOp({ sender, initCode, callData: h.execute(recorder, 0n) });
      const hash = await h.userOpHash(ep, op);
      const other = passkey();
      op.signature = h.concatHex([h.MODE.sudo, other.sign(hash)]);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
      op.signature = h.concatHex([h.MODE.sudo, pk.sign(h.toHex(1n, { size: 32 }))]);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
      op.signature = h.concatHex([h.MODE.sudo, pk.sign(hash)]);
      const r = await h.handleOps(ep, [op]);
      assert.equal(r.opEvents[0].args.success, true);
      assert.equal(await h.read('Recorder', recorder, 'lastCaller'), sender);
    });

    test('token actions: an executor bound to a selector runs in the account (sudo and plugin mode)', async () => {
      const owner = h.newKey();
      const account = await h.createEcdsaAccount(ep, owner, { index: 303n });
      const token = await h.deploy('TestToken');
      await h.write('TestToken', token, 'mint', [account, 1000n]);
      const sel = toFunctionSelector('transferERC20Action(address,address,uint256)');
      await h.sudoOp(ep, owner, account, h.callData('setExecution', [sel, TOKEN_ACTIONS, ECDSA, 0, 0, owner.address]));
      const to = h.newKey().address;
      const call = h.encodeFunctionData({ abi: artifact('TokenActions').abi, functionName: 'transferERC20Action', args: [token, to, 300n] });
      assert.equal((await h.sudoOp(ep, owner, account, call)).opEvents[0].args.success, true);
      assert.equal(await h.read('TestToken', token, 'balanceOf', [to]), 300n);
      const op = h.userOp({ sender: account, nonce: await h.getNonce(ep, account), callData: call });
      op.signature = h.concatHex([h.MODE.plugin, await owner.signMessage({ message: { raw: await h.userOpHash(ep, op) } })]);
      assert.equal((await h.handleOps(ep, [op])).opEvents[0].args.success, true);
      assert.equal(await h.read('TestToken', token, 'balanceOf', [to]), 600n);
      // Nobody but the EntryPoint or the account reaches an executor.
      await assert.rejects(pub.call({ to: account, data: call, account: h.dev.address }), /revert/i);
    });
  });
}
