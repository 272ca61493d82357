// STIX 2.1 -> MISP: reads back what MispToStix (and misp-stix) write. Objects are recognised by
// their misp:* labels; the values come from the observable objects when there are some, else
// from the indicator pattern.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "entente/formats/misp.h"
#include "misp_internal.h"

namespace entente::formats {
namespace {

using json::Node;
using json::Value;
using namespace misp_internal;

constexpr std::size_t kMaxBundleObjects = 5'000'000;

std::string UuidOf(std::string_view id) {
  auto dd = id.find("--");
  return dd == std::string_view::npos ? std::string() : std::string(id.substr(dd + 2));
}

std::string TypeOf(std::string_view id) {
  auto dd = id.find("--");
  return dd == std::string_view::npos ? std::string() : std::string(id.substr(0, dd));
}

std::string UnixSeconds(std::string_view stix_time) {
  auto t = ParseMispTimeText(stix_time);
  return t ? std::to_string(t->seconds()) : std::string();
}

std::string Dashed(std::string_view underscored) {
  std::string s(underscored);
  for (char& c : s) {
    if (c == '_') c = '-';
  }
  return s;
}

struct Labels {
  std::unordered_map<std::string, std::string> misp;  // "type" -> "domain"
  std::vector<std::string> tags;
};

Labels ReadLabels(Node obj) {
  Labels l;
  for (auto [k, label] : obj["labels"]) {
    if (!label.is_string()) continue;
    if (auto kv = ParseMispLabel(label.str())) {
      if (kv->first == "tool") continue;  // misp:tool="MISP-STIX-Converter"
      l.misp[kv->first] = kv->second;
      continue;
    }
    if (label.str() == "Threat-Report") continue;
    l.tags.emplace_back(label.str());
  }
  return l;
}

class Reader {
 public:
  Status Run(Node bundle) {
    if (!bundle.is_object() || bundle["type"].str() != "bundle" || !bundle["objects"].is_array()) {
      return Status::InvalidArgument("STIX to MISP: input is not a STIX bundle");
    }
    Node objects = bundle["objects"];
    if (objects.size() > kMaxBundleObjects) {
      return Status::LimitExceeded("STIX to MISP: bundle of " + std::to_string(objects.size()) +
                                   " objects, over the limit of " +
                                   std::to_string(kMaxBundleObjects));
    }
    for (auto [k, o] : objects) {
      if (!o.is_object() || !o["id"].is_string()) continue;
      by_id_.emplace(std::string(o["id"].str()), o);
      order_.push_back(o);
    }
    event_ = Value::MakeObject();
    Node report;
    for (Node o : order_) {
      const auto t = o["type"].str();
      if (t == "report" || t == "grouping") {
        report = o;
        break;
      }
    }
    ReadEvent(report);
    Value attributes = Value::MakeArray();
    Value objects_out = Value::MakeArray();
    Value galaxies = Value::MakeArray();
    std::unordered_set<std::string> done;
    std::size_t skipped = 0;
    for (Node o : order_) {
      const std::string id(o["id"].str());
      const std::string type(o["type"].str());
      const std::string uuid = UuidOf(id);
      Labels labels = ReadLabels(o);
      if (labels.misp.count("type")) {
        if (!done.insert(uuid).second) continue;
        attributes.push_back(ReadAttribute(uuid, labels));
      } else if (labels.misp.count("name") || type == "x-misp-object") {
        if (!done.insert(uuid).second) continue;
        Value obj = ReadObject(uuid, labels);
        object_index_[uuid] = objects_out.size();
        objects_out.push_back(std::move(obj));
      } else if (labels.misp.count("galaxy-type")) {
        galaxies.push_back(ReadGalaxy(o, labels));
      } else if (type == "relationship" || type == "identity" || type == "marking-definition" ||
                 type == "report" || type == "grouping" || type == "note" || type == "sighting" ||
                 type == "opinion" || IsObservable(type)) {
        continue;
      } else {
        ++skipped;
      }
    }
    // ObjectReferences from relationships between converted objects and items.
    for (Node o : order_) {
      if (o["type"].str() != "relationship") continue;
      const std::string rel(o["relationship_type"].str());
      if (rel == "based-on") continue;
      const std::string source = UuidOf(o["source_ref"].str());
      const std::string target = UuidOf(o["target_ref"].str());
      auto it = object_index_.find(source);
      if (it == object_index_.end() || !done.count(target)) continue;
      Value ref = Value::MakeObject();
      ref.set("referenced_uuid", target);
      ref.set("relationship_type", rel);
      if (o["description"].is_string()) ref.set("comment", o["description"].str());
      Value& obj = objects_out.array()[it->second];
      Value* refs = obj.find("ObjectReference");
      if (!refs) refs = &obj.set("ObjectReference", Value::MakeArray());
      refs->push_back(std::move(ref));
    }
    event_.set("Attribute", std::move(attributes));
    event_.set("Object", std::move(objects_out));
    event_.set("Galaxy", std::move(galaxies));
    if (skipped) event_.set("x_entente_skipped", Value(static_cast<std::int64_t>(skipped)));
    return Status::Ok();
  }

