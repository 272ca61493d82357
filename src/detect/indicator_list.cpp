#include "entente/detect/indicator_list.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace entente::detect {

Result<std::string> ReadFileMaybeGzip(const std::string& path, std::size_t max_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  gzbuffer(f, 1 << 18);
  std::string out;
  std::size_t chunk = 1 << 20;
  while (true) {
    std::size_t old = out.size();
    out.resize(old + chunk);
    int n = gzread(f, out.data() + old, static_cast<unsigned>(chunk));
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      return Status::IoError("cannot read " + path + ": " + msg);
    }
    out.resize(old + static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      gzclose(f);
      return Status::LimitExceeded(path + ": over " + std::to_string(max_bytes) + " bytes");
    }
    if (n == 0) break;
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  if (err != Z_OK && err != Z_BUF_ERROR) {
    std::string m = msg;
    gzclose(f);
    return Status::IoError("cannot read " + path + ": " + m);
  }
  int rc = gzclose(f);
  if (rc == Z_BUF_ERROR) return Status::IoError(path + ": truncated gzip stream");
  if (rc != Z_OK)
    return Status::IoError("cannot read " + path + ": gzip error " + std::to_string(rc));
  return out;
}

Status ParseIndicatorList(std::string_view text, std::string_view source, IndexBuilder& builder,
                          ListLoadStats* stats, const ListLoadLimits& limits) {
  ListLoadStats local;
  ListLoadStats& st = stats ? *stats : local;
  std::string base(source);
  if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  IndicatorMeta fallback;
  fallback.ref = base;
  MetaId fallback_id = builder.AddMeta(fallback);
  std::string last_labels;
  MetaId last_id = fallback_id;
  std::size_t pos = 0, line_no = 0;
  auto reject = [&](std::string_view why) {
    st.rejected++;
    if (st.samples.size() < 5)
      st.samples.push_back(std::string(source) + ":" + std::to_string(line_no) + ": " +
                           std::string(why));
  };
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    st.lines++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > limits.max_line_bytes) {
      reject("line over " + std::to_string(limits.max_line_bytes) + " bytes");
      continue;
    }
    std::string_view value = line, labels;
    if (auto tab = line.find('\t'); tab != std::string_view::npos) {
      value = line.substr(0, tab);
      labels = line.substr(tab + 1);
    }
    while (!value.empty() && (value.back() == ' ')) value.remove_suffix(1);
    while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
    if (value.empty()) continue;
    MetaId id = fallback_id;
    if (!labels.empty()) {
      if (labels != last_labels) {
        IndicatorMeta m;
        m.ref = std::string(labels);
        last_id = builder.AddMeta(m);
        last_labels = std::string(labels);
      }
      id = last_id;
    }
    Status s = builder.AddInferred(value, id);
    if (!s.ok()) {
      reject(s.message());
      continue;
    }
    st.values++;
  }
  return Status::Ok();
}

Status LoadIndicatorList(const std::string& path, IndexBuilder& builder, ListLoadStats* stats,
                         const ListLoadLimits& limits) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadFileMaybeGzip(path, limits.max_file_bytes));
  return ParseIndicatorList(text, path, builder, stats, limits);
}

}  // namespace entente::detect
