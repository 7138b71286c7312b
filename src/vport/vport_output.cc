// Vport::output() for batches with offloads the port cannot take.
#include "packet/offload_finish.h"
#include "vport/vport.h"

namespace flowpath {

size_t Vport::finish_offloads_and_send(PacketBatch& batch) {
  const size_t count = batch.size();
  PacketBatch out;
  uint64_t lost = 0;
  auto flush = [&] {
    const size_t n = out.size();
    lost += n - send(out);
  };
  for (Packet* p : batch) {
    const uint8_t unaccepted = p->offload.needs & static_cast<uint8_t>(~accepted_offloads_);
    if (unaccepted == 0) {
      out.add(p);
    } else if ((p->offload.needs & offload::kSegmentation) != 0 &&
               (unaccepted & (offload::kSegmentation | offload::kSoftwareOnly)) != 0) {
      Segmenter segmenter(*p);
      if (!segmenter.valid()) {
        // Headers that do not match the offload: sent as they are would
        // be refused by the device or the receiver; count it lost.
        counters_.add_tx_errors(1);
        ++lost;
      } else {
        PacketPool& pool = p->pool()->first_class();
        while (segmenter.remaining() != 0) {
          Packet* segment = segmenter.next(pool);
          if (segment == nullptr) {  // the pool ran dry: the rest is dropped
            counters_.add_tx_dropped(segmenter.remaining());
            lost += segmenter.remaining();
            break;
          }
          out.add(segment);
          if (out.full()) flush();
        }
      }
      p->pool()->release(p);
      continue;
    } else {
      finish_checksum(*p);
      p->offload.clear();
      out.add(p);
    }
    if (out.full()) flush();
  }
  batch.clear();
  if (!out.empty()) flush();
  return count - std::min<uint64_t>(count, lost);
}

}  // namespace flowpath
