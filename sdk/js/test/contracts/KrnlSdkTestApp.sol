// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "../../../../contracts/src/krnl/KrnlTypes.sol";
import {KrnlConsumer} from "../../../../contracts/src/krnl/KrnlConsumer.sol";
import {KernelRegistry} from "../../../../contracts/src/krnl/KernelRegistry.sol";

/// The SDK tests' app: `act(a, b, payload)` is gated by KRNL and records the first response's result.
/// `owner()` lets its deployer register it in the KernelRegistry.
contract KrnlSdkTestApp is KrnlConsumer {
    event Acted(address indexed sender, uint256 a, uint256 b, uint256 responses);

    address public immutable owner;
    uint256 public acted;
    bytes public lastResult;

    constructor(KernelRegistry registry_, address owner_) KrnlConsumer(registry_) {
        owner = owner_;
    }

    function act(uint256 a, uint256 b, bytes calldata payload) external returns (uint256) {
        KernelResponse[] calldata responses = onlyKrnl(payload, abi.encode(a, b));
        acted += 1;
        if (responses.length != 0) lastResult = responses[0].result;
        emit Acted(msg.sender, a, b, responses.length);
        return acted;
    }
}
