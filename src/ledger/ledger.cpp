#include "entente/ledger/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

#include "entente/base/time.h"

namespace entente::ledger {
namespace {

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint32_t GetU32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string Header() {
  std::string h(kLogMagic);
  PutU32(h, 1);
  PutU32(h, 0);
  return h;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Status WriteAll(int fd, std::string_view data, std::uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(Errno("cannot write " + path));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return Status::Ok();
}

Status SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(Errno("cannot open directory " + dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError(Errno("cannot sync directory " + dir));
  return Status::Ok();
}

// The whole file, read-only, for the duration of a scan.
class Mapping {
 public:
  static Result<Mapping> Of(int fd, std::uint64_t size, const std::string& path) {
    Mapping m;
    if (size == 0) return m;
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return Status::IoError(Errno("cannot map " + path));
    m.data_ = p;
    m.size_ = size;
    return m;
  }
  Mapping() = default;
  Mapping(Mapping&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; }
  Mapping& operator=(Mapping&&) = delete;
  ~Mapping() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  std::string_view view() const {
    return data_ == nullptr ? std::string_view()
                            : std::string_view(static_cast<char*>(data_), size_);
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// One encoded batch, built and hashed before the lock is taken.
struct Pending {
  std::string records;
  std::vector<Hash> hashes;
  std::vector<std::uint32_t> lengths;

  void Add(std::string_view leaf) {
    const Hash h = LeafHash(AsBytes(leaf));
    Frame(leaf, h);
    hashes.push_back(h);
  }
  // The record for a leaf whose hash is already known (and kept by the caller).
  void Frame(std::string_view leaf, const Hash& h) {
    PutU32(records, static_cast<std::uint32_t>(leaf.size()));
    records.append(reinterpret_cast<const char*>(h.data()), 8);
    records.append(leaf);
    lengths.push_back(static_cast<std::uint32_t>(leaf.size()));
  }
};

// Below this many leaves a batch is hashed on the calling thread: starting a thread costs tens
// of microseconds, hashing 4096 leaves about a millisecond.
constexpr std::size_t kParallelHashMinLeaves = 4096;

// The RFC 9162 leaf hash of every leaf. Leaf hashes are independent, so a large batch is split
// between the caller and one more thread: hashing is most of an append's CPU time.
std::vector<Hash> HashLeaves(std::span<const std::string> leaves) {
  std::vector<Hash> out(leaves.size());
  auto hash_range = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) out[i] = LeafHash(AsBytes(leaves[i]));
  };
  if (leaves.size() < kParallelHashMinLeaves || std::thread::hardware_concurrency() < 2) {
    hash_range(0, leaves.size());
    return out;
  }
  const std::size_t half = leaves.size() / 2;
  std::thread other;
  try {
    other = std::thread(hash_range, half, leaves.size());
  } catch (const std::system_error&) {
    hash_range(half, leaves.size());  // no thread to be had: do it here
  }
  hash_range(0, half);
  if (other.joinable()) other.join();
  return out;
}

}  // namespace

Result<LogScan> ScanLog(std::string_view data, bool decode_entries) {
  if (data.size() < kLogHeaderBytes || data.substr(0, kLogMagic.size()) != kLogMagic) {
    return Status::Corruption("not an entente log file (no ENTELOG1 header)");
  }
  const std::uint32_t version = GetU32(data.data() + 8);
  if (version != 1) {
    return Status::Unsupported("log file version " + std::to_string(version) +
                               " is not supported (only 1)");
  }
  LogScan scan;
  std::uint64_t pos = kLogHeaderBytes;
  auto bad = [&](const std::string& why) {
    return Status::Corruption("entry " + std::to_string(scan.offsets.size()) + " at byte " +
                              std::to_string(pos) + ": " + why);
  };
  while (pos < data.size()) {
    const std::uint64_t left = data.size() - pos;
    if (left < kRecordHeaderBytes) {
      scan.tail = bad("torn record header (" + std::to_string(left) + " of " +
                      std::to_string(kRecordHeaderBytes) + " bytes)");
      break;
    }
    const std::uint32_t len = GetU32(data.data() + pos);
    if (len == 0 || len > kMaxEntryBytes) {
      scan.tail = bad("record length " + std::to_string(len) + " is outside 1.." +
                      std::to_string(kMaxEntryBytes));
      break;
    }
    if (left - kRecordHeaderBytes < len) {
      scan.tail = bad("torn record (" + std::to_string(left - kRecordHeaderBytes) + " of " +
                      std::to_string(len) + " bytes)");
      break;
    }
    const std::string_view leaf = data.substr(pos + kRecordHeaderBytes, len);
    const Hash h = LeafHash(AsBytes(leaf));
    if (std::memcmp(h.data(), data.data() + pos + 4, 8) != 0) {
      scan.tail = bad("check mismatch (the record was torn or changed)");
      break;
    }
    if (decode_entries) {
      auto e = DecodeEntry(leaf);
      if (!e.ok()) {
        scan.tail = bad(e.status().message());
        break;
      }
    }
    scan.offsets.push_back(pos);
    scan.leaf_hashes.push_back(h);
    pos += kRecordHeaderBytes + len;
  }
  scan.valid_bytes = pos;
  return scan;
}

Ledger::Ledger(LedgerOptions options) : options_(std::move(options)) {
  if (options_.signing_key) {
    log_id_ = LogIdFor(options_.signing_key->suite(), options_.signing_key->public_key());
  }
}

Ledger::~Ledger() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<Ledger> Ledger::InMemory(LedgerOptions options) {
  options.read_only = false;
  options.sync = false;
  std::unique_ptr<Ledger> l(new Ledger(std::move(options)));
  l->path_ = "(memory)";
  // An anonymous in-memory file: the same code path as a log on disk, without the fsyncs.
  // Without memfd (never on Linux >= 3.17), the records are kept in a string instead.
  l->fd_ = ::memfd_create("entente-ledger", MFD_CLOEXEC);
  const std::string header = Header();
  if (l->fd_ < 0 || !WriteAll(l->fd_, header, 0, l->path_).ok()) {
    if (l->fd_ >= 0) ::close(l->fd_);
    l->fd_ = -1;
    l->memory_ = header;
  }
  l->end_ = header.size();
  return l;
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path, LedgerOptions options) {
  std::unique_ptr<Ledger> l(new Ledger(std::move(options)));
  l->path_ = path;
  const bool ro = l->options_.read_only;
  l->fd_ = ::open(path.c_str(), (ro ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0600);
  if (l->fd_ < 0) {
    if (errno == ENOENT) return Status::NotFound("no log file at " + path);
    return Status::IoError(Errno("cannot open " + path));
  }
  // One writer per file: two processes appending at their own idea of the end would interleave
  // records. The lock goes with the descriptor.
  if (!ro && ::flock(l->fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::Unavailable(path + " is open for appending by another process");
    }
    return Status::IoError(Errno("cannot lock " + path));
  }
  struct stat st {};
  if (::fstat(l->fd_, &st) != 0) return Status::IoError(Errno("cannot stat " + path));
  std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  const std::string header = Header();
  if (!ro && size < kLogHeaderBytes) {
    // New file, or one whose creation was torn: (re)write the header.
    std::string prefix(size, '\0');
    if (size > 0 && ::pread(l->fd_, prefix.data(), size, 0) != static_cast<ssize_t>(size)) {
      return Status::IoError(Errno("cannot read " + path));
    }
    if (prefix != header.substr(0, size)) {
      return Status::Corruption(path + ": not an entente log file (no ENTELOG1 header)");
    }
    if (::ftruncate(l->fd_, 0) != 0) return Status::IoError(Errno("cannot truncate " + path));
    ENTENTE_RETURN_IF_ERROR(WriteAll(l->fd_, header, 0, path));
    if (::fsync(l->fd_) != 0) return Status::IoError(Errno("cannot sync " + path));
    ENTENTE_RETURN_IF_ERROR(SyncDirectoryOf(path));
    size = header.size();
  }
  LogScan scan;
  {
    ENTENTE_ASSIGN_OR_RETURN(Mapping map, Mapping::Of(l->fd_, size, path));
    auto scanned = ScanLog(map.view(), l->options_.decode_entries);
    if (!scanned.ok()) return scanned.status().WithContext(path);
    scan = std::move(*scanned);
  }
  if (!scan.tail.ok()) {
    if (ro) return scan.tail.WithContext(path);
    if (::ftruncate(l->fd_, static_cast<off_t>(scan.valid_bytes)) != 0 || ::fsync(l->fd_) != 0) {
      return Status::IoError(Errno("cannot truncate the torn tail of " + path));
    }
    l->recovery_.truncated_bytes = size - scan.valid_bytes;
    l->recovery_.reason = scan.tail.message();
  }
  l->end_ = scan.valid_bytes;
  l->offsets_ = std::move(scan.offsets);
  l->tree_.Reserve(scan.leaf_hashes.size());
  for (const Hash& h : scan.leaf_hashes) l->tree_.AppendLeafHash(h);
  return l;
}

Result<std::uint64_t> Ledger::AppendEncoded(std::string&& records, std::span<const Hash> hashes,
                                            std::span<const std::uint32_t> lengths) {
  if (options_.read_only) return Status::PermissionDenied("the log " + path_ + " is read-only");
  // Writers queue on append_mu_ for the write, the sync and the tree update. Readers (heads,
  // proofs, entries) take mu_ and wait only for the tree update, never for the disk; they see
  // the new entries once they are durable.
  std::lock_guard append(append_mu_);
  const std::uint64_t start = end_;  // end_ changes only under append_mu_
  if (fd_ >= 0) {
    Status s = WriteAll(fd_, records, start, path_);
    if (s.ok() && options_.sync && ::fdatasync(fd_) != 0)
      s = Status::IoError(Errno("cannot sync " + path_));
    if (!s.ok()) {
      // Leave the file as it was: a later append must not follow a half-written batch.
      if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
        return s.WithContext("and cannot truncate the partial write");
      }
      return s;
    }
  }
  std::unique_lock lock(mu_);
  if (fd_ < 0) memory_.append(records);
  const std::uint64_t first = tree_.size();
  std::uint64_t offset = start;
  // No reserve(size + n) here: an exact reserve per batch defeats the vector's geometric
  // growth and copies every earlier offset on each append (quadratic in the log's length).
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    offsets_.push_back(offset);
    offset += kRecordHeaderBytes + lengths[i];
    tree_.AppendLeafHash(hashes[i]);
  }
  end_ = offset;
  return first;
}

Result<std::uint64_t> Ledger::Append(const Entry& entry) {
  return AppendBatch(std::span<const Entry>(&entry, 1));
}

Result<std::uint64_t> Ledger::AppendBatch(std::span<const Entry> entries) {
  // Encoded first, so that the batch's records are sized once: growing them leaf by leaf
  // copied the batch several times over, each copy into freshly mapped pages.
  std::vector<std::string> encoded(entries.size());
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto e = EncodeEntry(entries[i]);
    if (!e.ok()) return e.status().WithContext("batch position " + std::to_string(i));
    encoded[i] = std::move(*e);
    bytes += kRecordHeaderBytes + encoded[i].size();
  }
  Pending p;
  p.hashes.reserve(entries.size());
  p.lengths.reserve(entries.size());
  p.records.reserve(bytes);
  for (const auto& leaf : encoded) p.Add(leaf);
  return AppendEncoded(std::move(p.records), p.hashes, p.lengths);
}

Result<std::uint64_t> Ledger::AppendLeaves(std::span<const std::string> leaves, bool trusted) {
  Pending p;
  p.lengths.reserve(leaves.size());
  std::size_t bytes = 0;
  for (const auto& l : leaves) bytes += kRecordHeaderBytes + l.size();
  p.records.reserve(bytes);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const std::string& leaf = leaves[i];
    if (leaf.empty() || leaf.size() > kMaxEntryBytes) {
      return Status::LimitExceeded("batch position " + std::to_string(i) + ": leaf of " +
                                   std::to_string(leaf.size()) + " bytes is outside 1.." +
                                   std::to_string(kMaxEntryBytes));
    }
    if (!trusted) {
      auto e = DecodeEntry(leaf);
      if (!e.ok()) return e.status().WithContext("batch position " + std::to_string(i));
    }
  }
  p.hashes = HashLeaves(leaves);
  for (std::size_t i = 0; i < leaves.size(); ++i) p.Frame(leaves[i], p.hashes[i]);
  return AppendEncoded(std::move(p.records), p.hashes, p.lengths);
}

