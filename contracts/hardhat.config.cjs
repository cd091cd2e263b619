// Hardhat is used only as a local dev node for the contract tests and the gas benchmark
// (`hardhat node`); contracts are compiled by build.mjs, never by Hardhat.
const os = require('node:os');
const path = require('node:path');

module.exports = {
  paths: {
    // Nothing for Hardhat to compile, and its cache kept out of the tree.
    sources: path.join(__dirname, 'test', 'hardhat-empty-sources'),
    cache: path.join(os.tmpdir(), 'krnl-hardhat-cache'),
    artifacts: path.join(os.tmpdir(), 'krnl-hardhat-artifacts'),
  },
  networks: {
    hardhat: {
      hardfork: 'prague',
      chainId: 31337,
      // P256VERIFY at 0x100 with RIP-7212 semantics (krnld implements EIP-7951 at the same address).
      enableRip7212: true,
      // The EntryPoints' handleOps and the deterministic proxy's presigned deployment need room.
      blockGasLimit: 60_000_000,
      allowUnlimitedContractSize: false,
      mining: { auto: true },
    },
  },
};
