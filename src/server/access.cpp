#include "entente/server/access.h"

#include "entente/base/bytes.h"

namespace entente::server {

std::string BearerToken(std::string_view authorization) {
  auto starts = [&](std::string_view p) {
    if (authorization.size() < p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(authorization[i])) != p[i]) return false;
    }
    return true;
  };
  if (starts("bearer ")) {
    std::string_view t = authorization.substr(7);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    return std::string(t);
  }
  if (starts("basic ")) {
    auto decoded = Base64Decode(authorization.substr(6));
    if (!decoded.ok()) return {};
    std::string text(decoded->begin(), decoded->end());
    auto colon = text.find(':');
    std::string token = colon == std::string::npos ? std::string() : text.substr(colon + 1);
    SecureWipe(text.data(), text.size());
    return token;
  }
  return {};
}

Result<std::shared_ptr<const Principal>> DirectoryAccess::Authenticate(
    std::string_view authorization, std::int64_t now_us) {
  std::string token = BearerToken(authorization);
  if (token.empty()) return Status::Unauthenticated("missing bearer token");
  auto principal = directory_.AuthenticateShared(token, now_us);
  SecureWipe(token.data(), token.size());
  return principal;
}

bool DirectoryAccess::CanRead(const Principal& principal, json::Node object,
                              std::string_view scope) {
  auto label = identity::LabelOf(object);
  if (!label.ok()) return false;
  if (!scope.empty()) label->scope = std::string(scope);
  return identity::CanRead(principal, *label);
}

}  // namespace entente::server
