// RetireList: what a MegaflowTable writer operation unlinked (flows, action
// lists replaced by a modify, subtables left empty), freed together after
// one grace period. The table submits the list when the operation ends,
// after publishing the subtable list: whatever is retired must be
// unreachable for new readers before the grace period starts.
//
// Why a list of its own: readers may use every byte of an unlinked flow
// until the grace period ends, so a flow cannot carry its own RCU link
// without growing by 24 bytes. The list lives in blocks of the table's
// FlowMemory, not the heap, so retiring costs no malloc and the memory comes
// back with the flows (a heap object per operation, freed on the RCU thread,
// left glibc's arena fragmented). Writer side only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/rcu.h"

namespace flowpath {

class FlowMemory;
class Megaflow;
class MegaflowActions;
class Subtable;

class RetireList {
 public:
  explicit RetireList(FlowMemory& memory) : memory_(memory) {}
  // Whatever was not submitted is freed now (no reader may remain).
  ~RetireList();
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;

  // A flow, with its action list if that has a block of its own.
  void retire(const Megaflow* flow) { add(reinterpret_cast<uintptr_t>(flow)); }
  // An action list with a block of its own.
  void retire(const MegaflowActions* actions) {
    add(reinterpret_cast<uintptr_t>(actions) | kActionsTag);
  }
  // A subtable (allocated with new).
  void retire(const Subtable* subtable) {
    add(reinterpret_cast<uintptr_t>(subtable) | kSubtableTag);
  }
  // Frees everything retired so far after a grace period.
  void submit();

 private:
  // Flows and subtables are 64-byte aligned and action lists 16-byte
  // aligned: the low bits say which an entry is.
  static constexpr uintptr_t kActionsTag = 1;
  static constexpr uintptr_t kSubtableTag = 2;
  static constexpr uintptr_t kTags = 3;
  struct Batch;

  void add(uintptr_t entry);
  static void free_batches(Batch* batch);

  FlowMemory& memory_;
  Batch* head_ = nullptr;
};

}  // namespace flowpath
