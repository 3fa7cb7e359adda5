// SPDX-License-Identifier: MIT
#include "daemonkit/log_file.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "sys/sys.hpp"

namespace daemonkit {
namespace {

// --- the fault seam ---------------------------------------------------------
// sys::write and sys::open ask this hook first; tests set what it answers.
int g_write_errno = 0;      // errno for sys::write, 0 = let it run
int g_write_failures = -1;  // how many writes fail (-1 = all while set)
int g_open_errno = 0;       // errno for sys::open
int g_write_calls = 0;      // sys::write calls seen

int fault_hook(const char* call) {
  if (std::strcmp(call, "write") == 0) {
    ++g_write_calls;
    if (g_write_errno == 0 || g_write_failures == 0) return 0;
    if (g_write_failures > 0) --g_write_failures;
    return g_write_errno;
  }
  if (std::strcmp(call, "open") == 0) return g_open_errno;
  return 0;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      out.push_back(text.substr(pos));
      break;
    }
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<std::string> open_fds() {
  std::vector<std::string> fds;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return fds;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') fds.emplace_back(e->d_name);
  }
  ::closedir(d);
  // The directory stream's own fd is in the list; it differs between calls
  // only if something leaked, so the lists compare fine.
  std::sort(fds.begin(), fds.end());
  return fds;
}

// The fd this process has open on path, or -1.
int fd_for(const std::string& path) {
  for (const auto& name : open_fds()) {
    std::string link = "/proc/self/fd/" + name;
    char target[4096];
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<std::size_t>(n)) == path) return std::stoi(name);
  }
  return -1;
}

// Random input: numbered lines of random length, some longer than 1 KiB.
std::string make_lines(std::size_t count, std::mt19937& rng) {
  std::string input;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t pad = rng() % 100 == 0 ? 1500 : rng() % 60;
    input += "line " + std::to_string(i) + " " + std::string(pad, static_cast<char>('a' + i % 26)) + "\n";
  }
  return input;
}

log_options options_at(std::string path) {
  log_options o;
  o.path = std::move(path);
  return o;
}

std::string input_of(int times, const std::string& line) {
  std::string s;
  for (int i = 0; i < times; ++i) s += line;
  return s;
}

// After outages the output must be: stretches of the input in order, nothing
// twice, each followed by a marker counting exactly the bytes missing after
// it (a line a failure cut short is ended by a '\n' of ours before the
// marker), then what came after the last outage.
void expect_outages_accounted(const std::string& content, const std::string& input, std::uint64_t dropped,
                              const std::string& reason, const std::string& tail) {
  const std::regex marker("daemonkit: dropped ([0-9]+) bytes of output \\(" + reason + "\\)\n");
  std::size_t in = 0;  // position in input
  std::uint64_t counted = 0;
  int markers = 0;
  auto begin = content.cbegin();
  std::smatch m;
  while (std::regex_search(begin, content.cend(), m, marker)) {
    std::string kept(begin, m[0].first);
    if (input.compare(in, kept.size(), kept) != 0) {
      ASSERT_FALSE(kept.empty());
      ASSERT_EQ(kept.back(), '\n');
      kept.pop_back();
    }
    ASSERT_EQ(input.compare(in, kept.size(), kept), 0) << "output differs from the input at " << in;
    std::uint64_t n = std::stoull(m[1].str());
    in += kept.size() + n;
    counted += n;
    ++markers;
    begin = m[0].second;
  }
  EXPECT_GT(markers, 0);
  EXPECT_EQ(std::string(begin, content.cend()), tail);
  EXPECT_EQ(in, input.size());
  EXPECT_EQ(counted, dropped);
}

class log_file_test : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dk_log_file_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/service.log";
    g_write_errno = 0;
    g_write_failures = -1;
    g_open_errno = 0;
    g_write_calls = 0;
  }
  void TearDown() override {
    sys::set_fault_hook(nullptr);
    if (!mounted_.empty()) ::umount2(mounted_.c_str(), MNT_DETACH);
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  log_file open_log(log_options o) {
    if (o.path.empty()) o.path = path_;
    auto r = log_file::open(std::move(o));
    if (!r) {
      ADD_FAILURE() << r.err().message();
      std::abort();
    }
    return std::move(r).value();
  }
  log_file open_log() { return open_log(log_options{}); }

  static void write_ok(log_file& log, std::string_view bytes) {
    auto r = log.write(bytes);
    EXPECT_TRUE(r) << r.err().message();
  }
  static void flush_ok(log_file& log) {
    auto r = log.flush();
    EXPECT_TRUE(r) << r.err().message();
  }

  // Feeds input in random-sized chunks, as reads from a pipe would.
  static void write_in_chunks(log_file& log, const std::string& input, std::mt19937& rng, std::size_t max_chunk) {
    std::size_t pos = 0;
    while (pos < input.size()) {
      std::size_t n = std::min<std::size_t>(1 + rng() % max_chunk, input.size() - pos);
      auto r = log.write(std::string_view(input).substr(pos, n));
      ASSERT_TRUE(r) << r.err().message();
      pos += n;
    }
  }

  // path.N ... path.1 path, oldest first, only those that exist.
  std::string concat_generations(unsigned keep) {
    std::string all;
    for (unsigned i = keep; i >= 1; --i) {
      std::string g = path_ + "." + std::to_string(i);
      if (file_exists(g)) all += read_file(g);
    }
    return all + read_file(path_);
  }

  std::string dir_;
  std::string path_;
  std::string mounted_;
};

