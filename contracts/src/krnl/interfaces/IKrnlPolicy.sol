// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "../KrnlTypes.sol";

/// An app's rule over the kernel responses. The engine calls it (a view call on the app's chain) before the
/// nodes sign: a node signs only when `ok` is true, and returns `reason` to the caller otherwise.
interface IKrnlPolicy {
    /// @param sender   the account that will call the app
    /// @param selector the app function being authorised
    /// @param args     the ABI-encoded arguments of that call, without the payload
    function evaluate(address sender, bytes4 selector, bytes calldata args, KernelResponse[] calldata responses)
        external
        view
        returns (bool ok, string memory reason);
}