  Value TakeEvent() {
    Value root = Value::MakeObject();
    root.set("Event", std::move(event_));
    return root;
  }

 private:
  static bool IsObservable(std::string_view t) {
    static constexpr std::string_view kScos[] = {"artifact",
                                                 "autonomous-system",
                                                 "directory",
                                                 "domain-name",
                                                 "email-addr",
                                                 "email-message",
                                                 "file",
                                                 "ipv4-addr",
                                                 "ipv6-addr",
                                                 "mac-addr",
                                                 "mutex",
                                                 "network-traffic",
                                                 "process",
                                                 "software",
                                                 "url",
                                                 "user-account",
                                                 "windows-registry-key",
                                                 "x509-certificate"};
    return std::find(std::begin(kScos), std::end(kScos), t) != std::end(kScos);
  }

  Node Get(std::string_view id) const {
    auto it = by_id_.find(std::string(id));
    return it == by_id_.end() ? Node() : it->second;
  }

  // The SCO of `type` among an observed-data's object_refs.
  Node Observable(Node observed, std::string_view type) const {
    for (auto [k, ref] : observed["object_refs"]) {
      if (TypeOf(ref.str()) == type) return Get(ref.str());
    }
    return Node();
  }

  void AddTags(Value& target, const std::vector<std::string>& tags, Node markings) {
    Value list = Value::MakeArray();
    for (const auto& t : tags) {
      Value tag = Value::MakeObject();
      tag.set("name", t);
      list.push_back(std::move(tag));
    }
    for (auto [k, m] : markings) {
      if (const TlpMarking* tlp = FindTlpById(m.str())) {
        Value tag = Value::MakeObject();
        tag.set("name", "tlp:" + std::string(tlp->level));
        list.push_back(std::move(tag));
      } else if (Node def = Get(m.str()); def["x_misp_distribution"].is_number()) {
        target.set("distribution", std::string(def["x_misp_distribution"].number_text()));
        if (def["x_misp_sharing_group_uuid"].is_string()) {
          Value sg = Value::MakeObject();
          sg.set("uuid", def["x_misp_sharing_group_uuid"].str());
          if (def["x_misp_sharing_group_name"].is_string()) {
            sg.set("name", def["x_misp_sharing_group_name"].str());
          }
          target.set("SharingGroup", std::move(sg));
        }
      }
    }
    if (list.size()) target.set("Tag", std::move(list));
  }

  void ReadEvent(Node report) {
    if (report.missing()) return;
    const std::string uuid = UuidOf(report["id"].str());
    event_.set("uuid", uuid);
    event_.set("info", report["name"].str());
    const std::string modified(report["modified"].str());
    event_.set("date", modified.substr(0, 10));
    event_.set("timestamp", UnixSeconds(modified));
    const bool published = report["type"].str() == "report";
    event_.set("published", published);
    if (published && report["published"].is_string()) {
      event_.set("publish_timestamp", UnixSeconds(report["published"].str()));
    }
    event_.set("threat_level_id", "4");
    event_.set("analysis", "0");
    if (Node identity = Get(report["created_by_ref"].str()); identity.is_object()) {
      Value org = Value::MakeObject();
      org.set("name", identity["name"].str());
      org.set("uuid", UuidOf(identity["id"].str()));
      event_.set("Orgc", std::move(org));
    }
    Labels labels = ReadLabels(report);
    AddTags(event_, labels.tags, report["object_marking_refs"]);
  }

  // ---- attributes ---------------------------------------------------------------------------

  static std::string Str(Node n) { return ScalarText(n); }