// --- lines ------------------------------------------------------------------

TEST_F(log_file_test, lines_in_are_lines_out) {
  auto log = open_log();
  write_ok(log, "one\ntwo\n\nfour\n");
  EXPECT_EQ(read_file(path_), "one\ntwo\n\nfour\n");
  EXPECT_EQ(log.size(), 14U);
  EXPECT_EQ(log.dropped_bytes(), 0U);
  EXPECT_EQ(log.path(), path_);
}

TEST_F(log_file_test, random_chunks_reproduce_the_input_exactly) {
  std::mt19937 rng(1);
  std::string input = make_lines(20000, rng);
  auto log = open_log();
  write_in_chunks(log, input, rng, 5000);
  flush_ok(log);
  EXPECT_EQ(read_file(path_), input);
  EXPECT_EQ(log.size(), input.size());
}

TEST_F(log_file_test, partial_lines_are_joined_across_writes) {
  auto log = open_log();
  write_ok(log, "hel");
  EXPECT_EQ(read_file(path_), "");
  EXPECT_EQ(log.buffered_bytes(), 3U);
  write_ok(log, "lo\nwor");
  EXPECT_EQ(read_file(path_), "hello\n");
  write_ok(log, "");
  write_ok(log, "ld");
  write_ok(log, "\n");
  EXPECT_EQ(read_file(path_), "hello\nworld\n");
  EXPECT_EQ(log.buffered_bytes(), 0U);
}

TEST_F(log_file_test, flush_writes_the_partial_line_with_a_newline) {
  auto log = open_log();
  write_ok(log, "a\nno newline");
  flush_ok(log);
  EXPECT_EQ(read_file(path_), "a\nno newline\n");
  flush_ok(log);  // nothing left: no empty line
  EXPECT_EQ(read_file(path_), "a\nno newline\n");
}

TEST_F(log_file_test, opening_appends_to_an_existing_file) {
  std::ofstream(path_) << "old\n";
  auto log = open_log();
  EXPECT_EQ(log.size(), 4U);
  write_ok(log, "new\n");
  EXPECT_EQ(read_file(path_), "old\nnew\n");
}

TEST_F(log_file_test, file_is_created_with_mode_0640_and_close_on_exec) {
  mode_t old = ::umask(0);
  auto log = open_log();
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640U);
  int fd = fd_for(path_);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  int fl = ::fcntl(fd, F_GETFL);
  EXPECT_TRUE(fl & O_APPEND);
  EXPECT_EQ(fl & O_ACCMODE, O_WRONLY);
}

TEST_F(log_file_test, open_errors_name_the_log) {
  auto r = log_file::open(options_at(dir_ + "/missing/x.log"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, std::error_code(ENOENT, std::system_category()));
  EXPECT_EQ(r.err().message(), "cannot open log " + dir_ + "/missing/x.log: No such file or directory");
  auto empty = log_file::open(log_options{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.err().message(), "log path is empty");
}

TEST_F(log_file_test, long_lines_are_written_in_64k_pieces) {
  auto log = open_log();
  std::string line = std::string(log_file::max_line, 'a') + std::string(log_file::max_line, 'b') + "tail";
  write_ok(log, line + "\n");
  auto lines = split_lines(read_file(path_));
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0], std::string(log_file::max_line, 'a'));
  EXPECT_EQ(lines[1], std::string(log_file::max_line, 'b'));
  EXPECT_EQ(lines[2], "tail");
}

TEST_F(log_file_test, long_line_fed_in_small_chunks_keeps_memory_bounded) {
  auto log = open_log();
  for (int i = 0; i < 300; ++i) {
    write_ok(log, std::string(1000, 'x'));
    EXPECT_LE(log.buffered_bytes(), log_file::max_line);
  }
  flush_ok(log);
  auto lines = split_lines(read_file(path_));
  ASSERT_EQ(lines.size(), 5U);  // 300000 = 4 * 65536 + 37856
  for (int i = 0; i < 4; ++i) EXPECT_EQ(lines[static_cast<std::size_t>(i)].size(), log_file::max_line);
  EXPECT_EQ(lines[4].size(), 300000 - 4 * log_file::max_line);
}

