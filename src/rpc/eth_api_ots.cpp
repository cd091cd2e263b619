// Otterscan's ots_* at API level 8, in Erigon's shapes, so the Otterscan explorer works against
// the node. Without Erigon's indexes, what needs history is found by bisection over the state of
// each block (a contract's creator, a transaction by sender and nonce) or by re-executing blocks
// with the call tracer, at most `max_ots_scan_blocks` of them per request (address search).
#include <algorithm>
#include <functional>

#include "rpc/eth_api.hpp"

namespace krnl::rpc {

using chain::ChainReader;

namespace {

constexpr int kOtsApiLevel = 8;

// Erigon's transaction tracer entries, depth-first: {type, depth, from, to, value, input, output}.
void ots_trace_entries(const json& frame, uint64_t depth, json& out) {
    const std::string type = frame.value("type", "CALL");
    json entry = {{"type", type},
                  {"depth", depth},
                  {"from", frame.value("from", "")},
                  {"to", frame.value("to", to_hex(address{}))}};
    // STATICCALL and DELEGATECALL move no value of their own.
    entry["value"] = type == "STATICCALL" || type == "DELEGATECALL"
                         ? json(nullptr)
                         : json(frame.value("value", "0x0"));
    if (type != "SELFDESTRUCT") {
        entry["input"] = frame.value("input", "0x");
        entry["output"] = frame.value("output", "0x");
    }
    out.push_back(std::move(entry));
    if (auto calls = frame.find("calls"); calls != frame.end())
        for (const json& c : *calls)
            ots_trace_entries(c, depth + 1, out);
}

// Erigon's internal operations below the top call: 0 transfer (a CALL with value), 1 self-destruct,
// 2 CREATE, 3 CREATE2.
void internal_operations(const json& frame, bool top, json& out) {
    const std::string type = frame.value("type", "CALL");
    const std::string value = frame.value("value", "0x0");
    int kind = -1;
    if (!top) {
        if (type == "CALL" && value != "0x0") kind = 0;
        if (type == "SELFDESTRUCT") kind = 1;
        if (type == "CREATE") kind = 2;
        if (type == "CREATE2") kind = 3;
    }
    if (kind >= 0)
        out.push_back({{"type", kind},
                       {"from", frame.value("from", "")},
                       {"to", frame.value("to", to_hex(address{}))},
                       {"value", value}});
    if (auto calls = frame.find("calls"); calls != frame.end())
        for (const json& c : *calls)
            internal_operations(c, false, out);
}

// Whether `who` (lowercase hex) is an end of any frame of the tree.
bool frame_touches(const json& frame, const std::string& who) {
    if (frame.value("from", "") == who || frame.value("to", "") == who) return true;
    if (auto calls = frame.find("calls"); calls != frame.end())
        for (const json& c : *calls)
            if (frame_touches(c, who)) return true;
    return false;
}

// Erigon's number arguments: JSON numbers or quantities.
Result<uint64_t> plain_u64(const Params& p, size_t i) {
    if (!p.has(i)) return std::unexpected(Params::missing(i));
    if (p.at(i).is_number_unsigned()) return p.at(i).get<uint64_t>();
    if (p.at(i).is_number())
        return std::unexpected(Params::invalid(i, "expected a non-negative integer"));
    return p.u64(i);
}

}  // namespace

void EthApi::register_ots(MethodTable& m) {
    m.add("ots_getApiLevel",
          [](const json&, CallContext&) -> Result<json> { return kOtsApiLevel; });

    m.add("ots_hasCode", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(addr, p.address(0));
        KRNL_RPC_TRY(ref, p.block(1));
        auto reader = chain_.reader();
        KRNL_RPC_TRY(number, resolve(reader, ref));
        const auto acc = reader.state_at(number)->read_account(addr);
        return acc && acc->code_hash != kEmptyKeccak;
    });

