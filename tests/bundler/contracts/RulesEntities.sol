// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPointLike, PackedUserOperation, RuleActions, RulesTarget} from "./RuleActions.sol";

/// An account whose validation does what `userOp.signature` names (a rule of RuleActions, as UTF-8);
/// the signature is not checked. Execution: `execute` from the EntryPoint.
contract RulesAccount is RuleActions {
    constructor(IEntryPointLike entryPoint_, RulesTarget target_) RuleActions(entryPoint_, target_) {}

    function validateUserOp(PackedUserOperation calldata userOp, bytes32, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        require(msg.sender == address(entryPoint), "RulesAccount: not from the EntryPoint");
        validationData = _runRule(string(userOp.signature), userOp.sender);
        if (missingAccountFunds != 0) {
            (bool ok,) = payable(msg.sender).call{value: missingAccountFunds}("");
            (ok);
        }
    }

    function execute(address dest, uint256 value, bytes calldata data) external {
        require(msg.sender == address(entryPoint), "RulesAccount: not from the EntryPoint");
        (bool ok, bytes memory ret) = dest.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    receive() external payable {}
}

/// A factory that does what `rule` names in its own context, then deploys (CREATE2) an ERC-1167 proxy
/// of a RulesAccount: 45 bytes of code, so creation costs ~9k gas of code deposit instead of the 1.6M a
/// whole RulesAccount would, and fits in the verification gas limit. The proxy has its own storage;
/// the immutables (EntryPoint, target) live in the implementation's code.
contract RulesFactory is RuleActions {
    address public immutable implementation;

    constructor(IEntryPointLike entryPoint_, RulesTarget target_) RuleActions(entryPoint_, target_) {
        implementation = address(new RulesAccount(entryPoint_, target_));
    }

    function create(uint256 salt, string calldata rule) external returns (address account) {
        _runRule(rule, address(0));
        bytes memory code = _proxyInitCode();
        assembly {
            account := create2(0, add(code, 0x20), mload(code), salt)
        }
        require(account != address(0), "RulesFactory: CREATE2 failed");
    }

    function getAddress(uint256 salt) external view returns (address) {
        bytes32 codeHash = keccak256(_proxyInitCode());
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), bytes32(salt), codeHash)))));
    }

    function _proxyInitCode() private view returns (bytes memory) {
        return abi.encodePacked(
            hex"3d602d80600a3d3981f3363d3d373d3d3d363d73", implementation, hex"5af43d82803e903d91602b57fd5bf3"
        );
    }
}

/// A paymaster whose validation does what its paymasterData names; it returns a context only for
/// the rules "context" (32 bytes) and "context_huge" (`hugeContextBytes`).
contract RulesPaymaster is RuleActions {
    uint256 public hugeContextBytes = 50_000;

    constructor(IEntryPointLike entryPoint_, RulesTarget target_) RuleActions(entryPoint_, target_) {}

    function validatePaymasterUserOp(PackedUserOperation calldata userOp, bytes32, uint256)
        external
        returns (bytes memory context, uint256 validationData)
    {
        require(msg.sender == address(entryPoint), "RulesPaymaster: not from the EntryPoint");
        // paymasterAndData = paymaster (20) | verification gas (16) | postOp gas (16) | paymasterData
        string memory rule = string(userOp.paymasterAndData[52:]);
        if (_is(rule, "context")) return (abi.encode(userOp.sender), 0);
        if (_is(rule, "context_huge")) return (new bytes(hugeContextBytes), 0);
        validationData = _runRule(rule, userOp.sender);
    }

    function postOp(uint8, bytes calldata, uint256, uint256) external view {
        require(msg.sender == address(entryPoint), "RulesPaymaster: not from the EntryPoint");
    }

    function setHugeContextBytes(uint256 n) external {
        hugeContextBytes = n;
    }
}