TEST_F(log_file_test, line_of_exactly_64k_is_one_line_however_it_arrives) {
  const std::string body(log_file::max_line, 'z');
  {
    auto log = open_log();
    write_ok(log, body + "\n");
    write_ok(log, body);  // its newline comes in the next read
    write_ok(log, "\n");
    write_ok(log, body);  // and this one never gets one
    flush_ok(log);
  }
  EXPECT_EQ(read_file(path_), body + "\n" + body + "\n" + body + "\n");
}

TEST_F(log_file_test, long_line_pieces_each_get_the_prefix) {
  log_options o;
  o.prefix = "[err] ";
  auto log = open_log(o);
  write_ok(log, std::string(log_file::max_line + 5, 'q') + "\n");
  auto lines = split_lines(read_file(path_));
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], "[err] " + std::string(log_file::max_line, 'q'));
  EXPECT_EQ(lines[1], "[err] qqqqq");
}

TEST_F(log_file_test, complete_lines_go_out_in_one_write_call) {
  sys::set_fault_hook(fault_hook);
  auto log = open_log();
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "line " + std::to_string(i) + "\n";
  write_ok(log, many);
  EXPECT_EQ(g_write_calls, 1);
  // A line that arrives in pieces is still written once, when complete.
  g_write_calls = 0;
  for (int i = 0; i < 10; ++i) write_ok(log, "piece ");
  EXPECT_EQ(g_write_calls, 0);
  write_ok(log, "end\n");
  EXPECT_EQ(g_write_calls, 1);
  EXPECT_EQ(count_lines(read_file(path_)), 1001U);
}

TEST_F(log_file_test, prefix_goes_before_each_line) {
  log_options o;
  o.prefix = "[err] ";
  auto log = open_log(o);
  write_ok(log, "a\n\nb");
  flush_ok(log);
  EXPECT_EQ(read_file(path_), "[err] a\n[err] \n[err] b\n");
}

TEST_F(log_file_test, write_line_does_not_land_inside_a_partial_line) {
  log_options o;
  o.prefix = "[out] ";
  auto log = open_log(o);
  write_ok(log, "service says hel");
  auto r = log.write_line("daemonkit: svc: restarting\n");
  ASSERT_TRUE(r) << r.err().message();
  write_ok(log, "lo\n");
  EXPECT_EQ(read_file(path_), "[out] daemonkit: svc: restarting\n[out] service says hello\n");
}

// --- timestamps -------------------------------------------------------------

class tz_guard {
 public:
  explicit tz_guard(const char* tz) {
    const char* old = ::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~tz_guard() {
    if (had_) {
      ::setenv("TZ", old_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  tz_guard(const tz_guard&) = delete;
  tz_guard& operator=(const tz_guard&) = delete;

 private:
  bool had_ = false;
  std::string old_;
};

// "YYYY-MM-DDTHH:MM" of now, shifted by offset seconds, in UTC arithmetic.
std::string minute_at_offset(long offset) {
  std::time_t t = std::time(nullptr) + offset;
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
  return buf;
}

TEST_F(log_file_test, timestamps_are_iso8601_local_time_with_ms_and_offset) {
  log_options o;
  o.timestamps = true;
  o.prefix = "[err] ";
  auto log = open_log(o);
  write_ok(log, "hello\nworld\n");
  auto lines = split_lines(read_file(path_));
  ASSERT_EQ(lines.size(), 2U);
  const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2} \[err\] (hello|world)$)");
  for (const auto& l : lines) EXPECT_TRUE(std::regex_match(l, re)) << l;
  EXPECT_EQ(lines[0].substr(0, 30).size(), 30U);
}

TEST_F(log_file_test, timestamps_follow_the_time_zone) {
  struct zone {
    const char* tz;
    long offset;
    const char* text;
  };
  for (const zone& z : {zone{"<+0530>-5:30", 5 * 3600 + 1800, "+05:30"},
                        zone{"<-0330>3:30", -(3 * 3600 + 1800), "-03:30"}, zone{"UTC0", 0, "+00:00"}}) {
    tz_guard tz(z.tz);
    std::string before = minute_at_offset(z.offset);
    {
      log_options o;
      o.timestamps = true;
      auto log = open_log(o);
      write_ok(log, "x\n");
    }
    std::string after = minute_at_offset(z.offset);
    auto lines = split_lines(read_file(path_));
    ASSERT_FALSE(lines.empty());
    const std::string& l = lines.back();
    ASSERT_EQ(l.size(), 31U) << l;
    EXPECT_EQ(l.substr(23, 6), z.text) << l;
    std::string minute = l.substr(0, 16);
    EXPECT_TRUE(minute == before || minute == after) << l << " vs " << before;
  }
}

TEST_F(log_file_test, partial_line_keeps_the_time_its_first_byte_arrived) {
  log_options o;
  o.timestamps = true;
  auto log = open_log(o);
  write_ok(log, "slow ");
  write_ok(log, "line\n");
  auto lines = split_lines(read_file(path_));
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].substr(30), "slow line");
}

