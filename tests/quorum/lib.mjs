// What the quorum tests share: the nodes run.sh started, viem clients on node A's three chains, the
// contract artifacts, deployment of the use case (examples/rwa-did) with a k-of-n token authority,
// krnl_* calls that keep the JSON-RPC error, and the attestation payload's encoding.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPublicClient,
  createWalletClient,
  decodeAbiParameters,
  decodeErrorResult,
  defineChain,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  http,
  keccak256,
  parseEther,
  parseEventLogs,
  stringToHex,
  toFunctionSelector,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { toHex } from 'viem';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = resolve(root, process.env.KRNL_CONTRACTS_OUT ?? 'build/contracts');

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through tests/quorum/run.sh`);
  return v;
}

export const urls = {
  home: need('KRNL_QUORUM_HOME_URL'), // node A: chain 31337 and its engine
  rwa: need('KRNL_QUORUM_RWA_URL'),
  did: need('KRNL_QUORUM_DID_URL'),
  B: need('KRNL_QUORUM_B_URL'),
  C: need('KRNL_QUORUM_C_URL'),
  D: need('KRNL_QUORUM_D_URL'),
};
export const processes = {
  B: { pid: Number(need('KRNL_QUORUM_B_PID')), config: need('KRNL_QUORUM_B_CONFIG'), url: urls.B },
  C: { pid: Number(need('KRNL_QUORUM_C_PID')), config: need('KRNL_QUORUM_C_CONFIG'), url: urls.C },
};

const MNEMONIC = 'test test test test test test test test test test test junk';
export const devAccount = (i) => mnemonicToAccount(MNEMONIC, { addressIndex: i });
// The operators: A, B, C and D sign with dev accounts 0, 1, 2 and 5 (run.sh).
export const operators = { A: devAccount(0), B: devAccount(1), C: devAccount(2), D: devAccount(5) };
export const deployer = devAccount(0);
export const walletA = devAccount(3); // approved, score 85
export const walletB = devAccount(4); // not approved, score 40
export const kernelDev = devAccount(6);

export const ASSET = 7n;
export const AMOUNT = 25n;
export const MIN_SCORE = 70n;
export const FUNCTION = 'trade(uint256,uint256,bytes)';
export const SELECTOR = toFunctionSelector(FUNCTION);
export const TRADE_ARGS = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [ASSET, AMOUNT]);

export const CODE = {
  policyRefused: -33003,
  responsesDiffer: -33010,
  quorumNotReached: -33011,
  signerNotTrusted: -33012,
  requesterNotTrusted: -33013,
  pinsOutsideWindow: -33014,
  nonceReplayed: -33015,
  nodeFeeMismatch: -33016,
};

// ------------------------------------------------------------------ artifacts and clients

const A = Object.fromEntries(
  ['KernelRegistry', 'KrnlVault', 'TokenAuthority', 'RwaTradeApp', 'RwaTradePolicy', 'RwaPlatform', 'DidRegistry'].map((n) => [
    n,
    JSON.parse(readFileSync(join(outdir, 'artifacts', `${n}.json`), 'utf8')),
  ]),
);
export const artifacts = A;
const errorAbi = Object.values(A).flatMap((a) => a.abi.filter((x) => x.type === 'error'));
const eventAbi = Object.values(A).flatMap((a) => a.abi.filter((x) => x.type === 'event'));
// KrnlPayload, as TokenAuthority.consume takes it.
const payloadParam = A.TokenAuthority.abi.find((x) => x.type === 'function' && x.name === 'consume').inputs[0];

function chainOn(url, id) {
  const chain = defineChain({ id, name: `chain-${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [url] } } });
  const transport = http(url, { retryCount: 0 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 50 });
  const wallets = new Map();
  const wallet = (account) => {
    if (!wallets.has(account.address)) wallets.set(account.address, createWalletClient({ chain, transport, account, pollingInterval: 50 }));
    return wallets.get(account.address);
  };
  return { id, url, pub, wallet };
}
export const home = chainOn(urls.home, 31337);
export const rwa = chainOn(urls.rwa, 31338);
export const did = chainOn(urls.did, 31339);

function revertData(e) {
  for (let x = e; x; x = x.cause) {
    if (typeof x.data === 'string' && x.data.startsWith('0x')) return x.data;
    if (x.data && typeof x.data.data === 'string') return x.data.data;
  }
  return null;
}

/// A revert as { name, args } decoded with the artifacts' errors (name null if none matches).
export function decodeRevert(raw) {
  try {
    const d = decodeErrorResult({ abi: errorAbi, data: raw });
    return { name: d.errorName, args: d.args ?? [] };
  } catch {
    return { name: null, args: [], raw };
  }
}