std::uint64_t Ledger::size() const {
  std::shared_lock lock(mu_);
  return tree_.size();
}

TreeHead Ledger::Head() const {
  TreeHead h;
  {
    std::shared_lock lock(mu_);
    h.tree_size = tree_.size();
    h.root_hash = tree_.Root();
  }
  h.timestamp = FormatTimestamp(Now(), 3);
  h.log_id = log_id_;
  return h;
}

Result<SignedTreeHead> Ledger::SignedHead() const {
  if (!options_.signing_key) {
    return Status::InvalidArgument("this log has no signing key: tree heads cannot be signed");
  }
  return SignTreeHead(Head(), *options_.signing_key);
}

Result<Hash> Ledger::Root(std::uint64_t tree_size) const {
  std::shared_lock lock(mu_);
  return tree_.Root(tree_size);
}

Result<InclusionProof> Ledger::InclusionProofFor(std::uint64_t index,
                                                 std::uint64_t tree_size) const {
  std::shared_lock lock(mu_);
  InclusionProof p;
  ENTENTE_ASSIGN_OR_RETURN(p.audit_path, tree_.InclusionProof(index, tree_size));
  p.leaf_index = index;
  p.tree_size = tree_size;
  p.leaf_hash = tree_.leaf_hash(index);
  return p;
}

