#include "entente/stix/validate.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"

namespace entente::stix {

std::string Issue::ToString() const {
  std::string out = object_id.empty() ? std::string("(object)") : object_id;
  out += ": ";
  if (!property.empty()) {
    out += property;
    out += ": ";
  }
  out += rule;
  out += ": ";
  out += message;
  return out;
}

bool IsValidTypeName(std::string_view t) noexcept {
  // ^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$ with length 3..250 (the schema's core.json).
  if (t.size() < 3 || t.size() > 250) return false;
  if (t[0] < 'a' || t[0] > 'z') return false;
  char prev = t[0];
  for (std::size_t i = 1; i < t.size(); ++i) {
    char c = t[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-') return false;
    if (c == '-' && prev == '-') return false;
    prev = c;
  }
  return true;
}

std::string_view IdentifierType(std::string_view id) noexcept {
  std::size_t sep = id.find("--");
  return sep == std::string_view::npos ? std::string_view() : id.substr(0, sep);
}

bool IsIdentifier(std::string_view text) noexcept {
  if (text.size() < 3 + 2 + 36) return false;
  std::string_view type = text.substr(0, text.size() - 38);
  if (text.substr(text.size() - 38, 2) != "--") return false;
  if (!IsValidTypeName(type)) return false;
  return IsUuid(text.substr(text.size() - 36));
}

// ---- JCS (RFC 8785) -------------------------------------------------------------------------

namespace {

// UTF-16 code unit order, which is what RFC 8785 sorts keys by. For strings made only of
// code points below U+10000 this equals byte order of UTF-8 except around surrogates; we
// convert to compare exactly.
std::u16string ToUtf16(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp;
    std::size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      n = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

void AppendEs6Number(std::string& out, const std::string& text) {
  double d = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || !std::isfinite(d)) {
    out += text;  // out of double range: keep what was written
    return;
  }
  if (d == 0) {
    out += '0';
    return;
  }
  if (std::fabs(d) < 1e21 && d == std::floor(d)) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, 0);
    out.append(buf, r.ptr);
    return;
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  // to_chars writes "1e+21" / "1e-07"; ES6 writes "1e+21" / "1e-7".
  std::size_t e = s.find('e');
  if (e != std::string::npos) {
    std::string mant = s.substr(0, e);
    char sign = s[e + 1];
    std::string digits = s.substr(e + 2);
    while (digits.size() > 1 && digits[0] == '0') digits.erase(0, 1);
    s = mant + "e" + (sign == '-' ? "-" : "+") + digits;
  }
  out += s;
}

void AppendCanonical(std::string& out, const json::Value& v) {
  switch (v.kind()) {
    case json::Kind::kNumber:
      AppendEs6Number(out, v.str());
      break;
    case json::Kind::kString:
      json::AppendQuoted(out, v.str());
      break;
    case json::Kind::kArray: {
      out += '[';
      bool first = true;
      for (const auto& item : v.array()) {
        if (!first) out += ',';
        first = false;
        AppendCanonical(out, item);
      }
      out += ']';
      break;
    }
    case json::Kind::kObject: {
      std::vector<std::pair<std::u16string, const json::Value::Member*>> members;
      for (const auto& m : v.object()) members.emplace_back(ToUtf16(m.first), &m);
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      bool first = true;
      for (const auto& [key, m] : members) {
        if (!first) out += ',';
        first = false;
        json::AppendQuoted(out, m->first);
        out += ':';
        AppendCanonical(out, m->second);
      }
      out += '}';
      break;
    }
    default:
      v.SerializeTo(out);
  }
}

}  // namespace

std::string CanonicalJson(const json::Value& value) {
  std::string out;
  AppendCanonical(out, value);
  return out;
}

std::string CanonicalJson(json::Node node) { return CanonicalJson(json::Value::From(node)); }

std::string ComputeScoId(json::Node sco) {
  std::string_view type = sco["type"].str();
  const TypeSpec* spec = FindType(type);
  if (spec == nullptr || spec->id_contributing.empty()) return {};
  json::Value contributing = json::Value::MakeObject();
  for (std::string_view prop : spec->id_contributing) {
    json::Node value = sco[prop];
    if (value.missing()) continue;
    if (prop == "hashes" && value.is_object()) {
      // Section 2.9: of several hashes only one contributes, in this order of preference.
      json::Value one = json::Value::MakeObject();
      for (std::string_view algo : {"MD5", "SHA-1", "SHA-256", "SHA-512"}) {
        if (!value[algo].missing()) {
          one.set(algo, json::Value::From(value[algo]));
          break;
        }
      }
      if (one.size() == 0) {
        for (auto [k, v] : value) {
          one.set(k, json::Value::From(v));
          break;
        }
      }
      contributing.set(prop, std::move(one));
    } else {
      contributing.set(prop, json::Value::From(value));
    }
  }
  if (contributing.size() == 0) return {};
  Uuid ns;
  ParseUuid(kStixScoNamespace, ns);
  std::string out(type);
  out += "--";
  out += UuidToString(UuidV5(ns, CanonicalJson(contributing)));
  return out;
}

// ---- the checker ------------------------------------------------------------------------------

namespace {

// Property lookup by name for one type: its own properties and its class's common ones.
// Open addressing on a cheap hash of length and three characters: property names are short
// and few (under 64 per type), so this beats std::unordered_map by avoiding a full-string hash
// and a division per lookup. Each property also gets a bit, so required properties are
// checked with one mask comparison instead of a lookup each.
class PropertyTable {
 public:
  explicit PropertyTable(const TypeSpec& type, std::span<const PropertySpec> common) {
    for (const PropertySpec& p : common) Add(p);
    for (const PropertySpec& p : type.properties) Add(p);
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      if (specs_[i]->required) required_mask_ |= std::uint64_t{1} << i;
      std::size_t slot = Hash(specs_[i]->name) & kMask;
      while (slots_[slot] != 0) slot = (slot + 1) & kMask;
      slots_[slot] = static_cast<std::uint8_t>(i + 1);
    }
  }
  // The property and its bit index, or nullptr.
  const PropertySpec* Find(std::string_view name, int* bit) const noexcept {
    if (name.empty()) return nullptr;
    for (std::size_t slot = Hash(name) & kMask;; slot = (slot + 1) & kMask) {
      std::uint8_t v = slots_[slot];
      if (v == 0) return nullptr;
      const PropertySpec* p = specs_[v - 1];
      if (json::SameBytes(p->name, name)) {
        *bit = v - 1;
        return p;
      }
    }
  }
  const std::vector<const PropertySpec*>& all() const noexcept { return specs_; }
  std::uint64_t required_mask() const noexcept { return required_mask_; }

