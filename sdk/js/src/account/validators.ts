// How each validator signs a user operation: the part of userOp.signature after the mode word (and,
// in enable mode, after the enable data). Each signer also gives a stub of the same shape for gas
// estimation: it runs the same validation path and fails the signature check instead of reverting.
import {
  concatHex,
  decodeFunctionData,
  encodeAbiParameters,
  hexToBigInt,
  keccak256,
  numberToHex,
  padHex,
  size,
  sliceHex,
  zeroAddress,
  type Address,
  type Hash,
  type Hex,
  type LocalAccount,
  type Account,
  type Chain,
  type Transport,
  type TypedDataDefinition,
  type WalletClient,
} from "viem";
import type { WebAuthnAccount } from "viem/account-abstraction";
import { krnlAccountAbi } from "./abi.js";
import { krnlValidatorAddresses } from "./addresses.js";
import { accountCallOf } from "./modes.js";

/**
 * Who signs with a secp256k1 key: a viem LocalAccount (privateKeyToAccount, mnemonicToAccount) or any
 * object with the same two methods (e.g. one that forwards to a browser wallet).
 */
export type KrnlOwner = Pick<LocalAccount, "address" | "signMessage" | "signTypedData">;

/**
 * A {@link KrnlOwner} that signs through a wallet client (e.g. a browser wallet over EIP-1193, or a JSON-RPC
 * account): messages with personal_sign, typed data with eth_signTypedData_v4.
 */
export function walletClientOwner(walletClient: WalletClient<Transport, Chain | undefined, Account>): KrnlOwner {
  const account = walletClient.account;
  return {
    address: account.address,
    signMessage: ({ message }) => walletClient.signMessage({ account, message }),
    signTypedData: (parameters) => walletClient.signTypedData({ account, ...(parameters as TypedDataDefinition) }),
  };
}

/** A validator's way of signing user operations for the account. */
export interface UserOperationValidator {
  readonly kind: "ecdsa" | "passkey" | "sessionKey" | "krnl";
  /** The validator contract bound to the selector (plugin and enable modes). */
  readonly address: Address;
  /** Its onInstall data (what enable mode and setExecution install); undefined when it cannot be enabled so. */
  readonly installData: Hex | undefined;
  /** The validator's signature of an operation with this userOpHash and callData. */
  signUserOperationHash(p: { hash: Hash; callData: Hex }): Promise<Hex>;
  /** A signature of the same shape that validation accepts as well-formed and then fails. */
  stubSignature(p: { callData: Hex }): Hex;
}

/** A well-formed 65-byte (r, s, v) signature that recovers to an address nobody holds the key of. */
export const stubEcdsaSignature: Hex =
  "0xfffffffffffffffffffffffffffffff0000000000000000000000000000000007aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1c";

/** The EIP-191 signature of a userOpHash, as the built-in root and the ECDSA, session-key and KRNL validators check it. */
export function signUserOperationHashWith(signer: Pick<KrnlOwner, "signMessage">, hash: Hash): Promise<Hex> {
  return signer.signMessage({ message: { raw: hash } });
}

// ---------------------------------------------------------------- ECDSA

/** ECDSAValidator (plugin or enable mode): `signer` signs the userOpHash as a personal message. */
export function ecdsaValidator(signer: KrnlOwner, address: Address = krnlValidatorAddresses.ecdsa): UserOperationValidator {
  return {
    kind: "ecdsa",
    address,
    installData: signer.address,
    signUserOperationHash: ({ hash }) => signUserOperationHashWith(signer, hash),
    stubSignature: () => stubEcdsaSignature,
  };
}

// ---------------------------------------------------------------- passkey (WebAuthn P-256)

/** A WebAuthn assertion as the authenticator returns it, with the offsets PasskeyValidator needs. */
export interface WebAuthnAssertion {
  authenticatorData: Hex;
  clientDataJSON: string;
  /** Index of `"challenge"` in clientDataJSON. */
  challengeIndex: number;
  /** Index of `"type"` in clientDataJSON. */
  typeIndex: number;
  r: bigint;
  s: bigint;
}

