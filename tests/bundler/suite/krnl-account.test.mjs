// The account side of KRNL (issue 12, notes/issue12_spec.md) through viem's bundler client, unchanged, on
// both EntryPoints: an account routes `execute` to the KrnlValidator predeploy (one sudo op: setExecution,
// registry.registerApp(self, validator, kernels), vault deposit); its plugin-mode ops get the kernels run
// and the attestation appended by the node at eth_sendUserOperation, and the fees move in the vault at
// execution. A policy refusal is -32500 with the reason and the responses; a deposit too small for the
// fees is refused at submission; every attack of the item 6, sent already attested (a validator
// part longer than 65 bytes is only validated), is refused with the validator's error named; an
// EIP-7702 EOA delegated to AccountV08 takes the same path. Needs the bundler and the engine
// (node_fee 100, the dev operator as signer) and a contract build with the KrnlValidator predeploy.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeAbiParameters, getAddress, parseEther, sliceHex, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { getUserOperationHash, toPackedUserOperation } from 'viem/account-abstraction';
import { KRNL_ACCOUNT, krnlAccountAbi, toKrnlAccount } from '../lib/krnl-account.mjs';
import {
  EXECUTE_SELECTOR,
  accountCall,
  attestation,
  krnlPredeploys,
  krnlSignature,
  krnlValidatorAbi,
  krnlVaultAbi,
  requirement,
  setupCalls,
} from '../lib/krnl-validator.mjs';
import { ENTRY_POINTS, clientsFor, devAccount, fund, predeploys, root, rpc, startDevNode } from '../lib/node.mjs';
import { E, assertOk, assertRpcError, debug, deploy, sendOp, waitForOpReceipt } from '../lib/scenario.mjs';
import { buildUserOp } from '../lib/userop.mjs';

const NODE_FEE = 100n;
const KERNEL_FEE = 1_000n;
const FEES = KERNEL_FEE + NODE_FEE;
const VALUE_LIMIT = 1_000n; // KrnlAccountPolicy refuses execute(..., value > this, ...)
const OPERATOR = devAccount(0); // engine.dev_key = 0: the node's signer
const ENGINE_TOML = `[engine]
home_chain = 31337
dev_key = 0
peers = []
node_fee = ${NODE_FEE}
http_allowed_hosts = ["127.0.0.1:*"]
`;

let node;
let clients;
let krnl; // tests/krnl/lib/krnl.mjs, bound to this file's node
let kernel; // double($args[1]): twice the value of execute(target, value, data)
let policy;
let contracts; // {validator, registry, vault}

before(async () => {
  node = await startDevNode({ extra: ENGINE_TOML });
  clients = clientsFor(node.chains[0]);
  // The krnl suite's helpers read their chains and contract build from the environment when loaded.
  process.env.KRNL_TEST_HOME_URL = node.chains[0].url;
  process.env.KRNL_TEST_OTHER_URL = node.chains[1].url;
  process.env.KRNL_TEST_CONTRACTS_OUT ??= process.env.KRNL_PREDEPLOYS ? dirname(process.env.KRNL_PREDEPLOYS) : `${root}/build/contracts`;
  krnl = await import('../../krnl/lib/krnl.mjs');
  contracts = krnlPredeploys();
  kernel = await krnl.registerKernel(krnl.computeSpec('double(uint256)', ['$args[1]']), { fee: KERNEL_FEE });
  policy = await deploy(clients, 'KrnlAccountPolicy', [VALUE_LIMIT]);
});
after(async () => node?.stop());

const read = (address, abi, functionName, args) => clients.publicClient.readContract({ address, abi, functionName, args });
const depositOf = (app) => read(contracts.vault, krnlVaultAbi, 'depositOf', [app]);
const kernelsOf = () => [{ id: kernel, inputs: [], required: true }];
const config = (extra = {}) => ({ signers: [OPERATOR.address], threshold: 1n, policy, requirements: [requirement({ kernels: kernelsOf() })], ...extra });
const freshAddress = () => privateKeyToAccount(generatePrivateKey()).address;

/** The error of a viem call with its JSON-RPC code, message and data (viem nests them in causes). */
function rpcErrorOf(e) {
  for (let c = e; c; c = c.cause) if (typeof c.code === 'number' && c.code < -32000) return { code: c.code, message: `${c.details ?? ''} ${c.message}`, data: c.data };
  return { code: undefined, message: e.message };
}

