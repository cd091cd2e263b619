// krnl's Kernel-v2 account (contracts/src/account) as a viem SmartAccount, for viem's bundler client.
//
// What the contracts fix (read from Account.sol, AccountFactory.sol, AccountProxy.sol):
//  - initCode: factory AccountFactoryV07/V08 + createAccount(owner, index): the built-in ECDSA root
//    with signer `owner`; the address is the factory's getAddress(owner, index) (CREATE2 of an 83-byte
//    AccountProxy whose implementation is AccountV07/V08, salt keccak256(owner . index)).
//  - nonce: the account gives the nonce key no meaning (the mode is in the signature), so any 2D key
//    works; this account uses `nonceKey` (default 0) for every operation, sequential nonces.
//  - signature, sudo mode with the built-in root: 4-byte mode 0x00000000, then the 65-byte ECDSA
//    signature (r, s, v) of the EIP-191 personal-message hash of the userOpHash, i.e. what
//    signMessage({message: {raw: userOpHash}}) gives, on both EntryPoints (v0.8's userOpHash is its
//    EIP-712 hash, the account signs it the same way).
//  - stub signature for estimation: the mode word and a 65-byte signature that recovers to some
//    address (not the owner): validation runs the same path (config SLOAD + ecrecover) and returns
//    SIG_VALIDATION_FAILED instead of reverting, as ERC-4337 wants of a dummy.
//  - ERC-1271: 0x00 then the owner's raw signature of the EIP-712 digest
//    AccountMessage(bytes32 hash) in the domain ("KrnlAccount", "1", chainId, account).
//  - KRNL plugin mode (option `krnl`, docs: notes/issue12_spec.md): the account routes `execute` to the
//    KrnlValidator, so ops are signed in plugin mode: 0x00000001 | the owner's 65-byte signature (the
//    node appends the attestation). With fees to settle (`krnl.executeUserOp`), callData is wrapped as
//    ERC-4337's executeUserOp: its selector 0x8dd7712f followed by the account call.
import { concatHex, decodeFunctionData, encodeFunctionData, hashMessage, hashTypedData, parseAbi } from 'viem';
import { entryPoint07Abi, entryPoint08Abi, getUserOperationHash, toSmartAccount } from 'viem/account-abstraction';
import { predeploys } from './node.mjs';

/**
 * The genesis predeploys of the account, read from the contract build krnld embeds
 * (KRNL_PREDEPLOYS, default build/contracts/predeploys.json): the implementations' addresses follow
 * their code, so they move whenever Account.sol does. The EntryPoints are canonical.
 */
const built = predeploys();
export const KRNL_ACCOUNT = {
  '0.7': {
    entryPoint: '0x0000000071727De22E5E9d8BAf0edAc6f37da032',
    factory: built.AccountFactoryV07,
    implementation: built.AccountV07,
  },
  '0.8': {
    entryPoint: '0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108',
    factory: built.AccountFactoryV08,
    implementation: built.AccountV08,
  },
};
export const ECDSA_VALIDATOR = built.ECDSAValidator;

/** The signature modes: the first 4 bytes of userOp.signature. */
export const MODE = { sudo: '0x00000000', plugin: '0x00000001', enable: '0x00000002' };

/** A well-formed 65-byte signature that recovers to an address nobody owns. */
export const STUB_ECDSA =
  '0xfffffffffffffffffffffffffffffff0000000000000000000000000000000007aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1c';
export const STUB_SIGNATURE = concatHex([MODE.sudo, STUB_ECDSA]);
/** The stub of KRNL plugin mode: same shape as a real signature (mode 1 | 65 bytes) so the node attests it. */
export const STUB_KRNL_SIGNATURE = concatHex([MODE.plugin, STUB_ECDSA]);

/** ERC-4337's IAccountExecute.executeUserOp(PackedUserOperation,bytes32): the EntryPoint passes the op. */
export const EXECUTE_USER_OP_SELECTOR = '0x8dd7712f';

export const accountFactoryAbi = parseAbi([
  'function createAccount(address owner, uint256 index) payable returns (address account)',
  'function createAccountWithValidator(address validator, bytes data, uint256 index) payable returns (address account)',
  'function getAddress(address owner, uint256 index) view returns (address)',
  'function addStake(uint32 unstakeDelaySec) payable',
  'function ACCOUNT_IMPLEMENTATION() view returns (address)',
  'function ENTRY_POINT() view returns (address)',
]);

export const krnlAccountAbi = parseAbi([
  'struct Call { address target; uint256 value; bytes data; }',
  'function execute(address target, uint256 value, bytes data) payable',
  'function executeBatch(Call[] calls) payable',
  'function entryPoint() view returns (address)',
  'function rootSigner() view returns (address)',
  'function implementation() view returns (address)',
  'function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)',
  'function setExecution(bytes4 selector, address executor, address validator, uint48 validAfter, uint48 validUntil, bytes validatorData)',
  'function executionOf(bytes4 selector) view returns (address executor, address validator, uint48 validAfter, uint48 validUntil)',
  'struct PackedUserOperation { address sender; uint256 nonce; bytes initCode; bytes callData; bytes32 accountGasLimits; uint256 preVerificationGas; bytes32 gasFees; bytes paymasterAndData; bytes signature; }',
  'function validateUserOp(PackedUserOperation userOp, bytes32 userOpHash, uint256 missingAccountFunds) payable returns (uint256 validationData)',
]);

