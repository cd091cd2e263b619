#include "state/state.hpp"

namespace krnl::state {

Account* State::find(const address& addr) {
    if (last_found_.account != nullptr && last_found_.addr == addr) return last_found_.account;
    auto it = accounts_.find(addr);
    Account* acc = it != accounts_.end() ? &it->second : load(addr);
    if (acc == nullptr) return nullptr;
    last_found_.addr = addr;
    last_found_.account = acc;
    return acc;
}

Account* State::load(const address& addr) const {
    if (base_ == nullptr || absent_.contains(addr)) return nullptr;
    const std::optional<AccountInfo> info = base_->read_account(addr);
    if (!info) {
        absent_.insert(addr);
        return nullptr;
    }
    Account acc;
    acc.nonce = info->nonce;
    acc.balance = info->balance;
    acc.code_hash = info->code_hash;
    if (info->code_hash != kEmptyKeccak) acc.code = base_->read_code(info->code_hash);
    acc.base_has_storage = acc.storage_in_base = info->has_storage;
    return &accounts_.emplace(addr, std::move(acc)).first->second;
}

StorageSlot& State::loaded_slot(Account& acc, const address& addr, const uint256& key) const {
    auto it = acc.storage.find(key);
    if (it != acc.storage.end()) return it.value();
    uint256 value;
    if (acc.storage_in_base) value = base_->read_storage(addr, key);
    return acc.storage.try_emplace(key, StorageSlot{value, value}).first.value();
}

std::vector<AccountChange> State::changes() const {
    std::vector<AccountChange> out;
    for (const auto& [addr, acc] : accounts_) {
        if (!acc.dirty) continue;
        AccountChange& change = out.emplace_back();
        change.addr = addr;
        change.info = AccountInfo{acc.nonce, acc.balance, acc.code_hash, false};
        if (!acc.code.empty()) change.code = &acc.code;
        change.storage_cleared = removed_.contains(addr);
        for (const auto& [key, slot] : acc.storage)
            if (slot.dirty) change.storage.emplace_back(key, slot.current);
    }
    for (const address& addr : removed_)
        if (!accounts_.contains(addr)) out.push_back({addr, std::nullopt, nullptr, true, {}});
    return out;
}

void State::forget(const address& addr) {
    if (base_ == nullptr) return;
    absent_.insert(addr);
    removed_.insert(addr);
}

const Account* State::find(const address& addr) const {
    return const_cast<State*>(this)->find(addr);
}

Account& State::put(const address& addr, Account account) {
    // Over a base the account replaces whatever the base held, storage included.
    if (base_ != nullptr && (accounts_.contains(addr) || load(addr) != nullptr))
        removed_.insert(addr);
    last_found_.account = nullptr;
    for (auto it = account.storage.begin(); it != account.storage.end(); ++it) {
        it.value().original = it->second.current;
        it.value().dirty = true;
    }
    account.dirty = true;
    account.storage_in_base = false;
    return accounts_[addr] = std::move(account);
}

Account& State::get_or_create(const address& addr) {
    if (Account* existing = find(addr)) {
        existing->dirty = true;
        return *existing;
    }
    auto [it, inserted] = accounts_.try_emplace(addr);
    if (inserted) record(Change::Created, addr);
    it->second.dirty = true;
    return it->second;
}

Account& State::create_contract(const address& addr) {
    Account& acc = get_or_create(addr);
    if (!acc.just_created) {
        record(Change::JustCreated, addr);
        acc.just_created = true;
    }
    return acc;
}

void State::add_balance(const address& addr, const uint256& amount) {
    Account& acc = get_or_create(addr);
    touch(addr);
    record(Change::Balance, addr, {}, acc.balance);
    acc.balance += amount;
}

void State::sub_balance(const address& addr, const uint256& amount) {
    Account& acc = get_or_create(addr);
    touch(addr);
    record(Change::Balance, addr, {}, acc.balance);
    acc.balance -= amount;
}

void State::bump_nonce(const address& addr) {
    Account& acc = get_or_create(addr);
    record(Change::Nonce, addr);
    ++acc.nonce;
}

void State::set_code(const address& addr, bytes code) {
    Account& acc = get_or_create(addr);
    journal_.push_back({Change::Code, addr, {}, {}, std::move(acc.code)});
    acc.set_code(std::move(code));
}

void State::touch(const address& addr) {
    Account& acc = get_or_create(addr);
    if (!acc.touched) {
        record(Change::Touched, addr);
        acc.touched = true;
    }
}

void State::mark_destructed(const address& addr) {
    Account& acc = existing(addr);
    if (!acc.destructed) {
        record(Change::Destructed, addr);
        acc.destructed = true;
    }
}

bool State::warm_account(const address& addr) {
    if (!warm_accounts_.insert(addr).second) return false;
    record(Change::WarmAccount, addr);
    return true;
}

uint256 State::get_storage(const address& addr, const uint256& key) const {
    Account* acc = const_cast<State*>(this)->find(addr);
    if (acc == nullptr) return {};
    auto it = acc->storage.find(key);
    if (it != acc->storage.end()) return it->second.current;
    return acc->storage_in_base ? loaded_slot(*acc, addr, key).current : uint256{};
}

StorageSlot& State::slot(const address& addr, const uint256& key) {
    return loaded_slot(get_or_create(addr), addr, key);
}

bool State::warm_slot(const address& addr, const uint256& key) {
    const std::pair<address, uint256> absent_key{addr, key};
    if (Account* acc = find(addr)) {
        StorageSlot& s = loaded_slot(*acc, addr, key);
        if (s.warm) return false;
        // Warmed while the account did not exist yet (access list, then CREATE).
        if (!warm_absent_slots_.empty() && warm_absent_slots_.contains(absent_key)) return false;
        record(Change::WarmSlot, addr, key);
        s.warm = true;
        return true;
    }
    if (!warm_absent_slots_.insert(absent_key).second) return false;
    record(Change::WarmSlot, addr, key);
    return true;
}

void State::set_storage(const address& addr, const uint256& key, const uint256& value) {
    StorageSlot& s = slot(addr, key);
    record(Change::Storage, addr, key, s.current);
    s.current = value;
    s.dirty = true;
}

uint256 State::get_transient(const address& addr, const uint256& key) const {
    const Account* acc = find(addr);
    if (acc == nullptr) return {};
    auto it = acc->transient_storage.find(key);
    return it != acc->transient_storage.end() ? it->second : uint256{};
}

void State::set_transient(const address& addr, const uint256& key, const uint256& value) {
    Account& acc = get_or_create(addr);
    uint256& v = acc.transient_storage[key];
    record(Change::Transient, addr, key, v);
    v = value;
}

void State::rollback(Checkpoint to) {
    while (journal_.size() > to) {
        JournalEntry& e = journal_.back();
        if (e.change == Change::Created) {
            last_found_.account = nullptr;
            accounts_.erase(e.addr);
        } else if (e.change == Change::WarmAccount) {
            warm_accounts_.erase(e.addr);
        } else if (e.change == Change::WarmSlot) {
            // Undo where it was recorded: in the slot if its account exists and the slot is warm
            // there, otherwise in the set for absent accounts.
            Account* acc = find(e.addr);
            StorageMap::iterator it;
            if (acc != nullptr && (it = acc->storage.find(e.key)) != acc->storage.end() &&
                it->second.warm)
                it.value().warm = false;
            else
                warm_absent_slots_.erase({e.addr, e.key});
        } else {
            Account& acc = existing(e.addr);
            switch (e.change) {
                case Change::Balance:
                    acc.balance = e.value;
                    break;
                case Change::Nonce:
                    --acc.nonce;
                    break;
                case Change::Code:
                    acc.code_hash = keccak256(e.code);
                    acc.code = std::move(e.code);
                    break;
                case Change::Storage:
                    acc.storage[e.key].current = e.value;
                    break;
                case Change::Transient:
                    acc.transient_storage[e.key] = e.value;
                    break;
                case Change::WarmAccount:
                    break;
                case Change::WarmSlot:
                    break;
                case Change::Touched:
                    acc.touched = false;
                    break;
                case Change::Destructed:
                    acc.destructed = false;
                    break;
                case Change::JustCreated:
                    acc.just_created = false;
                    break;
                case Change::Created:
                    break;
            }
        }
        journal_.pop_back();
    }
}

void State::finalize_transaction(bool remove_empty_accounts) {
    last_found_.account = nullptr;
    for (auto it = accounts_.begin(); it != accounts_.end();) {
        Account& acc = it->second;
        if (acc.destructed || (remove_empty_accounts && acc.touched && acc.is_empty())) {
            forget(it->first);
            it = accounts_.erase(it);
            continue;
        }
        for (auto s = acc.storage.begin(); s != acc.storage.end();) {
            // Without a base, zero slots are absent from the trie; over one, a zero slot is
            // kept so it is neither reloaded nor forgotten by changes().
            if (!s->second.current && base_ == nullptr) {
                s = acc.storage.erase(s);  // zero slots are absent from the trie
            } else {
                s.value().original = s->second.current;
                s.value().warm = false;
                ++s;
            }
        }
        acc.transient_storage.clear();
        acc.destructed = acc.just_created = acc.touched = false;
        ++it;
    }
    warm_accounts_.clear();
    warm_absent_slots_.clear();
    journal_.clear();
}

}  // namespace krnl::state