/** The op's user-op hash as viem and the EntryPoint compute it. */
const opHash = (op, version) =>
  getUserOperationHash({ userOperation: op, entryPointAddress: ENTRY_POINTS[version], entryPointVersion: version, chainId: clients.chain.id });

/**
 * A funded account of a fresh owner set up for KRNL with one sudo op through the bundler client.
 * Returns {owner, sudo, account (KRNL plugin mode), bundler (for `account`)}.
 */
async function krnlAccount(version, { deposit = parseEther('0.01'), configExtra } = {}) {
  const owner = privateKeyToAccount(generatePrivateKey());
  const sudo = await toKrnlAccount({ client: clients.publicClient, owner, entryPointVersion: version });
  await fund(clients, sudo.address, parseEther('1'));
  const sudoBundler = clients.bundlerClient({ account: sudo });
  const hash = await sudoBundler.sendUserOperation({ calls: setupCalls({ account: sudo.address, kernelIds: [kernel], deposit, config: config({ owner: owner.address, ...configExtra }) }) });
  const receipt = await sudoBundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
  assert.equal(receipt.success, true, 'the setup op executed');
  const account = await toKrnlAccount({ client: clients.publicClient, owner, entryPointVersion: version, address: sudo.address, krnl: { executeUserOp: true } });
  return { owner, sudo, account, bundler: clients.bundlerClient({ account }) };
}

