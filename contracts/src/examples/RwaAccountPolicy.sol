// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {KernelResponse} from "../krnl/KrnlTypes.sol";
import {IKrnlPolicy} from "../krnl/interfaces/IKrnlPolicy.sol";
import {RwaMarket} from "./RwaMarket.sol";
import {RwaTradePolicy} from "./RwaTradePolicy.sol";

/// The seed's rule for a smart account (notes/issue12_spec.md): the KrnlValidator asks it about the account's
/// call `execute(address target, uint256 value, bytes data)`, so `args` are those three. The account's kernels
/// check one asset (their specs name it), so this policy admits only `RwaMarket.trade(assetId, amount)` of that
/// asset on that market, without value, and leaves the three kernels' results to an RwaTradePolicy.
contract RwaAccountPolicy is IKrnlPolicy {
    bytes4 public constant EXECUTE_SELECTOR = bytes4(keccak256("execute(address,uint256,bytes)"));

    RwaTradePolicy public immutable rules;
    address public immutable market;
    uint256 public immutable assetId;

    constructor(RwaTradePolicy rules_, address market_, uint256 assetId_) {
        rules = rules_;
        market = market_;
        assetId = assetId_;
    }

    function evaluate(address sender, bytes4 selector, bytes calldata args, KernelResponse[] calldata responses)
        external
        view
        returns (bool ok, string memory reason)
    {
        if (selector != EXECUTE_SELECTOR) return (false, "account policy: only execute(address,uint256,bytes) is covered");
        (address target, uint256 value, bytes memory data) = abi.decode(args, (address, uint256, bytes));
        if (target != market) return (false, "account policy: the call must go to the RWA market");
        if (value != 0) return (false, "account policy: trade sends no ether");
        if (data.length != 68 || bytes4(data) != RwaMarket.trade.selector) {
            return (false, "account policy: only RwaMarket.trade(assetId, amount) is covered");
        }
        uint256 asset;
        /// @solidity memory-safe-assembly
        assembly {
            asset := mload(add(data, 36))
        }
        if (asset != assetId) return (false, "account policy: the kernels checked another asset");
        return rules.evaluate(sender, rules.TRADE_SELECTOR(), "", responses);
    }
}
