#include "entente/respond/sanctions.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "entente/base/uuid.h"
#include "entente/respond/common.h"
#include "json_util.h"

namespace entente::respond {

using detail::CheckKeys;
using detail::FieldError;

namespace {

constexpr std::size_t kMaxRegisterBytes = 64u << 20;
constexpr std::size_t kMaxListings = 1'000'000;

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::string out;
  for (char c : s) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(c);
  }
  return out;
}

// Aliases implied by parentheses: the name without them, each parenthesised part of an entity
// name, and for a person "A (B) C" the variant "B C".
std::vector<std::string> DerivedAliases(const std::string& name, bool person) {
  std::vector<std::string> out;
  if (name.find('(') == std::string::npos) return out;
  std::string without;
  std::vector<std::string> parts;
  std::size_t depth = 0, start = 0;
  std::string current;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '(') {
      if (depth++ == 0) start = i + 1;
      continue;
    }
    if (c == ')' && depth > 0) {
      if (--depth == 0) parts.push_back(Trim(std::string_view(name).substr(start, i - start)));
      continue;
    }
    if (depth == 0) without.push_back(c);
  }
  std::string base = Trim(without);
  if (!base.empty() && base != name) out.push_back(base);
  if (person) {
    // "Vitaly (Vitaliy) SHEVCHENKO": replace the word before the parenthesis.
    auto open = name.find('(');
    auto close = name.find(')', open);
    if (close != std::string::npos && !parts.empty()) {
      std::string before = Trim(std::string_view(name).substr(0, open));
      auto sp = before.rfind(' ');
      std::string head = sp == std::string::npos ? "" : before.substr(0, sp + 1);
      std::string variant = Trim(head + parts.front() + name.substr(close + 1));
      if (!variant.empty()) out.push_back(variant);
    }
  } else {
    for (const auto& p : parts) {
      if (p.size() >= 3) out.push_back(p);
    }
  }
  return out;
}

Status ReadStrings(json::Node o, std::string_view field, std::string_view where,
                   std::vector<std::string>& out) {
  json::Node a = o[field];
  if (a.missing()) return Status::Ok();
  if (!a.is_array() || a.size() > 1000)
    return FieldError(where, field, "expected an array of strings");
  for (auto [i, s] : a) {
    (void)i;
    if (!s.is_string() || s.str().size() > 4000)
      return FieldError(where, field, "expected an array of strings");
    out.emplace_back(s.str());
  }
  return Status::Ok();
}

void XmlEscape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out.push_back(' ');
        } else {
          out.push_back(c);
        }
    }
  }
}

struct Attr {
  std::string_view key;
  std::string_view value;
};

void Element(std::string& out, int indent, std::string_view tag, std::initializer_list<Attr> attrs,
             bool close) {
  out.append(static_cast<std::size_t>(indent) * 2, ' ');
  out.push_back('<');
  out += tag;
  for (const auto& a : attrs) {
    out.push_back(' ');
    out += a.key;
    out += "=\"";
    XmlEscape(out, a.value);
    out.push_back('"');
  }
  out += close ? "/>\n" : ">\n";
}

void EndElement(std::string& out, int indent, std::string_view tag) {
  out.append(static_cast<std::size_t>(indent) * 2, ' ');
  out += "</";
  out += tag;
  out += ">\n";
}

void TextElement(std::string& out, int indent, std::string_view tag, std::string_view text) {
  out.append(static_cast<std::size_t>(indent) * 2, ' ');
  out += "<";
  out += tag;
  out += ">";
  XmlEscape(out, text);
  out += "</";
  out += tag;
  out += ">\n";
}

// "2020/1125" from "Council Implementing Regulation (EU) 2020/1125, OJ L 246, 30.7.2020, p. 4".
std::string ActNumber(std::string_view act) {
  for (std::size_t i = 0; i + 6 <= act.size(); ++i) {
    if (act[i] >= '1' && act[i] <= '2' && i + 4 < act.size() && act[i + 4] == '/' &&
        std::all_of(act.begin() + i, act.begin() + i + 4,
                    [](char c) { return c >= '0' && c <= '9'; }) &&
        (i == 0 || act[i - 1] == ' ')) {
      std::size_t j = i + 5;
      while (j < act.size() && act[j] >= '0' && act[j] <= '9') ++j;
      bool amended = i >= 9 && act.substr(i - 9, 9) == "amending ";
      bool unverified = act.substr(j, 13) == " not verified";
      if (j > i + 5 && !amended && !unverified) return std::string(act.substr(i, j - i));
    }
  }
  return {};
}

