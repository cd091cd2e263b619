#!/usr/bin/env node
// Writes contracts/test/vectors/attestation.json: the attestation hashes of VECTOR_INPUTS, computed by the
// TokenAuthority contract on the node at NODE_URL (run it through `WRITE_VECTORS=1 contracts/test/krnl/run.sh`).
// Every digest is also recomputed in JS with viem's hashTypedData and must agree, and the last vector is
// computed on a deployed authority through attestationDigest/domainSeparator (block.chainid, address(this))
// and signed by a test-mnemonic key whose signature the authority must accept (ERC-1271).
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashTypedData, keccak256, toHex } from 'viem';
import { accounts, deploy, pub, read, typedData } from './lib.mjs';
import { VECTOR_INPUTS } from './vectors.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const target = resolve(here, '../vectors/attestation.json');

const str = (x) => (typeof x === 'bigint' ? x.toString() : x);

/// The contract's hashes for one input; throws if JS disagrees.
export async function contractHashes(authority, v) {
  const argsHash = keccak256(v.args);
  const responsesHash = await read('TokenAuthority', authority, 'hashResponses', [v.responses]);
  const feesHash = await read('TokenAuthority', authority, 'hashFees', [v.kernelIds, v.kernelFees, v.nodeFee]);
  const [domainSeparator, structHash, digest] = await read('TokenAuthority', authority, 'digestFor', [
    v.chainId, v.tokenAuthority, v.app, v.sender, v.selector, argsHash, responsesHash, v.nonce, v.expiry, feesHash,
  ]);
  return { argsHash, responsesHash, feesHash, domainSeparator, structHash, digest };
}

async function main() {
  const [owner, , , , , signerKey] = accounts;
  const chainId = BigInt(await pub.getChainId());
  // The authority's app, vault and policy do not enter any hash; any addresses do.
  const authority = await deploy(owner, 'TokenAuthority', [owner.address, owner.address, owner.address, owner.address, [signerKey.address], 1n]);

  const inputs = [
    ...VECTOR_INPUTS,
    { ...VECTOR_INPUTS[1], name: 'seed use case on a deployed authority, with a signature', chainId, tokenAuthority: authority },
  ];
  const vectors = [];
  for (const v of inputs) {
    const out = await contractHashes(authority, v);
    const js = hashTypedData(typedData({ ...v, argsHash: out.argsHash, responsesHash: out.responsesHash, feesHash: out.feesHash }));
    if (js !== out.digest) throw new Error(`${v.name}: contract digest ${out.digest}, viem ${js}`);
    const vector = {
      name: v.name,
      inputs: {
        chainId: str(v.chainId),
        tokenAuthority: v.tokenAuthority,
        app: v.app,
        sender: v.sender,
        selector: v.selector,
        args: v.args,
        responses: v.responses.map((r) => ({ kernelId: str(r.kernelId), result: r.result, err: r.err })),
        nonce: str(v.nonce),
        expiry: str(v.expiry),
        kernelIds: v.kernelIds.map(str),
        kernelFees: v.kernelFees.map(str),
        nodeFee: str(v.nodeFee),
      },
      outputs: out,
    };
    if (v.tokenAuthority === authority) {
      const onChain = await read('TokenAuthority', authority, 'attestationDigest', [v.app, v.sender, v.selector, out.argsHash, out.responsesHash, v.nonce, v.expiry, out.feesHash]);
      const domain = await read('TokenAuthority', authority, 'domainSeparator');
      if (onChain !== out.digest || domain !== out.domainSeparator) throw new Error('attestationDigest disagrees with digestFor');
      const signature = await signerKey.sign({ hash: out.digest });
      const magic = await read('TokenAuthority', authority, 'isValidSignature', [out.digest, signature]);
      if (magic !== '0x1626ba7e') throw new Error(`isValidSignature returned ${magic}`);
      vector.signature = {
        // Account 5 of the public test mnemonic; RFC 6979 deterministic, low s, v in {27, 28}.
        privateKey: toHex(signerKey.getHdKey().privateKey),
        signer: signerKey.address,
        signature,
      };
    }
    vectors.push(vector);
  }

  const doc = {
    description:
      'KRNL attestation vectors (docs/attestation.md). Outputs computed by contracts/src/krnl/TokenAuthority.sol ' +
      '(hashResponses, hashFees, digestFor; attestationDigest for the last) on a node; argsHash = keccak256(args). ' +
      'Integers are decimal strings. Regenerate: WRITE_VECTORS=1 contracts/test/krnl/run.sh',
    typeString:
      'KernelAttestation(address app,address sender,bytes4 selector,bytes32 argsHash,bytes32 responsesHash,uint256 nonce,uint64 expiry,bytes32 feesHash)',
    domain: { name: 'KRNL', version: '1' },
    vectors,
  };
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, JSON.stringify(doc, null, 2) + '\n');
  console.log(`write-vectors: ${vectors.length} vectors -> ${target}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