  std::string ValueFromObservables(const AttrSpec& spec, const std::string& type, Node od,
                                   std::string& data) const {
    switch (spec.kind) {
      case AttrKind::kSimple:
        return Str(Observable(od, spec.a)[spec.b]);
      case AttrKind::kAs: {
        std::string n = Str(Observable(od, "autonomous-system")["number"]);
        return n.empty() ? n : "AS" + n;
      }
      case AttrKind::kHash: {
        const HashName* h = FindHash(type);
        return h ? Str(Observable(od, "file")["hashes"][h->sco_key]) : std::string();
      }
      case AttrKind::kX509Hash: {
        const HashName* h = FindHash(spec.a);
        return h ? Str(Observable(od, "x509-certificate")["hashes"][h->sco_key]) : std::string();
      }
      case AttrKind::kFilenameHash: {
        const HashName* h = FindHash(std::string_view(type).substr(type.find('|') + 1));
        Node f = Observable(od, "file");
        return h ? Str(f["name"]) + "|" + Str(f["hashes"][h->sco_key]) : std::string();
      }
      case AttrKind::kIp:
      case AttrKind::kIpPort: {
        Node nt = Observable(od, "network-traffic");
        const std::string side(spec.a);
        std::string v = Str(Get(nt[side + "_ref"].str())["value"]);
        if (spec.kind == AttrKind::kIpPort) v += "|" + Str(nt[side + "_port"]);
        return v;
      }
      case AttrKind::kDomainIp: {
        Node d = Observable(od, "domain-name");
        return Str(d["value"]) + "|" + Str(Get(d["resolves_to_refs"].at(0).str())["value"]);
      }
      case AttrKind::kHostnamePort:
        return Str(Observable(od, "domain-name")["value"]) + "|" +
               Str(Observable(od, "network-traffic")["dst_port"]);
      case AttrKind::kEmailAddress:
        return Str(Observable(od, "email-addr")["value"]);
      case AttrKind::kEmailProperty: {
        Node v = Observable(od, "email-message")[spec.a];
        return v.is_array() ? Str(v.at(0)) : Str(v);
      }
      case AttrKind::kEmailHeaderField:
        return Str(Observable(od, "email-message")["additional_header_fields"][spec.a]);
      case AttrKind::kEmailAttachment:
        return Str(Observable(od, "file")["name"]);
      case AttrKind::kAttachment:
      case AttrKind::kMalwareSample: {
        Node f = Observable(od, "file");
        data = Str(Get(f["content_ref"].str())["payload_bin"]);
        if (spec.kind == AttrKind::kAttachment) return Str(f["name"]);
        std::string md5 = Str(f["hashes"]["MD5"]);
        return md5.empty() ? Str(f["name"]) : Str(f["name"]) + "|" + md5;
      }
      case AttrKind::kRegkey:
        return Str(Observable(od, "windows-registry-key")["key"]);
      case AttrKind::kRegkeyValue: {
        Node k = Observable(od, "windows-registry-key");
        return Str(k["key"]) + "|" + Str(k["values"].at(0)["data"]);
      }
      case AttrKind::kGithubUser:
        return Str(Observable(od, "user-account")["account_login"]);
      default:
        return {};
    }
  }

  static std::string ValueFromPattern(const AttrSpec* spec, const std::string& type,
                                      std::string_view pattern, std::string& data) {
    if (spec && spec->kind == AttrKind::kRule) {
      if (pattern.size() >= 2 && pattern.front() == '[' && pattern.back() == ']') {
        return std::string(pattern.substr(1, pattern.size() - 2));
      }
      return std::string(pattern);
    }
    std::vector<std::string> values;
    for (auto& c : SplitSimplePattern(pattern)) {
      if (c.path.size() > 5 && c.path.compare(c.path.size() - 5, 5, ".type") == 0) continue;
      if (c.path.find("payload_bin") != std::string::npos) {
        data = c.value;
        continue;
      }
      if (c.path.find("content_ref.") != std::string::npos) continue;  // zip metadata
      if (spec && spec->kind == AttrKind::kRegkeyValue &&
          c.path.find("values.data") != std::string::npos) {
        std::string v;
        for (std::size_t i = 0; i < c.value.size(); ++i) {
          // Undo the extra escaping of '%' (see RegistryDataEscape).
          if (c.value[i] == '\\' && i + 1 < c.value.size() && c.value[i + 1] == '%') continue;
          v.push_back(c.value[i]);
        }
        c.value = v;
      }
      values.push_back(c.value);
    }
    if (values.empty()) return {};
    if (spec && spec->kind == AttrKind::kAs) return "AS" + values[0];
    const bool composite =
        type.find('|') != std::string::npos || (spec && spec->kind == AttrKind::kMalwareSample);
    if (composite && values.size() >= 2) return values[0] + "|" + values[1];
    if (spec && spec->kind == AttrKind::kGithubUser && values.size() >= 2) return values[1];
    return values[0];
  }

