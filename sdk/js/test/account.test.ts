// toKrnlSmartAccount in sudo mode through viem's bundler client and permissionless's smart account
// client, unchanged, against krnld's built-in bundler on both EntryPoints: the first op deploys the
// account and pays, a batch runs on the deployed account, ERC-1271 signatures verify on chain, and an
// EIP-7702 EOA delegated to AccountV08 sends through the same client.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  parseEther,
  type Address,
  type PublicClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createBundlerClient } from "viem/account-abstraction";
import { createSmartAccountClient } from "permissionless";
import {
  decodeKrnlAccountCalls,
  delegationDesignator,
  isDelegatedToKrnl,
  krnlAccountAbi,
  krnlAccountDeployments,
  signKrnlAuthorization,
  signatureModes,
  toKrnlSmartAccount,
  walletClientOwner,
  type KrnlEntryPointVersion,
} from "../src/index.js";
import { devAccount, startDevNode, type DevNode } from "./support/krnld.js";

let node: DevNode;
let publicClient: PublicClient;
const funder = devAccount(1);

before(async () => {
  node = await startDevNode();
  publicClient = createPublicClient({ chain: node.home.chain, transport: http(node.home.url) });
});
after(async () => node?.stop());

async function fund(to: Address, value: bigint): Promise<void> {
  const wallet = createWalletClient({ account: funder, chain: node.home.chain, transport: http(node.home.url) });
  const hash = await wallet.sendTransaction({ to, value });
  assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, "success");
}

const freshAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;
const bundlerFor = (account: Awaited<ReturnType<typeof toKrnlSmartAccount>>) =>
  createBundlerClient({ account, client: publicClient, transport: http(node.home.url), pollingInterval: 50 });

