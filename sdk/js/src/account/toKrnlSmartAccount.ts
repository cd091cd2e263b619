// krnl's Kernel-v2 account (contracts/src/account) as a viem SmartAccount, so that viem's
// createBundlerClient and permissionless's createSmartAccountClient drive it unchanged.
//
// What the contracts fix:
//  - initCode: AccountFactoryV07/V08.createAccount(owner, index): the built-in ECDSA root with signer
//    `owner`; the address is the factory's getAddress(owner, index). An EIP-7702 EOA is the account at
//    its own address (initCode 0x7702 and the EOA's authorization to AccountV08).
//  - nonce: the mode is in the signature, not the nonce key; one key (default 0) serves every op.
//  - signature: mode word | the root's (sudo) or the selector's validator's (plugin) signature; enable
//    mode puts the binding and the root's approval in between (modes.ts).
//  - ERC-1271: 0x00 | the owner's signature of AccountMessage(hash) in the account's EIP-712 domain.
import {
  concatHex,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  hashMessage,
  hashTypedData,
  type Address,
  type Chain,
  type Client,
  type Hash,
  type Hex,
  type JsonRpcAccount,
  type LocalAccount,
  type PrivateKeyAccount,
  type Transport,
  type TypedDataDefinition,
  zeroAddress,
} from "viem";
import {
  entryPoint07Abi,
  entryPoint08Abi,
  getUserOperationHash,
  toSmartAccount,
  type SmartAccount,
  type SmartAccountImplementation,
  type UserOperation,
} from "viem/account-abstraction";
import { getChainId, readContract } from "viem/actions";
import { krnlAccountAbi, krnlAccountFactoryAbi } from "./abi.js";
import { krnlAccountDeployments, type KrnlEntryPointVersion } from "./addresses.js";
import type { DelegatingOwner } from "./eip7702.js";
import {
  accountMessageTypedData,
  encodeEnableSignature,
  encodePluginSignature,
  encodeSudoSignature,
  enableTypedData,
  executeUserOpSelector,
  routedSelectorOf,
  type EnableData,
  type SignatureMode,
} from "./modes.js";
import {
  ecdsaValidator,
  krnlValidator,
  passkeyValidator,
  sessionKeyValidator,
  signUserOperationHashWith,
  stubEcdsaSignature,
  type KrnlOwner,
  type PasskeyCredential,
  type SessionKey,
  type UserOperationValidator,
} from "./validators.js";

/**
 * Which validator signs the account's operations:
 *  - "ecdsa" (default): the account's built-in ECDSA root, i.e. `owner`, in sudo mode;
 *  - {ecdsa}: the ECDSAValidator with another key; {passkey}: a WebAuthn P-256 credential;
 *    {sessionKey}: a session key and its permissions (plugin or enable mode);
 *  - {krnl}: the KrnlValidator (plugin mode; `owner` signs, the node appends the attestation).
 *    `executeUserOp` (default true) sends calls through ERC-4337's executeUserOp, which an op with
 *    kernel or node fees needs (the validator settles them at execution);
 *  - any {@link UserOperationValidator}.
 */
export type KrnlValidatorChoice =
  | "ecdsa"
  | { ecdsa: KrnlOwner }
  | { passkey: PasskeyCredential }
  | { sessionKey: SessionKey }
  | { krnl: { executeUserOp?: boolean | undefined } }
  | UserOperationValidator;

/** The client toKrnlSmartAccount reads the chain with (a public client of the chain). */
export type KrnlAccountClient = Client<Transport, Chain | undefined, JsonRpcAccount | LocalAccount | undefined>;