  Value ReadAttribute(const std::string& uuid, const Labels& labels) {
    const std::string type = labels.misp.at("type");
    Value a = Value::MakeObject();
    a.set("uuid", uuid);
    a.set("type", type);
    if (auto it = labels.misp.find("category"); it != labels.misp.end()) {
      a.set("category", it->second);
    }
    Node indicator = Get("indicator--" + uuid);
    Node observed = Get("observed-data--" + uuid);
    Node custom = Get("x-misp-attribute--" + uuid);
    std::string value, data, comment, timestamp;
    bool to_ids = indicator.is_object();
    Node main = indicator.is_object() ? indicator : observed;
    const AttrSpec* spec = FindAttrSpec(type);
    if (custom.is_object()) {
      main = custom;
      value = Str(custom["x_misp_value"]);
      comment = Str(custom["x_misp_comment"]);
      to_ids = custom["x_misp_to_ids"].boolean();
      data = Str(custom["x_misp_data"]);
      if (custom["x_misp_category"].is_string()) a.set("category", custom["x_misp_category"].str());
    } else if (Node sdo = Get("campaign--" + uuid); sdo.is_object()) {
      main = sdo;
      value = Str(sdo["name"]);
      comment = Str(sdo["description"]);
    } else if (Node vuln = Get("vulnerability--" + uuid); vuln.is_object()) {
      main = vuln;
      value = Str(vuln["name"]);
    } else {
      if (observed.is_object() && spec) value = ValueFromObservables(*spec, type, observed, data);
      if (value.empty() && indicator.is_object()) {
        value = ValueFromPattern(spec, type, indicator["pattern"].str(), data);
      }
      comment =
          indicator.is_object() ? Str(indicator["description"]) : Str(observed["x_misp_comment"]);
    }
    a.set("value", value);
    a.set("to_ids", to_ids);
    if (!comment.empty()) a.set("comment", comment);
    if (!data.empty()) a.set("data", data);
    a.set("timestamp", UnixSeconds(main["modified"].str()));
    AddTags(a, labels.tags, main["object_marking_refs"]);
    return a;
  }

  // ---- objects ------------------------------------------------------------------------------

  struct Out {
    Value list = Value::MakeArray();
    std::string object_uuid;
    std::string pattern;  // the object's indicator pattern, for to_ids

    void Add(std::string_view relation, std::string_view type, const std::string& value,
             std::string uuid = {}, const std::string& data = {}) {
      if (value.empty()) return;
      Value a = Value::MakeObject();
      if (uuid.empty()) {
        uuid = MispUuid5(object_uuid + " - " + std::string(relation) + " - " + value);
      }
      a.set("uuid", uuid);
      a.set("object_relation", relation);
      a.set("type", type);
      a.set("value", value);
      // An attribute is to_ids when its value appears in the object's indicator.
      a.set("to_ids", !pattern.empty() &&
                          pattern.find("'" + PatternEscape(value) + "'") != std::string::npos);
      if (!data.empty()) a.set("data", data);
      list.push_back(std::move(a));
    }
  };

  // MISP attribute types of object relations that are not an attribute type themselves.
  static std::string_view RelationType(std::string_view relation) {
    struct R {
      std::string_view relation, type;
    };
    static constexpr R kTypes[] = {
        {"entropy", "float"},
        {"number-sections", "counter"},
        {"state", "text"},
        {"fullpath", "text"},
        {"path", "text"},
        {"file-encoding", "text"},
        {"creation-time", "datetime"},
        {"modification-time", "datetime"},
        {"access-time", "datetime"},
        {"first-seen", "datetime"},
        {"last-seen", "datetime"},
        {"send-date", "datetime"},
        {"hostname", "hostname"},
        {"host", "hostname"},
        {"domain", "domain"},
        {"ip", "ip-dst"},
        {"port", "port"},
        {"dst-port", "port"},
        {"src-port", "port"},
        {"mime-type", "mime-type"},
        {"text", "text"},
        {"mime-boundary", "email-mime-boundary"},
        {"user-agent", "text"},
        {"permalink", "link"},
        {"detection-ratio", "text"},
        {"last-submission", "datetime"},
        {"size-in-bytes", "size-in-bytes"},
    };
    for (const auto& r : kTypes) {
      if (r.relation == relation) return r.type;
    }
    if (FindHash(relation)) return relation;
    return "text";
  }