Result<ConsistencyProof> Ledger::ConsistencyProofFor(std::uint64_t first,
                                                     std::uint64_t second) const {
  std::shared_lock lock(mu_);
  ConsistencyProof p;
  ENTENTE_ASSIGN_OR_RETURN(p.path, tree_.ConsistencyProof(first, second));
  p.first_size = first;
  p.second_size = second;
  return p;
}

Result<Hash> Ledger::LeafHashAt(std::uint64_t index) const {
  std::shared_lock lock(mu_);
  if (index >= tree_.size()) {
    return Status::NotFound("entry " + std::to_string(index) + " is past the end of the log (" +
                            std::to_string(tree_.size()) + " entries)");
  }
  return tree_.leaf_hash(index);
}

Result<std::string> Ledger::LeafAt(std::uint64_t index) const {
  std::uint64_t offset = 0;
  Hash expected{};
  {
    std::shared_lock lock(mu_);
    if (index >= tree_.size()) {
      return Status::NotFound("entry " + std::to_string(index) + " is past the end of the log (" +
                              std::to_string(tree_.size()) + " entries)");
    }
    offset = offsets_[index];
    expected = tree_.leaf_hash(index);
    if (fd_ < 0) {
      const std::uint32_t len = GetU32(memory_.data() + offset);
      return memory_.substr(offset + kRecordHeaderBytes, len);
    }
  }
  // Records before end_ never change, so the read needs no lock (pread is thread-safe).
  char head[kRecordHeaderBytes];
  if (::pread(fd_, head, sizeof head, static_cast<off_t>(offset)) != sizeof head) {
    return Status::IoError(Errno("cannot read entry " + std::to_string(index) + " of " + path_));
  }
  const std::uint32_t len = GetU32(head);
  if (len == 0 || len > kMaxEntryBytes) {
    return Status::Corruption("entry " + std::to_string(index) + " of " + path_ +
                              " changed on disk since the log was opened");
  }
  std::string leaf(len, '\0');
  if (::pread(fd_, leaf.data(), len, static_cast<off_t>(offset + kRecordHeaderBytes)) !=
      static_cast<ssize_t>(len)) {
    return Status::IoError(Errno("cannot read entry " + std::to_string(index) + " of " + path_));
  }
  if (LeafHash(AsBytes(leaf)) != expected) {
    return Status::Corruption("entry " + std::to_string(index) + " of " + path_ +
                              " changed on disk since the log was opened");
  }
  return leaf;
}

