// @ts-check
// The seed's use case on the account side, on @krnl/sdk: the market on the home chain is a plain contract
// (RwaMarket: no payload, no KRNL import). The gate is in the wallets' smart accounts (toKrnlSmartAccount):
// each routes `execute` to the KrnlValidator, which demands the engine's attestation. krnld's bundler runs
// the three kernels when the user operation arrives, asks the account's policy and appends the
// attestation; the fees leave the account's deposit in KrnlVault when the operation executes.
//   wallet A's account trades through a user operation (viem's bundler client, unchanged);
//   wallet B's account is refused at eth_sendUserOperation with the policy's reason;
//   an EIP-7702 EOA delegated to AccountV08 (its own key is the owner) trades too.
//
//   node examples/rwa-did/run-account.mjs   (environment: see world.mjs; the bundler is on the home chain's port)
import {
  AttestationRefusedError, PolicyRefusedError, decodeKrnlValidatorSignature, getDeposit, installKrnlValidatorCalls, isDelegatedToKrnl, krnlRequirement,
  krnlValidatorAddresses, parseKrnlError, signKrnlAuthorization, toKrnlSmartAccount,
} from '@krnl/sdk';
import { encodeFunctionData, formatEther, http, parseEther, size, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createBundlerClient } from 'viem/account-abstraction';
import {
  AMOUNT, ASSET, MIN_SCORE, OPERATOR, checkNode, deploy, deployRwaAndDid, deployer, fail, home, item, registerKernels,
  runMain, say, served, showResponses, specs, title, walletA, walletB, withMetadataApi,
} from './world.mjs';

/** @typedef {import('@krnl/sdk').KrnlSmartAccount} KrnlSmartAccount */
const entryPoint = /** @type {const} */ ({ version: '0.8' }); // EIP-7702 delegates to AccountV08; the accounts use v0.8 too
const DEPOSIT = parseEther('0.01');
const bundlerFor = (/** @type {KrnlSmartAccount} */ account) =>
  createBundlerClient({ account, client: home.client, transport: http(home.url, { retryCount: 0 }), pollingInterval: 50 });

/**
 * Sends one user operation through viem's bundler client and waits for it.
 * @param {KrnlSmartAccount} account @param {Parameters<ReturnType<typeof bundlerFor>['sendUserOperation']>[0]} op
 */
async function userOp(account, op) {
  const bundler = bundlerFor(account);
  const hash = await bundler.sendUserOperation(op);
  const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
  if (!receipt.success) fail(`user operation ${hash} of ${account.address} reverted`);
  return { hash, receipt, bundler };
}

