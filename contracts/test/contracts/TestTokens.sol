// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "solady/tokens/ERC20.sol";
import {ERC721} from "solady/tokens/ERC721.sol";
import {ERC1155} from "solady/tokens/ERC1155.sol";

/// Test-only tokens: anyone may mint.
contract TestToken is ERC20 {
    function name() public pure override returns (string memory) {
        return "Test";
    }

    function symbol() public pure override returns (string memory) {
        return "TST";
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

contract TestNFT is ERC721 {
    function name() public pure override returns (string memory) {
        return "TestNFT";
    }

    function symbol() public pure override returns (string memory) {
        return "TNFT";
    }

    function tokenURI(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }

    function safeMint(address to, uint256 id) external {
        _safeMint(to, id);
    }
}

contract TestMultiToken is ERC1155 {
    function uri(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
