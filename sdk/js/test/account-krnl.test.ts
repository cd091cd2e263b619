// The KRNL validator path of toKrnlSmartAccount (docs/account-attestation.md) through viem's bundler
// client and permissionless's client, on both EntryPoints: one sudo op installs the KrnlValidator for
// `execute` with a requirement (a compute kernel doubling the call's value) and a policy (a value
// limit), registers the account as its own app and funds its deposit; then plugin-mode ops carry only
// the owner's signature, the node runs the kernel, asks the policy and appends the attestation, and the
// fees move in the vault. A policy refusal surfaces as AttestationRefusedError with the reason.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  parseEther,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createBundlerClient } from "viem/account-abstraction";
import { createSmartAccountClient } from "permissionless";
import {
  AttestationRefusedError,
  DepositTooLowError,
  PolicyRefusedError,
  decodeKrnlValidatorSignature,
  executeSelector,
  getDeposit,
  installKrnlValidatorCalls,
  krnlAccountAbi,
  krnlRequirement,
  krnlValidatorAbi,
  krnlValidatorAddresses,
  parseKrnlError,
  registerKernel,
  signKrnlAuthorization,
  signatureModes,
  toKrnlSmartAccount,
  type KrnlEntryPointVersion,
  type KrnlSmartAccount,
} from "../src/index.js";
import { devAccount, startDevNode, type DevNode } from "./support/krnld.js";

const NODE_FEE = 100n;
const KERNEL_FEE = 1_000n;
const FEES = NODE_FEE + KERNEL_FEE;
const VALUE_LIMIT = 1_000n;
const OPERATOR = devAccount(0); // engine.dev_key = 0: the node's signer
const ENGINE_TOML = `[engine]
home_chain = 31337
dev_key = 0
peers = []
node_fee = ${NODE_FEE}
`;