/** @param {string} metadataBase */
async function story(metadataBase) {
  // Fresh accounts per run (index), so the run repeats against the same node.
  const index = BigInt(Date.now());
  const eoa = privateKeyToAccount(generatePrivateKey());
  const rootA = await toKrnlSmartAccount({ client: home.client, owner: walletA, entryPoint, index });
  const rootB = await toKrnlSmartAccount({ client: home.client, owner: walletB, entryPoint, index });
  const rootE = await toKrnlSmartAccount({ client: home.client, owner: eoa, entryPoint, eip7702: true });
  say(`\naccount A ${rootA.address} (owner wallet A ${walletA.address}), account B ${rootB.address} (owner wallet B ${walletB.address})`);
  say(`EIP-7702 EOA ${eoa.address}`);

  const { platform, didRegistry } = await deployRwaAndDid({
    approved: [['account A', rootA.address], ['the EIP-7702 EOA', eoa.address]],
    scores: [
      ['account A', rootA.address, 85n],
      ['account B (no approval either)', rootB.address, 40n],
      ['the EIP-7702 EOA', eoa.address, 90n],
    ],
  });
  // An account's call is execute(market, 0, trade(asset, amount)): its first argument is the market, so
  // these kernels name the asset in their specs, and the policy admits trades of that asset only.
  const ids = await registerKernels(specs(platform, didRegistry, metadataBase, ASSET));
  const kernelIds = [ids.approval, ids.metadata, ids.did];

  title('the market and the account policy on chain 31337');
  const market = await deploy(home, deployer, 'RwaMarket', []);
  const positionOf = (/** @type {import('viem').Address} */ who) =>
    home.client.readContract({ address: market.address, abi: market.abi, functionName: 'positionOf', args: [who, ASSET] });
  item(`RwaMarket ${market.address}: trade(assetId, amount), no payload, no KRNL (tx ${market.hash})`);
  const rules = await deploy(home, deployer, 'RwaTradePolicy', [...kernelIds, MIN_SCORE]);
  const policy = await deploy(home, deployer, 'RwaAccountPolicy', [rules.address, market.address, ASSET]);
  item(`RwaAccountPolicy ${policy.address}: execute(market, 0, trade(${ASSET}, ...)) only,`);
  item(`  then RwaTradePolicy ${rules.address} on the kernels' results`);

  const requirement = krnlRequirement({ kernels: kernelIds });
  const setup = (/** @type {import('viem').Address} */ account, /** @type {import('viem').Address} */ owner) =>
    installKrnlValidatorCalls({
      account, kernelIds, deposit: DEPOSIT,
      config: { owner, signers: [OPERATOR], threshold: 1n, policy: policy.address, requirements: [requirement] },
    });
  const tradeCall = { to: market.address, data: encodeFunctionData({ abi: market.abi, functionName: 'trade', args: [ASSET, AMOUNT] }) };

  title(`accounts A and B: deployed and set up by installKrnlValidatorCalls in one sudo op each (EntryPoint v${entryPoint.version})`);
  item(`execute(address,uint256,bytes) -> KrnlValidator ${krnlValidatorAddresses.krnl}, requirement ${requirement}`);
  for (const [label, root, owner] of /** @type {const} */ ([['A', rootA, walletA], ['B', rootB, walletB]])) {
    await fund(root.address);
    const { hash, receipt } = await userOp(root, { calls: setup(root.address, owner.address) });
    item(`account ${label}: op ${hash} in tx ${receipt.receipt.transactionHash}`);
    item(`  registered as its own app, ${formatEther(DEPOSIT)} ETH deposited in KrnlVault`);
  }

  title("wallet A's account trades through a user operation: the bundler runs the three kernels");
  const krnl = { entryPoint, validator: { krnl: {} } };
  await trade('account A', await toKrnlSmartAccount({ client: home.client, owner: walletA, address: rootA.address, ...krnl }), tradeCall);

  title("wallet B's account asks for the same trade");
  const accountB = await toKrnlSmartAccount({ client: home.client, owner: walletB, address: rootB.address, ...krnl });
  const refusal = await bundlerFor(accountB).sendUserOperation({ calls: [tradeCall] }).then(
    (hash) => fail(`the bundler accepted account B's op ${hash}, which is neither approved nor scored high enough`),
    (e) => parseKrnlError(e) ?? e,
  );
  if (!(refusal instanceof AttestationRefusedError)) throw refusal;
  item(`eth_sendUserOperation refused: ${refusal.name}, code ${refusal.code}, reason "${refusal.reason}"`);
  item(`  the engine's error inside: ${refusal.engineError.name}, code ${refusal.engineCode}`);
  showResponses(refusal.responses, ids);
  if (!(refusal.engineError instanceof PolicyRefusedError) || !refusal.reason?.includes('not approved'))
    fail(`expected the policy's reason "wallet is not approved ...", not "${refusal.message}"`);
  const positionB = await positionOf(rootB.address);
  if (positionB !== 0n) fail(`account B holds ${positionB}`);
  item(`account B's position stays ${positionB}`);

  title('an EIP-7702 EOA delegates to AccountV08 and sets up in the same op; its own key is the owner');
  await fund(eoa.address);
  const authorization = await signKrnlAuthorization(home.client, { owner: eoa });
  const { hash, receipt } = await userOp(rootE, { calls: setup(eoa.address, zeroAddress), authorization });
  if (!(await isDelegatedToKrnl(home.client, { address: eoa.address }))) fail(`${eoa.address} does not delegate to AccountV08`);
  item(`op ${hash} in tx ${receipt.receipt.transactionHash}`);
  item(`  code of ${eoa.address} is now ${await home.client.getCode({ address: eoa.address })}: delegated to AccountV08`);
  await trade('the EIP-7702 EOA', await toKrnlSmartAccount({ client: home.client, owner: eoa, eip7702: true, ...krnl }), tradeCall);

  title('what the metadata API served');
  for (const line of served) item(line);
  say("\nOK: account A and the 7702 EOA traded through ops the bundler attested; account B was refused with the policy's reason.");

  /**
   * One KRNL-validated trade; checks the attestation's nonce, the position and the fees.
   * @param {string} label @param {KrnlSmartAccount} account @param {typeof tradeCall} call
   */
  async function trade(label, account, call) {
    const depositBefore = await getDeposit(home.client, { app: account.address });
    const started = performance.now();
    const { hash, receipt, bundler } = await userOp(account, { calls: [call] });
    const ms = Math.round(performance.now() - started);
    item(`op ${hash}: mined in tx ${receipt.receipt.transactionHash}, success, ${ms} ms from send to receipt`);
    const { userOperation } = await bundler.getUserOperation({ hash });
    const { mode, attestation } = decodeKrnlValidatorSignature(userOperation.signature);
    if (!attestation) return fail(`op ${hash} carries no attestation`);
    const { nonce, expiry, kernelIds: kernels, kernelFees: fees, nodeFee } = attestation;
    item(`signature: ${mode} mode | owner's 65 bytes | attestation appended by the node (${size(userOperation.signature) - 4 - 65} bytes)`);
    item(`  nonce = the op's nonce ${nonce}, expiry ${expiry}, kernels ${kernels.join('/')}`);
    if (nonce !== userOperation.nonce) fail(`the attestation's nonce ${nonce} is not the op's ${userOperation.nonce}`);
    const position = await positionOf(account.address);
    if (position !== AMOUNT) fail(`${label}'s position is ${position}, expected ${AMOUNT}`);
    const depositAfter = await getDeposit(home.client, { app: account.address });
    const charged = fees.reduce((a, b) => a + b, nodeFee);
    item(`position of ${label} in asset ${ASSET}: ${position}; deposit ${depositBefore} -> ${depositAfter} wei (fees ${charged})`);
    if (depositBefore - depositAfter !== charged) fail(`the vault charged ${depositBefore - depositAfter} wei, the attestation ${charged}`);
  }
}

/** Funds an account from the deployer. @param {import('viem').Address} to */
async function fund(to) {
  const hash = await home.wallet(deployer).sendTransaction({ to, value: parseEther('1') });
  if ((await home.client.waitForTransactionReceipt({ hash })).status !== 'success') fail(`funding ${to} failed`);
}

runMain(async () => {
  say('KRNL example on @krnl/sdk, account side: smart accounts gated by the same three kernels, checked by the bundler');
  await checkNode();
  const validatorCode = await home.client.getCode({ address: krnlValidatorAddresses.krnl });
  if ((validatorCode ?? '0x') === '0x') fail('no KrnlValidator: this krnld predates the account side of KRNL');
  await withMetadataApi(story);
});