std::string OjReference(std::string_view act) {
  auto p = act.find("OJ L");
  if (p == std::string_view::npos) return {};
  auto end = act.find(',', p);
  return std::string(
      act.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p));
}

// Last name = the words written in capitals ("Dmitry Sergeyevich BADIN" -> BADIN).
void SplitPersonName(const std::string& name, std::string& first, std::string& last) {
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (pos < name.size()) {
    auto end = name.find(' ', pos);
    if (end == std::string::npos) end = name.size();
    if (end > pos) words.push_back(name.substr(pos, end - pos));
    pos = end + 1;
  }
  for (const auto& w : words) {
    bool upper = w.size() > 1 &&
                 std::none_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    std::string& dst = upper ? last : first;
    if (!dst.empty()) dst.push_back(' ');
    dst += w;
  }
}

std::string StixId(std::string_view type, std::string_view name) {
  static const Uuid ns = [] {
    Uuid u{};
    ParseUuid("4e6d9c5a-2a8f-5b1e-9c3d-7f0a1b2c3d4e", u);
    return u;
  }();
  return std::string(type) + "--" + UuidToString(UuidV5(ns, name));
}

}  // namespace

Result<Register> Register::Parse(std::string_view text, std::string_view default_review_date) {
  json::ParseLimits limits;
  limits.max_bytes = kMaxRegisterBytes;
  limits.max_depth = 16;
  limits.max_container_size = kMaxListings;
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, limits).WithContext("sanctions register"));
  json::Node ls = doc.root()["listings"];
  if (!ls.is_array())
    return Status::InvalidArgument("sanctions register: \"listings\" must be an array");
  Register reg;
  reg.listings_.reserve(ls.size());
  std::size_t n = 0;
  for (auto [i, o] : ls) {
    (void)i;
    ++n;
    Listing l;
    std::string where = "sanctions register: listing #" + std::to_string(n);
    if (!o.is_object()) return Status::InvalidArgument(where + ": expected an object");
    ENTENTE_RETURN_IF_ERROR(detail::RequireString(o, "name", where, l.name, 1000));
    where = "sanctions register: listing '" + l.name.substr(0, 80) + "'";
    ENTENTE_RETURN_IF_ERROR(CheckKeys(
        o,
        {"id", "name", "type", "aliases", "transliterations", "identifiers", "nationality",
         "birth_date", "date_listed", "review_date", "status", "reason_summary", "reasons",
         "linked_operation", "linked_incident_ref", "legal_acts", "sources", "note"},
        where));
    char id[32];
    std::snprintf(id, sizeof id, "CYB-%04zu", n);
    l.id = o["id"].is_string() ? std::string(o["id"].str().substr(0, 64)) : std::string(id);
    l.type = std::string(o["type"].str());
    if (l.type != "person" && l.type != "entity")
      return FieldError(where, "type", "expected person|entity");
    ENTENTE_RETURN_IF_ERROR(ReadStrings(o, "aliases", where, l.aliases));
    ENTENTE_RETURN_IF_ERROR(ReadStrings(o, "transliterations", where, l.transliterations));
    for (auto& a : DerivedAliases(l.name, l.type == "person")) {
      if (std::find(l.aliases.begin(), l.aliases.end(), a) == l.aliases.end())
        l.aliases.push_back(a);
    }
    json::Node ids = o["identifiers"];
    if (!ids.missing()) {
      if (!ids.is_array()) return FieldError(where, "identifiers", "expected an array");
      for (auto [k, x] : ids) {
        (void)k;
        Identifier ident;
        ENTENTE_RETURN_IF_ERROR(CheckKeys(x, {"type", "number", "country"}, where + " identifier"));
        ENTENTE_RETURN_IF_ERROR(
            detail::RequireString(x, "type", where + " identifier", ident.type, 64));
        ENTENTE_RETURN_IF_ERROR(
            detail::RequireString(x, "number", where + " identifier", ident.number, 128));
        ident.country = std::string(x["country"].str().substr(0, 2));
        l.identifiers.push_back(std::move(ident));
      }
    }
    l.nationality = std::string(o["nationality"].str().substr(0, 2));
    l.birth_date = std::string(o["birth_date"].str().substr(0, 10));
    l.date_listed = std::string(o["date_listed"].str());
    if (!IsDate(l.date_listed)) return FieldError(where, "date_listed", "expected YYYY-MM-DD");
    l.review_date = o["review_date"].is_string() ? std::string(o["review_date"].str())
                                                 : std::string(default_review_date);
    if (!IsDate(l.review_date)) return FieldError(where, "review_date", "expected YYYY-MM-DD");
    l.status = o["status"].is_string() ? std::string(o["status"].str()) : "active";
    if (l.status != "active" && l.status != "delisted") {
      return FieldError(where, "status", "expected active|delisted");
    }
    l.reasons =
        std::string(o["reasons"].is_string() ? o["reasons"].str() : o["reason_summary"].str());
    l.linked_operation = std::string(o["linked_operation"].str().substr(0, 1000));
    l.linked_incident_ref = std::string(o["linked_incident_ref"].str().substr(0, 200));
    ENTENTE_RETURN_IF_ERROR(ReadStrings(o, "legal_acts", where, l.legal_acts));
    ENTENTE_RETURN_IF_ERROR(ReadStrings(o, "sources", where, l.sources));
    reg.listings_.push_back(std::move(l));
  }
  return reg;
}

