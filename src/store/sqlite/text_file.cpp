#include "text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace entente::store {
namespace {

// Staged texts beyond this go to the file before the commit, so a batch of any size holds at
// most this much in memory.
constexpr std::size_t kMaxStagedBytes = std::size_t{16} << 20;
// No object text is larger (ingest limits objects far below this): a greater length in a row
// is damage, not a reason to allocate.
constexpr std::int64_t kMaxTextBytes = std::int64_t{1} << 30;

Status Errno(std::string_view what, const std::string& path) {
  int e = errno;
  std::string m = std::string(what) + " " + path + ": " + std::strerror(e);
  if (e == ENOSPC || e == EDQUOT) m = "disk is full: " + m;  // the words SQLite uses
  return Status::IoError(m);
}

}  // namespace

Result<std::unique_ptr<ObjectTextFile>> ObjectTextFile::Open(const std::string& path,
                                                             bool read_only) {
  int fd = read_only ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC)
                     : ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 && !(read_only && errno == ENOENT)) return Errno("cannot open", path);
  return std::unique_ptr<ObjectTextFile>(new ObjectTextFile(fd, path));
}

ObjectTextFile::~ObjectTextFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status ObjectTextFile::Missing(std::int64_t at, std::int64_t length) const {
  return Status::Corruption("object text at " + std::to_string(at) + "+" + std::to_string(length) +
                            " is missing from " + path_ + " (truncated or replaced)");
}

Status ObjectTextFile::Read(std::int64_t at, std::int64_t length, std::string* out) const {
  if (at < 0 || length < 0 || length > kMaxTextBytes || fd_ < 0) return Missing(at, length);
  out->resize(static_cast<std::size_t>(length));
  std::size_t done = 0;
  while (done < out->size()) {
    ssize_t n = ::pread(fd_, out->data() + done, out->size() - done,
                        static_cast<off_t>(at) + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read", path_);
    }
    if (n == 0) return Missing(at, length);
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status ObjectTextFile::ReadInBatch(std::int64_t at, std::int64_t length, std::string* out) const {
  if (at < written_end_) return Read(at, length, out);
  std::size_t off = static_cast<std::size_t>(at - written_end_);
  if (length < 0 || off + static_cast<std::size_t>(length) > staged_.size()) {
    return Missing(at, length);
  }
  out->assign(staged_, off, static_cast<std::size_t>(length));
  return Status::Ok();
}

Result<std::int64_t> ObjectTextFile::Size() const {
  if (fd_ < 0) return std::int64_t{0};
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Errno("cannot stat", path_);
  return static_cast<std::int64_t>(st.st_size);
}

Status ObjectTextFile::BeginBatch(std::int64_t committed_end) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Errno("cannot stat", path_);
  if (st.st_size < committed_end) {
    return Status::Corruption(path_ + " holds " + std::to_string(st.st_size) +
                              " bytes but the store has committed texts up to " +
                              std::to_string(committed_end) + " (truncated or replaced)");
  }
  // Bytes past the committed end belong to a batch that never committed.
  if (st.st_size > committed_end && ::ftruncate(fd_, committed_end) != 0) {
    return Errno("cannot truncate", path_);
  }
  written_end_ = committed_end;
  staged_.clear();
  return Status::Ok();
}

Result<std::int64_t> ObjectTextFile::Append(std::string_view text) {
  if (staged_.size() >= kMaxStagedBytes) ENTENTE_RETURN_IF_ERROR(WriteStaged());
  // Reserved once per store: growing by doubling copied and page-faulted the batch twice.
  if (staged_.capacity() < kMaxStagedBytes) staged_.reserve(kMaxStagedBytes + (1 << 16));
  std::int64_t at = written_end_ + static_cast<std::int64_t>(staged_.size());
  staged_.append(text);
  staged_.push_back('\n');
  return at;
}

Status ObjectTextFile::WriteStaged() {
  std::size_t done = 0;
  while (done < staged_.size()) {
    ssize_t n = ::pwrite(fd_, staged_.data() + done, staged_.size() - done,
                         static_cast<off_t>(written_end_) + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("cannot write", path_);
      // Keep what was not written staged, after what was.
      staged_.erase(0, done);
      written_end_ += static_cast<std::int64_t>(done);
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  written_end_ += static_cast<std::int64_t>(staged_.size());
  staged_.clear();
  return Status::Ok();
}

Result<std::int64_t> ObjectTextFile::Sync() {
  ENTENTE_RETURN_IF_ERROR(WriteStaged());
  if (::fdatasync(fd_) != 0) return Errno("cannot sync", path_);
  return written_end_;
}

void ObjectTextFile::AbandonBatch() {
  staged_.clear();
  // Keep the buffer's capacity for the next batch only while it is modest.
  if (staged_.capacity() > kMaxStagedBytes * 2) std::string().swap(staged_);
}

}  // namespace entente::store
