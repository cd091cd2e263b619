// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// Storage, events and reverts the end-to-end suite asserts on.
contract Store {
    uint256 public value; // slot 0
    mapping(address => uint256) public credits; // slot 1

    event ValueSet(address indexed setter, uint256 indexed newValue, string note);
    event Ping(uint256 n);

    error Unauthorized(address caller, uint256 code);

    constructor(uint256 initial) payable {
        value = initial;
    }

    function set(uint256 newValue, string calldata note) external {
        value = newValue;
        emit ValueSet(msg.sender, newValue, note);
    }

    function ping(uint256 n) external {
        emit Ping(n);
    }

    function credit(address who, uint256 amount) external {
        credits[who] += amount;
    }

    function failWithReason() external pure {
        revert("store: nope");
    }

    function failWithCustom() external view {
        revert Unauthorized(msg.sender, 42);
    }

    /// Reverts when mined, so a transaction can carry it.
    function setThenFail(uint256 newValue) external {
        value = newValue;
        revert("store: rolled back");
    }

    function blockInfo()
        external
        view
        returns (uint256 number, uint256 timestamp, address coinbase, uint256 basefee)
    {
        return (block.number, block.timestamp, block.coinbase, block.basefee);
    }

    function balanceOfAccount(address who) external view returns (uint256) {
        return who.balance;
    }

    receive() external payable {}
}

/// Calls into another contract; used for nested traces and gas estimation across a call.
contract Relay {
    event Relayed(address indexed target, bool ok);

    uint256 public calls; // slot 0

    /// Calls `target` and swallows a failure, so the outer frame succeeds around a reverted subcall.
    function tryCall(address target, bytes calldata data) external returns (bool ok, bytes memory ret) {
        calls += 1;
        (ok, ret) = target.call(data);
        emit Relayed(target, ok);
    }

    /// Calls `target` and bubbles a failure up.
    function mustCall(address target, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    /// Needs more gas than its own body uses: the callee must get enough under the 63/64 rule.
    function heavyCall(address target, uint256 slots) external {
        Store(payable(target)).ping(slots);
        for (uint256 i = 0; i < slots; i++) {
            Store(payable(target)).credit(address(uint160(i + 1)), 1);
        }
    }
}
