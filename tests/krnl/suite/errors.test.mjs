// Every error of krnl_executeKernels (and its siblings) over RPC: the exact code, and a message that says
// what is wrong and what to do about it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAbiParameters } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { NODE_FEE, OPERATOR, REGISTRY, VAULT, assertError, deploy, dev, hex, home, lower, read, rpc, rpcError, send, withSnapshot } from '../lib/env.mjs';
import {
  CODE,
  KERNEL_OWNER,
  assertAlive,
  assertKernelErr,
  assertKernelOk,
  computeSpec,
  createApp,
  deployPolicy,
  execute,
  executeOk,
  executeRequest,
  goodSetup,
  registerKernel,
} from '../lib/krnl.mjs';

let good; // { kernel, app }: compute double($args[0]), app with no policy
let boom; // compute kernel that reverts
let stranger; // a registered kernel no app of this file allows
let policyApp;

before(async () => {
  good = await goodSetup();
  boom = await registerKernel(computeSpec('boom(uint256)', ['$args[0]']));
  stranger = await registerKernel(computeSpec('double(uint256)', ['$args[1]']));
  const policy = await deployPolicy(10n);
  ({ app: policyApp } = await createApp({ kernelIds: [good.kernel, boom], policy }));
});

const fails = async (request, code, ...patterns) => {
  const reply = await execute(request);
  assert.ok(reply.error, `should fail with ${code}, got ${JSON.stringify(reply.result)?.slice(0, 300)}`);
  return assertError(reply.error, code, ...patterns);
};

test('-33000: an unknown kernel id names the id', async () => {
  const unknown = (await read(home, 'KernelRegistry', REGISTRY, 'kernelCount')) + 1000n;
  await fails(executeRequest(good.app, [good.kernel, unknown]), CODE.unknownKernel, new RegExp(`unknown kernel ${unknown}\\b`), /registry has no kernel with this id/);
  assertError(await rpcError('krnl_getKernel', [hex(unknown)]), CODE.unknownKernel, new RegExp(`unknown kernel ${unknown}\\b`));
  assertError(await rpcError('krnl_quote', [good.app, [hex(unknown)]]), CODE.unknownKernel, new RegExp(`unknown kernel ${unknown}\\b`));
});

test('-33001: a kernel the app does not allow names the kernel, the app and the fix', async () => {
  await fails(
    executeRequest(good.app, [good.kernel, stranger]),
    CODE.kernelNotAllowed,
    new RegExp(`kernel ${stranger} not allowed for app ${lower(good.app)}`),
    /KernelRegistry\.updateApp/,
  );
  assertError(await rpcError('krnl_quote', [good.app, [hex(stranger)]]), CODE.kernelNotAllowed, new RegExp(`kernel ${stranger} not allowed`));
});

test('-33002: a deposit below the fees gives what is needed and available, and how to fund it', async () => {
  const priced = await registerKernel(computeSpec('double(uint256)', ['$args[0]']), { fee: 1_000n });
  const { app } = await createApp({ kernelIds: [priced, good.kernel], deposit: 500n });
  const needed = 1_000n + NODE_FEE;
  const e = await fails(
    executeRequest(app, [priced, good.kernel]),
    CODE.depositTooLow,
    new RegExp(`deposit too low: needed ${needed}, available 500`),
    new RegExp(`KrnlVault\\.deposit\\(${lower(app)}\\)`),
  );
  assert.deepEqual(e.data, { needed: hex(needed), available: hex(500n) });
  // The quote still answers: it tells what to deposit.
  assert.equal((await rpc('krnl_quote', [app, [hex(priced)]])).total, hex(needed));
  // The node fee counts too: zero-fee kernels and no deposit.
  assert.ok(NODE_FEE > 0n, 'run.sh gives the node a fee');
  const { app: unfunded } = await createApp({ kernelIds: [good.kernel], deposit: 0n });
  const e2 = await fails(executeRequest(unfunded, [good.kernel]), CODE.depositTooLow, new RegExp(`needed ${NODE_FEE}, available 0`));
  assert.deepEqual(e2.data, { needed: hex(NODE_FEE), available: '0x0' });
  // With enough, the same request passes.
  await send(home, dev[1], 'KrnlVault', VAULT, 'deposit', [app], needed);
  await executeOk(executeRequest(app, [priced, good.kernel]));
});

