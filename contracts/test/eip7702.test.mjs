// The v0.8 implementation as an EIP-7702 delegate: the EOA is the account and its own key is the root
// signer, without any initialisation.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toHex, hashTypedData } from 'viem';
import * as h from './lib/harness.mjs';

const { EP, addressOf, pub } = h;
const ep = EP.v08;

before(async () => {
  await h.ensurePredeploys();
});

test('EIP-7702: an EOA delegating to AccountV08 runs user operations signed by its own key', async () => {
  const eoa = h.newKey();
  await h.send(eoa.address, '0x', h.parseEther('1'));
  const authorization = await eoa.signAuthorization({ contractAddress: addressOf('AccountV08'), chainId: 31337, nonce: 0 });
  await h.waitOk(await h.wallet.sendTransaction({ to: h.dev.address, authorizationList: [authorization], gas: 200_000n }));
  const code = await pub.getCode({ address: eoa.address });
  assert.equal(code.toLowerCase(), `0xef0100${addressOf('AccountV08').slice(2).toLowerCase()}`);
  // Uninitialised: the built-in root with the EOA's own key.
  assert.equal(await h.read(ep.account, eoa.address, 'rootSigner'), eoa.address);
  assert.equal(await h.read(ep.account, eoa.address, 'defaultValidator'), '0x0000000000000000000000000000000000000000');

  const recorder = await h.deploy('Recorder');
  const data = h.encodeFunctionData({ abi: h.artifact('Recorder').abi, functionName: 'record', args: [5n] });
  const r = await h.sudoOp(ep, eoa, eoa.address, h.execute(recorder, 0n, data));
  assert.equal(r.opEvents[0].args.success, true);
  assert.equal(await h.read('Recorder', recorder, 'lastCaller'), eoa.address);

  // Another key cannot sign for it.
  const stranger = h.newKey();
  const op = h.userOp({ sender: eoa.address, nonce: await h.getNonce(ep, eoa.address), callData: h.execute(recorder, 0n, data) });
  op.signature = await h.sudoSign(ep, stranger, op);
  assert.match(await h.handleOpsError(ep, [op]), /AA24/);

  // ERC-1271 with the root key, in the account's EIP-712 domain.
  const hash = keccak256(toHex('7702'));
  const digest = hashTypedData({ domain: h.eip712Domain(eoa.address), types: { AccountMessage: [{ name: 'hash', type: 'bytes32' }] }, primaryType: 'AccountMessage', message: { hash } });
  const sig = await eoa.sign({ hash: digest });
  assert.equal(await h.read(ep.account, eoa.address, 'isValidSignature', [hash, h.concatHex(['0x00', sig])]), '0x1626ba7e');

  // Nobody else can initialise (take over) the delegated EOA.
  for (const takeover of [h.initData(ep, addressOf('ECDSAValidator'), stranger.address), h.initData(ep, '0x0000000000000000000000000000000000000000', stranger.address)]) {
    await assert.rejects(pub.call({ to: eoa.address, data: takeover, account: h.dev.address }), /revert/i);
  }
  // The EOA itself can choose a default validator, through its own user operation.
  const next = h.newKey();
  await h.sudoOp(ep, eoa, eoa.address, h.initData(ep, addressOf('ECDSAValidator'), next.address));
  assert.equal(await h.read(ep.account, eoa.address, 'defaultValidator'), addressOf('ECDSAValidator'));
  const after = await h.sudoOp(ep, next, eoa.address, h.execute(recorder, 0n, data));
  assert.equal(after.opEvents[0].args.success, true);
});
