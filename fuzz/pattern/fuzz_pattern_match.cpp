// Parse + compile + evaluate against a fixed set of observations with references, lists,
// binary and custom objects. Nothing may crash, hang or grow without bound. And the anchor
// contract must hold: when a pattern matches and is anchored, one of its anchors is found in the
// observations (the fixed values are canonical and lower-case, so normalisation hides nothing).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <string>

#include "entente/pattern/anchors.h"
#include "entente/pattern/evaluator.h"

namespace {

const char* kObservations = R"([{"type":"bundle","id":"bundle--1","objects":[
 {"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.3"},
 {"type":"ipv6-addr","id":"ipv6-addr--1","value":"2001:db8::1"},
 {"type":"domain-name","id":"domain-name--1","value":"evil.example","resolves_to_refs":["ipv4-addr--1"]},
 {"type":"network-traffic","id":"network-traffic--1","src_ref":"ipv6-addr--1","dst_ref":"ipv4-addr--1",
  "dst_port":443,"protocols":["tcp","tls"],"extensions":{"http-request-ext":{"request_method":"GET",
  "request_value":"/a","request_header":{"User-Agent":"Bot/1.0"}}}},
 {"type":"file","id":"file--1","name":"a.exe","size":1024,"hashes":{"MD5":"cead3f77f6cda6ec00f57d76c9a6879f",
  "SHA-256":"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},"magic_number_hex":"4d5a",
  "created":"2020-01-01T00:00:00Z","parent_directory_ref":"directory--1","x_tags":["a",1,true,null,{"k":"v"}]},
 {"type":"directory","id":"directory--1","path":"C:\\Windows"},
 {"type":"artifact","id":"artifact--1","payload_bin":"aGVsbG8=","mime_type":"text/plain"},
 {"type":"x-custom","id":"x-custom--1","nested":{"list":[{"v":1.5},{"v":-2}]},"peer_ref":"file--1"},
 {"type":"observed-data","id":"observed-data--1","first_observed":"2020-01-01T00:00:00Z",
  "last_observed":"2020-01-01T00:00:01Z","number_observed":3,
  "object_refs":["network-traffic--1","ipv4-addr--1","ipv6-addr--1","domain-name--1"]},
 {"type":"observed-data","id":"observed-data--2","first_observed":"2020-01-01T00:01:00Z",
  "last_observed":"2020-01-01T00:01:00Z","number_observed":1,
  "object_refs":["file--1","directory--1","artifact--1","x-custom--1"]},
 {"type":"observed-data","id":"observed-data--3","first_observed":"2020-01-01T00:02:00Z",
  "last_observed":"2020-01-01T00:03:00Z","number_observed":2,"object_refs":["domain-name--1"]}]}])";

const entente::pattern::ObservationSet& Observations() {
  static const entente::pattern::ObservationSet* set = [] {
    auto* s = new entente::pattern::ObservationSet;
    if (!s->AddJson(kObservations).ok()) __builtin_trap();
    return s;
  }();
  return *set;
}

std::string Quoted(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace entente::pattern;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;
  limits.max_length = 1 << 14;
  limits.max_nodes = 2000;
  auto compiled = CompiledPattern::Compile(text, limits);
  if (!compiled.ok()) return 0;
  MatchLimits match_limits;
  match_limits.max_partial_matches = 10'000;
  match_limits.max_assignments = 4096;
  auto result = compiled->Match(Observations(), match_limits);
  if (!result.ok()) return 0;
  if (result->matched != !result->observations.empty()) __builtin_trap();
  if (!result->matched) return 0;
  AnchorSet anchors = CompileAnchors(compiled->pattern());
  if (!anchors.anchored) return 0;
  for (const auto& a : anchors.anchors) {
    std::string check = "[" + a.scope + (a.is_cidr ? " ISSUBSET " : " = ") + Quoted(a.value) + "]";
    auto c = CompiledPattern::Compile(check);
    if (!c.ok()) __builtin_trap();  // an anchor must be expressible as a pattern
    auto hit = c->Match(Observations());
    if (hit.ok() && hit->matched) return 0;
  }
  __builtin_trap();  // matched, anchored, and no anchor occurs: the contract is broken
}
