// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts-v07/interfaces/PackedUserOperation.sol";
import {IValidator} from "../../src/account/interfaces/IValidator.sol";

/// Test-only: records calls made to it.
contract Recorder {
    address public lastCaller;
    uint256 public lastValue;
    uint256 public lastArg;
    uint256 public calls;

    function record(uint256 arg) external payable {
        lastCaller = msg.sender;
        lastValue = msg.value;
        lastArg = arg;
        calls++;
    }

    receive() external payable {
        lastCaller = msg.sender;
        lastValue = msg.value;
        calls++;
    }
}

/// Test-only paymaster that sponsors every operation (same interface for EntryPoint v0.7 and v0.8).
contract TestPaymaster {
    address public immutable entryPoint;

    constructor(address entryPoint_) {
        entryPoint = entryPoint_;
    }

    function validatePaymasterUserOp(PackedUserOperation calldata, bytes32, uint256)
        external
        view
        returns (bytes memory context, uint256 validationData)
    {
        require(msg.sender == entryPoint, "not entrypoint");
        return ("", 0);
    }

    function postOp(uint8, bytes calldata, uint256, uint256) external {}

    function deposit() external payable {
        (bool ok,) = entryPoint.call{value: msg.value}(abi.encodeWithSignature("depositTo(address)", address(this)));
        require(ok);
    }
}

/// Test-only: calls a validator directly, as a contract that is not the operation's sender.
contract ValidatorProbe {
    function probe(IValidator validator, PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 offset)
        external
        returns (uint256)
    {
        return validator.validateUserOp(userOp, userOpHash, offset);
    }
}

/// Test-only delegatecall target: writes a marker into the caller's storage.
contract DelegateTarget {
    function mark(uint256 value) external {
        assembly {
            sstore(0x6d61726b, value)
        }
    }
}

/// Test-only implementation to upgrade to: proves the ERC-1822 check by having a wrong UUID.
contract NotUUPS {
    function proxiableUUID() external pure returns (bytes32) {
        return bytes32(uint256(1));
    }
}