Result<Register> Register::Load(const std::string& path, std::string_view default_review_date) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(path, kMaxRegisterBytes));
  auto r = Parse(text, default_review_date);
  if (!r.ok()) return r.status().WithContext(path);
  return r;
}

std::string Register::ExportFsf(std::string_view generation_date) const {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  Element(out, 0, "export",
          {{"xmlns", "http://eu.europa.ec/fpi/fsd/export"},
           {"generationDate", generation_date},
           {"globalFileId", "entente-cyb"}},
          false);
  std::size_t logical = 1;
  for (const auto& l : listings_) {
    const bool person = l.type == "person";
    std::string entity_id = std::to_string(logical++);
    Element(out, 1, "sanctionEntity",
            {{"designationDetails", ""},
             {"unitedNationId", ""},
             {"euReferenceNumber", ""},
             {"logicalId", entity_id},
             {"designationDate", l.date_listed}},
            false);
    if (!l.reasons.empty()) TextElement(out, 2, "remark", l.reasons);
    for (const auto& act : l.legal_acts) {
      std::string number = ActNumber(act);
      std::string oj = OjReference(act);
      std::string title = number.empty() ? act : number + (oj.empty() ? "" : " (" + oj + ")");
      Element(out, 2, "regulation",
              {{"regulationType", "amendment"},
               {"organisationType", "council"},
               {"publicationDate", l.date_listed},
               {"entryIntoForceDate", l.date_listed},
               {"numberTitle", title},
               {"programme", "CYB"},
               {"logicalId", std::to_string(logical++)}},
              false);
      TextElement(out, 3, "publicationUrl", "");
      EndElement(out, 2, "regulation");
    }
    Element(
        out, 2, "subjectType",
        {{"code", person ? "person" : "enterprise"}, {"classificationCode", person ? "P" : "E"}},
        true);
    auto name_alias = [&](const std::string& whole, bool strong) {
      std::string first, last;
      if (person) SplitPersonName(whole, first, last);
      Element(out, 2, "nameAlias",
              {{"firstName", first},
               {"middleName", ""},
               {"lastName", last},
               {"wholeName", whole},
               {"function", ""},
               {"gender", ""},
               {"title", ""},
               {"nameLanguage", ""},
               {"strong", strong ? "true" : "false"},
               {"regulationLanguage", "en"},
               {"logicalId", std::to_string(logical++)}},
              true);
    };
    name_alias(l.name, true);
    for (const auto& a : l.aliases) name_alias(a, false);
    for (const auto& t : l.transliterations) name_alias(t, false);
    for (const auto& id : l.identifiers) {
      Element(out, 2, "identification",
              {{"diplomatic", "false"},
               {"knownExpired", "false"},
               {"knownFalse", "false"},
               {"reportedLost", "false"},
               {"revokedByIssuer", "false"},
               {"number", id.number},
               {"countryIso2Code", id.country.empty() ? "00" : id.country},
               {"countryDescription", id.country.empty() ? "UNKNOWN" : id.country},
               {"identificationTypeCode", id.type},
               {"identificationTypeDescription", id.type},
               {"logicalId", std::to_string(logical++)}},
              true);
    }
    if (person) {
      if (!l.birth_date.empty()) {
        std::string year = l.birth_date.substr(0, 4);
        Element(out, 2, "birthdate",
                {{"circa", "false"},
                 {"calendarType", "GREGORIAN"},
                 {"birthdate", l.birth_date.size() == 10 ? l.birth_date : ""},
                 {"year", year},
                 {"countryIso2Code", "00"},
                 {"countryDescription", "UNKNOWN"}},
                true);
      }
      Element(out, 2, "citizenship",
              {{"region", ""},
               {"countryIso2Code", l.nationality.empty() ? "00" : l.nationality},
               {"countryDescription", l.nationality.empty() ? "UNKNOWN" : l.nationality}},
              true);
    }
    EndElement(out, 1, "sanctionEntity");
  }
  EndElement(out, 0, "export");
  return out;
}