for (const version of ['0.7', '0.8']) {
  describe(`KRNL-validated account ops, EntryPoint v${version}`, () => {
    let owner;
    let account;
    let bundler;
    let minedOp; // the control op of the attacks, mined (its attestation is replayed)

    before(async () => {
      ({ owner, account, bundler } = await krnlAccount(version));
    });

    test('setup (one sudo op): execute routed to the KrnlValidator, the account its own app, deposit in the vault', async () => {
      const [, validator] = await read(account.address, krnlAccountAbi, 'executionOf', [EXECUTE_SELECTOR]);
      assert.equal(getAddress(validator), getAddress(contracts.validator));
      assert.equal(await read(contracts.validator, krnlValidatorAbi, 'servesApp', [account.address]), true);
      assert.equal(await read(contracts.validator, krnlValidatorAbi, 'thresholdFor', [account.address]), 1n);
      assert.equal(await read(contracts.validator, krnlValidatorAbi, 'isSignerFor', [account.address, OPERATOR.address]), true);
      assert.equal(getAddress(await read(contracts.validator, krnlValidatorAbi, 'ownerOf', [account.address])), owner.address);
      assert.equal(getAddress(await read(contracts.validator, krnlValidatorAbi, 'policyFor', [account.address])), getAddress(policy));
      assert.equal(await read(contracts.validator, krnlValidatorAbi, 'requirementOf', [account.address, EXECUTE_SELECTOR]), requirement({ kernels: kernelsOf() }));
      assert.equal(await depositOf(account.address), parseEther('0.01'));
    });

    // Every gas field given: viem skips estimation, the node attests at eth_sendUserOperation only.
    const GAS = { callGasLimit: 400_000n, verificationGasLimit: 400_000n, preVerificationGas: 120_000n };

    test('an op the kernels and policy pass (gas given): attested by the node, mined, fees moved in the vault', async () => {
      const recipient = freshAddress();
      const depositBefore = await depositOf(account.address);
      const kernelOwnerBefore = await read(contracts.vault, krnlVaultAbi, 'balanceOf', [krnl.KERNEL_OWNER.address]);
      const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 5n }], ...GAS });
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(getAddress(receipt.sender), account.address);
      assert.equal(await clients.publicClient.getBalance({ address: recipient }), 5n);
      assert.equal(depositBefore - (await depositOf(account.address)), FEES, 'kernel fee + node fee taken from the deposit');
      assert.equal((await read(contracts.vault, krnlVaultAbi, 'balanceOf', [krnl.KERNEL_OWNER.address])) - kernelOwnerBefore, KERNEL_FEE);

      // The pooled op carries mode 1 | the owner's 65 bytes | the attestation the node appended.
      const { userOperation } = await bundler.getUserOperation({ hash });
      assert.equal(sliceHex(userOperation.signature, 0, 4), '0x00000001');
      assert.ok((userOperation.signature.length - 2) / 2 > 4 + 65, 'the node appended an attestation');
      const [, nonce, , kernelIds, kernelFees, nodeFee] = decodeAbiParameters(
        [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint64' }, { type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }, { type: 'bytes' }],
        sliceHex(userOperation.signature, 4 + 65),
      );
      assert.equal(nonce, userOperation.nonce, 'the attestation nonce is the op\'s EntryPoint nonce');
      assert.deepEqual(kernelIds, [kernel]);
      assert.deepEqual(kernelFees, [KERNEL_FEE]);
      assert.equal(nodeFee, NODE_FEE);
    });

    test('the same with viem estimating the gas (stub signature): estimated, attested, mined', async () => {
      const recipient = freshAddress();
      const depositBefore = await depositOf(account.address);
      const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 5n }] });
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(await clients.publicClient.getBalance({ address: recipient }), 5n);
      assert.equal(depositBefore - (await depositOf(account.address)), FEES);
    });

    test('a policy refusal: -32500 with the policy\'s reason and the kernel responses in data', async () => {
      const before = await depositOf(account.address);
      let error;
      await assert.rejects(bundler.sendUserOperation({ calls: [{ to: freshAddress(), value: VALUE_LIMIT + 1n }] }), (e) => ((error = rpcErrorOf(e)), true));
      assert.equal(error.code, E.rejectedByEpOrAccount, error.message);
      assert.match(error.message, /account policy: value above the limit/);
      assert.equal(error.data?.reason, 'account policy: value above the limit', JSON.stringify(error.data));
      assert.equal(error.data.responses.length, 1);
      assert.equal(BigInt(error.data.responses[0].kernelId), kernel);
      assert.equal(error.data.responses[0].err, '');
      assert.deepEqual(decodeAbiParameters([{ type: 'uint256' }], error.data.responses[0].result), [2n * (VALUE_LIMIT + 1n)]);
      assert.equal(await depositOf(account.address), before, 'nothing charged');
    });

    test('a deposit too low for the fees: refused at submission naming needed and available', async () => {
      const poor = await krnlAccount(version, { deposit: FEES - 1n });
      let error;
      await assert.rejects(poor.bundler.sendUserOperation({ calls: [{ to: freshAddress(), value: 1n }] }), (e) => ((error = rpcErrorOf(e)), true));
      assert.equal(error.code, E.rejectedByEpOrAccount, error.message);
      assert.match(error.message, /deposit/i);
      assert.match(error.message, new RegExp(`\\b${FEES}\\b`), `names the fees needed (${FEES})`);
      assert.match(error.message, new RegExp(`\\b${FEES - 1n}\\b`), `names the deposit available (${FEES - 1n})`);
    });

    describe('attacks, each already attested (the node only validates): refused with the error named', () => {
      // An op of the account with fixed gas, its hash, and an owner signature of it.
      async function op({ value = 5n } = {}) {
        const o = await buildUserOp({ account, publicClient: clients.publicClient, calls: [{ to: freshAddress(), value }] });
        const hash = opHash(o, version);
        return { op: o, hash, ownerSig: await owner.signMessage({ message: { raw: hash } }) };
      }
      const genuine = (o, hash, extra = {}) =>
        attestation({
          chainId: clients.chain.id,
          app: account.address,
          callData: o.callData,
          nonce: o.nonce,
          expiry: BigInt(Math.floor(Date.now() / 1000) + 600),
          responses: [{ kernelId: kernel, result: `0x${(10n).toString(16).padStart(64, '0')}`, err: '' }],
          kernelIds: [kernel],
          kernelFees: [KERNEL_FEE],
          nodeFee: NODE_FEE,
          signers: [OPERATOR],
          ...extra,
        });
      const refused = async (o, signature, ...names) => {
        const res = await sendOp(node.url, { ...o, signature }, ENTRY_POINTS[version]);
        return assertRpcError(res, [E.rejectedByEpOrAccount, E.timeRange, E.invalidSignature], ...names);
      };
      // The validator's own verdict, called as the account calls it (eth_call from the account): the named
      // error, so a refusal above that lacks the name is the node's message, not the contract.
      const validatorReverts = async (o, signature, name) => {
        await assert.rejects(
          clients.publicClient.simulateContract({
            account: account.address,
            address: contracts.validator,
            abi: krnlValidatorAbi,
            functionName: 'validateUserOp',
            args: [toPackedUserOperation({ ...o, signature }), opHash(o, version), 4n],
          }),
          (e) => {
            let c = e;
            while (c && !c.data?.errorName) c = c.cause;
            assert.equal(c?.data?.errorName, name, e.shortMessage ?? e.message);
            return true;
          },
        );
      };

      test('control: a hand-made genuine attestation is accepted (so the refusals below are the attacks\')', async () => {
        const { op: o, hash, ownerSig } = await op();
        const sent = assertOk(await sendOp(node.url, { ...o, signature: krnlSignature(ownerSig, await genuine(o, hash)) }, ENTRY_POINTS[version]));
        assert.equal(sent, hash);
        assert.equal((await waitForOpReceipt(node.url, hash)).success, true);
        minedOp = (await clients.bundlerClient().getUserOperation({ hash })).userOperation;
      });

      test('replayed attestation (the mined op\'s, on the next op): AttestationForOtherOperation', async () => {
        assert.ok(minedOp, 'needs the mined control op');
        const { op: o, ownerSig } = await op();
        const sig = krnlSignature(ownerSig, sliceHex(minedOp.signature, 4 + 65));
        await validatorReverts(o, sig, 'AttestationForOtherOperation');
        await refused(o, sig, 'AttestationForOtherOperation');
      });

      test('made for another account: UntrustedSigner', async () => {
        const { op: o, hash, ownerSig } = await op();
        const other = freshAddress();
        const sig = krnlSignature(ownerSig, await genuine(o, hash, { app: other, sender: other }));
        await validatorReverts(o, sig, 'UntrustedSigner');
        await refused(o, sig, 'UntrustedSigner');
      });

      test('made for another selector: UntrustedSigner', async () => {
        const { op: o, hash, ownerSig } = await op();
        const batch = await account.encodeCalls([{ to: freshAddress(), value: 5n }, { to: freshAddress(), value: 5n }]);
        assert.notEqual(sliceHex(accountCall(batch), 0, 4), EXECUTE_SELECTOR);
        const sig = krnlSignature(ownerSig, await genuine(o, hash, { callData: batch }));
        await validatorReverts(o, sig, 'UntrustedSigner');
        await refused(o, sig, 'UntrustedSigner');
      });

      test('made for other call data (another value): UntrustedSigner', async () => {
        const { op: o, hash, ownerSig } = await op({ value: 5n });
        const { op: other } = await op({ value: 6n });
        const sig = krnlSignature(ownerSig, await genuine(o, hash, { callData: other.callData }));
        await validatorReverts(o, sig, 'UntrustedSigner');
        await refused(o, sig, 'UntrustedSigner');
      });

      test('call data changed after attesting (owner re-signs): UntrustedSigner', async () => {
        const { op: o, hash } = await op({ value: 5n });
        const attested = await genuine(o, hash);
        const { op: changed, hash: changedHash } = await op({ value: 7n });
        assert.notEqual(changedHash, hash);
        const ownerSig = await owner.signMessage({ message: { raw: changedHash } });
        const sig = krnlSignature(ownerSig, attested);
        await validatorReverts(changed, sig, 'UntrustedSigner');
        await refused(changed, sig, 'UntrustedSigner');
      });

      test('expired: refused as expired (validUntil = expiry, in the past)', async () => {
        const { op: o, hash, ownerSig } = await op();
        const expiry = BigInt(Math.floor(Date.now() / 1000) - 60);
        await refused(o, krnlSignature(ownerSig, await genuine(o, hash, { expiry })), /expire/i);
      });

      test('fewer than k signatures (none, k = 1): NotEnoughSignatures', async () => {
        const { op: o, hash, ownerSig } = await op();
        const sig = krnlSignature(ownerSig, await genuine(o, hash, { signers: [] }));
        await validatorReverts(o, sig, 'NotEnoughSignatures');
        await refused(o, sig, 'NotEnoughSignatures');
      });

      test('signed by an untrusted key: UntrustedSigner', async () => {
        const { op: o, hash, ownerSig } = await op();
        const sig = krnlSignature(ownerSig, await genuine(o, hash, { signers: [devAccount(5)] }));
        await validatorReverts(o, sig, 'UntrustedSigner');
        await refused(o, sig, 'UntrustedSigner');
      });

      test('owner signature missing (validator part shorter than 65 bytes): OwnerSignatureMissing', async () => {
        const { op: o } = await op();
        const sig = krnlSignature(`0x${'11'.repeat(20)}`);
        await validatorReverts(o, sig, 'OwnerSignatureMissing');
        await refused(o, sig, 'OwnerSignatureMissing');
      });

      test('owner signature of another key, attestation genuine: refused as a signature error (AA24, -32507)', async () => {
        const { op: o, hash } = await op();
        const stranger = privateKeyToAccount(generatePrivateKey());
        const sig = await stranger.signMessage({ message: { raw: hash } });
        const error = await refused(o, krnlSignature(sig, await genuine(o, hash)), /AA24|signature/i);
        if (error.code !== E.invalidSignature) assert.match(error.message, /AA24/);
      });
    });
  });
}

