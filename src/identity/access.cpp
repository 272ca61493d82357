#include "entente/identity/access.h"

#include <algorithm>
#include <string>

namespace entente::identity {

std::string_view RoleName(Role role) noexcept {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kAnalyst:
      return "analyst";
    case Role::kAuthority:
      return "authority";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view text) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == text) return r;
  }
  std::string shown(text.substr(0, 64));
  return Status::InvalidArgument("unknown role '" + shown +
                                 "' (expected reader, analyst, authority or admin)");
}

bool Principal::HasRole(Role r) const noexcept {
  if (r == Role::kReader) return !roles.empty();
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

bool Principal::InScope(std::string_view scope) const noexcept {
  for (const std::string& s : scopes) {
    if (s == kAllScopes || s == scope) return true;
  }
  return false;
}

std::string_view OperationName(Operation op) noexcept {
  switch (op) {
    case Operation::kRead:
      return "read";
    case Operation::kSearch:
      return "search";
    case Operation::kReadLog:
      return "read_log";
    case Operation::kWriteIntel:
      return "write_intel";
    case Operation::kDelete:
      return "delete";
    case Operation::kPropose:
      return "propose";
    case Operation::kVote:
      return "vote";
    case Operation::kAdminUsers:
      return "admin_users";
    case Operation::kPeerAdmin:
      return "peer_admin";
    case Operation::kMetrics:
      return "metrics";
  }
  return "unknown";
}

bool Allowed(const Principal& principal, Operation op) noexcept {
  switch (op) {
    case Operation::kRead:
    case Operation::kSearch:
    case Operation::kReadLog:
      return principal.HasRole(Role::kReader);
    case Operation::kWriteIntel:
    case Operation::kDelete:
      return principal.HasRole(Role::kAnalyst);
    case Operation::kPropose:
      return principal.HasRole(Role::kAnalyst) || principal.HasRole(Role::kAuthority);
    case Operation::kVote:
      return principal.HasRole(Role::kAuthority);
    case Operation::kAdminUsers:
    case Operation::kPeerAdmin:
    case Operation::kMetrics:
      return principal.HasRole(Role::kAdmin);
  }
  return false;  // an operation this table does not know is refused
}

namespace {

std::string IdOf(const json::Node& object) {
  std::string_view id = object["id"].str();
  return id.empty() ? std::string("object") : std::string(id.substr(0, kMaxRefBytes));
}

Status BadProperty(const json::Node& object, std::string_view property, std::string_view what) {
  return Status::InvalidArgument(IdOf(object) + " " + std::string(property) + ": " +
                                 std::string(what));
}

bool IsIdentityRef(std::string_view s) noexcept {
  constexpr std::string_view kPrefix = "identity--";
  return s.size() > kPrefix.size() && s.size() <= kMaxRefBytes &&
         s.substr(0, kPrefix.size()) == kPrefix;
}

void Restrict(AccessLabel& label, std::string_view marking_ref) {
  std::optional<stix::Tlp> tlp = stix::TlpOfMarking(marking_ref);
  if (!tlp) return;
  if (!label.marked || *tlp > label.tlp) label.tlp = *tlp;
  label.marked = true;
}

bool Contains(const std::vector<std::string>& list, std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const std::string& e : list) {
    if (e == s) return true;
  }
  return false;
}

}  // namespace

Result<AccessLabel> LabelOf(const json::Node& object) {
  if (!object.is_object()) return Status::InvalidArgument("access label: not a JSON object");
  AccessLabel label;

  json::Node refs = object["object_marking_refs"];
  if (!refs.missing()) {
    if (!refs.is_array()) return BadProperty(object, "object_marking_refs", "not an array");
    for (auto [key, ref] : refs) {
      if (!ref.is_string()) return BadProperty(object, "object_marking_refs", "non-string entry");
      Restrict(label, ref.str());
    }
  }
  json::Node granular = object["granular_markings"];
  if (!granular.missing()) {
    if (!granular.is_array()) return BadProperty(object, "granular_markings", "not an array");
    for (auto [key, g] : granular) {
      json::Node ref = g["marking_ref"];
      if (!ref.missing() && !ref.is_string()) {
        return BadProperty(object, "granular_markings", "marking_ref is not a string");
      }
      Restrict(label, ref.str());
    }
  }

  json::Node creator = object["created_by_ref"];
  if (!creator.missing()) {
    if (!IsIdentityRef(creator.str())) {
      return BadProperty(object, "created_by_ref", "not an identity id");
    }
    label.creator = std::string(creator.str());
  }

  json::Node recipients = object["x_entente_recipients"];
  if (!recipients.missing()) {
    if (!recipients.is_array()) {
      return BadProperty(object, "x_entente_recipients", "not an array");
    }
    if (recipients.size() > kMaxRecipients) {
      return Status::LimitExceeded(IdOf(object) + " x_entente_recipients: more than " +
                                   std::to_string(kMaxRecipients) + " recipients");
    }
    label.recipients.reserve(recipients.size());
    for (auto [key, r] : recipients) {
      if (!r.is_string() || !IsIdentityRef(r.str())) {
        return BadProperty(object, "x_entente_recipients", "entry is not an identity id");
      }
      label.recipients.emplace_back(r.str());
    }
  }
  if (label.tlp == stix::Tlp::kAmberStrict && label.recipients.size() > 1) {
    return BadProperty(object, "x_entente_recipients",
                       "TLP:AMBER+STRICT names more than one recipient organisation");
  }

  json::Node scope = object["x_entente_scope"];
  if (!scope.missing()) {
    if (!scope.is_string() || scope.str().empty() || scope.str().size() > kMaxRefBytes ||
        scope.str() == kAllScopes) {
      return BadProperty(object, "x_entente_scope", "not a scope name");
    }
    label.scope = std::string(scope.str());
  }
  return label;
}

Result<AccessLabel> LabelOf(std::string_view object_json) {
  json::Document doc;
  json::ParseLimits limits;
  limits.max_bytes = 64u << 20;
  limits.max_depth = 64;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(object_json, limits));
  return LabelOf(doc.root());
}

bool CanRead(const Principal& p, const AccessLabel& label) noexcept {
  if (p.roles.empty()) return false;  // not authenticated as anything
  if (!p.InScope(label.scope)) return false;
  const bool own_identity = !p.identity_ref.empty() && p.identity_ref == label.creator;
  const bool own_org = !p.organization_ref.empty() && p.organization_ref == label.creator;
  if (label.tlp == stix::Tlp::kClear) return true;
  // Every level above CLEAR stays inside the community.
  if (p.member_state.empty()) return false;
  switch (label.tlp) {
    case stix::Tlp::kClear:
    case stix::Tlp::kGreen:
      return true;
    case stix::Tlp::kAmber:
    case stix::Tlp::kAmberStrict:  // same rule; LabelOf allows at most one recipient
      return own_org || own_identity || Contains(label.recipients, p.organization_ref) ||
             Contains(label.recipients, p.identity_ref);
    case stix::Tlp::kRed:
      return own_identity || Contains(label.recipients, p.identity_ref);
  }
  return false;
}

}  // namespace entente::identity
