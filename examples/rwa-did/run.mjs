// @ts-check
// The seed's use case on @krnl/sdk against a running krnld (config/dev.toml): a DeFi app on the home chain
// (31337) lets a wallet trade a real-world asset only if the RWA platform (31338) approves the wallet for
// the asset, the asset's off-chain metadata says it is active, and the wallet's DID score (31339) is high
// enough. The engine runs the three kernels, asks the app's policy and signs; the app checks the payload.
//
//   node examples/rwa-did/run.mjs      (environment: see world.mjs)
import {
  PolicyRefusedError, abis, deployTokenAuthority, depositToVault, getDeposit, quote, registerApp, simulateContractWithKrnl,
  withKrnlErrors, writeContractWithKrnl,
} from '@krnl/sdk';
import { encodeFunctionData, formatEther, keccak256, parseEther, parseEventLogs } from 'viem';
import {
  AMOUNT, ASSET, MIN_SCORE, OPERATOR, checkNode, deploy, deployRwaAndDid, deployer, fail, home, item, registerKernels,
  revertOf, runMain, say, served, showResponses, specs, title, walletA, walletB, withMetadataApi,
} from './world.mjs';

/** @param {string} metadataBase @param {import('@krnl/sdk').NodeInfo} node */
async function story(metadataBase, node) {
  const { platform, didRegistry } = await deployRwaAndDid({
    approved: [['wallet A', walletA.address]],
    scores: [['wallet A', walletA.address, 85n], ['wallet B (no approval either)', walletB.address, 40n]],
  });
  const ids = await registerKernels(specs(platform, didRegistry, metadataBase));
  const kernelIds = [ids.approval, ids.metadata, ids.did];

  title('the app on chain 31337: policy and app (its own contracts), then token authority, registration, deposit (the SDK)');
  const owner = home.wallet(deployer);
  const policy = await deploy(home, deployer, 'RwaTradePolicy', [...kernelIds, MIN_SCORE]);
  item(`RwaTradePolicy ${policy.address} (kernels ${kernelIds.join('/')}, min score ${MIN_SCORE}; tx ${policy.hash})`);
  const app = await deploy(home, deployer, 'RwaTradeApp', [node.registry, deployer.address, ids.did]);
  item(`RwaTradeApp ${app.address} (owner ${deployer.address}; tx ${app.hash})`);
  const authority = await deployTokenAuthority(owner, { app: app.address, signers: [OPERATOR], threshold: 1n, policy: policy.address });
  item(`deployTokenAuthority: ${authority.address} (signer ${OPERATOR}, k = 1; tx ${authority.hash})`);
  item(`registerApp: tx ${(await registerApp(owner, { app: app.address, tokenAuthority: authority.address, kernelIds })).hash}`);
  const deposit = parseEther('0.01');
  item(`depositToVault: ${formatEther(deposit)} ETH for the app (tx ${(await depositToVault(owner, { app: app.address, value: deposit })).hash})`);
  const price = await quote(home.client, { app: app.address, kernelIds });
  item(`quote: ${price.total} wei per execution (kernels ${price.kernelFees.join('/')}, node ${price.nodeFee})`);

  const trade = { address: app.address, abi: app.abi, functionName: 'trade', args: [ASSET, AMOUNT], kernels: kernelIds.map((id) => ({ id })) };
  const positionOf = (/** @type {import('viem').Address} */ wallet) =>
    home.client.readContract({ address: app.address, abi: app.abi, functionName: 'positionOf', args: [wallet, ASSET] });

  title(`wallet A: writeContractWithKrnl(trade(${ASSET}, ${AMOUNT})) runs the kernels, appends the payload, sends and waits`);
  const depositBefore = await getDeposit(home.client, { app: app.address });
  const a = await writeContractWithKrnl(home.wallet(walletA), trade);
  showResponses(a.execution.responses, ids);
  item(`policy passed; signed by ${a.execution.signers.join(', ')} in ${a.execution.timings.totalMs} ms`);
  const p = a.payload;
  item(`payload (decoded): app ${p.app}, sender ${p.sender}, selector ${p.selector}, kernels ${p.kernelIds.join('/')}`);
  item(`  nonce ${p.nonce}, expiry ${p.expiry}, fees ${p.kernelFees.join('/')} + node ${p.nodeFee}, ${p.signatures.length / 2 - 1} signature bytes`);
  item(`tx ${a.hash}: success, gas ${a.receipt.gasUsed}`);
  const [traded] = parseEventLogs({ abi: app.abi, eventName: 'Traded', logs: a.receipt.logs });
  const [consumed] = parseEventLogs({ abi: abis.TokenAuthority, eventName: 'AttestationConsumed', logs: a.receipt.logs });
  if (!traded || !consumed) return fail(`trade did not emit Traded and AttestationConsumed (tx ${a.hash})`);
  item(`Traded(${Object.entries(traded.args).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  item(`AttestationConsumed(nonce ${consumed.args.nonce}, signers ${consumed.args.signers.join(', ')}, charged ${consumed.args.charged} wei)`);
  const depositAfter = await getDeposit(home.client, { app: app.address });
  const charged = p.kernelFees.reduce((x, y) => x + y, p.nodeFee);
  if ((await positionOf(walletA.address)) !== AMOUNT) fail(`wallet A's position is not ${AMOUNT}`);
  if (depositBefore - depositAfter !== charged || consumed.args.charged !== charged)
    fail(`the vault charged ${depositBefore - depositAfter} wei (event: ${consumed.args.charged}), the payload says ${charged}`);
  item(`position of A in asset ${ASSET}: ${AMOUNT}; app deposit ${depositBefore} -> ${depositAfter} wei (fees ${charged})`);
  const again = { ...trade, abi: withKrnlErrors(app.abi), args: [ASSET, AMOUNT, a.execution.payload], account: walletA };
  const replay = await revertOf(home.client.simulateContract(again));
  if (replay?.name !== 'NonceUsed') fail(`replaying A's payload should revert with NonceUsed, got ${replay?.text ?? 'success'}`);
  item(`the same payload again: ${replay.text}`);

  title('wallet B asks for the same trade: simulateContractWithKrnl throws the engine refusal as PolicyRefusedError');
  const refusal = await simulateContractWithKrnl(home.client, { ...trade, account: walletB }).then(
    () => fail('the engine signed for wallet B, which is neither approved nor scored high enough'),
    (e) => e,
  );
  if (!(refusal instanceof PolicyRefusedError)) throw refusal;
  item(`${refusal.name}: code ${refusal.code}, reason "${refusal.reason}"`);
  showResponses(refusal.responses, ids);
  if (!refusal.reason?.includes('not approved')) fail(`expected the policy's reason "wallet is not approved ...", not "${refusal.reason}"`);

  title('wallet B tries a payload the engine made for wallet A');
  const fresh = await simulateContractWithKrnl(home.client, { ...trade, account: walletA });
  item(`simulateContractWithKrnl for A: payload nonce ${fresh.payload.nonce}, the call simulated with it succeeds`);
  const stolen = await revertOf(home.client.simulateContract({ ...fresh.request, account: walletB }));
  if (stolen?.name !== 'WrongSender') fail(`B using A's payload should revert with WrongSender, got ${stolen?.text ?? 'success'}`);
  item(`eth_call from B: reverts with ${stolen.text}`);
  const { hash, status } = await sendUnchecked(walletB, app.address, encodeFunctionData(fresh.request));
  if (status !== 'reverted') fail(`B's transaction with A's payload did not revert (tx ${hash})`);
  item(`sent anyway: tx ${hash} mined with status ${status}; B's position stays ${await positionOf(walletB.address)}`);
  const second = await home.wallet(walletA).writeContract(fresh.request);
  if ((await home.client.waitForTransactionReceipt({ hash: second })).status !== 'success') fail(`A's second trade reverted (tx ${second})`);
  item(`the same payload from A still works: tx ${second}, position of A now ${await positionOf(walletA.address)}`);

  title('what the metadata API served');
  for (const line of served) item(line);
  if (!served.some((l) => l.startsWith(`GET /assets/${ASSET} -> 200`))) fail('the engine never fetched the asset metadata');
  say("\nOK: wallet A traded with an attestation; wallet B was refused by the policy and could not use A's payload.");
}

/**
 * Sends from `from` to the app without simulating and returns the mined receipt, reverted or not. Hardhat
 * mines a failing transaction but answers eth_sendRawTransaction with its revert, so the hash is computed here.
 * @param {import('viem').Account} from @param {import('viem').Address} to @param {import('viem').Hex} data
 */
async function sendUnchecked(from, to, data) {
  const wallet = home.wallet(from);
  const raw = await wallet.signTransaction(await wallet.prepareTransactionRequest({ to, data, gas: 3_000_000n }));
  const refusal = await home.client.request({ method: 'eth_sendRawTransaction', params: [raw] }).then(() => null, (e) => e);
  const receipt = await home.client.waitForTransactionReceipt({ hash: keccak256(raw), timeout: 20_000 }).catch((e) => {
    throw refusal ?? e; // never mined: the node's answer says why
  });
  return { hash: receipt.transactionHash, status: receipt.status };
}

runMain(async () => {
  say('KRNL example on @krnl/sdk: an RWA trade gated by an RWA approval (31338), asset metadata (HTTP) and a DID score (31339)');
  const node = await checkNode();
  say(`wallet A ${walletA.address}, wallet B ${walletB.address}`);
  await withMetadataApi((base) => story(base, node));
});
