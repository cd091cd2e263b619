// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// The user operation as EntryPoint v0.7 and v0.8 pass it (the same struct in both).
struct PackedUserOperation {
    address sender;
    uint256 nonce;
    bytes initCode;
    bytes callData;
    bytes32 accountGasLimits;
    uint256 preVerificationGas;
    bytes32 gasFees;
    bytes paymasterAndData;
    bytes signature;
}

interface IEntryPointLike {
    function depositTo(address account) external payable;
    function addStake(uint32 unstakeDelaySec) external payable;
    function balanceOf(address account) external view returns (uint256);
    function getNonce(address sender, uint192 key) external view returns (uint256);
}

/// A contract the scenario entities reach during validation: its own storage is "unassociated" for
/// every entity, `balanceOf[entity]` is storage associated with that entity (ERC-7562 STO-021/032).
contract RulesTarget {
    uint256 public state;
    mapping(address => uint256) public balanceOf;

    event Emitted(address indexed from, uint256 value);

    function setState(uint256 value) external {
        state = value;
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function emitEvent(uint256 value) external payable {
        emit Emitted(msg.sender, value);
    }

    function revertAlways() external pure {
        revert("RulesTarget: always reverts");
    }

    receive() external payable {}
}

/// What a scenario entity does during validation, chosen by a rule name. Each entity (account,
/// paymaster, factory) inherits it, so "own storage" is the entity's own, and `target` is a
/// RulesTarget. Every result lands in `sink`, which is read at the end, so the optimizer keeps each opcode.
abstract contract RuleActions {
    uint256 public counter;
    mapping(address => uint256) public assoc;
    // A struct per sender: its members sit at keccak(sender ‖ slot) + n, associated with the sender.
    struct Pair {
        uint256 first;
        uint256 second;
    }
    mapping(address => Pair) public assocStruct;
    uint256 public window;

    IEntryPointLike public immutable entryPoint;
    RulesTarget public immutable target;

    /// An address that never has code on the dev chains.
    address internal constant NO_CODE = 0x00000000000000000000000000000000DeaDBeef;

    constructor(IEntryPointLike entryPoint_, RulesTarget target_) {
        entryPoint = entryPoint_;
        target = target_;
    }

    function _is(string memory rule, string memory name) internal pure returns (bool) {
        return keccak256(bytes(rule)) == keccak256(bytes(name));
    }

    /// Runs `rule` for an operation of `sender`; returns ERC-4337 validation data (0: valid).
    function _runRule(string memory rule, address sender) internal returns (uint256 validationData) {
        bytes memory r = bytes(rule);
        // "self:" prefix: the same rule one call frame deeper (through a call to this contract).
        if (r.length > 5 && r[0] == "s" && r[1] == "e" && r[2] == "l" && r[3] == "f" && r[4] == ":") {
            bytes memory rest = new bytes(r.length - 5);
            for (uint256 i = 0; i < rest.length; i++) rest[i] = r[i + 5];
            return RuleActions(address(this)).runRuleExternal(string(rest), sender);
        }
        uint256 sink;
        if (r.length == 0 || _is(rule, "ok") || _is(rule, "nothing")) return 0;
        // OP-011: banned opcodes
        if (_is(rule, "NUMBER")) assembly { sink := number() }
        else if (_is(rule, "TIMESTAMP")) assembly { sink := timestamp() }
        else if (_is(rule, "COINBASE")) assembly { sink := coinbase() }
        else if (_is(rule, "PREVRANDAO")) assembly { sink := prevrandao() }
        else if (_is(rule, "BASEFEE")) assembly { sink := basefee() }
        else if (_is(rule, "GASLIMIT")) assembly { sink := gaslimit() }
        else if (_is(rule, "GASPRICE")) assembly { sink := gasprice() }
        else if (_is(rule, "ORIGIN")) assembly { sink := origin() }
        else if (_is(rule, "BLOCKHASH")) assembly { sink := blockhash(0) }
        else if (_is(rule, "BLOBHASH")) assembly { sink := blobhash(0) }
        else if (_is(rule, "BLOBBASEFEE")) assembly { sink := blobbasefee() }
        else if (_is(rule, "GAS")) assembly { sink := gas() }
        else if (_is(rule, "INVALID")) {
            // In a call frame of its own with fixed gas, so the banned opcode is what fails, not the frame.
            (bool ok,) = address(this).call{gas: 20000}(abi.encodeWithSelector(this.doInvalid.selector));
            sink = ok ? 1 : 0;
        } else if (_is(rule, "SELFDESTRUCT")) {
            (bool ok,) = address(this).call{gas: 20000}(abi.encodeWithSelector(this.doSelfdestruct.selector));
            sink = ok ? 1 : 0;
        } else if (_is(rule, "CREATE")) {
            address created;
            assembly {
                mstore(0, 0x60006000f3) // init code returning empty code
                created := create(0, 27, 5)
            }
            sink = uint160(created);
        } else if (_is(rule, "CREATE2")) {
            address created;
            assembly {
                mstore(0, 0x60006000f3)
                created := create2(0, 27, 5, 0x1234)
            }
            sink = uint160(created);
        }
        // OP-080: allowed only to staked entities
        else if (_is(rule, "BALANCE")) assembly { sink := balance(caller()) }
        else if (_is(rule, "SELFBALANCE")) assembly { sink := selfbalance() }
        // OP-012: GAS right before a call is allowed
        else if (_is(rule, "GAS CALL")) sink = RuleActions(address(this)).noop();
        else if (_is(rule, "GAS DELEGATECALL")) {
            (bool ok,) = address(target).delegatecall(abi.encodeWithSelector(RulesTarget.emitEvent.selector, 0));
            sink = ok ? 1 : 0;
        }
        // OP-020: an inner call that runs out of gas
        else if (_is(rule, "out_of_gas")) {
            (bool ok,) = address(this).call{gas: 10000}(abi.encodeWithSelector(this.burnGas.selector));
            sink = ok ? 1 : 0;
        }
        // OP-041: EXTCODE* / CALL of an address without code
        else if (_is(rule, "EXTCODESIZE_nocode")) assembly { sink := extcodesize(NO_CODE) }
        else if (_is(rule, "EXTCODEHASH_nocode")) assembly { sink := extcodehash(NO_CODE) }
        else if (_is(rule, "EXTCODECOPY_nocode")) assembly { extcodecopy(NO_CODE, 0, 0, 32) sink := mload(0) }
        else if (_is(rule, "CALL_nocode")) {
            (bool ok,) = NO_CODE.call("");
            sink = ok ? 1 : 0;
        } else if (_is(rule, "EXTCODESIZE_code")) {
            address t = address(target);
            assembly { sink := extcodesize(t) }
        }
        // OP-051..054: the EntryPoint
        else if (_is(rule, "ep_balanceOf")) sink = entryPoint.balanceOf(sender);
        else if (_is(rule, "ep_getNonce")) sink = entryPoint.getNonce(sender, 0);
        else if (_is(rule, "ep_depositTo")) entryPoint.depositTo{value: 0}(sender);
        else if (_is(rule, "EXTCODESIZE_entrypoint")) {
            address ep = address(entryPoint);
            assembly { sink := extcodesize(ep) }
        }
        // OP-061: value calls other than to the EntryPoint
        else if (_is(rule, "value_call")) {
            (bool ok,) = address(target).call{value: 1}("");
            sink = ok ? 1 : 0;
        }
        // Storage (STO-010..033) and transient storage (OP-070)
        else if (_is(rule, "storage_read")) sink = counter;
        else if (_is(rule, "storage_write")) counter = counter + 1;
        else if (_is(rule, "transient_read")) assembly { sink := tload(0) }
        else if (_is(rule, "transient_write")) assembly { tstore(0, 1) }
        else if (_is(rule, "own_assoc_read")) sink = assoc[sender];
        else if (_is(rule, "own_assoc_write")) assoc[sender] = assoc[sender] + 1;
        else if (_is(rule, "own_assoc_struct")) sink = assocStruct[sender].second;
        else if (_is(rule, "external_storage_read")) sink = target.state();
        else if (_is(rule, "external_storage_write")) target.setState(7);
        else if (_is(rule, "external_assoc_sender")) sink = target.balanceOf(sender);
        else if (_is(rule, "external_assoc_sender_write")) target.mint(sender, 1);
        else if (_is(rule, "external_assoc_self")) sink = target.balanceOf(address(this));
        // Results
        else if (_is(rule, "sig_fail")) return 1;
        else if (_is(rule, "expired")) return uint256(1) << 160; // validUntil = 1: long past
        else if (_is(rule, "window")) return window; // set by the test (own storage: STO-010 for the account)
        else if (_is(rule, "not_yet_valid")) return uint256(type(uint40).max) << 208; // validAfter far ahead
        else if (_is(rule, "revert")) revert("RuleActions: validation reverts");
        else revert(string.concat("RuleActions: unknown rule ", rule));
        // The sink keeps each result alive; it never decides validity.
        if (sink == 0x5eed) counter = 0;
        return 0;
    }

    function setWindow(uint48 validAfter, uint48 validUntil) external {
        window = (uint256(validUntil) << 160) | (uint256(validAfter) << 208);
    }

    function noop() external pure returns (uint256) {
        return 1;
    }

    function runRuleExternal(string memory rule, address sender) external returns (uint256) {
        require(msg.sender == address(this), "RuleActions: self only");
        return _runRule(rule, sender);
    }

    function doInvalid() external pure {
        assembly { invalid() }
    }

    function doSelfdestruct() external {
        selfdestruct(payable(address(this)));
    }

    function burnGas() external view returns (uint256 x) {
        while (true) x += counter + 1;
    }

    /// Staking and deposits for the tests: only the entity itself can stake on the EntryPoint.
    function addStake(uint32 unstakeDelaySec) external payable {
        entryPoint.addStake{value: msg.value}(unstakeDelaySec);
    }

    function deposit() external payable {
        entryPoint.depositTo{value: msg.value}(address(this));
    }

    function seedAssoc(address account, uint256 value) external {
        assoc[account] = value;
        assocStruct[account].second = value;
    }
}
