// The code of sdk/js/README.md: each region between the README marker comments (a name, then "end") is a
// ts block of the README, line for line (readme.test.ts checks it and runs these functions against krnld),
// so the README's examples compile and work.
import type { Abi, Address, Chain, PrivateKeyAccount } from "viem";
// README: imports
import { createPublicClient, createWalletClient, http, parseEther } from "viem";
import { writeContract } from "viem/actions";
import { createBundlerClient } from "viem/account-abstraction";
import {
  abis,
  createKrnlClient,
  decodeKernelResult,
  decodeKrnlValidatorSignature,
  deployTokenAuthority,
  depositToVault,
  DepositTooLowError,
  getDeposit,
  installKrnlValidatorCalls,
  krnlRequirement,
  krnlTransport,
  PolicyRefusedError,
  quote,
  registerApp,
  registerKernel,
  revertErrorOf,
  sendContractWrite,
  simulateContractWithKrnl,
  toKrnlSmartAccount,
  writeContractWithKrnl,
  type KernelSpec,
} from "../src/index.js";
// README end

/** The client: krnld answers krnl_* on every chain port. */
export async function theClient(chain: Chain, url: string) {
  // README: client
  const client = createKrnlClient({ chain, transport: http(url) });
  const info = await client.nodeInfo(); // the node's signer, home chain, registry and vault
  const kernels = await client.listKernels();
  // README end
  return { client, info, kernels };
}

/** A chain served by another node (Hardhat, anvil, a provider), krnld as the engine over it. */
export async function anotherNode(chain: Chain, chainUrl: string, engineUrl: string, account: PrivateKeyAccount) {
  // README: engine
  const client = createKrnlClient({ chain, transport: http(chainUrl), engine: engineUrl });
  const wallet = createWalletClient({ chain, account, transport: krnlTransport({ chain: http(chainUrl), engine: http(engineUrl) }) });
  // README end
  return { client, wallet, info: await client.nodeInfo() };
}

/** The builders: a kernel, the app's token authority, its registration and deposit. */
export async function setUp(p: {
  client: ReturnType<typeof createKrnlClient>;
  developer: PrivateKeyAccount;
  appOwner: PrivateKeyAccount;
  chain: Chain;
  url: string;
  app: Address;
  didRegistry: Address;
}) {
  const { client, chain, url, app, didRegistry } = p;
  const developerWallet = createWalletClient({ chain, account: p.developer, transport: http(url) });
  const ownerWallet = createWalletClient({ chain, account: p.appOwner, transport: http(url) });
  // README: builders
  // A kernel developer registers a kernel: a typed spec (evm-read, http or evm-compute) and a fee per run.
  const spec: KernelSpec = {
    kind: "evm-read", chainId: 31339, to: didRegistry, function: "scoreOf(address)", args: ["$sender"], outputs: ["uint256"],
  };
  const { id: kernelId } = await registerKernel(developerWallet, { spec, fee: 1_000n });

  // The app's owner: a token authority trusting the node's signer, the registration, the deposit fees come from.
  const info = await client.nodeInfo();
  const { address: tokenAuthority } = await deployTokenAuthority(ownerWallet, { app, signers: [info.signer], threshold: 1n });
  await registerApp(ownerWallet, { app, tokenAuthority, kernelIds: [kernelId] });
  await depositToVault(ownerWallet, { app, value: parseEther("0.01") });
  const { total } = await quote(client, { app, kernelIds: [kernelId] }); // wei per execution
  const deposit = await getDeposit(client, { app });
  // README end
  return { kernelId, tokenAuthority, total, deposit };
}

/** The app's function is `act(uint256 a, uint256 b, bytes payload)`: a KrnlConsumer. */
export async function attestedCall(p: { chain: Chain; url: string; user: PrivateKeyAccount; app: Address; appAbi: Abi; kernelId: bigint }) {
  const { chain, url, user, app, appAbi, kernelId } = p;
  // README: attested call
  const wallet = createWalletClient({ chain, account: user, transport: http(url) });
  // Runs the kernels for exactly this call, appends the signed payload as the last argument, sends, waits.
  const { receipt, execution, payload } = await writeContractWithKrnl(wallet, {
    address: app, abi: appAbi, functionName: "act", args: [42n, 1n], kernels: [{ id: kernelId }],
  });
  const [score] = decodeKernelResult(execution.responses[0]!, ["uint256"]); // what the kernel read
  console.log(receipt.status, score, payload.nonce, payload.kernelFees, payload.nodeFee);

  // Or simulate first: `request` goes to viem's writeContract (or simulateContract) as is.
  const { request, result } = await simulateContractWithKrnl(wallet, {
    address: app, abi: appAbi, functionName: "act", args: [43n, 1n], kernels: [{ id: kernelId }],
  });
  const hash = await writeContract(wallet, request);
  // README end
  return { receipt, score, result, hash, request };
}

