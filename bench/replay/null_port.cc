#include "null_port.h"

#include "packet/packet_pool.h"

namespace flowpath {

size_t NullPort::send(PacketBatch& batch) {
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
