#include "entente/store/store.h"

#include "postgres/pg_store.h"
#include "sqlite/sqlite_store.h"

namespace entente::store {

std::string_view VersionOf(const stix::ObjectHeader& header) noexcept {
  if (!header.modified.empty()) return header.modified;
  if (header.object_class == stix::ObjectClass::kSco) return {};
  return header.created;
}

std::string RedactStoreUrl(std::string_view url) { return PgStore::Redact(url); }

Result<std::unique_ptr<Store>> Store::Open(const std::string& url, StoreOptions options) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return PgStore::Open(url, options);
  }
  std::string path = url.starts_with("sqlite:") ? url.substr(7) : url;
  if (path.empty()) return Status::InvalidArgument("empty store path");
  return SqliteStore::Open(path, options);
}

Result<StoredObject> Store::Get(std::string_view id, Versions which, std::string_view version) {
  if (id.empty()) return Status::InvalidArgument("empty id");
  return DoGet(id, which, version);
}

Result<std::vector<StoredObject>> Store::GetVersions(std::string_view id) {
  if (id.empty()) return Status::InvalidArgument("empty id");
  return DoGetVersions(id);
}

Result<Page> Store::Find(const Query& query) {
  if (query.limit == 0 || query.limit > 10000) {
    return Status::InvalidArgument("page limit must be 1..10000, not " +
                                   std::to_string(query.limit));
  }
  if (query.ids.size() > 1000 || query.types.size() > 100 || query.exact_versions.size() > 1000) {
    return Status::LimitExceeded("too many ids, types or versions in one query");
  }
  return DoFind(query);
}

Result<std::size_t> Store::Delete(std::string_view id, const std::vector<std::string>& versions) {
  if (id.empty()) return Status::InvalidArgument("empty id");
  return DoDelete(id, versions);
}

}  // namespace entente::store