Result<Entry> Ledger::EntryAt(std::uint64_t index) const {
  ENTENTE_ASSIGN_OR_RETURN(std::string leaf, LeafAt(index));
  auto e = DecodeEntry(leaf);
  if (!e.ok()) return e.status().WithContext("entry " + std::to_string(index));
  return e;
}

std::optional<std::uint64_t> Ledger::FirstDifference(const Ledger& other) const {
  if (&other == this) return std::nullopt;
  // Lock in address order: two threads comparing the same pair the other way round must not
  // deadlock behind a waiting writer.
  const bool this_first = std::less<const Ledger*>()(this, &other);
  std::shared_lock a(this_first ? mu_ : other.mu_);
  std::shared_lock b(this_first ? other.mu_ : mu_);
  const std::uint64_t n = std::min(tree_.size(), other.tree_.size());
  if (n == 0 || tree_.RangeHash(0, n) == other.tree_.RangeHash(0, n)) return std::nullopt;
  // Walk down the RFC split: the left part is a complete stored subtree, so each step is cheap.
  std::uint64_t begin = 0, end = n;
  while (end - begin > 1) {
    const std::uint64_t k = std::bit_floor(end - begin - 1);
    if (tree_.RangeHash(begin, begin + k) != other.tree_.RangeHash(begin, begin + k)) {
      end = begin + k;
    } else {
      begin += k;
    }
  }
  return begin;
}

