// SPDX-License-Identifier: MIT
// The monitor program's scratch heap (tools/monitor/scratch_heap.hpp),
// linked into this test as into the program: it replaces operator new for
// the whole binary, which is what it must get right when not taking.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "scratch_heap.hpp"

namespace {

// The mapping of /proc/self/maps that holds p: "start-end perms", or empty.
std::string mapping_of(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    in >> std::hex >> lo >> dash >> hi;
    if (a >= lo && a < hi) return line.substr(0, line.find(' ', line.find(' ') + 1));
  }
  return {};
}

// Whether the page holding p is mapped at all: msync fails with ENOMEM on
// an unmapped range. Asked at once, with nothing allocated in between that
// could map something new there.
bool page_mapped(const void* p) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto* start = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(p) & ~(page - 1));
  if (::msync(start, page, MS_ASYNC) == 0) return true;
  return errno != ENOMEM;
}

// One process, one scratch: it is spent after one begin/end, so this walks
// its whole life in order.
TEST(scratch_heap, takes_between_begin_and_end_and_is_unmapped_when_its_last_allocation_is_deleted) {
  auto before = std::make_unique<std::string>(100, 'a');

  daemonkit::monitor_program::scratch_begin();
  auto parsed = std::make_unique<std::vector<std::string>>();
  for (int i = 0; i < 50; ++i) parsed->push_back(std::string(40, static_cast<char>('a' + i % 26)));
  auto kept_long = std::make_unique<std::string>(64, 'k');
  auto* array = new char[3];
  auto* nothrow = new (std::nothrow) int(7);
  auto* big = new char[2 * 1024 * 1024];  // more than the scratch holds: malloc's
  daemonkit::monitor_program::scratch_end();

  const std::string scratch = mapping_of(parsed.get());
  ASSERT_FALSE(scratch.empty());
  EXPECT_NE(mapping_of(before->data()), scratch) << "not taking yet: malloc's";
  EXPECT_EQ(mapping_of((*parsed)[49].data()), scratch) << "every allocation while taking";
  EXPECT_EQ(mapping_of(kept_long->data()), scratch);
  EXPECT_EQ(mapping_of(array), scratch) << "new[] too";
  EXPECT_EQ(mapping_of(nothrow), scratch) << "nothrow new too";
  EXPECT_NE(mapping_of(big), scratch);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(array) % __STDCPP_DEFAULT_NEW_ALIGNMENT__, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(nothrow) % __STDCPP_DEFAULT_NEW_ALIGNMENT__, 0u);
  delete[] big;
  delete[] array;
  delete nothrow;

  // Copied out after end(): to the heap, whole.
  std::vector<std::string> copy(*parsed);
  EXPECT_NE(mapping_of(copy.data()), scratch);
  EXPECT_NE(mapping_of(copy[0].data()), scratch);
  EXPECT_EQ(copy[49], std::string(40, static_cast<char>('a' + 49 % 26)));

  // Deleting some is not enough while one still lives.
  parsed.reset();
  EXPECT_EQ(mapping_of(kept_long->data()), scratch) << "still mapped: an allocation lives";
  EXPECT_TRUE(page_mapped(kept_long->data()));
  const void* last = kept_long->data();
  kept_long.reset();
  EXPECT_FALSE(page_mapped(last)) << "unmapped with its last allocation";

  // Spent: a second begin takes nothing.
  daemonkit::monitor_program::scratch_begin();
  auto after = std::make_unique<std::string>(100, 'b');
  daemonkit::monitor_program::scratch_end();
  EXPECT_NE(mapping_of(after->data()), scratch);
  EXPECT_EQ(*before, std::string(100, 'a'));
}

}  // namespace
