// The identity module in one include: roles, principals, the access policy (access.h), users
// and tokens (directory.h) and the federation trust list (trust_list.h).
#pragma once

#include "entente/identity/access.h"      // IWYU pragma: export
#include "entente/identity/directory.h"   // IWYU pragma: export
#include "entente/identity/trust_list.h"  // IWYU pragma: export