test("-33003: the policy's refusal carries its reason and the kernel responses", async () => {
  const e = await fails(executeRequest(policyApp, [good.kernel], { a: 50n }), CODE.policyRefused, /^policy refused: test policy: a is above the limit, lower it$/);
  assert.equal(e.data.responses.length, 1);
  assertKernelOk(e.data.responses[0], good.kernel, ['uint256'], [100n]);
  // A policy that reverts: its revert reason.
  await fails(executeRequest(policyApp, [good.kernel], { a: 13n }), CODE.policyRefused, /policy refused/, /reverted/, /test policy: 13 is unlucky/);
  // A kernel failure the policy sees.
  await fails(executeRequest(policyApp, [good.kernel, boom], { a: 3n }), CODE.policyRefused, /a kernel failed: reverted: compute: boom, change the input/);
  // Within its rules the policy passes.
  const ok = await executeOk(executeRequest(policyApp, [good.kernel], { a: 10n }));
  assertKernelOk(ok.responses[0], good.kernel, ['uint256'], [20n]);
});

test('hostile policies: one that burns all its gas, one that returns no (bool, string), none at all: each refuses (-33003)', async () => {
  const looping = await deploy(home, dev[1], 'KrnlLoopingPolicy');
  const { app: loopApp } = await createApp({ kernelIds: [good.kernel], policy: looping });
  await fails(executeRequest(loopApp, [good.kernel]), CODE.policyRefused, new RegExp(`the policy ${lower(looping)} failed`), /out of gas/);
  const garbage = await deploy(home, dev[1], 'KrnlGarbagePolicy');
  const { app: garbageApp } = await createApp({ kernelIds: [good.kernel], policy: garbage });
  await fails(executeRequest(garbageApp, [good.kernel]), CODE.policyRefused, new RegExp(`the policy ${lower(garbage)} returned something other than \\(bool, string\\)`));
  const { app: eoaApp } = await createApp({ kernelIds: [good.kernel], policy: dev[7].address });
  await fails(executeRequest(eoaApp, [good.kernel]), CODE.policyRefused, new RegExp(`no contract at the policy address ${lower(dev[7].address)}`));
  await assertAlive();
});

test('-33004: a required kernel that fails stops the request, naming it, its position and its error', async () => {
  const { app } = await createApp({ kernelIds: [good.kernel, boom] });
  const e = await fails(
    executeRequest(app, [good.kernel, { id: boom, required: true }]),
    CODE.kernelFailed,
    new RegExp(`kernel ${boom} \\(position 1\\) is required and failed: reverted: compute: boom, change the input`),
  );
  assert.equal(e.data.responses.length, 2);
  assertKernelOk(e.data.responses[0], good.kernel, ['uint256'], [2n]);
  assertKernelErr(e.data.responses[1], boom, /compute: boom/);
  // Not required: the failure is an err in the signed responses.
  const r = await executeOk(executeRequest(app, [good.kernel, { id: boom, required: false }]));
  assertKernelErr(r.responses[1], boom, /^reverted: compute: boom, change the input$/);
});

test('-33005: an app without a token authority is not registered', async () => {
  const nobody = privateKeyToAccount(generatePrivateKey()).address;
  await fails(executeRequest(nobody, [good.kernel]), CODE.appNotRegistered, new RegExp(`app not registered: ${lower(nobody)}`), /registerApp/);
  assertError(await rpcError('krnl_quote', [nobody, [hex(good.kernel)]]), CODE.appNotRegistered, /app not registered/);
});