async function mined(chain, hash, what) {
  const receipt = await chain.pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success') throw new Error(`${what}: transaction ${hash} on chain ${chain.id} reverted`);
  receipt.events = parseEventLogs({ abi: eventAbi, logs: receipt.logs });
  return receipt;
}

export async function deploy(chain, from, name, args) {
  const hash = await chain.wallet(from).deployContract({ abi: A[name].abi, bytecode: A[name].bytecode, args, gas: 12_000_000n });
  return getAddress((await mined(chain, hash, `deploying ${name}`)).contractAddress);
}

/// eth_call of `functionName` from `from`: null if it would succeed, else the decoded revert.
export async function simulate(chain, from, name, address, functionName, args = []) {
  const data = encodeFunctionData({ abi: A[name].abi, functionName, args });
  try {
    await chain.pub.call({ account: from.address, to: address, data, gas: 3_000_000n });
    return null;
  } catch (e) {
    const raw = revertData(e);
    if (!raw) throw e;
    return decodeRevert(raw);
  }
}

/// Simulates (so a revert is reported by name), then sends and waits; the receipt has `events`.
export async function send(chain, from, name, address, functionName, args = [], value = 0n) {
  const data = encodeFunctionData({ abi: A[name].abi, functionName, args });
  const revert = await simulate(chain, from, name, address, functionName, args);
  if (revert) throw new Error(`${name}.${functionName} would revert: ${revert.name ?? revert.raw}(${revert.args.map(String).join(', ')})`);
  const hash = await chain.wallet(from).sendTransaction({ to: address, data, value, gas: 3_000_000n });
  return mined(chain, hash, `${name}.${functionName}`);
}

export const read = (chain, name, address, functionName, args = []) => chain.pub.readContract({ address, abi: A[name].abi, functionName, args });

/// A JSON-RPC call answering { result } or { error: {code, message, data} } as the node sent it.
export async function rpc(url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return response.json();
}

// ------------------------------------------------------------------ the payload

export function decodePayload(payload) {
  return decodeAbiParameters([payloadParam], payload)[0];
}

export function encodePayload(p) {
  return encodeAbiParameters([payloadParam], [p]);
}

/// The digest the signers sign, computed by the token authority on chain 31337.
export async function digestOnChain(authority, p) {
  const responsesHash = await read(home, 'TokenAuthority', authority, 'hashResponses', [p.responses]);
  const feesHash = await read(home, 'TokenAuthority', authority, 'hashFees', [p.kernelIds, p.kernelFees, p.nodeFee]);
  return read(home, 'TokenAuthority', authority, 'attestationDigest', [p.app, p.sender, p.selector, p.argsHash, responsesHash, p.nonce, p.expiry, feesHash]);
}

// ------------------------------------------------------------------ the use case, with a k-of-n authority

/// The platform's metadata API (what the http kernel reads): asset 7 is "active".
async function startMetadataApi() {
  const server = createServer((req, res) => {
    const match = /^\/assets\/(\d{1,30})$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match || BigInt(match[1]) !== ASSET) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such asset"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: match[1], status: 'active' }));
  });
  await new Promise((ok, ko) => {
    server.once('error', ko);
    server.listen(0, '127.0.0.1', ok);
  });
  return server;
}

const canonical = (v) =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  : JSON.stringify(v);

/// Deploys the RWA platform (31338), the DID registry (31339), three kernels, the policy, the app and
/// a TokenAuthority trusting `signers` with threshold `k`, registers the app and funds its deposit.
export async function setUpUseCase({ signers, k }) {
  const info = await rpc(urls.home, 'krnl_nodeInfo');
  if (info.error) throw new Error(`krnl_nodeInfo on A: ${info.error.message}`);
  const registry = getAddress(info.result.registry);
  const vault = getAddress(info.result.vault);
  const server = await startMetadataApi();
  const metadataBase = `http://127.0.0.1:${server.address().port}`;

  const platform = await deploy(rwa, deployer, 'RwaPlatform', [deployer.address]);
  await send(rwa, deployer, 'RwaPlatform', platform, 'setApproval', [walletA.address, ASSET, true]);
  const didRegistry = await deploy(did, deployer, 'DidRegistry', [deployer.address]);
  await send(did, deployer, 'DidRegistry', didRegistry, 'setScore', [walletA.address, 85n]);
  await send(did, deployer, 'DidRegistry', didRegistry, 'setScore', [walletB.address, 40n]);

  const specs = {
    approval: [0, { kind: 'evm-read', chainId: 31338, to: platform.toLowerCase(), function: 'isApproved(address,uint256)', args: ['$sender', '$args[0]'], outputs: ['bool'] }, 1_000n],
    metadata: [1, { kind: 'http', method: 'GET', url: `${metadataBase}/assets/{{$args[0]}}`, outputs: [{ path: '$.status', type: 'string' }], timeoutMs: 5000 }, 2_000n],
    did: [0, { kind: 'evm-read', chainId: 31339, to: didRegistry.toLowerCase(), function: 'scoreOf(address)', args: ['$sender'], outputs: ['uint256'] }, 500n],
  };
  const kernelIds = {};
  for (const [name, [kind, spec, fee]] of Object.entries(specs)) {
    const r = await send(home, kernelDev, 'KernelRegistry', registry, 'registerKernel', [kind, stringToHex(canonical(spec)), fee]);
    kernelIds[name] = r.events.find((e) => e.eventName === 'KernelRegistered').args.id;
  }
  const policy = await deploy(home, deployer, 'RwaTradePolicy', [kernelIds.approval, kernelIds.metadata, kernelIds.did, MIN_SCORE]);
  const app = await deploy(home, deployer, 'RwaTradeApp', [registry, deployer.address, kernelIds.did]);
  const authority = await deploy(home, deployer, 'TokenAuthority', [app, deployer.address, vault, policy, signers, k]);
  await send(home, deployer, 'KernelRegistry', registry, 'registerApp', [app, authority, Object.values(kernelIds)]);
  await send(home, deployer, 'KrnlVault', vault, 'deposit', [app], parseEther('0.01'));
  return {
    registry,
    vault,
    platform,
    didRegistry,
    kernelIds,
    policy,
    app,
    authority,
    close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections?.(); }),
  };
}

