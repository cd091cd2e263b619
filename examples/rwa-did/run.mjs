// The seed's use case end to end against a running krnld (config/dev.toml): a DeFi app on the home chain
// (31337) lets a wallet trade a real-world asset only if the RWA platform (31338) approves the wallet for
// the asset, the asset's off-chain metadata says it is active, and the wallet's DID score (31339) is high
// enough. The kernel engine runs the three kernels, asks the app's policy and signs; the app checks the
// signed payload on-chain.
//
//   node examples/rwa-did/run.mjs
//
// Environment: KRNL_HOME_RPC, KRNL_RWA_RPC, KRNL_DID_RPC (default http://127.0.0.1:8545/8546/8547),
// KRNL_ENGINE_RPC (where krnl_* goes; default the home chain's URL, where krnld answers it too; a
// krnld engine of its own over other nodes, e.g. Hardhat: examples/rwa-did/test.sh hardhat),
// KRNL_CONTRACTS_OUT (default build/contracts), KRNL_FUNCTION (the signature sent to the engine,
// default "trade(uint256,uint256,bytes)": the app's function, its payload parameter included).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPublicClient,
  createWalletClient,
  decodeAbiParameters,
  decodeErrorResult,
  defineChain,
  encodeAbiParameters,
  encodeFunctionData,
  formatEther,
  getAddress,
  http,
  keccak256,
  parseEther,
  parseEventLogs,
  stringToHex,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = resolve(root, process.env.KRNL_CONTRACTS_OUT ?? 'build/contracts');
const urls = {
  home: process.env.KRNL_HOME_RPC ?? 'http://127.0.0.1:8545',
  rwa: process.env.KRNL_RWA_RPC ?? 'http://127.0.0.1:8546',
  did: process.env.KRNL_DID_RPC ?? 'http://127.0.0.1:8547',
};
// The kernel engine (krnl_* methods): krnld answers them on every chain's port, or on its own
// [engine] port when the chains are other nodes (Hardhat: test.sh hardhat).
const ENGINE_URL = process.env.KRNL_ENGINE_RPC ?? urls.home;
const ENGINE_FUNCTION = process.env.KRNL_FUNCTION ?? 'trade(uint256,uint256,bytes)';

const OPERATOR = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'; // the node's signer (dev account 0)
const MIN_SCORE = 70n; // X: the policy's minimum DID score
const ASSET = 7n;
const AMOUNT = 25n;
const FEES = { approval: 1_000n, metadata: 2_000n, did: 500n };
const KIND = { evmRead: 0, http: 1 };
const POLICY_REFUSED = -33003;

const MNEMONIC = 'test test test test test test test test test test test junk';
const [deployer, walletA, walletB, kernelDev] = [0, 1, 2, 3].map((i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));

// ------------------------------------------------------------------ output

let step = 0;
const say = (text = '') => console.log(text);
const title = (text) => say(`\n${++step}. ${text}`);
const item = (text) => say(`   ${text}`);
class Failure extends Error {}
const fail = (text) => {
  throw new Failure(text);
};

// ------------------------------------------------------------------ artifacts and clients

function artifact(name) {
  const file = join(outdir, 'artifacts', `${name}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read ${file} (${e.message}); build the contracts first (scripts/run.sh does)`);
  }
}
const A = Object.fromEntries(
  ['KernelRegistry', 'KrnlVault', 'TokenAuthority', 'RwaTradeApp', 'RwaTradePolicy', 'RwaPlatform', 'DidRegistry'].map((n) => [n, artifact(n)]),
);
const errorAbi = Object.values(A).flatMap((a) => a.abi.filter((x) => x.type === 'error'));
const eventAbi = Object.values(A).flatMap((a) => a.abi.filter((x) => x.type === 'event'));
const predeploys = JSON.parse(readFileSync(join(outdir, 'predeploys.json'), 'utf8')).predeploys;
const predeployed = (name) => getAddress(predeploys.find((p) => p.name === name).address);
const REGISTRY = predeployed('KernelRegistry');
const VAULT = predeployed('KrnlVault');

