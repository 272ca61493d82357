#include "sqlite/change_counter.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace entente::store {
namespace {

constexpr std::size_t kFileSize = 4096;
constexpr char kMagic[8] = {'E', 'N', 'T', 'C', 'H', 'G', '0', '1'};
constexpr std::size_t kCounterOffset = 64;  // its own cache line, away from the magic

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the counter is shared between processes: it must be lock-free");

}  // namespace

Result<std::unique_ptr<ChangeCounter>> ChangeCounter::Open(const std::string& path) {
  auto fail = [&](const char* what) {
    return Status::IoError(std::string("change counter ") + path + ": " + what + ": " +
                           std::strerror(errno));
  };
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return fail("cannot stat");
  }
  // Two processes may create the file at once: both only ever grow it to the same size and
  // write the same magic, so the order does not matter.
  if (static_cast<std::size_t>(st.st_size) < kFileSize && ::ftruncate(fd, kFileSize) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return fail("cannot size");
  }
  void* map = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int e = errno;
  ::close(fd);  // the mapping keeps the file
  errno = e;
  if (map == MAP_FAILED) return fail("cannot map");
  auto* bytes = static_cast<char*>(map);
  static const char kZero[8] = {};
  if (std::memcmp(bytes, kMagic, 8) != 0) {
    if (std::memcmp(bytes, kZero, 8) != 0) {
      ::munmap(map, kFileSize);
      return Status::Corruption("change counter " + path + ": not a change counter file");
    }
    std::memcpy(bytes, kMagic, 8);
  }
  auto counter = std::unique_ptr<ChangeCounter>(new ChangeCounter());
  counter->map_ = map;
  return counter;
}

ChangeCounter::~ChangeCounter() {
  if (map_ != nullptr) ::munmap(map_, kFileSize);
}

std::atomic<std::uint64_t>& ChangeCounter::Word() const noexcept {
  // The mapping is page-aligned, so the word is 8-byte aligned; every process accesses it only
  // through this atomic.
  return *reinterpret_cast<std::atomic<std::uint64_t>*>(static_cast<char*>(map_) + kCounterOffset);
}

void ChangeCounter::BeginWrite() noexcept {
  std::uint64_t g = Word().load(std::memory_order_seq_cst);
  Word().store((g | 1) + 2, std::memory_order_seq_cst);
}

void ChangeCounter::EndWrite() noexcept {
  std::uint64_t g = Word().load(std::memory_order_seq_cst);
  Word().store((g | 1) + 1, std::memory_order_seq_cst);  // odd since BeginWrite: now even
}

}  // namespace entente::store