json::Value Register::ExportStix(Timestamp created) const {
  std::string ts = FormatTimestamp(created);
  json::Value objects = json::Value::MakeArray();
  std::unordered_map<std::string, std::string> actors;  // operation -> threat-actor id
  for (const auto& l : listings_) {
    json::Value id = json::Value::MakeObject();
    std::string identity_id = StixId("identity", l.id + "|" + l.name);
    id.set("type", "identity");
    id.set("spec_version", "2.1");
    id.set("id", identity_id);
    id.set("created", ts);
    id.set("modified", ts);
    id.set("name", l.name);
    id.set("identity_class", l.type == "person" ? "individual" : "organization");
    if (!l.reasons.empty()) id.set("description", l.reasons);
    json::Value sanction = json::Value::MakeObject();
    sanction.set("register_id", l.id);
    sanction.set("programme", "CYB");
    sanction.set("status", l.status);
    sanction.set("date_listed", l.date_listed);
    sanction.set("review_date", l.review_date);
    json::Value aliases = json::Value::MakeArray();
    for (const auto& a : l.aliases) aliases.push_back(a);
    for (const auto& a : l.transliterations) aliases.push_back(a);
    sanction.set("aliases", std::move(aliases));
    json::Value acts = json::Value::MakeArray();
    for (const auto& a : l.legal_acts) acts.push_back(a);
    sanction.set("legal_acts", std::move(acts));
    if (!l.nationality.empty()) sanction.set("nationality", l.nationality);
    if (!l.linked_incident_ref.empty()) sanction.set("linked_incident_ref", l.linked_incident_ref);
    id.set("x_entente_sanction", std::move(sanction));
    objects.push_back(std::move(id));
    if (l.linked_operation.empty()) continue;
    auto it = actors.find(l.linked_operation);
    if (it == actors.end()) {
      std::string actor_id = StixId("threat-actor", l.linked_operation);
      json::Value ta = json::Value::MakeObject();
      ta.set("type", "threat-actor");
      ta.set("spec_version", "2.1");
      ta.set("id", actor_id);
      ta.set("created", ts);
      ta.set("modified", ts);
      ta.set("name", l.linked_operation);
      ta.set("description", "Operation named in EU cyber sanctions listings (programme CYB)");
      objects.push_back(std::move(ta));
      it = actors.emplace(l.linked_operation, actor_id).first;
    }
    json::Value rel = json::Value::MakeObject();
    rel.set("type", "relationship");
    rel.set("spec_version", "2.1");
    rel.set("id", StixId("relationship", it->second + "|" + identity_id));
    rel.set("created", ts);
    rel.set("modified", ts);
    rel.set("relationship_type", "attributed-to");
    rel.set("source_ref", it->second);
    rel.set("target_ref", identity_id);
    objects.push_back(std::move(rel));
  }
  json::Value bundle = json::Value::MakeObject();
  bundle.set("type", "bundle");
  bundle.set("id", "bundle--" + UuidToString(UuidV4()));
  bundle.set("objects", std::move(objects));
  return bundle;
}

