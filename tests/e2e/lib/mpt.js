// Verifies Merkle-Patricia proofs (eth_getProof) against a root, in plain JS over viem's RLP and keccak.
import { fromRlp, keccak256, toRlp, hexToBytes, bytesToHex } from 'viem';

function nibblesOf(bytes) {
  const out = [];
  for (const b of bytes) out.push(b >> 4, b & 0x0f);
  return out;
}

/** Decodes a hex-prefix encoded path (Yellow Paper appendix C) into { leaf, nibbles }. */
function decodeHexPrefix(hex) {
  const nibbles = nibblesOf(hexToBytes(hex));
  const flag = nibbles[0];
  if (flag > 3) throw new Error(`bad hex-prefix flag ${flag}`);
  return { leaf: (flag & 2) !== 0, nibbles: nibbles.slice(flag & 1 ? 1 : 2) };
}

/**
 * Follows `proof` (RLP-encoded nodes, root first) from `root` along keccak(key) and returns the value
 * stored there (hex), or null when the proof shows the key is absent. Throws when the proof is not a
 * valid path from the root.
 */
export function verifyProof(root, keyHex, proof) {
  const path = nibblesOf(hexToBytes(keccak256(keyHex)));
  let expected = root.toLowerCase(); // a hash, or an inline node (decoded array)
  let index = 0;
  let pos = 0;
  for (;;) {
    let node;
    if (typeof expected === 'string') {
      if (expected === '0x') return null; // empty branch slot
      if (index >= proof.length) throw new Error('proof ends before the path does');
      const encoded = proof[index++];
      if (keccak256(encoded) !== expected) throw new Error(`node ${index - 1} does not hash to its reference`);
      node = fromRlp(encoded, 'hex');
    } else {
      node = expected;
    }
    if (!Array.isArray(node)) throw new Error('node is not a list');
    if (node.length === 17) {
      if (pos === path.length) return node[16] === '0x' ? null : node[16];
      expected = node[path[pos++]];
    } else if (node.length === 2) {
      const { leaf, nibbles } = decodeHexPrefix(node[0]);
      const rest = path.slice(pos);
      if (leaf) {
        const same = nibbles.length === rest.length && nibbles.every((n, i) => n === rest[i]);
        return same ? node[1] : null;
      }
      if (!nibbles.every((n, i) => n === rest[i])) return null; // diverges: absent
      pos += nibbles.length;
      expected = node[1];
    } else {
      throw new Error(`node with ${node.length} items`);
    }
    if (typeof expected === 'string' && expected !== '0x' && hexToBytes(expected).length !== 32) {
      throw new Error('child reference is neither a hash nor an inline node');
    }
  }
}

const quantityBytes = (value) => {
  const v = BigInt(value);
  if (v === 0n) return '0x';
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return `0x${hex}`;
};

/** The RLP of an account leaf: [nonce, balance, storageRoot, codeHash]. */
export function accountLeaf({ nonce, balance, storageHash, codeHash }) {
  return toRlp([quantityBytes(nonce), quantityBytes(balance), storageHash, codeHash]);
}

/** The RLP of a storage leaf: the value as minimal big-endian bytes. */
export function storageLeaf(value) {
  return toRlp(quantityBytes(value));
}

export const pad32 = (hex) => bytesToHex(hexToBytes(`0x${BigInt(hex).toString(16).padStart(64, '0')}`));
