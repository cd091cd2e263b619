// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "solady/auth/Ownable.sol";

/// The seed's "Company 1" RWA platform (on chain 31338 in the demo): it approves wallets per asset. Its off-chain
/// metadata (is the asset active?) is served over HTTP and read by an http kernel.
contract RwaPlatform is Ownable {
    event ApprovalSet(address indexed wallet, uint256 indexed assetId, bool approved);
    event MetadataSet(uint256 indexed assetId, string uri);

    mapping(address wallet => mapping(uint256 assetId => bool)) public isApproved;
    mapping(uint256 assetId => string) public metadataURI;

    constructor(address owner_) {
        _initializeOwner(owner_);
    }

    function setApproval(address wallet, uint256 assetId, bool approved) external onlyOwner {
        isApproved[wallet][assetId] = approved;
        emit ApprovalSet(wallet, assetId, approved);
    }

    function setMetadataURI(uint256 assetId, string calldata uri) external onlyOwner {
        metadataURI[assetId] = uri;
        emit MetadataSet(assetId, uri);
    }
}
