#include "null_port.h"

#include "packet/packet_pool.h"

namespace flowpath {

size_t NullPort::send(PacketBatch& batch) {
  uint64_t bytes = 0;
  size_t sent = 0;
  for (Packet* p : batch) {
    // The check every real port makes before it sends (vport.h).
    if (fits_port(*p, kMtu)) [[likely]] {
      bytes += p->size();
      ++sent;
    }
    p->pool()->release(p);
  }
  counters_.add_tx(sent, bytes);
  counters_.add_tx_errors(batch.size() - sent);
  batch.clear();
  return sent;
}

}  // namespace flowpath
