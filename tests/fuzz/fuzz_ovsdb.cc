// OVSDB JSON-RPC decoding as flowpathd meets it from a server: a byte stream
// framed into JSON texts, each decoded as a message; update notifications
// applied to a replica and monitor replies resetting it, then the replica
// read as the switch's intent (Controller rows and tunnel interfaces' options
// included), and fpctl's bridge verbs built as transactions against it.
// Nothing may crash, hang or grow without bound.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ovsdb/message.h"
#include "ovsdb/replica.h"
#include "ovsdb/vsctl_transaction.h"
#include "ovsdb/vswitch_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowpath::ovsdb;  // NOLINT
  JsonFramer framer(1 << 20);
  Replica replica;
  std::vector<std::string> texts;
  // Two reads, split in the middle, as a socket may deliver them.
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  bool ok = framer.feed(bytes.substr(0, size / 2), &texts).ok() &&
            framer.feed(bytes.substr(size / 2), &texts).ok();
  (void)ok;  // texts framed before an error are still handled, as the agent does
  for (const std::string& text : texts) {
    auto message = decode_message(text);
    if (!message.ok()) continue;
    if (message->kind == Message::Kind::kNotification && message->method == "update" &&
        message->params.size() == 2) {
      (void)replica.apply(message->params[1]);
    } else if (message->kind == Message::Kind::kReply) {
      (void)replica.reset(message->result);
    }
    SwitchIntent intent = read_switch_intent(replica);
    (void)intent;
    (void)add_bridge_operations(replica, "br0", true);
    (void)del_bridge_operations(replica, "br0", true);
    (void)add_port_operations(replica, "br0", "p1", {"tag=10"}, true);
    (void)add_port_operations(replica, "br0", "vx1",
                              {"type=vxlan", "options:remote_ip=192.0.2.2", "options:key=42"}, false);
    (void)del_port_operations(replica, "", "p1");
    (void)set_controller_operations(replica, "br0", {"tcp:127.0.0.1:6653"}, 1000, 2000);
    (void)set_fail_mode_operations(replica, "br0", std::nullopt);
  }
  return 0;
}
