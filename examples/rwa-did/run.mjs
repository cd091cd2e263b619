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
import { encodeAbiParameters, encodeFunctionData, formatEther, parseEther } from 'viem';
import {
  A,
  AMOUNT,
  ASSET,
  ASSETS,
  MIN_SCORE,
  OPERATOR,
  POLICY_REFUSED,
  REGISTRY,
  VAULT,
  checkNode,
  deploy,
  deployRwaAndDid,
  describeRevert,
  deployer,
  engine,
  fail,
  home,
  item,
  read,
  registerKernels,
  revertData,
  runMain,
  say,
  send,
  sendUnchecked,
  served,
  showResponses,
  specs,
  title,
  walletA,
  walletB,
  withMetadataApi,
} from './world.mjs';

const ENGINE_FUNCTION = process.env.KRNL_FUNCTION ?? 'trade(uint256,uint256,bytes)';

// ------------------------------------------------------------------ the engine

const TRADE_ARGS = [{ type: 'uint256' }, { type: 'uint256' }];

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


// ------------------------------------------------------------------ the story

async function main() {
  say('KRNL example: an RWA trade gated by an RWA approval (31338), off-chain asset metadata (HTTP) and a DID score (31339)');
  await checkNode();
  say(`wallet A ${walletA.address}, wallet B ${walletB.address}`);
  await withMetadataApi(story);
}

async function story(metadataBase) {
  title(`RWA metadata API listening on ${metadataBase}`);
  for (const [id, a] of ASSETS) item(`GET /assets/${id} -> status "${a.active ? 'active' : 'inactive'}" (${a.issuer})`);

  const { platform, didRegistry } = await deployRwaAndDid({
    approved: [['wallet A', walletA.address]],
    scores: [['wallet A', walletA.address, 85n], ['wallet B (no approval either)', walletB.address, 40n]],
  });
  const kernelIds = await registerKernels(specs(platform.toLowerCase(), didRegistry.toLowerCase(), metadataBase));

  title('the app on chain 31337: policy, app, token authority, registration, deposit');
  const policy = await deploy(home, deployer, 'RwaTradePolicy', [kernelIds.approval, kernelIds.metadata, kernelIds.did, MIN_SCORE]);
  item(`RwaTradePolicy ${policy.address} (kernels ${kernelIds.approval}/${kernelIds.metadata}/${kernelIds.did}, min score ${MIN_SCORE}; tx ${policy.hash})`);
  const app = await deploy(home, deployer, 'RwaTradeApp', [REGISTRY, deployer.address, kernelIds.did]);
  item(`RwaTradeApp ${app.address} (owner ${deployer.address}; tx ${app.hash})`);
  const authority = await deploy(home, deployer, 'TokenAuthority', [app.address, deployer.address, VAULT, policy.address, [OPERATOR], 1n]);
  item(`TokenAuthority ${authority.address} (signer ${OPERATOR}, k = 1; tx ${authority.hash})`);
  let r = await send(home, deployer, 'KernelRegistry', REGISTRY, 'registerApp', [app.address, authority.address, Object.values(kernelIds)]);
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

runMain(main);