// --- rotation ---------------------------------------------------------------

TEST_F(log_file_test, rotation_keeps_the_tail_with_whole_lines) {
  std::mt19937 rng(2);
  std::string input = make_lines(100000, rng);
  log_options o;
  o.max_size = 1024;
  o.keep = 3;
  auto log = open_log(o);
  write_in_chunks(log, input, rng, 700);
  flush_ok(log);

  EXPECT_FALSE(file_exists(path_ + ".4"));
  for (unsigned i = 1; i <= 3; ++i) {
    std::string g = path_ + "." + std::to_string(i);
    ASSERT_TRUE(file_exists(g)) << g;
    std::string content = read_file(g);
    ASSERT_FALSE(content.empty());
    EXPECT_EQ(content.back(), '\n');
    // Over max_size only when the file holds a single (long) line.
    if (content.size() > o.max_size) {
      EXPECT_EQ(count_lines(content), 1U) << g;
    }
  }
  std::string tail = concat_generations(3);
  ASSERT_LE(tail.size(), input.size());
  ASSERT_FALSE(tail.empty());
  // The kept files are exactly the end of the input, starting at a line start.
  EXPECT_EQ(input.compare(input.size() - tail.size(), tail.size(), tail), 0);
  EXPECT_EQ(input[input.size() - tail.size() - 1], '\n');
  EXPECT_LE(log.size(), o.max_size);
}

TEST_F(log_file_test, rotation_loses_and_duplicates_no_line) {
  std::mt19937 rng(3);
  std::string input = make_lines(100000, rng);
  log_options o;
  o.max_size = 16 * 1024;
  o.keep = 1000;  // nothing is deleted, so every line must be found
  auto log = open_log(o);
  write_in_chunks(log, input, rng, 3000);
  flush_ok(log);
  ASSERT_TRUE(file_exists(path_ + ".100"));
  ASSERT_FALSE(file_exists(path_ + ".1000"));
  std::string all = concat_generations(o.keep);
  EXPECT_EQ(count_lines(all), 100000U);
  EXPECT_TRUE(all == input);
}

TEST_F(log_file_test, rotate_shifts_generations_and_deletes_the_oldest) {
  log_options o;
  o.keep = 2;
  auto log = open_log(o);
  for (int i = 1; i <= 4; ++i) {
    write_ok(log, "gen " + std::to_string(i) + "\n");
    auto r = log.rotate();
    ASSERT_TRUE(r) << r.err().message();
  }
  write_ok(log, "current\n");
  EXPECT_EQ(read_file(path_), "current\n");
  EXPECT_EQ(read_file(path_ + ".1"), "gen 4\n");
  EXPECT_EQ(read_file(path_ + ".2"), "gen 3\n");
  EXPECT_FALSE(file_exists(path_ + ".3"));
  EXPECT_EQ(log.size(), 8U);
  // No temporary file left behind.
  EXPECT_FALSE(file_exists(dir_ + "/.service.log.new"));
}

