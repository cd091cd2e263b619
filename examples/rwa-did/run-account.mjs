// The seed's use case on the account side (issue 12): the market on the home chain is a plain contract
// (RwaMarket: no payload, no KRNL import). The gate is in the wallets' smart accounts: each routes its
// `execute` to the KrnlValidator, which demands the engine's attestation. The bundler in krnld runs the
// three kernels (RWA approval on 31338, asset metadata over HTTP, DID score on 31339) when the user
// operation arrives, asks the account's policy and appends the attestation; the fees are paid from the
// account's deposit in KrnlVault when the operation executes.
//   wallet A's account trades through a user operation (viem's bundler client, unchanged);
//   wallet B's account is refused at eth_sendUserOperation with the policy's reason;
//   an EIP-7702 EOA delegated to AccountV08 (its own key is the owner) trades too.
//
//   node examples/rwa-did/run-account.mjs
//
// Environment as run.mjs (KRNL_HOME_RPC, KRNL_RWA_RPC, KRNL_DID_RPC, KRNL_ENGINE_RPC, KRNL_CONTRACTS_OUT).
// The bundler answers on the home chain's port (krnld's [bundler]).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAbiParameters, encodeFunctionData, formatEther, getAddress, http, parseEther, sliceHex, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createBundlerClient, formatUserOperationRequest } from 'viem/account-abstraction';
import {
  A,
  AMOUNT,
  ASSET,
  ASSETS,
  MIN_SCORE,
  OPERATOR,
  VAULT,
  checkNode,
  deploy,
  deployRwaAndDid,
  deployer,
  fail,
  home,
  item,
  read,
  registerKernels,
  runMain,
  say,
  served,
  showResponses,
  specs,
  title,
  urls,
  use,
  walletA,
  walletB,
  withMetadataApi,
} from './world.mjs';

// The account client side is the bundler suite's (tests/bundler/lib): our account as a viem SmartAccount
// and the KrnlValidator's setup calls. They read the predeploys of the build this run uses.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.env.KRNL_PREDEPLOYS ??= join(resolve(root, process.env.KRNL_CONTRACTS_OUT ?? 'build/contracts'), 'predeploys.json');
const { KRNL_ACCOUNT, toKrnlAccount } = await import('../../tests/bundler/lib/krnl-account.mjs');
const { krnlPredeploys, requirement, setupCalls } = await import('../../tests/bundler/lib/krnl-validator.mjs');
const { buildUserOp } = await import('../../tests/bundler/lib/userop.mjs');

const VERSION = '0.8'; // EIP-7702 delegates to AccountV08; the smart accounts use v0.8 too
const ENTRY_POINT = KRNL_ACCOUNT[VERSION].entryPoint;
const DEPOSIT = parseEther('0.01');

const bundlerFor = (account) => createBundlerClient({ account, client: home.pub, transport: http(urls.home, { retryCount: 0 }), pollingInterval: 50 });
const tradeCall = (market) => ({ to: market, data: encodeFunctionData({ abi: A.RwaMarket.abi, functionName: 'trade', args: [ASSET, AMOUNT] }) });

/** The JSON-RPC error inside a viem error: {code, message, data}. */
function rpcErrorOf(e) {
  for (let c = e; c; c = c.cause) if (typeof c.code === 'number' && c.code < -32000) return { code: c.code, message: c.details ?? c.message, data: c.data };
  return null;
}

async function fund(address, value = parseEther('1')) {
  const hash = await home.wallet(deployer).sendTransaction({ to: address, value });
  const receipt = await home.pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success') fail(`funding ${address} failed`);
}

async function main() {
  say('KRNL example, account side: smart accounts gated by the RWA approval, the asset metadata and a DID score, checked by the bundler');
  await checkNode();
  const { validator } = krnlPredeploys();
  if (((await home.pub.getCode({ address: validator })) ?? '0x') === '0x') fail(`no KrnlValidator at ${validator}: this krnld predates the account side of KRNL`);
  use('RwaMarket', 'RwaAccountPolicy');
  await withMetadataApi((base) => story(base, validator));
}

