// A thin C++ face over liburcu's "memb" flavour, the RCU the datapath's
// tables use.
//
// Why memb and not QSBR: QSBR readers are free, but every thread that ever
// reads must announce quiescent states, and one thread that forgets (a
// handler thread blocked in poll(), a control thread, a test) stalls every
// grace period, so deleted flows are never freed. memb read sections cost a
// thread-local counter update and a compiler barrier (the membarrier system
// call moves the real fence to the rare writer side), need no cooperation
// from idle threads, and nest. A forwarding thread takes one section per
// packet batch, so the cost is paid once per up to 32 lookups.
//
// Rules for users:
//  - Hold a ReadSection while you look up and use table objects (flows,
//    actions). Pointers obtained inside stay valid until the section ends,
//    even if the object is deleted meanwhile.
//  - Threads register themselves on their first ReadSection or table write
//    and unregister when they exit; nothing to call by hand.
//  - Never call wait_for_grace_period() or wait_for_deferred_frees() inside
//    a ReadSection: they wait for all sections, including your own.
#pragma once

#include <urcu/urcu-memb.h>

namespace flowpath::rcu {

// Registers the calling thread with liburcu once; it is unregistered when the
// thread exits. Cheap after the first call (one thread-local test).
void ensure_thread_registered();

// True if the calling thread is inside a ReadSection.
bool in_read_section();

// A read-side critical section (RAII). Sections nest.
class ReadSection {
 public:
  ReadSection() {
    ensure_thread_registered();
    urcu_memb_read_lock();
  }
  ~ReadSection() { urcu_memb_read_unlock(); }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;
};

// Embedded in every object freed after a grace period. Standard layout with
// the rcu_head first, so the callback gets back to it with a plain cast.
struct DeferredFree {
  rcu_head head;
  void* object;
};

// Frees `object` with Free(object) once every read section that might still
// see it has ended. Never blocks; callable inside a read section. `link` must
// be a member of the object, unused by any other pending deferral.
template <typename T, void (*Free)(T*)>
void free_after_grace_period(T* object, DeferredFree* link) {
  ensure_thread_registered();
  link->object = object;
  urcu_memb_call_rcu(&link->head, [](rcu_head* head) {
    Free(static_cast<T*>(reinterpret_cast<DeferredFree*>(head)->object));
  });
}

template <typename T>
void delete_object(T* object) {
  delete object;
}

// Blocks until every read section that started before the call has ended.
void wait_for_grace_period();
// Blocks until every free_after_grace_period() issued before the call, by any
// thread, has run.
void wait_for_deferred_frees();

}  // namespace flowpath::rcu
