// Deploys what bench/krnl_bench.sh measures onto a running krnld (three chains, engine on): the
// seed's use case with its metadata API replaced by krnl-bench-engine's delay server. Prints one
// JSON line for krnl-bench-engine: the requests to send.
//
//   KRNL_HOME_RPC KRNL_RWA_RPC KRNL_DID_RPC  the three chains (default :8545/:8546/:8547)
//   KRNL_DELAY_URL                           krnl-bench's delay server (http://127.0.0.1:PORT)
//   KRNL_DELAY_MS                            how long the http kernel's service takes (default 20)
//   KRNL_CONTRACTS_OUT                       default build/contracts
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeAbiParameters,
  getAddress,
  http,
  parseEther,
  parseEventLogs,
  stringToHex,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, process.env.KRNL_CONTRACTS_OUT ?? 'build/contracts');
const delayUrl = process.env.KRNL_DELAY_URL;
const delayMs = Number(process.env.KRNL_DELAY_MS ?? 20);
if (!delayUrl) throw new Error('KRNL_DELAY_URL is required');

const MNEMONIC = 'test test test test test test test test test test test junk';
const [deployer, wallet, , kernelDev] = [0, 1, 2, 3].map((i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));
const OPERATOR = deployer.address; // the engine signs with dev account 0
const ASSET = 7n;

const artifact = (name) => JSON.parse(readFileSync(join(outdir, 'artifacts', `${name}.json`), 'utf8'));
const A = Object.fromEntries(
  ['KernelRegistry', 'KrnlVault', 'TokenAuthority', 'RwaTradeApp', 'RwaTradePolicy', 'RwaPlatform', 'DidRegistry'].map((n) => [n, artifact(n)]),
);
const predeploys = JSON.parse(readFileSync(join(outdir, 'predeploys.json'), 'utf8')).predeploys;
const predeployed = (name) => getAddress(predeploys.find((p) => p.name === name).address);
const REGISTRY = predeployed('KernelRegistry');
const VAULT = predeployed('KrnlVault');

function chainAt(url, id) {
  const chain = defineChain({ id, name: `c${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [url] } } });
  const transport = http(url, { retryCount: 0 });
  return {
    id,
    pub: createPublicClient({ chain, transport, pollingInterval: 20 }),
    wallet: (account) => createWalletClient({ chain, transport, account, pollingInterval: 20 }),
  };
}
const home = chainAt(process.env.KRNL_HOME_RPC ?? 'http://127.0.0.1:8545', 31337);
const rwa = chainAt(process.env.KRNL_RWA_RPC ?? 'http://127.0.0.1:8546', 31338);
const did = chainAt(process.env.KRNL_DID_RPC ?? 'http://127.0.0.1:8547', 31339);

async function mined(chain, hash, what) {
  const receipt = await chain.pub.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`${what} reverted on chain ${chain.id}`);
  return receipt;
}
async function deploy(chain, name, args) {
  const hash = await chain.wallet(deployer).deployContract({ abi: A[name].abi, bytecode: A[name].bytecode, args, gas: 12_000_000n });
  return getAddress((await mined(chain, hash, `deploying ${name}`)).contractAddress);
}
async function send(chain, from, name, address, functionName, args = [], value = 0n) {
  const hash = await chain.wallet(from).writeContract({ address, abi: A[name].abi, functionName, args, value, gas: 3_000_000n });
  const receipt = await mined(chain, hash, `${name}.${functionName}`);
  return parseEventLogs({ abi: A[name].abi, logs: receipt.logs });
}

// The registry stores keccak256 of the canonical JSON (sorted keys, no whitespace).
const canonical = (v) =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  : JSON.stringify(v);

async function registerKernel(kind, spec) {
  const events = await send(home, kernelDev, 'KernelRegistry', REGISTRY, 'registerKernel', [kind, stringToHex(canonical(spec)), 1000n]);
  return events.find((e) => e.eventName === 'KernelRegistered').args.id;
}

async function registerApp(kernelIds, policy) {
  const app = await deploy(home, 'RwaTradeApp', [REGISTRY, deployer.address, kernelIds.at(-1)]);
  const authority = await deploy(home, 'TokenAuthority', [app, deployer.address, VAULT, policy, [OPERATOR], 1n]);
  await send(home, deployer, 'KernelRegistry', REGISTRY, 'registerApp', [app, authority, kernelIds]);
  await send(home, deployer, 'KrnlVault', VAULT, 'deposit', [app], parseEther('100'));
  return app;
}

const platform = await deploy(rwa, 'RwaPlatform', [deployer.address]);
await send(rwa, deployer, 'RwaPlatform', platform, 'setApproval', [wallet.address, ASSET, true]);
const didRegistry = await deploy(did, 'DidRegistry', [deployer.address]);
await send(did, deployer, 'DidRegistry', didRegistry, 'setScore', [wallet.address, 85n]);

const approval = await registerKernel(0, {
  kind: 'evm-read', chainId: 31338, to: platform.toLowerCase(), function: 'isApproved(address,uint256)',
  args: ['$sender', '$args[0]'], outputs: ['bool'],
});
const metadata = await registerKernel(1, {
  kind: 'http', method: 'GET', url: `${delayUrl}/delay/${delayMs}/assets/{{$args[0]}}`,
  outputs: [{ path: '$.status', type: 'string' }], timeoutMs: 5000,
});
const score = await registerKernel(0, {
  kind: 'evm-read', chainId: 31339, to: didRegistry.toLowerCase(), function: 'scoreOf(address)',
  args: ['$sender'], outputs: ['uint256'],
});

// Three http kernels of different set delays (the slowest is KRNL_DELAY_MS): what running kernels
// at once is for.
const httpKernel = (ms) =>
  registerKernel(1, {
    kind: 'http', method: 'GET', url: `${delayUrl}/delay/${ms}/assets/{{$args[0]}}`,
    outputs: [{ path: '$.status', type: 'string' }], timeoutMs: 5000,
  });
const staggered = [metadata, await httpKernel(Math.round(delayMs / 2)), await httpKernel(Math.round(delayMs / 4))];

// The use case's app and policy (three kernels), an app of the two evm-read kernels alone and one
// of the three http kernels, whose token authorities have no policy.
const policy = await deploy(home, 'RwaTradePolicy', [approval, metadata, score, 70n]);
const threeKernelApp = await registerApp([approval, metadata, score], policy);
const NO_POLICY = '0x0000000000000000000000000000000000000000';
const evmReadApp = await registerApp([approval, score], NO_POLICY);
const httpApp = await registerApp(staggered, NO_POLICY);

const request = (app, ids) => ({
  app,
  chainId: '0x7a69',
  sender: wallet.address,
  function: 'trade(uint256,uint256,bytes)',
  args: encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [ASSET, 25n]),
  kernels: ids.map((id) => ({ id: `0x${id.toString(16)}`, inputs: [] })),
});
console.log(JSON.stringify({
  delayMs,
  threeKernels: request(threeKernelApp, [approval, metadata, score]),
  evmReadOnly: request(evmReadApp, [approval, score]),
  threeHttp: request(httpApp, staggered),
}));
