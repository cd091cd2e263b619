// Logs, polled filters and WebSocket subscriptions.
#include "rpc/eth_api.hpp"

namespace krnl::rpc {
namespace {

// What a polled filter keeps for its next poll: pending transaction hashes, removed logs.
constexpr size_t kMaxFilterBacklog = 10'000;

// A notification is sent as head + result + tail: the head names the subscription (made once per
// subscription), the result is serialised once per event and shared by every subscriber.
SharedText notification_head(const std::string& id) {
    return std::make_shared<const std::string>(
        R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":)" +
        json(id).dump() + R"(,"result":)");
}
constexpr std::string_view kNotificationTail = "}}";

SharedText shared_text(const json& value) {
    return std::make_shared<const std::string>(to_text(value));
}

// Addresses and topic alternatives of one filter, as geth bounds them.
std::expected<void, RpcError> check_filter_size(const LogFilter& filter,
                                                const EthApiOptions& options) {
    if (filter.addresses.size() > options.max_filter_addresses)
        return std::unexpected(limit_error(
            "too many addresses in the filter (" + std::to_string(filter.addresses.size()) + ")",
            options.max_filter_addresses, "max_filter_addresses"));
    for (const auto& alternatives : filter.topics)
        if (alternatives.size() > options.max_filter_topics)
            return std::unexpected(limit_error("too many alternatives for one topic position (" +
                                                   std::to_string(alternatives.size()) + ")",
                                               options.max_filter_topics, "max_filter_topics"));
    return {};
}

// Ends a subscription (filters_mutex_ held) and gives its place back to its connection.
template <typename Subscriptions>
bool erase_subscription(Subscriptions& subscriptions, const std::string& id) {
    const auto it = subscriptions.find(id);
    if (it == subscriptions.end()) return false;
    if (auto connection = it->second.connection.lock()) --connection->subscriptions;
    subscriptions.erase(it);
    return true;
}

}  // namespace

Result<json> EthApi::logs(const chain::ChainReader& reader, const LogFilter& filter, uint64_t from,
                          uint64_t to) const {
    json out = json::array();
    for (uint64_t n = from; n <= to; ++n) {
        const auto header = reader.header(n);
        if (!header) break;
        // The bloom rules most blocks out without reading their receipts.
        if (!filter.addresses.empty()) {
            bool any = false;
            for (const address& a : filter.addresses)
                any |= chain::bloom_contains(header->logs_bloom, a.view());
            if (!any) continue;
        }
        const auto receipts = reader.receipts(n);
        const auto block = reader.block(n);
        if (!receipts || !block) continue;
        const TxPosition base{*reader.hash(n), n, 0, header->base_fee_per_gas.value_or(uint256{})};
        uint64_t log_index = 0;
        for (size_t i = 0; i < receipts->size(); ++i) {
            const hash256 tx_hash = chain::transaction_hash(block->transactions[i]);
            TxPosition p = base;
            p.index = i;
            for (const chain::Log& log : (*receipts)[i].logs) {
                if (log_matches(filter, log)) {
                    if (out.size() >= options_.max_log_results)
                        return error(code::kLimitExceeded,
                                     "query returned more than " +
                                         std::to_string(options_.max_log_results) +
                                         " results; narrow the block range");
                    out.push_back(log_json(log, p, tx_hash, log_index, header->timestamp));
                }
                ++log_index;
            }
        }
    }
    return out;
}

void EthApi::register_filters(MethodTable& m) {
    // The block range of a filter, checked against the chain and the range limit.
    auto range = [this](const chain::ChainReader& reader,
                        const LogFilter& f) -> Result<std::pair<uint64_t, uint64_t>> {
        if (f.block_hash) {
            auto n = reader.number_of(*f.block_hash);
            if (!n) return error(code::kServerError, "unknown block");
            return std::make_pair(*n, *n);
        }
        // A range given in numbers is judged as asked, whatever the head.
        if (f.from && f.to && f.from->tag == BlockRef::Tag::Number &&
            f.to->tag == BlockRef::Tag::Number && f.to->number >= f.from->number &&
            f.to->number - f.from->number + 1 > options_.max_log_block_range)
            return error(
                code::kLimitExceeded,
                "block range too large: " + std::to_string(f.to->number - f.from->number + 1) +
                    " blocks, at most " + std::to_string(options_.max_log_block_range));
        uint64_t from = reader.head(), to = reader.head();
        if (f.from) {
            if (f.from->tag == BlockRef::Tag::Number && f.from->number > reader.head())
                return std::make_pair(f.from->number, f.from->number - 1);  // empty
            KRNL_RPC_TRY(n, resolve(reader, *f.from));
            from = n;
        }
        if (f.to) {
            if (f.to->tag == BlockRef::Tag::Number && f.to->number > reader.head())
                to = reader.head();
            else {
                KRNL_RPC_TRY(n, resolve(reader, *f.to));
                to = n;
            }
        }
        if (from > to) {
            if (f.from && f.to) return error(code::kInvalidParams, "invalid block range params");
            return std::make_pair(from, to);
        }
        if (to - from + 1 > options_.max_log_block_range)
            return error(code::kLimitExceeded,
                         "block range too large: " + std::to_string(to - from + 1) +
                             " blocks, at most " + std::to_string(options_.max_log_block_range));
        return std::make_pair(from, to);
    };

    m.add("eth_getLogs", [this, range](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        if (auto r = p.at_most(1); !r) return std::unexpected(r.error());
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(filter, parse_log_filter(*obj));
        if (auto ok = check_filter_size(filter, options_); !ok) return std::unexpected(ok.error());
        auto reader = chain_.reader();
        KRNL_RPC_TRY(r, range(reader, filter));
        if (r.first > r.second) return json::array();
        return logs(reader, filter, r.first, r.second);
    });

    auto install = [this](Filter filter) -> Result<json> {
        std::lock_guard lock(filters_mutex_);
        // Forget filters nobody polls any more.
        const auto now = std::chrono::steady_clock::now();
        std::erase_if(filters_, [&](const auto& f) {
            return now - f.second.last_poll > options_.filter_timeout;
        });
        if (filters_.size() >= options_.max_filters)
            return std::unexpected(limit_error(
                "too many filters installed (uninstall some, or leave them unpolled for " +
                    std::to_string(options_.filter_timeout.count()) + " s)",
                options_.max_filters, "max_filters"));
        filter.last_poll = now;
        std::string id = new_id();
        filters_[id] = std::move(filter);
        return id;
    };
    m.add("eth_newFilter", [this, install](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(obj, p.object(0));
        KRNL_RPC_TRY(filter, parse_log_filter(*obj));
        if (auto ok = check_filter_size(filter, options_); !ok) return std::unexpected(ok.error());
        auto reader = chain_.reader();
        uint64_t next = reader.head() + 1;
        if (filter.from && filter.from->tag == BlockRef::Tag::Number) next = filter.from->number;
        if (filter.from && filter.from->tag == BlockRef::Tag::Earliest) next = 0;
        return install(Filter{Filter::Kind::Logs, std::move(filter), next, {}, {}});
    });
    m.add("eth_newBlockFilter", [this, install](const json&, CallContext&) -> Result<json> {
        return install(Filter{Filter::Kind::Blocks, {}, chain_.reader().head() + 1, {}, {}});
    });
    m.add("eth_newPendingTransactionFilter", [install](const json&, CallContext&) -> Result<json> {
        return install(Filter{Filter::Kind::Pending, {}, 0, {}, {}});
    });
    m.add("eth_uninstallFilter", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(id, p.string(0));
        std::lock_guard lock(filters_mutex_);
        return filters_.erase(id) > 0;
    });
    m.add("eth_getFilterChanges", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(id, p.string(0));
        Filter filter;
        std::vector<json> removed_logs;
        {
            std::lock_guard lock(filters_mutex_);
            auto it = filters_.find(id);
            if (it == filters_.end()) return error(code::kServerError, "filter not found");
            it->second.last_poll = std::chrono::steady_clock::now();
            removed_logs = std::exchange(it->second.removed_logs, {});
            filter = it->second;
            it->second.pending.clear();
        }
        auto reader = chain_.reader();
        const uint64_t head = reader.head();
        json out = json::array();
        for (json& removed : removed_logs)
            out.push_back(std::move(removed));
        if (filter.kind == Filter::Kind::Pending) {
            for (const hash256& h : filter.pending)
                out.push_back(to_hex(h));
            return out;
        }
        if (filter.next_block <= head) {
            uint64_t to = head;
            if (filter.kind == Filter::Kind::Logs && filter.logs.to &&
                filter.logs.to->tag == BlockRef::Tag::Number)
                to = std::min(to, filter.logs.to->number);
            if (filter.kind == Filter::Kind::Blocks) {
                for (uint64_t n = filter.next_block; n <= to; ++n)
                    out.push_back(to_hex(*reader.hash(n)));
            } else if (filter.next_block <= to) {
                KRNL_RPC_TRY(l, logs(reader, filter.logs, filter.next_block, to));
                for (json& log : l)
                    out.push_back(std::move(log));
            }
            // Unless blocks were removed since this poll's read: then the filter reports from the
            // first of them (on_rewound) at its next poll.
            std::lock_guard lock(filters_mutex_);
            if (auto it = filters_.find(id);
                it != filters_.end() && it->second.rewinds == filter.rewinds)
                it->second.next_block = head + 1;
        }
        return out;
    });
    m.add("eth_getFilterLogs", [this, range](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(id, p.string(0));
        LogFilter filter;
        {
            std::lock_guard lock(filters_mutex_);
            auto it = filters_.find(id);
            if (it == filters_.end() || it->second.kind != Filter::Kind::Logs)
                return error(code::kServerError, "filter not found");
            it->second.last_poll = std::chrono::steady_clock::now();
            filter = it->second.logs;
        }
        auto reader = chain_.reader();
        KRNL_RPC_TRY(r, range(reader, filter));
        if (r.first > r.second) return json::array();
        return logs(reader, filter, r.first, r.second);
    });

    m.add("eth_subscribe", [this](const json& params, CallContext& ctx) -> Result<json> {
        if (!ctx.connection) return error(code::kMethodNotFound, "notifications not supported");
        Params p(params);
        KRNL_RPC_TRY(kind, p.string(0));
        Subscription sub;
        sub.connection = ctx.connection;
        if (kind == "newHeads") {
            sub.kind = Subscription::Kind::NewHeads;
        } else if (kind == "logs") {
            sub.kind = Subscription::Kind::Logs;
            sub.first_block = chain_.reader().head() + 1;
            if (p.has(1)) {
                KRNL_RPC_TRY(filter, parse_log_filter(p.at(1)));
                if (auto ok = check_filter_size(filter, options_); !ok)
                    return std::unexpected(ok.error());
                sub.logs = std::move(filter);
            }
        } else if (kind == "newPendingTransactions") {
            sub.kind = Subscription::Kind::PendingTransactions;
            sub.full_transactions = p.has(1) && p.at(1).is_boolean() && p.at(1).get<bool>();
        } else {
            return error(code::kInvalidParams, "no \"" + kind + "\" subscription in eth namespace");
        }
        std::string id;
        {
            std::lock_guard lock(filters_mutex_);
            if (subscriptions_.size() >= options_.max_subscriptions)
                return std::unexpected(limit_error("too many subscriptions on this node",
                                                   options_.max_subscriptions,
                                                   "max_subscriptions"));
            if (ctx.connection->subscriptions >= options_.max_subscriptions_per_connection)
                return std::unexpected(limit_error("too many subscriptions on this connection",
                                                   options_.max_subscriptions_per_connection,
                                                   "max_subscriptions_per_connection"));
            ++ctx.connection->subscriptions;
            id = new_id();
            sub.head = notification_head(id);
            subscriptions_[id] = std::move(sub);
        }
        ctx.connection->on_close([this, id] {
            std::lock_guard lock(filters_mutex_);
            erase_subscription(subscriptions_, id);
        });
        return id;
    });
    m.add("eth_unsubscribe", [this](const json& params, CallContext&) -> Result<json> {
        Params p(params);
        KRNL_RPC_TRY(id, p.string(0));
        std::lock_guard lock(filters_mutex_);
        if (!erase_subscription(subscriptions_, id))
            return error(code::kServerError, "subscription not found");
        return true;
    });
}

