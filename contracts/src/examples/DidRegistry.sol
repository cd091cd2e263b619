// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "solady/auth/Ownable.sol";

/// The seed's on-chain DID contract (on chain 31339 in the demo): an identity score per wallet, set by issuers.
contract DidRegistry is Ownable {
    event IssuerSet(address indexed issuer, bool allowed);
    event ScoreSet(address indexed wallet, uint256 score, address indexed issuer);

    error NotIssuer(address caller);

    mapping(address issuer => bool) public isIssuer;
    mapping(address wallet => uint256) public scoreOf;

    constructor(address owner_) {
        _initializeOwner(owner_);
        isIssuer[owner_] = true;
        emit IssuerSet(owner_, true);
    }

    function setIssuer(address issuer, bool allowed) external onlyOwner {
        isIssuer[issuer] = allowed;
        emit IssuerSet(issuer, allowed);
    }

    function setScore(address wallet, uint256 score) external {
        if (!isIssuer[msg.sender]) revert NotIssuer(msg.sender);
        scoreOf[wallet] = score;
        emit ScoreSet(wallet, score, msg.sender);
    }
}