 private:
  static constexpr std::size_t kMask = 127;
  static std::size_t Hash(std::string_view n) noexcept {
    return n.size() * 31u + static_cast<unsigned char>(n[0]) * 7u +
           static_cast<unsigned char>(n[n.size() / 2]) * 13u + static_cast<unsigned char>(n.back());
  }
  void Add(const PropertySpec& p) {
    for (auto& existing : specs_) {
      if (existing->name == p.name) {
        existing = &p;  // a type's own definition overrides the common one
        return;
      }
    }
    specs_.push_back(&p);
  }
  std::vector<const PropertySpec*> specs_;  // at most 64
  std::array<std::uint8_t, kMask + 1> slots_{};
  std::uint64_t required_mask_ = 0;
};

constexpr PropertySpec kMarkingCommonForTable[] = {
    {"type", PropKind::kNonEmptyString, true},
    {"spec_version", PropKind::kClosedVocab, true, "2.1"},
    {"id", PropKind::kNonEmptyString, true},
    {"created_by_ref", PropKind::kRef, false, "identity"},
    {"created", PropKind::kTimestampMillis, true},
    {"external_references", PropKind::kExternalReferences},
    {"object_marking_refs", PropKind::kRefList, false, "marking-definition"},
    {"granular_markings", PropKind::kGranularMarkings},
    {"extensions", PropKind::kExtensions},
};

// Tables indexed by the spec's position in AllTypes(): one subtraction per object instead of
// hashing the type name.
const PropertyTable& TableFor(const TypeSpec& type) {
  static const auto* tables = [] {
    auto* v = new std::vector<std::unique_ptr<PropertyTable>>();
    for (const TypeSpec& t : AllTypes()) {
      std::span<const PropertySpec> common =
          t.type == "marking-definition" ? std::span<const PropertySpec>(kMarkingCommonForTable)
                                         : CommonProperties(t.object_class);
      v->push_back(std::make_unique<PropertyTable>(t, common));
    }
    return v;
  }();
  return *(*tables)[static_cast<std::size_t>(&type - AllTypes().data())];
}

const PropertyTable& CustomTable(ObjectClass c) {
  static const TypeSpec kCustomSdo{"x-custom-sdo", ObjectClass::kSdo, {}};
  static const TypeSpec kCustomSco{"x-custom-sco", ObjectClass::kSco, {}};
  static const PropertyTable sdo(kCustomSdo, CommonProperties(ObjectClass::kSdo));
  static const PropertyTable sco(kCustomSco, CommonProperties(ObjectClass::kSco));
  return c == ObjectClass::kSco ? sco : sdo;
}

// Whether `id` is "<type>--<UUID>" for a `type` that already passed IsValidTypeName: then
// IsIdentifier(id) holds and IdentifierType(id) == type. A type ending in '-' is left to the
// general checks, since the first "--" of its id would fall inside the type.
bool IsOwnIdentifier(std::string_view type, std::string_view id) noexcept {
  const std::size_t n = type.size();
  return id.size() == n + 38 && type.back() != '-' && id[n] == '-' && id[n + 1] == '-' &&
         json::SameBytes(id.data(), type.data(), n) && IsUuid(id.substr(n + 2));
}

bool IsCustomPropertyName(std::string_view name) noexcept {
  if (name.size() < 3 || name.size() > 250) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsHex(std::string_view s) noexcept {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool IsIntegerLiteral(std::string_view t) noexcept {
  return !t.empty() && t.find_first_of(".eE") == std::string_view::npos;
}

bool HasMillis(std::string_view ts) noexcept {
  // "...SS.fffZ": at least three fraction digits.
  std::size_t dot = ts.find('.');
  return dot != std::string_view::npos && ts.size() >= dot + 5;
}

bool InList(std::string_view list, std::string_view value) noexcept {
  while (!list.empty()) {
    std::size_t bar = list.find('|');
    std::string_view item = list.substr(0, bar);
    if (json::SameBytes(item, value)) return true;
    if (bar == std::string_view::npos) break;
    list.remove_prefix(bar + 1);
  }
  return false;
}

// Whether an identifier of type `ref_type` may stand in a reference allowing `allowed`.
bool RefTypeAllowed(std::string_view allowed, std::string_view ref_type) noexcept {
  if (allowed.empty()) return true;
  if (InList(allowed, ref_type)) return true;
  const TypeSpec* spec = FindType(ref_type);
  bool is_sco = spec != nullptr && spec->object_class == ObjectClass::kSco;
  bool is_sdo = spec != nullptr && spec->object_class == ObjectClass::kSdo;
  bool custom = spec == nullptr;  // custom types may be either
  if (InList(allowed, "sco") && (is_sco || custom)) return true;
  if (InList(allowed, "sdo") && (is_sdo || custom)) return true;
  return false;
}

struct HashRule {
  std::string_view name;
  std::size_t hex_length;
};
constexpr HashRule kHashRules[] = {{"MD5", 32},      {"SHA-1", 40},    {"SHA-256", 64},
                                   {"SHA-512", 128}, {"SHA3-256", 64}, {"SHA3-512", 128}};

class Checker {
 public:
  Checker(const ValidateOptions& options, bool collect_all, std::vector<Issue>* issues)
      : options_(options), all_(collect_all), issues_(issues) {}

  // Returns false as soon as an error is found unless collecting all.
  bool Run(json::Node obj, ObjectHeader* header) {
    if (!obj.is_object()) return Error("", "object", "a STIX object must be a JSON object");
    json::Node type_node = obj["type"];
    json::Node id_node = obj["id"];
    if (id_node.is_string()) id_ = id_node.str();
    if (!type_node.is_string()) return Error("type", "required", "missing or not a string");
    std::string_view type = type_node.str();
    if (!IsValidTypeName(type)) {
      return Error("type", "type-name",
                   "'" + std::string(type.substr(0, 64)) +
                       "' is not a valid type name (3-250 characters a-z, 0-9, single hyphens)");
    }
    bool ok = true;
    if (!id_node.is_string()) {
      ok = Error("id", "required", "missing or not a string");
    } else if (IsOwnIdentifier(type, id_)) {
      // The usual case, decided without checking the type name a second time.
    } else if (!IsIdentifier(id_)) {
      ok = Error("id", "identifier",
                 "'" + std::string(id_.substr(0, 80)) + "' is not <type>--<RFC 4122 UUID>");
    } else if (IdentifierType(id_) != type) {
      ok = Error("id", "identifier-type",
                 "the id's type prefix '" + std::string(IdentifierType(id_)) +
                     "' differs from type '" + std::string(type) + "'");
    }
    if (!ok && !all_) return false;

    const TypeSpec* spec = FindType(type);
    ObjectClass cls;
    const PropertyTable* table;
    if (spec != nullptr) {
      if (spec->object_class == ObjectClass::kBundle) {
        return Error("type", "bundle", "a bundle cannot be stored as an object");
      }
      cls = spec->object_class;
      table = &TableFor(*spec);
    } else {
      if (!options_.allow_custom_types) {
        return Error("type", "custom-type", "custom type '" + std::string(type) + "' not allowed");
      }
      // Custom SDOs carry created/modified; custom SCOs do not (section 11.1).
      cls = obj["created"].missing() ? ObjectClass::kSco : ObjectClass::kSdo;
      table = &CustomTable(cls);
    }

    // Each present property.
    std::uint64_t seen = 0;
    ObjectHeader h;
    for (auto [name, value] : obj) {
      if (header != nullptr) Capture(h, name, value);
      int bit = 0;
      const PropertySpec* prop = table->Find(name, &bit);
      if (prop != nullptr) {
        seen |= std::uint64_t{1} << bit;
        current_bit_ = bit;
        bool checked = CheckProperty(*prop, name, value);
        current_bit_ = -1;
        if (!checked && !all_) return false;
      } else if (!IsCustomPropertyName(name)) {
        if (!Error(name, "property-name",
                   "property names are 3-250 characters of a-z, 0-9 and '_'") &&
            !all_) {
          return false;
        }
      } else if (!options_.allow_custom_properties) {
        if (!Error(name, "custom-property", "custom properties are not allowed") && !all_)
          return false;
      }
    }
    table_ = table;
    seen_ = seen;
    // Required ones.
    if (std::uint64_t missing = table->required_mask() & ~seen; missing != 0) {
      const auto& specs = table->all();
      for (std::size_t i = 0; i < specs.size(); ++i) {
        if ((missing >> i) & 1) {
          if (!Error(specs[i]->name, "required", "required property is missing") && !all_)
            return false;
        }
      }
    }
    if (spec != nullptr && !spec->at_least_one_of.empty()) {
      bool any = false;
      for (std::string_view p : spec->at_least_one_of) any = any || !obj[p].missing();
      if (!any) {
        std::string names;
        for (std::string_view p : spec->at_least_one_of) {
          if (!names.empty()) names += ", ";
          names += p;
        }
        if (!Error("", "at-least-one-of", "needs at least one of: " + names) && !all_) return false;
      }
    }
    if (!TypeRules(type, obj) && !all_) return false;
    if (cls == ObjectClass::kSco && options_.check_sco_ids && failed_ == 0) CheckScoId(obj);

    if (failed_ > 0) return false;
    if (header != nullptr) {
      h.id = id_;
      h.type = type;
      if (h.name.empty()) h.name = h.value;
      h.custom_type = spec == nullptr;
      h.object_class = cls;
      h.node = obj;
      *header = h;
    }
    return true;
  }

 private:
  // The header's fields, picked up in the one pass over the members (no lookups after).
  static void Capture(ObjectHeader& h, std::string_view name, json::Node value) noexcept {
    switch (name.size()) {
      case 4:
        if (name == "name") h.name = value.str();
        break;
      case 5:
        if (name == "value") h.value = value.str();
        break;
      case 6:
        if (name == "labels") h.labels = value;
        break;
      case 7:
        if (name == "created")
          h.created = value.str();
        else if (name == "revoked")
          h.revoked = value.boolean();
        break;
      case 8:
        if (name == "modified") h.modified = value.str();
        break;
      case 11:
        if (name == "description") h.description = value.str();
        break;
      case 12:
        if (name == "spec_version") h.spec_version = value.str();
        break;
      case 14:
        if (name == "created_by_ref") h.created_by_ref = value.str();
        break;
      case 19:
        if (name == "object_marking_refs") h.object_marking_refs = value;
        break;
      default:
        break;
    }
  }

  bool Error(std::string_view property, std::string_view rule, std::string message) {
    ++failed_;
    if (issues_ != nullptr) {
      issues_->push_back({Issue::Severity::kError, std::string(id_), std::string(property),
                          std::string(rule), std::move(message)});
    }
    return false;
  }
  void Warn(std::string_view property, std::string_view rule, std::string message) {
    if (issues_ != nullptr) {
      issues_->push_back({Issue::Severity::kWarning, std::string(id_), std::string(property),
                          std::string(rule), std::move(message)});
    }
  }

  bool CheckTimestamp(std::string_view prop, json::Node v, bool millis) {
    if (!v.is_string()) return Error(prop, "timestamp", "must be a string timestamp");
    std::string_view s = v.str();
    Timestamp t;
    if (!TryParseTimestamp(s, &t)) {
      return Error(prop, "timestamp", ParseTimestamp(s, "value").status().message());
    }
    if (millis && !HasMillis(s)) {
      return Error(prop, "timestamp-precision",
                   "'" + std::string(s) + "' must be precise to at least the millisecond");
    }
    if (current_bit_ >= 0 && parsed_count_ < kParsedSlots) {
      parsed_[parsed_count_++] = {current_bit_, s, t};
    }
    return true;
  }

  // The member `name` as a valid timestamp, for the time-order rules: false when it is absent,
  // not a string or not a timestamp (the property checks report those). Uses the member pass's
  // presence bits and the values CheckTimestamp parsed, so a present member is neither looked
  // up nor parsed again and an absent one costs no scan.
  bool TimestampMember(json::Node obj, std::string_view name, std::string_view* text,
                       Timestamp* t) const noexcept {
    int bit = -1;
    if (table_ != nullptr && table_->Find(name, &bit) != nullptr) {
      if (((seen_ >> bit) & 1) == 0) return false;
      for (std::size_t i = 0; i < parsed_count_; ++i) {
        if (parsed_[i].bit == bit) {
          *text = parsed_[i].text;
          *t = parsed_[i].value;
          return true;
        }
      }
    }
    json::Node n = obj[name];
    if (!n.is_string()) return false;
    *text = n.str();
    return TryParseTimestamp(*text, t);
  }

  // `index` >= 0 names the list item in the error (the path is built only on failure).
  bool CheckRef(std::string_view name, json::Node v, std::string_view allowed, long index = -1) {
    std::string indexed;
    std::string_view prop = name;
    auto path = [&]() -> std::string_view {
      if (index >= 0 && indexed.empty()) {
        indexed = std::string(name) + "[" + std::to_string(index) + "]";
        prop = indexed;
      }
      return prop;
    };
    if (!v.is_string()) return Error(path(), "ref", "must be an identifier string");
    std::string_view ref = v.str();
    if (!IsIdentifier(ref)) {
      return Error(path(), "ref", "'" + std::string(ref.substr(0, 80)) + "' is not an identifier");
    }
    if (!RefTypeAllowed(allowed, IdentifierType(ref))) {
      std::string allowed_text(allowed);
      std::replace(allowed_text.begin(), allowed_text.end(), '|', ',');
      return Error(
          path(), "ref-type",
          "refers to a " + std::string(IdentifierType(ref)) + " but must refer to " + allowed_text);
    }
    return true;
  }

  bool NonEmptyList(std::string_view prop, json::Node v) {
    if (!v.is_array()) return Error(prop, "list", "must be a list");
    if (v.size() == 0) return Error(prop, "list", "must not be empty");
    return true;
  }

  bool CheckProperty(const PropertySpec& p, std::string_view name, json::Node v) {
    using K = PropKind;
    switch (p.kind) {
      case K::kString:
      case K::kOpenVocab:
        return v.is_string() || Error(name, "string", "must be a string");
      case K::kNonEmptyString:
        if (!v.is_string()) return Error(name, "string", "must be a string");
        return !v.str().empty() || Error(name, "string", "must not be empty");
      case K::kClosedVocab:
        if (!v.is_string()) return Error(name, "string", "must be a string");
        if (!InList(p.refs_or_vocab, v.str())) {
          std::string allowed(p.refs_or_vocab);
          std::replace(allowed.begin(), allowed.end(), '|', ',');
          return Error(name, "vocabulary",
                       "'" + std::string(v.str().substr(0, 64)) + "' is not one of: " + allowed);
        }
        return true;
      case K::kTimestamp:
        return CheckTimestamp(name, v, false);
      case K::kTimestampMillis:
        return CheckTimestamp(name, v, true);
      case K::kBoolean:
        return v.is_bool() || Error(name, "boolean", "must be true or false");
      case K::kInteger: {
        if (!v.is_number() || !IsIntegerLiteral(v.number_text())) {
          return Error(name, "integer", "must be an integer");
        }
        auto n = v.as_int64();
        if (!n) return Error(name, "integer-range", "integer out of range");
        if (p.max > p.min && (*n < p.min || *n > p.max)) {
          return Error(name, "integer-range",
                       std::to_string(*n) + " is outside " + std::to_string(p.min) + ".." +
                           std::to_string(p.max));
        }
        return true;
      }
      case K::kNumber:
        return v.is_number() || Error(name, "number", "must be a number");
      case K::kRef:
        return CheckRef(name, v, p.refs_or_vocab);
      case K::kRefList: {
        if (!NonEmptyList(name, v)) return false;
        long i = 0;
        for (auto [k, item] : v) {
          if (!CheckRef(name, item, p.refs_or_vocab, i++)) return false;
        }
        return true;
      }
      case K::kStringList:
      case K::kOpenVocabList: {
        if (!NonEmptyList(name, v)) return false;
        for (auto [k, item] : v) {
          if (!item.is_string()) return Error(name, "string-list", "every item must be a string");
        }
        return true;
      }
      case K::kList:
        return NonEmptyList(name, v);
      case K::kHashes:
        return CheckHashes(name, v);
      case K::kDictionary:
      case K::kObject:
        if (!v.is_object()) return Error(name, "dictionary", "must be an object");
        for (auto [key, item] : v) {
          if (key.empty() || key.size() > 250) {
            return Error(name, "dictionary-key", "keys are 1-250 characters");
          }
        }
        return true;
      case K::kKillChainPhases: {
        if (!NonEmptyList(name, v)) return false;
        for (auto [k, phase] : v) {
          if (!phase.is_object() || !phase["kill_chain_name"].is_string() ||
              !phase["phase_name"].is_string() || phase["kill_chain_name"].str().empty() ||
              phase["phase_name"].str().empty()) {
            return Error(name, "kill-chain-phase",
                         "each phase needs string kill_chain_name and phase_name");
          }
        }
        return true;
      }
      case K::kExternalReferences: {
        if (!NonEmptyList(name, v)) return false;
        std::size_t i = 0;
        for (auto [k, ref] : v) {
          auto where = [&] { return std::string(name) + "[" + std::to_string(i) + "]"; };
          if (!ref.is_object()) return Error(where(), "external-reference", "must be an object");
          if (!ref["source_name"].is_string() || ref["source_name"].str().empty()) {
            return Error(where() + ".source_name", "required", "source_name is required");
          }
          for (std::string_view s : {"description", "url", "external_id"}) {
            if (!ref[s].missing() && !ref[s].is_string()) {
              return Error(where() + "." + std::string(s), "string", "must be a string");
            }
          }
          if (!ref["hashes"].missing() && !CheckHashes(where() + ".hashes", ref["hashes"]))
            return false;
          ++i;
        }
        return true;
      }
      case K::kGranularMarkings: {
        if (!NonEmptyList(name, v)) return false;
        std::size_t i = 0;
        for (auto [k, gm] : v) {
          std::string where = std::string(name) + "[" + std::to_string(i++) + "]";
          if (!gm.is_object()) return Error(where, "granular-marking", "must be an object");
          json::Node selectors = gm["selectors"];
          if (!selectors.is_array() || selectors.size() == 0) {
            return Error(where + ".selectors", "required",
                         "a non-empty list of selectors is required");
          }
          bool has_ref = !gm["marking_ref"].missing(), has_lang = !gm["lang"].missing();
          if (has_ref == has_lang) {
            return Error(where, "granular-marking",
                         "exactly one of marking_ref and lang is required");
          }
          if (has_ref &&
              !CheckRef(where + ".marking_ref", gm["marking_ref"], "marking-definition")) {
            return false;
          }
        }
        return true;
      }
      case K::kExtensions: {
        if (!v.is_object() || v.size() == 0) {
          return Error(name, "extensions", "must be a non-empty object");
        }
        for (auto [key, ext] : v) {
          std::string where = std::string(name) + "." + std::string(key);
          bool predefined =
              key.size() > 4 && key.substr(key.size() - 4) == "-ext" && IsValidTypeName(key);
          bool defined = key.starts_with("extension-definition--") && IsIdentifier(key);
          if (!predefined && !defined) {
            return Error(where, "extension-name",
                         "keys are '<name>-ext' or an extension-definition identifier");
          }
          if (!ext.is_object()) return Error(where, "extension", "must be an object");
        }
        return true;
      }
      case K::kBinary:
        if (!v.is_string()) return Error(name, "binary", "must be a base64 string");
        if (!Base64Decode(v.str()).ok()) return Error(name, "binary", "is not valid base64");
        return true;
      case K::kHex:
        if (!v.is_string() || v.str().size() % 2 != 0 || !IsHex(v.str())) {
          return Error(name, "hex", "must be a string of hex digit pairs");
        }
        return true;
    }
    return true;
  }

  bool CheckHashes(std::string_view where, json::Node v) {
    if (!v.is_object() || v.size() == 0)
      return Error(where, "hashes", "must be a non-empty object");
    for (auto [algo, value] : v) {
      if (algo.empty() || algo.size() > 250)
        return Error(where, "hashes", "algorithm names are 1-250 characters");
      if (!value.is_string()) {
        return Error(std::string(where) + "." + std::string(algo), "hashes", "must be a string");
      }
      for (const HashRule& r : kHashRules) {
        if (algo == r.name && (value.str().size() != r.hex_length || !IsHex(value.str()))) {
          return Error(std::string(where) + "." + std::string(algo), "hash-value",
                       "must be " + std::to_string(r.hex_length) + " hex digits");
        }
      }
    }
    return true;
  }

  // `later` must not be before `earlier` when both are present.
  bool Ordered(json::Node obj, std::string_view earlier, std::string_view later,
               bool strict = false) {
    std::string_view a, b;
    Timestamp ta, tb;
    if (!TimestampMember(obj, earlier, &a, &ta) || !TimestampMember(obj, later, &b, &tb)) {
      return true;  // absent, or reported by the property check
    }
    if (strict ? tb > ta : tb >= ta) return true;
    return Error(later, "time-order",
                 std::string(later) + " '" + std::string(b) + "' must be " +
                     (strict ? "later than " : "no earlier than ") + std::string(earlier) + " '" +
                     std::string(a) + "'");
  }

  bool TypeRules(std::string_view type, json::Node obj) {
    bool ok = Ordered(obj, "created", "modified");
    if (type == "indicator") {
      ok = Ordered(obj, "valid_from", "valid_until", true) && ok;
    } else if (type == "malware") {
      if (obj["is_family"].boolean() && obj["name"].missing()) {
        ok = Error("name", "required", "a malware family (is_family true) needs a name");
      }
      ok = Ordered(obj, "first_seen", "last_seen") && ok;
    } else if (type == "observed-data") {
      ok = Ordered(obj, "first_observed", "last_observed") && ok;
      if (!obj["objects"].missing() && !obj["object_refs"].missing()) {
        ok = Error("objects", "exclusive", "objects and object_refs must not both be present");
      }
    } else if (type == "sighting") {
      ok = Ordered(obj, "first_seen", "last_seen") && ok;
    } else if (type == "campaign" || type == "intrusion-set" || type == "threat-actor" ||
               type == "infrastructure") {
      ok = Ordered(obj, "first_seen", "last_seen") && ok;
    } else if (type == "relationship") {
      ok = Ordered(obj, "start_time", "stop_time", true) && ok;
    } else if (type == "location") {
      json::Node lat = obj["latitude"], lon = obj["longitude"];
      if (lat.missing() != lon.missing()) {
        ok = Error(lat.missing() ? "latitude" : "longitude", "required",
                   "latitude and longitude go together");
      }
      if (auto d = lat.as_double(); d && (*d < -90 || *d > 90)) {
        ok = Error("latitude", "range", "must be between -90 and 90");
      }
      if (auto d = lon.as_double(); d && (*d < -180 || *d > 180)) {
        ok = Error("longitude", "range", "must be between -180 and 180");
      }
      if (!obj["precision"].missing() && lat.missing()) {
        ok = Error("precision", "requires", "precision needs latitude and longitude");
      }
    } else if (type == "artifact") {
      if (!obj["payload_bin"].missing() && !obj["url"].missing()) {
        ok = Error("url", "exclusive", "payload_bin and url must not both be present");
      }
      if (!obj["url"].missing() && obj["hashes"].missing()) {
        ok = Error("hashes", "required", "an artifact with a url needs hashes");
      }
    } else if (type == "email-message") {
      bool multipart = obj["is_multipart"].boolean();
      if (multipart && !obj["body"].missing()) {
        ok = Error("body", "exclusive", "a multipart message uses body_multipart, not body");
      }
      if (!multipart && !obj["body_multipart"].missing()) {
        ok = Error("body_multipart", "exclusive", "body_multipart needs is_multipart true");
      }
    } else if (type == "network-traffic") {
      ok = Ordered(obj, "start", "end") && ok;
      if (obj["is_active"].boolean() && !obj["end"].missing()) {
        ok = Error("end", "exclusive", "an active flow (is_active true) has no end");
      }
    }
    return ok;
  }

  void CheckScoId(json::Node obj) {
    if (id_.size() < 36) return;
    Uuid u;
    if (!ParseUuid(id_.substr(id_.size() - 36), u) || (u[6] >> 4) != 5) return;
    std::string expected = ComputeScoId(obj);
    if (!expected.empty() && expected != id_) {
      Warn("id", "sco-id",
           "a v5 id should be " + expected + " for these id-contributing properties");
    }
  }

  const ValidateOptions& options_;
  bool all_;
  std::vector<Issue>* issues_;
  std::string_view id_;
  int failed_ = 0;
  // Timestamps parsed by the property checks, reused by the time-order rules.
  struct ParsedTimestamp {
    int bit;  // the property's bit in table_
    std::string_view text;
    Timestamp value;
  };
  static constexpr std::size_t kParsedSlots = 6;
  std::array<ParsedTimestamp, kParsedSlots> parsed_;
  std::size_t parsed_count_ = 0;
  // Set by the member pass: the type's property table, which of its properties are present,
  // and the bit of the property being checked (-1 outside the pass).
  const PropertyTable* table_ = nullptr;
  std::uint64_t seen_ = 0;
  int current_bit_ = -1;
};

}  // namespace

Validator::Validator(ValidateOptions options) : options_(options) {}

Status Validator::Check(json::Node object, ObjectHeader* header) const {
  // Fast path: no issue list; on failure run again collecting, to build the message.
  Checker fast(options_, false, nullptr);
  if (fast.Run(object, header)) return Status::Ok();
  std::vector<Issue> issues;
  Checker slow(options_, false, &issues);
  slow.Run(object, nullptr);
  for (const Issue& issue : issues) {
    if (issue.severity == Issue::Severity::kError) return Status::InvalidArgument(issue.ToString());
  }
  return Status::InvalidArgument("invalid object");
}

std::vector<Issue> Validator::CheckAll(json::Node object) const {
  std::vector<Issue> issues;
  Checker checker(options_, true, &issues);
  checker.Run(object, nullptr);
  return issues;
}

}  // namespace entente::stix