for (const version of ["0.7", "0.8"] as const satisfies readonly KrnlEntryPointVersion[]) {
  describe(`sudo mode through viem's bundler client, EntryPoint v${version}`, () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    let account: Awaited<ReturnType<typeof toKrnlSmartAccount>>;

    test("the address is the factory's prediction, the entry point the version's", async () => {
      account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version } });
      assert.equal(account.entryPoint.address, krnlAccountDeployments[version].entryPoint);
      assert.equal(account.entryPoint.version, version);
      const predicted = await publicClient.readContract({
        address: krnlAccountDeployments[version].factory,
        abi: [{ type: "function", name: "getAddress", stateMutability: "view", inputs: [{ type: "address" }, { type: "uint256" }], outputs: [{ type: "address" }] }],
        functionName: "getAddress",
        args: [owner.address, 0n],
      });
      assert.equal(account.address, predicted);
      assert.equal(await account.isDeployed(), false);
      assert.equal(await account.getNonce(), 0n);
      const other = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, index: 1n });
      assert.notEqual(other.address, account.address, "another index is another account");
    });

    test("first op: deployed by its factory, sends ETH (estimated with the stub signature)", async () => {
      await fund(account.address, parseEther("1"));
      const bundler = bundlerFor(account);
      const recipient = freshAddress();
      const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: parseEther("0.1") }] });
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(getAddress(receipt.sender), account.address);
      assert.equal(await publicClient.getBalance({ address: recipient }), parseEther("0.1"));
      assert.equal(await account.isDeployed(), true);
      assert.equal(await publicClient.readContract({ address: account.address, abi: krnlAccountAbi, functionName: "rootSigner" }), owner.address);
      const { userOperation } = await bundler.getUserOperation({ hash });
      assert.equal(userOperation.signature.slice(0, 10), signatureModes.sudo);
      assert.equal((userOperation.signature.length - 2) / 2, 4 + 65, "sudo: mode word and a 65-byte ECDSA signature");
    });

    test("a batch of two calls on the deployed account (executeBatch, no factory)", async () => {
      const bundler = bundlerFor(account);
      const [a, b] = [freshAddress(), freshAddress()];
      const calls = [
        { to: a, value: 3n },
        { to: b, value: 4n },
      ];
      const callData = await account.encodeCalls(calls);
      assert.equal(callData.slice(0, 10), "0x34fcd5be", "executeBatch((address,uint256,bytes)[])");
      assert.deepEqual(decodeKrnlAccountCalls(callData), [
        { to: a, value: 3n, data: "0x" },
        { to: b, value: 4n, data: "0x" },
      ]);
      const hash = await bundler.sendUserOperation({ calls });
      const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(receipt.userOpHash, hash);
      assert.equal(await publicClient.getBalance({ address: a }), 3n);
      assert.equal(await publicClient.getBalance({ address: b }), 4n);
      const { userOperation } = await bundler.getUserOperation({ hash });
      assert.equal(userOperation.factory ?? undefined, undefined);
      assert.equal(userOperation.nonce, 1n);
    });

    test("signMessage and signTypedData are ERC-1271 signatures the account accepts (publicClient.verify*)", async () => {
      const message = "krnl sdk: hello";
      const signature = await account.signMessage({ message });
      assert.equal(signature.slice(0, 4), "0x00", "root prefix");
      assert.equal(await publicClient.verifyMessage({ address: account.address, message, signature }), true);
      assert.equal(await publicClient.verifyMessage({ address: account.address, message: "another message", signature }), false);
      const typed = {
        domain: { name: "Mail", version: "1", chainId: node.home.chainId },
        types: { Mail: [{ name: "contents", type: "string" }] },
        primaryType: "Mail",
        message: { contents: "hi" },
      } as const;
      const typedSig = await account.signTypedData(typed);
      assert.equal(await publicClient.verifyTypedData({ address: account.address, ...typed, signature: typedSig }), true);
      // Another owner's account of the same message: the signature names the account (its EIP-712 domain).
      const stranger = await toKrnlSmartAccount({ client: publicClient, owner: privateKeyToAccount(generatePrivateKey()), entryPoint: { version }, address: account.address });
      assert.equal(await publicClient.verifyMessage({ address: account.address, message, signature: await stranger.signMessage({ message }) }), false);
    });

    test("an undeployed account's signature verifies through ERC-6492", async () => {
      const fresh = await toKrnlSmartAccount({ client: publicClient, owner: privateKeyToAccount(generatePrivateKey()), entryPoint: { version } });
      const signature = await fresh.signMessage({ message: "before deployment" });
      assert.equal(await publicClient.verifyMessage({ address: fresh.address, message: "before deployment", signature }), true);
    });
  });

  describe(`permissionless createSmartAccountClient, EntryPoint v${version}`, () => {
    test("sendTransaction deploys and pays; sendUserOperation with a batch; a second sendTransaction", async () => {
      // The defaults spelled out: the owner's built-in ECDSA root, sudo mode.
      const account = await toKrnlSmartAccount({ client: publicClient, owner: privateKeyToAccount(generatePrivateKey()), entryPoint: { version }, validator: "ecdsa", mode: "sudo" });
      await fund(account.address, parseEther("1"));
      const smart = createSmartAccountClient({
        account,
        chain: node.home.chain,
        client: publicClient,
        bundlerTransport: http(node.home.url),
        pollingInterval: 50,
      });
      const to = freshAddress();
      const txHash = await smart.sendTransaction({ to, value: parseEther("0.2") });
      assert.equal((await publicClient.getTransactionReceipt({ hash: txHash })).status, "success");
      assert.equal(await publicClient.getBalance({ address: to }), parseEther("0.2"));
      assert.equal(await account.isDeployed(), true);

      const [a, b] = [freshAddress(), freshAddress()];
      const hash = await smart.sendUserOperation({ calls: [{ to: a, value: 1n }, { to: b, value: 2n }] });
      const receipt = await smart.waitForUserOperationReceipt({ hash, timeout: 30_000 });
      assert.equal(receipt.success, true);
      assert.equal(await publicClient.getBalance({ address: a }), 1n);
      assert.equal(await publicClient.getBalance({ address: b }), 2n);

      const again = await smart.sendTransaction({ to, value: 5n });
      assert.equal((await publicClient.getTransactionReceipt({ hash: again })).status, "success");
      assert.equal(await publicClient.getBalance({ address: to }), parseEther("0.2") + 5n);

      const message = "signed through the smart account client";
      const signature = await smart.signMessage({ message });
      assert.equal(await publicClient.verifyMessage({ address: account.address, message, signature }), true);
    });
  });
}