void EthApi::on_block(const chain::BlockEvent& event) {
    {
        std::lock_guard mined_lock(mined_mutex_);
        ++blocks_seen_;
    }
    mined_.notify_all();
    std::lock_guard lock(filters_mutex_);
    if (subscriptions_.empty()) return;
    json head = block_json(event.block, event.hash, event.senders, false);
    head.erase("transactions");
    head.erase("uncles");
    head.erase("size");
    const SharedText head_text = shared_text(head);
    const chain::BlockHeader& h = event.block.header;
    const TxPosition base{event.hash, h.number, 0, h.base_fee_per_gas.value_or(uint256{})};
    // Each log's JSON, made when a subscriber first matches it and shared by the others.
    std::vector<SharedText> log_texts;
    auto log_text = [&](size_t tx, const chain::Log& log, uint64_t log_index) {
        if (log_texts.empty()) {
            size_t logs = 0;
            for (const auto& receipt : event.receipts)
                logs += receipt.logs.size();
            log_texts.resize(logs);
        }
        SharedText& text = log_texts[log_index];
        if (!text) {
            TxPosition p = base;
            p.index = tx;
            text =
                shared_text(log_json(log, p, chain::transaction_hash(event.block.transactions[tx]),
                                     log_index, h.timestamp));
        }
        return text;
    };
    for (auto& [id, sub] : subscriptions_) {
        auto connection = sub.connection.lock();
        if (!connection) continue;
        if (sub.kind == Subscription::Kind::NewHeads) {
            connection->send({sub.head, head_text, kNotificationTail});
        } else if (sub.kind == Subscription::Kind::Logs) {
            uint64_t log_index = 0;
            for (size_t i = 0; i < event.receipts.size(); ++i) {
                for (const chain::Log& log : event.receipts[i].logs) {
                    if (log_matches(sub.logs, log))
                        connection->send(
                            {sub.head, log_text(i, log, log_index), kNotificationTail});
                    ++log_index;
                }
            }
        }
    }
}