describe('EIP-7702: an EOA delegated to AccountV08 takes the same path (its own key is the owner)', () => {
  const version = '0.8';
  test('setup op with the delegation, then a KRNL-validated op through the bundler client', async () => {
    const eoa = privateKeyToAccount(generatePrivateKey());
    await fund(clients, eoa.address, parseEther('1'));
    const sudo = await toKrnlAccount({ client: clients.publicClient, owner: eoa, entryPointVersion: version, address: eoa.address });
    const authorization = await eoa.signAuthorization({ address: KRNL_ACCOUNT[version].implementation, chainId: clients.chain.id, nonce: 0 });
    const setup = await buildUserOp({
      account: sudo,
      publicClient: clients.publicClient,
      // owner 0: the account itself signs, i.e. the EOA's key.
      calls: setupCalls({ account: eoa.address, kernelIds: [kernel], deposit: parseEther('0.01'), config: config({ owner: zeroAddress }) }),
      overrides: { factory: '0x7702', factoryData: '0x', authorization, callGasLimit: 2_000_000n },
    });
    setup.signature = await sudo.signUserOperation(setup);
    const setupHash = assertOk(await sendOp(node.url, setup, ENTRY_POINTS[version]), 'the setup op');
    assert.equal((await waitForOpReceipt(node.url, setupHash)).success, true);
    assert.equal(await read(contracts.validator, krnlValidatorAbi, 'ownerOf', [eoa.address]), zeroAddress);

    const account = await toKrnlAccount({ client: clients.publicClient, owner: eoa, entryPointVersion: version, address: eoa.address, krnl: { executeUserOp: true } });
    const bundler = clients.bundlerClient({ account });
    const recipient = freshAddress();
    const before = await depositOf(eoa.address);
    // Gas given: estimation is covered above; this is the 7702 path itself.
    const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 9n }], callGasLimit: 400_000n, verificationGasLimit: 400_000n, preVerificationGas: 120_000n });
    const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
    assert.equal(receipt.success, true);
    assert.equal(await clients.publicClient.getBalance({ address: recipient }), 9n);
    assert.equal(before - (await depositOf(eoa.address)), FEES);

    // The policy refuses the EOA as it refuses any account.
    let error;
    await assert.rejects(bundler.sendUserOperation({ calls: [{ to: recipient, value: VALUE_LIMIT + 1n }] }), (e) => ((error = rpcErrorOf(e)), true));
    assert.equal(error.code, E.rejectedByEpOrAccount, error.message);
    assert.match(error.message, /account policy: value above the limit/);
  });
});