describe("an owner whose key the wallet holds (walletClientOwner over JSON-RPC: krnld signs for its dev accounts)", () => {
  for (const version of ["0.7", "0.8"] as const) {
    test(`v${version}: the wallet signs the op (personal_sign) and the ERC-1271 message (eth_signTypedData_v4)`, async () => {
      const wallet = createWalletClient({ account: devAccount(6).address, chain: node.home.chain, transport: http(node.home.url) });
      const owner = walletClientOwner(wallet);
      const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, index: 7n });
      await fund(account.address, parseEther("1"));
      const recipient = freshAddress();
      const bundler = bundlerFor(account);
      const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 77n }] });
      assert.equal((await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 })).success, true);
      assert.equal(await publicClient.getBalance({ address: recipient }), 77n);
      assert.equal(await publicClient.readContract({ address: account.address, abi: krnlAccountAbi, functionName: "rootSigner" }), devAccount(6).address);
      const signature = await account.signMessage({ message: "from the wallet" });
      assert.equal(await publicClient.verifyMessage({ address: account.address, message: "from the wallet", signature }), true);
    });
  }
});

describe("EIP-7702: an EOA delegated to AccountV08, through viem's bundler client", () => {
  test("the first op carries the authorization; the EOA is then a krnl account at its own address", async () => {
    const eoa = privateKeyToAccount(generatePrivateKey());
    await fund(eoa.address, parseEther("1"));
    const account = await toKrnlSmartAccount({ client: publicClient, owner: eoa, entryPoint: { version: "0.8" }, eip7702: true });
    assert.equal(account.address, eoa.address);
    assert.equal(await account.isDeployed(), false);
    assert.deepEqual(await account.getFactoryArgs(), { factory: "0x7702", factoryData: "0x" });
    const bundler = bundlerFor(account);
    const recipient = freshAddress();
    const authorization = await signKrnlAuthorization(publicClient, { owner: eoa });
    const hash = await bundler.sendUserOperation({ calls: [{ to: recipient, value: 12345n }], authorization });
    const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
    assert.equal(receipt.success, true);
    assert.equal(getAddress(receipt.sender), eoa.address);
    assert.equal(await publicClient.getBalance({ address: recipient }), 12345n);
    assert.equal((await publicClient.getCode({ address: eoa.address }))?.toLowerCase(), delegationDesignator());
    assert.equal(await isDelegatedToKrnl(publicClient, { address: eoa.address }), true);
    assert.equal(await isDelegatedToKrnl(publicClient, { address: freshAddress() }), false);

    // Delegated: no authorization needed any more; the EOA's key still signs (its root), and ERC-1271 works.
    const second = freshAddress();
    const hash2 = await bundler.sendUserOperation({ calls: [{ to: second, value: 7n }] });
    assert.equal((await bundler.waitForUserOperationReceipt({ hash: hash2, timeout: 30_000 })).success, true);
    assert.equal(await publicClient.getBalance({ address: second }), 7n);
    const signature = await account.signMessage({ message: "7702" });
    assert.equal(await publicClient.verifyMessage({ address: eoa.address, message: "7702", signature }), true);
  });

  test("EIP-7702 needs EntryPoint v0.8", async () => {
    await assert.rejects(
      toKrnlSmartAccount({ client: publicClient, owner: privateKeyToAccount(generatePrivateKey()), entryPoint: { version: "0.7" }, eip7702: true }),
      /v0\.8/,
    );
  });
});
