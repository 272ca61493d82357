// MISP -> STIX 2.1. The mapping follows misp-stix; where its golden files and our choices differ
// (TLP 2.0 markings, distribution markings) docs/MISP.md says so.
#include <algorithm>
#include <charconv>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "entente/formats/misp.h"
#include "misp_internal.h"

namespace entente::formats {
namespace {

using json::Kind;
using json::Node;
using json::Value;
using namespace misp_internal;

Value Obj() { return Value::MakeObject(); }
Value Arr() { return Value::MakeArray(); }
Value StrArray(const std::vector<std::string>& items) {
  Value a = Arr();
  a.array().reserve(items.size());
  for (const auto& s : items) a.push_back(Value(s));
  return a;
}

std::string Cat(std::string_view a, std::string_view b) {
  std::string s;
  s.reserve(a.size() + b.size());
  s.append(a);
  s.append(b);
  return s;
}

// "domain-name--<uuid>"
std::string Sid(std::string_view type, std::string_view uuid) {
  std::string s;
  s.reserve(type.size() + 2 + uuid.size());
  s.append(type);
  s.append("--");
  s.append(uuid);
  return s;
}

Value Sco(std::string_view type, const std::string& id) {
  Value v = Obj();
  v.object().reserve(6);
  v.set("type", type);
  v.set("spec_version", "2.1");
  v.set("id", id);
  return v;
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Registry value data: misp-stix also escapes '%' in patterns.
std::string RegistryDataEscape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '%') {
      out.append("\\\\%");
    } else if (c == '\'') {
      out.append("\\'");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Object templates that map to one SCO with a fixed relation -> property table.
enum class FieldKind { kString, kInt, kTime, kHash };
struct SimpleField {
  std::string_view relation, prop;  // for kHash, prop is the MISP hash type
  FieldKind kind;
};
struct SimpleTemplate {
  std::string_view name, sco, required;
  const SimpleField* fields;  // ends with an empty relation
};
constexpr SimpleField kUrlFields[] = {{"url", "value", FieldKind::kString}, {}};
constexpr SimpleField kCredentialFields[] = {{"username", "user_id", FieldKind::kString},
                                             {"password", "credential", FieldKind::kString},
                                             {}};
constexpr SimpleField kMutexFields[] = {{"name", "name", FieldKind::kString}, {}};
constexpr SimpleField kAsnFields[] = {
    {"asn", "number", FieldKind::kInt}, {"description", "name", FieldKind::kString}, {}};
constexpr SimpleField kX509Fields[] = {
    {"x509-fingerprint-md5", "md5", FieldKind::kHash},
    {"x509-fingerprint-sha1", "sha1", FieldKind::kHash},
    {"x509-fingerprint-sha256", "sha256", FieldKind::kHash},
    {"issuer", "issuer", FieldKind::kString},
    {"serial-number", "serial_number", FieldKind::kString},
    {"signature_algorithm", "signature_algorithm", FieldKind::kString},
    {"subject", "subject", FieldKind::kString},
    {"validity-not-before", "validity_not_before", FieldKind::kTime},
    {"validity-not-after", "validity_not_after", FieldKind::kTime},
    {"version", "version", FieldKind::kString},
    {"pubkey-info-algorithm", "subject_public_key_algorithm", FieldKind::kString},
    {"pubkey-info-modulus", "subject_public_key_modulus", FieldKind::kString},
    {"pubkey-info-exponent", "subject_public_key_exponent", FieldKind::kInt},
    {}};
constexpr SimpleField kDirectoryFields[] = {
    {"path", "path", FieldKind::kString},         {"path-encoding", "path_enc", FieldKind::kString},
    {"creation-time", "ctime", FieldKind::kTime}, {"modification-time", "mtime", FieldKind::kTime},
    {"access-time", "atime", FieldKind::kTime},   {}};
constexpr SimpleTemplate kSimpleTemplates[] = {
    {"url", "url", "value", kUrlFields},
    {"credential", "user-account", "", kCredentialFields},
    {"mutex", "mutex", "name", kMutexFields},
    {"asn", "autonomous-system", "number", kAsnFields},
    {"x509", "x509-certificate", "", kX509Fields},
    {"directory", "directory", "path", kDirectoryFields},
};
const SimpleTemplate* FindSimpleTemplate(std::string_view name) {
  for (const auto& t : kSimpleTemplates) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// The report's object_refs, 17 bytes per id instead of a ~100-byte string: a 150k-attribute
// event has half a million of them.
class RefList {
 public:
  void Add(std::string_view id) {
    auto dd = id.find("--");
    Entry e{};
    if (dd != std::string_view::npos && ParseUuid(id.substr(dd + 2), e.uuid)) {
      const std::string_view type = id.substr(0, dd);
      auto it = std::find(types_.begin(), types_.end(), type);
      if (it == types_.end() && types_.size() < 255)
        it = types_.insert(types_.end(), std::string(type));
      if (it != types_.end()) {
        e.type = static_cast<std::uint8_t>(it - types_.begin());
        entries_.push_back(e);
        return;
      }
    }
    e.type = 255;
    e.other = static_cast<std::uint32_t>(others_.size());
    others_.emplace_back(id);
    entries_.push_back(e);
  }
  bool empty() const { return entries_.empty(); }
  Value TakeArray() {
    Value a = Arr();
    a.array().reserve(entries_.size());
    for (const auto& e : entries_) {
      if (e.type == 255) {
        a.push_back(Value(std::move(others_[e.other])));
      } else {
        a.push_back(Value(Sid(types_[e.type], UuidToString(e.uuid))));
      }
    }
    Clear();
    return a;
  }
  void Clear() {
    entries_.clear();
    entries_.shrink_to_fit();
    others_.clear();
  }

 private:
  struct Entry {
    Uuid uuid;
    std::uint8_t type;
    std::uint32_t other;
  };
  std::vector<Entry> entries_;
  std::vector<std::string> types_;
  std::vector<std::string> others_;
};

// What one attribute (or one object) turns into before the SDO wrappers are added.
struct Built {
  std::vector<Value> scos;        // observable objects, main one first
  std::vector<std::string> refs;  // observed-data object_refs, in misp-stix order
  std::string pattern;            // indicator pattern ("" when there is none)
  std::string pattern_type = "stix";
};

struct Item {
  std::string uuid;
  std::string type;  // attribute type or object name
  std::string category;
  std::string comment;
  bool to_ids = false;
  Timestamp ts;
  std::optional<Timestamp> first_seen, last_seen;
  std::vector<std::string> labels;    // misp:* then tags
  std::vector<std::string> markings;  // marking-definition ids
};

class Converter {
 public:
  Converter(const MispOptions& options, const StixSink& sink, MispStats& stats)
      : opt_(options), sink_(sink), stats_(stats) {
    now_ = options.now ? *options.now : Now();
  }

  Status Run(Node root) {
    if (root.is_object()) {
      Node response = root["response"];
      if (!response.missing()) return RunResponse(response);
      if (root["Event"].is_object() || root["info"].is_string() || !root["info"].missing()) {
        return ConvertEvent(root["Event"].is_object() ? root["Event"] : root);
      }
      if (root["Attribute"].is_array()) return ConvertAttributeCollection(root["Attribute"]);
      if (root["Object"].is_object()) return ConvertObjectCollectionItem(root["Object"]);
      return Status::InvalidArgument(
          "MISP: input object has none of Event, info, response, Attribute, Object");
    }
    if (root.is_array()) return RunList(root);
    return Status::InvalidArgument(std::string("MISP: input must be an object or an array, not ") +
                                   std::string(json::KindName(root.kind())));
  }

 private:
  Status RunResponse(Node response) {
    if (response.is_array()) return RunList(response);
    if (response.is_object()) {
      if (response["Attribute"].is_array()) {
        return ConvertAttributeCollection(response["Attribute"]);
      }
      if (response["Event"].is_object()) return ConvertEvent(response["Event"]);
    }
    return Status::InvalidArgument(
        "MISP: \"response\" must be a list of events or objects, or {\"Attribute\": [...]}");
  }

  Status RunList(Node list) {
    if (list.size() > opt_.limits.max_events) {
      return Status::LimitExceeded("MISP: " + std::to_string(list.size()) +
                                   " items in the input, over the limit of " +
                                   std::to_string(opt_.limits.max_events));
    }
    std::size_t index = 0;
    for (auto [k, item] : list) {
      if (!item.is_object()) {
        return Status::InvalidArgument("MISP: item " + std::to_string(index) +
                                       " of the list is not an object");
      }
      if (item["Event"].is_object()) {
        ENTENTE_RETURN_IF_ERROR(ConvertEvent(item["Event"]));
      } else if (item["Object"].is_object()) {
        ENTENTE_RETURN_IF_ERROR(ConvertObjectCollectionItem(item["Object"]));
      } else if (!item["info"].missing()) {
        ENTENTE_RETURN_IF_ERROR(ConvertEvent(item));
      } else if (item["Attribute"].is_object()) {
        ENTENTE_RETURN_IF_ERROR(ConvertLooseAttribute(item["Attribute"]));
      } else if (item["type"].is_string() && !item["value"].missing()) {
        ENTENTE_RETURN_IF_ERROR(ConvertLooseAttribute(item));
      } else {
        return Status::InvalidArgument("MISP: item " + std::to_string(index) +
                                       " of the list is not an event, object or attribute");
      }
      ++index;
    }
    return Status::Ok();
  }

  // ---- output ---------------------------------------------------------------------------

  Status Emit(Value v, bool in_report = true) {
    if (in_report && in_event_) {
      if (const Value* id = v.find("id")) report_refs_.Add(id->str());
    }
    ++stats_.stix_objects;
    if (const Value* t = v.find("type")) {
      const std::string& type = t->str();
      if (type.rfind("x-misp-", 0) == 0) ++stats_.custom_objects;
    }
    return sink_(std::move(v));
  }

  // Emits an object shared across events (identity, marking, galaxy cluster) only once.
  Status EmitOnce(Value v, bool in_report) {
    const std::string id = v.find("id")->str();
    if (!emitted_once_.insert(id).second) {
      if (in_report && in_event_) report_refs_.Add(id);
      return Status::Ok();
    }
    return Emit(std::move(v), in_report);
  }

  // type, spec_version, id, created_by_ref, created, modified.
  Value Sdo(std::string_view type, const std::string& id, Timestamp ts) const {
    Value v = Obj();
    v.object().reserve(14);
    v.set("type", type);
    v.set("spec_version", "2.1");
    v.set("id", id);
    if (!identity_id_.empty()) v.set("created_by_ref", identity_id_);
    const std::string t = StixMillis(ts);
    v.set("created", t);
    v.set("modified", t);
    return v;
  }

  Status Relationship(const std::string& source, std::string_view type, const std::string& target,
                      Timestamp ts, std::string_view description = {}) {
    std::string name = source;
    name.append(" - ");
    name.append(type);
    name.append(" - ");
    name.append(target);
    Value r = Obj();
    r.set("type", "relationship");
    r.set("spec_version", "2.1");
    r.set("id", Sid("relationship", MispUuid5(name)));
    const std::string t = StixMillis(ts);
    r.set("created", t);
    r.set("modified", t);
    r.set("relationship_type", type);
    if (!description.empty()) r.set("description", description);
    r.set("source_ref", source);
    r.set("target_ref", target);
    return Emit(std::move(r));
  }

  // ---- shared pieces ------------------------------------------------------------------------

  // False when the uuid was already converted in this event. 16 bytes per uuid.
  bool SeeOnce(const std::string& uuid) {
    Uuid u{};
    if (!ParseUuid(uuid, u)) return true;
    return seen_.insert(u).second;
  }

  // Outside events (collections) every uuid may be referenced; inside, only those named by an
  // ObjectReference of the event are kept.
  void Remember(const std::string& uuid, const std::string& stix_id) {
    if (!in_event_ || wanted_.count(uuid)) uuid_to_stix_.emplace(uuid, stix_id);
  }

  std::string Where() const {
    return event_uuid_.empty() ? std::string("MISP") : "MISP event " + event_uuid_;
  }

  Status CheckUuid(Node n, std::string_view what, std::string& out) const {
    if (!n.is_string() || !IsUuid(n.str(), /*rfc4122=*/false)) {
      return Status::InvalidArgument(Where() + ": " + std::string(what) +
                                     " has a missing or malformed uuid");
    }
    out = std::string(n.str());
    // MISP uuids are lower case in STIX ids.
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return Status::Ok();
  }

  // Tags -> labels (and TLP markings).
  Status ReadTags(Node tags, const std::string& uuid, Item& item) {
    if (tags.missing() || tags.is_null()) return Status::Ok();
    if (!tags.is_array()) {
      return Status::InvalidArgument(Where() + ", item " + uuid + ": Tag is not a list");
    }
    if (tags.size() > opt_.limits.max_tags_per_item) {
      return Status::LimitExceeded(Where() + ", item " + uuid + ": " + std::to_string(tags.size()) +
                                   " tags, over the limit of " +
                                   std::to_string(opt_.limits.max_tags_per_item));
    }
    for (auto [k, tag] : tags) {
      Node name = tag.is_object() ? tag["name"] : tag;
      if (!name.is_string()) continue;
      if (const TlpMarking* tlp = FindTlpByTag(name.str())) {
        ENTENTE_RETURN_IF_ERROR(UseTlp(*tlp));
        if (std::find(item.markings.begin(), item.markings.end(), tlp->id) == item.markings.end()) {
          item.markings.emplace_back(tlp->id);
        }
        continue;
      }
      item.labels.emplace_back(name.str());
    }
    return Status::Ok();
  }

  Status UseTlp(const TlpMarking& tlp) { return EmitOnce(TlpMarkingObject(tlp), false); }

  // A statement marking for a MISP distribution level; sharing groups get one each.
  Status ReadDistribution(Node node, Node sharing_group, Item& item) {
    if (!opt_.distribution_markings || node.missing() || node.is_null()) return Status::Ok();
    auto level = ParseInt(ScalarText(node));
    if (!level || *level < 0 || *level > 5) {
      return Status::InvalidArgument(Where() + ", item " + item.uuid +
                                     ": distribution must be 0-5, not " + ScalarText(node));
    }
    if (*level == 5) return Status::Ok();  // inherits the event's marking
    std::string key = "misp-distribution:" + std::to_string(*level);
    std::string statement = "MISP distribution: " + std::string(DistributionName(int(*level)));
    std::string sg_uuid, sg_name;
    if (*level == 4 && sharing_group.is_object()) {
      if (sharing_group["uuid"].is_string()) sg_uuid = std::string(sharing_group["uuid"].str());
      if (sharing_group["name"].is_string()) sg_name = std::string(sharing_group["name"].str());
      if (!sg_uuid.empty()) {
        key += ":" + sg_uuid;
        statement += " " + (sg_name.empty() ? sg_uuid : sg_name);
      }
    }
    const std::string id = Sid("marking-definition", MispUuid5(key));
    if (std::find(item.markings.begin(), item.markings.end(), id) == item.markings.end()) {
      item.markings.push_back(id);
    }
    if (emitted_once_.count(id)) return Status::Ok();
    Value m = Obj();
    m.set("type", "marking-definition");
    m.set("spec_version", "2.1");
    m.set("id", id);
    m.set("created", "2020-01-01T00:00:00.000Z");
    m.set("name", statement);
    m.set("definition_type", "statement");
    Value def = Obj();
    def.set("statement", statement);
    m.set("definition", std::move(def));
    m.set("x_misp_distribution", Value(static_cast<std::int64_t>(*level)));
    if (!sg_uuid.empty()) m.set("x_misp_sharing_group_uuid", sg_uuid);
    if (!sg_name.empty()) m.set("x_misp_sharing_group_name", sg_name);
    return EmitOnce(std::move(m), false);
  }

  Timestamp ItemTime(Node ts) const {
    if (auto t = ParseMispTime(ts)) return *t;
    return event_ts_ ? *event_ts_ : now_;
  }

  static void AddLabelsAndMarkings(Value& v, const Item& item) {
    if (!item.labels.empty()) v.set("labels", StrArray(item.labels));
    if (!item.markings.empty()) v.set("object_marking_refs", StrArray(item.markings));
  }

  Value KillChain(std::string_view phase) const {
    Value k = Obj();
    k.set("kill_chain_name", "misp-category");
    k.set("phase_name", phase);
    Value a = Arr();
    a.push_back(std::move(k));
    return a;
  }

  Status EmitIndicator(const Item& item, const std::string& pattern, std::string_view pattern_type,
                       std::string_view phase) {
    Value ind = Sdo("indicator", Sid("indicator", item.uuid), item.ts);
    if (!item.comment.empty()) ind.set("description", item.comment);
    ind.set("pattern", pattern);
    ind.set("pattern_type", pattern_type);
    ind.set("pattern_version", "2.1");
    const Timestamp from = item.first_seen ? *item.first_seen : item.ts;
    ind.set("valid_from", StixSeconds(from));
    if (item.last_seen && *item.last_seen > from)
      ind.set("valid_until", StixSeconds(*item.last_seen));
    if (!phase.empty()) ind.set("kill_chain_phases", KillChain(phase));
    AddLabelsAndMarkings(ind, item);
    return Emit(std::move(ind));
  }

  Status EmitObserved(const Item& item, Built& built, bool keep_comment) {
    Value od = Sdo("observed-data", Sid("observed-data", item.uuid), item.ts);
    od.set("first_observed", StixSeconds(item.first_seen ? *item.first_seen : item.ts));
    od.set("last_observed", StixSeconds(item.last_seen ? *item.last_seen : item.ts));
    od.set("number_observed", 1);
    od.set("object_refs", StrArray(built.refs));
    AddLabelsAndMarkings(od, item);
    // observed-data has no description: without an indicator the comment would be lost.
    if (keep_comment && !item.comment.empty()) od.set("x_misp_comment", item.comment);
    ENTENTE_RETURN_IF_ERROR(Emit(std::move(od)));
    for (auto& sco : built.scos) ENTENTE_RETURN_IF_ERROR(Emit(std::move(sco)));
    built.scos.clear();
    return Status::Ok();
  }

  // ---- attributes ---------------------------------------------------------------------------

  Status ReadItem(Node a, std::string_view what, Item& item) {
    ENTENTE_RETURN_IF_ERROR(CheckUuid(a["uuid"], what, item.uuid));
    item.ts = ItemTime(a["timestamp"]);
    item.comment = ScalarText(a["comment"]);
    item.to_ids = Truthy(a["to_ids"]);
    if (!a["first_seen"].missing() && !a["first_seen"].is_null()) {
      item.first_seen = ParseMispTime(a["first_seen"]);
    }
    if (!a["last_seen"].missing() && !a["last_seen"].is_null()) {
      item.last_seen = ParseMispTime(a["last_seen"]);
    }
    return Status::Ok();
  }

  // Builds SCOs and the pattern for one attribute value; false when the type has no
  // observable/pattern mapping or the value does not fit it.
  bool BuildAttribute(const AttrSpec& spec, const std::string& type, const std::string& uuid,
                      const std::string& value, Node data, Built& b) {
    auto split = [&](std::string& left, std::string& right) {
      auto bar = value.find('|');
      if (bar == std::string::npos) return false;
      left = value.substr(0, bar);
      right = value.substr(bar + 1);
      return true;
    };
    switch (spec.kind) {
      case AttrKind::kSimple: {
        std::string id = Sid(spec.a, uuid);
        Value s = Sco(spec.a, id);
        s.set(spec.b, value);
        b.refs.push_back(id);
        b.scos.push_back(std::move(s));
        b.pattern = "[" + std::string(spec.a) + ":" + std::string(spec.b) + " = '" +
                    PatternEscape(value) + "']";
        return true;
      }
      case AttrKind::kAs: {
        std::string_view digits = value;
        if (digits.size() > 2 && (digits[0] == 'A' || digits[0] == 'a') &&
            (digits[1] == 'S' || digits[1] == 's')) {
          digits.remove_prefix(2);
        }
        auto n = ParseInt(digits);
        if (!n || *n < 0) return false;
        std::string id = Sid("autonomous-system", uuid);
        Value s = Sco("autonomous-system", id);
        s.set("number", Value(*n));
        b.refs.push_back(id);
        b.scos.push_back(std::move(s));
        b.pattern = "[autonomous-system:number = '" + std::to_string(*n) + "']";
        return true;
      }
      case AttrKind::kHash:
      case AttrKind::kX509Hash: {
        const bool x509 = spec.kind == AttrKind::kX509Hash;
        const HashName* h = FindHash(x509 ? spec.a : std::string_view(type));
        if (!h) return false;
        const std::string_view sco_type = x509 ? "x509-certificate" : "file";
        std::string id = Sid(sco_type, uuid);
        Value s = Sco(sco_type, id);
        Value hashes = Obj();
        hashes.set(h->sco_key, value);
        s.set("hashes", std::move(hashes));
        b.refs.push_back(id);
        b.scos.push_back(std::move(s));
        b.pattern = "[" + std::string(sco_type) + ":hashes." + std::string(h->pattern) + " = '" +
                    PatternEscape(value) + "']";
        return true;
      }
      case AttrKind::kFilenameHash: {
        const HashName* h = FindHash(std::string_view(type).substr(type.find('|') + 1));
        std::string name, hash;
        if (!h || !split(name, hash)) return false;
        std::string id = Sid("file", uuid);
        Value s = Sco("file", id);
        Value hashes = Obj();
        hashes.set(h->sco_key, hash);
        s.set("hashes", std::move(hashes));
        s.set("name", name);
        b.refs.push_back(id);
        b.scos.push_back(std::move(s));
        b.pattern = "[file:name = '" + PatternEscape(name) + "' AND file:hashes." +
                    std::string(h->pattern) + " = '" + PatternEscape(hash) + "']";
        return true;
      }
      case AttrKind::kIp:
      case AttrKind::kIpPort: {
        std::string ip = value, port;
        if (spec.kind == AttrKind::kIpPort && !split(ip, port)) return false;
        std::optional<std::int64_t> port_number;
        if (spec.kind == AttrKind::kIpPort) {
          port_number = ParseInt(port);
          if (!port_number || *port_number < 0 || *port_number > 65535) return false;
        }
        const std::string_view addr_type = AddressType(ip);
        const std::string side(spec.a);
        std::string nt_id = Sid("network-traffic", uuid), addr_id = Sid(addr_type, uuid);
        Value nt = Sco("network-traffic", nt_id);
        nt.set(side + "_ref", addr_id);
        if (port_number) nt.set(side + "_port", Value(*port_number));
        nt.set("protocols", StrArray({"tcp"}));
        Value addr = Sco(addr_type, addr_id);
        addr.set("value", ip);
        b.refs = {nt_id, addr_id};
        b.scos.push_back(std::move(nt));
        b.scos.push_back(std::move(addr));
        b.pattern = "[network-traffic:" + side + "_ref.type = '" + std::string(addr_type) +
                    "' AND network-traffic:" + side + "_ref.value = '" + PatternEscape(ip) + "'";
        if (port_number) {
          b.pattern +=
              " AND network-traffic:" + side + "_port = '" + std::to_string(*port_number) + "'";
        }
        b.pattern += "]";
        return true;
      }
      case AttrKind::kDomainIp: {
        std::string domain, ip;
        if (!split(domain, ip)) return false;
        const std::string_view addr_type = AddressType(ip);
        std::string d_id = Sid("domain-name", uuid), a_id = Sid(addr_type, uuid);
        Value d = Sco("domain-name", d_id);
        d.set("value", domain);
        d.set("resolves_to_refs", StrArray({a_id}));
        Value addr = Sco(addr_type, a_id);
        addr.set("value", ip);
        b.refs = {d_id, a_id};
        b.scos.push_back(std::move(d));
        b.scos.push_back(std::move(addr));
        b.pattern = "[domain-name:value = '" + PatternEscape(domain) +
                    "' AND domain-name:resolves_to_refs[*].value = '" + PatternEscape(ip) + "']";
        return true;
      }
      case AttrKind::kHostnamePort: {
        std::string host, port;
        if (!split(host, port)) return false;
        auto p = ParseInt(port);
        if (!p || *p < 0 || *p > 65535) return false;
        std::string d_id = Sid("domain-name", uuid), nt_id = Sid("network-traffic", uuid);
        Value d = Sco("domain-name", d_id);
        d.set("value", host);
        Value nt = Sco("network-traffic", nt_id);
        nt.set("dst_ref", d_id);
        nt.set("dst_port", Value(*p));
        nt.set("protocols", StrArray({"tcp"}));
        b.refs = {d_id, nt_id};
        b.scos.push_back(std::move(d));
        b.scos.push_back(std::move(nt));
        b.pattern = "[domain-name:value = '" + PatternEscape(host) +
                    "' AND network-traffic:dst_port = '" + std::to_string(*p) + "']";
        return true;
      }
      case AttrKind::kEmailAddress: {
        std::string m_id = Sid("email-message", uuid), a_id = Sid("email-addr", uuid);
        Value m = Sco("email-message", m_id);
        m.set("is_multipart", false);
        const bool from = spec.a == "from_ref";
        if (from) {
          m.set("from_ref", a_id);
        } else {
          m.set("to_refs", StrArray({a_id}));
        }
        Value addr = Sco("email-addr", a_id);
        addr.set("value", value);
        b.refs = {m_id, a_id};
        b.scos.push_back(std::move(m));
        b.scos.push_back(std::move(addr));
        b.pattern = std::string("[email-message:") + (from ? "from_ref" : "to_refs[*]") +
                    ".value = '" + PatternEscape(value) + "']";
        return true;
      }
      case AttrKind::kEmailProperty: {
        std::string m_id = Sid("email-message", uuid);
        Value m = Sco("email-message", m_id);
        m.set("is_multipart", false);
        if (spec.a == "received_lines") {
          m.set(spec.a, StrArray({value}));
        } else {
          m.set(spec.a, value);
        }
        b.refs = {m_id};
        b.scos.push_back(std::move(m));
        b.pattern = "[email-message:" + std::string(spec.a) + " = '" + PatternEscape(value) + "']";
        return true;
      }
      case AttrKind::kEmailHeaderField: {
        std::string m_id = Sid("email-message", uuid);
        Value m = Sco("email-message", m_id);
        m.set("is_multipart", false);
        Value f = Obj();
        f.set(spec.a, value);
        m.set("additional_header_fields", std::move(f));
        b.refs = {m_id};
        b.scos.push_back(std::move(m));
        b.pattern = "[email-message:additional_header_fields." + std::string(spec.b) + " = '" +
                    PatternEscape(value) + "']";
        return true;
      }
      case AttrKind::kEmailAttachment: {
        std::string m_id = Sid("email-message", uuid), f_id = Sid("file", uuid);
        Value m = Sco("email-message", m_id);
        m.set("is_multipart", true);
        Value part = Obj();
        part.set("body_raw_ref", f_id);
        part.set("content_disposition", "attachment; filename='" + value + "'");
        Value parts = Arr();
        parts.push_back(std::move(part));
        m.set("body_multipart", std::move(parts));
        Value f = Sco("file", f_id);
        f.set("name", value);
        b.refs = {m_id, f_id};
        b.scos.push_back(std::move(m));
        b.scos.push_back(std::move(f));
        b.pattern =
            "[email-message:body_multipart[*].body_raw_ref.name = '" + PatternEscape(value) + "']";
        return true;
      }
      case AttrKind::kAttachment: {
        std::string f_id = Sid("file", uuid), a_id = Sid("artifact", uuid);
        Value f = Sco("file", f_id);
        f.set("name", value);
        b.refs = {f_id};
        b.pattern = "[file:name = '" + PatternEscape(value) + "'";
        if (data.is_string() && !data.str().empty()) {
          f.set("content_ref", a_id);
          Value art = Sco("artifact", a_id);
          art.set("payload_bin", data.str());
          b.refs.push_back(a_id);
          b.scos.push_back(std::move(f));
          b.scos.push_back(std::move(art));
          b.pattern += " AND file:content_ref.payload_bin = '" + PatternEscape(data.str()) + "'";
        } else {
          b.scos.push_back(std::move(f));
        }
        b.pattern += "]";
        return true;
      }
      case AttrKind::kMalwareSample: {
        std::string name, md5;
        if (!split(name, md5)) {
          name = value;
          md5.clear();
        }
        std::string f_id = Sid("file", uuid), a_id = Sid("artifact", uuid);
        Value f = Sco("file", f_id);
        if (!md5.empty()) {
          Value hashes = Obj();
          hashes.set("MD5", md5);
          f.set("hashes", std::move(hashes));
        }
        f.set("name", name);
        b.refs = {f_id};
        std::string p;
        const bool has_data = data.is_string() && !data.str().empty();
        if (has_data) {
          p = "file:content_ref.payload_bin = '" + PatternEscape(data.str()) + "' AND ";
        }
        p += "file:name = '" + PatternEscape(name) + "'";
        if (!md5.empty()) p += " AND file:hashes.MD5 = '" + PatternEscape(md5) + "'";
        if (has_data) {
          f.set("content_ref", a_id);
          Value art = Sco("artifact", a_id);
          art.set("mime_type", "application/zip");
          art.set("payload_bin", data.str());
          art.set("encryption_algorithm", "mime-type-indicated");
          art.set("decryption_key", "infected");
          b.refs.push_back(a_id);
          b.scos.push_back(std::move(f));
          b.scos.push_back(std::move(art));
          p += " AND file:content_ref.mime_type = 'application/zip' AND "
               "file:content_ref.encryption_algorithm = 'mime-type-indicated' AND "
               "file:content_ref.decryption_key = 'infected'";
        } else {
          b.scos.push_back(std::move(f));
        }
        b.pattern = "[" + p + "]";
        return true;
      }
      case AttrKind::kRegkey:
      case AttrKind::kRegkeyValue: {
        std::string key = value, data_value;
        const bool with_value = spec.kind == AttrKind::kRegkeyValue;
        if (with_value && !split(key, data_value)) return false;
        std::string id = Sid("windows-registry-key", uuid);
        Value k = Sco("windows-registry-key", id);
        k.set("key", key);
        b.pattern = "[windows-registry-key:key = '" + PatternEscape(key) + "'";
        if (with_value) {
          Value v = Obj();
          v.set("data", data_value);
          Value vs = Arr();
          vs.push_back(std::move(v));
          k.set("values", std::move(vs));
          b.pattern +=
              " AND windows-registry-key:values.data = '" + RegistryDataEscape(data_value) + "'";
        }
        b.pattern += "]";
        b.refs = {id};
        b.scos.push_back(std::move(k));
        return true;
      }
      case AttrKind::kGithubUser: {
        std::string id = Sid("user-account", uuid);
        Value u = Sco("user-account", id);
        u.set("account_login", value);
        u.set("account_type", "github");
        b.refs = {id};
        b.scos.push_back(std::move(u));
        b.pattern = "[user-account:account_type = 'github' AND user-account:account_login = '" +
                    PatternEscape(value) + "']";
        return true;
      }
      case AttrKind::kPatternOnly:
        b.pattern = "[" + std::string(spec.a) + " = '" + PatternEscape(value) + "']";
        return true;
      case AttrKind::kRule:
        b.pattern = "[" + value + "]";
        b.pattern_type = std::string(spec.a);
        return true;
      case AttrKind::kCampaign:
      case AttrKind::kVulnerability:
        return false;
    }
    return false;
  }

  Status ConvertLooseAttribute(Node a) {
    const bool was = in_event_;
    in_event_ = false;
    Status s = ConvertAttribute(a, 0);
    in_event_ = was;
    return s;
  }

  Status ConvertAttributeCollection(Node list) {
    std::size_t index = 0;
    for (auto [k, a] : list) {
      ENTENTE_RETURN_IF_ERROR(
          ConvertLooseAttribute(a.is_object() && a["Attribute"].is_object() ? a["Attribute"] : a));
      ++index;
    }
    return FlushReferences();
  }

  Status CountAttribute() {
    if (++attributes_in_event_ > opt_.limits.max_attributes_per_event) {
      return Status::LimitExceeded(Where() + ": more than " +
                                   std::to_string(opt_.limits.max_attributes_per_event) +
                                   " attributes");
    }
    ++stats_.attributes;
    return Status::Ok();
  }

  Status ConvertAttribute(Node a, std::size_t index) {
    if (!a.is_object()) {
      return Status::InvalidArgument(Where() + ": Attribute[" + std::to_string(index) +
                                     "] is not an object");
    }
    ENTENTE_RETURN_IF_ERROR(CountAttribute());
    Item item;
    ENTENTE_RETURN_IF_ERROR(ReadItem(a, "Attribute[" + std::to_string(index) + "]", item));
    Node type = a["type"];
    Node value = a["value"];
    if (!type.is_string() || type.str().empty()) {
      return Status::InvalidArgument(Where() + ", attribute " + item.uuid +
                                     ": missing or non-string type");
    }
    if (!value.is_string() && !value.is_number()) {
      return Status::InvalidArgument(Where() + ", attribute " + item.uuid +
                                     ": value must be a string");
    }
    if (value.str().size() > opt_.limits.max_value_bytes) {
      return Status::LimitExceeded(Where() + ", attribute " + item.uuid + ": value of " +
                                   std::to_string(value.str().size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(opt_.limits.max_value_bytes));
    }
    if (in_event_ && !SeeOnce(item.uuid)) {
      ++stats_.duplicates_skipped;
      return Status::Ok();
    }
    item.type = std::string(type.str());
    item.category = ScalarText(a["category"]);
    item.labels.push_back(MispLabel("type", item.type));
    if (!item.category.empty()) item.labels.push_back(MispLabel("category", item.category));
    ENTENTE_RETURN_IF_ERROR(ReadTags(a["Tag"], item.uuid, item));
    ENTENTE_RETURN_IF_ERROR(ReadDistribution(a["distribution"], a["SharingGroup"], item));
    const std::string val = ScalarText(value);

    std::string main_id;
    const AttrSpec* spec = FindAttrSpec(item.type);
    Built built;
    if (spec && spec->kind == AttrKind::kCampaign) {
      main_id = Sid("campaign", item.uuid);
      Value c = Sdo("campaign", main_id, item.ts);
      c.set("name", val);
      if (!item.comment.empty()) c.set("description", item.comment);
      if (item.first_seen) c.set("first_seen", StixSeconds(*item.first_seen));
      if (item.last_seen) c.set("last_seen", StixSeconds(*item.last_seen));
      AddLabelsAndMarkings(c, item);
      ENTENTE_RETURN_IF_ERROR(Emit(std::move(c)));
    } else if (spec && spec->kind == AttrKind::kVulnerability) {
      main_id = Sid("vulnerability", item.uuid);
      Value v = Sdo("vulnerability", main_id, item.ts);
      v.set("name", val);
      AddLabelsAndMarkings(v, item);
      Value ref = Obj();
      ref.set("source_name", "cve");
      ref.set("external_id", val);
      Value refs = Arr();
      refs.push_back(std::move(ref));
      v.set("external_references", std::move(refs));
      ENTENTE_RETURN_IF_ERROR(Emit(std::move(v)));
    } else if (spec && BuildAttribute(*spec, item.type, item.uuid, val, a["data"], built) &&
               (!built.scos.empty() || item.to_ids)) {
      const std::string od_id = Sid("observed-data", item.uuid);
      const std::string ind_id = Sid("indicator", item.uuid);
      if (!built.scos.empty()) {
        ENTENTE_RETURN_IF_ERROR(EmitObserved(item, built, !item.to_ids));
        main_id = od_id;
      }
      if (item.to_ids) {
        ENTENTE_RETURN_IF_ERROR(
            EmitIndicator(item, built.pattern, built.pattern_type, item.category));
        if (!main_id.empty()) {
          ENTENTE_RETURN_IF_ERROR(Relationship(ind_id, "based-on", od_id, item.ts));
        }
        main_id = ind_id;
      }
    } else {
      main_id = Sid("x-misp-attribute", item.uuid);
      Value c = Sdo("x-misp-attribute", main_id, item.ts);
      AddLabelsAndMarkings(c, item);
      c.set("x_misp_type", item.type);
      c.set("x_misp_value", val);
      if (!item.category.empty()) c.set("x_misp_category", item.category);
      if (!item.comment.empty()) c.set("x_misp_comment", item.comment);
      if (item.to_ids) c.set("x_misp_to_ids", true);
      if (a["data"].is_string()) c.set("x_misp_data", a["data"].str());
      if (item.first_seen) c.set("x_misp_first_seen", StixSeconds(*item.first_seen));
      if (item.last_seen) c.set("x_misp_last_seen", StixSeconds(*item.last_seen));
      ENTENTE_RETURN_IF_ERROR(Emit(std::move(c)));
    }
    Remember(item.uuid, main_id);
    ENTENTE_RETURN_IF_ERROR(ConvertItemGalaxies(a["Galaxy"], main_id, item.ts));
    return ConvertSightings(a["Sighting"], main_id, item);
  }

  // ---- sightings ----------------------------------------------------------------------------

  Status ConvertSightings(Node sightings, const std::string& target, const Item& item) {
    if (!sightings.is_array()) return Status::Ok();
    std::size_t index = 0;
    for (auto [k, s] : sightings) {
      if (!s.is_object()) continue;
      const std::string type = ScalarText(s["type"]);
      const Timestamp when = s["date_sighting"].missing() ? item.ts : ItemTime(s["date_sighting"]);
      std::string uuid;
      if (s["uuid"].is_string() && IsUuid(s["uuid"].str(), false)) {
        uuid = std::string(s["uuid"].str());
      } else {
        uuid = MispUuid5(item.uuid + " - sighting - " + std::to_string(index));
      }
      std::string org_id;
      Node org = s["Organisation"];
      if (org.is_object() && org["uuid"].is_string() && IsUuid(org["uuid"].str(), false)) {
        org_id = Sid("identity", org["uuid"].str());
        ENTENTE_RETURN_IF_ERROR(EmitIdentity(org_id, ScalarText(org["name"]), when));
      }
      if (type == "1") {
        Value o = Sdo("opinion", Sid("opinion", uuid), when);
        o.set("explanation", "False positive Sighting");
        o.set("opinion", "strongly-disagree");
        o.set("object_refs", StrArray({target}));
        if (!org_id.empty()) o.set("x_misp_author_ref", org_id);
        ENTENTE_RETURN_IF_ERROR(Emit(std::move(o)));
      } else if (type.empty() || type == "0") {
        Value v = Sdo("sighting", Sid("sighting", uuid), when);
        v.set("first_seen", StixSeconds(when));
        v.set("last_seen", StixSeconds(when));
        v.set("count", 1);
        v.set("sighting_of_ref", target);
        if (!org_id.empty()) v.set("where_sighted_refs", StrArray({org_id}));
        ENTENTE_RETURN_IF_ERROR(Emit(std::move(v)));
      }
      ++index;
    }
    return Status::Ok();
  }

  Status EmitIdentity(const std::string& id, const std::string& name, Timestamp ts) {
    if (emitted_once_.count(id)) return Status::Ok();
    Value v = Obj();
    v.set("type", "identity");
    v.set("spec_version", "2.1");
    v.set("id", id);
    const std::string t = StixMillis(ts);
    v.set("created", t);
    v.set("modified", t);
    v.set("name", name.empty() ? std::string("unknown") : name);
    v.set("identity_class", "organization");
    return EmitOnce(std::move(v), false);
  }

  // ---- galaxies -----------------------------------------------------------------------------

  static std::string_view GalaxySdoType(std::string_view galaxy_type) {
    struct Map {
      std::string_view suffix;
      std::string_view sdo;
    };
    // Matched on the end of the galaxy type so that mitre-*, mitre-enterprise-attack-* and
    // stix-2.x-* variants all land on the same SDO.
    static constexpr Map kBySuffix[] = {
        {"attack-pattern", "attack-pattern"},
        {"course-of-action", "course-of-action"},
        {"intrusion-set", "intrusion-set"},
        {"malware", "malware"},
        {"threat-actor", "threat-actor"},
        {"tool", "tool"},
        {"campaign", "campaign"},
        {"vulnerability", "vulnerability"},
        {"-location", "location"},
    };
    for (const auto& m : kBySuffix) {
      if (galaxy_type.size() >= m.suffix.size() &&
          galaxy_type.substr(galaxy_type.size() - m.suffix.size()) == m.suffix) {
        return m.sdo;
      }
    }
    static constexpr Map kExact[] = {
        {"android", "malware"},
        {"banker", "malware"},
        {"stealer", "malware"},
        {"backdoor", "malware"},
        {"ransomware", "malware"},
        {"malpedia", "malware"},
        {"rat", "tool"},
        {"botnet", "tool"},
        {"exploit-kit", "tool"},
        {"tds", "tool"},
        {"microsoft-activity-group", "threat-actor"},
        {"country", "location"},
        {"region", "location"},
        {"sector", "identity"},
    };
    for (const auto& m : kExact) {
      if (galaxy_type == m.suffix) return m.sdo;
    }
    return "x-misp-galaxy-cluster";
  }

  // The SDO property a galaxy meta key fills, or "" when it stays an x_misp_ property.
  static std::string_view NativeGalaxyProperty(std::string_view sdo, std::string_view key) {
    struct Prop {
      std::string_view sdo, key, property;
    };
    static constexpr Prop kProps[] = {
        {"campaign", "first_seen", "first_seen"},
        {"campaign", "last_seen", "last_seen"},
        {"campaign", "objective", "objective"},
        {"intrusion-set", "first_seen", "first_seen"},
        {"intrusion-set", "last_seen", "last_seen"},
        {"intrusion-set", "goals", "goals"},
        {"intrusion-set", "resource_level", "resource_level"},
        {"intrusion-set", "primary_motivation", "primary_motivation"},
        {"intrusion-set", "secondary_motivations", "secondary_motivations"},
        {"threat-actor", "labels", "threat_actor_types"},
        {"threat-actor", "threat_actor_types", "threat_actor_types"},
        {"threat-actor", "roles", "roles"},
        {"threat-actor", "goals", "goals"},
        {"threat-actor", "sophistication", "sophistication"},
        {"threat-actor", "resource_level", "resource_level"},
        {"threat-actor", "primary_motivation", "primary_motivation"},
        {"threat-actor", "secondary_motivations", "secondary_motivations"},
        {"threat-actor", "personal_motivations", "personal_motivations"},
        {"threat-actor", "first_seen", "first_seen"},
        {"threat-actor", "last_seen", "last_seen"},
        {"malware", "labels", "malware_types"},
        {"malware", "malware_types", "malware_types"},
        {"malware", "first_seen", "first_seen"},
        {"malware", "last_seen", "last_seen"},
        {"malware", "architecture_execution_envs", "architecture_execution_envs"},
        {"malware", "implementation_languages", "implementation_languages"},
        {"malware", "capabilities", "capabilities"},
        {"tool", "labels", "tool_types"},
        {"tool", "tool_types", "tool_types"},
        {"tool", "tool_version", "tool_version"},
        {"location", "country", "country"},
        {"location", "administrative_area", "administrative_area"},
        {"location", "region", "region"},
        {"location", "city", "city"},
        {"location", "latitude", "latitude"},
        {"location", "longitude", "longitude"},
        {"location", "postal_code", "postal_code"},
        {"location", "street_address", "street_address"},
    };
    for (const auto& p : kProps) {
      if (p.sdo == sdo && p.key == key) return p.property;
    }
    return {};
  }

  Status ConvertGalaxy(Node galaxy, std::vector<std::string>& ids, Timestamp ts) {
    if (!galaxy.is_object()) return Status::Ok();
    const std::string gname = ScalarText(galaxy["name"]);
    const std::string gtype = ScalarText(galaxy["type"]);
    Node clusters = galaxy["GalaxyCluster"];
    if (!clusters.is_array()) return Status::Ok();
    for (auto [k, c] : clusters) {
      if (!c.is_object()) continue;
      std::string ctype = ScalarText(c["type"]);
      if (ctype.empty()) ctype = gtype;
      std::string uuid;
      if (c["uuid"].is_string() && IsUuid(c["uuid"].str(), false)) {
        ENTENTE_RETURN_IF_ERROR(CheckUuid(c["uuid"], "GalaxyCluster", uuid));
      } else {
        // Exports of older MISP versions leave cluster uuids empty: derive a stable one.
        uuid = MispUuid5("galaxy-cluster - " + ctype + " - " + ScalarText(c["value"]));
      }
      const std::string_view sdo = GalaxySdoType(ctype);
      const std::string id = Sid(sdo, uuid);
      ids.push_back(id);
      if (emitted_once_.count(id)) {
        if (in_event_) report_refs_.Add(id);
        continue;
      }
      // misp-stix gives galaxy SDOs no created_by_ref: clusters are shared knowledge.
      Value v = Obj();
      v.set("type", sdo);
      v.set("spec_version", "2.1");
      v.set("id", id);
      v.set("created", StixMillis(ts));
      v.set("modified", StixMillis(ts));
      Node meta = c["meta"];
      std::string name = ScalarText(c["value"]);
      std::string external_id = ScalarText(meta["external_id"]);
      if (meta["external_id"].is_array()) external_id = ScalarText(meta["external_id"].at(0));
      // ATT&CK clusters are named "APT16 - G0023"; the SDO name drops the id.
      if (!external_id.empty()) {
        const std::string suffix = " - " + external_id;
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
          name.resize(name.size() - suffix.size());
        }
      }
      std::string description = ScalarText(c["description"]);
      if (ctype == "country") {
        // Country clusters: the description holds the display name.
        const std::string value = name;
        if (!description.empty()) name = description;
        description = ScalarText(galaxy["description"]) + " | " + value;
      } else if (ctype == "region") {
        auto dash = name.find(" - ");
        if (dash != std::string::npos) name = name.substr(dash + 3);
        description = ScalarText(galaxy["description"]) + " | " + description;
      } else if (ctype == "sector") {
        if (description.empty()) description = ScalarText(galaxy["description"]);
      }
      v.set("name", name);
      if (!description.empty()) v.set("description", description);
      if (ctype == "country" && meta["ISO"].is_string()) v.set("country", meta["ISO"].str());
      if (ctype == "region") {
        std::string region;
        for (char ch : name) {
          region.push_back(
              ch == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
        }
        v.set("region", region);
      }
      if (sdo == "malware")
        v.set("is_family", meta["is_family"].is_bool() && meta["is_family"].boolean());
      if (sdo == "identity") v.set("identity_class", "class");
      std::vector<std::string> aliases;
      for (auto [mk, syn] : meta["synonyms"]) {
        if (syn.is_string() && syn.str() != name) aliases.emplace_back(syn.str());
      }
      if (!aliases.empty() && sdo != "x-misp-galaxy-cluster" && sdo != "identity" &&
          sdo != "location" && sdo != "vulnerability" && sdo != "course-of-action") {
        v.set("aliases", StrArray(aliases));
      }
      if (meta["kill_chain"].is_array() &&
          (sdo == "attack-pattern" || sdo == "malware" || sdo == "tool")) {
        Value kcs = Arr();
        for (auto [mk, kc] : meta["kill_chain"]) {
          if (!kc.is_string()) continue;
          auto colon = kc.str().rfind(':');
          if (colon == std::string_view::npos) continue;
          Value p = Obj();
          p.set("kill_chain_name", kc.str().substr(0, colon));
          p.set("phase_name", kc.str().substr(colon + 1));
          kcs.push_back(std::move(p));
        }
        if (kcs.size()) v.set("kill_chain_phases", std::move(kcs));
      }
      Item labels;
      labels.labels = {MispLabel("galaxy-name", gname), MispLabel("galaxy-type", ctype)};
      AddLabelsAndMarkings(v, labels);
      Value refs = Arr();
      if (!external_id.empty()) {
        Value r = Obj();
        std::string source = "mitre-attack";
        if (external_id.rfind("CAPEC", 0) == 0) source = "capec";
        if (external_id.rfind("CVE", 0) == 0 || sdo == "vulnerability") source = "cve";
        r.set("source_name", source);
        r.set("external_id", external_id);
        refs.push_back(std::move(r));
      } else if (sdo == "vulnerability") {
        for (auto [mk, alias] : meta["aliases"]) {
          if (!alias.is_string()) continue;
          Value r = Obj();
          r.set("source_name", "cve");
          r.set("external_id", alias.str());
          refs.push_back(std::move(r));
        }
      }
      for (auto [mk, url] : meta["refs"]) {
        if (!url.is_string()) continue;
        Value r = Obj();
        r.set("source_name", "url");
        r.set("url", url.str());
        refs.push_back(std::move(r));
      }
      if (refs.size()) v.set("external_references", std::move(refs));
      // Meta keys that are properties of the SDO keep their name; "labels" (STIX 2.0 galaxies)
      // become the 2.1 *_types; the rest keeps its MISP name under x_misp_.
      for (auto [mk, mv] : meta) {
        if (mk == "external_id" || mk == "refs" || mk == "synonyms" || mk == "kill_chain" ||
            mk == "is_family" || (mk == "aliases" && sdo == "vulnerability")) {
          continue;
        }
        if (std::string_view native = NativeGalaxyProperty(sdo, mk); !native.empty()) {
          v.set(native, Value::From(mv));
          continue;
        }
        v.set(Cat("x_misp_", mk), Value::From(mv));
      }
      if (sdo == "x-misp-galaxy-cluster") {
        v.set("x_misp_galaxy_uuid", ScalarText(galaxy["uuid"]));
        v.set("x_misp_value", ScalarText(c["value"]));
      }
      ENTENTE_RETURN_IF_ERROR(EmitOnce(std::move(v), true));
    }
    return Status::Ok();
  }

  Status ConvertItemGalaxies(Node galaxies, const std::string& source, Timestamp ts) {
    if (!galaxies.is_array() || source.empty()) return Status::Ok();
    std::vector<std::string> ids;
    for (auto [k, g] : galaxies) ENTENTE_RETURN_IF_ERROR(ConvertGalaxy(g, ids, ts));
    const bool indicator = source.rfind("indicator--", 0) == 0;
    for (const auto& id : ids) {
      const bool threat = id.rfind("attack-pattern--", 0) == 0 ||
                          id.rfind("intrusion-set--", 0) == 0 || id.rfind("malware--", 0) == 0 ||
                          id.rfind("threat-actor--", 0) == 0 || id.rfind("tool--", 0) == 0 ||
                          id.rfind("campaign--", 0) == 0;
      ENTENTE_RETURN_IF_ERROR(
          Relationship(source, indicator && threat ? "indicates" : "related-to", id, ts));
    }
    return Status::Ok();
  }

  // ---- objects ------------------------------------------------------------------------------

  struct ObjAttr {
    std::string uuid, type, relation, value, data;
    bool to_ids = false;
  };

  static std::string Underscored(std::string_view relation) {
    std::string s(relation);
    for (char& c : s) {
      if (c == '-') c = '_';
    }
    return s;
  }

  // Adds x_misp_<relation>; repeated relations become a list.
  static void AddCustom(Value& sco, const ObjAttr& a) {
    const std::string key = "x_misp_" + Underscored(a.relation);
    Value* existing = sco.find(key);
    if (!existing) {
      sco.set(key, a.value);
    } else if (existing->is_array()) {
      existing->push_back(Value(a.value));
    } else {
      Value list = Arr();
      list.push_back(std::move(*existing));
      list.push_back(Value(a.value));
      *existing = std::move(list);
    }
  }

  static std::string Cmp(std::string_view path, std::string_view value) {
    return std::string(path) + " = '" + PatternEscape(value) + "'";
  }

  static std::string JoinAnd(const std::vector<std::string>& parts) {
    std::string s = "[";
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i) s += " AND ";
      s += parts[i];
    }
    return s + "]";
  }

  // Returns false when the template is not one we map natively.
  bool BuildObject(const std::string& name, const std::string& uuid,
                   const std::vector<ObjAttr>& attrs, Built& b) {
    std::vector<std::string> pattern;
    if (name == "file") {
      const std::string id = Sid("file", uuid);
      Value f = Sco("file", id);
      Value hashes = Obj();
      std::vector<std::string> hash_parts, name_parts, other_parts, content_parts;
      std::vector<Value> extra;
      std::vector<std::string> extra_refs;
      for (const auto& a : attrs) {
        if (const HashName* h = FindHash(a.relation)) {
          if (!hashes.find(h->sco_key)) {
            hashes.set(h->sco_key, a.value);
            if (a.to_ids)
              hash_parts.push_back(Cmp("file:hashes." + std::string(h->pattern), a.value));
            continue;
          }
        } else if (a.relation == "filename" && !f.find("name")) {
          f.set("name", a.value);
          if (a.to_ids) name_parts.push_back(Cmp("file:name", a.value));
          continue;
        } else if (a.relation == "size-in-bytes" && !f.find("size")) {
          if (auto n = ParseInt(a.value); n && *n >= 0) {
            f.set("size", Value(*n));
            if (a.to_ids) other_parts.push_back(Cmp("file:size", a.value));
            continue;
          }
        } else if (a.relation == "file-encoding" && !f.find("name_enc")) {
          f.set("name_enc", a.value);
          if (a.to_ids) other_parts.push_back(Cmp("file:name_enc", a.value));
          continue;
        } else if (a.relation == "mime-type" && !f.find("mime_type")) {
          f.set("mime_type", a.value);
          if (a.to_ids) other_parts.push_back(Cmp("file:mime_type", a.value));
          continue;
        } else if ((a.relation == "creation-time" || a.relation == "modification-time" ||
                    a.relation == "access-time")) {
          const char* prop = a.relation == "creation-time"       ? "ctime"
                             : a.relation == "modification-time" ? "mtime"
                                                                 : "atime";
          auto t = ParseMispTimeText(a.value);
          if (t && !f.find(prop)) {
            f.set(prop, StixSeconds(*t));
            if (a.to_ids) other_parts.push_back(Cmp(std::string("file:") + prop, StixSeconds(*t)));
            continue;
          }
        } else if (a.relation == "path" && !f.find("parent_directory_ref")) {
          const std::string d_id = Sid("directory", a.uuid);
          Value d = Sco("directory", d_id);
          d.set("path", a.value);
          f.set("parent_directory_ref", d_id);
          extra.push_back(std::move(d));
          extra_refs.push_back(d_id);
          if (a.to_ids) other_parts.push_back(Cmp("file:parent_directory_ref.path", a.value));
          continue;
        } else if (a.relation == "malware-sample" && !f.find("content_ref") && !a.data.empty()) {
          const std::string art_id = Sid("artifact", a.uuid);
          std::string fname = a.value, md5;
          if (auto bar = a.value.find('|'); bar != std::string::npos) {
            fname = a.value.substr(0, bar);
            md5 = a.value.substr(bar + 1);
          }
          Value art = Sco("artifact", art_id);
          art.set("mime_type", "application/zip");
          art.set("payload_bin", a.data);
          if (!md5.empty()) {
            Value art_hashes = Obj();
            art_hashes.set("MD5", md5);
            art.set("hashes", std::move(art_hashes));
          }
          art.set("encryption_algorithm", "mime-type-indicated");
          art.set("decryption_key", "infected");
          art.set("x_misp_filename", fname);
          f.set("content_ref", art_id);
          extra.push_back(std::move(art));
          extra_refs.push_back(art_id);
          if (a.to_ids) {
            std::vector<std::string> c{Cmp("file:content_ref.payload_bin", a.data),
                                       Cmp("file:content_ref.x_misp_filename", fname)};
            if (!md5.empty()) c.push_back(Cmp("file:content_ref.hashes.MD5", md5));
            c.push_back(Cmp("file:content_ref.mime_type", "application/zip"));
            c.push_back(Cmp("file:content_ref.encryption_algorithm", "mime-type-indicated"));
            c.push_back(Cmp("file:content_ref.decryption_key", "infected"));
            std::string group = "(";
            for (std::size_t i = 0; i < c.size(); ++i) group += (i ? " AND " : "") + c[i];
            content_parts.push_back(group + ")");
          }
          continue;
        } else if (a.relation == "attachment" && !a.data.empty() && !f.find("x_misp_attachment")) {
          Value att = Obj();
          att.set("value", a.value);
          att.set("data", a.data);
          f.set("x_misp_attachment", std::move(att));
          continue;
        }
        AddCustom(f, a);
        if (a.to_ids) other_parts.push_back(Cmp("file:x_misp_" + Underscored(a.relation), a.value));
      }
      if (hashes.size()) {
        Value with_hashes = Sco("file", id);
        with_hashes.set("hashes", std::move(hashes));
        for (auto& m : f.object()) {
          if (m.first != "type" && m.first != "spec_version" && m.first != "id") {
            with_hashes.set(m.first, std::move(m.second));
          }
        }
        f = std::move(with_hashes);
      }
      b.refs.push_back(id);
      b.scos.push_back(std::move(f));
      for (std::size_t i = 0; i < extra.size(); ++i) {
        b.refs.push_back(extra_refs[i]);
        b.scos.push_back(std::move(extra[i]));
      }
      for (auto* parts : {&hash_parts, &name_parts, &content_parts, &other_parts}) {
        pattern.insert(pattern.end(), parts->begin(), parts->end());
      }
    } else if (name == "domain-ip") {
      // Only domain and ip attributes: one domain-name per domain attribute (its uuid), each
      // resolving to every address. Anything else: one domain-name (the object's uuid) with
      // the other attributes as x_misp_ properties. Both as misp-stix.
      bool simple = true;
      for (const auto& a : attrs) simple = simple && (a.relation == "domain" || a.relation == "ip");
      std::vector<std::string> addr_ids;
      std::vector<Value> addrs;
      for (const auto& a : attrs) {
        if (a.relation != "ip") continue;
        const std::string_view t = AddressType(a.value);
        const std::string a_id = Sid(t, a.uuid);
        Value addr = Sco(t, a_id);
        addr.set("value", a.value);
        addr_ids.push_back(a_id);
        addrs.push_back(std::move(addr));
      }
      std::vector<Value> domains;
      if (simple) {
        for (const auto& a : attrs) {
          if (a.relation == "domain") {
            Value d = Sco("domain-name", Sid("domain-name", a.uuid));
            d.set("value", a.value);
            if (!addr_ids.empty()) d.set("resolves_to_refs", StrArray(addr_ids));
            domains.push_back(std::move(d));
            if (a.to_ids) pattern.push_back(Cmp("domain-name:value", a.value));
          } else if (a.to_ids) {
            pattern.push_back(Cmp("domain-name:resolves_to_refs[*].value", a.value));
          }
        }
      } else {
        Value d = Sco("domain-name", Sid("domain-name", uuid));
        for (const auto& a : attrs) {
          if (a.relation == "domain" && !d.find("value")) {
            d.set("value", a.value);
            if (a.to_ids) pattern.push_back(Cmp("domain-name:value", a.value));
          } else if (a.relation == "ip") {
            if (a.to_ids) pattern.push_back(Cmp("domain-name:resolves_to_refs[*].value", a.value));
          } else {
            AddCustom(d, a);
            if (a.to_ids) {
              pattern.push_back(Cmp("domain-name:x_misp_" + Underscored(a.relation), a.value));
            }
          }
        }
        if (!addr_ids.empty()) d.set("resolves_to_refs", StrArray(addr_ids));
        domains.push_back(std::move(d));
      }
      for (const auto& d : domains) {
        if (!d.find("value")) return false;
      }
      if (domains.empty()) return false;
      for (auto& d : domains) {
        b.refs.push_back(d.find("id")->str());
        b.scos.push_back(std::move(d));
      }
      for (std::size_t i = 0; i < addrs.size(); ++i) {
        b.refs.push_back(addr_ids[i]);
        b.scos.push_back(std::move(addrs[i]));
      }
    } else if (name == "ip-port") {
      const std::string id = Sid("network-traffic", uuid);
      Value nt = Sco("network-traffic", id);
      std::vector<Value> addrs;
      std::vector<std::string> addr_ids;
      std::string protocol;
      for (const auto& a : attrs) {
        const bool dst = a.relation == "ip" || a.relation == "ip-dst";
        const bool src = a.relation == "ip-src";
        if ((dst && !nt.find("dst_ref")) || (src && !nt.find("src_ref"))) {
          const std::string side = dst ? "dst" : "src";
          const std::string_view t = AddressType(a.value);
          const std::string a_id = Sid(t, a.uuid);
          Value addr = Sco(t, a_id);
          addr.set("value", a.value);
          nt.set(side + "_ref", a_id);
          if (protocol.empty()) protocol = std::string(t.substr(0, 4));
          addr_ids.push_back(a_id);
          addrs.push_back(std::move(addr));
          if (a.to_ids) {
            pattern.push_back("(network-traffic:" + side + "_ref.type = '" + std::string(t) +
                              "' AND " + Cmp("network-traffic:" + side + "_ref.value", a.value) +
                              ")");
          }
          continue;
        }
        if ((a.relation == "dst-port" || a.relation == "src-port")) {
          const std::string prop = a.relation == "dst-port" ? "dst_port" : "src_port";
          auto p = ParseInt(a.value);
          if (p && *p >= 0 && *p <= 65535 && !nt.find(prop)) {
            nt.set(prop, Value(*p));
            if (a.to_ids) pattern.push_back(Cmp("network-traffic:" + prop, a.value));
            continue;
          }
        }
        if (a.relation == "first-seen" || a.relation == "last-seen") {
          const char* prop = a.relation == "first-seen" ? "start" : "end";
          if (auto t = ParseMispTimeText(a.value); t && !nt.find(prop)) {
            nt.set(prop, StixSeconds(*t));
            continue;
          }
        }
        if (a.relation == "domain" && a.to_ids) {
          pattern.push_back("(network-traffic:dst_ref.type = 'domain-name' AND " +
                            Cmp("network-traffic:dst_ref.value", a.value) + ")");
          AddCustom(nt, a);
          continue;
        }
        AddCustom(nt, a);
        if (a.to_ids)
          pattern.push_back(Cmp("network-traffic:x_misp_" + Underscored(a.relation), a.value));
      }
      nt.set("protocols", StrArray({protocol.empty() ? std::string("tcp") : protocol}));
      b.refs.push_back(id);
      b.scos.push_back(std::move(nt));
      for (std::size_t i = 0; i < addrs.size(); ++i) {
        b.refs.push_back(addr_ids[i]);
        b.scos.push_back(std::move(addrs[i]));
      }
    } else if (name == "email") {
      const std::string id = Sid("email-message", uuid);
      Value m = Sco("email-message", id);
      std::vector<Value> addrs, files;
      std::vector<std::string> addr_ids, file_ids;
      std::vector<std::string> to_ids, cc_ids, bcc_ids;
      std::string from_id;
      std::vector<std::string> p_to, p_cc, p_bcc, p_from, p_att, p_other;
      Value headers = Obj();
      Value parts = Arr();
      // Display names pair with the addresses of the same role in order.
      std::unordered_map<std::string, std::vector<std::string>> display;
      for (const auto& a : attrs) {
        if (a.relation.size() > 13 &&
            a.relation.compare(a.relation.size() - 13, 13, "-display-name") == 0) {
          display[a.relation.substr(0, a.relation.size() - 13)].push_back(a.value);
        }
      }
      std::unordered_map<std::string, std::size_t> display_used;
      for (const auto& a : attrs) {
        const std::string& r = a.relation;
        if (r == "from" || r == "to" || r == "cc" || r == "bcc") {
          if (r == "from" && !from_id.empty()) {
            AddCustom(m, a);
            continue;
          }
          const std::string a_id = Sid("email-addr", a.uuid);
          Value addr = Sco("email-addr", a_id);
          addr.set("value", a.value);
          auto& names = display[r];
          std::size_t& used = display_used[r];
          if (used < names.size()) addr.set("display_name", names[used++]);
          addr_ids.push_back(a_id);
          addrs.push_back(std::move(addr));
          if (r == "from") {
            from_id = a_id;
            if (a.to_ids) p_from.push_back(Cmp("email-message:from_ref.value", a.value));
          } else {
            auto& list = r == "to" ? to_ids : r == "cc" ? cc_ids : bcc_ids;
            auto& pl = r == "to" ? p_to : r == "cc" ? p_cc : p_bcc;
            if (a.to_ids) {
              pl.push_back(
                  Cmp("email-message:" + r + "_refs[" + std::to_string(list.size()) + "].value",
                      a.value));
            }
            list.push_back(a_id);
          }
          continue;
        }
        if (r.size() > 13 && r.compare(r.size() - 13, 13, "-display-name") == 0) {
          const std::string role = r.substr(0, r.size() - 13);
          if (role == "from" || role == "to" || role == "cc" || role == "bcc") continue;
        }
        if (r == "attachment") {
          const std::string f_id = Sid("file", a.uuid);
          Value f = Sco("file", f_id);
          f.set("name", a.value);
          Value part = Obj();
          part.set("body_raw_ref", f_id);
          part.set("content_disposition", "attachment; filename='" + a.value + "'");
          const std::size_t i = parts.size();
          parts.push_back(std::move(part));
          file_ids.push_back(f_id);
          files.push_back(std::move(f));
          if (a.to_ids) {
            p_att.push_back(
                Cmp("email-message:body_multipart[" + std::to_string(i) + "].body_raw_ref.name",
                    a.value));
            p_att.push_back("email-message:body_multipart[" + std::to_string(i) +
                            "].content_disposition = 'attachment'");
          }
          continue;
        }
        if (r == "reply-to" || r == "x-mailer") {
          const char* header = r == "reply-to" ? "Reply-To" : "X-Mailer";
          if (!headers.find(header)) {
            headers.set(header, a.value);
            if (a.to_ids) {
              p_other.push_back(Cmp(std::string("email-message:additional_header_fields.") +
                                        (r == "reply-to" ? "reply_to" : "x_mailer"),
                                    a.value));
            }
            continue;
          }
        }
        const char* prop = r == "subject"      ? "subject"
                           : r == "message-id" ? "message_id"
                           : r == "email-body" ? "body"
                                               : nullptr;
        if (prop && !m.find(prop)) {
          m.set(prop, a.value);
          if (a.to_ids) p_other.push_back(Cmp(std::string("email-message:") + prop, a.value));
          continue;
        }
        if (r == "send-date" && !m.find("date")) {
          if (auto t = ParseMispTimeText(a.value)) {
            m.set("date", StixSeconds(*t));
            continue;
          }
        }
        AddCustom(m, a);
        if (a.to_ids) p_other.push_back(Cmp("email-message:x_misp_" + Underscored(r), a.value));
      }
      m.set("is_multipart", parts.size() > 0);
      if (!from_id.empty()) m.set("from_ref", from_id);
      if (!to_ids.empty()) m.set("to_refs", StrArray(to_ids));
      if (!cc_ids.empty()) m.set("cc_refs", StrArray(cc_ids));
      if (!bcc_ids.empty()) m.set("bcc_refs", StrArray(bcc_ids));
      if (headers.size()) m.set("additional_header_fields", std::move(headers));
      if (parts.size()) m.set("body_multipart", std::move(parts));
      b.refs.push_back(id);
      b.scos.push_back(std::move(m));
      for (std::size_t i = 0; i < addrs.size(); ++i) {
        b.refs.push_back(addr_ids[i]);
        b.scos.push_back(std::move(addrs[i]));
      }
      for (std::size_t i = 0; i < files.size(); ++i) {
        b.refs.push_back(file_ids[i]);
        b.scos.push_back(std::move(files[i]));
      }
      for (auto* pl : {&p_to, &p_cc, &p_bcc, &p_from, &p_att, &p_other}) {
        pattern.insert(pattern.end(), pl->begin(), pl->end());
      }
    } else if (const SimpleTemplate* t = FindSimpleTemplate(name)) {
      // One SCO; hashes first in the pattern, then the rest in input order (misp-stix).
      const std::string id = Sid(t->sco, uuid);
      Value s = Sco(t->sco, id);
      Value hashes = Obj();
      std::vector<std::string> hash_parts, other_parts;
      const std::string prefix = std::string(t->sco) + ":";
      for (const auto& a : attrs) {
        bool done = false;
        for (const SimpleField* fd = t->fields; fd->relation.data(); ++fd) {
          if (a.relation != fd->relation) continue;
          if (fd->kind == FieldKind::kHash) {
            const HashName* h = FindHash(fd->prop);
            if (!h || hashes.find(h->sco_key)) break;
            hashes.set(h->sco_key, a.value);
            if (a.to_ids) {
              hash_parts.push_back(Cmp(prefix + "hashes." + std::string(h->pattern), a.value));
            }
            done = true;
            break;
          }
          if (s.find(fd->prop)) break;
          std::string text = a.value;
          if (fd->kind == FieldKind::kInt) {
            std::string_view digits = a.value;
            if (digits.size() > 2 && (digits[0] == 'A' || digits[0] == 'a')) {
              digits.remove_prefix(2);  // "AS174"
            }
            auto n = ParseInt(digits);
            if (!n) break;
            s.set(fd->prop, Value(*n));
            text = std::to_string(*n);
          } else if (fd->kind == FieldKind::kTime) {
            auto ts = ParseMispTimeText(a.value);
            if (!ts) break;
            text = StixSeconds(*ts);
            s.set(fd->prop, text);
          } else {
            s.set(fd->prop, a.value);
          }
          if (a.to_ids) other_parts.push_back(Cmp(prefix + std::string(fd->prop), text));
          done = true;
          break;
        }
        if (done) continue;
        AddCustom(s, a);
        if (a.to_ids)
          other_parts.push_back(Cmp(prefix + "x_misp_" + Underscored(a.relation), a.value));
      }
      if (!t->required.empty() && !s.find(t->required)) return false;
      if (hashes.size()) {
        Value with_hashes = Sco(t->sco, id);
        with_hashes.set("hashes", std::move(hashes));
        for (auto& m : s.object()) {
          if (m.first != "type" && m.first != "spec_version" && m.first != "id") {
            with_hashes.set(m.first, std::move(m.second));
          }
        }
        s = std::move(with_hashes);
      }
      pattern.insert(pattern.end(), hash_parts.begin(), hash_parts.end());
      pattern.insert(pattern.end(), other_parts.begin(), other_parts.end());
      b.refs.push_back(id);
      b.scos.push_back(std::move(s));
    } else {
      return false;
    }
    if (!pattern.empty()) b.pattern = JoinAnd(pattern);
    return true;
  }

  Status ConvertObjectCollectionItem(Node o) {
    const bool was = in_event_;
    in_event_ = false;
    Status s = ConvertObject(o, 0);
    in_event_ = was;
    if (!s.ok()) return s;
    return FlushReferences();
  }

  Status ConvertObject(Node o, std::size_t index) {
    if (!o.is_object()) {
      return Status::InvalidArgument(Where() + ": Object[" + std::to_string(index) +
                                     "] is not an object");
    }
    if (++objects_in_event_ > opt_.limits.max_objects_per_event) {
      return Status::LimitExceeded(Where() + ": more than " +
                                   std::to_string(opt_.limits.max_objects_per_event) + " objects");
    }
    ++stats_.objects;
    Item item;
    ENTENTE_RETURN_IF_ERROR(ReadItem(o, "Object[" + std::to_string(index) + "]", item));
    Node name = o["name"];
    if (!name.is_string() || name.str().empty()) {
      return Status::InvalidArgument(Where() + ", object " + item.uuid + ": missing name");
    }
    if (in_event_ && !SeeOnce(item.uuid)) {
      ++stats_.duplicates_skipped;
      return Status::Ok();
    }
    item.type = std::string(name.str());
    item.category = ScalarText(o["meta-category"]);
    item.labels.push_back(MispLabel("name", item.type));
    if (!item.category.empty()) item.labels.push_back(MispLabel("meta-category", item.category));
    ENTENTE_RETURN_IF_ERROR(ReadDistribution(o["distribution"], o["SharingGroup"], item));

    std::vector<ObjAttr> attrs;
    Node list = o["Attribute"];
    if (!list.missing() && !list.is_null() && !list.is_array()) {
      return Status::InvalidArgument(Where() + ", object " + item.uuid +
                                     ": Attribute is not a list");
    }
    bool any_to_ids = false;
    std::size_t ai = 0;
    for (auto [k, a] : list) {
      if (!a.is_object()) {
        return Status::InvalidArgument(Where() + ", object " + item.uuid + ": Attribute[" +
                                       std::to_string(ai) + "] is not an object");
      }
      ENTENTE_RETURN_IF_ERROR(CountAttribute());
      ObjAttr x;
      ENTENTE_RETURN_IF_ERROR(CheckUuid(a["uuid"], "object " + item.uuid + " attribute", x.uuid));
      x.type = ScalarText(a["type"]);
      x.relation = ScalarText(a["object_relation"]);
      x.value = ScalarText(a["value"]);
      if (x.value.size() > opt_.limits.max_value_bytes) {
        return Status::LimitExceeded(Where() + ", object " + item.uuid + ", attribute " + x.uuid +
                                     ": value over the limit of " +
                                     std::to_string(opt_.limits.max_value_bytes) + " bytes");
      }
      if (x.relation.empty()) x.relation = x.type;
      if (a["data"].is_string()) x.data = std::string(a["data"].str());
      x.to_ids = Truthy(a["to_ids"]);
      any_to_ids = any_to_ids || x.to_ids;
      // Attribute tags carry TLP markings and labels for the whole object in STIX.
      ENTENTE_RETURN_IF_ERROR(ReadTags(a["Tag"], x.uuid, item));
      attrs.push_back(std::move(x));
      ++ai;
    }

    Built built;
    std::string main_id;
    if (BuildObject(item.type, item.uuid, attrs, built)) {
      const std::string od_id = Sid("observed-data", item.uuid);
      ENTENTE_RETURN_IF_ERROR(EmitObserved(item, built, !(any_to_ids && !built.pattern.empty())));
      main_id = od_id;
      if (any_to_ids && !built.pattern.empty()) {
        ENTENTE_RETURN_IF_ERROR(EmitIndicator(item, built.pattern, "stix", item.category));
        const std::string ind_id = Sid("indicator", item.uuid);
        ENTENTE_RETURN_IF_ERROR(Relationship(ind_id, "based-on", od_id, item.ts));
        main_id = ind_id;
      }
    } else {
      main_id = Sid("x-misp-object", item.uuid);
      Value c = Sdo("x-misp-object", main_id, item.ts);
      AddLabelsAndMarkings(c, item);
      Value xa = Arr();
      xa.array().reserve(attrs.size());
      std::size_t i = 0;
      for (auto [k, a] : list) {
        const ObjAttr& x = attrs[i++];
        Value e = Obj();
        e.set("type", x.type);
        e.set("object_relation", x.relation);
        e.set("value", x.value);
        e.set("uuid", x.uuid);
        const std::string cat = ScalarText(a["category"]);
        if (!cat.empty()) e.set("category", cat);
        const std::string comment = ScalarText(a["comment"]);
        if (!comment.empty()) e.set("comment", comment);
        if (x.to_ids) e.set("to_ids", true);
        if (!x.data.empty()) e.set("data", x.data);
        xa.push_back(std::move(e));
      }
      c.set("x_misp_attributes", std::move(xa));
      if (!item.comment.empty()) c.set("x_misp_comment", item.comment);
      if (!item.category.empty()) c.set("x_misp_meta_category", item.category);
      c.set("x_misp_name", item.type);
      ENTENTE_RETURN_IF_ERROR(Emit(std::move(c)));
    }
    Remember(item.uuid, main_id);
    for (const auto& a : attrs) Remember(a.uuid, main_id);

    Node refs = o["ObjectReference"];
    if (refs.is_array()) {
      if (refs.size() > opt_.limits.max_references_per_object) {
        return Status::LimitExceeded(Where() + ", object " + item.uuid + ": " +
                                     std::to_string(refs.size()) +
                                     " references, over the limit of " +
                                     std::to_string(opt_.limits.max_references_per_object));
      }
      for (auto [k, r] : refs) {
        if (!r.is_object()) continue;
        PendingRef p;
        p.source = main_id;
        p.target_uuid = ScalarText(r["referenced_uuid"]);
        std::transform(p.target_uuid.begin(), p.target_uuid.end(), p.target_uuid.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        p.type = ScalarText(r["relationship_type"]);
        p.comment = ScalarText(r["comment"]);
        p.ts = r["timestamp"].missing() ? item.ts : ItemTime(r["timestamp"]);
        if (p.type.empty() || p.target_uuid.empty()) continue;
        pending_.push_back(std::move(p));
      }
    }
    return Status::Ok();
  }

  // ObjectReferences may point forward, so they are resolved once every item is converted.
  Status FlushReferences() {
    for (const auto& p : pending_) {
      auto it = uuid_to_stix_.find(p.target_uuid);
      if (it == uuid_to_stix_.end()) {
        ++stats_.unresolved_references;
        continue;
      }
      ENTENTE_RETURN_IF_ERROR(Relationship(p.source, p.type, it->second, p.ts, p.comment));
    }
    pending_.clear();
    return Status::Ok();
  }

  // ---- events -------------------------------------------------------------------------------

  Status ConvertEvent(Node e) {
    if (!e.is_object()) return Status::InvalidArgument("MISP: Event is not an object");
    if (++stats_.events > opt_.limits.max_events) {
      return Status::LimitExceeded("MISP: more than " + std::to_string(opt_.limits.max_events) +
                                   " events");
    }
    event_uuid_.clear();
    std::string uuid;
    ENTENTE_RETURN_IF_ERROR(CheckUuid(e["uuid"], "Event", uuid));
    event_uuid_ = uuid;
    event_ts_.reset();
    event_ts_ = ParseMispTime(e["timestamp"]);
    if (!event_ts_) event_ts_ = ParseMispTime(e["date"]);
    if (!event_ts_) event_ts_ = now_;
    in_event_ = true;
    report_refs_.Clear();
    uuid_to_stix_.clear();
    seen_.clear();
    wanted_.clear();
    pending_.clear();
    // Only uuids that some ObjectReference names need a uuid -> STIX id entry.
    for (auto [k, o] : e["Object"]) {
      for (auto [rk, r] : o["ObjectReference"]) {
        std::string target = ScalarText(r["referenced_uuid"]);
        std::transform(target.begin(), target.end(), target.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!target.empty()) wanted_.insert(std::move(target));
      }
    }
    attributes_in_event_ = objects_in_event_ = 0;

    identity_id_.clear();
    Node orgc = e["Orgc"];
    if (orgc.is_object() && orgc["uuid"].is_string() && IsUuid(orgc["uuid"].str(), false) &&
        orgc["name"].is_string()) {
      identity_id_ = Sid("identity", orgc["uuid"].str());
      ENTENTE_RETURN_IF_ERROR(
          EmitIdentity(identity_id_, std::string(orgc["name"].str()), *event_ts_));
    }

    Item report;
    report.uuid = uuid;
    report.ts = *event_ts_;
    report.labels = {"Threat-Report", MispLabel("tool", "MISP-STIX-Converter")};
    ENTENTE_RETURN_IF_ERROR(ReadTags(e["Tag"], uuid, report));
    ENTENTE_RETURN_IF_ERROR(ReadDistribution(e["distribution"], e["SharingGroup"], report));

    Node attributes = e["Attribute"];
    if (!attributes.missing() && !attributes.is_null() && !attributes.is_array()) {
      return Status::InvalidArgument(Where() + ": Attribute is not a list");
    }
    std::size_t i = 0;
    for (auto [k, a] : attributes) ENTENTE_RETURN_IF_ERROR(ConvertAttribute(a, i++));
    Node objects = e["Object"];
    if (!objects.missing() && !objects.is_null() && !objects.is_array()) {
      return Status::InvalidArgument(Where() + ": Object is not a list");
    }
    if (objects.size() > opt_.limits.max_objects_per_event) {
      return Status::LimitExceeded(Where() + ": " + std::to_string(objects.size()) +
                                   " objects, over the limit of " +
                                   std::to_string(opt_.limits.max_objects_per_event));
    }
    i = 0;
    for (auto [k, o] : objects) ENTENTE_RETURN_IF_ERROR(ConvertObject(o, i++));
    ENTENTE_RETURN_IF_ERROR(FlushReferences());
    std::vector<std::string> galaxy_ids;
    for (auto [k, g] : e["Galaxy"])
      ENTENTE_RETURN_IF_ERROR(ConvertGalaxy(g, galaxy_ids, *event_ts_));

    const bool published = Truthy(e["published"]);
    const std::string report_id = Sid(published ? "report" : "grouping", uuid);
    if (report_refs_.empty()) {
      Value note = Sdo("note", Sid("note", uuid), *event_ts_);
      note.set("content",
               "This MISP Event is empty and contains no attribute, object, galaxy or tag.");
      note.set("object_refs", StrArray({report_id}));
      ENTENTE_RETURN_IF_ERROR(Emit(std::move(note)));
    }
    Value r = Sdo(published ? "report" : "grouping", report_id, *event_ts_);
    r.set("name", ScalarText(e["info"]));
    if (published) {
      auto pts = ParseMispTime(e["publish_timestamp"]);
      r.set("published", StixSeconds(pts && pts->nanos > 0 ? *pts : *event_ts_));
      r.set("report_types", StrArray({"threat-report"}));
    } else {
      r.set("context", "suspicious-activity");
    }
    r.set("object_refs", report_refs_.TakeArray());
    AddLabelsAndMarkings(r, report);
    in_event_ = false;
    report_refs_.Clear();
    ENTENTE_RETURN_IF_ERROR(Emit(std::move(r), false));
    uuid_to_stix_.clear();
    seen_.clear();
    wanted_.clear();
    identity_id_.clear();
    event_uuid_.clear();
    event_ts_.reset();
    return Status::Ok();
  }

  struct PendingRef {
    std::string source, target_uuid, type, comment;
    Timestamp ts;
  };

  const MispOptions& opt_;
  const StixSink& sink_;
  MispStats& stats_;
  Timestamp now_;
  bool in_event_ = false;
  std::string event_uuid_;
  std::optional<Timestamp> event_ts_;
  std::string identity_id_;
  RefList report_refs_;
  std::unordered_map<std::string, std::string> uuid_to_stix_;
  struct UuidHash {
    // All 16 bytes: uuids come from the input, which may be crafted to collide.
    std::size_t operator()(const Uuid& u) const noexcept {
      return std::hash<std::string_view>()(
          std::string_view(reinterpret_cast<const char*>(u.data()), u.size()));
    }
  };
  std::unordered_set<Uuid, UuidHash> seen_;
  std::unordered_set<std::string> wanted_;
  std::vector<PendingRef> pending_;
  std::unordered_set<std::string> emitted_once_;
  std::size_t attributes_in_event_ = 0, objects_in_event_ = 0;
};

}  // namespace

Status MispToStixStream(json::Node misp_json, const MispOptions& options, const StixSink& sink,
                        MispStats* stats) {
  MispStats local;
  Converter c(options, sink, stats ? *stats : local);
  return c.Run(misp_json);
}

Result<json::Value> MispToStix(json::Node misp_json, const MispOptions& options, MispStats* stats) {
  Value objects = Arr();
  std::string seed;
  ENTENTE_RETURN_IF_ERROR(MispToStixStream(
      misp_json, options,
      [&](Value&& v) -> Status {
        if (const Value* t = v.find("type");
            t && (t->str() == "grouping" || t->str() == "report")) {
          seed += v.find("id")->str();
        }
        objects.push_back(std::move(v));
        return Status::Ok();
      },
      stats));
  if (seed.empty()) {
    for (const auto& o : objects.array()) seed += o.find("id")->str();
  }
  Value bundle = Obj();
  bundle.set("type", "bundle");
  bundle.set("id", "bundle--" + MispUuid5("bundle - " + seed));
  bundle.set("objects", std::move(objects));
  return bundle;
}

bool LooksLikeMisp(json::Node root) noexcept {
  auto event_like = [](Node n) {
    if (!n.is_object()) return false;
    if (n["Event"].is_object()) return true;
    return n["info"].is_string() &&
           (n["uuid"].is_string() || n["Attribute"].is_array() || n["Object"].is_array());
  };
  if (root.is_object()) {
    if (root["type"].is_string() && root["type"].str() == "bundle") return false;
    if (event_like(root)) return true;
    Node response = root["response"];
    if (response.is_array()) {
      Node first = response.at(0);
      return response.size() == 0 || event_like(first) || first["Object"].is_object();
    }
    if (response.is_object()) return response["Attribute"].is_array();
    return false;
  }
  if (root.is_array() && root.size() > 0) {
    Node first = root.at(0);
    return event_like(first) || (first.is_object() && first["Object"].is_object());
  }
  return false;
}

}  // namespace entente::formats
