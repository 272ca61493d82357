#include "entente/attribute/engine.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "entente/base/bytes.h"
#include "entente/base/file.h"

namespace entente::attribute {

namespace {

constexpr double kBackgroundAlpha = 0.5;  // additive smoothing of the background distributions
constexpr double kExplainEpsilon = 0.05;  // contributions smaller than this are not listed

// Incremental SHA-256 for profile versions.
class Hasher {
 public:
  Hasher() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Hasher() { EVP_MD_CTX_free(ctx_); }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Add(std::string_view s) {
    std::uint64_t n = s.size();
    EVP_DigestUpdate(ctx_, &n, sizeof n);
    EVP_DigestUpdate(ctx_, s.data(), s.size());
  }
  void Add(double d) {
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.17g", d);
    Add(std::string_view(buf, static_cast<std::size_t>(n)));
  }
  std::string Hex16() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    return HexEncode(ByteView(md, 8));
  }

 private:
  EVP_MD_CTX* ctx_;
};

// log(P(x | g) / B(x)) with P(x | g) = lambda * (n + mu B) / (N + mu) + (1 - lambda) B: a
// Dirichlet-smoothed profile (mu) interpolated with the background (lambda, the chance that an
// incident item comes from what the profile already documents). A group with no data (N = 0)
// scores 0; an item the group lacks costs at most log(1 - lambda + ...), whatever its size.
double LogRatio(double n, double total, double bg, double mu, double lambda) {
  double in_profile = (n + mu * bg) / ((total + mu) * bg);
  return std::log(lambda * in_profile + (1.0 - lambda));
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

std::string_view ConfidenceName(Confidence c) noexcept {
  switch (c) {
    case Confidence::kLow:
      return "low";
    case Confidence::kModerate:
      return "moderate";
    case Confidence::kHigh:
      return "high";
  }
  return "low";
}

std::vector<GroupFeatures> FeaturesFromKb(const KnowledgeBase& kb) {
  std::vector<GroupFeatures> out;
  out.reserve(kb.groups().size());
  for (const auto& g : kb.groups()) out.push_back({g.techniques, g.software});
  return out;
}

// ---------------------------------------------------------------------------------- Model

Result<Model> Model::FromJson(json::Node node) {
  if (!node.is_object()) return Status::InvalidArgument("model: expected an object");
  Model m;
  struct Field {
    const char* name;
    double* value;
  };
  ModelParams& p = m.params;
  Field params[] = {{"mu_technique", &p.mu_technique},
                    {"mu_software", &p.mu_software},
                    {"lambda_technique", &p.lambda_technique},
                    {"lambda_software", &p.lambda_software},
                    {"lambda_history", &p.lambda_history},
                    {"weight_technique", &p.weight_technique},
                    {"weight_software", &p.weight_software},
                    {"credit_parent", &p.credit_parent},
                    {"credit_sibling", &p.credit_sibling},
                    {"credit_implied", &p.credit_implied},
                    {"software_implies", &p.software_implies},
                    {"prior_size", &p.prior_size},
                    {"temperature", &p.temperature},
                    {"size_exponent", &p.size_exponent},
                    {"unknown_actor", &p.unknown_actor},
                    {"mu_history", &p.mu_history},
                    {"weight_infrastructure", &p.weight_infrastructure},
                    {"weight_artefact", &p.weight_artefact},
                    {"weight_sector", &p.weight_sector},
                    {"weight_country", &p.weight_country},
                    {"weight_hour", &p.weight_hour}};
  double min_items = static_cast<double>(m.calibration.min_items_high);
  Field cal[] = {{"high", &m.calibration.high},
                 {"moderate", &m.calibration.moderate},
                 {"min_items_high", &min_items}};
  auto read = [](json::Node obj, std::string_view what, auto& fields) -> Status {
    if (obj.missing()) return Status::Ok();
    if (!obj.is_object())
      return Status::InvalidArgument("model: " + std::string(what) + " is not an object");
    for (auto [key, v] : obj) {
      bool known = false;
      for (auto& f : fields) {
        if (key != f.name) continue;
        auto d = v.as_double();
        if (!d || !std::isfinite(*d) || *d < 0) {
          return Status::InvalidArgument("model: " + std::string(what) + "." + std::string(key) +
                                         " must be a non-negative number");
        }
        *f.value = *d;
        known = true;
      }
      if (!known) {
        return Status::InvalidArgument("model: unknown member " + std::string(what) + "." +
                                       std::string(key.substr(0, 64)));
      }
    }
    return Status::Ok();
  };
  ENTENTE_RETURN_IF_ERROR(read(node["params"], "params", params));
  ENTENTE_RETURN_IF_ERROR(read(node["calibration"], "calibration", cal));
  if (p.temperature <= 0) return Status::InvalidArgument("model: temperature must be > 0");
  for (double l : {p.lambda_technique, p.lambda_software, p.lambda_history}) {
    if (l <= 0 || l > 1) return Status::InvalidArgument("model: lambdas must be in (0, 1]");
  }
  if (m.calibration.high > 1 || m.calibration.moderate > m.calibration.high) {
    return Status::InvalidArgument("model: need 0 <= moderate <= high <= 1");
  }
  m.calibration.min_items_high = static_cast<std::size_t>(min_items);
  return m;
}

Result<Model> Model::FromFile(const std::string& path) {
  auto read = ReadFileToString(path);
  if (!read.ok()) return read.status().WithContext("model");
  std::string text = std::move(read).value();
  json::Document doc;
  Status s = doc.Parse(text);
  if (!s.ok()) return s.WithContext(path);
  auto m = FromJson(doc.root());
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

json::Value Model::ToJson() const {
  const ModelParams& p = params;
  json::Value ps = json::Value::MakeObject();
  ps.set("mu_technique", p.mu_technique);
  ps.set("mu_software", p.mu_software);
  ps.set("lambda_technique", p.lambda_technique);
  ps.set("lambda_software", p.lambda_software);
  ps.set("lambda_history", p.lambda_history);
  ps.set("weight_technique", p.weight_technique);
  ps.set("weight_software", p.weight_software);
  ps.set("credit_parent", p.credit_parent);
  ps.set("credit_sibling", p.credit_sibling);
  ps.set("credit_implied", p.credit_implied);
  ps.set("software_implies", p.software_implies);
  ps.set("prior_size", p.prior_size);
  ps.set("size_exponent", p.size_exponent);
  ps.set("temperature", p.temperature);
  ps.set("unknown_actor", p.unknown_actor);
  ps.set("mu_history", p.mu_history);
  ps.set("weight_infrastructure", p.weight_infrastructure);
  ps.set("weight_artefact", p.weight_artefact);
  ps.set("weight_sector", p.weight_sector);
  ps.set("weight_country", p.weight_country);
  ps.set("weight_hour", p.weight_hour);
  json::Value c = json::Value::MakeObject();
  c.set("high", calibration.high);
  c.set("moderate", calibration.moderate);
  c.set("min_items_high", static_cast<std::uint64_t>(calibration.min_items_high));
  json::Value out = json::Value::MakeObject();
  out.set("params", std::move(ps));
  out.set("calibration", std::move(c));
  return out;
}

// ---------------------------------------------------------------------------------- Build

double ProfileSet::StringChannel::Count(std::uint32_t g, std::uint32_t v) const {
  const auto& row = counts[g];
  auto it = std::lower_bound(row.begin(), row.end(), std::make_pair(v, -1.0f));
  return it != row.end() && it->first == v ? it->second : 0.0;
}

ProfileSet ProfileSet::Build(const KnowledgeBase& kb, const ModelParams& params,
                             const std::vector<GroupFeatures>* features, bool with_versions) {
  ProfileSet ps;
  ps.kb_ = &kb;
  ps.params_ = params;
  ps.groups_ = kb.groups().size();
  ps.vt_ = kb.techniques().size();
  ps.vs_ = kb.software().size();
  ps.features_ = features && features->size() == ps.groups_ ? *features : FeaturesFromKb(kb);
  const std::size_t G = ps.groups_, VT = ps.vt_, VS = ps.vs_;
  ps.tech_n_.assign(G * VT, 0.0f);
  ps.soft_n_.assign(G * VS, 0.0f);
  ps.tech_total_.assign(G, 0.0);
  ps.soft_total_.assign(G, 0.0);
  ps.technique_df_.assign(VT, 0);
  ps.software_df_.assign(VS, 0);
  const auto& techniques = kb.techniques();
  for (std::size_t g = 0; g < G; ++g) {
    float* n = ps.tech_n_.data() + g * VT;
    auto credit = [&](std::uint32_t t, double c) {
      if (t < VT && n[t] < c) n[t] = static_cast<float>(c);
    };
    const GroupFeatures& f = ps.features_[g];
    for (std::uint32_t s : f.software) {
      if (s >= VS) continue;
      for (std::uint32_t t : kb.software()[s].techniques) credit(t, params.credit_implied);
    }
    for (std::uint32_t t : f.techniques) {
      if (t >= VT) continue;
      const Technique& tech = techniques[t];
      if (tech.parent != kNone) {
        credit(tech.parent, params.credit_parent);
        for (std::uint32_t sib : techniques[tech.parent].children)
          credit(sib, params.credit_sibling);
      }
      for (std::uint32_t child : tech.children) credit(child, params.credit_parent);
    }
    for (std::uint32_t t : f.techniques) {
      if (t < VT) n[t] = 1.0f, ++ps.technique_df_[t];
    }
    double total = 0;
    for (std::size_t t = 0; t < VT; ++t) total += n[t];
    ps.tech_total_[g] = total;
    float* sn = ps.soft_n_.data() + g * VS;
    for (std::uint32_t s : f.software) {
      if (s < VS) sn[s] = 1.0f, ++ps.software_df_[s];
    }
    ps.soft_total_[g] = static_cast<double>(f.software.size());
  }
  auto background = [&](const std::vector<float>& n, std::size_t V, std::vector<double>& out) {
    out.assign(V, 0.0);
    double sum = 0;
    for (std::size_t g = 0; g < G; ++g) {
      const float* row = n.data() + g * V;
      for (std::size_t v = 0; v < V; ++v) out[v] += row[v];
    }
    for (double x : out) sum += x;
    double denom = sum + kBackgroundAlpha * static_cast<double>(V);
    for (double& x : out) x = (x + kBackgroundAlpha) / denom;
  };
  background(ps.tech_n_, VT, ps.tech_bg_);
  background(ps.soft_n_, VS, ps.soft_bg_);
  // Tempered profile sizes: N_eff = N^gamma * mean^(1 - gamma). gamma = 1 is the plain
  // categorical model, where a group documented across many campaigns is penalised for its
  // breadth on every match; gamma < 1 softens that (pivoted length normalisation).
  auto temper = [&](std::vector<double>& totals) {
    double mean = 0;
    std::size_t nonzero = 0;
    for (double t : totals) {
      if (t > 0) mean += t, ++nonzero;
    }
    if (nonzero == 0) return;
    mean /= static_cast<double>(nonzero);
    for (double& t : totals) {
      if (t > 0) t = std::pow(t, params.size_exponent) * std::pow(mean, 1.0 - params.size_exponent);
    }
  };
  temper(ps.tech_total_);
  temper(ps.soft_total_);

  // History channels from attributed incidents.
  auto init = [&](StringChannel& c, double weight) {
    c.counts.assign(G, {});
    c.totals.assign(G, 0.0);
    c.mu = params.mu_history;
    c.weight = weight;
  };
  init(ps.infrastructure_, params.weight_infrastructure);
  init(ps.artefact_, params.weight_artefact);
  init(ps.sector_, params.weight_sector);
  init(ps.country_, params.weight_country);
  init(ps.hour_, params.weight_hour);
  std::vector<std::unordered_map<std::uint32_t, float>> tmp;
  auto feed = [&](StringChannel& c, std::uint32_t g, const std::string& value,
                  std::vector<std::unordered_map<std::uint32_t, float>>& acc) {
    auto [it, fresh] = c.vocab.emplace(value, static_cast<std::uint32_t>(c.vocab.size()));
    (void)fresh;
    acc[g][it->second] += 1.0f;
  };
  StringChannel* channels[] = {&ps.infrastructure_, &ps.artefact_, &ps.sector_, &ps.country_,
                               &ps.hour_};
  for (int ci = 0; ci < 5; ++ci) {
    StringChannel& c = *channels[ci];
    std::vector<std::unordered_map<std::uint32_t, float>> acc(G);
    for (const auto& h : kb.incidents()) {
      for (std::uint32_t g : h.groups) {
        if (g >= G) continue;
        switch (ci) {
          case 0:
            for (const auto& v : h.infrastructure) feed(c, g, v, acc);
            break;
          case 1:
            for (const auto& v : h.artefacts) feed(c, g, v, acc);
            break;
          case 2:
            for (const auto& v : h.sectors) feed(c, g, v, acc);
            break;
          case 3:
            for (const auto& v : h.countries) feed(c, g, v, acc);
            break;
          default:
            for (int v : h.activity_hours) feed(c, g, std::to_string(v), acc);
            break;
        }
      }
    }
    std::vector<double> bg(c.vocab.size(), 0.0);
    double sum = 0;
    for (std::size_t g = 0; g < G; ++g) {
      c.counts[g].assign(acc[g].begin(), acc[g].end());
      std::sort(c.counts[g].begin(), c.counts[g].end());
      for (auto [v, n] : c.counts[g]) c.totals[g] += n, bg[v] += n, sum += n;
    }
    double denom = sum + kBackgroundAlpha * static_cast<double>(bg.size() + 1);
    for (double& x : bg) x = (x + kBackgroundAlpha) / denom;
    c.background = std::move(bg);
  }

  // Log-ratios of every (group, technique) and (group, software): ranking is then lookups.
  ps.tech_llr_.resize(G * VT);
  ps.soft_llr_.resize(G * VS);
  for (std::size_t g = 0; g < G; ++g) {
    for (std::size_t t = 0; t < VT; ++t) {
      ps.tech_llr_[g * VT + t] =
          static_cast<float>(LogRatio(ps.tech_n_[g * VT + t], ps.tech_total_[g], ps.tech_bg_[t],
                                      params.mu_technique, params.lambda_technique));
    }
    for (std::size_t v = 0; v < VS; ++v) {
      ps.soft_llr_[g * VS + v] =
          static_cast<float>(LogRatio(ps.soft_n_[g * VS + v], ps.soft_total_[g], ps.soft_bg_[v],
                                      params.mu_software, params.lambda_software));
    }
  }

  ps.prior_.assign(G, 0.0);
  for (std::size_t g = 0; g < G; ++g) {
    double size =
        static_cast<double>(ps.features_[g].techniques.size() + ps.features_[g].software.size());
    ps.prior_[g] = params.prior_size * std::log1p(size);
  }

  ps.group_versions_.assign(G, std::string());
  if (!with_versions) return ps;
  // Versions: per group and for the whole set (includes the parameters).
  Hasher all;
  all.Add(std::string_view("entente.attribute.profiles.v1"));
  for (double p :
       {params.mu_technique, params.mu_software, params.lambda_technique, params.lambda_software,
        params.lambda_history, params.weight_technique, params.weight_software,
        params.credit_parent, params.credit_sibling, params.credit_implied, params.software_implies,
        params.prior_size, params.temperature, params.mu_history, params.weight_infrastructure,
        params.weight_artefact, params.weight_sector, params.weight_country, params.weight_hour}) {
    all.Add(p);
  }
  for (std::size_t g = 0; g < G; ++g) {
    Hasher h;
    h.Add(std::string_view(kb.groups()[g].stix_id));
    for (auto t : ps.features_[g].techniques) h.Add(std::string_view(techniques[t].stix_id));
    h.Add(std::string_view("|"));
    for (auto s : ps.features_[g].software) h.Add(std::string_view(kb.software()[s].stix_id));
    h.Add(std::string_view("|"));
    for (auto i : kb.groups()[g].incidents) h.Add(std::string_view(kb.incidents()[i].stix_id));
    ps.group_versions_[g] = "p1-" + h.Hex16();
    all.Add(std::string_view(ps.group_versions_[g]));
  }
  // Software -> technique links shape profiles too.
  for (const auto& s : kb.software()) {
    all.Add(std::string_view(s.stix_id));
    for (auto t : s.techniques) all.Add(std::string_view(techniques[t].stix_id));
  }
  // History values: the per-group versions cover which incidents, the values cover what they say.
  for (StringChannel* c : channels) all.Add(static_cast<double>(c->vocab.size()));
  for (const auto& h : kb.incidents()) {
    for (const auto& v : h.infrastructure) all.Add(std::string_view(v));
    for (const auto& v : h.sectors) all.Add(std::string_view(v));
    for (const auto& v : h.countries) all.Add(std::string_view(v));
    for (const auto& v : h.artefacts) all.Add(std::string_view(v));
    for (int v : h.activity_hours) all.Add(static_cast<double>(v));
  }
  ps.version_ = "ps1-" + all.Hex16();
  return ps;
}

// ---------------------------------------------------------------------------------- Rank

const ProfileSet::StringChannel* ProfileSet::ChannelFor(EvidenceKind kind) const {
  switch (kind) {
    case EvidenceKind::kInfrastructure:
      return &infrastructure_;
    case EvidenceKind::kArtefact:
      return &artefact_;
    case EvidenceKind::kSector:
      return &sector_;
    case EvidenceKind::kCountry:
      return &country_;
    case EvidenceKind::kActivityHour:
      return &hour_;
    default:
      return nullptr;
  }
}

double ProfileSet::Prior(std::uint32_t g) const { return prior_[g]; }

double ProfileSet::Contribution(const Evidence& ev, std::size_t item, std::uint32_t g,
                                const std::vector<std::uint32_t>* observed) const {
  const EvidenceItem& e = ev.items[item];
  const double r = e.Weight();
  auto tech_llr = [&](std::uint32_t t) { return static_cast<double>(tech_llr_[g * vt_ + t]); };
  switch (e.kind) {
    case EvidenceKind::kTechnique:
      if (e.index >= vt_) return 0;
      return params_.weight_technique * r * tech_llr(e.index);
    case EvidenceKind::kSoftware: {
      if (e.index >= vs_) return 0;
      std::uint32_t s = e.index;
      double value = params_.weight_software * soft_llr_[g * vs_ + s];
      const auto& implied = kb_->software()[s].techniques;
      if (params_.software_implies > 0 && !implied.empty()) {
        std::vector<std::uint32_t> local;
        if (observed == nullptr) {
          for (const auto& o : ev.items) {
            if (o.kind == EvidenceKind::kTechnique) local.push_back(o.index);
          }
          std::sort(local.begin(), local.end());
          observed = &local;
        }
        double sum = 0;
        std::size_t n = 0;
        for (std::uint32_t t : implied) {
          // Observed techniques count once, as themselves.
          if (std::binary_search(observed->begin(), observed->end(), t)) continue;
          sum += tech_llr(t), ++n;
        }
        if (n > 0) value += params_.software_implies * params_.weight_technique * sum / n;
      }
      return r * value;
    }
    default: {
      const StringChannel* c = ChannelFor(e.kind);
      if (c == nullptr || c->weight == 0) return 0;
      auto it = c->vocab.find(e.key);
      if (it == c->vocab.end()) return 0;  // no group has it: says nothing about any of them
      double bg = c->background[it->second];
      return c->weight * r *
             LogRatio(c->Count(g, it->second), c->totals[g], bg, c->mu, params_.lambda_history);
    }
  }
}

std::vector<RankedGroup> ProfileSet::Rank(const Evidence& ev) const {
  std::vector<RankedGroup> out(groups_);
  std::vector<std::uint32_t> observed;
  for (const auto& o : ev.items) {
    if (o.kind == EvidenceKind::kTechnique) observed.push_back(o.index);
  }
  std::sort(observed.begin(), observed.end());
  for (std::uint32_t g = 0; g < groups_; ++g) {
    double s = Prior(g);
    for (std::size_t i = 0; i < ev.items.size(); ++i) s += Contribution(ev, i, g, &observed);
    out[g] = {g, s, 0.0};
  }
  std::sort(out.begin(), out.end(), [](const RankedGroup& a, const RankedGroup& b) {
    return a.score != b.score ? a.score > b.score : a.group < b.group;
  });
  if (!out.empty()) {
    // The open-world term: an unknown actor, whose profile is the background (score 0 by
    // construction) plus `unknown_actor`, takes posterior mass when no group explains the
    // evidence clearly better than an average group would.
    double top = std::max(out.front().score, params_.unknown_actor);
    double z = std::exp((params_.unknown_actor - top) / params_.temperature);
    for (auto& r : out) z += std::exp((r.score - top) / params_.temperature);
    for (auto& r : out) r.posterior = std::exp((r.score - top) / params_.temperature) / z;
  }
  return out;
}

// ---------------------------------------------------------------------------------- Explain

std::string ProfileSet::CostOf(const EvidenceItem& e) const {
  switch (e.kind) {
    case EvidenceKind::kSoftware: {
      if (e.index >= vs_) return "cheap";
      const Software& s = kb_->software()[e.index];
      std::uint32_t users = software_df_[e.index];
      if (!s.is_malware || users >= 5) return "cheap";  // public or widely shared tooling
      if (users <= 2) return "costly";                  // custom or rare malware
      return "moderate";
    }
    case EvidenceKind::kInfrastructure:
      return "moderate";  // can be borrowed or planted
    default:
      return "cheap";  // techniques, targeting, timing, strings: easy to imitate
  }
}

ItemAssessment ProfileSet::Explain(const Evidence& ev, std::size_t item, std::uint32_t g) const {
  ItemAssessment a;
  a.item = item;
  a.contribution = Contribution(ev, item, g);
  const EvidenceItem& e = ev.items[item];
  a.cost = CostOf(e);
  const auto& f = features_[g];
  auto has = [](const std::vector<std::uint32_t>& v, std::uint32_t x) {
    return std::binary_search(v.begin(), v.end(), x);
  };
  const std::string G = std::to_string(groups_);
  switch (e.kind) {
    case EvidenceKind::kTechnique: {
      if (e.index >= vt_) break;
      a.in_profile = tech_n_[g * vt_ + e.index] > 0;
      const Technique& t = kb_->techniques()[e.index];
      std::string rarity =
          "used by " + std::to_string(technique_df_[e.index]) + " of " + G + " groups";
      if (has(f.techniques, e.index)) {
        a.how = "group uses it (" + rarity + ")";
      } else if (t.parent != kNone && has(f.techniques, t.parent)) {
        a.how = "group uses the parent " + kb_->techniques()[t.parent].external_id + " (" + rarity +
                ")";
      } else if (t.parent != kNone &&
                 std::any_of(kb_->techniques()[t.parent].children.begin(),
                             kb_->techniques()[t.parent].children.end(),
                             [&](std::uint32_t c) { return has(f.techniques, c); })) {
        a.how = "group uses another sub-technique of " + kb_->techniques()[t.parent].external_id +
                " (" + rarity + ")";
      } else if (std::any_of(t.children.begin(), t.children.end(),
                             [&](std::uint32_t c) { return has(f.techniques, c); })) {
        a.how = "group uses a sub-technique of it (" + rarity + ")";
      } else {
        std::string via;
        for (std::uint32_t s : f.software) {
          if (has(kb_->software()[s].techniques, e.index)) {
            via = kb_->software()[s].name;
            break;
          }
        }
        a.how = via.empty() ? "not in the group's profile (" + rarity + ")"
                            : "implied by the group's software " + via + " (" + rarity + ")";
      }
      break;
    }
    case EvidenceKind::kSoftware: {
      if (e.index >= vs_) break;
      a.in_profile = soft_n_[g * vs_ + e.index] > 0;
      std::string rarity =
          "used by " + std::to_string(software_df_[e.index]) + " of " + G + " groups";
      a.how = has(f.software, e.index) ? "group uses it (" + rarity + ")"
                                       : "not in the group's profile (" + rarity + ")";
      break;
    }
    default: {
      const StringChannel* c = ChannelFor(e.kind);
      auto it = c ? c->vocab.find(e.key) : decltype(c->vocab.end()){};
      if (c == nullptr || it == c->vocab.end()) {
        a.how = "not seen in any attributed incident";
      } else if (c->Count(g, it->second) > 0) {
        a.in_profile = true;
        a.how = "seen in " + std::to_string(static_cast<int>(c->Count(g, it->second))) +
                " incident(s) attributed to the group";
      } else if (c->totals[g] == 0) {
        a.how = "no attributed history for the group";
      } else {
        a.how = "not seen in the group's attributed incidents";
      }
    }
  }
  return a;
}

Confidence ProfileSet::Grade(const Evidence& ev, const std::vector<RankedGroup>& ranked,
                             const Calibration& cal, std::uint32_t g, double posterior) const {
  (void)ranked;
  Confidence c = posterior >= cal.high       ? Confidence::kHigh
                 : posterior >= cal.moderate ? Confidence::kModerate
                                             : Confidence::kLow;
  if (c == Confidence::kHigh) {
    // High means no viable alternative on solid evidence: enough items, and at least one
    // supporting item that is not cheap to fake.
    bool costly = false;
    std::size_t supporting = 0;
    for (std::size_t i = 0; i < ev.items.size(); ++i) {
      double contrib = Contribution(ev, i, g);
      if (contrib <= kExplainEpsilon) continue;
      ++supporting;
      if (CostOf(ev.items[i]) != "cheap") costly = true;
    }
    if (ev.items.size() < cal.min_items_high || supporting < cal.min_items_high || !costly) {
      c = Confidence::kModerate;
    }
  }
  return c;
}

Assessment ProfileSet::Assess(const Evidence& ev, const Calibration& cal, std::size_t top) const {
  Assessment out;
  out.profile_set_version = version_;
  out.groups_ranked = groups_;
  std::vector<RankedGroup> ranked = Rank(ev);
  top = std::min(top, ranked.size());
  const std::string G = std::to_string(groups_);
  for (std::size_t k = 0; k < top; ++k) {
    CandidateExplanation c;
    c.ranked = ranked[k];
    std::uint32_t g = ranked[k].group;
    c.confidence = k == 0 ? Grade(ev, ranked, cal, g, ranked[k].posterior) : Confidence::kLow;
    c.profile_version = group_versions_[g];
    std::vector<ItemAssessment> all;
    for (std::size_t i = 0; i < ev.items.size(); ++i) all.push_back(Explain(ev, i, g));
    for (auto& a : all) {
      if (a.contribution > kExplainEpsilon) c.evidence_for.push_back(a);
      // Against: only what the profile lacks. An item the group does use but that is too common
      // to favour it (a slightly negative weight) is neither for nor against.
      if (a.contribution < -kExplainEpsilon && !a.in_profile) c.evidence_against.push_back(a);
      if (a.contribution <= kExplainEpsilon && a.in_profile) c.evidence_consistent.push_back(a);
    }
    std::stable_sort(c.evidence_for.begin(), c.evidence_for.end(),
                     [](auto& a, auto& b) { return a.contribution > b.contribution; });
    std::stable_sort(c.evidence_against.begin(), c.evidence_against.end(),
                     [](auto& a, auto& b) { return a.contribution < b.contribution; });

    // Signature software: the group's rarest malware, expected but not observed.
    const auto& f = features_[g];
    std::vector<std::uint32_t> signature;
    for (std::uint32_t s : f.software) {
      if (kb_->software()[s].is_malware && software_df_[s] <= 2) signature.push_back(s);
    }
    bool seen_signature = false;
    for (const auto& e : ev.items) {
      if (e.kind == EvidenceKind::kSoftware &&
          std::find(signature.begin(), signature.end(), e.index) != signature.end()) {
        seen_signature = true;
      }
    }
    if (!signature.empty() && !seen_signature) {
      std::string names;
      for (std::size_t i = 0; i < signature.size() && i < 4; ++i) {
        names += (i ? ", " : "") + kb_->software()[signature[i]].name;
      }
      if (signature.size() > 4) names += ", ...";
      std::string note = "none of the group's " + std::to_string(signature.size()) +
                         " signature malware families observed (" + names + ")";
      if (ev.Count(EvidenceKind::kSoftware) > 0) {
        c.against_notes.push_back(note + " although other software was");
      } else {
        c.missing.push_back(note);
      }
    }
    struct KindNeed {
      EvidenceKind kind;
      const char* text;
    };
    for (KindNeed need :
         {KindNeed{EvidenceKind::kSoftware, "no software or malware family"},
          KindNeed{EvidenceKind::kInfrastructure, "no infrastructure (IPs, domains, certificates)"},
          KindNeed{EvidenceKind::kSector, "no targeted sector"},
          KindNeed{EvidenceKind::kCountry, "no targeted country"},
          KindNeed{EvidenceKind::kActivityHour, "no activity times (time zone)"}}) {
      if (ev.Count(need.kind) == 0) c.missing.push_back(need.text);
    }
    if (kb_->groups()[g].incidents.empty()) {
      c.missing.push_back(
          "no incidents attributed to this group on record: infrastructure, "
          "targeting and timing cannot be compared");
    }
    // Alternatives: competitors within a factor 10 of this candidate's posterior.
    for (std::size_t j = 0; j < ranked.size() && c.alternatives.size() < 5; ++j) {
      if (j == k) continue;
      if (ranked[j].posterior >= ranked[k].posterior * 0.1)
        c.alternatives.push_back(ranked[j].group);
    }
    // False-flag reading: what the support rests on.
    std::size_t cheap = 0, costly = 0;
    std::string costly_names;
    for (const auto& a : c.evidence_for) {
      if (a.cost == "cheap") {
        ++cheap;
      } else {
        ++costly;
        const EvidenceItem& e = ev.items[a.item];
        std::string name = e.kind == EvidenceKind::kSoftware && e.index < vs_
                               ? kb_->software()[e.index].name
                               : e.key;
        costly_names += (costly_names.empty() ? "" : ", ") + name;
      }
    }
    if (costly > 0) {
      c.false_flag.push_back("supported by " + std::to_string(costly) +
                             " item(s) that are costly to fake: " + costly_names);
    } else if (cheap > 0) {
      c.false_flag.push_back(
          "support rests only on cheap-to-fake evidence (techniques, public "
          "tools, targeting, timing): a false flag or a copycat cannot be "
          "excluded");
    }
    for (const auto& a : c.evidence_against) {
      if (a.cost != "costly") continue;
      const EvidenceItem& e = ev.items[a.item];
      if (e.kind == EvidenceKind::kSoftware && e.index < vs_ && software_df_[e.index] == 0) {
        c.missing.push_back(kb_->software()[e.index].name +
                            " is costly to fake but linked to no known group");
      } else {
        c.false_flag.push_back("costly-to-fake evidence points elsewhere: " +
                               (e.index < vs_ ? kb_->software()[e.index].name : e.key));
      }
    }
    out.candidates.push_back(std::move(c));
  }
  return out;
}

// ---------------------------------------------------------------------------------- JSON

json::Value AssessmentToJson(const Assessment& a, const Evidence& ev, const ProfileSet& ps) {
  const KnowledgeBase& kb = ps.kb();
  auto item_json = [&](const ItemAssessment& ia) {
    const EvidenceItem& e = ev.items[ia.item];
    json::Value v = json::Value::MakeObject();
    v.set("kind", EvidenceKindName(e.kind));
    if (e.kind == EvidenceKind::kTechnique && e.index < kb.techniques().size()) {
      v.set("id", kb.techniques()[e.index].external_id);
      v.set("name", kb.techniques()[e.index].name);
    } else if (e.kind == EvidenceKind::kSoftware && e.index < kb.software().size()) {
      v.set("id", kb.software()[e.index].external_id);
      v.set("name", kb.software()[e.index].name);
    } else {
      v.set("value", e.key);
    }
    v.set("weight", json::Value::NumberFromText(Fmt(ia.contribution)));
    v.set("reason", ia.how);
    v.set("cost_to_fake", ia.cost);
    if (e.grading) v.set("admiralty", e.grading->ToString());
    if (!e.provenance.empty()) v.set("provenance", e.provenance);
    return v;
  };
  json::Value out = json::Value::MakeObject();
  out.set("profile_set_version", a.profile_set_version);
  out.set("groups_ranked", static_cast<std::uint64_t>(a.groups_ranked));
  if (!ev.incident_id.empty()) out.set("incident", ev.incident_id);
  json::Value cands = json::Value::MakeArray();
  for (const auto& c : a.candidates) {
    const Group& g = kb.groups()[c.ranked.group];
    json::Value v = json::Value::MakeObject();
    v.set("id", g.stix_id);
    v.set("name", g.name);
    v.set("external_id", g.external_id);
    v.set("score", json::Value::NumberFromText(Fmt(c.ranked.score)));
    v.set("prior", json::Value::NumberFromText(Fmt(ps.PriorOf(c.ranked.group))));
    v.set("posterior", json::Value::NumberFromText(Fmt(c.ranked.posterior)));
    v.set("confidence", ConfidenceName(c.confidence));
    v.set("profile_version", c.profile_version);
    json::Value f = json::Value::MakeArray(), ag = json::Value::MakeArray();
    for (const auto& x : c.evidence_for) f.push_back(item_json(x));
    for (const auto& x : c.evidence_against) ag.push_back(item_json(x));
    for (const auto& n : c.against_notes) {
      json::Value note = json::Value::MakeObject();
      note.set("kind", "note");
      note.set("reason", n);
      ag.push_back(std::move(note));
    }
    json::Value cons = json::Value::MakeArray();
    for (const auto& x : c.evidence_consistent) cons.push_back(item_json(x));
    v.set("evidence_for", std::move(f));
    v.set("evidence_against", std::move(ag));
    v.set("evidence_consistent", std::move(cons));
    json::Value missing = json::Value::MakeArray();
    for (const auto& m : c.missing) missing.push_back(m);
    v.set("missing", std::move(missing));
    json::Value alts = json::Value::MakeArray();
    for (std::uint32_t alt : c.alternatives) {
      json::Value x = json::Value::MakeObject();
      x.set("id", kb.groups()[alt].stix_id);
      x.set("name", kb.groups()[alt].name);
      x.set("external_id", kb.groups()[alt].external_id);
      alts.push_back(std::move(x));
    }
    v.set("alternatives", std::move(alts));
    json::Value ff = json::Value::MakeArray();
    for (const auto& m : c.false_flag) ff.push_back(m);
    v.set("false_flag", std::move(ff));
    cands.push_back(std::move(v));
  }
  out.set("candidates", std::move(cands));
  return out;
}

}  // namespace entente::attribute
