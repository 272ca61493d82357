// Signed pages: what a node serves a peer in one pull, and how the receiver checks it before
// storing anything (docs/FEDERATION.md).
//
// A page is a TAXII 2.1 envelope ({"more","next","objects"}) with one extra member,
// "x_entente_page", that names the serving and the requesting node, the cursor the page starts
// after, the cursor after it, the origin node of each object, and the serving node's composite
// signature (ML-DSA-65 + Ed25519, context kPageContext) over the page manifest:
//
//   "entente-page-v1\n" from "\n" to "\n" added_after "\n" next "\n" more(0|1) "\n" count "\n"
//   then per object: hex(SHA-256(exact object text)) " " origin "\n"
//
// One signature per page (not per object) keeps signing off the critical path: ML-DSA costs
// milliseconds, SHA-256 of an object microseconds. Binding "to" and the cursors stops a page
// served to one peer, or at one position, from being replayed to another or elsewhere.
//
// Parsing is bounded (kMaxPageBytes, kMaxPageObjects, node id lengths, nesting depth) and
// never trusts the page: ParsePage checks shape only, VerifyPage checks the signature against
// the key the caller took from the verified trust list. Functions are reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/crypto/hybrid.h"

namespace entente::federation {

inline constexpr std::string_view kPageContext = "entente-federation-page-v1";
inline constexpr std::size_t kMaxPageBytes = 64u << 20;
inline constexpr std::size_t kMaxPageObjects = 10000;
inline constexpr std::size_t kMaxNodeIdBytes = 64;

// Node ids as the trust list spells them: 1-64 of [a-z0-9._-].
bool ValidNodeId(std::string_view id) noexcept;

struct PageHeader {
  std::string from;              // serving node id
  std::string to;                // requesting node id
  std::int64_t added_after = 0;  // the serving store's date_added cursor (µs) the page follows
  std::int64_t next = 0;         // cursor after this page (last date_added it scanned)
  bool more = false;             // more objects after `next`
};

// Builds a page on the serving side. Objects are copied into the output as they are added,
// so memory is the page's size.
class PageWriter {
 public:
  PageWriter(std::string from, std::string to, std::int64_t added_after);
  // Room for about `objects` objects of `bytes` in all (optional; saves regrowing).
  void Reserve(std::size_t objects, std::size_t bytes);
  void Add(std::string_view object_json, std::string_view origin);
  std::size_t count() const noexcept { return origins_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  // Signs and returns the envelope text (once). kInvalidArgument for a bad node id.
  Result<std::string> Finish(std::int64_t next, bool more,
                             const crypto::hybrid::SigPrivateKey& key);

 private:
  PageHeader header_;
  std::string out_;  // the envelope being written: the objects go straight into it
  std::size_t bytes_ = 0;
  std::string manifest_lines_;
  std::vector<std::string> origins_;
};

// A received page. Owns its text; `objects` are views into it.
struct ParsedPage {
  PageHeader header;
  std::vector<std::string_view> objects;  // exact text of each object
  std::vector<std::string> origins;       // origin node of each object
  crypto::hybrid::SigSuite sig_suite = crypto::hybrid::SigSuite::kMlDsa65Ed25519;
  Bytes signature;

  ParsedPage() = default;
  ParsedPage(ParsedPage&&) = default;
  ParsedPage& operator=(ParsedPage&&) = default;

  // Gives the parsed node table back for the next ParsePage (the page is unusable after): a
  // page's table is megabytes, and fresh memory costs page faults on every page.
  std::unique_ptr<json::Document> ReleaseDocument() && { return std::move(doc_); }

 private:
  friend Result<ParsedPage> ParsePage(std::string text, std::unique_ptr<json::Document> reuse);
  std::unique_ptr<std::string> text_;
  std::unique_ptr<json::Document> doc_;
};

// Parses an envelope: shape, limits, node ids, cursors, one origin per object, TAXII "more"
// and "next" equal to the signed ones. kInvalidArgument / kLimitExceeded naming the member.
// `reuse`: a document released by an earlier page, or null.
Result<ParsedPage> ParsePage(std::string text, std::unique_ptr<json::Document> reuse = nullptr);

// The manifest bytes that are signed.
std::string PageManifest(const PageHeader& header, const std::vector<std::string_view>& objects,
                         const std::vector<std::string>& origins);

// Verifies the page signature with the serving node's trust-list key (kCryptoError if it does
// not verify, or the page was signed with another suite).
Status VerifyPage(const ParsedPage& page, crypto::hybrid::SigSuite suite, ByteView public_key);

}  // namespace entente::federation
