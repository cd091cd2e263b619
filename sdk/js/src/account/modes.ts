// The account's signature modes (Account.sol): userOp.signature[0:4] picks sudo (the root validates),
// plugin (the validator bound to the call's selector validates) or enable (bind a validator to the
// selector with the root's EIP-712 approval, then validate as plugin).
import { concatHex, hashTypedData, numberToHex, size, sliceHex, type Address, type Hash, type Hex } from "viem";

/** The mode word of each signature mode. */
export const signatureModes = {
  sudo: "0x00000000",
  plugin: "0x00000001",
  enable: "0x00000002",
} as const;

/** A signature mode of the account. */
export type SignatureMode = keyof typeof signatureModes;

/** ERC-4337's IAccountExecute.executeUserOp selector: callData starting with it is the same call, run with the op. */
export const executeUserOpSelector = "0x8dd7712f" as const;

/** The account call an operation makes: `callData`, or what follows executeUserOp's selector. */
export function accountCallOf(callData: Hex): Hex {
  return callData.slice(0, 10).toLowerCase() === executeUserOpSelector ? `0x${callData.slice(10)}` : callData;
}

/** The selector a plugin or enable-mode operation is routed by (0x00000000 for a call shorter than 4 bytes). */
export function routedSelectorOf(callData: Hex): Hex {
  const call = accountCallOf(callData);
  return size(call) >= 4 ? sliceHex(call, 0, 4) : "0x00000000";
}

/** A sudo-mode signature: the mode word, then the root's signature. */
export function encodeSudoSignature(rootSignature: Hex): Hex {
  return concatHex([signatureModes.sudo, rootSignature]);
}

/** A plugin-mode signature: the mode word, then the bound validator's signature. */
export function encodePluginSignature(validatorSignature: Hex): Hex {
  return concatHex([signatureModes.plugin, validatorSignature]);
}

/** What an enable-mode operation binds to its call's selector (the fields of the root's approval but the nonce). */
export interface EnableData {
  /** The selector being bound: the operation's call's. */
  selector: Hex;
  validator: Address;
  /** 0: none (the selector is one of the account's own functions, e.g. execute). */
  executor: Address;
  /** Unix seconds; 0 for no bound. */
  validAfter: number;
  validUntil: number;
  /** The validator's onInstall data. */
  validatorData: Hex;
}

/** The EIP-712 typed data of an enable approval, which the root signs (raw, not EIP-191). */
export function enableTypedData(p: EnableData & { account: Address; chainId: number; nonce: bigint }) {
  return {
    domain: { name: "KrnlAccount", version: "1", chainId: p.chainId, verifyingContract: p.account },
    types: {
      Enable: [
        { name: "selector", type: "bytes4" },
        { name: "validator", type: "address" },
        { name: "executor", type: "address" },
        { name: "validAfter", type: "uint48" },
        { name: "validUntil", type: "uint48" },
        { name: "validatorData", type: "bytes" },
        { name: "nonce", type: "uint64" },
      ],
    },
    primaryType: "Enable",
    message: {
      selector: p.selector,
      validator: p.validator,
      executor: p.executor,
      validAfter: p.validAfter,
      validUntil: p.validUntil,
      validatorData: p.validatorData,
      nonce: p.nonce,
    },
  } as const;
}

/**
 * An enable-mode signature: mode | validAfter(6) | validUntil(6) | validator(20) | executor(20)
 * | len(4) | validatorData | len(4) | approval | the validator's signature.
 */
export function encodeEnableSignature(p: EnableData & { approval: Hex; validatorSignature: Hex }): Hex {
  return concatHex([
    signatureModes.enable,
    numberToHex(p.validAfter, { size: 6 }),
    numberToHex(p.validUntil, { size: 6 }),
    p.validator,
    p.executor,
    numberToHex(size(p.validatorData), { size: 4 }),
    p.validatorData,
    numberToHex(size(p.approval), { size: 4 }),
    p.approval,
    p.validatorSignature,
  ]);
}

/** The digest the account checks an ERC-1271 signature of `hash` against: AccountMessage(hash) in its domain. */
export function accountMessageTypedData(p: { account: Address; chainId: number; hash: Hash }) {
  return {
    domain: { name: "KrnlAccount", version: "1", chainId: p.chainId, verifyingContract: p.account },
    types: { AccountMessage: [{ name: "hash", type: "bytes32" }] },
    primaryType: "AccountMessage",
    message: { hash: p.hash },
  } as const;
}

/** The EIP-712 digest of {@link accountMessageTypedData}. */
export function accountMessageDigest(p: { account: Address; chainId: number; hash: Hash }): Hash {
  return hashTypedData(accountMessageTypedData(p));
}
