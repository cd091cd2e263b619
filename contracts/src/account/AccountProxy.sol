// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The account proxy: an ERC-1967 (UUPS) proxy whose implementation defaults to one written in
/// its code, so creating it writes no storage at all.
///
/// Why not the 61-byte minimal ERC-1967 proxy: its init code stores the implementation in the ERC-1967
/// slot, a fresh SSTORE of 22,100 gas on every account creation. Here the runtime loads the slot as the
/// minimal proxy does and uses the code's implementation while the slot is 0; the first UUPS upgrade
/// writes the slot (Solady's UUPSUpgradeable, `Upgraded` event included) and from then on the slot wins.
/// The price: 22 more bytes of runtime (4,400 gas of code deposit, once), 17 gas on each call (PUSH20,
/// DUP2, ISZERO, MUL, OR), and the ERC-1967 slot reads 0 until the first upgrade; the account's own
/// `implementation()` view reports the implementation in use either way. The slot is loaded on every
/// call as before, so a cold call pays the same 2,100 for it as the minimal proxy (and SimpleAccount's
/// OpenZeppelin ERC1967Proxy) do. PUSH0 (Shanghai and later) replaces `PUSH1 0`.
///
/// Runtime (83 bytes), stack after each opcode:
///   36 3d 3d 37                CALLDATACOPY(0, 0, cds)              |
///   3d 3d 36 3d                                                     | 0 cds 0 0
///   7f <ERC-1967 slot> 54      SLOAD                                | s 0 cds 0 0
///   73 <implementation>        PUSH20 impl                          | impl s 0 cds 0 0
///   81 15 02 17                DUP2 ISZERO MUL OR: s ? s : impl     | i 0 cds 0 0
///   5a f4                      DELEGATECALL(gas, i, 0, cds, 0, 0)   | ok
///   3d 5f 80 3e                RETURNDATACOPY(0, 0, rds)            | ok
///   60 4f 57                   JUMPI to 0x4f if ok                  |
///   3d 5f fd                   REVERT(0, rds)                       |
///   5b 3d 5f f3                0x4f: RETURN(0, rds)                 |
/// Init code (9 bytes): 60 53 3d 81 60 09 3d 39 f3 = CODECOPY(0, 9, 83) RETURN(0, 83).
library AccountProxy {
    /// The proxy's init code, `implementation` embedded: 92 bytes.
    function initCode(address implementation) internal pure returns (bytes memory) {
        return abi.encodePacked(
            hex"60533d8160093d39f3",
            hex"363d3d373d3d363d7f360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc5473",
            implementation,
            hex"81150217" hex"5af43d5f803e604f573d5ffd5b3d5ff3"
        );
    }

    /// @dev The CREATE2 address of the proxy of `implementation` with `salt`, deployed by `deployer`.
    function predict(address implementation, bytes32 salt, address deployer) internal pure returns (address) {
        return _create2Address(keccak256(initCode(implementation)), salt, deployer);
    }

    /// @dev Deploys the proxy at its CREATE2 address unless code is already there (ERC-4337 factories
    /// must not revert for a deployed account). `value` goes to the account either way. The init code is
    /// built and hashed once. Its EXTCODESIZE is warm (100) when the EntryPoint calls: it has just
    /// checked that the sender has no code.
    function create(uint256 value, address implementation, bytes32 salt)
        internal
        returns (bool alreadyDeployed, address instance)
    {
        bytes memory code = initCode(implementation);
        instance = _create2Address(keccak256(code), salt, address(this));
        if (instance.code.length != 0) {
            if (value != 0) {
                (bool ok,) = instance.call{value: value}("");
                if (!ok) revert DeploymentFailed();
            }
            return (true, instance);
        }
        /// @solidity memory-safe-assembly
        assembly {
            instance := create2(value, add(code, 0x20), mload(code), salt)
        }
        if (instance == address(0)) revert DeploymentFailed();
    }

    function _create2Address(bytes32 initCodeHash, bytes32 salt, address deployer) private pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), deployer, salt, initCodeHash)))));
    }

    error DeploymentFailed();
}
