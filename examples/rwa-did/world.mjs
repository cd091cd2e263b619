// @ts-check
// What examples/rwa-did's runs share (run.mjs: the app calls the engine; run-account.mjs: smart accounts
// whose bundler runs the kernels): the clients of the three chains, the example's own contracts, the RWA
// platform's metadata API, the three kernel specs and the RWA platform and DID registry.
//
// Environment: KRNL_HOME_RPC, KRNL_RWA_RPC, KRNL_DID_RPC (default http://127.0.0.1:8545/8546/8547),
// KRNL_ENGINE_RPC (where krnl_* goes; default the home chain's URL), KRNL_CONTRACTS_OUT (default
// build/contracts: the example's contracts are not in the SDK).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canonicalSpec, createKrnlClient, decodeKernelResult, getKernel, krnlTransport, nodeInfo, registerKernel, revertErrorOf, sendContractWrite,
} from '@krnl/sdk';
import { createWalletClient, defineChain, getAddress, http } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

/** @typedef {import('viem').Address} Address */
/** @typedef {import('viem').Hex} Hex */
/** @typedef {import('viem').Account} Account */
/** @typedef {import('@krnl/sdk').KernelSpec} KernelSpec */
/** @typedef {import('@krnl/sdk').KernelResponse} KernelResponse */
/** @typedef {{ approval: bigint, metadata: bigint, did: bigint }} KernelIds */

const outdir = resolve(fileURLToPath(new URL('../..', import.meta.url)), process.env.KRNL_CONTRACTS_OUT ?? 'build/contracts');
const urls = {
  home: process.env.KRNL_HOME_RPC ?? 'http://127.0.0.1:8545',
  rwa: process.env.KRNL_RWA_RPC ?? 'http://127.0.0.1:8546',
  did: process.env.KRNL_DID_RPC ?? 'http://127.0.0.1:8547',
};
// krnld answers krnl_* on every chain's port; over other nodes (Hardhat) it is an engine of its own.
const ENGINE_URL = process.env.KRNL_ENGINE_RPC ?? urls.home;

export const OPERATOR = getAddress('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'); // the node's signer
export const MIN_SCORE = 70n; // the policy's minimum DID score
export const ASSET = 7n;
export const AMOUNT = 25n;
const FEES = { approval: 1_000n, metadata: 2_000n, did: 500n };
const MNEMONIC = 'test test test test test test test test test test test junk';
export const [deployer, walletA, walletB, kernelDev] = [0, 1, 2, 3].map((i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));

// ------------------------------------------------------------------ output

let step = 0;
export const say = (text = '') => console.log(text);
export const title = (/** @type {string} */ text) => say(`\n${++step}. ${text}`);
export const item = (/** @type {string} */ text) => say(`   ${text}`);
class Failure extends Error {}
/** @param {string} text @returns {never} */
export function fail(text) {
  throw new Failure(text);
}

/** Runs `main` and exits 0, or 1 with a FAILED line. @param {() => Promise<void>} main */
export function runMain(main) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(`\nFAILED: ${e instanceof Failure ? e.message : e?.stack ?? e}`);
      process.exit(1);
    },
  );
}

// ------------------------------------------------------------------ clients and contracts

/** One chain: a krnl client (viem's public actions and the SDK's) and wallet clients on it. */
function chainOn(/** @type {'home' | 'rwa' | 'did'} */ key, /** @type {number} */ id) {
  const nativeCurrency = { name: 'Ether', symbol: 'ETH', decimals: 18 };
  const chain = defineChain({ id, name: `krnl-${key}`, nativeCurrency, rpcUrls: { default: { http: [urls[key]] } } });
  // Chain calls to the chain's node, krnl_* to the engine (the same krnld unless KRNL_ENGINE_RPC names another).
  const node = http(urls[key], { retryCount: 0 });
  const engine = ENGINE_URL === urls[key] ? undefined : http(ENGINE_URL, { retryCount: 0 });
  const transport = engine ? krnlTransport({ chain: node, engine }) : node;
  const client = createKrnlClient({ chain, transport: node, engine, pollingInterval: 50 });
  const wallet = (/** @type {Account} */ account) => createWalletClient({ chain, transport, account, pollingInterval: 50 });
  return { id, url: urls[key], chain, client, wallet };
}
export const home = chainOn('home', 31337);
export const rwa = chainOn('rwa', 31338);
export const did = chainOn('did', 31339);

