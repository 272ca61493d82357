#include "entente/store/ingest.h"

#include "entente/stix/upgrade.h"

namespace entente::store {

void IngestReport::Merge(const IngestReport& o) {
  read += o.read;
  added += o.added;
  duplicates += o.duplicates;
  rejected += o.rejected;
  upgraded += o.upgraded;
  converted += o.converted;
  warnings += o.warnings;
  for (const auto& [type, n] : o.added_by_type) added_by_type[type] += n;
  for (const auto& e : o.errors) {
    if (errors.size() < 100) errors.push_back(e);
  }
  if (stopped.empty()) stopped = o.stopped;
}

Result<IngestReport> Ingest(Store& store, stix::ObjectReader& reader,
                            const IngestOptions& options) {
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

  // One STIX object: upgrade if 2.0, validate, put. Returns an error only for what must stop
  // the ingest (store failures, anything in strict mode).
  auto handle = [&](json::Document& d, std::string_view text,
                    const stix::SourceLocation& where) -> Status {
    json::Node node = d.root();
    if (stix::IsStix20(node)) {
      upgraded_text = stix::UpgradeToStix21(node).Serialize();
      ENTENTE_RETURN_IF_ERROR(d.Parse(upgraded_text, options.json_limits));
      node = d.root();
      text = upgraded_text;
      ++report.upgraded;
    }
    stix::ObjectHeader header;
    Status valid = validator.Check(node, &header);
    if (!valid.ok()) {
      if (options.strict) return valid.WithContext(where.ToString());
      reject(where, valid.message());
      return Status::Ok();
    }
    if (!batch) {
      ENTENTE_ASSIGN_OR_RETURN(batch, store.BeginBatch());
    }
    auto put = batch->Put(header, text);
    if (!put.ok()) {
      if (put.status().code() != ErrorCode::kConflict) return put.status();
      if (options.strict) return put.status().WithContext(where.ToString());
      reject(where, put.status().message());
      return Status::Ok();
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
    return Status::Ok();
  };

  // A store failure (disk full, read-only, locked) ends the ingest; the batches committed before
  // it stay stored, and the error says how many objects that is.
  auto stored_so_far = [&](Status s) {
    if (report.added == 0) return s;
    return s.WithContext(std::to_string(report.added) +
                         " new objects were committed before this error and stay stored");
  };
  std::string_view text;
  stix::SourceLocation where;
  json::Document converted_doc;
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
    if (options.convert && doc.root().is_object() && !doc.root()["type"].is_string()) {
      std::uint64_t index = 0;
      Status converted = options.convert(doc.root(), [&](std::string_view stix_text) -> Status {
        stix::SourceLocation inner = where;
        inner.bundle_index = static_cast<std::int64_t>(index++);
        Status p = converted_doc.Parse(stix_text, options.json_limits);
        if (!p.ok()) return Status::Internal("converter produced invalid JSON: " + p.message());
        return handle(converted_doc, stix_text, inner);
      });
      if (converted.ok()) {
        ++report.converted;
        continue;
      }
      if (converted.code() != ErrorCode::kNotFound) {
        if (options.strict || converted.code() == ErrorCode::kIoError ||
            converted.code() == ErrorCode::kInternal) {
          return converted.WithContext(where.ToString());
        }
        reject(where, converted.message());
        continue;
      }
    }
    if (Status s = handle(doc, text, where); !s.ok()) return stored_so_far(s);
  }
  if (Status s = commit(); !s.ok()) return stored_so_far(s);
  settle();
  return report;
}

}  // namespace entente::store