test('-33006: bad requests name the field and what it must be', async (t) => {
  const base = () => executeRequest(good.app, [good.kernel]);
  const cases = [
    ['a chainId that is not the home chain', (r) => (r.chainId = hex(31338)), /chainId 31338 is not this node's home chain 31337/],
    ['a chainId as a JSON number, not the home chain', (r) => (r.chainId = 1), /chainId 1 is not this node's home chain 31337/],
    ['a chainId that is not a number', (r) => (r.chainId = 'home'), /request\.chainId/],
    ['no kernels', (r) => (r.kernels = []), /kernels is empty: name at least one kernel/],
    ['33 kernels', (r) => (r.kernels = Array.from({ length: 33 }, () => ({ id: hex(good.kernel), inputs: [] }))), /too many kernels: 33, at most 32/],
    ['kernels not an array', (r) => (r.kernels = { id: hex(good.kernel) }), /request\.kernels: must be an array/],
    ['a kernel that is not an object', (r) => (r.kernels = [hex(good.kernel)]), /request\.kernels\[0\]: must be an object/],
    ['a function without the trailing bytes payload', (r) => (r.function = 'act(uint256,uint256)'), /must take the payload as its last parameter \(bytes\)/],
    ['a function that does not parse', (r) => (r.function = 'act(uint256,'), /function "act\(uint256,"/],
    ['a function that is not a string', (r) => (r.function = 42), /request\.function: must be a signature string/],
    ['args that do not decode', (r) => (r.args = '0x1234'), /args do not decode as the parameters of act\(uint256,uint256,bytes\) before the payload/],
    ['args for other parameters', (r) => (r.args = encodeAbiParameters([{ type: 'uint256' }], [1n])), /args do not decode/],
    ['args that are not hex', (r) => (r.args = 'xyz'), /request\.args/],
    ['an unknown top-level field', (r) => (r.gas = '0x1'), /request\.gas: unknown field/],
    ['blocks chosen by the client', (r) => (r.blocks = { 31337: '0x1' }), /request\.blocks: the executing node chooses the blocks it reads .*leave it out/],
    ['blocks keyed by something other than a chain id', (r) => (r.blocks = { home: '0x1' }), /request\.blocks\.home: the key must be a decimal chain id/],
    ['an unknown kernel field', (r) => (r.kernels[0].timeout = 5), /request\.kernels\[0\]\.timeout: unknown field/],
    ['a kernel without an id', (r) => delete r.kernels[0].id, /request\.kernels\[0\]\.id: missing/],
    ['a kernel id that is not a number', (r) => (r.kernels[0].id = '0xzz'), /request\.kernels\[0\]\.id/],
    ['a negative kernel id', (r) => (r.kernels[0].id = -1), /request\.kernels\[0\]\.id: a kernel id cannot be negative/],
    ['inputs that are not an array', (r) => (r.kernels[0].inputs = '$sender'), /request\.kernels\[0\]\.inputs: must be an array/],
    ['required that is not a boolean', (r) => (r.kernels[0].required = 'yes'), /request\.kernels\[0\]\.required: must be a boolean/],
    ['an app address too short', (r) => (r.app = '0x1234'), /request\.app/],
    ['a sender that is not an address', (r) => (r.sender = 'alice'), /request\.sender/],
    ['a missing sender', (r) => delete r.sender, /request\.sender: missing/],
    ['a missing app', (r) => delete r.app, /request\.app: missing/],
  ];
  for (const [name, change, pattern] of cases) {
    await t.test(name, async () => {
      const r = base();
      change(r);
      await fails(r, CODE.badRequest, pattern);
    });
  }
  await t.test('a request that is not an object', async () => {
    assertError(await rpcError('krnl_executeKernels', ['not a request']), CODE.badRequest, /request must be an object/);
    assertError(await rpcError('krnl_executeKernels', [[base()]]), CODE.badRequest, /request must be an object/);
  });
});

test('-33006: a literal kernel input is refused, naming kernels[i].inputs[j] (literals are not attested)', async (t) => {
  const cases = [
    ['a number', [{ id: good.kernel, inputs: [7] }], 'kernels\\[0\\]\\.inputs\\[0\\]: 7 is a literal'],
    ['a plain string', [{ id: good.kernel, inputs: ['$args[0]'] }, { id: good.kernel, inputs: ['$sender', 'plain text'] }], 'kernels\\[1\\]\\.inputs\\[1\\]: "plain text" is a literal'],
    ['an escaped "$$" string', [{ id: good.kernel, inputs: ['$$5'] }], 'kernels\\[0\\]\\.inputs\\[0\\]: "\\$\\$5" is a literal'],
    ['an object', [{ id: good.kernel, inputs: ['$app', { value: 1 }] }], 'kernels\\[0\\]\\.inputs\\[1\\]: \\{"value":1\\} is a literal'],
    ['a boolean', [{ id: good.kernel, inputs: [true] }], 'kernels\\[0\\]\\.inputs\\[0\\]: true is a literal'],
  ];
  for (const [name, kernels, where] of cases) {
    await t.test(name, async () => {
      await fails(executeRequest(good.app, kernels), CODE.badRequest, new RegExp(where), /the attestation does not bind/, /use "\$args\[i\]"/);
    });
  }
  await t.test('an $input reference belongs in specs, not requests', async () => {
    await fails(executeRequest(good.app, [{ id: good.kernel, inputs: ['$input[0]'] }]), CODE.badRequest, /kernels\[0\]\.inputs\[0\]: \$input references belong in kernel specs/);
  });
  await t.test('a reference that does not parse', async () => {
    await fails(executeRequest(good.app, [{ id: good.kernel, inputs: ['$balance'] }]), CODE.badRequest, /kernels\[0\]\.inputs\[0\]: bad reference "\$balance"/, /known: \$sender, \$app/);
  });
  await t.test('$kernel references to no kernel, no output, itself or a cycle', async () => {
    const cases = [
      [[{ id: good.kernel, inputs: ['$kernel:5[0]'] }], /\$kernel:5\[0\] names an unknown kernel \(the request has 1\)/],
      [[good.kernel, { id: good.kernel, inputs: ['$kernel:0[3]'] }], /\$kernel:0\[3\] but kernel 0 \(id \d+\) has 1 outputs/],
      [[{ id: good.kernel, inputs: ['$kernel:0[0]'] }], /kernel 0 \(id \d+\) input 0: a kernel cannot read its own output/],
      [[{ id: good.kernel, inputs: ['$kernel:1[0]'] }, { id: good.kernel, inputs: ['$kernel:0[0]'] }], /the kernels' inputs form a cycle \(kernels 0, 1\)/],
      [[{ id: good.kernel, inputs: ['$args[9]'] }], /\$args\[9\] but the call has 2 arguments/],
    ];
    for (const [kernels, pattern] of cases) await fails(executeRequest(good.app, kernels), CODE.badRequest, pattern);
  });
  await t.test('references are accepted', async () => {
    const r = await executeOk(
      executeRequest(good.app, [
        { id: good.kernel, inputs: ['$sender', '$app', '$args[0]', '$args[1]'] },
        { id: good.kernel, inputs: ['$kernel:0[0]'] },
      ]),
    );
    assertKernelOk(r.responses[1], good.kernel, ['uint256'], [2n]);
  });
});

test('-33007: a kernel being deactivated ends attestations before it, refuses when too close, then is inactive', async () => {
  await withSnapshot(async () => {
    const kernel = await registerKernel(computeSpec('double(uint256)', ['$args[0]']));
    const { app } = await createApp({ kernelIds: [kernel] });
    const off = await send(home, KERNEL_OWNER, 'KernelRegistry', REGISTRY, 'deactivate', [kernel]);
    const inactiveAt = Number(off.events.find((e) => e.eventName === 'KernelDeactivationScheduled').args.inactiveAt);
    // During the notice period it still runs.
    await executeOk(executeRequest(app, [kernel]));
    // Close to the deactivation, the attestation ends the second before it.
    await rpc('evm_setNextBlockTimestamp', [inactiveAt - 100]);
    await rpc('evm_mine');
    assert.equal((await executeOk(executeRequest(app, [kernel]))).expiry, inactiveAt - 1);
    assert.equal((await rpc('krnl_quote', [app, [hex(kernel)]])).expiry, inactiveAt - 1);
    // Closer than an attestation's minimum lifetime: refused.
    await rpc('evm_setNextBlockTimestamp', [inactiveAt - 10]);
    await rpc('evm_mine');
    await fails(executeRequest(app, [kernel]), CODE.kernelInactive, new RegExp(`kernel ${kernel} is deactivated at ${inactiveAt}, 10 s from now: too soon`));
    // Past it: inactive.
    await rpc('evm_increaseTime', [inactiveAt - Math.floor(Date.now() / 1000) + 60]);
    await rpc('evm_mine');
    await fails(executeRequest(app, [kernel]), CODE.kernelInactive, new RegExp(`kernel ${kernel} is inactive`), /deactivated by its owner/);
    assertError(await rpcError('krnl_quote', [app, [hex(kernel)]]), CODE.kernelInactive, new RegExp(`kernel ${kernel} is inactive`));
    const k = await rpc('krnl_getKernel', [hex(kernel)]);
    assert.equal(k.active, false);
    assert.equal(k.deactivateAt, inactiveAt);
  });
});

test('-33008: a registered spec the node cannot run names the kernel and the problem', async (t) => {
  const cases = [
    ['not JSON', { text: '{"kind": "evm-compute",', kind: 2 }, /the kernel spec is not valid JSON/],
    ['an unknown kind', { text: '{"kind":"wasm","code":"0x00"}', kind: 2 }, /kind: unknown kind "wasm"/],
    ['an unknown field', { text: JSON.stringify({ ...computeSpec('double(uint256)', ['$args[0]']), extra: 1 }), kind: 2 }, /extra: unknown field/],
    ['a missing field', { text: '{"kind":"evm-compute","outputs":["uint256"]}', kind: 2 }, /code: missing/],
    ['a kind other than the registered one', { text: JSON.stringify(computeSpec('double(uint256)', ['$args[0]'])), kind: 0 }, /registered as kind 0 but its spec is evm-compute/],
    ['a $kernel reference inside the spec', { text: JSON.stringify(computeSpec('double(uint256)', ['$kernel:0[0]'])), kind: 2 }, /args\[0\]: kernel outputs/],
  ];
  for (const [name, how, pattern] of cases) {
    await t.test(name, async () => {
      const kernel = await registerKernel(null, how);
      const { app } = await createApp({ kernelIds: [kernel] });
      await fails(executeRequest(app, [kernel]), CODE.badSpec, new RegExp(`kernel ${kernel} `), pattern);
      // krnl_getKernel still shows it, the text as it is when it is not JSON.
      const k = await rpc('krnl_getKernel', [hex(kernel)]);
      assert.equal(k.id, hex(kernel));
    });
  }
});

test('-33011: a threshold above what the node can gather (itself, no peers) is refused before running', async () => {
  const { app, authority } = await createApp({ kernelIds: [good.kernel], signers: [OPERATOR, dev[5].address], threshold: 2n });
  const e = await fails(
    executeRequest(app, [good.kernel]),
    CODE.quorumNotReached,
    new RegExp(`quorum unreachable: the token authority ${lower(authority)} needs 2 signatures`),
    /has 0 peers \(engine\.peers\)/,
  );
  assert.deepEqual(e.data, { threshold: 2, peers: 0 });
});

test("-33012: a node its app's token authority does not trust refuses to sign", async () => {
  const { app, authority } = await createApp({ kernelIds: [good.kernel], signers: [dev[5].address], threshold: 1n });
  await fails(
    executeRequest(app, [good.kernel]),
    CODE.signerNotTrusted,
    new RegExp(`this node's signer ${lower(OPERATOR)} is not a signer of the token authority ${lower(authority)}`),
    /TokenAuthority\.addSigner/,
  );
});

test('the node still answers after every error', async () => {
  await assertAlive();
});
