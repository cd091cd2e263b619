// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// Code an EOA delegates to with EIP-7702; its storage lives in the EOA.
contract Delegate {
    uint256 public counter; // slot 0 of the delegating account

    event Incremented(address indexed self, address indexed caller, uint256 counter);

    function increment() external returns (uint256) {
        counter += 1;
        emit Incremented(address(this), msg.sender, counter);
        return counter;
    }

    /// Sends value from the delegating account; only the account itself may ask.
    function pay(address payable to, uint256 amount) external {
        require(msg.sender == address(this), "delegate: only self");
        to.transfer(amount);
    }
}