/** A P-256 WebAuthn credential: its public key and a way to sign a challenge (the userOpHash). */
export interface PasskeyCredential {
  publicKey: { x: Hex; y: Hex };
  sign(challenge: Hash): Promise<WebAuthnAssertion>;
}

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const webAuthnAuthType = [
  {
    type: "tuple",
    components: [
      { name: "authenticatorData", type: "bytes" },
      { name: "clientDataJSON", type: "string" },
      { name: "challengeIndex", type: "uint256" },
      { name: "typeIndex", type: "uint256" },
      { name: "r", type: "bytes32" },
      { name: "s", type: "bytes32" },
    ],
  },
] as const;

/** PasskeyValidator's signature: abi.encode(WebAuthnAuth), s normalised to the low half as the verifier requires. */
export function encodeWebAuthnSignature(a: WebAuthnAssertion): Hex {
  const s = a.s > P256_N / 2n ? P256_N - a.s : a.s;
  return encodeAbiParameters(webAuthnAuthType, [
    {
      authenticatorData: a.authenticatorData,
      clientDataJSON: a.clientDataJSON,
      challengeIndex: BigInt(a.challengeIndex),
      typeIndex: BigInt(a.typeIndex),
      r: numberToHex(a.r, { size: 32 }),
      s: numberToHex(s, { size: 32 }),
    },
  ]);
}

/** PasskeyValidator.onInstall's data: abi.encode(x, y). */
export function passkeyInstallData(publicKey: { x: Hex; y: Hex }): Hex {
  return encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [padHex(publicKey.x, { size: 32 }), padHex(publicKey.y, { size: 32 })]);
}

/** A {@link PasskeyCredential} from viem's WebAuthn account (toWebAuthnAccount: a browser passkey). */
export function passkeyFromWebAuthnAccount(account: WebAuthnAccount): PasskeyCredential {
  // An uncompressed P-256 key: 0x04 | x | y, or x | y.
  const key = size(account.publicKey) === 65 ? sliceHex(account.publicKey, 1) : account.publicKey;
  return {
    publicKey: { x: sliceHex(key, 0, 32), y: sliceHex(key, 32, 64) },
    async sign(challenge) {
      const { signature, webauthn } = await account.sign({ hash: challenge });
      return {
        authenticatorData: webauthn.authenticatorData,
        clientDataJSON: webauthn.clientDataJSON,
        challengeIndex: webauthn.challengeIndex ?? webauthn.clientDataJSON.indexOf('"challenge"'),
        typeIndex: webauthn.typeIndex ?? webauthn.clientDataJSON.indexOf('"type"'),
        r: hexToBigInt(sliceHex(signature, 0, 32)),
        s: hexToBigInt(sliceHex(signature, 32, 64)),
      };
    },
  };
}

/** A stub assertion shaped like a real one (37-byte authenticator data, a 32-byte challenge in base64url). */
function stubAssertion(): WebAuthnAssertion {
  const clientDataJSON = `{"type":"webauthn.get","challenge":"${"A".repeat(43)}","origin":"https://stub.invalid","crossOrigin":false}`;
  return {
    authenticatorData: `0x${"49".repeat(32)}0500000001`,
    clientDataJSON,
    challengeIndex: clientDataJSON.indexOf('"challenge"'),
    typeIndex: clientDataJSON.indexOf('"type"'),
    r: 1n,
    s: 1n,
  };
}

/** PasskeyValidator (plugin or enable mode): the credential signs the userOpHash as its WebAuthn challenge. */
export function passkeyValidator(credential: PasskeyCredential, address: Address = krnlValidatorAddresses.passkey): UserOperationValidator {
  return {
    kind: "passkey",
    address,
    installData: passkeyInstallData(credential.publicKey),
    signUserOperationHash: async ({ hash }) => encodeWebAuthnSignature(await credential.sign(hash)),
    stubSignature: () => encodeWebAuthnSignature(stubAssertion()),
  };
}

// ---------------------------------------------------------------- session keys

/** How a rule compares an argument word of the call with its value (SessionKeyValidator.Condition). */
export type SessionCondition = "eq" | "gt" | "lt" | "gte" | "lte" | "neq";
const conditionCode: Record<SessionCondition, number> = { eq: 0, gt: 1, lt: 2, gte: 3, lte: 4, neq: 5 };