void EthApi::on_rewound(const chain::HeadRewound& event) {
    std::lock_guard lock(filters_mutex_);
    // Where each log filter and subscription had got to: the removed blocks below that are the
    // ones whose logs it was given.
    std::vector<std::pair<Filter*, uint64_t>> filters;
    for (auto& [id, filter] : filters_) {
        if (filter.kind == Filter::Kind::Pending) continue;
        if (filter.kind == Filter::Kind::Logs && filter.next_block > event.first_removed)
            filters.emplace_back(&filter, filter.next_block);
        // Blocks that take the removed ones' numbers are new to it.
        filter.next_block = std::min(filter.next_block, event.first_removed);
        ++filter.rewinds;
    }
    std::vector<std::pair<Subscription*, uint64_t>> subscriptions;
    for (auto& [id, sub] : subscriptions_) {
        if (sub.kind != Subscription::Kind::Logs) continue;
        if (sub.first_block <= event.old_head) subscriptions.emplace_back(&sub, sub.first_block);
        sub.first_block = std::min(sub.first_block, event.first_removed);
    }
    const chain::ChainReader* before = event.before;
    if (before == nullptr || (filters.empty() && subscriptions.empty())) return;
    // Newest first, and each block's logs last to first: the order in which they are undone.
    for (uint64_t n = event.old_head; n >= event.first_removed && n > 0; --n) {
        const auto header = before->header(n);
        const auto receipts = before->receipts(n);
        const auto block = before->block(n);
        const auto hash = before->hash(n);
        if (!header || !receipts || !block || !hash) continue;
        std::vector<std::pair<size_t, const chain::Log*>> logs;
        for (size_t i = 0; i < receipts->size(); ++i)
            for (const chain::Log& log : (*receipts)[i].logs)
                logs.emplace_back(i, &log);
        const TxPosition base{*hash, n, 0, header->base_fee_per_gas.value_or(uint256{})};
        for (size_t k = logs.size(); k-- > 0;) {
            const auto [tx, log] = logs[k];
            std::optional<json> removed;
            auto removed_json = [&]() -> const json& {
                if (!removed) {
                    TxPosition p = base;
                    p.index = tx;
                    removed = log_json(*log, p, chain::transaction_hash(block->transactions[tx]), k,
                                       header->timestamp);
                    (*removed)["removed"] = true;
                }
                return *removed;
            };
            for (auto& [filter, reported_up_to] : filters) {
                if (n >= reported_up_to || !log_matches(filter->logs, *log)) continue;
                if (filter->removed_logs.size() < kMaxFilterBacklog)
                    filter->removed_logs.push_back(removed_json());
            }
            SharedText text;
            for (auto& [sub, first_sent] : subscriptions) {
                if (n < first_sent || !log_matches(sub->logs, *log)) continue;
                auto connection = sub->connection.lock();
                if (!connection) continue;
                if (!text) text = shared_text(removed_json());
                connection->send({sub->head, text, kNotificationTail});
            }
        }
    }
}

void EthApi::on_pending(const chain::PooledTx& tx) {
    const hash256& hash = tx.hash;
    std::lock_guard lock(filters_mutex_);
    for (auto& [id, filter] : filters_)
        if (filter.kind == Filter::Kind::Pending && filter.pending.size() < kMaxFilterBacklog)
            filter.pending.push_back(hash);
    // Serialised once, when the first subscriber of each form needs it.
    SharedText full, hash_only;
    for (auto& [id, sub] : subscriptions_) {
        if (sub.kind != Subscription::Kind::PendingTransactions) continue;
        auto connection = sub.connection.lock();
        if (!connection) continue;
        SharedText& text = sub.full_transactions ? full : hash_only;
        if (!text)
            text =
                shared_text(sub.full_transactions ? transaction_json(tx.tx, tx.sender, std::nullopt)
                                                  : json(to_hex(hash)));
        connection->send({sub.head, text, kNotificationTail});
    }
}

}  // namespace krnl::rpc
