#include "entente/store/ingest.h"

#include "entente/stix/upgrade.h"

namespace entente::store {

void IngestReport::Merge(const IngestReport& o) {
  read += o.read;
  added += o.added;
  duplicates += o.duplicates;
  rejected += o.rejected;
  upgraded += o.upgraded;
  warnings += o.warnings;
  for (const auto& [type, n] : o.added_by_type) added_by_type[type] += n;
  for (const auto& e : o.errors) {
    if (errors.size() < 100) errors.push_back(e);
  }
  if (stopped.empty()) stopped = o.stopped;
}

Result<IngestReport> Ingest(Store& store, stix::ObjectReader& reader, const IngestOptions& options) {
  IngestReport report;
  stix::Validator validator(options.validate);
  json::Document doc;
  std::string upgraded_text;
  std::unique_ptr<WriteBatch> batch;

  auto reject = [&](const stix::SourceLocation& where, const std::string& message) {
    ++report.rejected;
    if (report.errors.size() < options.max_reported_errors) {
      report.errors.push_back(where.ToString() + ": " + message);
    }
  };
  auto commit = [&]() -> Status {
    if (!batch) return Status::Ok();
    Status s = batch->Commit();
    batch.reset();
    if (options.on_progress) options.on_progress(reader.bytes_read(), report.read);
    return s;
  };
  // Counts of a batch become part of the report only when it commits.
  IngestReport pending;
  auto settle = [&]() {
    report.added += pending.added;
    for (const auto& [t, n] : pending.added_by_type) report.added_by_type[t] += n;
    pending = IngestReport();
  };

  std::string_view text;
  stix::SourceLocation where;
  for (;;) {
    auto more = reader.Next(&text, &where);
    if (!more.ok()) {
      if (options.strict) return more.status();
      report.stopped = more.status().message();
      break;
    }
    if (!*more) break;
    ++report.read;
    Status parsed = doc.Parse(text, options.json_limits);
    if (!parsed.ok()) {
      if (options.strict) return parsed.WithContext(where.ToString());
      reject(where, parsed.message());
      continue;
    }
    json::Node node = doc.root();
    if (stix::IsStix20(node)) {
      upgraded_text = stix::UpgradeToStix21(node).Serialize();
      ENTENTE_RETURN_IF_ERROR(doc.Parse(upgraded_text, options.json_limits));
      node = doc.root();
      text = upgraded_text;
      ++report.upgraded;
    }
    stix::ObjectHeader header;
    Status valid = validator.Check(node, &header);
    if (!valid.ok()) {
      if (options.strict) return valid.WithContext(where.ToString());
      reject(where, valid.message());
      continue;
    }
    if (!batch) {
      ENTENTE_ASSIGN_OR_RETURN(batch, store.BeginBatch());
    }
    auto put = batch->Put(header, text);
    if (!put.ok()) {
      if (put.status().code() != ErrorCode::kConflict) return put.status();
      if (options.strict) return put.status().WithContext(where.ToString());
      reject(where, put.status().message());
      continue;
    }
    if (*put == PutOutcome::kDuplicate) {
      ++report.duplicates;
    } else {
      ++pending.added;
      ++pending.added_by_type[std::string(header.type)];
    }
    if (!options.strict && batch->size() >= options.batch_size) {
      ENTENTE_RETURN_IF_ERROR(commit());
      settle();
    }
  }
  ENTENTE_RETURN_IF_ERROR(commit());
  settle();
  return report;
}

}  // namespace entente::store