/** A rule on the 32-byte argument word at `offset` (bytes after the called function's selector). */
export interface SessionRule {
  condition: SessionCondition;
  offset: number;
  value: bigint | Hex;
}

/** One thing a session key may do: call `target` with `selector` (none: a plain transfer), up to `valueLimit` wei, within `rules`. */
export interface SessionPermission {
  target: Address;
  /** 0x00000000 or absent: a call without calldata. */
  selector?: Hex | undefined;
  valueLimit?: bigint | undefined;
  rules?: readonly SessionRule[] | undefined;
}

/** A session: the key, what it may do, its validity window, use count and paymaster rule. */
export interface SessionKey {
  signer: Pick<KrnlOwner, "address" | "signMessage">;
  permissions: readonly SessionPermission[];
  /** Unix seconds; 0 or absent: unbounded. */
  validAfter?: number | undefined;
  validUntil?: number | undefined;
  /** How many operations it may validate; absent: unlimited. */
  uses?: number | undefined;
  /** "any" (default), "required" (some paymaster must sponsor) or the one paymaster allowed. */
  paymaster?: "any" | "required" | Address | undefined;
}

const permissionType = {
  type: "tuple",
  components: [
    { name: "target", type: "address" },
    { name: "selector", type: "bytes4" },
    { name: "valueLimit", type: "uint256" },
    {
      name: "rules",
      type: "tuple[]",
      components: [
        { name: "condition", type: "uint8" },
        { name: "offset", type: "uint32" },
        { name: "value", type: "bytes32" },
      ],
    },
  ],
} as const;

function permissionTuple(p: SessionPermission) {
  return {
    target: p.target,
    selector: p.selector ?? "0x00000000",
    valueLimit: p.valueLimit ?? 0n,
    rules: (p.rules ?? []).map((r) => ({
      condition: conditionCode[r.condition],
      offset: r.offset,
      value: typeof r.value === "bigint" ? numberToHex(r.value, { size: 32 }) : padHex(r.value, { size: 32 }),
    })),
  };
}

/** A permission's Merkle leaf: keccak256(keccak256(abi.encode(permission))). */
export function sessionPermissionLeaf(p: SessionPermission): Hash {
  return keccak256(keccak256(encodeAbiParameters([permissionType], [permissionTuple(p)])));
}

/** The sorted-pair Merkle root of the permissions (Solady MerkleProofLib) and each one's proof. */
export function sessionPermissionTree(permissions: readonly SessionPermission[]): { root: Hash; proofs: Hash[][] } {
  if (permissions.length === 0) throw new Error("a session needs at least one permission");
  let level = permissions.map(sessionPermissionLeaf);
  const proofs: Hash[][] = permissions.map(() => []);
  const index = permissions.map((_, i) => i);
  while (level.length > 1) {
    const next: Hash[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i] as Hash;
      const b = level[i + 1];
      if (b === undefined) next.push(a);
      else next.push(keccak256(hexToBigInt(a) < hexToBigInt(b) ? concatHex([a, b]) : concatHex([b, a])));
    }
    for (let p = 0; p < permissions.length; p++) {
      const i = index[p] as number;
      const sibling = level[i ^ 1];
      if (sibling !== undefined) (proofs[p] as Hash[]).push(sibling);
      index[p] = i >> 1;
    }
    level = next;
  }
  return { root: level[0] as Hash, proofs };
}

/** SessionKeyValidator.onInstall's data for `session`. */
export function sessionKeyInstallData(session: Omit<SessionKey, "signer"> & { signer: { address: Address } }): Hex {
  const paymaster = session.paymaster ?? "any";
  const [rule, paymasterAddress] =
    paymaster === "any" ? [0, zeroAddress] : paymaster === "required" ? [1, zeroAddress] : [2, paymaster];
  return encodeAbiParameters(
    [{ type: "address" }, { type: "bytes32" }, { type: "uint48" }, { type: "uint48" }, { type: "uint32" }, { type: "uint8" }, { type: "address" }],
    [
      session.signer.address,
      sessionPermissionTree(session.permissions).root,
      session.validAfter ?? 0,
      session.validUntil ?? 0,
      session.uses ?? 0xffffffff,
      rule,
      paymasterAddress,
    ],
  );
}

