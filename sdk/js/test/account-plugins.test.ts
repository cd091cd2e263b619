// toKrnlSmartAccount's plugin and enable modes through viem's bundler client (and permissionless's
// client) on both EntryPoints: a session key bound to `execute` with setExecution (one sudo op) signs
// within its permissions; a passkey (a P-256 WebAuthn credential) is bound by its first op in enable
// mode with the owner's approval and signs in plugin mode afterwards; the ECDSAValidator with another
// key likewise.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign as nodeSign, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  bytesToHex,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  getAddress,
  hexToBigInt,
  hexToBytes,
  http,
  parseAbi,
  parseEther,
  sliceHex,
  type Address,
  type Hash,
  type PublicClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createBundlerClient, type WebAuthnAccount } from "viem/account-abstraction";
import * as P256 from "ox/P256";
import * as PublicKey from "ox/PublicKey";
import * as Signature from "ox/Signature";
import * as WebAuthnP256 from "ox/WebAuthnP256";
import { createSmartAccountClient } from "permissionless";
import {
  executeSelector,
  krnlAccountAbi,
  krnlAccountDeployments,
  krnlValidatorAddresses,
  passkeyFromWebAuthnAccount,
  passkeyInstallData,
  passkeyValidatorAbi,
  sessionKeyValidatorAbi,
  setExecutionCall,
  signatureModes,
  toKrnlSmartAccount,
  sessionKeyInstallData,
  type KrnlSmartAccount,
  type PasskeyCredential,
  type SessionKey,
  type WebAuthnAssertion,
} from "../src/index.js";
import { devAccount, startDevNode, type DevNode } from "./support/krnld.js";

let node: DevNode;
let publicClient: PublicClient;

before(async () => {
  node = await startDevNode();
  publicClient = createPublicClient({ chain: node.home.chain, transport: http(node.home.url) });
});
after(async () => node?.stop());

async function fund(to: Address, value: bigint): Promise<void> {
  const wallet = createWalletClient({ account: devAccount(1), chain: node.home.chain, transport: http(node.home.url) });
  const hash = await wallet.sendTransaction({ to, value });
  assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, "success");
}
const freshAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;
const bundlerFor = (account: KrnlSmartAccount) =>
  createBundlerClient({ account, client: publicClient, transport: http(node.home.url), pollingInterval: 50 });
async function send(account: KrnlSmartAccount, calls: { to: Address; value?: bigint; data?: `0x${string}` }[]) {
  const bundler = bundlerFor(account);
  const hash = await bundler.sendUserOperation({ calls });
  const receipt = await bundler.waitForUserOperationReceipt({ hash, timeout: 30_000 });
  const { userOperation } = await bundler.getUserOperation({ hash });
  return { receipt, userOperation };
}

/** A P-256 WebAuthn credential in software (what a platform authenticator does), signing with node:crypto. */
function softwarePasskey(): PasskeyCredential & { privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  return {
    privateKey,
    publicKey: { x: bytesToHex(Buffer.from(jwk.x as string, "base64url")), y: bytesToHex(Buffer.from(jwk.y as string, "base64url")) },
    async sign(challenge: Hash): Promise<WebAuthnAssertion> {
      const authenticatorData = Buffer.concat([createHash("sha256").update("sdk.krnl.test").digest(), Buffer.from([0x05, 0, 0, 0, 1])]);
      const clientDataJSON = JSON.stringify({
        type: "webauthn.get",
        challenge: Buffer.from(hexToBytes(challenge)).toString("base64url"),
        origin: "https://sdk.krnl.test",
        crossOrigin: false,
      });
      const signed = Buffer.concat([authenticatorData, createHash("sha256").update(clientDataJSON).digest()]);
      const rs = nodeSign("sha256", signed, { key: privateKey, dsaEncoding: "ieee-p1363" });
      return {
        authenticatorData: bytesToHex(authenticatorData),
        clientDataJSON,
        challengeIndex: clientDataJSON.indexOf('"challenge"'),
        typeIndex: clientDataJSON.indexOf('"type"'),
        r: hexToBigInt(bytesToHex(rs.subarray(0, 32))),
        s: hexToBigInt(bytesToHex(rs.subarray(32))), // high s too: the encoder normalises it
      };
    },
  };
}