TEST_F(log_file_test, rotate_never_follows_a_symlink_at_its_temporary_name) {
  std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "precious\n";
  ASSERT_EQ(::symlink(victim.c_str(), (dir_ + "/.service.log.new").c_str()), 0);
  auto log = open_log();
  write_ok(log, "old\n");
  ASSERT_TRUE(log.rotate());
  write_ok(log, "new\n");
  EXPECT_EQ(read_file(victim), "precious\n");
  EXPECT_EQ(read_file(path_), "new\n");
  EXPECT_EQ(read_file(path_ + ".1"), "old\n");
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(log_file_test, rotate_with_keep_zero_starts_an_empty_file) {
  log_options o;
  o.keep = 0;
  auto log = open_log(o);
  write_ok(log, "old\n");
  ASSERT_TRUE(log.rotate());
  write_ok(log, "new\n");
  EXPECT_EQ(read_file(path_), "new\n");
  EXPECT_FALSE(file_exists(path_ + ".1"));
}

TEST_F(log_file_test, rotate_fills_gaps_without_touching_later_generations) {
  std::ofstream(path_ + ".2") << "two\n";
  std::ofstream(path_ + ".7") << "unrelated\n";
  log_options o;
  o.keep = 5;
  auto log = open_log(o);
  write_ok(log, "zero\n");
  ASSERT_TRUE(log.rotate());
  EXPECT_EQ(read_file(path_ + ".1"), "zero\n");
  EXPECT_EQ(read_file(path_ + ".2"), "two\n");  // .1 was missing: nothing shifted
  ASSERT_TRUE(log.rotate());
  EXPECT_EQ(read_file(path_ + ".3"), "two\n");
  EXPECT_EQ(read_file(path_ + ".2"), "zero\n");
  EXPECT_EQ(read_file(path_ + ".7"), "unrelated\n");
}

TEST_F(log_file_test, size_based_rotation_never_splits_a_line) {
  log_options o;
  o.max_size = 100;
  o.keep = 5;
  auto log = open_log(o);
  std::string line(29, 'x');
  line += '\n';  // 30 bytes: three fit, the fourth would make 120
  for (int i = 0; i < 4; ++i) write_ok(log, line);
  EXPECT_EQ(read_file(path_ + ".1"), line + line + line);
  EXPECT_EQ(read_file(path_), line);
  // A line longer than max_size gets a file of its own.
  write_ok(log, std::string(150, 'y') + "\n");
  write_ok(log, "z\n");
  EXPECT_EQ(read_file(path_ + ".2"), line);
  EXPECT_EQ(read_file(path_ + ".1"), std::string(150, 'y') + "\n");
  EXPECT_EQ(read_file(path_), "z\n");
}

TEST_F(log_file_test, rotation_failure_is_reported_and_writing_continues) {
  // A non-empty directory where path.1 should go: rename() fails even for root.
  ASSERT_EQ(::mkdir((path_ + ".1").c_str(), 0755), 0);
  std::ofstream(path_ + ".1/keep") << "x";
  log_options o;
  o.max_size = 100;
  o.keep = 1;
  auto log = open_log(o);
  std::string line(29, 'x');
  line += '\n';
  for (int i = 0; i < 3; ++i) write_ok(log, line);
  auto r = log.write(line);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot rotate log " + path_ + ": cannot remove " + path_ + ".1: Is a directory");
  EXPECT_EQ(read_file(path_), line + line + line + line);
  EXPECT_FALSE(file_exists(dir_ + "/.service.log.new"));
  // Not retried before another max_size bytes from the failure (at 90
  // bytes): no error storm.
  for (int i = 0; i < 2; ++i) write_ok(log, line);  // 150, 180
  EXPECT_FALSE(log.write(line));                    // 210 > 90 + 100: tried again
  EXPECT_EQ(count_lines(read_file(path_)), 7U);
  EXPECT_EQ(log.dropped_bytes(), 0U);
}

// Sets the immutable attribute (chattr +i: no rename, even for root) and
// clears it again, so the temporary directory can be removed.
class immutable_file {
 public:
  explicit immutable_file(const std::string& path) : fd_(sys::open(path.c_str(), O_RDONLY)) {
    int flags = 0;
    if (!fd_ || ::ioctl(fd_.get(), FS_IOC_GETFLAGS, &flags) != 0) return;
    flags |= FS_IMMUTABLE_FL;
    ok_ = ::ioctl(fd_.get(), FS_IOC_SETFLAGS, &flags) == 0;
  }
  ~immutable_file() {
    int flags = 0;
    if (ok_ && ::ioctl(fd_.get(), FS_IOC_GETFLAGS, &flags) == 0) {
      flags &= ~FS_IMMUTABLE_FL;
      ::ioctl(fd_.get(), FS_IOC_SETFLAGS, &flags);
    }
  }
  immutable_file(const immutable_file&) = delete;
  immutable_file& operator=(const immutable_file&) = delete;
  bool ok() const { return ok_; }

 private:
  unique_fd fd_;
  bool ok_ = false;
};

TEST_F(log_file_test, failed_shift_leaves_the_current_file_in_place) {
  std::ofstream(path_ + ".1") << "one\n";
  std::ofstream(path_ + ".2") << "two\n";
  log_options o;
  o.keep = 5;
  auto log = open_log(o);
  write_ok(log, "current\n");
  immutable_file stuck(path_ + ".2");
  if (!stuck.ok()) GTEST_SKIP() << "cannot set the immutable attribute here";
  auto r = log.rotate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot rotate log " + path_ + ": cannot rename " + path_ + ".2 to " + path_ +
                                   ".3: Operation not permitted");
  write_ok(log, "still here\n");
  EXPECT_EQ(read_file(path_), "current\nstill here\n");
  EXPECT_EQ(read_file(path_ + ".1"), "one\n");
  EXPECT_EQ(read_file(path_ + ".2"), "two\n");
  EXPECT_FALSE(file_exists(dir_ + "/.service.log.new"));
}

