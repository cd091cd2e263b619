// The kernel engine's side of the suite: canonical specs, kernel and app registration on the home chain,
// krnl_executeKernels requests, and the liveness check every hostile test ends with.
import assert from 'node:assert/strict';
import { decodeAbiParameters, encodeAbiParameters, parseEther, stringToHex, zeroAddress } from 'viem';
import { OPERATOR, REGISTRY, VAULT, artifact, deploy, dev, hex, home, other, rpc, rpcRaw, send } from './env.mjs';

export const KIND = { 'evm-read': 0, http: 1, 'evm-compute': 2 };
export const CODE = {
  unknownKernel: -33000,
  kernelNotAllowed: -33001,
  depositTooLow: -33002,
  policyRefused: -33003,
  kernelFailed: -33004,
  appNotRegistered: -33005,
  badRequest: -33006,
  kernelInactive: -33007,
  badSpec: -33008,
  chainUnavailable: -33009,
  responsesDiffer: -33010,
  quorumNotReached: -33011,
  signerNotTrusted: -33012,
  requesterNotTrusted: -33013,
  pinsOutsideWindow: -33014,
  nonceReplayed: -33015,
  nodeFeeMismatch: -33016,
  engineBusy: -33017,
  nonceSetFull: -33018,
  cosignNotServed: -33019,
  invalidParams: -32602,
  invalidRequest: -32600,
  parseError: -32700,
};

/** The gated function of KrnlTestApp; the engine is told the full signature, payload included. */
export const ACT = 'act(uint256,uint256,bytes)';
export const ACT_ARGS = [{ type: 'uint256' }, { type: 'uint256' }];

/** Canonical JSON (sorted keys, no whitespace): the bytes the registry stores and hashes. */
export const canonical = (v) =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
      : JSON.stringify(v);

// ------------------------------------------------------------------ specs

/** An evm-compute kernel running KrnlCompute's code: `fn` of it with `args` (templates). */
export const computeSpec = (fn, args, outputs = ['uint256'], extra = {}) => ({
  kind: 'evm-compute',
  code: artifact('KrnlCompute').deployedBytecode,
  function: fn,
  args,
  outputs,
  ...extra,
});
export const readSpec = (chainId, to, fn, args, outputs = ['uint256']) => ({
  kind: 'evm-read',
  chainId,
  to: to.toLowerCase(),
  function: fn,
  args,
  outputs,
});
export const httpSpec = (url, outputs = [{ path: '$.value', type: 'uint256' }], extra = {}) => ({
  kind: 'http',
  method: 'GET',
  url,
  outputs,
  ...extra,
});

const KERNEL_OWNER = dev[3];

/**
 * Registers a kernel in the home chain's KernelRegistry; its id (bigint). `text` replaces the canonical
 * spec (a spec that does not parse), `kind` the kind derived from the spec.
 */
export async function registerKernel(spec, { fee = 0n, kind, text } = {}) {
  const body = text ?? canonical(spec);
  const k = kind ?? KIND[spec.kind];
  const r = await send(home, KERNEL_OWNER, 'KernelRegistry', REGISTRY, 'registerKernel', [k, stringToHex(body), fee]);
  const event = r.events.find((e) => e.eventName === 'KernelRegistered');
  assert.ok(event, 'registerKernel emitted KernelRegistered');
  return event.args.id;
}
export { KERNEL_OWNER };

const APP_OWNER = dev[1];
export { APP_OWNER };

/**
 * A KrnlTestApp registered with a TokenAuthority (its signers, threshold and policy), allowed `kernelIds` and
 * funded with `deposit` in the vault. Returns { app, authority }.
 */
export async function createApp({ kernelIds, policy = zeroAddress, deposit = parseEther('0.01'), signers = [OPERATOR], threshold = 1n } = {}) {
  const app = await deploy(home, APP_OWNER, 'KrnlTestApp', [REGISTRY, APP_OWNER.address]);
  const authority = await deploy(home, APP_OWNER, 'TokenAuthority', [app, APP_OWNER.address, VAULT, policy, signers, threshold]);
  await send(home, APP_OWNER, 'KernelRegistry', REGISTRY, 'registerApp', [app, authority, kernelIds]);
  if (deposit > 0n) await send(home, APP_OWNER, 'KrnlVault', VAULT, 'deposit', [app], deposit);
  return { app, authority };
}

/** KrnlTestPolicy with `limit` on `a`. */
export const deployPolicy = (limit) => deploy(home, APP_OWNER, 'KrnlTestPolicy', [limit]);

// ------------------------------------------------------------------ requests

export const SENDER = dev[2];

/**
 * A krnl_executeKernels request for KrnlTestApp.act(a, b, payload). `kernels` are ids or
 * { id, inputs, required } objects.
 */
export function executeRequest(app, kernels, { a = 1n, b = 2n, sender = SENDER.address, fn = ACT, chainId = hex(home.id) } = {}) {
  return {
    app,
    chainId,
    sender,
    function: fn,
    args: encodeAbiParameters(ACT_ARGS, [a, b]),
    kernels: kernels.map((k) => {
      if (typeof k === 'bigint') return { id: hex(k), inputs: [] };
      const out = { id: typeof k.id === 'bigint' ? hex(k.id) : k.id, inputs: k.inputs ?? [] };
      if (k.required !== undefined) out.required = k.required;
      return out;
    }),
  };
}

/** krnl_executeKernels: the whole reply. */
export const execute = (request, url = home.url) => rpcRaw('krnl_executeKernels', [request], url);