/** The JSON-RPC error inside viem's error chain: its code and the bundler's message. */
function rpcErrorOf(e: unknown): { code: number | undefined; message: string } {
  for (let c: unknown = e; c && typeof c === "object"; c = (c as { cause?: unknown }).cause) {
    const { code, details } = c as { code?: unknown; details?: unknown };
    if (typeof code === "number" && code < -32000) return { code, message: String(details ?? "") };
  }
  return { code: undefined, message: String(e) };
}

/** Asserts `promise` is refused by the bundler for the signature: -32507 or an AA24 revert. */
async function refusedForSignature(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (e) => {
    const { code, message } = rpcErrorOf(e);
    assert.ok(code === -32507 || /AA24/.test(message), `expected a signature refusal, got ${code}: ${message}`);
    return true;
  });
}

/**
 * viem's WebAuthnAccount (what toWebAuthnAccount gives for a browser passkey) over a software P-256 key:
 * ox builds the authenticator data and client data a browser would, and signs them.
 */
function softwareWebAuthnAccount(): WebAuthnAccount {
  const privateKey = P256.randomPrivateKey();
  const account: WebAuthnAccount = {
    id: "sdk-test-credential",
    publicKey: PublicKey.toHex(P256.getPublicKey({ privateKey })),
    type: "webAuthn",
    async sign({ hash }) {
      const { metadata, payload } = WebAuthnP256.getSignPayload({ challenge: hash, origin: "https://sdk.krnl.test", rpId: "sdk.krnl.test" });
      const signature = P256.sign({ payload, privateKey, hash: true });
      // `raw` is the browser's PublicKeyCredential; nothing here reads it.
      return { signature: Signature.toHex(signature), webauthn: metadata, raw: {} as never };
    },
    signMessage: () => Promise.reject(new Error("not used")),
    signTypedData: () => Promise.reject(new Error("not used")),
  };
  return account;
}

const recorderAbi = parseAbi(["function transfer(address to, uint256 amount) returns (bool)"]);

