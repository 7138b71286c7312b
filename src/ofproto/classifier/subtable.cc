#include "ofproto/classifier/subtable.h"

#include <bit>
#include <cstring>

#include "common/hash.h"
#include "packet/byte_order.h"

namespace flowpath::ofproto::classifier {

namespace {

// The leading `bits` bits of a field of `bytes` bytes, as a byte mask.
uint8_t prefix_byte(unsigned bits, size_t byte) {
  if (bits >= 8 * (byte + 1)) return 0xff;
  if (bits <= 8 * byte) return 0;
  return static_cast<uint8_t>(0xff << (8 - (bits - 8 * byte)));
}

void set_prefix(uint8_t* field, size_t bytes, unsigned bits) {
  for (size_t i = 0; i < bytes; ++i) field[i] |= prefix_byte(bits, i);
}

const RuleNode* first_visible(const MatchEntry* entry, Version version) {
  if (!entry) return nullptr;
  for (const RuleNode* node = entry->head.load(std::memory_order_acquire); node;
       node = node->next.load(std::memory_order_acquire))
    if (node->visible_in(version)) return node;
  return nullptr;
}

void retire_node(RuleNode* node) {
  rcu::free_after_grace_period<RuleNode, rcu::delete_object<RuleNode>>(node, &node->free_link);
}

}  // namespace

Subtable::Subtable(const OfFlow& mask) : mask_(mask) {
  for (size_t stage = 0; stage < kStages; ++stage) {
    uint8_t begin = n_words_;
    for (size_t w = 0; w < OfFlow::kWords; ++w) {
      if (!mask.words()[w] || static_cast<size_t>(stage_of_word(w)) != stage) continue;
      word_[n_words_] = static_cast<uint8_t>(w);
      bits_[n_words_] = mask.words()[w];
      ++n_words_;
    }
    if (n_words_ > begin) range_end_[n_ranges_++] = n_words_;
  }
  for (size_t f = 0; f < kPrefixFields; ++f) {
    const PrefixField& field = prefix_fields()[f];
    trie_plen_[f] = static_cast<uint8_t>(classifier::prefix_length(mask, field));
    if (!trie_plen_[f]) continue;
    size_t word = field.offset / 8, position = 0;
    while (word_[position] != word) ++position;
    uint8_t range = 0;
    while (range_end_[range] <= position) ++range;
    trie_range_[f] = range;
  }
  // The value tries' bytes: each field's, then the whole value's
  // (protocol fields last), in lookup order.
  std::vector<uint16_t> offsets;
  for (size_t i = 0; i < n_words_; ++i)
    for (size_t b = 0; b < 8; ++b)
      if (mask.bytes()[size_t{word_[i]} * 8 + b]) offsets.push_back(static_cast<uint16_t>(word_[i] * 8 + b));
  auto add_trie = [&](const std::vector<uint16_t>& bytes) {
    if (bytes.empty() || bytes.size() > ValueTrie::kMaxBytes) return;
    uint8_t masks[ValueTrie::kMaxBytes];
    for (size_t k = 0; k < bytes.size(); ++k) masks[k] = mask.bytes()[bytes[k]];
    value_tries_.push_back(std::make_unique<ValueTrie>(bytes.data(), masks, bytes.size()));
  };
  size_t n_fields = 0;
  for (size_t k = 0; k < offsets.size();) {
    FieldSpan field = field_at(offsets[k]);
    std::vector<uint16_t> bytes;
    for (; k < offsets.size() && offsets[k] >= field.offset && offsets[k] < field.offset + field.bytes; ++k)
      bytes.push_back(offsets[k]);
    add_trie(bytes);
    ++n_fields;
  }
  n_field_tries_ = value_tries_.size();
  if (n_fields > 1) {
    std::vector<uint16_t> whole;
    for (bool protocol : {false, true})
      for (uint16_t offset : offsets)
        if (is_protocol_byte(offset) == protocol) whole.push_back(offset);
    add_trie(whole);
  }
}

Subtable::~Subtable() {
  entries_.for_each([](MatchEntry& entry) {
    RuleNode* node = entry.head.load(std::memory_order_relaxed);
    while (node) {
      RuleNode* next = node->next.load(std::memory_order_relaxed);
      delete node;
      node = next;
    }
    MatchEntry::destroy(&entry);
  });
}

uint32_t Subtable::hash_value(const OfFlow& value, std::array<uint32_t, kStages>* range_hashes) const {
  uint64_t h = 0;
  size_t i = 0;
  for (size_t r = 0; r < n_ranges_; ++r) {
    for (; i < range_end_[r]; ++i) h = hash_mix_word(h, value.words()[word_[i]] & bits_[i]);
    if (range_hashes) (*range_hashes)[r] = hash_finish(h);
  }
  return hash_finish(h);
}

void Subtable::fold(size_t end, OfFlow* wc) const {
  for (size_t i = 0; i < end; ++i) wc->words()[word_[i]] |= bits_[i];
}

Subtable::FieldProof Subtable::field_trie_proof(size_t range, LookupContext& context) const {
  for (size_t f = 0; f < kPrefixFields; ++f) {
    unsigned plen = trie_plen_[f];
    if (!plen || trie_range_[f] != range) continue;
    const PrefixField& field = prefix_fields()[f];
    TrieAnswer& answer = context.answers[f];
    if (!answer.done) {
      answer.done = true;
      if (context.flow.key.eth_type == hton16(field.eth_type)) {
        answer.mask_bits = context.tries[f].lookup(context.flow.bytes() + field.offset,
                                                   &answer.lengths);
      } else {  // the field means nothing for this flow: no shortcut
        answer.lengths.bits = {~uint64_t{0}, ~uint64_t{0}};
      }
    }
    if (answer.lengths.has(plen)) continue;
    // No rule of the table has a /plen prefix that the flow's address starts
    // with, so none of this subtable's rules matches: the bits the trie
    // looked at prove it, or the subtable's own plen bits when the trie
    // needed more (Open vSwitch falls back to the whole stage there).
    return FieldProof{f, std::min(answer.mask_bits, plen)};
  }
  return FieldProof{};
}

const RuleNode* Subtable::miss(LookupContext& context, size_t fold_end, FieldProof field_proof) const {
  // Each trie that the flow leaves proves the miss on its own (rules of other
  // versions are in the tries too, which only lengthens a proof).
  const ValueTrie* best = nullptr;
  unsigned best_bits = 0, best_cost = ~0u;
  uint8_t* wc = context.wc->bytes();
  if (field_proof.field < kPrefixFields) {
    const PrefixField& field = prefix_fields()[field_proof.field];
    best_cost = 0;
    for (size_t k = 0; k < field.bytes && 8 * k < field_proof.bits; ++k)
      best_cost += static_cast<unsigned>(
          std::popcount(static_cast<uint8_t>(prefix_byte(field_proof.bits, k) & ~wc[field.offset + k])));
  }
  bool proven = field_proof.field < kPrefixFields;
  for (size_t t = 0; t < value_tries_.size() && best_cost > 0; ++t) {
    // The whole value's trie proves with a prefix of its first field what
    // that field's trie proves with as few bits: it is for when none does.
    if (t == n_field_tries_ && proven) break;
    const ValueTrie* trie = value_tries_[t].get();
    std::optional<unsigned> bits = trie->proof(context.flow);
    if (!bits) continue;
    proven = true;
    unsigned cost = trie->cost(*bits, *context.wc);
    if (cost < best_cost) {
      best = trie;
      best_bits = *bits;
      best_cost = cost;
    }
  }
  if (best) {
    best->apply(best_bits, context.wc);
  } else if (field_proof.field < kPrefixFields) {
    const PrefixField& field = prefix_fields()[field_proof.field];
    set_prefix(wc + field.offset, field.bytes, field_proof.bits);
  } else {
    fold(fold_end, context.wc);
  }
  return nullptr;
}

const RuleNode* Subtable::lookup(LookupContext& context) const {
  const OfFlow& flow = context.flow;
  auto equal = [&](const MatchEntry& entry) {
    const uint64_t* values = entry.values();
    for (size_t i = 0; i < n_words_; ++i)
      if (values[i] != (flow.words()[word_[i]] & bits_[i])) return false;
    return true;
  };
  uint64_t h = 0;
  size_t i = 0;
  if (!context.wc) {
    for (; i < n_words_; ++i) h = hash_mix_word(h, flow.words()[word_[i]] & bits_[i]);
    return first_visible(entries_.find(hash_finish(h), equal), context.version);
  }
  for (size_t r = 0; r < n_ranges_; ++r) {
    if (FieldProof proof = field_trie_proof(r, context); proof.field < kPrefixFields)
      return miss(context, 0, proof);
    for (; i < range_end_[r]; ++i) h = hash_mix_word(h, flow.words()[word_[i]] & bits_[i]);
    if (r + 1 < n_ranges_ && !indices_[r].contains(hash_finish(h))) {
      // No rule agrees with the flow on the stages so far: they prove it,
      // and so, with fewer bits, may a value trie.
      return miss(context, range_end_[r], FieldProof{});
    }
  }
  const RuleNode* node = first_visible(entries_.find(hash_finish(h), equal), context.version);
  if (!node) return miss(context, n_words_, FieldProof{});
  fold(n_words_, context.wc);
  return node;
}

MatchEntry* Subtable::find_entry(const OfFlow& value) const {
  return entries_.find(hash_value(value, nullptr), [&](const MatchEntry& entry) {
    for (size_t i = 0; i < n_words_; ++i)
      if (entry.values()[i] != (value.words()[word_[i]] & bits_[i])) return false;
    return true;
  });
}

bool Subtable::entry_agrees(const MatchEntry& entry, const OfFlow& value, const OfFlow& mask) const {
  for (size_t i = 0; i < n_words_; ++i)
    if ((entry.values()[i] ^ value.words()[word_[i]]) & mask.words()[word_[i]] & bits_[i])
      return false;
  return true;
}

void Subtable::insert(RuleNode* node) {
  const OfFlow& value = node->rule->match.value;
  std::array<uint32_t, kStages> range_hashes{};
  uint32_t hash = hash_value(value, &range_hashes);
  for (size_t r = 0; r + 1 < n_ranges_; ++r) indices_[r].add(range_hashes[r]);
  node->subtable = this;
  MatchEntry* entry = find_entry(value);
  if (!entry) {
    entry = MatchEntry::create(n_words_);
    entry->hash = hash;
    for (size_t i = 0; i < n_words_; ++i) entry->values()[i] = value.words()[word_[i]] & bits_[i];
    entry->head.store(node, std::memory_order_relaxed);
    node->entry = entry;
    entries_.insert(entry);  // publishes entry and node
  } else {
    // Highest priority first; a new rule goes before the rules of its own
    // priority (at most one of those is visible in any version).
    std::atomic<RuleNode*>* link = &entry->head;
    RuleNode* next = link->load(std::memory_order_relaxed);
    while (next && next->priority > node->priority) {
      link = &next->next;
      next = link->load(std::memory_order_relaxed);
    }
    node->entry = entry;
    node->next.store(next, std::memory_order_relaxed);
    link->store(node, std::memory_order_release);
  }
  for (const auto& trie : value_tries_)
    if (trie) trie->insert(value);
  ++priorities_[node->priority];
  ++n_rules_;
}

void Subtable::erase(RuleNode* node) {
  MatchEntry* entry = node->entry;
  std::atomic<RuleNode*>* link = &entry->head;
  while (link->load(std::memory_order_relaxed) != node)
    link = &link->load(std::memory_order_relaxed)->next;
  // Readers on the node still follow its next link.
  link->store(node->next.load(std::memory_order_relaxed), std::memory_order_release);

  const OfFlow& value = node->rule->match.value;
  std::array<uint32_t, kStages> range_hashes{};
  hash_value(value, &range_hashes);
  for (size_t r = 0; r + 1 < n_ranges_; ++r) indices_[r].remove(range_hashes[r]);
  for (const auto& trie : value_tries_)
    if (trie) trie->remove(value);
  auto count = priorities_.find(node->priority);
  if (--count->second == 0) priorities_.erase(count);
  --n_rules_;
  if (!entry->head.load(std::memory_order_relaxed)) {
    entries_.erase(entry);
    rcu::free_after_grace_period<MatchEntry, MatchEntry::destroy>(entry, &entry->free_link);
  }
  retire_node(node);
}

}  // namespace flowpath::ofproto::classifier
