// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

interface IERC721Transfer {
    function transferFrom(address from, address to, uint256 id) external;
}

interface IERC1155Transfer {
    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata data) external;
}

/// @notice Token actions as account functions (an executor, run by delegatecall from the account's
/// fallback): bind one of these selectors to a validator to allow exactly that kind of transfer.
contract TokenActions {
    function transferERC20Action(address token, address to, uint256 amount) external {
        SafeTransferLib.safeTransfer(token, to, amount);
    }

    function transferERC721Action(address token, address to, uint256 id) external {
        IERC721Transfer(token).transferFrom(address(this), to, id);
    }

    function transferERC1155Action(address token, address to, uint256 id, uint256 amount, bytes calldata data)
        external
    {
        IERC1155Transfer(token).safeTransferFrom(address(this), to, id, amount, data);
    }

    function transferNativeAction(address to, uint256 amount) external {
        SafeTransferLib.safeTransferETH(to, amount);
    }
}