    // The call frame tree of a mined transaction (re-executed), or an error naming the hash.
    auto call_frame_of = [this](const hash256& hash) -> Result<json> {
        auto reader = chain_.reader();
        const auto location = reader.find_transaction(hash);
        if (!location)
            return error(code::kServerError, "transaction " + to_hex(hash) + " not found");
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        KRNL_RPC_TRY(results, parity_block(reader, location->block_number, location->index, false,
                                           false, *run, bytes_left, true));
        return results.at(0).at("callFrame");
    };
    m.add_evm("ots_getInternalOperations",
              [call_frame_of](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
                  KRNL_RPC_TRY(hash, p.hash(0));
                  KRNL_RPC_TRY(frame, call_frame_of(hash));
                  json out = json::array();
                  internal_operations(frame, true, out);
                  return out;
              });
    m.add_evm("ots_traceTransaction",
              [call_frame_of](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
                  KRNL_RPC_TRY(hash, p.hash(0));
                  KRNL_RPC_TRY(frame, call_frame_of(hash));
                  json out = json::array();
                  ots_trace_entries(frame, 0, out);
                  return out;
              });
    // The revert data of a failed transaction; "0x" for one that succeeded.
    m.add_evm("ots_getTransactionError",
              [this, call_frame_of](const json& params, CallContext&) -> Result<json> {
                  Params p(params);
                  if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
                  KRNL_RPC_TRY(hash, p.hash(0));
                  {
                      auto reader = chain_.reader();
                      const auto location = reader.find_transaction(hash);
                      if (!location)
                          return error(code::kServerError,
                                       "transaction " + to_hex(hash) + " not found");
                      const auto receipts = reader.receipts(location->block_number);
                      if (receipts && location->index < receipts->size() &&
                          (*receipts)[location->index].success)
                          return "0x";
                  }
                  KRNL_RPC_TRY(frame, call_frame_of(hash));
                  return frame.value("output", "0x");
              });

    // Erigon's block details: the header without transactions (their count instead, no bloom),
    // the issuance (none after the merge) and the fees paid.
    auto block_details = [this](const ChainReader& reader, uint64_t number) -> json {
        const auto block = reader.block(number);
        if (!block) return nullptr;
        json b = block_json(*block, *reader.hash(number), {}, false);
        b["transactionCount"] = block->transactions.size();
        b.erase("transactions");
        b["logsBloom"] = nullptr;
        uint256 fees;
        const json receipts = block_receipts_json(reader, number);
        if (receipts.is_array())
            for (const json& r : receipts)
                fees += *parse_quantity(r["gasUsed"]) * *parse_quantity(r["effectiveGasPrice"]);
        return {{"block", std::move(b)},
                {"issuance", {{"blockReward", "0x0"}, {"uncleReward", "0x0"}, {"issuance", "0x0"}}},
                {"totalFees", to_quantity(fees)}};
    };
    m.add("ots_getBlockDetails",
          [this, block_details](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
              auto reader = chain_.reader();
              // Otterscan sends a JSON number; tags and quantities are taken too.
              if (p.has(0) && p.at(0).is_number_unsigned()) {
                  const uint64_t n = p.at(0).get<uint64_t>();
                  return n > reader.head() ? json(nullptr) : block_details(reader, n);
              }
              KRNL_RPC_TRY(number, find_block(reader, p, 0, false));
              if (!number) return json(nullptr);
              return block_details(reader, *number);
          });
    m.add("ots_getBlockDetailsByHash",
          [this, block_details](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
              auto reader = chain_.reader();
              KRNL_RPC_TRY(number, find_block(reader, p, 0, true));
              if (!number) return json(nullptr);
              return block_details(reader, *number);
          });