function ruleHolds(rule: SessionRule, data: Hex): boolean {
  const at = 4 + rule.offset;
  if (size(data) < at + 32) return false;
  const arg = hexToBigInt(sliceHex(data, at, at + 32));
  const v = typeof rule.value === "bigint" ? rule.value : hexToBigInt(rule.value);
  switch (rule.condition) {
    case "eq":
      return arg === v;
    case "gt":
      return arg > v;
    case "lt":
      return arg < v;
    case "gte":
      return arg >= v;
    case "lte":
      return arg <= v;
    case "neq":
      return arg !== v;
  }
}

/** The index of the first permission of `permissions` that allows the account call `callData`, or -1. */
export function matchSessionPermission(permissions: readonly SessionPermission[], callData: Hex): number {
  const call = accountCallOf(callData);
  let target: Address;
  let value: bigint;
  let data: Hex;
  try {
    const decoded = decodeFunctionData({ abi: krnlAccountAbi, data: call });
    if (decoded.functionName !== "execute") return -1;
    [target, value, data] = decoded.args;
  } catch {
    return -1;
  }
  const selector = size(data) >= 4 ? sliceHex(data, 0, 4) : "0x00000000";
  return permissions.findIndex(
    (p) =>
      p.target.toLowerCase() === target.toLowerCase() &&
      value <= (p.valueLimit ?? 0n) &&
      (p.selector ?? "0x00000000").toLowerCase() === selector.toLowerCase() &&
      (p.rules ?? []).every((r) => ruleHolds(r, data)),
  );
}

const sessionSignatureTypes = [{ type: "address" }, { type: "bytes" }, permissionType, { type: "bytes32[]" }] as const;

/**
 * SessionKeyValidator (plugin or enable mode, bound to `execute`): the signature is abi.encode(key,
 * EIP-191 signature of the userOpHash, the permission the call uses, its Merkle proof). Session keys
 * call `execute` only: one call per operation.
 */
export function sessionKeyValidator(session: SessionKey, address: Address = krnlValidatorAddresses.sessionKey): UserOperationValidator {
  const { proofs } = sessionPermissionTree(session.permissions);
  const permissionFor = (callData: Hex) => {
    const i = matchSessionPermission(session.permissions, callData);
    if (i < 0) throw new Error(`session key ${session.signer.address}: no permission of the session allows this call`);
    return { permission: permissionTuple(session.permissions[i] as SessionPermission), proof: proofs[i] as Hash[] };
  };
  return {
    kind: "sessionKey",
    address,
    installData: sessionKeyInstallData(session),
    async signUserOperationHash({ hash, callData }) {
      const { permission, proof } = permissionFor(callData);
      const signature = await signUserOperationHashWith(session.signer, hash);
      return encodeAbiParameters(sessionSignatureTypes, [session.signer.address, signature, permission, proof]);
    },
    stubSignature({ callData }) {
      const { permission, proof } = permissionFor(callData);
      return encodeAbiParameters(sessionSignatureTypes, [session.signer.address, stubEcdsaSignature, permission, proof]);
    },
  };
}

// ---------------------------------------------------------------- KRNL

/**
 * KrnlValidator (plugin mode): the owner signs the userOpHash; krnld's bundler runs the account's kernels
 * and appends the attestation at eth_estimateUserOperationGas and eth_sendUserOperation. Installed with
 * setExecution ({@link installKrnlValidatorCalls}), not in enable mode (the node attests plugin-mode ops).
 */
export function krnlValidator(owner: Pick<KrnlOwner, "signMessage">, address: Address = krnlValidatorAddresses.krnl): UserOperationValidator {
  return {
    kind: "krnl",
    address,
    installData: undefined,
    signUserOperationHash: ({ hash }) => signUserOperationHashWith(owner, hash),
    stubSignature: () => stubEcdsaSignature,
  };
}