  // x_misp_<relation> properties of an SCO, in member order; arrays give several attributes.
  static void AddCustomProperties(Out& out, Node sco,
                                  const std::unordered_map<std::string, std::string>& types = {}) {
    for (auto [k, v] : sco) {
      if (k.substr(0, 7) != "x_misp_" || k == "x_misp_attachment" || k == "x_misp_filename") {
        continue;
      }
      const std::string relation = Dashed(k.substr(7));
      auto it = types.find(relation);
      const std::string type = it != types.end() ? it->second : std::string(RelationType(relation));
      if (v.is_array()) {
        for (auto [i, e] : v) out.Add(relation, type, Str(e));
      } else {
        out.Add(relation, type, Str(v));
      }
    }
  }

  Value ReadObject(const std::string& uuid, const Labels& labels) {
    Value obj = Value::MakeObject();
    Node custom = Get("x-misp-object--" + uuid);
    Node indicator = Get("indicator--" + uuid);
    Node observed = Get("observed-data--" + uuid);
    Node main = custom.is_object() ? custom : indicator.is_object() ? indicator : observed;
    std::string name = labels.misp.count("name") ? labels.misp.at("name") : "";
    if (custom.is_object() && custom["x_misp_name"].is_string())
      name = std::string(custom["x_misp_name"].str());
    obj.set("uuid", uuid);
    obj.set("name", name);
    std::string meta = labels.misp.count("meta-category") ? labels.misp.at("meta-category") : "";
    if (custom["x_misp_meta_category"].is_string())
      meta = std::string(custom["x_misp_meta_category"].str());
    if (!meta.empty()) obj.set("meta-category", meta);
    obj.set("timestamp", UnixSeconds(main["modified"].str()));
    std::string comment = custom.is_object()      ? Str(custom["x_misp_comment"])
                          : indicator.is_object() ? Str(indicator["description"])
                                                  : Str(observed["x_misp_comment"]);
    if (!comment.empty()) obj.set("comment", comment);

    Out out;
    out.object_uuid = uuid;
    out.pattern = std::string(indicator["pattern"].str());
    if (custom.is_object()) {
      for (auto [k, a] : custom["x_misp_attributes"]) {
        Value attr = Value::From(a);
        if (!attr.find("to_ids")) attr.set("to_ids", false);
        out.list.push_back(std::move(attr));
      }
    } else if (name == "file") {
      Node f = Get("file--" + uuid);
      for (auto [h, v] : f["hashes"]) {
        if (const HashName* hn = FindHashBySco(h)) out.Add(hn->misp, hn->misp, Str(v));
      }
      out.Add("filename", "filename", Str(f["name"]));
      out.Add("size-in-bytes", "size-in-bytes", Str(f["size"]));
      out.Add("file-encoding", "text", Str(f["name_enc"]));
      out.Add("mime-type", "mime-type", Str(f["mime_type"]));
      for (auto [prop, rel] : {std::pair<const char*, const char*>{"ctime", "creation-time"},
                               {"mtime", "modification-time"},
                               {"atime", "access-time"}}) {
        if (f[prop].is_string()) {
          auto t = ParseMispTimeText(f[prop].str());
          if (t) out.Add(rel, "datetime", FormatTimestamp(*t, 0));
        }
      }
      if (Node d = Get(f["parent_directory_ref"].str()); d.is_object()) {
        out.Add("path", "text", Str(d["path"]), UuidOf(d["id"].str()));
      }
      if (Node art = Get(f["content_ref"].str()); art.is_object()) {
        std::string v = Str(art["x_misp_filename"]);
        if (art["hashes"]["MD5"].is_string()) v += "|" + Str(art["hashes"]["MD5"]);
        out.Add("malware-sample", "malware-sample", v, UuidOf(art["id"].str()),
                Str(art["payload_bin"]));
      }
      if (f["x_misp_attachment"].is_object()) {
        out.Add("attachment", "attachment", Str(f["x_misp_attachment"]["value"]), {},
                Str(f["x_misp_attachment"]["data"]));
      }
      AddCustomProperties(out, f);
    } else if (name == "domain-ip") {
      for (auto [k, ref] : observed["object_refs"]) {
        Node d = Get(ref.str());
        if (d["type"].str() != "domain-name") continue;
        const std::string d_uuid = UuidOf(d["id"].str());
        out.Add("domain", "domain", Str(d["value"]), d_uuid == uuid ? std::string() : d_uuid);
        AddCustomProperties(out, d);
      }
      for (auto [k, ref] : observed["object_refs"]) {
        const std::string t = TypeOf(ref.str());
        if (t == "ipv4-addr" || t == "ipv6-addr") {
          out.Add("ip", "ip-dst", Str(Get(ref.str())["value"]), UuidOf(ref.str()));
        }
      }
    } else if (name == "ip-port") {
      Node nt = Get("network-traffic--" + uuid);
      if (Node d = Get(nt["dst_ref"].str()); d.is_object()) {
        out.Add("ip", "ip-dst", Str(d["value"]), UuidOf(d["id"].str()));
      }
      if (Node s = Get(nt["src_ref"].str()); s.is_object()) {
        out.Add("ip-src", "ip-src", Str(s["value"]), UuidOf(s["id"].str()));
      }
      out.Add("dst-port", "port", Str(nt["dst_port"]));
      out.Add("src-port", "port", Str(nt["src_port"]));
      for (auto [prop, rel] :
           {std::pair<const char*, const char*>{"start", "first-seen"}, {"end", "last-seen"}}) {
        if (auto t = ParseMispTimeText(nt[prop].str())) {
          out.Add(rel, "datetime", FormatTimestamp(*t, 0));
        }
      }
      AddCustomProperties(out, nt);
    } else if (name == "email") {
      Node m = Get("email-message--" + uuid);
      auto address = [&](std::string_view rel, std::string_view type, Node ref) {
        Node addr = Get(ref.str());
        if (!addr.is_object()) return;
        out.Add(rel, type, Str(addr["value"]), UuidOf(addr["id"].str()));
        if (addr["display_name"].is_string()) {
          out.Add(std::string(rel) + "-display-name", std::string(type) + "-display-name",
                  Str(addr["display_name"]));
        }
      };
      address("from", "email-src", m["from_ref"]);
      for (auto [k, r] : m["to_refs"]) address("to", "email-dst", r);
      for (auto [k, r] : m["cc_refs"]) address("cc", "email-dst", r);
      for (auto [k, r] : m["bcc_refs"]) address("bcc", "email-dst", r);
      out.Add("subject", "email-subject", Str(m["subject"]));
      out.Add("message-id", "email-message-id", Str(m["message_id"]));
      out.Add("email-body", "email-body", Str(m["body"]));
      out.Add("reply-to", "email-reply-to", Str(m["additional_header_fields"]["Reply-To"]));
      out.Add("x-mailer", "email-x-mailer", Str(m["additional_header_fields"]["X-Mailer"]));
      if (auto t = ParseMispTimeText(m["date"].str())) {
        out.Add("send-date", "datetime", FormatTimestamp(*t, 0));
      }
      for (auto [k, part] : m["body_multipart"]) {
        Node f = Get(part["body_raw_ref"].str());
        out.Add("attachment", "email-attachment", Str(f["name"]), UuidOf(f["id"].str()));
      }
      AddCustomProperties(out, m);
    } else {
      // url, credential, mutex, asn, x509, directory: one SCO with a few native properties.
      struct F {
        std::string_view name, sco, prop, relation, type;
      };
      static constexpr F kFields[] = {
          {"url", "url", "value", "url", "url"},
          {"credential", "user-account", "user_id", "username", "text"},
          {"credential", "user-account", "credential", "password", "text"},
          {"mutex", "mutex", "name", "name", "mutex"},
          {"asn", "autonomous-system", "number", "asn", "AS"},
          {"asn", "autonomous-system", "name", "description", "text"},
          {"x509", "x509-certificate", "issuer", "issuer", "text"},
          {"x509", "x509-certificate", "serial_number", "serial-number", "text"},
          {"x509", "x509-certificate", "signature_algorithm", "signature_algorithm", "text"},
          {"x509", "x509-certificate", "subject", "subject", "text"},
          {"x509", "x509-certificate", "validity_not_before", "validity-not-before", "datetime"},
          {"x509", "x509-certificate", "validity_not_after", "validity-not-after", "datetime"},
          {"x509", "x509-certificate", "version", "version", "text"},
          {"x509", "x509-certificate", "subject_public_key_algorithm", "pubkey-info-algorithm",
           "text"},
          {"x509", "x509-certificate", "subject_public_key_modulus", "pubkey-info-modulus", "text"},
          {"x509", "x509-certificate", "subject_public_key_exponent", "pubkey-info-exponent",
           "text"},
          {"directory", "directory", "path", "path", "text"},
          {"directory", "directory", "path_enc", "path-encoding", "text"},
          {"directory", "directory", "ctime", "creation-time", "datetime"},
          {"directory", "directory", "mtime", "modification-time", "datetime"},
          {"directory", "directory", "atime", "access-time", "datetime"},
      };
      Node sco;
      for (const auto& f : kFields) {
        if (f.name != name) continue;
        sco = Get(std::string(f.sco) + "--" + uuid);
        std::string v = Str(sco[f.prop]);
        if (f.type == "AS" && !v.empty()) v = "AS" + v;
        out.Add(f.relation, f.type, v);
      }
      if (name == "x509") {
        for (auto [h, v] : sco["hashes"]) {
          if (const HashName* hn = FindHashBySco(h)) {
            out.Add("x509-fingerprint-" + std::string(hn->misp),
                    "x509-fingerprint-" + std::string(hn->misp), Str(v));
          }
        }
      }
      if (sco.is_object()) AddCustomProperties(out, sco);
    }
    obj.set("Attribute", std::move(out.list));
    return obj;
  }