// --- screening ------------------------------------------------------------------------------

namespace {

constexpr std::size_t kMaxQueryWords = 12;

std::uint32_t Gram(char a, char b, char c) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(a)) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b)) << 8) |
         static_cast<unsigned char>(c);
}

template <typename F>
void ForEachGram(std::string_view w, F&& f) {
  // Trigrams of "^w$".
  char prev2 = '^', prev1 = w.empty() ? '$' : w[0];
  for (std::size_t i = 1; i <= w.size(); ++i) {
    char c = i < w.size() ? w[i] : '$';
    f(Gram(prev2, prev1, c));
    prev2 = prev1;
    prev1 = c;
  }
}

std::size_t MaxEdits(std::size_t len) { return len <= 3 ? 0 : len <= 5 ? 1 : len <= 8 ? 2 : 3; }

// Bit-parallel edit distance (Myers 1999, global form after Hyyro 2001) of `text` against the
// pattern whose match masks are `peq` (pattern length m <= 64).
std::size_t BitEditDistance(const std::array<std::uint64_t, 256>& peq, std::size_t m,
                            std::string_view text) {
  if (m == 0) return text.size();
  const std::uint64_t high = std::uint64_t{1} << (m - 1);
  std::uint64_t pv = m == 64 ? ~std::uint64_t{0} : (high << 1) - 1;
  std::uint64_t mv = 0;
  std::size_t score = m;
  for (char c : text) {
    const std::uint64_t eq = peq[static_cast<unsigned char>(c)];
    const std::uint64_t xv = eq | mv;
    const std::uint64_t xh = (((eq & pv) + pv) ^ pv) | eq;
    std::uint64_t ph = mv | ~(xh | pv);
    std::uint64_t mh = pv & xh;
    if (ph & high) {
      ++score;
    } else if (mh & high) {
      --score;
    }
    ph = (ph << 1) | 1;
    mh <<= 1;
    pv = mh | ~(xv | ph);
    mv = ph & xv;
  }
  return score;
}

std::vector<std::string> Words(const std::string& normalized) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < normalized.size()) {
    auto end = normalized.find(' ', pos);
    if (end == std::string::npos) end = normalized.size();
    if (end > pos) out.push_back(normalized.substr(pos, std::min<std::size_t>(end - pos, 64)));
    pos = end + 1;
  }
  return out;
}

}  // namespace

struct Screener::Index {
  struct Entry {
    std::uint32_t listing;
    std::uint32_t total_len;
    std::string name;  // as written
  };
  std::vector<Entry> entries;
  std::vector<std::string> words;  // dictionary
  std::vector<std::uint8_t> word_len;
  std::vector<std::uint64_t> word_mask;  // letters and digits present
  std::unordered_map<std::string, std::uint32_t> word_ids;
  // gram -> word ids, sorted by word length (after Finish) so a query scans only similar lengths.
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> grams;
  std::vector<std::vector<std::uint32_t>> postings;  // word id -> entry ids

  static std::uint64_t Mask(std::string_view w) {
    std::uint64_t m = 0;
    for (char c : w) {
      if (c >= 'a' && c <= 'z') m |= std::uint64_t{1} << (c - 'a');
      if (c >= '0' && c <= '9') m |= std::uint64_t{1} << (26 + c - '0');
    }
    return m;
  }