    // ots_getBlockTransactions(number, page, pageSize): page 0 is the block's last `pageSize`
    // transactions (Erigon's order); inputs cut to their selector, receipts without logs.
    m.add("ots_getBlockTransactions", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(number, plain_u64(p, 0));
        KRNL_RPC_TRY(page, plain_u64(p, 1));
        KRNL_RPC_TRY(page_size, plain_u64(p, 2));
        auto reader = chain_.reader();
        if (number > reader.head()) return json(nullptr);
        const auto block = reader.block(number);
        if (!block) return json(nullptr);
        const size_t count = block->transactions.size();
        const uint64_t skip = page_size == 0 || page > count / page_size
                                  ? count
                                  : std::min<uint64_t>(count, page * page_size);
        const size_t end = count - skip;
        const size_t start = end > page_size ? end - page_size : 0;
        json full = block_json(*block, *reader.hash(number), reader.senders(number), true);
        json receipts = block_receipts_json(reader, number);
        json txs = json::array(), page_receipts = json::array();
        for (size_t i = start; i < end; ++i) {
            json tx = full["transactions"][i];
            const std::string input = tx.value("input", "0x");
            if (input.size() > 10) tx["input"] = input.substr(0, 10);
            txs.push_back(std::move(tx));
            json r = receipts[i];
            r["logs"] = nullptr;
            r["logsBloom"] = nullptr;
            page_receipts.push_back(std::move(r));
        }
        full["transactions"] = std::move(txs);
        full["transactionCount"] = count;
        return json{{"fullblock", std::move(full)}, {"receipts", std::move(page_receipts)}};
    });

    // Address history: whole blocks, re-executed with the call tracer, until a page is full.
    // Before: blocks below `number` (0: from the head) newest first. After: blocks above it,
    // answered newest first too. firstPage/lastPage say whether the newest/oldest end was reached.
    auto search = [this](const json& params, bool before) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(3); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(addr, p.address(0));
        KRNL_RPC_TRY(number, plain_u64(p, 1));
        KRNL_RPC_TRY(page_size, plain_u64(p, 2));
        const std::string who = to_hex(addr);
        auto reader = chain_.reader();
        const uint64_t head = reader.head();
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        json txs = json::array(), receipts = json::array();
        // The blocks to look at, in the order looked at.
        uint64_t next = before ? (number == 0 ? head : std::min(number - 1, head)) : number + 1;
        bool reached_end = before ? (number == 1 || (number == 0 && head == 0)) : number >= head;
        uint64_t scanned = 0;
        while (!reached_end && txs.size() < page_size) {
            if (scanned++ >= options_.max_ots_scan_blocks) break;
            const uint64_t n = next;
            reached_end = before ? n <= 1 : n >= head;
            if (!reached_end) next = before ? n - 1 : n + 1;
            const auto block = reader.block(n);
            if (!block || block->transactions.empty()) continue;
            KRNL_RPC_TRY(traced, parity_block(reader, n, std::nullopt, false, false, *run,
                                              bytes_left, true));
            const json block_receipts = block_receipts_json(reader, n);
            const json full = block_json(*block, *reader.hash(n), reader.senders(n), true);
            std::vector<size_t> hits;
            for (size_t i = 0; i < traced.size(); ++i) {
                const json& frame = traced[i]["callFrame"];
                const json& receipt = block_receipts[i];
                if (frame_touches(frame, who) || receipt.value("from", "") == who ||
                    receipt["to"] == who || receipt["contractAddress"] == who)
                    hits.push_back(i);
            }
            if (before) std::reverse(hits.begin(), hits.end());
            for (size_t i : hits) {
                txs.push_back(full["transactions"][i]);
                json r = block_receipts[i];
                r["timestamp"] = to_quantity(block->header.timestamp);
                receipts.push_back(std::move(r));
            }
        }
        if (!before) {
            std::reverse(txs.begin(), txs.end());
            std::reverse(receipts.begin(), receipts.end());
        }
        return json{{"txs", std::move(txs)},
                    {"receipts", std::move(receipts)},
                    {"firstPage", before ? number == 0 : reached_end},
                    {"lastPage", before ? reached_end : number == 0}};
    };
    m.add_evm("ots_searchTransactionsBefore",
              [search](const json& params, CallContext&) { return search(params, true); });
    m.add_evm("ots_searchTransactionsAfter",
              [search](const json& params, CallContext&) { return search(params, false); });

    m.add("ots_getTransactionBySenderAndNonce",
          [this](const json& params, CallContext&) -> Result<json> {
              Params p(params);
              if (auto r = p.at_most(2); !r) return std::unexpected(r.error());
              KRNL_RPC_TRY(sender, p.address(0));
              KRNL_RPC_TRY(nonce, plain_u64(p, 1));
              auto reader = chain_.reader();
              const auto loc = find_by_sender_and_nonce(reader, sender, nonce);
              if (!loc) return json(nullptr);
              return to_hex(chain::transaction_hash(
                  reader.block(loc->block_number)->transactions[loc->index]));
          });

    // The block where the account first has code (bisection over the state of each block), then
    // the creation in it: {hash, creator}, or null (no code, or code since genesis).
    m.add_evm("ots_getContractCreator", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(addr, p.address(0));
        auto reader = chain_.reader();
        auto has_code = [&](uint64_t n) {
            const auto acc = reader.state_at(n)->read_account(addr);
            return acc && acc->code_hash != kEmptyKeccak;
        };
        const uint64_t head = reader.head();
        if (!has_code(head) || has_code(0)) return json(nullptr);
        uint64_t low = 1, high = head;
        while (low < high) {
            const uint64_t mid = low + (high - low) / 2;
            if (has_code(mid))
                high = mid;
            else
                low = mid + 1;
        }
        KRNL_RPC_TRY(run, start_evm_run());
        uint64_t bytes_left = options_.evm.trace_max_bytes;
        KRNL_RPC_TRY(traced,
                     parity_block(reader, low, std::nullopt, false, false, *run, bytes_left, true));
        const std::string who = to_hex(addr);
        // The creation frame: depth-first through each transaction's tree.
        std::function<std::optional<std::string>(const json&)> creator =
            [&](const json& frame) -> std::optional<std::string> {
            const std::string type = frame.value("type", "");
            if ((type == "CREATE" || type == "CREATE2") && frame.value("to", "") == who &&
                !frame.contains("error"))
                return frame.value("from", "");
            if (auto calls = frame.find("calls"); calls != frame.end())
                for (const json& c : *calls)
                    if (auto found = creator(c)) return found;
            return std::nullopt;
        };
        for (const json& t : traced)
            if (auto from = creator(t["callFrame"]))
                return json{{"hash", t["transactionHash"]}, {"creator", *from}};
        return json(nullptr);
    });
}

}  // namespace krnl::rpc