TEST_F(log_file_test, non_regular_files_are_never_rotated) {
  log_options o;
  o.path = "/dev/null";
  o.max_size = 10;
  auto log = open_log(o);
  for (int i = 0; i < 10; ++i) write_ok(log, "more than ten bytes\n");
  auto r = log.rotate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot rotate log /dev/null: not a regular file");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_FALSE(file_exists("/dev/null.1"));
}

// --- files changed underneath ------------------------------------------------

TEST_F(log_file_test, reopen_after_an_external_rename) {
  auto log = open_log();
  write_ok(log, "a\n");
  ASSERT_EQ(::rename(path_.c_str(), (path_ + ".old").c_str()), 0);
  write_ok(log, "b\n");  // still the renamed file until told
  write_ok(log, "partial ");
  auto r = log.reopen();
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_EQ(log.size(), 0U);
  write_ok(log, "c\n");
  EXPECT_EQ(read_file(path_ + ".old"), "a\nb\n");
  EXPECT_EQ(read_file(path_), "partial c\n");
}

TEST_F(log_file_test, failed_reopen_keeps_writing_to_the_old_file) {
  auto log = open_log();
  write_ok(log, "a\n");
  ASSERT_EQ(::rename(path_.c_str(), (path_ + ".old").c_str()), 0);
  ASSERT_EQ(::mkdir(path_.c_str(), 0755), 0);
  auto r = log.reopen();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot reopen log " + path_ + ": Is a directory");
  write_ok(log, "b\n");
  EXPECT_EQ(read_file(path_ + ".old"), "a\nb\n");
}

TEST_F(log_file_test, rotate_after_someone_else_rotated_only_reopens) {
  log_options o;
  o.keep = 3;
  auto log = open_log(o);
  write_ok(log, "a\n");
  ASSERT_EQ(::rename(path_.c_str(), (path_ + ".1").c_str()), 0);  // logrotate, create mode
  std::ofstream(path_) << "";
  ASSERT_TRUE(log.rotate());
  write_ok(log, "b\n");
  EXPECT_EQ(read_file(path_ + ".1"), "a\n");
  EXPECT_FALSE(file_exists(path_ + ".2"));
  EXPECT_EQ(read_file(path_), "b\n");
}

TEST_F(log_file_test, size_rotation_after_external_rename_moves_nothing_of_theirs) {
  log_options o;
  o.max_size = 100;
  o.keep = 3;
  auto log = open_log(o);
  std::string line(59, 'x');
  line += '\n';
  write_ok(log, line);
  ASSERT_EQ(::rename(path_.c_str(), (path_ + ".moved").c_str()), 0);
  write_ok(log, line);  // would pass 100: path does not name our file, so reopen
  EXPECT_EQ(read_file(path_ + ".moved"), line);
  EXPECT_EQ(read_file(path_), line);
  EXPECT_FALSE(file_exists(path_ + ".1"));
}

TEST_F(log_file_test, copytruncate_leaves_no_hole) {
  log_options o;
  o.max_size = 1000;
  o.keep = 2;
  auto log = open_log(o);
  std::string line(99, 'x');
  line += '\n';
  for (int i = 0; i < 9; ++i) write_ok(log, line);
  // logrotate copytruncate: copy, then truncate in place.
  ASSERT_EQ(::truncate(path_.c_str(), 0), 0);
  for (int i = 0; i < 3; ++i) write_ok(log, "after " + std::to_string(i) + "\n");
  std::string content = read_file(path_);
  EXPECT_EQ(content, "after 0\nafter 1\nafter 2\n");
  EXPECT_EQ(content.find('\0'), std::string::npos);
  // Our count is now stale (924); when it says the next line would pass
  // max_size, fstat corrects it instead of rotating a 24-byte file.
  write_ok(log, line);
  content = read_file(path_);
  EXPECT_EQ(content, "after 0\nafter 1\nafter 2\n" + line);
  EXPECT_FALSE(file_exists(path_ + ".1"));
  EXPECT_EQ(log.size(), content.size());
}

// --- write failures -----------------------------------------------------------