/** The EIP-712 digest the account checks an ERC-1271 signature of `hash` against. */
export function krnlMessageDigest({ account, chainId, hash }) {
  return hashTypedData({
    domain: { name: 'KrnlAccount', version: '1', chainId, verifyingContract: account },
    types: { AccountMessage: [{ name: 'hash', type: 'bytes32' }] },
    primaryType: 'AccountMessage',
    message: { hash },
  });
}

/**
 * toKrnlAccount({client, owner, entryPointVersion: '0.7' | '0.8', index?, nonceKey?, factoryAddress?,
 * address?, krnl?}) -> a viem SmartAccount. `owner` is a viem local account (privateKeyToAccount,
 * mnemonicToAccount): it signs the userOpHash as a personal message and ERC-1271 digests raw.
 * `krnl` ({executeUserOp: boolean}) switches to KRNL plugin mode (see the head of this file).
 */
export async function toKrnlAccount({
  client,
  owner,
  entryPointVersion = '0.7',
  index = 0n,
  nonceKey = 0n,
  factoryAddress,
  address: knownAddress,
  krnl,
}) {
  const predeploy = KRNL_ACCOUNT[entryPointVersion];
  if (!predeploy) throw new Error(`toKrnlAccount: no krnl account for EntryPoint ${entryPointVersion}`);
  const entryPoint = {
    address: predeploy.entryPoint,
    abi: entryPointVersion === '0.8' ? entryPoint08Abi : entryPoint07Abi,
    version: entryPointVersion,
  };
  const factory = factoryAddress ?? predeploy.factory;
  const factoryData = encodeFunctionData({ abi: accountFactoryAbi, functionName: 'createAccount', args: [owner.address, index] });
  const address =
    knownAddress ??
    (await client.readContract({ address: factory, abi: accountFactoryAbi, functionName: 'getAddress', args: [owner.address, index] }));
  const chainId = async () => client.chain?.id ?? (await client.getChainId());

  return toSmartAccount({
    client,
    entryPoint,
    extend: { abi: krnlAccountAbi, factory: { address: factory, abi: accountFactoryAbi }, owner },
    // One key for every operation: viem's default manager would pick a new (time-derived) key per op.
    nonceKeyManager: {
      consume: async () => nonceKey,
      get: async () => nonceKey,
      increment() {},
      reset() {},
    },
    async getAddress() {
      return address;
    },
    async getFactoryArgs() {
      return { factory, factoryData };
    },
    async getNonce(parameters) {
      return client.readContract({
        address: entryPoint.address,
        abi: entryPoint.abi,
        functionName: 'getNonce',
        args: [address, parameters?.key ?? nonceKey],
      });
    },
    async encodeCalls(calls) {
      const call = encodeAccountCalls(calls);
      return krnl?.executeUserOp ? concatHex([EXECUTE_USER_OP_SELECTOR, call]) : call;
    },
    async decodeCalls(data) {
      const call = data.slice(0, 10).toLowerCase() === EXECUTE_USER_OP_SELECTOR ? `0x${data.slice(10)}` : data;
      const { functionName, args } = decodeFunctionData({ abi: krnlAccountAbi, data: call });
      if (functionName === 'execute') return [{ to: args[0], value: args[1], data: args[2] }];
      if (functionName === 'executeBatch') return args[0].map((c) => ({ to: c.target, value: c.value, data: c.data }));
      throw new Error(`krnl account: cannot decode calls of ${functionName}`);
    },
    async getStubSignature() {
      return krnl ? STUB_KRNL_SIGNATURE : STUB_SIGNATURE;
    },
    async signUserOperation(parameters) {
      const { chainId: id, ...userOperation } = parameters;
      const userOpHash = getUserOperationHash({
        chainId: id ?? (await chainId()),
        entryPointAddress: entryPoint.address,
        entryPointVersion: entryPoint.version,
        userOperation: { ...userOperation, sender: address },
      });
      return concatHex([krnl ? MODE.plugin : MODE.sudo, await owner.signMessage({ message: { raw: userOpHash } })]);
    },
    async signMessage({ message }) {
      const digest = krnlMessageDigest({ account: address, chainId: await chainId(), hash: hashMessage(message) });
      return concatHex(['0x00', await owner.sign({ hash: digest })]);
    },
    async signTypedData(typedData) {
      const digest = krnlMessageDigest({ account: address, chainId: await chainId(), hash: hashTypedData(typedData) });
      return concatHex(['0x00', await owner.sign({ hash: digest })]);
    },
  });
}

/** The account call of `calls` (viem's {to, value, data}): execute for one, executeBatch for more. */
export function encodeAccountCalls(calls) {
  if (calls.length === 1) {
    const c = calls[0];
    return encodeFunctionData({ abi: krnlAccountAbi, functionName: 'execute', args: [c.to, c.value ?? 0n, c.data ?? '0x'] });
  }
  return encodeFunctionData({
    abi: krnlAccountAbi,
    functionName: 'executeBatch',
    args: [calls.map((c) => ({ target: c.to, value: c.value ?? 0n, data: c.data ?? '0x' }))],
  });
}