/** Parameters of {@link toKrnlSmartAccount}. */
export interface ToKrnlSmartAccountParameters {
  client: KrnlAccountClient;
  /** The root signer (the factory's owner; for EIP-7702 the EOA itself). */
  owner: KrnlOwner;
  /** Default version "0.7"; the address defaults to the canonical EntryPoint of the version. */
  entryPoint?: { address?: Address | undefined; version: KrnlEntryPointVersion } | undefined;
  /** The factory index (several accounts per owner). Default 0. */
  index?: bigint | undefined;
  /** An existing account's address (skips the factory's getAddress). */
  address?: Address | undefined;
  factoryAddress?: Address | undefined;
  /** The 2D nonce key of every operation (at most 2^53 - 1). Default 0. */
  nonceKey?: bigint | undefined;
  validator?: KrnlValidatorChoice | undefined;
  /**
   * "sudo" for the root (default); "plugin" (default for other validators) or "enable" otherwise. Enable
   * mode binds the validator to the call's selector in the first op (and signs in plugin mode once it is
   * bound). Enabling in the op that deploys the account needs a staked factory (ERC-7562 STO-022: the
   * validator writes storage of a not yet deployed account); on a deployed account it needs nothing.
   */
  mode?: SignatureMode | undefined;
  /** Enable mode: the validity window and executor the binding gets (default: unbounded, no executor). */
  enable?: { validAfter?: number | undefined; validUntil?: number | undefined; executor?: Address | undefined } | undefined;
  /** The owner is an EOA delegating to AccountV08 (EntryPoint v0.8 only): the account is at its address. */
  eip7702?: boolean | undefined;
}

/** What a krnl smart account carries besides viem's SmartAccount. */
export interface KrnlAccountExtension {
  abi: typeof krnlAccountAbi;
  factory: { address: Address; abi: typeof krnlAccountFactoryAbi };
  owner: KrnlOwner;
  /** The validator of plugin and enable modes (undefined: the root, sudo mode). */
  validator: UserOperationValidator | undefined;
  mode: SignatureMode;
  /** Whether calls go through executeUserOp. */
  executeUserOp: boolean;
}

type KrnlEntryPointAbi = typeof entryPoint07Abi | typeof entryPoint08Abi;

/** viem's implementation type of a krnl account. */
export type KrnlSmartAccountImplementation = SmartAccountImplementation<
  KrnlEntryPointAbi,
  KrnlEntryPointVersion,
  KrnlAccountExtension,
  boolean
>;

/** A krnl account as a viem SmartAccount. */
export type KrnlSmartAccount = SmartAccount<KrnlSmartAccountImplementation>;

/** A call of an operation, viem's shape. */
interface Call {
  to: Hex;
  data?: Hex | undefined;
  value?: bigint | undefined;
}

/** The account call of `calls`: execute for one, executeBatch for more. */
export function encodeKrnlAccountCalls(calls: readonly Call[]): Hex {
  const only = calls.length === 1 ? calls[0] : undefined;
  if (only) {
    return encodeFunctionData({ abi: krnlAccountAbi, functionName: "execute", args: [only.to, only.value ?? 0n, only.data ?? "0x"] });
  }
  return encodeFunctionData({
    abi: krnlAccountAbi,
    functionName: "executeBatch",
    args: [calls.map((c) => ({ target: c.to, value: c.value ?? 0n, data: c.data ?? "0x" }))],
  });
}

/** The calls of account callData (execute, executeBatch, either behind executeUserOp). */
export function decodeKrnlAccountCalls(data: Hex): Call[] {
  const call: Hex = data.slice(0, 10).toLowerCase() === executeUserOpSelector ? `0x${data.slice(10)}` : data;
  const decoded = decodeFunctionData({ abi: krnlAccountAbi, data: call });
  if (decoded.functionName === "execute") {
    const [to, value, callData] = decoded.args;
    return [{ to, value, data: callData }];
  }
  if (decoded.functionName === "executeBatch") return decoded.args[0].map((c) => ({ to: c.target, value: c.value, data: c.data }));
  throw new Error(`krnl account: callData calls ${decoded.functionName}, not execute or executeBatch`);
}

function resolveValidator(choice: KrnlValidatorChoice | undefined, owner: KrnlOwner): UserOperationValidator | undefined {
  if (choice === undefined || choice === "ecdsa") return undefined;
  if ("kind" in choice) return choice;
  if ("ecdsa" in choice) return ecdsaValidator(choice.ecdsa);
  if ("passkey" in choice) return passkeyValidator(choice.passkey);
  if ("sessionKey" in choice) return sessionKeyValidator(choice.sessionKey);
  return krnlValidator(owner);
}

