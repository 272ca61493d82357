// Joint statements: after a decision is adopted, a signed statement (text and STIX report)
// naming the activity, the attribution confidence and the measures, verifiable by anyone who
// holds the trust list.
//
// The statement is an "x-entente-statement" object (StatementExtensionDefinition()) holding the
// decision's counts, the text, and a STIX 2.1 `report` whose description is that same text,
// signed by the issuing state's node over the domain "entente/respond/statement/v1" (see
// ballot.h for the signed form). Functions are reentrant.
#pragma once

#include <string>
#include <string_view>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"
#include "entente/crypto/hybrid.h"
#include "entente/respond/ballot.h"
#include "entente/respond/decision.h"

namespace entente::respond {

// The statement text for an adopted decision. `measure_name` is the catalogue's name of the
// measure.
std::string StatementText(const Proposal& proposal, const Outcome& outcome,
                          std::string_view measure_name, Timestamp when);

// Builds and signs the statement as `signer`. Fails (kInvalidArgument) when the outcome was
// not adopted or was computed under another rule than the proposal's.
Result<json::Value> MakeJointStatement(const Proposal& proposal, const Outcome& outcome,
                                       std::string_view measure_name, std::string_view signer,
                                       Timestamp now, const crypto::hybrid::SigPrivateKey& key);

// Checks a statement: structure, the signer's key in `trust`, the signature, that the decision
// says adopted, and that the report carries the same text and refers to the proposal.
// kCryptoError for signature faults, kInvalidArgument for the rest, kPermissionDenied for an
// unknown signer. 1 MiB limit.
Status VerifyJointStatement(std::string_view statement_json, const TrustList& trust);

}  // namespace entente::respond