// README: errors
/** What went wrong with an attested call, in words. */
async function explain(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    // The engine's refusals are classes per krnl_* code, with their data.
    if (error instanceof PolicyRefusedError) return `the app's policy refused: ${error.reason}`;
    if (error instanceof DepositTooLowError) return `the app's deposit ${error.available} is below ${error.needed}`;
    // A contract's revert, named from the ABI and the KRNL contracts' errors (NonceUsed, WrongSender, ...).
    const revert = revertErrorOf(error);
    if (revert) return `reverted with ${revert.name}(${revert.args.join(", ")})`;
    throw error;
  }
}
// README end
export { explain };

/** sendContractWrite for any contract: here the registry's updateApp. */
export async function ownContract(p: { chain: Chain; url: string; appOwner: PrivateKeyAccount; registry: Address; app: Address; tokenAuthority: Address; kernelId: bigint }) {
  const { chain, url, appOwner, registry, app, tokenAuthority, kernelId } = p;
  // README: send
  const owner = createWalletClient({ chain, account: appOwner, transport: http(url) });
  const { hash, receipt } = await sendContractWrite(owner, {
    address: registry, abi: abis.KernelRegistry, functionName: "updateApp", args: [app, tokenAuthority, [kernelId]],
  });
  // README end
  return { hash, receipt };
}

/** The smart account: set up for KRNL in one op, then ops the node attests. */
export async function smartAccount(p: { chain: Chain; url: string; owner: PrivateKeyAccount; funder: PrivateKeyAccount; kernelId: bigint; to: Address }) {
  const { chain, url, owner, kernelId, to } = p;
  const signer = (await createKrnlClient({ chain, transport: http(url) }).nodeInfo()).signer;
  const fund = async (address: Address) => {
    const funder = createWalletClient({ chain, account: p.funder, transport: http(url) });
    await createPublicClient({ chain, transport: http(url) }).waitForTransactionReceipt({ hash: await funder.sendTransaction({ to: address, value: parseEther("1") }) });
  };
  // README: account
  const client = createPublicClient({ chain, transport: http(url) });
  const root = await toKrnlSmartAccount({ client, owner, entryPoint: { version: "0.8" } }); // sudo mode, ECDSA owner
  await fund(root.address); // the account pays for its operations
  const bundler = createBundlerClient({ account: root, client, transport: http(url) }); // krnld's bundler

  // One op deploys the account, binds execute() to the KrnlValidator (trusting the node's signer, with the
  // kernels the engine must run for it), registers the account as its own app and funds its deposit.
  const calls = installKrnlValidatorCalls({
    account: root.address,
    config: { owner: owner.address, signers: [signer], requirements: [krnlRequirement({ kernels: [kernelId] })] },
    kernelIds: [kernelId],
    deposit: parseEther("0.01"),
  });
  await bundler.waitForUserOperationReceipt({ hash: await bundler.sendUserOperation({ calls }) });

  // From now on the owner signs in plugin mode; the bundler runs the kernels and appends the node's attestation.
  const account = await toKrnlSmartAccount({ client, owner, entryPoint: { version: "0.8" }, validator: { krnl: {} } });
  const gated = createBundlerClient({ account, client, transport: http(url) });
  const hash = await gated.sendUserOperation({ calls: [{ to, value: 1n }] });
  const { success } = await gated.waitForUserOperationReceipt({ hash });
  const { userOperation } = await gated.getUserOperation({ hash });
  const { attestation } = decodeKrnlValidatorSignature(userOperation.signature); // nonce, expiry, kernels, fees
  // README end
  return { account, success, attestation, nonce: userOperation.nonce };
}
