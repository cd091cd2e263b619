// @ts-check
// Replays krnld's genesis predeploys (build/contracts/predeploys.json) onto another node, e.g. a
// Hardhat node, so the KernelRegistry and KrnlVault sit at the addresses krnld uses: the
// deterministic deployment proxy by its presigned transaction (after funding its signer), then every
// CREATE2 deployment through the proxy. Sends from dev account 0 of the test mnemonic.
//
//   node examples/rwa-did/predeploys.mjs URL...
//
// Environment: KRNL_CONTRACTS_OUT (default build/contracts). Prints one line per node.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseError, concatHex, createPublicClient, createWalletClient, defineChain, getAddress, http } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MNEMONIC = 'test test test test test test test test test test test junk';

/** @typedef {import('viem').Address} Address */
/** @typedef {import('viem').Hex} Hex */
/** @typedef {{ name: string, address: Address, runtimeCode: Hex, deployment: { signer: Address, fundingWei: string, rawTransaction: Hex } }} Proxy */
/** @typedef {{ name: string, expectedAddress: Address, deployer: Address, salt: Hex, initCode: Hex }} Predeploy */
/** @typedef {{ predeploys: [Proxy, ...Predeploy[]] }} Manifest */

/** @returns {Manifest} */
export function loadManifest(outdir = resolve(root, process.env.KRNL_CONTRACTS_OUT ?? 'build/contracts')) {
  return JSON.parse(readFileSync(join(outdir, 'predeploys.json'), 'utf8'));
}

/**
 * Deploys what is missing at `url` and checks every predeploy's code is there; returns
 * { chainId, deployed: [names], addresses: {name: address} }.
 * @param {string} url @param {Manifest} manifest
 */
export async function replayPredeploys(url, manifest = loadManifest()) {
  const probe = createPublicClient({ transport: http(url, { retryCount: 0 }) });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const transport = http(url, { retryCount: 0 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 50 });
  const wallet = createWalletClient({ chain, transport, account: mnemonicToAccount(MNEMONIC), pollingInterval: 50 });
  const mined = async (/** @type {Hex} */ hash, /** @type {string} */ what) => {
    const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== 'success') throw new Error(`${what}: transaction ${hash} on chain ${chainId} reverted`);
  };
  const hasCode = async (/** @type {Address} */ address) => ((await pub.getCode({ address })) ?? '0x') !== '0x';

  const [proxy, ...rest] = manifest.predeploys;
  /** @type {string[]} */
  const deployed = [];
  if (!(await hasCode(proxy.address))) {
    await mined(await wallet.sendTransaction({ to: proxy.deployment.signer, value: BigInt(proxy.deployment.fundingWei) }), 'funding the proxy signer');
    await mined(await pub.request({ method: 'eth_sendRawTransaction', params: [proxy.deployment.rawTransaction] }), proxy.name);
    deployed.push(proxy.name);
  }
  if ((await pub.getCode({ address: proxy.address })) !== proxy.runtimeCode) throw new Error(`chain ${chainId}: ${proxy.name} at ${proxy.address} has other code`);
  /** @type {Record<string, Address>} */
  const addresses = { [proxy.name]: getAddress(proxy.address) };
  for (const p of rest) {
    if (!(await hasCode(p.expectedAddress))) {
      await mined(await wallet.sendTransaction({ to: p.deployer, data: concatHex([p.salt, p.initCode]), gas: 30_000_000n }), p.name);
      deployed.push(p.name);
    }
    if (!(await hasCode(p.expectedAddress))) throw new Error(`chain ${chainId}: ${p.name} is not at ${p.expectedAddress} after its deployment`);
    addresses[p.name] = getAddress(p.expectedAddress);
  }
  return { chainId, deployed, addresses };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const urls = process.argv.slice(2);
  if (urls.length === 0) {
    console.error('usage: node examples/rwa-did/predeploys.mjs URL...');
    process.exit(2);
  }
  try {
    const manifest = loadManifest();
    for (const url of urls) {
      const r = await replayPredeploys(url, manifest);
      console.log(`chain ${r.chainId} at ${url}: ${r.deployed.length} predeploys deployed, registry ${r.addresses.KernelRegistry}, vault ${r.addresses.KrnlVault}`);
    }
  } catch (e) {
    console.error(`predeploys: ${e instanceof BaseError ? e.shortMessage : e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
