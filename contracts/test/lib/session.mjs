// Session-key encodings shared by the tests and the benchmark.
import { encodeAbiParameters, keccak256, concatHex, zeroAddress } from 'viem';

const RULE = { type: 'tuple[]', name: 'rules', components: [{ type: 'uint8', name: 'condition' }, { type: 'uint32', name: 'offset' }, { type: 'bytes32', name: 'value' }] };
const PERMISSION = {
  type: 'tuple',
  components: [{ type: 'address', name: 'target' }, { type: 'bytes4', name: 'selector' }, { type: 'uint256', name: 'valueLimit' }, RULE],
};

export const CONDITION = { eq: 0, gt: 1, lt: 2, gte: 3, lte: 4, neq: 5 };
export const PAYMASTER = { any: 0, required: 1, specific: 2 };

export function permissionLeaf(p) {
  return keccak256(keccak256(encodeAbiParameters([PERMISSION], [p])));
}

/// Root and proofs of a sorted-pair Merkle tree (Solady MerkleProofLib) over the permissions.
export function permissionTree(perms) {
  let level = perms.map(permissionLeaf);
  const proofs = perms.map(() => []);
  let index = perms.map((_, i) => i);
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) { next.push(level[i]); continue; }
      const [a, b] = [level[i], level[i + 1]];
      next.push(keccak256(concatHex(BigInt(a) < BigInt(b) ? [a, b] : [b, a])));
    }
    for (let p = 0; p < perms.length; p++) {
      const i = index[p];
      const sibling = i ^ 1;
      if (sibling < level.length) proofs[p].push(level[sibling]);
      index[p] = i >> 1;
    }
    level = next;
  }
  return { root: level[0], proofs };
}

export function sessionInstallData({ key, root, validAfter = 0, validUntil = 0, uses = 0xffffffff, paymasterRule = 0, paymaster = zeroAddress }) {
  return encodeAbiParameters(
    [{ type: 'address' }, { type: 'bytes32' }, { type: 'uint48' }, { type: 'uint48' }, { type: 'uint32' }, { type: 'uint8' }, { type: 'address' }],
    [key, root, validAfter, validUntil, uses, paymasterRule, paymaster],
  );
}

/// The session validator's signature: abi.encode(key, ecdsaSig over the EIP-191 userOpHash, permission, proof).
export async function sessionSignature(key, hash, permission, proof) {
  const sig = await key.signMessage({ message: { raw: hash } });
  return encodeAbiParameters([{ type: 'address' }, { type: 'bytes' }, PERMISSION, { type: 'bytes32[]' }], [key.address, sig, permission, proof]);
}
