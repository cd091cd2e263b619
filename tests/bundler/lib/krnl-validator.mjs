// The account side of KRNL (notes/issue12_spec.md) for clients of the bundler: the KrnlValidator
// predeploy's ABI, a selector's requirement, the calls of an account's setup (one sudo op), and
// attestations made by hand (the dev operator's key) for tests that hand the node an already attested
// signature. The encodings (install data, attestation, EIP-712) are the contract suite's
// (contracts/test/lib/krnl-validator.mjs), imported rather than written twice.
import { dirname } from 'node:path';
import { concatHex, encodeFunctionData, parseAbi, zeroAddress } from 'viem';
import { MODE, krnlAccountAbi } from './krnl-account.mjs';
import { predeploys, root } from './node.mjs';

// The contract suite's harness reads a contract build when loaded: the one this suite uses.
process.env.CONTRACTS_OUT ??= process.env.KRNL_PREDEPLOYS ? dirname(process.env.KRNL_PREDEPLOYS) : `${root}/build/contracts`;
const encodings = await import('../../../contracts/test/lib/krnl-validator.mjs');
/** The account call an op makes: callData, or its tail when callData is executeUserOp(...). */
export const accountCall = encodings.callOf;

export const krnlValidatorAbi = parseAbi([
  'function thresholdFor(address app) view returns (uint256)',
  'function policyFor(address app) view returns (address)',
  'function isSignerFor(address app, address signer) view returns (bool)',
  'function signersOf(address app) view returns (address[])',
  'function ownerOf(address app) view returns (address)',
  'function requirementOf(address app, bytes4 selector) view returns (string)',
  'function servesApp(address app) view returns (bool)',
  'function domainSeparator() view returns (bytes32)',
  'struct PackedUserOperation { address sender; uint256 nonce; bytes initCode; bytes callData; bytes32 accountGasLimits; uint256 preVerificationGas; bytes32 gasFees; bytes paymasterAndData; bytes signature; }',
  'function validateUserOp(PackedUserOperation userOp, bytes32 userOpHash, uint256 signatureOffset) returns (uint256)',
  'error OwnerSignatureMissing()',
  'error AttestationMissing()',
  'error MalformedAttestation()',
  'error AttestationForOtherOperation(uint256 attestedNonce, uint256 opNonce)',
  'error MalformedSignatures(uint256 length)',
  'error NotEnoughSignatures(uint256 given, uint256 threshold)',
  'error InvalidSignature(uint256 index)',
  'error UntrustedSigner(address signer)',
  'error DuplicateOrUnsortedSigner(address signer)',
  'error SettlementNeedsExecuteUserOp()',
]);
export const kernelRegistryAbi = parseAbi(['function registerApp(address app, address tokenAuthority, uint256[] kernelIds)']);
export const krnlVaultAbi = parseAbi([
  'function deposit(address app) payable',
  'function depositOf(address app) view returns (uint256)',
  'function balanceOf(address account) view returns (uint256)',
]);

/** The account's execute(address,uint256,bytes): the selector the tests route to the KrnlValidator. */
export const EXECUTE_FUNCTION = 'execute(address,uint256,bytes)';
export const EXECUTE_SELECTOR = encodings.EXECUTE;

/** KrnlValidator, KernelRegistry and KrnlVault of the build (predeploys.json). */
export function krnlPredeploys() {
  const p = predeploys();
  for (const name of ['KrnlValidator', 'KernelRegistry', 'KrnlVault']) {
    if (!p[name]) throw new Error(`no ${name} in the contract build's predeploys.json (rebuild the contracts)`);
  }
  return { validator: p.KrnlValidator, registry: p.KernelRegistry, vault: p.KrnlVault };
}

/**
 * A selector's requirement: the JSON the engine reads, `kernels` exactly as krnl_executeKernels takes
 * them ({id, inputs, required}; ids as bigint or hex).
 */
export function requirement({ fn = EXECUTE_FUNCTION, kernels }) {
  return JSON.stringify({
    function: fn,
    kernels: kernels.map((k) => {
      const id = typeof k === 'object' ? k.id : k;
      const out = { id: `0x${BigInt(id).toString(16)}`, inputs: (typeof k === 'object' && k.inputs) || [] };
      if (typeof k === 'object' && k.required !== undefined) out.required = k.required;
      return out;
    }),
  });
}

/** KrnlValidator.onInstall's data. `owner` 0 means the account itself (an EIP-7702 EOA's own key). */
export const installData = ({ threshold = 1n, selectors = [EXECUTE_SELECTOR], ...rest }) => encodings.installData({ threshold, selectors, ...rest });

/**
 * The calls of an account's KRNL setup, for one sudo op (executeBatch): bind `execute` to the
 * KrnlValidator with `config` (installData's fields), register the account as its own app with the
 * validator as authority, deposit `deposit` wei for it in the vault.
 */
export function setupCalls({ account, kernelIds, deposit, config }) {
  const { validator, registry, vault } = krnlPredeploys();
  const data = installData({ selectors: [EXECUTE_SELECTOR], ...config });
  const calls = [
    {
      to: account,
      data: encodeFunctionData({ abi: krnlAccountAbi, functionName: 'setExecution', args: [EXECUTE_SELECTOR, zeroAddress, validator, 0, 0, data] }),
    },
    { to: registry, data: encodeFunctionData({ abi: kernelRegistryAbi, functionName: 'registerApp', args: [account, validator, kernelIds] }) },
  ];
  if (deposit > 0n) calls.push({ to: vault, value: deposit, data: encodeFunctionData({ abi: krnlVaultAbi, functionName: 'deposit', args: [account] }) });
  return calls;
}

/**
 * The validator's attestation part (what follows the owner's 65 bytes), signed by `signers` (viem local
 * accounts, sorted ascending here unless `unsorted`) over the KernelAttestation of `app`/`sender`,
 * `callData` (the op's, unwrapped as the validator does), `nonce` (the op's EntryPoint nonce for a
 * genuine one). `responses` are {kernelId, result, err}.
 */
export async function attestation({
  chainId,
  app,
  sender = app,
  callData,
  nonce,
  expiry,
  responses = [],
  kernelIds = [],
  kernelFees = [],
  nodeFee = 0n,
  signers,
  unsorted = false,
}) {
  if (chainId !== 31337) throw new Error('attestation: the contract suite signs for chain 31337, the home chain');
  const { validator } = krnlPredeploys();
  const call = accountCall(callData);
  const responsesHash = encodings.hashResponses(responses);
  const fields = {
    app,
    sender,
    selector: encodings.selectorOf(call),
    argsHash: encodings.argsHashOf(call),
    responsesHash,
    nonce: BigInt(nonce),
    expiry: BigInt(expiry),
    feesHash: encodings.hashFees(kernelIds, kernelFees, nodeFee),
  };
  const signatures = signers.length ? await encodings.signAttestation(validator, fields, signers, { keepOrder: unsorted }) : '0x';
  return encodings.encodeAttestation({ responsesHash, nonce: fields.nonce, expiry: fields.expiry, kernelIds, kernelFees, nodeFee, signatures });
}

/** A whole KRNL plugin-mode signature: mode 1 | owner's 65 bytes | attestation part. */
export const krnlSignature = (ownerSignature, attestationPart = '0x') => concatHex([MODE.plugin, ownerSignature, attestationPart]);
