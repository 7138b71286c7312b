#include "fpctl_output.h"

#include <iostream>

#include "control/control_client.h"

namespace flowpath::fpctl {

using control::Json;

void JsonArrayPrinter::add(const Json& element) {
  std::string text = element.dump(2);
  std::string out = first_ ? "[\n  " : ",\n  ";
  out.reserve(out.size() + text.size() + text.size() / 8);
  // One level deeper than the element's own layout (JSON strings hold no
  // raw newlines, so every newline is layout).
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  first_ = false;
}

void JsonArrayPrinter::finish() {
  std::fputs(first_ ? "[]\n" : "\n]\n", stdout);
  first_ = true;
}

bool print_list(const GlobalOptions& options, const std::string& method, const Json& params,
                const std::function<void(const Json&)>& text) {
  std::fflush(stdout);  // what was printed with iostreams comes first
  control::ControlClient client;
  Status status = client.connect(options.socket);
  JsonArrayPrinter printer;
  bool json = options.format == "json";
  if (status.ok()) {
    status = client.call_streaming(method, params, [&](Json&& element) {
      if (json) printer.add(element);
      else text(element);
    });
  }
  if (json && status.ok()) printer.finish();
  std::fflush(stdout);
  if (!status.ok()) {
    std::cerr << "fpctl: " << status.error() << '\n';
    return false;
  }
  return true;
}

}  // namespace flowpath::fpctl