TEST_F(log_file_test, injected_disk_full_drops_counts_and_marks) {
  sys::set_fault_hook(fault_hook);
  log_options o;
  o.prefix = "[err] ";
  auto log = open_log(o);
  write_ok(log, "before\n");
  g_write_errno = ENOSPC;
  write_ok(log, "lost 1\nlost 2\n");  // no error, no blocking
  write_ok(log, "lost 3\n");
  EXPECT_EQ(log.dropped_bytes(), 3 * std::string("[err] lost 1\n").size());
  EXPECT_EQ(read_file(path_), "[err] before\n");
  g_write_errno = 0;
  write_ok(log, "after\n");
  EXPECT_EQ(read_file(path_),
            "[err] before\n"
            "[err] daemonkit: dropped 39 bytes of output (No space left on device)\n"
            "[err] after\n");
  // One marker per outage.
  write_ok(log, "more\n");
  EXPECT_EQ(count_lines(read_file(path_)), 4U);
  EXPECT_EQ(log.dropped_bytes(), 39U);
}

TEST_F(log_file_test, every_disk_full_errno_is_dropped_quietly) {
  sys::set_fault_hook(fault_hook);
  for (int err : {ENOSPC, EDQUOT, EFBIG, EIO}) {
    auto log = open_log();
    g_write_errno = err;
    auto r = log.write("x\n");
    EXPECT_TRUE(r) << r.err().message();
    g_write_errno = 0;
    write_ok(log, "y\n");
    std::string last_two = read_file(path_);
    EXPECT_NE(last_two.find("daemonkit: dropped 2 bytes of output (" + sys::errno_text(err) + ")\ny\n"),
              std::string::npos)
        << last_two;
  }
}

TEST_F(log_file_test, marker_has_the_timestamp_too) {
  sys::set_fault_hook(fault_hook);
  log_options o;
  o.timestamps = true;
  auto log = open_log(o);
  g_write_errno = ENOSPC;
  write_ok(log, "lost\n");
  g_write_errno = 0;
  write_ok(log, "kept\n");
  auto lines = split_lines(read_file(path_));
  ASSERT_EQ(lines.size(), 2U);
  const std::regex re(
      R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2} daemonkit: dropped 35 bytes of output \(No space left on device\)$)");
  EXPECT_TRUE(std::regex_match(lines[0], re)) << lines[0];
  EXPECT_EQ(lines[1].substr(30), "kept");
}

TEST_F(log_file_test, flush_writes_a_pending_marker_at_eof) {
  sys::set_fault_hook(fault_hook);
  auto log = open_log();
  g_write_errno = ENOSPC;
  write_ok(log, "lost\n");
  g_write_errno = 0;
  flush_ok(log);
  EXPECT_EQ(read_file(path_), "daemonkit: dropped 5 bytes of output (No space left on device)\n");
}

TEST_F(log_file_test, marker_that_cannot_be_written_keeps_waiting) {
  sys::set_fault_hook(fault_hook);
  auto log = open_log();
  g_write_errno = ENOSPC;
  write_ok(log, "a\n");
  write_ok(log, "b\n");  // the marker fails first, then this is dropped too
  flush_ok(log);
  EXPECT_EQ(log.dropped_bytes(), 4U);
  g_write_errno = 0;
  write_ok(log, "c\n");
  EXPECT_EQ(read_file(path_), "daemonkit: dropped 4 bytes of output (No space left on device)\nc\n");
}

// RAII: a file size limit with SIGXFSZ ignored, so writes past it are cut
// short and then fail with EFBIG: a real partial write, no mount needed.
class file_size_limit {
 public:
  explicit file_size_limit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    struct rlimit lim = old_;
    lim.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &lim) == 0;
  }
  ~file_size_limit() { lift(); }
  void lift() {
    if (!ok_) return;
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
    ok_ = false;
  }
  bool ok() const { return ok_; }
  file_size_limit(const file_size_limit&) = delete;
  file_size_limit& operator=(const file_size_limit&) = delete;

 private:
  struct rlimit old_ {};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
};

TEST_F(log_file_test, partial_write_then_error_duplicates_nothing) {
  auto log = open_log();
  std::string input;
  for (int i = 0; i < 20; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "L%05d\n", i);  // 7 bytes
    input += buf;
  }
  {
    file_size_limit limit(100);
    ASSERT_TRUE(limit.ok());
    write_ok(log, input);  // one write: 100 bytes accepted, the rest refused
  }
  EXPECT_EQ(log.dropped_bytes(), 40U);
  EXPECT_EQ(log.size(), 100U);
  write_ok(log, "next\n");
  EXPECT_EQ(read_file(path_), input.substr(0, 100) + "\n" +  // the cut line is ended before the marker
                                  "daemonkit: dropped 40 bytes of output (File too large)\nnext\n");
}