/// The krnl_executeKernels request for trade(ASSET, AMOUNT) by `sender`.
export function tradeRequest(useCase, sender) {
  return {
    app: useCase.app,
    chainId: '0x7a69',
    sender: sender.address,
    function: FUNCTION,
    args: TRADE_ARGS,
    kernels: Object.values(useCase.kernelIds).map((id) => ({ id: `0x${id.toString(16)}`, inputs: [] })),
  };
}

export const argsHash = keccak256(TRADE_ARGS);

/// Stops one of run.sh's engines (after checking the pid is still that krnld) and waits until its
/// port refuses connections.
export async function stopEngine(which) {
  const { pid, config, url } = processes[which];
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  if (!cmdline.includes(config)) throw new Error(`pid ${pid} is not node ${which} (${cmdline.join(' ')})`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 200; i++) {
    try {
      await rpc(url, 'krnl_nodeInfo');
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node ${which} (pid ${pid}) still answers at ${url}`);
}

// ------------------------------------------------------------------ the peer protocol (krnl_cosign)

/// The EIP-712 types a co-sign request is signed with (src/engine/peer_protocol.cpp).
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

/// The latest block of each of A's chains: { chainId: { number, hash } }.
export async function pinsNow() {
  const pins = {};
  for (const chain of [home, rwa, did]) {
    const block = await chain.pub.getBlock();
    pins[chain.id] = { number: block.number, hash: block.hash };
  }
  return pins;
}

export const unixNow = () => BigInt(Math.floor(Date.now() / 1000));

/// krnl_cosign params as a node signing with `account` sends them (account null: unsigned, the
/// five parameters a stranger could send before co-sign requests were signed).
export async function cosignParams(account, request, responses, { nonce, expiry, nodeFee, pins, timestamp = unixNow() }) {
  const wire = [
    request,
    responses.map((r) => ({ kernelId: toHex(BigInt(r.kernelId)), result: r.result, err: r.err })),
    toHex(nonce),
    toHex(expiry),
    toHex(nodeFee),
  ];
  if (!account) return wire;
  const ordered = Object.entries(pins).sort(([a], [b]) => Number(a) - Number(b));
  const message = {
    app: request.app,
    chainId: BigInt(request.chainId),
    sender: request.sender,
    function: request.function,
    binding: request.binding ?? 'payload',
    args: request.args,
    kernels: request.kernels.map((k) => ({ id: BigInt(k.id), inputs: k.inputs ?? [], required: k.required ?? false })),
    responses: responses.map((r) => ({ kernelId: BigInt(r.kernelId), result: r.result, err: r.err })),
    nonce,
    expiry,
    nodeFee,
    pins: ordered.map(([chainId, p]) => ({ chainId: BigInt(chainId), number: p.number, hash: p.hash })),
    timestamp,
  };
  const signature = await account.signTypedData({
    domain: { name: 'KRNL co-sign', version: '1', chainId: BigInt(request.chainId) },
    types: COSIGN_TYPES,
    primaryType: 'CosignRequest',
    message,
  });
  const wirePins = Object.fromEntries(ordered.map(([chainId, p]) => [chainId, { number: toHex(p.number), hash: p.hash }]));
  return [...wire, { pins: wirePins, timestamp: toHex(timestamp), signature }];
}

/// Mines `n` empty blocks on `chain` (evm_mine).
export async function mine(chain, n) {
  for (let i = 0; i < n; i++) await rpc(chain.url, 'evm_mine');
}