  void AddName(std::uint32_t listing, const std::string& name) {
    auto ws = Words(NormalizeName(name));
    if (ws.empty()) return;
    std::uint32_t entry = static_cast<std::uint32_t>(entries.size());
    std::uint32_t total = 0;
    std::vector<std::uint32_t> seen;
    for (const auto& w : ws) {
      auto [it, inserted] = word_ids.emplace(w, static_cast<std::uint32_t>(words.size()));
      if (inserted) {
        words.push_back(w);
        word_len.push_back(static_cast<std::uint8_t>(w.size()));
        word_mask.push_back(Mask(w));
        postings.emplace_back();
        std::vector<std::uint32_t> gs;
        ForEachGram(w, [&](std::uint32_t g) { gs.push_back(g); });
        std::sort(gs.begin(), gs.end());
        gs.erase(std::unique(gs.begin(), gs.end()), gs.end());
        for (auto g : gs) grams[g].push_back(it->second);
      }
      total += static_cast<std::uint32_t>(w.size());
      if (std::find(seen.begin(), seen.end(), it->second) == seen.end()) {
        seen.push_back(it->second);
        postings[it->second].push_back(entry);
      }
    }
    entries.push_back({listing, total, name});
  }

  void Finish() {
    for (auto& [g, list] : grams) {
      (void)g;
      std::stable_sort(list.begin(), list.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return word_len[a] < word_len[b]; });
    }
  }
};

Screener::Screener(const Register& reg) : reg_(reg), index_(std::make_unique<Index>()) {
  const auto& ls = reg_.listings();
  for (std::uint32_t i = 0; i < ls.size(); ++i) {
    index_->AddName(i, ls[i].name);
    for (const auto& a : ls[i].aliases) index_->AddName(i, a);
    for (const auto& t : ls[i].transliterations) index_->AddName(i, t);
  }
  index_->Finish();
}

Screener::~Screener() = default;

