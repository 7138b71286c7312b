#include "datapath/cpu_mask.h"

namespace flowpath {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::vector<unsigned>> parse_cpu_mask(std::string_view text) {
  size_t start = 0;
  if (text.starts_with("0x") || text.starts_with("0X")) start = 2;
  if (start == text.size())
    return make_error("CPU mask \"" + std::string(text) + "\" has no hexadecimal digits");
  // A CPU past what the kernel's cpu_set_t holds cannot be pinned to.
  constexpr size_t kMaxDigits = CPU_SETSIZE / 4;
  std::vector<unsigned> cpus;
  unsigned cpu = 0;
  for (size_t i = text.size(); i > start; --i, cpu += 4) {
    const int value = hex_value(text[i - 1]);
    if (value < 0)
      return make_error("CPU mask \"" + std::string(text) + "\": '" + std::string(1, text[i - 1]) +
                        "' at column " + std::to_string(i) + " is not a hexadecimal digit");
    if (value == 0) continue;
    if (text.size() - i >= kMaxDigits)
      return make_error("CPU mask \"" + std::string(text) + "\" selects a CPU above " +
                        std::to_string(CPU_SETSIZE - 1));
    for (unsigned bit = 0; bit < 4; ++bit)
      if (value & (1 << bit)) cpus.push_back(cpu + bit);
  }
  if (cpus.empty()) return make_error("CPU mask \"" + std::string(text) + "\" selects no CPU");
  return cpus;
}

std::string cpu_list_text(const cpu_set_t& set) {
  std::string out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    out += (out.empty() ? "" : ",") + std::to_string(cpu);
    if (last > cpu) out += "-" + std::to_string(last);
    cpu = last;
  }
  return out;
}

}  // namespace flowpath
