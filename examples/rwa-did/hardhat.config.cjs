// A Hardhat node standing in for one of the use case's chains (test.sh hardhat starts three):
// KRNL_HARDHAT_CHAIN_ID picks the chain id (31337, 31338 or 31339), KRNL_HARDHAT_DIR where Hardhat
// keeps its files. Accounts, hardfork and mining match config/dev.toml's chains.
const os = require('node:os');
const path = require('node:path');

const chainId = Number(process.env.KRNL_HARDHAT_CHAIN_ID ?? 31337);
if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new Error(`KRNL_HARDHAT_CHAIN_ID: not a chain id: ${process.env.KRNL_HARDHAT_CHAIN_ID}`);
// Hardhat compiles nothing here (the contracts come from build/contracts).
const scratch = process.env.KRNL_HARDHAT_DIR ?? path.join(os.tmpdir(), `krnl-rwa-did-hardhat-${chainId}`);

module.exports = {
  paths: {
    sources: path.join(scratch, 'no-sources'),
    cache: path.join(scratch, 'cache'),
    artifacts: path.join(scratch, 'artifacts'),
  },
  networks: {
    hardhat: {
      chainId,
      hardfork: 'prague',
      accounts: {
        mnemonic: 'test test test test test test test test test test test junk',
        path: "m/44'/60'/0'/0",
        count: 10,
        accountsBalance: '10000000000000000000000', // 10,000 ETH
      },
      // The predeploys' CREATE2 deployments are sent with 30M gas.
      blockGasLimit: 60_000_000,
      mining: { auto: true, interval: 0 },
    },
  },
};