/**
 * krnl's smart account as a viem SmartAccount (viem's createBundlerClient and permissionless's
 * createSmartAccountClient take it as is): sudo mode signed by the owner, or plugin/enable mode signed
 * by an ECDSA, passkey, session-key or KRNL validator; optionally an EIP-7702 EOA.
 *
 * @example
 * const account = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version: "0.8" } });
 * const bundler = createBundlerClient({ account, client: publicClient, transport: http(krnldUrl) });
 * await bundler.sendUserOperation({ calls: [{ to, value }] });
 * // After installKrnlValidatorCalls in one such op, KRNL-attested ops:
 * const krnl = await toKrnlSmartAccount({ client: publicClient, owner, entryPoint: { version: "0.8" }, validator: { krnl: {} } });
 */
export async function toKrnlSmartAccount(p: ToKrnlSmartAccountParameters): Promise<KrnlSmartAccount> {
  const { client, owner } = p;
  const version = p.entryPoint?.version ?? "0.7";
  const deployment = krnlAccountDeployments[version];
  if (!deployment) throw new Error(`toKrnlSmartAccount: no krnl account for EntryPoint ${String(version)}`);
  const entryPoint = {
    address: p.entryPoint?.address ?? deployment.entryPoint,
    abi: (version === "0.8" ? entryPoint08Abi : entryPoint07Abi) as KrnlEntryPointAbi,
    version,
  };
  const validator = resolveValidator(p.validator, owner);
  const mode: SignatureMode = p.mode ?? (validator ? "plugin" : "sudo");
  if (!validator && mode !== "sudo") throw new Error(`toKrnlSmartAccount: ${mode} mode needs a validator other than the root`);
  if (validator && mode === "sudo") throw new Error("toKrnlSmartAccount: sudo mode is the root's; choose plugin or enable mode for a validator");
  if (mode === "enable" && validator?.installData === undefined) {
    throw new Error(`toKrnlSmartAccount: the ${validator?.kind} validator is installed with setExecution, not in enable mode`);
  }
  const krnlChoice = typeof p.validator === "object" && "krnl" in p.validator ? p.validator.krnl : undefined;
  const executeUserOp = krnlChoice ? krnlChoice.executeUserOp !== false : validator?.kind === "krnl";

  const factory = p.factoryAddress ?? deployment.factory;
  const factoryData = encodeFunctionData({ abi: krnlAccountFactoryAbi, functionName: "createAccount", args: [owner.address, p.index ?? 0n] });
  let authorization: { account: PrivateKeyAccount; address: Address } | undefined;
  if (p.eip7702) {
    if (version !== "0.8") throw new Error("toKrnlSmartAccount: EIP-7702 delegation needs EntryPoint v0.8");
    const delegating = owner as Partial<DelegatingOwner>;
    if (typeof delegating.signAuthorization !== "function") {
      throw new Error("toKrnlSmartAccount: an EIP-7702 owner must sign authorizations (a viem local account)");
    }
    // viem types the delegating account as PrivateKeyAccount; it only uses address and signAuthorization.
    authorization = { account: owner as PrivateKeyAccount, address: deployment.implementation };
  }
  const address = getAddress(
    p.address ??
      (p.eip7702
        ? owner.address
        : await readContract(client, { address: factory, abi: krnlAccountFactoryAbi, functionName: "getAddress", args: [owner.address, p.index ?? 0n] })),
  );
  const nonceKey = p.nonceKey ?? 0n;
  // viem's nonce key manager speaks numbers.
  if (nonceKey < 0n || nonceKey > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`toKrnlSmartAccount: nonceKey ${nonceKey} is out of range`);
  let chainIdCache: number | undefined = client.chain?.id;
  const chainId = async (): Promise<number> => (chainIdCache ??= await getChainId(client));
  let deployed = false;
  const isDeployed = async (): Promise<boolean> => {
    if (deployed) return true;
    const code = await client.request({ method: "eth_getCode", params: [address, "latest"] });
    deployed = code !== undefined && code !== "0x";
    return deployed;
  };

  // Enable mode: the root's approval depends on the selector and the account's enable nonce only,
  // not on the op, so the stub carries the real one (estimation then runs the binding) and the
  // signature reuses it.
  const approvals = new Map<string, Hex>();
  const enableWindow = {
    validAfter: p.enable?.validAfter ?? 0,
    validUntil: p.enable?.validUntil ?? 0,
    executor: p.enable?.executor ?? zeroAddress,
  };
  async function enablePrefixFor(v: UserOperationValidator, callData: Hex): Promise<(EnableData & { approval: Hex }) | undefined> {
    const selector = routedSelectorOf(callData);
    let nonce = 0n;
    if (await isDeployed()) {
      const [, bound] = await readContract(client, { address, abi: krnlAccountAbi, functionName: "executionOf", args: [selector] });
      if (bound.toLowerCase() === v.address.toLowerCase()) return undefined; // bound already: plugin mode
      nonce = await readContract(client, { address, abi: krnlAccountAbi, functionName: "enableNonce" });
    }
    const data: EnableData = { selector, validator: v.address, validatorData: v.installData ?? "0x", ...enableWindow };
    const key = `${selector}:${nonce}`;
    let approval = approvals.get(key);
    if (!approval) {
      approval = await owner.signTypedData(enableTypedData({ ...data, account: address, chainId: await chainId(), nonce }));
      approvals.set(key, approval);
    }
    return { ...data, approval };
  }

  async function signature(callData: Hex, sign: (v: UserOperationValidator | undefined) => Promise<Hex>): Promise<Hex> {
    if (!validator) return encodeSudoSignature(await sign(undefined));
    if (mode === "enable") {
      const prefix = await enablePrefixFor(validator, callData);
      if (prefix) return encodeEnableSignature({ ...prefix, validatorSignature: await sign(validator) });
    }
    return encodePluginSignature(await sign(validator));
  }

  const erc1271 = async (hash: Hash): Promise<Hex> =>
    concatHex(["0x00", await owner.signTypedData(accountMessageTypedData({ account: address, chainId: await chainId(), hash }))]);

  const implementation: KrnlSmartAccountImplementation = {
    client,
    entryPoint,
    extend: { abi: krnlAccountAbi, factory: { address: factory, abi: krnlAccountFactoryAbi }, owner, validator, mode, executeUserOp },
    ...(authorization ? { authorization } : {}),
    // One key for every operation: viem's default manager derives a new key per op from the clock.
    nonceKeyManager: {
      consume: async () => Number(nonceKey),
      get: async () => Number(nonceKey),
      increment() {},
      reset() {},
    },
    async getAddress() {
      return address;
    },
    async getFactoryArgs() {
      if (p.eip7702) return { factory: "0x7702", factoryData: "0x" };
      return { factory, factoryData };
    },
    async getNonce(parameters) {
      // getNonce(address, uint192) is the same on v0.7 and v0.8.
      return readContract(client, {
        address: entryPoint.address,
        abi: entryPoint07Abi,
        functionName: "getNonce",
        args: [address, parameters?.key ?? nonceKey],
      });
    },
    async encodeCalls(calls) {
      const call = encodeKrnlAccountCalls(calls);
      return executeUserOp ? concatHex([executeUserOpSelector, call]) : call;
    },
    async decodeCalls(data) {
      return decodeKrnlAccountCalls(data);
    },
    async getStubSignature(parameters) {
      const callData = parameters?.callData ?? "0x";
      return signature(callData, async (v) => (v ? v.stubSignature({ callData }) : stubEcdsaSignature));
    },
    async signUserOperation(parameters) {
      const { chainId: id, ...userOperation } = parameters;
      const hash = getUserOperationHash({
        chainId: id ?? (await chainId()),
        entryPointAddress: entryPoint.address,
        entryPointVersion: entryPoint.version,
        userOperation: { ...userOperation, sender: address } as UserOperation,
      });
      const callData = userOperation.callData;
      return signature(callData, (v) => (v ? v.signUserOperationHash({ hash, callData }) : signUserOperationHashWith(owner, hash)));
    },
    async signMessage({ message }) {
      return erc1271(hashMessage(message));
    },
    async signTypedData(typedData) {
      return erc1271(hashTypedData(typedData as TypedDataDefinition));
    },
  };
  return toSmartAccount(implementation);
}
