// Open vSwitch's CPU masks (pmd-cpu-mask), read strictly.
#include "datapath/cpu_mask.h"

#include <gtest/gtest.h>

namespace flowpath {
namespace {

std::vector<unsigned> cpus(const std::string& text) {
  auto parsed = parse_cpu_mask(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error();
  return parsed.ok() ? *parsed : std::vector<unsigned>{};
}

std::string error(const std::string& text) {
  auto parsed = parse_cpu_mask(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.error();
}

TEST(CpuMaskTest, TheLowestBitIsCpuZero) {
  EXPECT_EQ(cpus("1"), (std::vector<unsigned>{0}));
  EXPECT_EQ(cpus("0x1"), (std::vector<unsigned>{0}));
  EXPECT_EQ(cpus("0X3"), (std::vector<unsigned>{0, 1}));
  EXPECT_EQ(cpus("6"), (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(cpus("0xf0"), (std::vector<unsigned>{4, 5, 6, 7}));
  EXPECT_EQ(cpus("aB"), (std::vector<unsigned>{0, 1, 3, 5, 7}));
  EXPECT_EQ(cpus("100000001"), (std::vector<unsigned>{0, 32}));
  EXPECT_EQ(cpus("0x0002"), (std::vector<unsigned>{1})) << "leading zeros are CPUs not selected";
}

TEST(CpuMaskTest, BadMasksAreRefusedWithTheirFault) {
  EXPECT_EQ(error("0x1g"), "CPU mask \"0x1g\": 'g' at column 4 is not a hexadecimal digit");
  EXPECT_EQ(error("-1"), "CPU mask \"-1\": '-' at column 1 is not a hexadecimal digit");
  EXPECT_EQ(error("1 "), "CPU mask \"1 \": ' ' at column 2 is not a hexadecimal digit");
  EXPECT_EQ(error("0x"), "CPU mask \"0x\" has no hexadecimal digits");
  EXPECT_EQ(error(""), "CPU mask \"\" has no hexadecimal digits");
  EXPECT_EQ(error("0"), "CPU mask \"0\" selects no CPU");
  EXPECT_EQ(error("0x0000"), "CPU mask \"0x0000\" selects no CPU");
  EXPECT_EQ(error("1" + std::string(CPU_SETSIZE / 4, '0')),
            "CPU mask \"1" + std::string(CPU_SETSIZE / 4, '0') + "\" selects a CPU above " +
                std::to_string(CPU_SETSIZE - 1));
  EXPECT_EQ(cpus("8" + std::string(CPU_SETSIZE / 4 - 1, '0')),
            (std::vector<unsigned>{CPU_SETSIZE - 1}));
}

TEST(CpuMaskTest, CpuListsAsLinuxWritesThem) {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(cpu_list_text(set), "");
  for (int cpu : {0, 1, 3, 5, 6, 7}) CPU_SET(cpu, &set);
  EXPECT_EQ(cpu_list_text(set), "0-1,3,5-7");
}

}  // namespace
}  // namespace flowpath
