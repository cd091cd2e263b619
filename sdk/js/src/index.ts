// @krnl/sdk: typed viem actions for the KRNL protocol.
export { createKrnlClient, krnlActions, type KrnlActions, type KrnlClient, type KrnlClientConfig } from "./client.js";
export { dryRunKernel, executeKernels, getKernel, krnlRequest, listKernels, nodeInfo, quote, toWireRequest } from "./actions.js";
export { cachedNodeInfo, registryAddress, vaultAddress } from "./addresses.js";
export {
  deployTokenAuthority,
  depositToVault,
  getAppKernels,
  getDeposit,
  getKernelFee,
  getKernelOwnerBalance,
  getOperatorBalance,
  getTokenAuthority,
  getVaultBalance,
  registerApp,
  registerKernel,
  updateApp,
  type WriteOptions,
  type Written,
} from "./builders.js";
export { encodeKrnlCall, type EncodedCall } from "./call.js";
export { engineTransportOf, krnlTransport, type EngineTransport } from "./transport.js";
export { revertErrorOf, sendContractWrite, type ContractWriteParameters, type RevertError } from "./write.js";
export {
  KrnlCallRevertedError,
  krnlErrorsAbi,
  simulateContractWithKrnl,
  withKrnlErrors,
  writeContractWithKrnl,
  type ArgsWithoutPayload,
  type KrnlContractParameters,
  type KrnlSimulation,
  type KrnlWrite,
} from "./contract.js";
export * from "./errors.js";
export { abis, bytecode, predeploys } from "./generated/artifacts.js";
export { decodeKernelResult, decodePayload, krnlPayloadAbi } from "./payload.js";
export * from "./spec.js";
export type * from "./types.js";
export * from "./account/index.js";

/** The SDK's version. */
export const version = "0.1.0";