async function story(metadataBase, validator) {
  title(`RWA metadata API listening on ${metadataBase}`);
  for (const [id, a] of ASSETS) item(`GET /assets/${id} -> status "${a.active ? 'active' : 'inactive'}" (${a.issuer})`);

  // Fresh accounts per run (index), so the run repeats against the same node.
  const index = BigInt(Date.now());
  const eoa = privateKeyToAccount(generatePrivateKey());
  const sudoA = await toKrnlAccount({ client: home.pub, owner: walletA, entryPointVersion: VERSION, index });
  const sudoB = await toKrnlAccount({ client: home.pub, owner: walletB, entryPointVersion: VERSION, index });
  const sudoE = await toKrnlAccount({ client: home.pub, owner: eoa, entryPointVersion: VERSION, address: eoa.address });
  say(`\naccount A ${sudoA.address} (owner wallet A ${walletA.address}), account B ${sudoB.address} (owner wallet B ${walletB.address}), EIP-7702 EOA ${eoa.address}`);

  const { platform, didRegistry } = await deployRwaAndDid({
    approved: [['account A', sudoA.address], ['the EIP-7702 EOA', eoa.address]],
    scores: [['account A', sudoA.address, 85n], ['account B (no approval either)', sudoB.address, 40n], ['the EIP-7702 EOA', eoa.address, 90n]],
  });
  // An account's call is execute(market, 0, trade(asset, amount)): its first argument is the market, so
  // these kernels name the asset in their specs, and the policy admits trades of that asset only.
  const kernelIds = await registerKernels(specs(platform.toLowerCase(), didRegistry.toLowerCase(), metadataBase, ASSET));

  title('the market and the account policy on chain 31337');
  const market = await deploy(home, deployer, 'RwaMarket', []);
  item(`RwaMarket ${market.address}: trade(assetId, amount), no payload, no KRNL (tx ${market.hash})`);
  const rules = await deploy(home, deployer, 'RwaTradePolicy', [kernelIds.approval, kernelIds.metadata, kernelIds.did, MIN_SCORE]);
  const policy = await deploy(home, deployer, 'RwaAccountPolicy', [rules.address, market.address, ASSET]);
  item(`RwaAccountPolicy ${policy.address}: execute(market, 0, trade(${ASSET}, ...)) only, then RwaTradePolicy ${rules.address} on the kernels' results`);

  const requirementText = requirement({ kernels: Object.values(kernelIds) });
  const setup = (account, owner) =>
    setupCalls({
      account,
      kernelIds: Object.values(kernelIds),
      deposit: DEPOSIT,
      config: { owner, signers: [OPERATOR], threshold: 1n, policy: policy.address, requirements: [requirementText] },
    });

  title(`accounts A and B: deployed and set up in one sudo user operation each (EntryPoint v${VERSION})`);
  item(`execute(address,uint256,bytes) -> KrnlValidator ${validator}, requirement ${requirementText}`);
  for (const [label, sudo, owner] of [['A', sudoA, walletA], ['B', sudoB, walletB]]) {
    await fund(sudo.address);
    const bundler = bundlerFor(sudo);
    const hash = await bundler.sendUserOperation({ calls: setup(sudo.address, owner.address) });
    const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
    if (!receipt.success) fail(`account ${label}'s setup op ${hash} reverted`);
    item(`account ${label}: op ${hash} in tx ${receipt.receipt.transactionHash}; registered as its own app, ${formatEther(DEPOSIT)} ETH deposited in KrnlVault`);
  }

  title("wallet A's account trades through a user operation: the bundler runs the three kernels");
  const accountA = await toKrnlAccount({ client: home.pub, owner: walletA, entryPointVersion: VERSION, address: sudoA.address, krnl: { executeUserOp: true } });
  await trade('account A', accountA, market.address, kernelIds);

  title("wallet B's account asks for the same trade");
  const accountB = await toKrnlAccount({ client: home.pub, owner: walletB, entryPointVersion: VERSION, address: sudoB.address, krnl: { executeUserOp: true } });
  let refusal = null;
  try {
    const hash = await bundlerFor(accountB).sendUserOperation({ calls: [tradeCall(market.address)] });
    fail(`the bundler accepted account B's op ${hash}, which is neither approved nor scored high enough`);
  } catch (e) {
    refusal = rpcErrorOf(e);
    if (!refusal) throw e;
  }
  item(`eth_sendUserOperation refused: code ${refusal.code}, "${refusal.message}"`);
  if (refusal.data?.responses) showResponses(refusal.data.responses, kernelIds);
  if (refusal.code !== -32500) fail(`expected -32500, got ${refusal.code}`);
  if (!refusal.message.includes('not approved')) fail(`expected the policy's reason "wallet is not approved ...", got "${refusal.message}"`);
  const positionB = await read(home, 'RwaMarket', market.address, 'positionOf', [sudoB.address, ASSET]);
  if (positionB !== 0n) fail(`account B holds ${positionB}`);
  item(`account B's position stays ${positionB}`);

  title('an EIP-7702 EOA delegates to AccountV08 and sets up in the same op; its own key is the owner');
  await fund(eoa.address);
  const authorization = await eoa.signAuthorization({ address: KRNL_ACCOUNT[VERSION].implementation, chainId: home.id, nonce: 0 });
  const op = await buildUserOp({
    account: sudoE,
    publicClient: home.pub,
    calls: setup(eoa.address, zeroAddress),
    overrides: { factory: '0x7702', factoryData: '0x', authorization, callGasLimit: 2_000_000n },
  });
  op.signature = await sudoE.signUserOperation(op);
  const sent = await home.pub.request({ method: 'eth_sendUserOperation', params: [formatUserOperationRequest(op), ENTRY_POINT] });
  const setupReceipt = await bundlerFor(sudoE).waitForUserOperationReceipt({ hash: sent, timeout: 30_000 });
  if (!setupReceipt.success) fail(`the EOA's setup op ${sent} reverted`);
  item(`op ${sent} in tx ${setupReceipt.receipt.transactionHash}: code of ${eoa.address} is now ${await home.pub.getCode({ address: eoa.address })}`);
  const accountE = await toKrnlAccount({ client: home.pub, owner: eoa, entryPointVersion: VERSION, address: eoa.address, krnl: { executeUserOp: true } });
  await trade('the EIP-7702 EOA', accountE, market.address, kernelIds);

  title('what the metadata API served');
  for (const line of served) item(line);
  say("\nOK: account A and the 7702 EOA traded through user operations the bundler attested; account B was refused with the policy's reason.");
}

