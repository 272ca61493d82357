#include "entente/federation/page.h"

#include <charconv>
#include <memory>

#include "entente/crypto/symmetric.h"

namespace entente::federation {
namespace {

using crypto::hybrid::SigSuite;

void AppendManifestLine(std::string& out, std::string_view object, std::string_view origin) {
  out += HexEncode(crypto::Sha256(AsBytes(object)));
  out += ' ';
  out += origin;
  out += '\n';
}

std::string ManifestHead(const PageHeader& h, std::size_t count) {
  std::string out = "entente-page-v1\n";
  out += h.from + "\n" + h.to + "\n" + std::to_string(h.added_after) + "\n" +
         std::to_string(h.next) + "\n" + (h.more ? "1" : "0") + "\n" + std::to_string(count) + "\n";
  return out;
}

Result<std::int64_t> Cursor(json::Node n, std::string_view what) {
  std::string_view s = n.str();
  std::int64_t v = 0;
  if (!n.is_string() || s.empty() || s.size() > 19) {
    return Status::InvalidArgument("page: " + std::string(what) + " is not a cursor string");
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    return Status::InvalidArgument("page: " + std::string(what) + " is not a cursor: '" +
                                   std::string(s) + "'");
  }
  return v;
}

Result<SigSuite> SuiteByName(std::string_view name) {
  for (SigSuite s :
       {SigSuite::kMlDsa65Ed25519, SigSuite::kMlDsa87Ed25519, SigSuite::kMlDsa44Ed25519}) {
    if (crypto::hybrid::Name(s) == name) return s;
  }
  return Status::InvalidArgument("page: unknown sig_suite '" + std::string(name.substr(0, 64)) +
                                 "'");
}

}  // namespace

bool ValidNodeId(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxNodeIdBytes) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

PageWriter::PageWriter(std::string from, std::string to, std::int64_t added_after) {
  header_.from = std::move(from);
  header_.to = std::move(to);
  header_.added_after = added_after;
  out_ = "{\"objects\":[";
}

void PageWriter::Reserve(std::size_t objects, std::size_t bytes) {
  out_.reserve(bytes + objects * 8 + 4096);
  manifest_lines_.reserve(objects * 80);
  origins_.reserve(objects);
}

void PageWriter::Add(std::string_view object_json, std::string_view origin) {
  if (!origins_.empty()) out_ += ',';
  out_ += object_json;
  bytes_ += object_json.size();
  AppendManifestLine(manifest_lines_, object_json, origin);
  origins_.emplace_back(origin);
}

Result<std::string> PageWriter::Finish(std::int64_t next, bool more,
                                       const crypto::hybrid::SigPrivateKey& key) {
  if (!ValidNodeId(header_.from) || !ValidNodeId(header_.to)) {
    return Status::InvalidArgument("page: bad node id '" + header_.from + "' or '" + header_.to +
                                   "'");
  }
  for (const auto& o : origins_) {
    if (!ValidNodeId(o)) return Status::InvalidArgument("page: bad origin node id '" + o + "'");
  }
  header_.next = next;
  header_.more = more;
  std::string manifest = ManifestHead(header_, origins_.size());
  manifest += manifest_lines_;
  ENTENTE_ASSIGN_OR_RETURN(Bytes sig, key.Sign(AsBytes(manifest), AsBytes(kPageContext)));
  // The objects are already in place; the TAXII members and the signature follow them.
  std::string& out = out_;
  out += "],\"more\":";
  out += more ? "true" : "false";
  out += ",\"next\":\"" + std::to_string(next) + "\"";
  out += ",\"x_entente_page\":{\"v\":1,\"from\":\"" + header_.from + "\",\"to\":\"" + header_.to +
         "\",\"added_after\":\"" + std::to_string(header_.added_after) + "\",\"next\":\"" +
         std::to_string(next) + "\",\"more\":" + (more ? "true" : "false") + ",\"origins\":[";
  for (std::size_t i = 0; i < origins_.size(); ++i) {
    if (i) out += ',';
    out += '"' + origins_[i] + '"';
  }
  out += "],\"sig_suite\":\"";
  out += crypto::hybrid::Name(key.suite());
  out += "\",\"signature\":\"" + Base64Encode(sig) + "\"}}";
  return std::move(out_);
}

std::string PageManifest(const PageHeader& header, const std::vector<std::string_view>& objects,
                         const std::vector<std::string>& origins) {
  std::string out = ManifestHead(header, objects.size());
  out.reserve(out.size() + objects.size() * 80);
  for (std::size_t i = 0; i < objects.size() && i < origins.size(); ++i) {
    AppendManifestLine(out, objects[i], origins[i]);
  }
  return out;
}

Result<ParsedPage> ParsePage(std::string text, std::unique_ptr<json::Document> reuse) {
  if (text.size() > kMaxPageBytes) {
    return Status::LimitExceeded("page: " + std::to_string(text.size()) + " bytes, over the " +
                                 std::to_string(kMaxPageBytes) + " limit");
  }
  ParsedPage page;
  page.text_ = std::make_unique<std::string>(std::move(text));
  page.doc_ = reuse ? std::move(reuse) : std::make_unique<json::Document>();
  json::ParseLimits limits;
  limits.max_bytes = kMaxPageBytes;
  limits.max_depth = 64;
  limits.max_container_size = kMaxPageObjects + 16;
  ENTENTE_RETURN_IF_ERROR(page.doc_->Parse(std::string_view(*page.text_), limits));
  json::Node root = page.doc_->root();
  if (!root.is_object()) return Status::InvalidArgument("page: not a JSON object");
  json::Node objects = root["objects"];
  json::Node meta = root["x_entente_page"];
  if (!meta.is_object()) return Status::InvalidArgument("page: no x_entente_page (unsigned)");
  if (meta["v"].as_int64() != 1) return Status::Unsupported("page: x_entente_page.v is not 1");
  if (!objects.missing() && !objects.is_array()) {
    return Status::InvalidArgument("page: objects is not an array");
  }
  if (objects.size() > kMaxPageObjects) {
    return Status::LimitExceeded("page: more than " + std::to_string(kMaxPageObjects) + " objects");
  }
  PageHeader& h = page.header;
  h.from = std::string(meta["from"].str());
  h.to = std::string(meta["to"].str());
  if (!ValidNodeId(h.from)) return Status::InvalidArgument("page: x_entente_page.from is bad");
  if (!ValidNodeId(h.to)) return Status::InvalidArgument("page: x_entente_page.to is bad");
  ENTENTE_ASSIGN_OR_RETURN(h.added_after, Cursor(meta["added_after"], "added_after"));
  ENTENTE_ASSIGN_OR_RETURN(h.next, Cursor(meta["next"], "next"));
  if (!meta["more"].is_bool()) return Status::InvalidArgument("page: more is not a boolean");
  h.more = meta["more"].boolean();
  if (root["more"].is_bool() && root["more"].boolean() != h.more) {
    return Status::InvalidArgument("page: TAXII more differs from the signed one");
  }
  if (!root["next"].missing()) {
    ENTENTE_ASSIGN_OR_RETURN(std::int64_t n, Cursor(root["next"], "next"));
    if (n != h.next) return Status::InvalidArgument("page: TAXII next differs from the signed one");
  }
  if (h.next < h.added_after) {
    return Status::InvalidArgument("page: next cursor is before added_after");
  }
  json::Node origins = meta["origins"];
  if (!origins.is_array() || origins.size() != objects.size()) {
    return Status::InvalidArgument("page: origins must list one node per object");
  }
  for (auto [key, o] : objects) {
    (void)key;
    if (!o.is_object()) return Status::InvalidArgument("page: an object is not a JSON object");
    page.objects.push_back(o.raw());
  }
  for (auto [key, o] : origins) {
    (void)key;
    if (!o.is_string() || !ValidNodeId(o.str())) {
      return Status::InvalidArgument("page: an origin is not a node id");
    }
    page.origins.emplace_back(o.str());
  }
  ENTENTE_ASSIGN_OR_RETURN(page.sig_suite, SuiteByName(meta["sig_suite"].str()));
  auto sig = Base64Decode(meta["signature"].str());
  if (!meta["signature"].is_string() || !sig.ok() || sig->empty()) {
    return Status::InvalidArgument("page: signature is not base64");
  }
  page.signature = std::move(*sig);
  return page;
}

Status VerifyPage(const ParsedPage& page, crypto::hybrid::SigSuite suite, ByteView public_key) {
  if (page.sig_suite != suite) {
    return Status::CryptoError("page from " + page.header.from + ": signed with " +
                               std::string(crypto::hybrid::Name(page.sig_suite)) +
                               ", the trust list names " +
                               std::string(crypto::hybrid::Name(suite)));
  }
  std::string manifest = PageManifest(page.header, page.objects, page.origins);
  if (!crypto::hybrid::SigVerify(suite, public_key, AsBytes(manifest), page.signature,
                                 AsBytes(kPageContext))) {
    return Status::CryptoError("page from " + page.header.from +
                               ": signature does not verify against its trust-list key");
  }
  return Status::Ok();
}

}  // namespace entente::federation
