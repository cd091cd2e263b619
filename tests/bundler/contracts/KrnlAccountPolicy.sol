// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// KernelResponse as contracts/src/krnl/KrnlTypes.sol declares it (same ABI; this directory compiles alone).
struct AccountKernelResponse {
    uint256 kernelId;
    bytes result;
    string err;
}

/// A KRNL policy over an account's execute(address target, uint256 value, bytes data) (krnl-account.test.mjs):
/// refuses a value above `limit`, and any call when a kernel failed; the reasons name the rule.
contract KrnlAccountPolicy {
    uint256 public immutable limit;

    constructor(uint256 limit_) {
        limit = limit_;
    }

    function evaluate(address, bytes4, bytes calldata args, AccountKernelResponse[] calldata responses)
        external
        view
        returns (bool ok, string memory reason)
    {
        (, uint256 value,) = abi.decode(args, (address, uint256, bytes));
        if (value > limit) return (false, "account policy: value above the limit");
        for (uint256 i; i < responses.length; ++i) {
            if (bytes(responses[i].err).length != 0) {
                return (false, string.concat("account policy: a kernel failed: ", responses[i].err));
            }
        }
        return (true, "");
    }
}