/** krnl_executeKernels that must succeed: its result. */
export async function executeOk(request, url = home.url) {
  const reply = await execute(request, url);
  assert.ok(!reply.error, `krnl_executeKernels failed: ${reply.error?.code} ${reply.error?.message}`);
  return reply.result;
}

export const decode = (types, data) => decodeAbiParameters(types.map((type) => ({ type })), data);

/** Asserts one kernel response failed and its err matches every pattern; returns the err. */
export function assertKernelErr(response, id, ...patterns) {
  assert.deepEqual(Object.keys(response).sort(), ['err', 'kernelId', 'result']);
  assert.equal(response.kernelId, hex(id));
  assert.equal(response.result, '0x', 'a failed kernel has no result');
  assert.notEqual(response.err, '', `kernel ${id} should have failed`);
  for (const p of patterns) assert.match(response.err, p, `err of kernel ${id}`);
  return response.err;
}

/** Asserts one kernel response succeeded with `values` of `types`. */
export function assertKernelOk(response, id, types, values) {
  assert.equal(response.kernelId, hex(id));
  assert.equal(response.err, '', `kernel ${id} failed: ${response.err}`);
  assert.deepEqual(decode(types, response.result), values);
}

// ------------------------------------------------------------------ liveness

let good;
/** A compute kernel (double of $args[0]) and an app allowed to use it, created once per test file. */
export async function goodSetup() {
  if (!good) {
    good = (async () => {
      const kernel = await registerKernel(computeSpec('double(uint256)', ['$args[0]']));
      const { app } = await createApp({ kernelIds: [kernel] });
      return { kernel, app };
    })();
  }
  return good;
}

/** The node still answers: eth_blockNumber on both chains and a good krnl_executeKernels. */
export async function assertAlive() {
  for (const chain of [home, other]) {
    const n = await rpc('eth_blockNumber', [], chain.url);
    assert.match(n, /^0x[0-9a-f]+$/, `eth_blockNumber on chain ${chain.id}`);
  }
  const { kernel, app } = await goodSetup();
  const result = await executeOk(executeRequest(app, [kernel], { a: 21n }));
  assert.equal(result.responses.length, 1);
  assertKernelOk(result.responses[0], kernel, ['uint256'], [42n]);
  assert.deepEqual(result.signers, [OPERATOR.toLowerCase()]);
}

// ------------------------------------------------------------------ the peer protocol

/** The EIP-712 types a co-sign request is signed with (src/engine/peer_protocol.cpp, docs/krnl-rpc.md). */
const COSIGN_TYPES = {
  CosignRequest: [
    { name: 'app', type: 'address' },
    { name: 'chainId', type: 'uint256' },
    { name: 'sender', type: 'address' },
    { name: 'function', type: 'string' },
    { name: 'binding', type: 'string' },
    { name: 'args', type: 'bytes' },
    { name: 'kernels', type: 'Kernel[]' },
    { name: 'responses', type: 'Response[]' },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
    { name: 'nodeFee', type: 'uint256' },
    { name: 'pins', type: 'Pin[]' },
    { name: 'timestamp', type: 'uint64' },
  ],
  Kernel: [
    { name: 'id', type: 'uint256' },
    { name: 'inputs', type: 'string[]' },
    { name: 'required', type: 'bool' },
  ],
  Response: [
    { name: 'kernelId', type: 'uint256' },
    { name: 'result', type: 'bytes' },
    { name: 'err', type: 'string' },
  ],
  Pin: [
    { name: 'chainId', type: 'uint256' },
    { name: 'number', type: 'uint64' },
    { name: 'hash', type: 'bytes32' },
  ],
};

/**
 * krnl_cosign params as a node signing with `signer` (default: the node's own operator, dev account 0)
 * sends them, pinned at `blocks` ({"<chain id>": "0x<number>"}, as krnl_executeKernels reports them;
 * the hashes are read from the chains unless `hashes` gives them).
 */
export async function cosignParams(request, responses, { nonce, expiry, nodeFee, blocks, hashes = {}, timestamp = BigInt(Math.floor(Date.now() / 1000)), signer = dev[0] }) {
  const chains = { [home.id]: home, [other.id]: other };
  const pins = [];
  for (const [chainId, number] of Object.entries(blocks).sort(([a], [b]) => Number(a) - Number(b))) {
    const hash = hashes[chainId] ?? (await chains[chainId].pub.getBlock({ blockNumber: BigInt(number) })).hash;
    pins.push({ chainId: BigInt(chainId), number: BigInt(number), hash });
  }
  const message = {
    app: request.app,
    chainId: BigInt(request.chainId),
    sender: request.sender,
    function: request.function,
    binding: request.binding ?? 'payload',
    args: request.args,
    kernels: request.kernels.map((k) => ({ id: BigInt(k.id), inputs: k.inputs ?? [], required: k.required ?? false })),
    responses: responses.map((r) => ({ kernelId: BigInt(r.kernelId), result: r.result, err: r.err })),
    nonce: BigInt(nonce),
    expiry: BigInt(expiry),
    nodeFee: BigInt(nodeFee),
    pins,
    timestamp,
  };
  const signature = await signer.signTypedData({
    domain: { name: 'KRNL co-sign', version: '1', chainId: BigInt(request.chainId) },
    types: COSIGN_TYPES,
    primaryType: 'CosignRequest',
    message,
  });
  return [
    request,
    responses,
    hex(nonce),
    hex(expiry),
    hex(nodeFee),
    {
      pins: Object.fromEntries(pins.map((p) => [String(p.chainId), { number: hex(p.number), hash: p.hash }])),
      timestamp: hex(timestamp),
      signature,
    },
  ];
}