for (const version of ["0.7", "0.8"] as const) {
  describe(`session key in plugin mode, EntryPoint v${version}`, () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const sessionSigner = privateKeyToAccount(generatePrivateKey());
    const allowed = freshAddress();
    const token = freshAddress(); // a call with calldata to a codeless address succeeds: the permission is what is tested
    let root: KrnlSmartAccount;
    let session: SessionKey;

    before(async () => {
      root = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version } });
      await fund(root.address, parseEther("1"));
      session = {
        signer: sessionSigner,
        permissions: [
          { target: allowed, valueLimit: 1000n },
          // transfer(to, amount) with amount <= 50 on `token`
          { target: token, selector: "0xa9059cbb", rules: [{ condition: "lte", offset: 32, value: 50n }] },
        ],
      };
    });

    test("the owner binds execute to the SessionKeyValidator in a sudo op (deploying the account)", async () => {
      const { receipt } = await send(root, [
        setExecutionCall({ account: root.address, validator: krnlValidatorAddresses.sessionKey, validatorData: sessionKeyInstallData(session) }),
      ]);
      assert.equal(receipt.success, true);
      const [, validator] = await publicClient.readContract({ address: root.address, abi: krnlAccountAbi, functionName: "executionOf", args: [executeSelector] });
      assert.equal(getAddress(validator), krnlValidatorAddresses.sessionKey);
      const [permissionsRoot] = await publicClient.readContract({
        address: krnlValidatorAddresses.sessionKey,
        abi: sessionKeyValidatorAbi,
        functionName: "sessionOf",
        args: [sessionSigner.address, root.address],
      });
      assert.notEqual(permissionsRoot, `0x${"00".repeat(32)}`);
    });

    test("the session key sends within its permissions (estimated with its stub), plugin-mode signatures", async () => {
      const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, validator: { sessionKey: session } });
      assert.equal(account.address, root.address);
      const { receipt, userOperation } = await send(account, [{ to: allowed, value: 999n }]);
      assert.equal(receipt.success, true);
      assert.equal(userOperation.signature.slice(0, 10), signatureModes.plugin);
      assert.equal(await publicClient.getBalance({ address: allowed }), 999n);
      const data = encodeFunctionData({ abi: recorderAbi, functionName: "transfer", args: [freshAddress(), 50n] });
      assert.equal((await send(account, [{ to: token, data }])).receipt.success, true);
    });

    test("a call outside the permissions is refused before anything is sent", async () => {
      const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, validator: { sessionKey: session } });
      const nonce = await account.getNonce();
      await assert.rejects(bundlerFor(account).sendUserOperation({ calls: [{ to: allowed, value: 1001n }] }), /no permission of the session allows this call/);
      const data = encodeFunctionData({ abi: recorderAbi, functionName: "transfer", args: [freshAddress(), 51n] });
      await assert.rejects(bundlerFor(account).sendUserOperation({ calls: [{ to: token, data }] }), /no permission/);
      await assert.rejects(bundlerFor(account).sendUserOperation({ calls: [{ to: allowed, value: 1n }, { to: allowed, value: 1n }] }), /no permission/, "a batch is not execute");
      assert.equal(await account.getNonce(), nonce);
    });

    test("another key claiming the session is refused by the bundler (AA24)", async () => {
      const impostor = await toKrnlSmartAccount({
        client: publicClient,
        owner,
        entryPoint: { version },
        validator: { sessionKey: { ...session, signer: { address: sessionSigner.address, signMessage: privateKeyToAccount(generatePrivateKey()).signMessage } } },
      });
      await refusedForSignature(
        bundlerFor(impostor).sendUserOperation({ calls: [{ to: allowed, value: 1n }], callGasLimit: 100_000n, verificationGasLimit: 300_000n, preVerificationGas: 100_000n }),
      );
    });
  });

  describe(`passkey in enable mode, then plugin mode, EntryPoint v${version}`, () => {
    // Enabling in the op that deploys the account writes the validator's storage of a not yet existing
    // account: ERC-7562 allows it only with a staked factory (STO-022). The factory stakes through
    // addStake, which anyone may fund.
    before(async () => {
      const wallet = createWalletClient({ account: devAccount(2), chain: node.home.chain, transport: http(node.home.url) });
      const hash = await wallet.writeContract({
        address: krnlAccountDeployments[version].factory,
        abi: parseAbi(["function addStake(uint32 unstakeDelaySec) payable"]),
        functionName: "addStake",
        args: [86_400],
        value: parseEther("1"),
      });
      assert.equal((await publicClient.waitForTransactionReceipt({ hash })).status, "success");
    });

    test("first op (deploys): enable binds execute to the PasskeyValidator with the owner's approval; later ops: plugin", async () => {
      const owner = privateKeyToAccount(generatePrivateKey());
      const passkey = softwarePasskey();
      const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, validator: { passkey }, mode: "enable" });
      await fund(account.address, parseEther("1"));
      const recipient = freshAddress();
      const first = await send(account, [{ to: recipient, value: 11n }]);
      assert.equal(first.receipt.success, true);
      assert.equal(first.userOperation.signature.slice(0, 10), signatureModes.enable);
      assert.equal(await publicClient.getBalance({ address: recipient }), 11n);
      const [x, y] = await publicClient.readContract({ address: krnlValidatorAddresses.passkey, abi: passkeyValidatorAbi, functionName: "keyOf", args: [account.address] });
      assert.deepEqual([x, y], [passkey.publicKey.x, passkey.publicKey.y]);
      assert.equal(await publicClient.readContract({ address: account.address, abi: krnlAccountAbi, functionName: "enableNonce" }), 1n);

      const second = await send(account, [{ to: recipient, value: 12n }]);
      assert.equal(second.receipt.success, true);
      assert.equal(second.userOperation.signature.slice(0, 10), signatureModes.plugin, "bound: plugin mode");
      assert.equal(await publicClient.getBalance({ address: recipient }), 23n);

      // Through permissionless's client, unchanged.
      const smart = createSmartAccountClient({ account, chain: node.home.chain, client: publicClient, bundlerTransport: http(node.home.url), pollingInterval: 50 });
      const tx = await smart.sendTransaction({ to: recipient, value: 1n });
      assert.equal((await publicClient.getTransactionReceipt({ hash: tx })).status, "success");
      assert.equal(await publicClient.getBalance({ address: recipient }), 24n);
    });

    test("viem's WebAuthn account as the passkey, bound with setExecution, signs in plugin mode", async () => {
      const owner = privateKeyToAccount(generatePrivateKey());
      const passkey = passkeyFromWebAuthnAccount(softwareWebAuthnAccount());
      const root = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version } });
      await fund(root.address, parseEther("1"));
      const bind = setExecutionCall({ account: root.address, validator: krnlValidatorAddresses.passkey, validatorData: passkeyInstallData(passkey.publicKey) });
      assert.equal((await send(root, [bind])).receipt.success, true);
      const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, validator: { passkey } });
      const recipient = freshAddress();
      const { receipt, userOperation } = await send(account, [{ to: recipient, value: 21n }]);
      assert.equal(receipt.success, true);
      assert.equal(userOperation.signature.slice(0, 10), signatureModes.plugin);
      assert.equal(await publicClient.getBalance({ address: recipient }), 21n);
    });

    test("a different passkey cannot use the bound validator (AA24)", async () => {
      const owner = privateKeyToAccount(generatePrivateKey());
      const passkey = softwarePasskey();
      const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, validator: { passkey }, mode: "enable" });
      await fund(account.address, parseEther("1"));
      assert.equal((await send(account, [{ to: freshAddress(), value: 1n }])).receipt.success, true);
      const other = softwarePasskey();
      const thief = await toKrnlSmartAccount({
        client: publicClient,
        owner,
        entryPoint: { version },
        address: account.address,
        validator: { passkey: { publicKey: passkey.publicKey, sign: other.sign } },
      });
      await refusedForSignature(
        bundlerFor(thief).sendUserOperation({ calls: [{ to: freshAddress(), value: 1n }], callGasLimit: 100_000n, verificationGasLimit: 500_000n, preVerificationGas: 100_000n }),
      );
    });
  });

  describe(`ECDSAValidator with another key in enable mode, EntryPoint v${version}`, () => {
    test("a second key enabled by the owner for execute sends on a deployed account", async () => {
      const owner = privateKeyToAccount(generatePrivateKey());
      const root = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version } });
      await fund(root.address, parseEther("1"));
      assert.equal((await send(root, [{ to: freshAddress(), value: 1n }])).receipt.success, true);
      const second = privateKeyToAccount(generatePrivateKey());
      const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version }, validator: { ecdsa: second }, mode: "enable" });
      const recipient = freshAddress();
      const { receipt, userOperation } = await send(account, [{ to: recipient, value: 5n }]);
      assert.equal(receipt.success, true);
      assert.equal(userOperation.signature.slice(0, 10), signatureModes.enable);
      assert.equal(sliceHex(userOperation.signature, 16, 36).toLowerCase(), krnlValidatorAddresses.ecdsa.toLowerCase(), "the enable data names the validator");
      assert.equal(await publicClient.getBalance({ address: recipient }), 5n);
      assert.equal((await send(account, [{ to: recipient, value: 5n }])).userOperation.signature.slice(0, 10), signatureModes.plugin);
    });
  });
}

test("mode checks: the root signs in sudo mode only; a KRNL validator is not enabled in enable mode", async () => {
  const owner = privateKeyToAccount(generatePrivateKey());
  await assert.rejects(toKrnlSmartAccount({ client: publicClient, owner, mode: "plugin" }), /needs a validator/);
  await assert.rejects(toKrnlSmartAccount({ client: publicClient, owner, validator: { ecdsa: owner }, mode: "sudo" }), /sudo mode is the root's/);
  await assert.rejects(toKrnlSmartAccount({ client: publicClient, owner, validator: { krnl: {} }, mode: "enable" }), /setExecution/);
});
