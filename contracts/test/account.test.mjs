// The account's core: creation through the factory, sudo mode, execution, ERC-1271, ERC-165,
// receivers, upgrades and initialisation, through EntryPoint.handleOps for both EntryPoint versions.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, toHex, zeroAddress } from 'viem';
import * as h from './lib/harness.mjs';

const { EP, addressOf, artifact, pub } = h;
const ECDSA = addressOf('ECDSAValidator');

before(async () => {
  await h.ensurePredeploys();
});

for (const [version, ep] of Object.entries(EP)) {
  describe(`account (${version})`, () => {
    const owner = h.newKey();
    let account;
    let recorder;

    before(async () => {
      recorder = await h.deploy('Recorder');
    });

    test('factory: counterfactual address, creation in the first user operation, salt binds init data', async () => {
      const predicted = await h.counterfactual(ep, owner.address, 0n);
      assert.equal(await pub.getCode({ address: predicted }), undefined);
      // Another owner, or another index, is another address; so is another root for the same owner.
      assert.notEqual(await h.counterfactual(ep, h.newKey().address, 0n), predicted);
      assert.notEqual(await h.counterfactual(ep, owner.address, 1n), predicted);
      assert.notEqual(await h.counterfactual(ep, { validator: ECDSA, data: owner.address }, 0n), predicted);
      assert.notEqual(await h.counterfactual(ep, { validator: zeroAddress, data: owner.address }, 0n), predicted);
      account = await h.createEcdsaAccount(ep, owner);
      assert.equal(account, predicted);
      // The built-in ECDSA root: the signer lives in the account, no validator contract is involved.
      assert.equal(await h.read(ep.account, account, 'defaultValidator'), zeroAddress);
      assert.equal(await h.read(ep.account, account, 'rootSigner'), owner.address);
      assert.equal(await h.read('ECDSAValidator', ECDSA, 'ownerOf', [account]), zeroAddress);
      // The deployed code is the 83-byte AccountProxy with the implementation in its code; creation wrote
      // no ERC-1967 slot (it reads 0 until the first upgrade, see the UUPS test) and the account reports
      // the implementation it runs.
      const code = await pub.getCode({ address: account });
      assert.equal((code.length - 2) / 2, 83);
      assert.ok(code.toLowerCase().includes(addressOf(ep.account).slice(2).toLowerCase()));
      const slot = await pub.getStorageAt({ address: account, slot: '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc' });
      assert.equal(BigInt(slot ?? '0x0'), 0n);
      assert.equal(await h.read(ep.account, account, 'implementation'), addressOf(ep.account));
    });

    test('factory only deploys initialised accounts with a valid root; createAccount is idempotent', async () => {
      // The factory builds the initialize call itself: no other call can ride along, and a root the
      // account refuses (a zero signer, a signer that is not 20 bytes, a zero validator) deploys nothing.
      const factory = artifact('AccountFactory').abi;
      const call = (functionName, args) => pub.call({ to: ep.factoryAddress, data: h.encodeFunctionData({ abi: factory, functionName, args }), account: h.dev.address });
      await assert.rejects(call('createAccount', [zeroAddress, 0n]), /revert/i);
      await assert.rejects(call('createAccountWithValidator', [zeroAddress, '0x', 0n]), /revert/i);
      await assert.rejects(call('createAccountWithValidator', [zeroAddress, h.concatHex([owner.address, '0x00']), 0n]), /revert/i);
      await assert.rejects(call('createAccountWithValidator', [zeroAddress, zeroAddress, 0n]), /revert/i);
      // The general form with the built-in root works too, at its own address.
      const viaGeneral = await call('createAccountWithValidator', [zeroAddress, owner.address, 0n]);
      assert.equal(h.getAddress(`0x${viaGeneral.data.slice(26)}`), await h.counterfactual(ep, { validator: zeroAddress, data: owner.address }, 0n));
      const r = await call('createAccount', [owner.address, 0n]);
      assert.equal(h.getAddress(`0x${r.data.slice(26)}`), account);
      // Sent for real on the deployed address: nothing changes (no re-initialisation, no revert).
      await h.send(ep.factoryAddress, h.encodeFunctionData({ abi: factory, functionName: 'createAccount', args: [owner.address, 0n] }));
      assert.equal(await h.read(ep.account, account, 'rootSigner'), owner.address);
    });

    test('sudo execute: native transfer and a call with value', async () => {
      const to = h.newKey().address;
      const { opEvents } = await h.sudoOp(ep, owner, account, h.execute(to, 12345n));
      assert.equal(opEvents.length, 1);
      assert.equal(opEvents[0].args.success, true);
      assert.equal(await pub.getBalance({ address: to }), 12345n);
      const data = h.encodeFunctionData({ abi: artifact('Recorder').abi, functionName: 'record', args: [7n] });
      await h.sudoOp(ep, owner, account, h.execute(recorder, 5n, data));
      assert.equal(await h.read('Recorder', recorder, 'lastCaller'), account);
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 7n);
      assert.equal(await h.read('Recorder', recorder, 'lastValue'), 5n);
    });

    test('executeBatch runs every call in order', async () => {
      const a = h.newKey().address;
      const data = h.encodeFunctionData({ abi: artifact('Recorder').abi, functionName: 'record', args: [99n] });
      const calls = [
        { target: a, value: 1n, data: '0x' },
        { target: recorder, value: 0n, data },
      ];
      const before_ = await h.read('Recorder', recorder, 'calls');
      await h.sudoOp(ep, owner, account, h.callData('executeBatch', [calls]));
      assert.equal(await pub.getBalance({ address: a }), 1n);
      assert.equal(await h.read('Recorder', recorder, 'calls'), before_ + 1n);
      assert.equal(await h.read('Recorder', recorder, 'lastArg'), 99n);
    });

    test('a failing inner call fails the operation, not the bundle', async () => {
      const data = h.encodeFunctionData({ abi: artifact('Recorder').abi, functionName: 'record', args: [1n] });
      // value above the balance: the call reverts
      const { opEvents } = await h.sudoOp(ep, owner, account, h.execute(recorder, h.parseEther('1000'), data));
      assert.equal(opEvents[0].args.success, false);
    });

    test('AA24 for a wrong signer, a malformed signature, an unknown mode', async () => {
      const stranger = h.newKey();
      const op = h.userOp({ sender: account, nonce: await h.getNonce(ep, account), callData: h.execute(recorder, 0n) });
      op.signature = await h.sudoSign(ep, stranger, op);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
      op.signature = h.concatHex([h.MODE.sudo, '0x1234']);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
      op.signature = '0x0000';
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
      const good = await h.sudoSign(ep, owner, op);
      op.signature = h.concatHex(['0x00000007', `0x${good.slice(10)}`]);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
    });

    test('AA25 for a wrong nonce', async () => {
      const nonce = await h.getNonce(ep, account);
      const op = h.userOp({ sender: account, nonce: nonce + 1n, callData: h.execute(recorder, 0n) });
      op.signature = await h.sudoSign(ep, owner, op);
      assert.match(await h.handleOpsError(ep, [op]), /AA25/);
    });

    test('only the EntryPoint (or the account itself) may execute or validate', async () => {
      for (const fn of [
        h.execute(h.dev.address, 0n),
        h.callData('executeBatch', [[]]),
        h.callData('setDisabledFlags', [0]),
        h.callData('executeDelegateCall', [recorder, '0x']),
      ]) {
        await assert.rejects(pub.call({ to: account, data: fn, account: h.dev.address }), /revert/i);
      }
      const op = h.userOp({ sender: account });
      const v = h.callData('validateUserOp', [op, keccak256('0x01'), 0n]);
      await assert.rejects(pub.call({ to: account, data: v, account: h.dev.address }), /revert/i);
    });

    test('initialisation happens once, and never on the implementation', async () => {
      for (const init of [h.initData(ep, ECDSA, h.dev.address), h.initData(ep, zeroAddress, h.dev.address)]) {
        await assert.rejects(pub.call({ to: account, data: init, account: h.dev.address }), /revert/i);
        // Not even by the account itself, through a sudo operation.
        const op = await h.sudoOp(ep, owner, account, init);
        assert.equal(op.opEvents[0].args.success, false);
        await assert.rejects(pub.call({ to: addressOf(ep.account), data: init, account: h.dev.address }), /revert/i);
      }
      assert.equal(await h.read(ep.account, account, 'rootSigner'), owner.address);
    });

    test('receive, ERC-721 and ERC-1155 receivers, ERC-165', async () => {
      await h.send(account, '0x', 77n);
      const nft = await h.deploy('TestNFT');
      await h.write('TestNFT', nft, 'safeMint', [account, 1n]);
      assert.equal(await h.read('TestNFT', nft, 'ownerOf', [1n]), account);
      const mt = await h.deploy('TestMultiToken');
      await h.write('TestMultiToken', mt, 'mint', [account, 3n, 10n]);
      assert.equal(await h.read('TestMultiToken', mt, 'balanceOf', [account, 3n]), 10n);
      for (const id of ['0x01ffc9a7', '0x1626ba7e', '0x150b7a02', '0x4e2312e0', '0x19822f7c']) {
        assert.equal(await h.read(ep.account, account, 'supportsInterface', [id]), true, id);
      }
      assert.equal(await h.read(ep.account, account, 'supportsInterface', ['0xffffffff']), false);
    });

    test('ERC-1271: EIP-712 wrapped, valid for this account only (not for another account of the same owner)', async () => {
      const other = await h.createEcdsaAccount(ep, owner, { index: 5n });
      const hash = keccak256(toHex('hello'));
      const sig = await owner.signTypedData({
        domain: h.eip712Domain(account),
        types: { AccountMessage: [{ name: 'hash', type: 'bytes32' }] },
        primaryType: 'AccountMessage',
        message: { hash },
      });
      const prefixed = h.concatHex(['0x00', sig]);
      assert.equal(await h.read(ep.account, account, 'isValidSignature', [hash, prefixed]), '0x1626ba7e');
      assert.equal(await h.read(ep.account, other, 'isValidSignature', [hash, prefixed]), '0xffffffff');
      // The raw hash signed directly (what a v2 account accepted) is not valid.
      const raw = await owner.sign({ hash });
      assert.equal(await h.read(ep.account, account, 'isValidSignature', [hash, h.concatHex(['0x00', raw])]), '0xffffffff');
      // Prefix 0x01 + a validator not allowed for signing.
      assert.equal(await h.read(ep.account, account, 'isValidSignature', [hash, h.concatHex(['0x01', ECDSA, sig])]), '0xffffffff');
      assert.equal(await h.read(ep.account, account, 'isValidSignature', [hash, '0x']), '0xffffffff');
    });

    test('executeDelegateCall runs in the account and can be switched off by flag', async () => {
      const target = await h.deploy('DelegateTarget');
      const mark = h.encodeFunctionData({ abi: artifact('DelegateTarget').abi, functionName: 'mark', args: [42n] });
      await h.sudoOp(ep, owner, account, h.callData('executeDelegateCall', [target, mark]));
      assert.equal(BigInt(await pub.getStorageAt({ address: account, slot: '0x6d61726b' })), 42n);
      await h.sudoOp(ep, owner, account, h.callData('setDisabledFlags', [1 << 8]));
      assert.equal(await h.read(ep.account, account, 'disabledFlags'), 256);
      const mark2 = h.encodeFunctionData({ abi: artifact('DelegateTarget').abi, functionName: 'mark', args: [43n] });
      const { opEvents } = await h.sudoOp(ep, owner, account, h.callData('executeDelegateCall', [target, mark2]));
      assert.equal(opEvents[0].args.success, false);
      assert.equal(BigInt(await pub.getStorageAt({ address: account, slot: '0x6d61726b' })), 42n);
      await h.sudoOp(ep, owner, account, h.callData('setDisabledFlags', [0]));
    });

    test('a selector with no executor reverts instead of succeeding silently', async () => {
      const unknown = '0xdeadbeef';
      const { opEvents } = await h.sudoOp(ep, owner, account, unknown);
      assert.equal(opEvents[0].args.success, false);
      // Directly from the EntryPoint's address too (eth_call impersonation).
      await assert.rejects(pub.call({ to: account, data: unknown, account: ep.address }), /revert/i);
    });

    test('disabled sudo mode fails validation with AA24 (modes are a bitmask)', async () => {
      const acct = await h.createEcdsaAccount(ep, owner, { index: 9n });
      await h.sudoOp(ep, owner, acct, h.callData('setDisabledFlags', [1]));
      const op = h.userOp({ sender: acct, nonce: await h.getNonce(ep, acct), callData: h.execute(recorder, 0n) });
      op.signature = await h.sudoSign(ep, owner, op);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
    });

    test('UUPS upgrade: only through the account, ERC-1822 checked', async () => {
      const acct = await h.createEcdsaAccount(ep, owner, { index: 10n });
      const notUups = await h.deploy('NotUUPS');
      const bad = await h.sudoOp(ep, owner, acct, h.callData('upgradeToAndCall', [notUups, '0x']));
      assert.equal(bad.opEvents[0].args.success, false);
      // Upgrading to a fresh copy of the implementation works.
      const impl = await h.deploy(ep.account, [ep.address]);
      const good = await h.sudoOp(ep, owner, acct, h.callData('upgradeToAndCall', [impl, '0x']));
      assert.equal(good.opEvents[0].args.success, true);
      const slot = await pub.getStorageAt({ address: acct, slot: '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc' });
      assert.equal(h.getAddress(`0x${slot.slice(26)}`), impl);
      assert.equal(await h.read(ep.account, acct, 'implementation'), impl);
      // And the account still works after the upgrade.
      const r = await h.sudoOp(ep, owner, acct, h.execute(recorder, 0n));
      assert.equal(r.opEvents[0].args.success, true);
      // Nobody else can upgrade.
      await assert.rejects(pub.call({ to: acct, data: h.callData('upgradeToAndCall', [impl, '0x']), account: h.dev.address }), /revert/i);
      // The proxy runs the slot's implementation once written, not the one in its code: an implementation
      // built for another entry point answers entryPoint() with that address.
      const other = await h.deploy(ep.account, [h.dev.address]);
      assert.equal((await h.sudoOp(ep, owner, acct, h.callData('upgradeToAndCall', [other, '0x']))).opEvents[0].args.success, true);
      assert.equal(await h.read(ep.account, acct, 'entryPoint'), h.dev.address);
      assert.equal(await h.read(ep.account, acct, 'implementation'), other);
    });

    test('the default validator is replaceable: the old key stops working', async () => {
      const acct = await h.createEcdsaAccount(ep, owner, { index: 11n });
      // Built-in root -> external ECDSA validator with another key.
      const next = h.newKey();
      await h.sudoOp(ep, owner, acct, h.callData('setDefaultValidator', [ECDSA, next.address]));
      assert.equal(await h.read(ep.account, acct, 'defaultValidator'), ECDSA);
      assert.equal(await h.read(ep.account, acct, 'rootSigner'), zeroAddress);
      const op = h.userOp({ sender: acct, nonce: await h.getNonce(ep, acct), callData: h.execute(recorder, 0n) });
      op.signature = await h.sudoSign(ep, owner, op);
      assert.match(await h.handleOpsError(ep, [op]), /AA24/);
      op.signature = await h.sudoSign(ep, next, op);
      const r = await h.handleOps(ep, [op]);
      assert.equal(r.opEvents[0].args.success, true);
      // External validator -> built-in root with a third key: the validator's key stops working.
      const third = h.newKey();
      await h.sudoOp(ep, next, acct, h.callData('setDefaultValidator', [zeroAddress, third.address]));
      assert.equal(await h.read(ep.account, acct, 'defaultValidator'), zeroAddress);
      assert.equal(await h.read(ep.account, acct, 'rootSigner'), third.address);
      const op2 = h.userOp({ sender: acct, nonce: await h.getNonce(ep, acct), callData: h.execute(recorder, 0n) });
      op2.signature = await h.sudoSign(ep, next, op2);
      assert.match(await h.handleOpsError(ep, [op2]), /AA24/);
      op2.signature = await h.sudoSign(ep, third, op2);
      assert.equal((await h.handleOps(ep, [op2])).opEvents[0].args.success, true);
      // A zero or malformed built-in signer is refused, and the reserved flag bit cannot be set.
      for (const bad of [h.callData('setDefaultValidator', [zeroAddress, zeroAddress]), h.callData('setDefaultValidator', [zeroAddress, '0x1234']), h.callData('setDisabledFlags', [2 ** 31])]) {
        assert.equal((await h.sudoOp(ep, third, acct, bad)).opEvents[0].args.success, false);
      }
      assert.equal(await h.read(ep.account, acct, 'rootSigner'), third.address);
      assert.equal(await h.read(ep.account, acct, 'disabledFlags'), 0);
    });
  });
}