// A policy over the account's execute(target, value, data) and the runtime of a compute kernel.
const SOURCES = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;
struct Response { uint256 kernelId; bytes result; string err; }
contract ValueLimitPolicy {
    uint256 public immutable limit;
    constructor(uint256 limit_) { limit = limit_; }
    function evaluate(address, bytes4, bytes calldata args, Response[] calldata responses)
        external view returns (bool, string memory)
    {
        (, uint256 value,) = abi.decode(args, (address, uint256, bytes));
        if (value > limit) return (false, "policy: value above the limit");
        if (responses.length != 1 || abi.decode(responses[0].result, (uint256)) != 2 * value) return (false, "policy: kernel disagrees");
        return (true, "");
    }
}
contract Doubler {
    function double(uint256 x) external pure returns (uint256) { return x * 2; }
}
`;

interface Compiled {
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
}
function compile(): Record<string, Compiled> {
  const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: { "t.sol": { content: SOURCES } },
    settings: { evmVersion: "prague", outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const result: Record<string, Compiled> = {};
  for (const [name, c] of Object.entries(out.contracts["t.sol"] ?? {})) {
    result[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
  }
  return result;
}

let node: DevNode;
let publicClient: PublicClient;
let kernelId: bigint;
let policy: Address;

const walletOf = (i: number) => createWalletClient({ account: devAccount(i), chain: node.home.chain, transport: http(node.home.url) });

before(async () => {
  node = await startDevNode({ extra: ENGINE_TOML });
  publicClient = createPublicClient({ chain: node.home.chain, transport: http(node.home.url) });
  const contracts = compile();
  const policyArtifact = contracts["ValueLimitPolicy"] as Compiled;
  const deployHash = await walletOf(1).deployContract({ abi: policyArtifact.abi, bytecode: policyArtifact.bytecode, args: [VALUE_LIMIT] });
  const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash });
  assert.ok(deployed.contractAddress, "the policy deployed");
  policy = deployed.contractAddress;
  const registered = await registerKernel(walletOf(3), {
    spec: { kind: "evm-compute", code: (contracts["Doubler"] as Compiled).deployedBytecode, function: "double(uint256)", args: ["$args[1]"], outputs: ["uint256"] },
    fee: KERNEL_FEE,
    publicClient,
  });
  kernelId = registered.id;
});
after(async () => node?.stop());

async function fund(to: Address, value: bigint): Promise<void> {
  const hash = await walletOf(1).sendTransaction({ to, value });
  assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, "success");
}
const freshAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;
const bundlerFor = (account: KrnlSmartAccount) =>
  createBundlerClient({ account, client: publicClient, transport: http(node.home.url), pollingInterval: 50 });
const requirement = () => krnlRequirement({ kernels: [{ id: kernelId, required: true }] });

/** Sets a fresh account up for KRNL in one sudo op through the bundler client; the KRNL-mode account after. */
async function krnlAccount(version: KrnlEntryPointVersion, deposit = parseEther("0.01")) {
  const owner = privateKeyToAccount(generatePrivateKey());
  const root = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version } });
  await fund(root.address, parseEther("1"));
  const calls = installKrnlValidatorCalls({
    account: root.address,
    config: { owner: owner.address, signers: [OPERATOR.address], threshold: 1n, policy, requirements: [requirement()] },
    kernelIds: [kernelId],
    deposit,
  });
  const bundler = bundlerFor(root);
  const hash = await bundler.sendUserOperation({ calls });
  assert.equal((await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 })).success, true, "the setup op executed");
  const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, validator: { krnl: {} } });
  assert.equal(account.address, root.address);
  return { owner, account };
}

for (const version of ["0.7", "0.8"] as const) {
  describe(`KRNL validator, EntryPoint v${version}`, () => {
    let owner: ReturnType<typeof privateKeyToAccount>;
    let account: KrnlSmartAccount;

    before(async () => {
      ({ owner, account } = await krnlAccount(version));
    });

    test("setup: execute bound to the KrnlValidator with the owner, signer, policy and requirement; deposit in the vault", async () => {
      const [, validator] = await publicClient.readContract({ address: account.address, abi: krnlAccountAbi, functionName: "executionOf", args: [executeSelector] });
      assert.equal(getAddress(validator), krnlValidatorAddresses.krnl);
      const read = <F extends "servesApp" | "thresholdFor" | "ownerOf" | "policyFor">(functionName: F) =>
        publicClient.readContract({ address: krnlValidatorAddresses.krnl, abi: krnlValidatorAbi, functionName, args: [account.address] } as never);
      assert.equal(await read("servesApp"), true);
      assert.equal(await read("thresholdFor"), 1n);
      assert.equal(getAddress((await read("ownerOf")) as Address), owner.address);
      assert.equal(getAddress((await read("policyFor")) as Address), getAddress(policy));
      assert.equal(
        await publicClient.readContract({ address: krnlValidatorAddresses.krnl, abi: krnlValidatorAbi, functionName: "requirementOf", args: [account.address, executeSelector] }),
        requirement(),
      );
      assert.equal(await getDeposit(publicClient, { app: account.address }), parseEther("0.01"));
    });

    test("an op the kernel and policy pass: estimated and sent by viem, attested by the node, fees settled", async () => {
      const bundler = bundlerFor(account);
      const recipient = freshAddress();
      const before = await getDeposit(publicClient, { app: account.address });
      const callData = await account.encodeCalls([{ to: recipient, value: 5n }]);
      assert.equal(callData.slice(0, 10), "0x8dd7712f", "through executeUserOp, so the validator settles the fees");
      const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 5n }] });
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(await publicClient.getBalance({ address: recipient }), 5n);
      assert.equal(before - (await getDeposit(publicClient, { app: account.address })), FEES, "kernel fee + node fee");
      const { userOperation } = await bundler.getUserOperation({ hash });
      assert.equal(userOperation.signature.slice(0, 10), signatureModes.plugin);
      const decoded = decodeKrnlValidatorSignature(userOperation.signature);
      assert.equal(decoded.mode, "plugin");
      assert.equal(decoded.ownerSignature.length, 2 + 2 * 65);
      const attestation = decoded.attestation;
      assert.ok(attestation, "the node appended its attestation");
      assert.equal(attestation.nonce, userOperation.nonce);
      assert.equal(attestation.signatures.length, 2 + 2 * 65, "k = 1: one node signature");
      assert.deepEqual(attestation.kernelIds, [kernelId]);
      assert.deepEqual(attestation.kernelFees, [KERNEL_FEE]);
      assert.equal(attestation.nodeFee, NODE_FEE);
    });

    test("permissionless's sendTransaction takes the same path", async () => {
      const smart = createSmartAccountClient({ account, chain: node.home.chain, client: publicClient, bundlerTransport: http(node.home.url), pollingInterval: 50 });
      const to = freshAddress();
      const before = await getDeposit(publicClient, { app: account.address });
      const tx = await smart.sendTransaction({ to, value: 7n });
      assert.equal((await publicClient.getTransactionReceipt({ hash: tx })).status, "success");
      assert.equal(await publicClient.getBalance({ address: to }), 7n);
      assert.equal(before - (await getDeposit(publicClient, { app: account.address })), FEES);
    });

    test("a policy refusal: AttestationRefusedError carrying the policy's reason and the kernel's response; nothing charged", async () => {
      const before = await getDeposit(publicClient, { app: account.address });
      const nonce = await account.getNonce();
      await assert.rejects(bundlerFor(account).sendUserOperation({ calls: [{ to: freshAddress(), value: VALUE_LIMIT + 1n }] }), (e: unknown) => {
        const error = parseKrnlError(e);
        assert.ok(error instanceof AttestationRefusedError, `expected AttestationRefusedError, got ${String(error ?? e)}`);
        assert.equal(error.code, -32500);
        assert.equal(error.engineCode, -33003);
        assert.ok(error.engineError instanceof PolicyRefusedError);
        assert.equal(error.reason, "policy: value above the limit");
        assert.equal(error.responses.length, 1);
        assert.equal(error.responses[0]?.kernelId, kernelId);
        return true;
      });
      assert.equal(await getDeposit(publicClient, { app: account.address }), before);
      assert.equal(await account.getNonce(), nonce);
    });

    test("a deposit below the fees: refused with the amounts (DepositTooLowError inside)", async () => {
      const poor = await krnlAccount(version, FEES - 1n);
      await assert.rejects(bundlerFor(poor.account).sendUserOperation({ calls: [{ to: freshAddress(), value: 1n }] }), (e: unknown) => {
        const error = parseKrnlError(e);
        assert.ok(error instanceof AttestationRefusedError, `expected AttestationRefusedError, got ${String(error ?? e)}`);
        assert.equal(error.engineCode, -33002);
        assert.ok(error.engineError instanceof DepositTooLowError);
        assert.equal(error.engineError.needed, FEES);
        assert.equal(error.engineError.available, FEES - 1n);
        return true;
      });
    });
  });
}

describe("KRNL validator on an EIP-7702 EOA (EntryPoint v0.8): owner 0 is the EOA's own key", () => {
  test("the delegation and the setup in one op, then a KRNL-validated op", async () => {
    const eoa = privateKeyToAccount(generatePrivateKey());
    await fund(eoa.address, parseEther("1"));
    const root = await toKrnlSmartAccount({ client: publicClient, owner: eoa, entryPoint: { version: "0.8" }, eip7702: true });
    const calls = installKrnlValidatorCalls({
      account: eoa.address,
      config: { owner: zeroAddress, signers: [OPERATOR.address], policy, requirements: [requirement()] },
      kernelIds: [kernelId],
      deposit: parseEther("0.01"),
    });
    const bundler = bundlerFor(root);
    const setup = await bundler.sendUserOperation({ calls, authorization: await signKrnlAuthorization(publicClient, { owner: eoa }) });
    assert.equal((await bundler.waitForUserOperationReceipt({ hash: setup, timeout: 30_000 })).success, true);

    const account = await toKrnlSmartAccount({ client: publicClient, owner: eoa, entryPoint: { version: "0.8" }, eip7702: true, validator: { krnl: {} } });
    const krnlBundler = bundlerFor(account);
    const recipient = freshAddress();
    const before = await getDeposit(publicClient, { app: eoa.address });
    const hash = await krnlBundler.sendUserOperation({ calls: [{ to: recipient, value: 9n }] });
    assert.equal((await krnlBundler.waitForUserOperationReceipt({ hash, timeout: 30_000 })).success, true);
    assert.equal(await publicClient.getBalance({ address: recipient }), 9n);
    assert.equal(before - (await getDeposit(publicClient, { app: eoa.address })), FEES);
  });
});
