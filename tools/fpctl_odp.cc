#include "fpctl_odp.h"

#include <pcap/pcap.h>

#include <iostream>
#include <string>

#include "actions/action_validate.h"
#include "fpctl_output.h"
#include "odp/odp_action_text.h"
#include "flow/key_extract.h"
#include "odp/odp_flow.h"
#include "packet/packet_pool.h"

namespace flowpath::fpctl {

namespace {

// Runs `convert` on every non-empty, non-comment line of stdin. A bad line
// prints "error: ..." in its place (in JSON: {input, error}) and never stops
// the rest. Returns 1 if any line failed.
template <typename F>
int for_each_input_line(bool json, F&& convert) {
  int status = 0;
  JsonArrayPrinter printer;
  std::string line;
  while (std::getline(std::cin, line)) {
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    size_t end = line.find_last_not_of(" \t\r");
    std::string_view text(line.data() + start, end - start + 1);
    Result<std::string> out = convert(text);
    if (!out.ok()) status = 1;
    if (json) {
      control::Json entry{{"input", text}};
      if (out.ok()) entry["output"] = *out;
      else entry["error"] = out.error();
      printer.add(entry);
    } else if (out.ok()) {
      std::cout << *out << '\n';
    } else {
      std::cout << "error: " << out.error() << '\n';
    }
  }
  if (json) printer.finish();
  return status;
}

std::string with_fitness(std::string text, const ParsedFlow& flow) {
  if (flow.fitness != KeyFitness::kPerfect) {
    std::cerr << "warning: key fitness " << to_string(flow.fitness);
    if (!flow.fitness_detail.empty()) std::cerr << " (" << flow.fitness_detail << ")";
    std::cerr << ": " << text << '\n';
  }
  return text;
}

int extract_pcap(const std::string& path, uint32_t in_port, bool json) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  if (pcap == nullptr) {
    std::cerr << "fpctl: " << path << ": " << errbuf << '\n';
    return 1;
  }
  int link = pcap_datalink(pcap);
  if (link != DLT_EN10MB) {
    std::cerr << "fpctl: " << path << ": link type " << pcap_datalink_val_to_name(link)
              << " is not Ethernet\n";
    pcap_close(pcap);
    return 1;
  }
  PacketPool pool(1, 65536 + Packet::kDefaultHeadroom);
  Packet* packet = pool.allocate();
  FlowKey key;
  pcap_pkthdr* header;
  const u_char* bytes;
  int rc;
  JsonArrayPrinter printer;
  while ((rc = pcap_next_ex(pcap, &header, &bytes)) == 1) {
    packet->assign(bytes, header->caplen);
    packet->reset_metadata(in_port);
    extract_key(*packet, &key);
    if (json) printer.add(format_packet_key(key));
    else std::cout << format_packet_key(key) << '\n';
  }
  if (json) printer.finish();
  int status = 0;
  if (rc == PCAP_ERROR) {
    std::cerr << "fpctl: " << path << ": " << pcap_geterr(pcap) << '\n';
    status = 1;
  }
  pool.release(packet);
  pcap_close(pcap);
  return status;
}

}  // namespace

void add_odp_commands(CLI::App& app, const GlobalOptions& options, int& exit_code_out) {
  // Callbacks run after this returns: keep pointers, not the parameters.
  int* const exit_ptr = &exit_code_out;
  const GlobalOptions* const opt_ptr = &options;
  CLI::App* odp = app.add_subcommand("odp", "Datapath flow syntax tools (offline)");
  odp->require_subcommand(1);

  odp->add_subcommand("parse-keys",
                      "Read exact flow keys, one per line on stdin; print them canonically")
      ->callback([exit_ptr, opt_ptr] {
        *exit_ptr = for_each_input_line(opt_ptr->format == "json", [](std::string_view text) -> Result<std::string> {
          auto flow = parse_exact_key(text);
          if (!flow.ok()) return make_error(flow.error());
          return with_fitness(format_key(flow->match.key), *flow);
        });
      });

  odp->add_subcommand("parse-wc-keys",
                      "Read wildcarded flow keys (with /masks), one per line; print canonically")
      ->callback([exit_ptr, opt_ptr] {
        *exit_ptr = for_each_input_line(opt_ptr->format == "json", [](std::string_view text) -> Result<std::string> {
          auto flow = parse_flow(text);
          if (!flow.ok()) return make_error(flow.error());
          return with_fitness(format_flow(flow->match), *flow);
        });
      });

  odp->add_subcommand("parse-actions", "Read action lists, one per line; print canonically")
      ->callback([exit_ptr, opt_ptr] {
        *exit_ptr = for_each_input_line(opt_ptr->format == "json", [](std::string_view text) -> Result<std::string> {
          auto actions = parse_odp_actions(text);
          if (!actions.ok()) return make_error(actions.error());
          if (auto st = validate_actions(*actions); !st.ok()) return make_error(st.error());
          return format_odp_actions(*actions);
        });
      });

  auto* extract = odp->add_subcommand("extract", "Print the flow key of every packet of a pcap");
  static std::string pcap_path;
  static uint32_t in_port = 0;
  extract->add_option("PCAP", pcap_path, "pcap file (Ethernet)")->required();
  extract->add_option("--in-port", in_port, "input port number to record in the keys");
  extract->callback([exit_ptr, opt_ptr] {
    *exit_ptr = extract_pcap(pcap_path, in_port, opt_ptr->format == "json");
  });
}

}  // namespace flowpath::fpctl
