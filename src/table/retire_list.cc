#include "table/retire_list.h"

#include <new>

#include "table/flow_memory.h"
#include "table/megaflow.h"
#include "table/subtable.h"

namespace flowpath {

struct RetireList::Batch {
  static constexpr size_t kBytes = 128;
  rcu::DeferredFree deferred;
  FlowMemory* memory;
  Batch* next;  // the operation's earlier batches
  uint32_t count;
  static constexpr uint32_t kCapacity = 8;
  uintptr_t entries[kCapacity];
};

RetireList::~RetireList() { free_batches(head_); }

void RetireList::add(uintptr_t entry) {
  static_assert(sizeof(Batch) <= Batch::kBytes && alignof(Megaflow) > kTags &&
                alignof(Subtable) > kTags);
  if (head_ == nullptr || head_->count == Batch::kCapacity)
    head_ = new (memory_.allocate(Batch::kBytes)) Batch{{}, &memory_, head_, 0, {}};
  head_->entries[head_->count++] = entry;
}

void RetireList::submit() {
  if (head_ == nullptr) return;
  Batch* batch = head_;
  head_ = nullptr;
  rcu::free_after_grace_period<Batch, free_batches>(batch, &batch->deferred);
}

void RetireList::free_batches(Batch* batch) {
  while (batch != nullptr) {
    FlowMemory& memory = *batch->memory;
    for (uint32_t i = 0; i < batch->count; ++i) {
      const uintptr_t entry = batch->entries[i];
      const uintptr_t pointer = entry & ~kTags;
      switch (entry & kTags) {
        case 0: Megaflow::free(reinterpret_cast<Megaflow*>(pointer), memory); break;
        case kActionsTag:
          Megaflow::free_actions(reinterpret_cast<const MegaflowActions*>(pointer), memory);
          break;
        case kSubtableTag: delete reinterpret_cast<Subtable*>(pointer); break;
      }
    }
    Batch* next = batch->next;
    memory.free(batch, Batch::kBytes);
    batch = next;
  }
}

}  // namespace flowpath
