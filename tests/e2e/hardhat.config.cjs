// Hardhat network used as the reference target of the end-to-end suite (run.sh hardhat).
// Chain id, hardfork, accounts and mining mode match what `krnld --dev` provides.
const os = require("node:os");
const path = require("node:path");

// Keep Hardhat's own files out of the repository; it compiles nothing (the suite uses the npm solc).
const scratch = process.env.KRNL_E2E_HARDHAT_DIR || path.join(os.tmpdir(), "krnl-e2e-hardhat");

module.exports = {
  paths: {
    sources: path.join(scratch, "no-sources"),
    cache: path.join(scratch, "cache"),
    artifacts: path.join(scratch, "artifacts"),
  },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "prague",
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        path: "m/44'/60'/0'/0",
        count: 10,
        accountsBalance: "10000000000000000000000", // 10,000 ETH
      },
      mining: { auto: true, interval: 0 },
    },
  },
};