TEST_F(log_file_test, other_write_errors_reopen_the_file) {
  sys::set_fault_hook(fault_hook);
  auto log = open_log();
  write_ok(log, "a\n");
  g_write_errno = ESTALE;
  g_write_failures = 1;
  write_ok(log, "lost\n");  // dropped, reopened: no error to report
  write_ok(log, "b\n");
  EXPECT_EQ(read_file(path_), "a\ndaemonkit: dropped 5 bytes of output (Stale file handle)\nb\n");
}

TEST_F(log_file_test, failed_reopen_after_write_error_is_reported_once) {
  sys::set_fault_hook(fault_hook);
  auto log = open_log();
  g_write_errno = ESTALE;
  g_open_errno = EACCES;
  auto r = log.write("one\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot reopen log " + path_ + ": Permission denied");
  EXPECT_TRUE(log.write("two\n"));  // same outage: already reported
  EXPECT_EQ(log.dropped_bytes(), 8U);
  g_write_errno = 0;
  g_open_errno = 0;
  write_ok(log, "three\n");
  EXPECT_EQ(read_file(path_), "daemonkit: dropped 8 bytes of output (Stale file handle)\nthree\n");
  // A new outage is reported again.
  g_write_errno = ESTALE;
  g_open_errno = EACCES;
  EXPECT_FALSE(log.write("four\n"));
}

TEST_F(log_file_test, full_fifo_never_blocks) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  unique_fd reader(sys::open(fifo.c_str(), O_RDONLY | O_NONBLOCK));
  ASSERT_TRUE(reader);
  log_options o;
  o.path = fifo;
  o.max_size = 100;  // ignored: not a regular file
  auto log = open_log(o);
  std::string line(99, 'f');
  line += '\n';
  for (int i = 0; i < 2000; ++i) write_ok(log, line);  // 200 KB into a 64 KiB pipe
  EXPECT_GT(log.dropped_bytes(), 0U);
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = sys::read(reader.get(), buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  write_ok(log, "end\n");
  for (ssize_t n; (n = sys::read(reader.get(), buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  expect_outages_accounted(got, input_of(2000, line), log.dropped_bytes(), "Resource temporarily unavailable", "end\n");
}

TEST_F(log_file_test, disk_full_on_a_real_file_system) {
  std::string mnt = dir_ + "/small";
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a 64k tmpfs: " << std::strerror(errno);
  }
  mounted_ = mnt;
  log_options o;
  o.path = mnt + "/x.log";
  auto log = open_log(o);
  write_ok(log, "before\n");

  // Fill the file system.
  std::string filler = mnt + "/filler";
  {
    unique_fd f(sys::open(filler.c_str(), O_WRONLY | O_CREAT, 0600));
    ASSERT_TRUE(f);
    std::string block(4096, 'F');
    while (sys::write(f.get(), block.data(), block.size()) > 0) {}
    ASSERT_EQ(errno, ENOSPC);
  }

  std::string input = "before\n";
  std::string line(99, 'L');
  line += '\n';
  for (int i = 0; i < 200; ++i) {
    auto r = log.write(line);  // never an error, never a hang
    ASSERT_TRUE(r) << r.err().message();
    input += line;
  }
  EXPECT_GT(log.dropped_bytes(), 0U);

  ASSERT_EQ(::unlink(filler.c_str()), 0);
  write_ok(log, "after\n");
  expect_outages_accounted(read_file(o.path), input, log.dropped_bytes(), "No space left on device", "after\n");
}

// --- resources ------------------------------------------------------------------

TEST_F(log_file_test, no_fd_leaks_on_success_or_failure_paths) {
  auto before = open_fds();
  {
    log_options o;
    o.max_size = 200;
    o.keep = 2;
    auto log = open_log(o);
    for (int i = 0; i < 100; ++i) write_ok(log, "some line of text\n");
    ASSERT_TRUE(log.reopen());
    ASSERT_TRUE(log.rotate());
    // Failing rotation (directory in the way), failing reopen.
    o.path = dir_ + "/other.log";
    ASSERT_EQ(::mkdir((o.path + ".1").c_str(), 0755), 0);
    std::ofstream(o.path + ".1/x") << "x";
    o.keep = 1;
    auto log1 = open_log(o);
    write_ok(log1, std::string(150, 'a') + "\n");
    EXPECT_FALSE(log1.write(std::string(150, 'b') + "\n"));
    sys::set_fault_hook(fault_hook);
    g_open_errno = EMFILE;
    EXPECT_FALSE(log1.reopen());
    EXPECT_FALSE(log1.rotate());
    g_open_errno = 0;
    auto moved = std::move(log1);
    write_ok(moved, "still works\n");
  }
  EXPECT_EQ(open_fds(), before);
  EXPECT_EQ(log_file::open(options_at(dir_ + "/no/such/dir")).has_value(), false);
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace daemonkit