  // ---- galaxies -----------------------------------------------------------------------------

  Value ReadGalaxy(Node sdo, const Labels& labels) {
    Value g = Value::MakeObject();
    const std::string type = labels.misp.at("galaxy-type");
    g.set("name", labels.misp.count("galaxy-name") ? labels.misp.at("galaxy-name") : type);
    g.set("type", type);
    Value c = Value::MakeObject();
    c.set("uuid", UuidOf(sdo["id"].str()));
    c.set("type", type);
    std::string value =
        sdo["x_misp_value"].is_string() ? Str(sdo["x_misp_value"]) : Str(sdo["name"]);
    Value meta = Value::MakeObject();
    Value refs = Value::MakeArray();
    for (auto [k, r] : sdo["external_references"]) {
      if (r["source_name"].str() == "url") {
        refs.push_back(Value(r["url"].str()));
      } else if (r["external_id"].is_string()) {
        meta.set("external_id", r["external_id"].str());
        if (r["source_name"].str() == "mitre-attack" && !sdo["x_misp_value"].is_string()) {
          value += " - " + Str(r["external_id"]);
        }
      }
    }
    c.set("value", value);
    if (sdo["description"].is_string()) c.set("description", sdo["description"].str());
    if (refs.size()) meta.set("refs", std::move(refs));
    if (sdo["aliases"].is_array()) meta.set("synonyms", Value::From(sdo["aliases"]));
    if (sdo["kill_chain_phases"].is_array()) {
      Value kc = Value::MakeArray();
      for (auto [k, p] : sdo["kill_chain_phases"]) {
        kc.push_back(Value(Str(p["kill_chain_name"]) + ":" + Str(p["phase_name"])));
      }
      meta.set("kill_chain", std::move(kc));
    }
    for (auto [k, v] : sdo) {
      if (k.substr(0, 7) == "x_misp_" && k != "x_misp_value" && k != "x_misp_galaxy_uuid") {
        meta.set(k.substr(7), Value::From(v));
      }
    }
    c.set("meta", std::move(meta));
    Value clusters = Value::MakeArray();
    clusters.push_back(std::move(c));
    g.set("GalaxyCluster", std::move(clusters));
    return g;
  }

  std::unordered_map<std::string, Node> by_id_;
  std::vector<Node> order_;
  std::unordered_map<std::string, std::size_t> object_index_;
  Value event_;
};

}  // namespace

Result<json::Value> StixToMisp(json::Node bundle) {
  Reader reader;
  ENTENTE_RETURN_IF_ERROR(reader.Run(bundle));
  return reader.TakeEvent();
}

}  // namespace entente::formats
