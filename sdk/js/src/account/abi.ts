// The few functions of the account contracts (contracts/src/account) this part of the SDK calls or
// encodes. Written out rather than taken from the generated ABIs so that the types viem infers from
// them stay small and stable.
import { parseAbi } from "viem";

/** Account.sol (AccountV07/AccountV08): execution, administration and views. */
export const krnlAccountAbi = parseAbi([
  "struct Call { address target; uint256 value; bytes data; }",
  "function execute(address target, uint256 value, bytes data) payable",
  "function executeBatch(Call[] calls) payable",
  "function entryPoint() view returns (address)",
  "function rootSigner() view returns (address)",
  "function defaultValidator() view returns (address)",
  "function enableNonce() view returns (uint64)",
  "function implementation() view returns (address)",
  "function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)",
  "function setExecution(bytes4 selector, address executor, address validator, uint48 validAfter, uint48 validUntil, bytes validatorData)",
  "function executionOf(bytes4 selector) view returns (address executor, address validator, uint48 validAfter, uint48 validUntil)",
  "function setSignatureValidator(address validator, bool allowed)",
]);

/** AccountFactory.sol (AccountFactoryV07/V08). */
export const krnlAccountFactoryAbi = parseAbi([
  "function createAccount(address owner, uint256 index) payable returns (address account)",
  "function getAddress(address owner, uint256 index) view returns (address)",
  "function ACCOUNT_IMPLEMENTATION() view returns (address)",
  "function ENTRY_POINT() view returns (address)",
]);

/** KrnlValidator.sol: its views (the configuration an account installed). */
export const krnlValidatorAbi = parseAbi([
  "function thresholdFor(address app) view returns (uint256)",
  "function policyFor(address app) view returns (address)",
  "function isSignerFor(address app, address signer) view returns (bool)",
  "function signersOf(address app) view returns (address[])",
  "function ownerOf(address app) view returns (address)",
  "function requirementOf(address app, bytes4 selector) view returns (string)",
  "function servesApp(address app) view returns (bool)",
]);

/** KernelRegistry.registerApp and KrnlVault.deposit: the rest of an account's KRNL setup. */
export const kernelRegistryAppAbi = parseAbi([
  "function registerApp(address app, address tokenAuthority, uint256[] kernelIds)",
]);
export const krnlVaultDepositAbi = parseAbi([
  "function deposit(address app) payable",
  "function depositOf(address app) view returns (uint256)",
]);

/** SessionKeyValidator.sessionOf and revoke. */
export const sessionKeyValidatorAbi = parseAbi([
  "function sessionOf(address sessionKey, address account) view returns (bytes32 permissionsRoot, address paymaster, uint48 validAfter, uint48 validUntil, uint32 usesLeft, uint8 paymasterRule)",
  "function revoke(address sessionKey)",
]);

/** PasskeyValidator.keyOf. */
export const passkeyValidatorAbi = parseAbi(["function keyOf(address account) view returns (bytes32 x, bytes32 y)"]);
