// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

// A minimal ERC-20 for anvil_dealERC20 / anvil_setERC20Allowance: its balances are not at slot 0,
// so the slot has to be found, not guessed.
contract Erc20Like {
    string public name = "Like";
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}

// No ERC-20 at all: balanceOf reverts.
contract NotAToken {
    fallback() external {
        revert();
    }
}