Result<VerifyReport> VerifyLogFile(const std::string& path, const SignedTreeHead* sth,
                                   crypto::hybrid::SigSuite suite, ByteView public_key) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no log file at " + path);
    return Status::IoError(Errno("cannot open " + path));
  }
  struct stat st {};
  LogScan scan;
  {
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return Status::IoError(Errno("cannot stat " + path));
    }
    auto map = Mapping::Of(fd, static_cast<std::uint64_t>(st.st_size), path);
    ::close(fd);
    if (!map.ok()) return map.status();
    auto scanned = ScanLog(map->view(), /*decode_entries=*/true);
    if (!scanned.ok()) return scanned.status().WithContext(path);
    scan = std::move(*scanned);
  }
  if (!scan.tail.ok()) return scan.tail.WithContext(path);
  MerkleTree tree;
  tree.Reserve(scan.leaf_hashes.size());
  for (const Hash& h : scan.leaf_hashes) tree.AppendLeafHash(h);
  VerifyReport report;
  report.size = tree.size();
  report.root = tree.Root();
  if (sth != nullptr) {
    if (!public_key.empty()) ENTENTE_RETURN_IF_ERROR(VerifyTreeHead(*sth, suite, public_key));
    if (sth->head.tree_size > tree.size()) {
      return Status::Corruption(path + ": the signed head covers " +
                                std::to_string(sth->head.tree_size) + " entries, the copy has " +
                                std::to_string(tree.size()) + ": entries from index " +
                                std::to_string(tree.size()) + " are missing");
    }
    ENTENTE_ASSIGN_OR_RETURN(Hash root, tree.Root(sth->head.tree_size));
    if (root != sth->head.root_hash) {
      return Status::Corruption(
          path + ": the root of the first " + std::to_string(sth->head.tree_size) +
          " entries does not match the signed head: an entry was changed, removed, reordered or "
          "inserted (`entente log verify --reference` or inclusion proofs name which)");
    }
  }
  return report;
}

}  // namespace entente::ledger
