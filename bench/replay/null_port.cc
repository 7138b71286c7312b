#include "null_port.h"

#include "packet/packet_pool.h"

namespace flowpath {

void NullPort::keep(const PacketBatch& batch) {
  for (const Packet* p : batch) {
    if (kept_.size() == keep_) return;
    kept_.emplace_back(p->data(), p->data() + p->size());
  }
}

size_t NullPort::send(PacketBatch& batch) {
  if (kept_.size() < keep_) [[unlikely]] keep(batch);
  uint64_t bytes = 0;
  for (Packet* p : batch) {
    bytes += p->size();
    p->pool()->release(p);
  }
  const size_t n = batch.size();
  counters_.add_tx(n, bytes);
  batch.clear();
  return n;
}

}  // namespace flowpath