// Last in the file: it moves the chain's clock forward.
describe('an attestation about to expire is renewed before its op is bundled', () => {
  const expiryOf = (signature) =>
    decodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint64' }, { type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }, { type: 'bytes' }],
      sliceHex(signature, 4 + 65),
    )[2];

  test('manual mode: the op waits until 10 s before its attestation expires, then is bundled with a fresh one', async () => {
    const { bundler } = await krnlAccount('0.8');
    assertOk(await debug.setBundlingMode(node.url, 'manual'));
    try {
      const recipient = freshAddress();
      const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 3n }], callGasLimit: 400_000n, verificationGasLimit: 400_000n, preVerificationGas: 120_000n });
      const pooled = (await bundler.getUserOperation({ hash })).userOperation;
      const expiry = expiryOf(pooled.signature);
      const { timestamp } = await clients.publicClient.getBlock();
      // Inside the bundler's 30 s margin, not yet expired.
      assertOk(await rpc(node.url, 'evm_increaseTime', [Number(expiry - timestamp) - 10]));
      assertOk(await rpc(node.url, 'evm_mine', []));
      assertOk(await debug.sendBundleNow(node.url));
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(await clients.publicClient.getBalance({ address: recipient }), 3n);
      const mined = (await bundler.getUserOperation({ hash })).userOperation;
      assert.ok(expiryOf(mined.signature) > expiry, `the mined op carries a renewed attestation (${expiryOf(mined.signature)} > ${expiry})`);
      assert.equal(sliceHex(mined.signature, 0, 4 + 65), sliceHex(pooled.signature, 0, 4 + 65), 'the owner\'s part is the wallet\'s');
    } finally {
      await debug.setBundlingMode(node.url, 'auto');
    }
  });
});

test('predeploys: the build names the KrnlValidator', () => {
  assert.ok(predeploys().KrnlValidator, 'predeploys.json has KrnlValidator');
});