function chainOn(key, id) {
  const chain = defineChain({
    id,
    name: `krnl-${key}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [urls[key]] } },
  });
  const transport = http(urls[key], { retryCount: 0 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 50 });
  const wallets = new Map();
  const wallet = (account) => {
    if (!wallets.has(account.address)) wallets.set(account.address, createWalletClient({ chain, transport, account, pollingInterval: 50 }));
    return wallets.get(account.address);
  };
  return { key, id, url: urls[key], pub, wallet };
}
const home = chainOn('home', 31337);
const rwa = chainOn('rwa', 31338);
const did = chainOn('did', 31339);

function revertData(e) {
  for (let x = e; x; x = x.cause) {
    if (typeof x.data === 'string' && x.data.startsWith('0x')) return x.data;
    if (x.data && typeof x.data.data === 'string') return x.data.data;
  }
  return null;
}

function describeRevert(raw) {
  try {
    const d = decodeErrorResult({ abi: errorAbi, data: raw });
    return { name: d.errorName, args: d.args ?? [], text: `${d.errorName}(${(d.args ?? []).map(String).join(', ')})` };
  } catch {
    return { name: null, args: [], text: `undecoded revert ${raw}` };
  }
}

async function mined(chain, hash, what) {
  const receipt = await chain.pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success') fail(`${what}: transaction ${hash} on chain ${chain.id} reverted`);
  return receipt;
}

async function deploy(chain, from, name, args) {
  const hash = await chain.wallet(from).deployContract({ abi: A[name].abi, bytecode: A[name].bytecode, args, gas: 12_000_000n });
  const receipt = await mined(chain, hash, `deploying ${name}`);
  return { address: getAddress(receipt.contractAddress), hash };
}

/// Simulates first (so a revert is reported by name), then sends and waits.
async function send(chain, from, name, address, functionName, args = [], value = 0n) {
  const data = encodeFunctionData({ abi: A[name].abi, functionName, args });
  try {
    await chain.pub.call({ account: from.address, to: address, data, value });
  } catch (e) {
    const raw = revertData(e);
    fail(`${name}.${functionName} on chain ${chain.id} would revert: ${raw ? describeRevert(raw).text : e.shortMessage ?? e.message}`);
  }
  const hash = await chain.wallet(from).sendTransaction({ to: address, data, value, gas: 3_000_000n });
  const receipt = await mined(chain, hash, `${name}.${functionName}`);
  receipt.events = parseEventLogs({ abi: eventAbi, logs: receipt.logs });
  return receipt;
}

/// Sends without simulating and returns the mined receipt even when the transaction reverts. Hardhat
/// mines a failing transaction but answers eth_sendRawTransaction with its revert, so the hash is
/// computed here from the signed transaction rather than taken from the answer.
async function sendUnchecked(chain, from, to, data) {
  const wallet = chain.wallet(from);
  const request = await wallet.prepareTransactionRequest({ to, data, gas: 3_000_000n });
  const raw = await wallet.signTransaction(request);
  const hash = keccak256(raw);
  let refusal = null;
  try {
    await chain.pub.request({ method: 'eth_sendRawTransaction', params: [raw] });
  } catch (e) {
    refusal = e;
  }
  try {
    return { hash, receipt: await chain.pub.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 20_000 }) };
  } catch (e) {
    throw refusal ?? e; // never mined: the node's answer says why
  }
}

const read = (chain, name, address, functionName, args = []) => chain.pub.readContract({ address, abi: A[name].abi, functionName, args });

/// A krnl_* call to the engine that keeps the error's code, message and data (viem wraps them).
async function engine(method, params) {
  let response;
  try {
    response = await fetch(ENGINE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
  } catch (e) {
    fail(`${method}: no engine at ${ENGINE_URL} (${e.cause?.message ?? e.message})`);
  }
  return response.json();
}

// ------------------------------------------------------------------ the RWA platform's metadata API

/// The platform's off-chain view of its assets. `status` is what the http kernel reads: RwaTradePolicy
/// decodes the metadata kernel's result as a string and requires "active".
const ASSETS = new Map([
  [ASSET, { active: true, issuer: 'Company 1 Real Estate Fund' }],
  [8n, { active: false, issuer: 'Company 1 Bond (matured)' }],
]);
const served = [];

function startMetadataApi() {
  const server = createServer((req, res) => {
    const match = /^\/assets\/(\d{1,30})$/.exec(req.url ?? '');
    const asset = match && ASSETS.get(BigInt(match[1]));
    served.push(`${req.method} ${req.url} -> ${asset ? 200 : 404}`);
    if (req.method !== 'GET' || !asset) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such asset' }));
      return;
    }
    const body = { id: match[1], active: asset.active, status: asset.active ? 'active' : 'inactive', issuer: asset.issuer };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen(server));
  });
}

// ------------------------------------------------------------------ kernel specs (src/engine/kernel_spec.hpp)

/// Canonical JSON (sorted keys, no whitespace): the bytes whose keccak the registry stores as specHash.
const canonical = (v) =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  : JSON.stringify(v);

const specs = (platform, didRegistry, metadataBase) => ({
  approval: {
    kind: 'evm-read', chainId: 31338, to: platform, function: 'isApproved(address,uint256)',
    args: ['$sender', '$args[0]'], outputs: ['bool'],
  },
  metadata: {
    kind: 'http', method: 'GET', url: `${metadataBase}/assets/{{$args[0]}}`,
    outputs: [{ path: '$.status', type: 'string' }], timeoutMs: 5000,
  },
  did: {
    kind: 'evm-read', chainId: 31339, to: didRegistry, function: 'scoreOf(address)',
    args: ['$sender'], outputs: ['uint256'],
  },
});

// ------------------------------------------------------------------ the engine

const TRADE_ARGS = [{ type: 'uint256' }, { type: 'uint256' }];
const KERNEL_OUTPUTS = { approval: [{ type: 'bool' }], metadata: [{ type: 'string' }], did: [{ type: 'uint256' }] };

function executeRequest(app, sender, kernelIds, assetId = ASSET, amount = AMOUNT) {
  return {
    app,
    chainId: `0x${home.id.toString(16)}`, // a JSON-RPC quantity (the engine takes a plain number too)
    sender: sender.address,
    function: ENGINE_FUNCTION,
    args: encodeAbiParameters(TRADE_ARGS, [assetId, amount]),
    kernels: Object.values(kernelIds).map((id) => ({ id: `0x${id.toString(16)}`, inputs: [] })),
  };
}

function showResponses(responses, kernelIds) {
  const names = Object.fromEntries(Object.entries(kernelIds).map(([name, id]) => [id.toString(), name]));
  for (const r of responses) {
    const id = BigInt(r.kernelId);
    const name = names[id.toString()] ?? '?';
    let value;
    if (r.err) value = `error: ${r.err}`;
    else {
      try {
        value = decodeAbiParameters(KERNEL_OUTPUTS[name], r.result).map((v) => JSON.stringify(typeof v === 'bigint' ? v.toString() : v)).join(', ');
      } catch {
        value = `result ${r.result}`;
      }
    }
    item(`kernel ${id} (${name}): ${value}`);
  }
}

// ------------------------------------------------------------------ the story

async function main() {
  say('KRNL example: an RWA trade gated by an RWA approval (31338), off-chain asset metadata (HTTP) and a DID score (31339)');
  for (const chain of [home, rwa, did]) {
    let id;
    try {
      id = await chain.pub.getChainId();
    } catch (e) {
      fail(`no node at ${chain.url} (${e.shortMessage ?? e.message}); start krnld first: scripts/run.sh`);
    }
    if (id !== chain.id) fail(`${chain.url} serves chain ${id}, expected ${chain.id}`);
  }
  const info = await engine('krnl_nodeInfo', []);
  if (info.error) fail(`krnl_nodeInfo at ${ENGINE_URL} failed: ${info.error.message} (a chain served by another node than krnld needs KRNL_ENGINE_RPC, a krnld engine)`);
  if (getAddress(info.result.signer) !== OPERATOR) fail(`the node signs as ${info.result.signer}, this example expects ${OPERATOR}`);
  if (ENGINE_URL !== home.url) say(`engine: ${ENGINE_URL}`);
  say(`node: signer ${info.result.signer}, home chain ${BigInt(info.result.chainId)}, registry ${info.result.registry}, vault ${info.result.vault}`);
  for (const [name, address, engineSees] of [['KernelRegistry', REGISTRY, info.result.registry], ['KrnlVault', VAULT, info.result.vault]]) {
    if (getAddress(engineSees) !== address) fail(`the engine reads the ${name} at ${engineSees}, this example uses the predeployed one at ${address}`);
    if (((await home.pub.getCode({ address })) ?? '0x') === '0x')
      fail(`no ${name} at ${address} on chain ${home.id}: a node other than krnld needs the predeploys replayed (node examples/rwa-did/predeploys.mjs URL)`);
  }
  say(`wallet A ${walletA.address}, wallet B ${walletB.address}`);

  const server = await startMetadataApi();
  try {
    await story(`http://127.0.0.1:${server.address().port}`);
  } finally {
    await new Promise((r) => server.close(r));
    server.closeAllConnections?.();
    say('\nmetadata API stopped');
  }
}

async function story(metadataBase) {
  title(`RWA metadata API listening on ${metadataBase}`);
  for (const [id, a] of ASSETS) item(`GET /assets/${id} -> status "${a.active ? 'active' : 'inactive'}" (${a.issuer})`);

  title('RWA platform on chain 31338 and DID registry on chain 31339');
  const platform = await deploy(rwa, deployer, 'RwaPlatform', [deployer.address]);
  item(`RwaPlatform ${platform.address} (tx ${platform.hash})`);
  let r = await send(rwa, deployer, 'RwaPlatform', platform.address, 'setApproval', [walletA.address, ASSET, true]);
  item(`approved wallet A for asset ${ASSET} (tx ${r.transactionHash}); wallet B gets no approval`);
  const didRegistry = await deploy(did, deployer, 'DidRegistry', [deployer.address]);
  item(`DidRegistry ${didRegistry.address} (tx ${didRegistry.hash})`);
  r = await send(did, deployer, 'DidRegistry', didRegistry.address, 'setScore', [walletA.address, 85n]);
  item(`DID score of wallet A = 85 (tx ${r.transactionHash})`);
  r = await send(did, deployer, 'DidRegistry', didRegistry.address, 'setScore', [walletB.address, 40n]);
  item(`DID score of wallet B = 40 (tx ${r.transactionHash}); the policy asks for at least ${MIN_SCORE}`);

  title(`three kernels registered in the KernelRegistry ${REGISTRY} on chain 31337 (owner: kernel developer ${kernelDev.address})`);
  const spec = specs(platform.address.toLowerCase(), didRegistry.address.toLowerCase(), metadataBase);
  const kernelIds = {};
  for (const [name, kind] of [['approval', KIND.evmRead], ['metadata', KIND.http], ['did', KIND.evmRead]]) {
    const text = canonical(spec[name]);
    r = await send(home, kernelDev, 'KernelRegistry', REGISTRY, 'registerKernel', [kind, stringToHex(text), FEES[name]]);
    const event = r.events.find((e) => e.eventName === 'KernelRegistered');
    if (!event) fail('registerKernel emitted no KernelRegistered event');
    kernelIds[name] = event.args.id;
    item(`kernel ${event.args.id} (${name}, fee ${FEES[name]} wei): ${text}`);
  }
  for (const [name, id] of Object.entries(kernelIds)) {
    const k = await engine('krnl_getKernel', [`0x${id.toString(16)}`]);
    if (k.error) fail(`krnl_getKernel(${id}) failed: ${k.error.code} ${k.error.message}`);
    item(`engine sees kernel ${id} (${name}): kind ${k.result.kind}, active ${k.result.active}, fee ${BigInt(k.result.fee)}`);
  }

  title('the app on chain 31337: policy, app, token authority, registration, deposit');
  const policy = await deploy(home, deployer, 'RwaTradePolicy', [kernelIds.approval, kernelIds.metadata, kernelIds.did, MIN_SCORE]);
  item(`RwaTradePolicy ${policy.address} (kernels ${kernelIds.approval}/${kernelIds.metadata}/${kernelIds.did}, min score ${MIN_SCORE}; tx ${policy.hash})`);
  const app = await deploy(home, deployer, 'RwaTradeApp', [REGISTRY, deployer.address, kernelIds.did]);
  item(`RwaTradeApp ${app.address} (owner ${deployer.address}; tx ${app.hash})`);
  const authority = await deploy(home, deployer, 'TokenAuthority', [app.address, deployer.address, VAULT, policy.address, [OPERATOR], 1n]);
  item(`TokenAuthority ${authority.address} (signer ${OPERATOR}, k = 1; tx ${authority.hash})`);
  r = await send(home, deployer, 'KernelRegistry', REGISTRY, 'registerApp', [app.address, authority.address, Object.values(kernelIds)]);
  item(`app registered with its token authority and kernels (tx ${r.transactionHash})`);
  const deposit = parseEther('0.01');
  r = await send(home, deployer, 'KrnlVault', VAULT, 'deposit', [app.address], deposit);
  item(`deposited ${formatEther(deposit)} ETH for the app in KrnlVault (tx ${r.transactionHash})`);
  const quote = await engine('krnl_quote', [app.address, Object.values(kernelIds).map((id) => `0x${id.toString(16)}`)]);
  if (quote.error) fail(`krnl_quote failed: ${quote.error.code} ${quote.error.message}`);
  item(`engine quote: ${BigInt(quote.result.total)} wei per execution (node fee ${BigInt(quote.result.nodeFee)})`);

  title(`wallet A asks the engine for trade(asset ${ASSET}, amount ${AMOUNT})`);
  const requestA = executeRequest(app.address, walletA, kernelIds);
  item(`krnl_executeKernels ${JSON.stringify(requestA)}`);
  const answerA = await engine('krnl_executeKernels', [requestA]);
  if (answerA.error) {
    if (answerA.error.data?.responses) showResponses(answerA.error.data.responses, kernelIds);
    fail(`the engine refused wallet A: ${answerA.error.code} ${answerA.error.message}`);
  }
  showResponses(answerA.result.responses, kernelIds);
  item(`verdict: policy passed; signed by ${answerA.result.signers.join(', ')}, nonce ${answerA.result.nonce}, expiry ${answerA.result.expiry}, ${answerA.result.timings.totalMs} ms`);
  item(`payload: ${(answerA.result.payload.length - 2) / 2} bytes, digest ${answerA.result.digest}`);

  title('wallet A sends RwaTradeApp.trade(asset, amount, payload)');
  const depositBefore = await read(home, 'KrnlVault', VAULT, 'depositOf', [app.address]);
  r = await send(home, walletA, 'RwaTradeApp', app.address, 'trade', [ASSET, AMOUNT, answerA.result.payload]);
  const traded = r.events.find((e) => e.eventName === 'Traded');
  const consumed = r.events.find((e) => e.eventName === 'AttestationConsumed');
  if (!traded || !consumed) fail(`trade succeeded but did not emit Traded and AttestationConsumed (tx ${r.transactionHash})`);
  item(`tx ${r.transactionHash}: success, gas ${r.gasUsed}`);
  item(`Traded(wallet ${traded.args.wallet}, asset ${traded.args.assetId}, amount ${traded.args.amount}, didScore ${traded.args.didScore})`);
  item(`AttestationConsumed(nonce ${consumed.args.nonce}, signers ${consumed.args.signers.join(', ')}, charged ${consumed.args.charged} wei)`);
  const position = await read(home, 'RwaTradeApp', app.address, 'positionOf', [walletA.address, ASSET]);
  const depositAfter = await read(home, 'KrnlVault', VAULT, 'depositOf', [app.address]);
  if (position !== AMOUNT) fail(`wallet A's position is ${position}, expected ${AMOUNT}`);
  item(`position of A in asset ${ASSET}: ${position}; app deposit ${depositBefore} -> ${depositAfter} wei`);
  const replay = await simulate(walletA, app.address, answerA.result.payload);
  if (replay?.name !== 'NonceUsed') fail(`replaying A's payload should revert with NonceUsed, got ${replay ? replay.text : 'success'}`);
  item(`the same payload again: ${replay.text}`);

  title('wallet B asks the engine for the same trade');
  const requestB = executeRequest(app.address, walletB, kernelIds);
  const answerB = await engine('krnl_executeKernels', [requestB]);
  if (!answerB.error) fail(`the engine signed for wallet B, which is neither approved nor scored high enough (signers ${answerB.result.signers})`);
  item(`refused: code ${answerB.error.code}, "${answerB.error.message}"`);
  if (answerB.error.data?.responses) showResponses(answerB.error.data.responses, kernelIds);
  if (answerB.error.code !== POLICY_REFUSED) fail(`expected the policy's refusal (${POLICY_REFUSED}), got ${answerB.error.code}`);
  if (!answerB.error.message.includes('not approved')) fail(`expected the policy's reason "wallet is not approved ...", got "${answerB.error.message}"`);

  title("wallet B tries a payload the engine made for wallet A");
  const answerA2 = await engine('krnl_executeKernels', [executeRequest(app.address, walletA, kernelIds)]);
  if (answerA2.error) fail(`the engine refused wallet A the second time: ${answerA2.error.code} ${answerA2.error.message}`);
  item(`fresh payload for A (nonce ${answerA2.result.nonce})`);
  const stolen = await simulate(walletB, app.address, answerA2.result.payload);
  if (stolen?.name !== 'WrongSender') fail(`B using A's payload should revert with WrongSender, got ${stolen ? stolen.text : 'success'}`);
  item(`eth_call from B: reverts with ${stolen.text}`);
  const data = encodeFunctionData({ abi: A.RwaTradeApp.abi, functionName: 'trade', args: [ASSET, AMOUNT, answerA2.result.payload] });
  const { hash: hashB, receipt: receiptB } = await sendUnchecked(home, walletB, app.address, data);
  if (receiptB.status !== 'reverted') fail(`B's transaction with A's payload did not revert (tx ${hashB})`);
  item(`sent anyway: tx ${hashB} mined with status ${receiptB.status}; B's position stays ${await read(home, 'RwaTradeApp', app.address, 'positionOf', [walletB.address, ASSET])}`);
  r = await send(home, walletA, 'RwaTradeApp', app.address, 'trade', [ASSET, AMOUNT, answerA2.result.payload]);
  item(`the same payload from A still works: tx ${r.transactionHash}, position of A now ${await read(home, 'RwaTradeApp', app.address, 'positionOf', [walletA.address, ASSET])}`);

  title('what the metadata API served');
  for (const line of served) item(line);
  if (!served.some((l) => l.startsWith(`GET /assets/${ASSET} -> 200`))) fail('the engine never fetched the asset metadata');

  say('\nOK: wallet A traded with an attestation; wallet B was refused by the policy and could not use A\'s payload.');
}

/// eth_call of trade from `from`: the decoded revert, or null if it would succeed.
async function simulate(from, app, payload) {
  const data = encodeFunctionData({ abi: A.RwaTradeApp.abi, functionName: 'trade', args: [ASSET, AMOUNT, payload] });
  try {
    await home.pub.call({ account: from.address, to: app, data, gas: 3_000_000n });
    return null;
  } catch (e) {
    const raw = revertData(e);
    if (!raw) throw e;
    return describeRevert(raw);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`\nFAILED: ${e instanceof Failure ? e.message : e.stack ?? e}`);
    process.exit(1);
  },
);
