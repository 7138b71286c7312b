#include "common/rcu.h"

#include <cassert>

namespace flowpath::rcu {

namespace {

// Unregisters at thread exit: liburcu requires it before the thread ends, and
// a thread_local destructor is the one hook every thread runs.
struct ThreadRegistration {
  bool registered = false;
  ~ThreadRegistration() {
    if (registered) urcu_memb_unregister_thread();
  }
};

thread_local ThreadRegistration registration;

}  // namespace

void ensure_thread_registered() {
  if (registration.registered) return;
  urcu_memb_register_thread();
  registration.registered = true;
}

bool in_read_section() { return urcu_memb_read_ongoing() != 0; }

void wait_for_grace_period() {
  assert(!in_read_section());
  urcu_memb_synchronize_rcu();
}

void wait_for_deferred_frees() {
  assert(!in_read_section());
  urcu_memb_barrier();
}

}  // namespace flowpath::rcu
