// rtnetlink link messages (what the interface monitor reads from the
// kernel) as a stream of Netlink messages: each is parsed and fed to a
// LinkTable, with resynchronisations begun and ended where the first byte
// says. Nothing may crash, and the table must stay consistent: every name
// it holds is found under it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "vport/link_monitor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::vector<uint32_t> aligned((size - 1 + 3) / 4 + 1);
  std::memcpy(aligned.data(), data + 1, size - 1);
  flowpath::LinkTable table;
  if (mode & 1) table.begin_resync();
  int left = static_cast<int>(size - 1);
  std::vector<flowpath::LinkState> seen;
  for (const auto* message = reinterpret_cast<const nlmsghdr*>(aligned.data());
       flowpath::rtnetlink::message_fits(message, left); message = mnl_nlmsg_next(message, &left)) {
    auto parsed = flowpath::parse_link_message(message);
    if (!parsed) continue;
    for (const flowpath::LinkChange& change : table.apply(*parsed))
      if (change.kind != flowpath::LinkChange::Kind::kGone) seen.push_back(change.link);
  }
  if (mode & 2) table.end_resync();
  for (const flowpath::LinkState& link : seen) {
    const flowpath::LinkState* found = table.find(link.name);
    if (found != nullptr && found->name != link.name) __builtin_trap();
  }
  return 0;
}