/// One KRNL-validated trade through viem's bundler client; checks the position and the fees.
async function trade(label, account, market, kernelIds) {
  const bundler = bundlerFor(account);
  const depositBefore = await read(home, 'KrnlVault', VAULT, 'depositOf', [account.address]);
  const started = performance.now();
  const hash = await bundler.sendUserOperation({ calls: [tradeCall(market)] });
  const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
  const ms = performance.now() - started;
  if (!receipt.success) fail(`${label}'s trade op ${hash} reverted`);
  const { userOperation } = await bundler.getUserOperation({ hash });
  const part = sliceHex(userOperation.signature, 4 + 65);
  const [, nonce, expiry, ids, fees, nodeFee] = decodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint64' }, { type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }, { type: 'bytes' }],
    part,
  );
  item(`op ${hash}: mined in tx ${receipt.receipt.transactionHash}, success, ${Math.round(ms)} ms from send to receipt`);
  item(`signature: mode 1 | owner's 65 bytes | attestation of ${(part.length - 2) / 2} bytes appended by the node (nonce = the op's nonce ${nonce}, expiry ${expiry}, kernels ${ids.join('/')})`);
  if (nonce !== userOperation.nonce) fail(`the attestation's nonce ${nonce} is not the op's ${userOperation.nonce}`);
  const position = await read(home, 'RwaMarket', market, 'positionOf', [account.address, ASSET]);
  if (position !== AMOUNT) fail(`${label}'s position is ${position}, expected ${AMOUNT}`);
  const depositAfter = await read(home, 'KrnlVault', VAULT, 'depositOf', [account.address]);
  const charged = fees.reduce((a, b) => a + b, 0n) + nodeFee;
  item(`position of ${label} in asset ${ASSET}: ${position}; deposit ${depositBefore} -> ${depositAfter} wei (fees ${charged})`);
  if (depositBefore - depositAfter !== charged) fail(`the vault charged ${depositBefore - depositAfter} wei, the attestation says ${charged}`);
  if (getAddress(receipt.sender) !== getAddress(account.address)) fail('the receipt names another sender');
}

runMain(main);