/** The example's own contracts, from the contract build. @param {string} name @returns {{ abi: import('viem').Abi, bytecode: Hex }} */
export function artifact(name) {
  const file = resolve(outdir, 'artifacts', `${name}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail(`cannot read ${file} (${e instanceof Error ? e.message : e}); build the contracts first (scripts/run.sh does)`);
  }
}

/** Deploys an artifact and waits. @param {typeof home} on @param {Account} from @param {string} name @param {readonly unknown[]} args */
export async function deploy(on, from, name, args) {
  const { abi, bytecode } = artifact(name);
  const hash = await on.wallet(from).deployContract({ abi, bytecode, args, gas: 12_000_000n });
  const { contractAddress, status } = await on.client.waitForTransactionReceipt({ hash });
  if (status !== 'success' || !contractAddress) fail(`deploying ${name} on chain ${on.id} failed (tx ${hash})`);
  return { address: getAddress(contractAddress), hash, abi };
}

/** The contract error a call reverted with, as `Name(args)`, or null if it succeeded. @param {Promise<unknown>} call */
export async function revertOf(call) {
  try {
    await call;
    return null;
  } catch (e) {
    const revert = revertErrorOf(e);
    if (!revert) throw e;
    return { name: revert.name, text: `${revert.name}(${revert.args.join(', ')})` };
  }
}

// ------------------------------------------------------------------ the RWA platform's metadata API

/** The platform's off-chain view of its assets; the http kernel reads `status` ("active" passes the policy). */
export const ASSETS = new Map([
  [ASSET, { active: true, issuer: 'Company 1 Real Estate Fund' }],
  [8n, { active: false, issuer: 'Company 1 Bond (matured)' }],
]);
/** @type {string[]} */
export const served = [];

/** Runs `story(metadataBase)` with the metadata API listening, and stops it afterwards. @param {(base: string) => Promise<void>} story */
export async function withMetadataApi(story) {
  const server = createServer((req, res) => {
    const match = /^\/assets\/(\d{1,30})$/.exec(req.url ?? '');
    const asset = req.method === 'GET' && match?.[1] ? ASSETS.get(BigInt(match[1])) : undefined;
    served.push(`${req.method} ${req.url} -> ${asset ? 200 : 404}`);
    const status = asset?.active ? 'active' : 'inactive';
    const body = asset ? { id: match?.[1], active: asset.active, status, issuer: asset.issuer } : { error: 'no such asset' };
    res.writeHead(asset ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise((listening) => server.listen(0, '127.0.0.1', () => listening(null)));
  const address = server.address();
  const base = `http://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}`;
  title(`RWA metadata API listening on ${base}`);
  for (const [id, a] of ASSETS) item(`GET /assets/${id} -> status "${a.active ? 'active' : 'inactive'}" (${a.issuer})`);
  try {
    await story(base);
  } finally {
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
    say('\nmetadata API stopped');
  }
}

// ------------------------------------------------------------------ the kernels

/**
 * The three kernels, typed specs. `asset` (for accounts) fixes the asset in the specs: an account's call
 * is execute(target, value, data), whose first argument is the market, not the asset.
 * @param {Address} platform @param {Address} didRegistry @param {string} metadataBase @param {bigint} [asset]
 * @returns {{ approval: KernelSpec, metadata: KernelSpec, did: KernelSpec }}
 */
export const specs = (platform, didRegistry, metadataBase, asset) => ({
  approval: {
    kind: 'evm-read', chainId: 31338, to: platform, function: 'isApproved(address,uint256)',
    args: ['$sender', asset?.toString() ?? '$args[0]'], outputs: ['bool'],
  },
  metadata: {
    kind: 'http', method: 'GET', url: `${metadataBase}/assets/${asset ?? '{{$args[0]}}'}`,
    outputs: [{ path: '$.status', type: 'string' }], timeoutMs: 5000,
  },
  did: { kind: 'evm-read', chainId: 31339, to: didRegistry, function: 'scoreOf(address)', args: ['$sender'], outputs: ['uint256'] },
});
const OUTPUTS = { approval: ['bool'], metadata: ['string'], did: ['uint256'] };

/**
 * Registers the three kernels from the kernel developer's wallet; checks the engine sees them.
 * @param {ReturnType<typeof specs>} spec @returns {Promise<KernelIds>}
 */
export async function registerKernels(spec) {
  title(`three kernels registered in the KernelRegistry on chain 31337 (owner: kernel developer ${kernelDev.address})`);
  const ids = { approval: 0n, metadata: 0n, did: 0n };
  for (const name of /** @type {const} */ (['approval', 'metadata', 'did'])) {
    ({ id: ids[name] } = await registerKernel(home.wallet(kernelDev), { spec: spec[name], fee: FEES[name] }));
    const seen = await getKernel(home.client, { id: ids[name] });
    item(`kernel ${ids[name]} (${name}, fee ${FEES[name]} wei): ${canonicalSpec(spec[name])}`);
    item(`  the engine sees kernel ${ids[name]}: kind ${seen.kind}, active ${seen.active}, fee ${seen.fee}`);
  }
  return ids;
}

const show = (/** @type {unknown} */ v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
/** One line per kernel response, decoded with the kernel's outputs. @param {readonly KernelResponse[]} responses @param {KernelIds} ids */
export function showResponses(responses, ids) {
  for (const r of responses) {
    const name = /** @type {(keyof KernelIds)[]} */ (Object.keys(ids)).find((n) => ids[n] === r.kernelId);
    const value = r.err || !name ? `error: ${r.err}` : decodeKernelResult(r, OUTPUTS[name]).map(show).join(', ');
    item(`kernel ${r.kernelId} (${name ?? '?'}): ${value}`);
  }
}

// ------------------------------------------------------------------ shared steps

/** Checks the three chains and the engine's signer, registry and vault before a run. */
export async function checkNode() {
  for (const on of [home, rwa, did]) {
    const id = await on.client.getChainId().catch((e) => fail(`no node at ${on.url} (${e.shortMessage}); start krnld first: scripts/run.sh`));
    if (id !== on.id) fail(`${on.url} serves chain ${id}, expected ${on.id}`);
  }
  const info = await nodeInfo(home.client).catch((e) =>
    fail(`krnl_nodeInfo at ${ENGINE_URL} failed: ${e.shortMessage ?? e.message} (chains of another node need KRNL_ENGINE_RPC, a krnld engine)`),
  );
  if (getAddress(info.signer) !== OPERATOR) fail(`the node signs as ${info.signer}, this example expects ${OPERATOR}`);
  if (ENGINE_URL !== home.url) say(`engine: ${ENGINE_URL}`);
  say(`node: signer ${info.signer}, home chain ${info.chainId}, registry ${info.registry}, vault ${info.vault}`);
  for (const address of [info.registry, info.vault])
    if (((await home.client.getCode({ address })) ?? '0x') === '0x')
      fail(`no contract at ${address} on chain ${home.id}: replay the predeploys on a node other than krnld (examples/rwa-did/predeploys.mjs)`);
  return info;
}

/**
 * The RWA platform approving `approved` for ASSET and the DID registry with `scores`.
 * @param {{ approved: [string, Address][], scores: [string, Address, bigint][] }} who
 */
export async function deployRwaAndDid({ approved, scores }) {
  title('RWA platform on chain 31338 and DID registry on chain 31339');
  const platform = await deploy(rwa, deployer, 'RwaPlatform', [deployer.address]);
  item(`RwaPlatform ${platform.address} (tx ${platform.hash})`);
  for (const [label, address] of approved) {
    const { hash } = await sendContractWrite(rwa.wallet(deployer), { ...platform, functionName: 'setApproval', args: [address, ASSET, true] });
    item(`approved ${label} for asset ${ASSET} (tx ${hash})`);
  }
  const didRegistry = await deploy(did, deployer, 'DidRegistry', [deployer.address]);
  item(`DidRegistry ${didRegistry.address} (tx ${didRegistry.hash})`);
  for (const [label, address, score] of scores) {
    const { hash } = await sendContractWrite(did.wallet(deployer), { ...didRegistry, functionName: 'setScore', args: [address, score] });
    item(`DID score of ${label} = ${score} (tx ${hash})`);
  }
  item(`the policy asks for at least ${MIN_SCORE}`);
  return { platform: platform.address, didRegistry: didRegistry.address };
}