std::vector<ScreenMatch> Screener::Screen(std::string_view name, std::size_t max_results,
                                          double min_score) const {
  const Index& ix = *index_;
  std::vector<std::string> query = Words(NormalizeName(name));
  if (query.size() > kMaxQueryWords) query.resize(kMaxQueryWords);
  if (query.empty() || max_results == 0) return {};
  const std::size_t nq = query.size();

  // Per-thread scratch, reset through the touched lists.
  thread_local std::vector<std::uint16_t> tl_gram_hits;
  std::vector<std::uint16_t>& gram_hits = tl_gram_hits;  // one TLS lookup, not one per use
  thread_local std::vector<std::uint32_t> tl_touched_words;
  std::vector<std::uint32_t>& touched_words = tl_touched_words;  // one TLS lookup, not one per use
  thread_local std::vector<std::int32_t> tl_entry_slot;
  std::vector<std::int32_t>& entry_slot = tl_entry_slot;  // one TLS lookup, not one per use
  thread_local std::vector<std::uint32_t> tl_touched_entries;
  std::vector<std::uint32_t>& touched_entries =
      tl_touched_entries;  // one TLS lookup, not one per use
  // Per touched entry and query word: best similarity and the matched word's length.
  thread_local std::vector<std::array<std::pair<float, std::uint8_t>, kMaxQueryWords>> tl_slots;
  auto& slots = tl_slots;
  if (gram_hits.size() < ix.words.size()) gram_hits.assign(ix.words.size(), 0);
  if (entry_slot.size() < ix.entries.size()) entry_slot.assign(ix.entries.size(), -1);
  touched_entries.clear();
  slots.clear();

  double query_len = 0;
  for (const auto& q : query) query_len += static_cast<double>(q.size());

  for (std::size_t qi = 0; qi < nq; ++qi) {
    const std::string& q = query[qi];
    const std::size_t k = MaxEdits(q.size());
    touched_words.clear();
    std::size_t qgrams = 0;
    // Candidate words differ in length by at most 3 (the largest edit budget).
    const std::size_t min_len = q.size() > 3 ? q.size() - 3 : 0;
    const std::size_t max_len = q.size() + 3;
    ForEachGram(q, [&](std::uint32_t g) {
      ++qgrams;
      auto it = ix.grams.find(g);
      if (it == ix.grams.end()) return;
      const auto& list = it->second;
      auto lo =
          std::lower_bound(list.begin(), list.end(), min_len,
                           [&](std::uint32_t w, std::size_t len) { return ix.word_len[w] < len; });
      for (auto p = lo; p != list.end() && ix.word_len[*p] <= max_len; ++p) {
        if (gram_hits[*p]++ == 0) touched_words.push_back(*p);
      }
    });
    const std::uint64_t qmask = Index::Mask(q);
    std::array<std::uint64_t, 256> peq{};
    for (std::size_t j = 0; j < q.size(); ++j) {
      peq[static_cast<unsigned char>(q[j])] |= std::uint64_t{1} << j;
    }
    // Count filter: an edit destroys at most 3 trigrams.
    const std::size_t need = qgrams > 3 * k ? qgrams - 3 * k : 1;
    auto consider = [&](std::uint32_t w, float sim) {
      for (std::uint32_t e : ix.postings[w]) {
        std::int32_t slot = entry_slot[e];
        if (slot < 0) {
          slot = static_cast<std::int32_t>(slots.size());
          entry_slot[e] = slot;
          touched_entries.push_back(e);
          slots.emplace_back();
          for (auto& s : slots.back()) s = {0.0f, 0};
        }
        auto& cell = slots[static_cast<std::size_t>(slot)][qi];
        if (sim > cell.first) cell = {sim, static_cast<std::uint8_t>(ix.words[w].size())};
      }
    };
    for (std::uint32_t w : touched_words) {
      std::size_t hits = gram_hits[w];
      gram_hits[w] = 0;
      if (hits < need) continue;
      // Cheap filters on the packed arrays first; the word itself is read only for survivors.
      const std::size_t cand_len = ix.word_len[w];
      std::size_t kk = std::max(k, MaxEdits(cand_len));
      std::size_t len_diff = cand_len > q.size() ? cand_len - q.size() : q.size() - cand_len;
      if (len_diff > kk) continue;
      // Each edit adds or removes at most one distinct letter on each side.
      const std::uint64_t cmask = ix.word_mask[w];
      if (static_cast<std::size_t>(__builtin_popcountll(qmask & ~cmask)) > kk ||
          static_cast<std::size_t>(__builtin_popcountll(cmask & ~qmask)) > kk) {
        continue;
      }
      const std::string& cand = ix.words[w];
      std::size_t d = BitEditDistance(peq, q.size(), cand);
      if (d > kk) continue;
      float sim =
          1.0f - static_cast<float>(d) / static_cast<float>(std::max(q.size(), cand.size()));
      consider(w, sim);
    }
  }

  // Best entry per listing; the matched name is copied only for the results returned.
  struct Best {
    std::uint32_t listing;
    std::uint32_t entry;
    double score;
  };
  thread_local std::vector<std::int32_t> tl_listing_slot;
  std::vector<std::int32_t>& listing_slot = tl_listing_slot;  // one TLS lookup, not one per use
  if (listing_slot.size() < reg_.listings().size()) listing_slot.assign(reg_.listings().size(), -1);
  std::vector<Best> best;
  for (std::uint32_t e : touched_entries) {
    const auto& row = slots[static_cast<std::size_t>(entry_slot[e])];
    entry_slot[e] = -1;
    double qcov = 0, ncov = 0;
    for (std::size_t qi = 0; qi < nq; ++qi) {
      qcov += row[qi].first * static_cast<double>(query[qi].size());
      ncov += row[qi].first * static_cast<double>(row[qi].second);
    }
    const auto& entry = ix.entries[e];
    double score = 0.7 * (qcov / query_len) + 0.3 * std::min(1.0, ncov / entry.total_len);
    if (score < min_score) continue;
    std::int32_t& slot = listing_slot[entry.listing];
    if (slot < 0) {
      slot = static_cast<std::int32_t>(best.size());
      best.push_back({entry.listing, e, score});
    } else if (score > best[static_cast<std::size_t>(slot)].score) {
      best[static_cast<std::size_t>(slot)].score = score;
      best[static_cast<std::size_t>(slot)].entry = e;
    }
  }
  for (const auto& b : best) listing_slot[b.listing] = -1;
  const std::size_t n = std::min(max_results, best.size());
  std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(n), best.end(),
                    [](const Best& a, const Best& b) {
                      return a.score != b.score ? a.score > b.score : a.listing < b.listing;
                    });
  std::vector<ScreenMatch> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({best[i].listing, best[i].score, ix.entries[best[i].entry].name});
  }
  return out;
}

}  // namespace entente::respond
