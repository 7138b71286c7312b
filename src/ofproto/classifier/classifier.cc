#include "ofproto/classifier/classifier.h"

#include <algorithm>
#include <new>

#include "common/hash.h"

namespace flowpath::ofproto::classifier {

namespace {

unsigned trie_bits(size_t field) { return prefix_fields()[field].bytes * 8u; }

}  // namespace

Classifier::Order* Classifier::Order::create(size_t n) {
  void* memory = ::operator new(sizeof(Order) + n * sizeof(Item));
  auto* order = new (memory) Order;
  order->n = n;
  return order;
}

void Classifier::Order::destroy(Order* order) {
  order->~Order();
  ::operator delete(order);
}

Classifier::Classifier()
    : tries_{{PrefixTrie(trie_bits(0)), PrefixTrie(trie_bits(1)), PrefixTrie(trie_bits(2)),
              PrefixTrie(trie_bits(3))}} {
  static_assert(kPrefixFields == 4);
}

Classifier::~Classifier() {
  if (Order* order = order_.load(std::memory_order_relaxed)) Order::destroy(order);
  for (Subtable* subtable : subtables_) delete subtable;
  for (Subtable* subtable : retired_) delete subtable;
}

uint64_t Classifier::mask_hash(const OfFlow& mask) {
  uint64_t h = 0;
  for (size_t i = 0; i < OfFlow::kWords; ++i) h = hash_mix_word(h, mask.words()[i]);
  return h;
}

Subtable* Classifier::find_subtable(const OfFlow& mask) const {
  auto [begin, end] = by_mask_.equal_range(mask_hash(mask));
  for (auto it = begin; it != end; ++it)
    if (it->second->mask() == mask) return it->second;
  return nullptr;
}

const Rule* Classifier::lookup(const OfFlow& flow, Version version, OfFlow* wc,
                               ConjunctionMatch* conjunction) const {
  const RuleNode* node = lookup_node(flow, version, wc, true, conjunction);
  return node ? node->rule.get() : nullptr;
}

const RuleNode* Classifier::lookup_node(const OfFlow& flow, Version version, OfFlow* wc,
                                        bool allow_soft, ConjunctionMatch* conjunction) const {
  const Order* order = order_.load(std::memory_order_acquire);
  if (!order) return nullptr;
  LookupContext context{flow, version, wc, tries_};
  const RuleNode* hard = nullptr;  // the best ordinary match
  int hard_priority = -1;
  SoftList<const RuleNode*> soft;  // soft matches above it (conjunction.h)
  int soft_priority = -1;
  const Order::Item* items = order->items();
  for (size_t i = 0; i < order->n; ++i) {
    // Subtables come in descending max priority: none further on can beat
    // the match in hand. Soft matches do not stop the walk: whether they
    // match as a conjunction is known only once all are in.
    if (items[i].max_priority <= hard_priority) break;
    const RuleNode* node = items[i].subtable->lookup(context);
    if (!node || node->priority <= hard_priority) continue;
    if (!node->conjunctions) {
      hard = node;
      hard_priority = node->priority;
    } else if (allow_soft) {
      soft.push(node);
      soft_priority = std::max(soft_priority, node->priority);
    }
  }
  if (hard_priority >= soft_priority) return hard;
  return resolve_soft(flow, version, wc, hard, soft, conjunction);
}

RuleNode* Classifier::insert(RulePtr rule, Version version) {
  const OfMatch& match = rule->match;
  Subtable* subtable = find_subtable(match.mask);
  if (!subtable) {
    subtable = new Subtable(match.mask);
    subtables_.push_back(subtable);
    by_mask_.emplace(mask_hash(match.mask), subtable);
    order_stale_ = true;
  }
  auto* node = new RuleNode;
  node->priority = rule->priority;
  node->conjunctions = make_conjunction_set(*rule);
  node->add_version = version;
  node->rule = std::move(rule);
  int old_max = subtable->max_priority();
  subtable->insert(node);
  if (subtable->max_priority() != old_max) order_stale_ = true;
  for (size_t f = 0; f < kPrefixFields; ++f)
    if (unsigned plen = subtable->prefix_length(f))
      tries_[f].insert(match.value.bytes() + prefix_fields()[f].offset, plen);
  ++n_rules_;
  return node;
}

void Classifier::erase(RuleNode* node) {
  Subtable* subtable = node->subtable;
  const OfMatch& match = node->rule->match;
  for (size_t f = 0; f < kPrefixFields; ++f)
    if (unsigned plen = subtable->prefix_length(f))
      tries_[f].remove(match.value.bytes() + prefix_fields()[f].offset, plen);
  int old_max = subtable->max_priority();
  subtable->erase(node);  // frees the node after a grace period
  --n_rules_;
  if (subtable->empty()) {
    std::erase(subtables_, subtable);
    auto [begin, end] = by_mask_.equal_range(mask_hash(subtable->mask()));
    for (auto it = begin; it != end; ++it)
      if (it->second == subtable) {
        by_mask_.erase(it);
        break;
      }
    retired_.push_back(subtable);
    order_stale_ = true;
  } else if (subtable->max_priority() != old_max) {
    order_stale_ = true;
  }
}

void Classifier::publish() {
  if (!order_stale_) return;
  order_stale_ = false;
  std::vector<Order::Item> items;
  items.reserve(subtables_.size());
  for (const Subtable* subtable : subtables_)
    items.push_back(Order::Item{subtable->max_priority(), subtable});
  // Stable: among equal priorities, older subtables first, so the order a
  // lookup sees changes only where priorities do.
  std::stable_sort(items.begin(), items.end(), [](const Order::Item& a, const Order::Item& b) {
    return a.max_priority > b.max_priority;
  });
  Order* order = Order::create(items.size());
  std::copy(items.begin(), items.end(), order->items());
  Order* old = order_.exchange(order, std::memory_order_acq_rel);
  if (old) rcu::free_after_grace_period<Order, Order::destroy>(old, &old->free_link);
  // Lookups that still hold the old order may be in a retired subtable.
  for (Subtable* subtable : retired_)
    rcu::free_after_grace_period<Subtable, rcu::delete_object<Subtable>>(subtable,
                                                                          &subtable->free_link);
  retired_.clear();
}

RuleNode* Classifier::find(const Rule& rule) const {
  Subtable* subtable = find_subtable(rule.match.mask);
  if (!subtable) return nullptr;
  MatchEntry* entry = subtable->find_entry(rule.match.value);
  if (!entry) return nullptr;
  for (RuleNode* node = entry->head.load(std::memory_order_relaxed); node;
       node = node->next.load(std::memory_order_relaxed))
    if (node->rule.get() == &rule) return node;
  return nullptr;
}

RuleNode* Classifier::find_exact(const OfMatch& match, int priority, Version version) const {
  Subtable* subtable = find_subtable(match.mask);
  if (!subtable) return nullptr;
  MatchEntry* entry = subtable->find_entry(match.value);
  if (!entry) return nullptr;
  for (RuleNode* node = entry->head.load(std::memory_order_relaxed); node;
       node = node->next.load(std::memory_order_relaxed))
    if (node->priority == priority && node->visible_in(version)) return node;
  return nullptr;
}

bool Classifier::overlaps(const OfMatch& match, int priority, Version version) const {
  for (const Subtable* subtable : subtables_) {
    if (!subtable->has_priority(priority)) continue;
    // Two matches overlap when they agree on the bits both care about. When
    // the subtable cares about no bit the rule does not, that is one entry.
    bool within = true;
    for (size_t i = 0; i < OfFlow::kWords && within; ++i) {
      uint64_t s = subtable->mask().words()[i];
      within = (s & match.mask.words()[i]) == s;
    }
    auto has_rule = [&](const MatchEntry& entry) {
      for (const RuleNode* node = entry.head.load(std::memory_order_relaxed); node;
           node = node->next.load(std::memory_order_relaxed))
        if (node->priority == priority && node->visible_in(version)) return true;
      return false;
    };
    if (within) {
      if (const MatchEntry* entry = subtable->find_entry(match.value); entry && has_rule(*entry))
        return true;
      continue;
    }
    bool found = false;
    subtable->for_each_entry([&](MatchEntry& entry) {
      if (!found && subtable->entry_agrees(entry, match.value, match.mask) && has_rule(entry))
        found = true;
    });
    if (found) return true;
  }
  return false;
}

}  // namespace flowpath::ofproto::classifier
