// krnl smart accounts for viem: the account, its validators and signature modes, the KRNL setup, EIP-7702.
export * from "./abi.js";
export * from "./addresses.js";
export * from "./modes.js";
export * from "./validators.js";
export * from "./krnlValidator.js";
export * from "./eip7702.js";
export * from "./toKrnlSmartAccount.js";
